//! Bad input never panics and always ends within a bounded time: random bytes through the
//! shell parser, random kubectl argument lists, hostile YAML through `kubectl apply -f -`.
//!
//! This test is a host: it reads the wall clock to bound each case's running time, which the
//! sans-IO crate itself never does.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::disallowed_methods)]

use proptest::prelude::*;
use std::time::{Duration, Instant};
use tidepool_shell::{Feed, Session, SessionConfig};

fn session() -> Session {
    Session::new(&SessionConfig::default())
}

/// Feeds lines; closes any open heredoc/quote with a final `EOF` line and a lone quote.
fn feed_all(s: &mut Session, lines: &[String]) -> Vec<Feed> {
    let mut out = Vec::new();
    for l in lines {
        out.push(s.feed_line(l));
    }
    out
}

const BUDGET: Duration = Duration::from_secs(10);

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut s = session();
        let started = Instant::now();
        let lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
        feed_all(&mut s, &lines);
        prop_assert!(started.elapsed() < BUDGET);
    }

    #[test]
    fn shell_syntax_soup_never_panics(tokens in proptest::collection::vec(
        prop_oneof![
            Just("|"), Just("||"), Just("&&"), Just(";"), Just(">"), Just(">>"), Just("<"),
            Just("2>&1"), Just("<<EOF"), Just("'"), Just("\""), Just("\\"), Just("$"), Just("${"),
            Just("$HOME"), Just("*"), Just("~"), Just("!!"), Just("echo"), Just("cat"),
            Just("grep -c a"), Just("sed s/a/b/g"), Just("awk '{print $1}'"), Just("cut -d: -f2"),
            Just("kubectl"), Just("alias a=a"), Just("EOF"), Just("x.yaml"), Just("sort -n"),
        ], 0..24)) {
        let mut s = session();
        let line = tokens.join(" ");
        let started = Instant::now();
        feed_all(&mut s, &[line, "EOF".to_owned(), "'\"".to_owned(), "EOF".to_owned()]);
        prop_assert!(started.elapsed() < BUDGET);
    }

    #[test]
    fn kubectl_unicode_arguments_never_panic(
        command in prop_oneof![
            Just("get"), Just("describe"), Just("delete"), Just("create"), Just("run"),
            Just("label"), Just("scale"), Just("expose"), Just("rollout"), Just("set"), Just("explain"),
        ],
        args in proptest::collection::vec(
            proptest::collection::vec(any::<char>(), 0..8)
                .prop_map(|c| c.into_iter().collect::<String>()),
            0..6,
        ),
    ) {
        let mut s = session();
        let started = Instant::now();
        let quoted: Vec<String> = args.iter().map(|a| format!("'{}'", a.replace('\'', ""))).collect();
        s.feed_line(&format!("kubectl {command} {}", quoted.join(" ")));
        s.feed_line(&format!("kubectl get {}", quoted.join(" ")));
        prop_assert!(started.elapsed() < BUDGET);
    }

    #[test]
    fn kubectl_arguments_never_panic(args in proptest::collection::vec(
        prop_oneof![
            Just("get"), Just("describe"), Just("delete"), Just("create"), Just("apply"),
            Just("run"), Just("scale"), Just("rollout"), Just("set"), Just("image"),
            Just("expose"), Just("label"), Just("logs"), Just("config"), Just("undo"),
            Just("status"), Just("history"), Just("pods"), Just("po"), Just("deploy"),
            Just("deployment"), Just("rs"), Just("svc"), Just("ns"), Just("nodes"), Just("all"),
            Just("x"), Just("nginx"), Just("-o"), Just("yaml"), Just("json"), Just("wide"),
            Just("name"), Just("jsonpath={.items[*]}"), Just("custom-columns=A:.x"), Just("-n"),
            Just("-A"), Just("-l"), Just("a in (b"), Just("--all"), Just("-f"), Just("-"),
            Just("--image=nginx"), Just("--replicas=-1"), Just("--replicas=x"), Just("--"),
            Just("--dry-run=client"), Just("--port=99999999999"), Just("a=b"), Just("a-"),
            Just("--sort-by=.metadata.name"), Just("--to-revision=9"), Just("deploy/x"),
            Just("--force"), Just("--grace-period=0"), Just("-z"), Just("--tcp=80:80"),
            Just("cordon"), Just("uncordon"), Just("drain"), Just("taint"), Just("wait"),
            Just("edit"), Just("env"), Just("resources"), Just("node01"), Just("node/node02"),
            Just("--ignore-daemonsets"), Just("--delete-emptydir-data"), Just("--timeout=2s"),
            Just("--timeout=-1"), Just("a=b:NoSchedule"), Just("a:Bad"), Just("a=b:c:d"),
            Just("=x:NoExecute"), Just("--overwrite"), Just("--for=delete"),
            Just("--for=condition=Ready"), Just("--for=jsonpath={.status.phase}=Running"),
            Just("--for=jsonpath={"), Just("--for=x"), Just("--list"), Just("--limits=cpu=1"),
            Just("--requests=memory=x"), Just("--limits=cpu"), Just("--from=configmap/x"),
            Just("-c"), Just("*"), Just("1A=b"), Just("A=1"), Just("--prefix=P_"),
            Just("--pod-selector=a in (b"), Just("-h"),
        ], 0..10)) {
        let mut s = session();
        let started = Instant::now();
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        s.feed_line("kubectl create deployment x --image=nginx");
        s.feed_line(&format!("kubectl {}", quoted.join(" ")));
        prop_assert!(started.elapsed() < BUDGET);
    }

    #[test]
    fn yaml_soup_through_apply_never_panics(lines in proptest::collection::vec(
        prop_oneof![
            Just("apiVersion: v1"), Just("apiVersion: apps/v1"), Just("kind: Pod"),
            Just("kind: Deployment"), Just("kind: Nope"), Just("metadata:"), Just("  name: x"),
            Just("  name: X_bad"), Just("spec:"), Just("  containers:"), Just("  - name: c"),
            Just("    image: nginx"), Just("  replicas: -3"), Just("  replicas: [1"),
            Just("---"), Just("- a"), Just("a: &x [1, 2]"), Just("b: *x"), Just("c: *missing"),
            Just("\t- tab"), Just("{"), Just("}"), Just("'"), Just("null"), Just("~"),
            Just("  selector: {matchLabels: {a: b}}"), Just("  template: {}"),
        ], 0..30)) {
        let mut s = session();
        let started = Instant::now();
        s.feed_line("cat <<EOF | kubectl apply -f -");
        for l in &lines {
            s.feed_line(l);
        }
        let done = s.feed_line("EOF");
        prop_assert!(matches!(done, Feed::Done(_)));
        prop_assert!(started.elapsed() < BUDGET);
    }
}

fn run_bounded(s: &mut Session, line: &str) -> Feed {
    let started = Instant::now();
    let out = s.feed_line(line);
    assert!(started.elapsed() < BUDGET, "{:?}", started.elapsed());
    out
}

#[test]
fn one_megabyte_lines() {
    let mut s = session();
    let big = "a".repeat(1 << 20);
    assert!(matches!(
        run_bounded(&mut s, &format!("echo {big} | wc -c")),
        Feed::Done(_)
    ));
    assert!(
        matches!(run_bounded(&mut s, &format!("kubectl get {big}")), Feed::Done(o) if o.exit_code == 1)
    );
    assert!(matches!(
        run_bounded(&mut s, &format!("grep {big} nginx.yaml")),
        Feed::Done(_)
    ));
    // An unbalanced quote asks for more input; closing it ends the command.
    assert_eq!(run_bounded(&mut s, &format!("echo '{big}")), Feed::NeedMore);
    assert!(matches!(run_bounded(&mut s, "'"), Feed::Done(_)));
}

#[test]
fn deeply_nested_yaml_is_an_error() {
    let mut s = session();
    let depth = 20_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    s.write_file("deep.yaml", &nested).ok();
    let Feed::Done(out) = run_bounded(&mut s, "kubectl apply -f deep.yaml") else {
        panic!("needs more input");
    };
    assert_eq!(out.exit_code, 1, "{}", out.text());
    let mut block = String::new();
    for i in 0..5_000 {
        block.push_str(&" ".repeat(i));
        block.push_str("a:\n");
    }
    s.write_file("deep2.yaml", &block).ok();
    let Feed::Done(out) = run_bounded(&mut s, "kubectl apply -f deep2.yaml") else {
        panic!("needs more input");
    };
    assert_eq!(out.exit_code, 1, "{}", out.text());
}

#[test]
fn yaml_alias_bomb_is_bounded() {
    let mut s = session();
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i", "j"])
    {
        let refs = vec![format!("*{prev}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    s.write_file("bomb.yaml", &bomb).ok();
    let Feed::Done(out) = run_bounded(&mut s, "kubectl apply -f bomb.yaml") else {
        panic!("needs more input");
    };
    assert_eq!(out.exit_code, 1, "{}", out.text());
}

#[test]
fn alias_loops_terminate() {
    let mut s = session();
    s.feed_line("alias a=b");
    s.feed_line("alias b=a");
    let Feed::Done(out) = run_bounded(&mut s, "a") else {
        panic!("needs more input");
    };
    assert_eq!(out.exit_code, 127);
    s.feed_line("alias x='x x x x x x x x'");
    let Feed::Done(out) = run_bounded(&mut s, "x") else {
        panic!("needs more input");
    };
    assert_eq!(out.exit_code, 127);
}

#[test]
fn huge_documents_are_bounded() {
    let mut s = session();
    let mut doc = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
    for i in 0..20_000 {
        doc.push_str(&format!("  k{i}: v{i}\n"));
    }
    s.write_file("big.yaml", &doc).ok();
    assert!(matches!(
        run_bounded(&mut s, "kubectl apply -f big.yaml"),
        Feed::Done(_)
    ));
}

/// Hostile YAML saved from the editor of `kubectl edit` ends in an error (the file reopens)
/// in bounded time, and saving it again unchanged gives up.
#[test]
fn hostile_yaml_through_kubectl_edit_is_bounded() {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i", "j"])
    {
        let refs = vec![format!("*{prev}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    let depth = 10_000;
    let nested = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let long_line = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  labels:\n    a: {}\n",
        "v".repeat(1 << 20)
    );
    let mut huge = String::from(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  annotations:\n",
    );
    for i in 0..20_000 {
        huge.push_str(&format!("    k{i}: v{i}\n"));
    }
    for text in [bomb, nested, long_line, huge, "\t- tab\n: :\n".to_owned()] {
        let mut s = session();
        s.feed_line("kubectl create deployment x --image=nginx");
        let Feed::Done(out) = run_bounded(&mut s, "kubectl edit deployment/x") else {
            panic!("needs more input");
        };
        let Some(tidepool_shell::Effect::OpenEditor { path }) = out.effects.first().cloned() else {
            panic!("no editor: {}", out.text());
        };
        assert_eq!(s.write_file(&path, &text), Ok(()));
        let started = Instant::now();
        let first = s.editor_closed(&path).unwrap_or_default();
        let second = s.editor_closed(&path).unwrap_or_default();
        assert!(started.elapsed() < BUDGET, "{:?}", started.elapsed());
        // Either rejected (reopened, then given up) or, for the big but valid document, saved.
        if first.effects.is_empty() {
            assert_eq!(
                first.text(),
                "deployment.apps/x edited\n",
                "{}",
                first.text()
            );
        } else {
            assert_eq!(second.exit_code, 1, "{}", second.text());
        }
    }
}

#[test]
fn waits_without_end_are_bounded_in_wall_time() {
    let mut s = session();
    s.run_script("cat <<EOF | kubectl apply -f -\napiVersion: v1\nkind: Pod\nmetadata:\n  name: stuck\nspec:\n  nodeSelector:\n    disk: none\n  containers:\n  - name: c\n    image: nginx\nEOF");
    let Feed::Done(out) = run_bounded(
        &mut s,
        "kubectl wait --for=condition=Ready pod/stuck --timeout=-1",
    ) else {
        panic!("needs more input");
    };
    assert_eq!(
        out.text(),
        "error: timed out waiting for the condition on pods/stuck\n"
    );
    let Feed::Done(out) = run_bounded(&mut s, "kubectl wait --for=delete pod/stuck --timeout=100h")
    else {
        panic!("needs more input");
    };
    assert_eq!(out.exit_code, 1);
}
