//! Hostile input: the parser and the interpreter end every input with a result or an error,
//! never a panic, a stack overflow or a hang.

use proptest::prelude::*;
use tidepool_container::fs::{Fs, MountedFs, PodIdentity, Volumes};
use tidepool_container::host::OfflineHost;
use tidepool_container::image::resolve;
use tidepool_container::process::{ContainerSpec, Output, Process, ProcessState};
use tidepool_container::shell::{SyntaxErrorKind, parse};

/// Runs a script for a bounded number of slices; returns the last state and output size.
fn run_bounded(script: &str) -> (ProcessState, usize) {
    let image = resolve("busybox").expect("busybox");
    let spec = ContainerSpec {
        command: vec!["sh".into(), "-c".into(), script.into()],
        hostname: "fuzz".into(),
        ..ContainerSpec::default()
    };
    let mut root = Fs::for_container(image, &PodIdentity::new("fuzz", "default", "10.0.0.1"));
    let mut volumes = Volumes::default();
    let mut process = Process::start(&spec, image, 0).expect("sh exists");
    let mut host = OfflineHost { now: 0 };
    let mut out = Output::default();
    let mut state = ProcessState::Running { wake_at: Some(0) };
    for _ in 0..20 {
        let mut fs = MountedFs::new(&mut root, &mut volumes, &[], Some(image));
        state = process.run(&mut fs, &mut host, &mut out);
        match state {
            ProcessState::Running { wake_at: Some(t) } if t < u64::MAX / 2 => host.now = t,
            _ => break,
        }
    }
    (state, out.combined().len())
}

const FRAGMENTS: &[&str] = &[
    "echo", " ", "a", "'", "\"", "$(", ")", "`", "${", "}", "{", "(", ";", "&&", "||", "|", "&",
    "\n", "if", "then", "fi", "while", "do", "done", "for", "in", "case", "esac", ";;", "$X",
    "$((", "1+", "))", ">", ">>", "<", "2>&1", "<<EOF", "EOF", "sleep 1", "x=", "\\", "#", "*",
    "f()", "!", "break", "continue", "exit", "trap", "kill $$",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_random_text(source in "\\PC{0,400}") {
        let _ = parse(&source);
    }

    #[test]
    fn parser_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let source = String::from_utf8_lossy(&bytes);
        let _ = parse(&source);
    }

    #[test]
    fn shell_fragments_parse_and_run_bounded(parts in proptest::collection::vec(0..FRAGMENTS.len(), 0..40)) {
        let script: String = parts.iter().map(|&i| FRAGMENTS[i]).collect();
        let _ = parse(&script);
        let (_, output) = run_bounded(&script);
        prop_assert!(output <= 20 * 64 * 1024 + 1024);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for (open, close) in [
        ("(", ")"),
        ("$(", ")"),
        ("{ ", "; }"),
        ("if true; then ", "; fi"),
        ("echo \"$(", ")\""),
        ("${X:-", "}"),
    ] {
        let source = format!("{}echo{}", open.repeat(5_000), close.repeat(5_000));
        let result = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || parse(&source).map(|_| ()))
            .expect("thread")
            .join()
            .expect("no stack overflow");
        assert!(result.is_err(), "{open}");
    }
    let unbalanced = "'".repeat(3) + &"\"".repeat(7) + "$(( (";
    assert!(parse(&unbalanced).is_err());
}

#[test]
fn one_megabyte_line_is_rejected() {
    let line = format!("echo {}", "x".repeat(1024 * 1024));
    let error = parse(&line).expect_err("too long");
    assert_eq!(error.kind, SyntaxErrorKind::TooLong);
    let (state, _) = run_bounded(&line);
    assert_eq!(state, ProcessState::Exited { code: 2 });
}

#[test]
fn runaway_programs_stay_bounded() {
    // Infinite output: capped per run, still running.
    let (state, output) = run_bounded("while true; do echo spam; done");
    assert!(matches!(state, ProcessState::Running { .. }));
    assert!(output <= 20 * 64 * 1024, "{output}");
    // Exponential string growth stops at the word limit.
    let (state, _) = run_bounded("x=ab; while true; do x=\"$x$x\"; done");
    assert!(matches!(state, ProcessState::Running { .. }));
    // Unbounded recursion ends with an error, not a Rust stack overflow.
    let (state, _) = run_bounded("f() { f; }; f; echo after");
    assert!(matches!(
        state,
        ProcessState::Exited { .. } | ProcessState::Running { .. }
    ));
    // Nested substitutions at run time.
    let (state, _) = run_bounded("g() { echo $(g); }; g");
    assert!(matches!(
        state,
        ProcessState::Exited { .. } | ProcessState::Running { .. }
    ));
}
