//! Exec-probe and shell-step timings (issue 4's budget: 10,000 pods with an exec liveness probe
//! every 10 s = 60,000 probe execs per simulated minute, in well under 200 ms with the kubelet).
//! Run natively, in release:
//!
//! ```text
//! cargo run --release -p tidepool-container --example exec_bench -- [iterations]
//! ```
//!
//! Measures, per operation: `cat /tmp/healthy` as a prepared exec probe (file present and
//! missing), `sh -c 'test -f /tmp/healthy'` as a prepared probe, one resume of the liveness
//! example's main process (a sleep that is not due), and one slice of a `while` loop that
//! appends to a log and sleeps.
//!
//! This file is a host, not the crate: it may read the wall clock and print.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]

use std::time::Instant;

use tidepool_container::exec::{ExecCommand, ExecLimits};
use tidepool_container::fs::{Fs, MountedFs, PodIdentity, Volumes};
use tidepool_container::host::OfflineHost;
use tidepool_container::image::resolve;
use tidepool_container::process::{ContainerSpec, Output, Process};

fn time<F: FnMut(u64)>(label: &str, iterations: u64, mut f: F) -> f64 {
    let start = Instant::now();
    for i in 0..iterations {
        f(i);
    }
    let per_op_ns = start.elapsed().as_nanos() as f64 / iterations as f64;
    println!(
        "{label:<48} {per_op_ns:>10.0} ns/op   ({:.1} ms per 60,000)",
        per_op_ns * 60_000.0 / 1e6
    );
    per_op_ns
}

fn main() {
    let iterations: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(60_000);
    let image = resolve("busybox").expect("busybox is in the catalogue");
    let spec = ContainerSpec {
        command: vec![
            "sh".into(),
            "-c".into(),
            "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600".into(),
        ],
        hostname: "liveness-exec".into(),
        ..ContainerSpec::default()
    };
    let mut root = Fs::for_container(
        image,
        &PodIdentity::new("liveness-exec", "default", "10.244.1.5"),
    );
    let mut volumes = Volumes::default();
    let mut process = Process::start(&spec, image, 0).expect("starts");
    let mut host = OfflineHost { now: 0 };
    let mut out = Output::default();
    {
        let mut fs = MountedFs::new(&mut root, &mut volumes, &[], Some(image));
        process.run(&mut fs, &mut host, &mut out);
    }
    let argv = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    let cat = ExecCommand::new(&argv(&["cat", "/tmp/healthy"]));
    let sh_test = ExecCommand::new(&argv(&["sh", "-c", "test -f /tmp/healthy"]));
    let limits = ExecLimits::probe(1);
    let mut failures = 0u64;

    time(
        "exec probe `cat /tmp/healthy` (present)",
        iterations,
        |_| {
            let mut fs = MountedFs::new(&mut root, &mut volumes, &[], Some(image));
            let result = process
                .exec(&cat, &mut fs, &mut host, limits)
                .expect("cat exists");
            failures += u64::from(result.exit_code != Some(0));
        },
    );
    time(
        "exec probe `sh -c 'test -f /tmp/healthy'`",
        iterations,
        |_| {
            let mut fs = MountedFs::new(&mut root, &mut volumes, &[], Some(image));
            let result = process
                .exec(&sh_test, &mut fs, &mut host, limits)
                .expect("sh exists");
            failures += u64::from(result.exit_code != Some(0));
        },
    );
    time("main process resume, sleep not yet due", iterations, |i| {
        host.now = 1 + i % 20_000;
        let mut fs = MountedFs::new(&mut root, &mut volumes, &[], Some(image));
        process.run(&mut fs, &mut host, &mut out);
    });
    host.now = 30_000;
    {
        let mut fs = MountedFs::new(&mut root, &mut volumes, &[], Some(image));
        process.run(&mut fs, &mut host, &mut out);
    }
    time(
        "exec probe `cat /tmp/healthy` (missing)",
        iterations,
        |_| {
            let mut fs = MountedFs::new(&mut root, &mut volumes, &[], Some(image));
            let result = process
                .exec(&cat, &mut fs, &mut host, limits)
                .expect("cat exists");
            failures += u64::from(result.exit_code != Some(1));
        },
    );

    let logger_spec = ContainerSpec {
        command: vec![
            "sh".into(),
            "-c".into(),
            "while true; do echo \"$(date) INFO hello\" >> /var/log/app.log; sleep 1; done".into(),
        ],
        hostname: "logger".into(),
        ..ContainerSpec::default()
    };
    let mut logger = Process::start(&logger_spec, image, 0).expect("starts");
    let mut logger_root = Fs::new(u64::MAX / 4);
    let _ = logger_root.mkdir("/var/log", true);
    let mut t = 0;
    time(
        "`while ...; sleep 1; done` loop step (one wake)",
        iterations.min(20_000),
        |_| {
            host.now = t;
            t += 1000;
            let mut fs = MountedFs::new(&mut logger_root, &mut volumes, &[], Some(image));
            logger.run(&mut fs, &mut host, &mut out);
            out.chunks.clear();
        },
    );
    println!("unexpected probe results: {failures}");
}
