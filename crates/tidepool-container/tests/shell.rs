//! The shell, table-driven: each case runs `sh -c SCRIPT` as a container's main process, moving
//! virtual time to each `wake_at` until it exits, and compares output, exit code and end time.

use tidepool_container::fs::{Fs, MountedFs, PodIdentity, Volumes};
use tidepool_container::host::OfflineHost;
use tidepool_container::image::resolve;
use tidepool_container::process::{ContainerSpec, Output, Process, ProcessState};

/// Runs a script to completion; returns (stdout+stderr, exit code, virtual ms at exit).
fn run(image: &str, script: &str) -> (String, i32, u64) {
    let image = resolve(image).expect("image");
    let spec = ContainerSpec {
        command: vec!["sh".into(), "-c".into(), script.into()],
        env: vec![("GREETING".into(), "hello world".into())],
        hostname: "box".into(),
        ..ContainerSpec::default()
    };
    let mut root = Fs::for_container(image, &PodIdentity::new("box", "default", "10.244.1.5"));
    let mut volumes = Volumes::default();
    let mut process = Process::start(&spec, image, 0).expect("start");
    let mut host = OfflineHost { now: 0 };
    let mut out = Output::default();
    for _ in 0..10_000 {
        let mut fs = MountedFs::new(&mut root, &mut volumes, &[], Some(image));
        match process.run(&mut fs, &mut host, &mut out) {
            ProcessState::Exited { code } => return (out.combined(), code, host.now),
            ProcessState::Running { wake_at: Some(t) } => host.now = t.max(host.now),
            ProcessState::Running { wake_at: None } => return (out.combined(), -1, host.now),
        }
    }
    (out.combined(), -2, host.now)
}

#[track_caller]
fn check(script: &str, expected: &str, code: i32) {
    check_in("busybox", script, expected, code);
}

#[track_caller]
fn check_in(image: &str, script: &str, expected: &str, code: i32) {
    let (output, exit, _) = run(image, script);
    assert_eq!(
        (output.as_str(), exit),
        (expected, code),
        "script: {script}"
    );
}

#[test]
fn echo_and_printf() {
    check("echo hello   world", "hello world\n", 0);
    check("echo -n a; echo b", "ab\n", 0);
    check("echo -e 'a\\tb\\nc'", "a\tb\nc\n", 0);
    check("echo 'a\\nb'", "a\\nb\n", 0);
    check_in("ubuntu", "echo 'a\\nb'", "a\nb\n", 0);
    check(
        "printf '%s-%d|%5s|%-3s|\\n' x 42 ab c",
        "x-42|   ab|c  |\n",
        0,
    );
    check("printf '%s\\n' a b c", "a\nb\nc\n", 0);
    check("printf '%03d %x\\n' 7 255", "007 ff\n", 0);
}

#[test]
fn variables_and_expansions() {
    check("X=1; echo $X ${X} \"$X\"", "1 1 1\n", 0);
    check(
        "echo ${NOPE:-default} ${NOPE-d2} ${GREETING:+set}",
        "default d2 set\n",
        0,
    );
    check("echo ${#GREETING}", "11\n", 0);
    check(
        "F=/var/log/app.log; echo ${F##*/} ${F%.log} ${F#/var/}",
        "app.log /var/log/app log/app.log\n",
        0,
    );
    check(": ${Y:=assigned}; echo $Y", "assigned\n", 0);
    check(
        "for w in $GREETING; do echo \"<$w>\"; done",
        "<hello>\n<world>\n",
        0,
    );
    check(
        "for w in \"$GREETING\"; do echo \"<$w>\"; done",
        "<hello world>\n",
        0,
    );
    check("echo $HOSTNAME $HOME", "box /root\n", 0);
    check("false; echo $?; true; echo $?", "1\n0\n", 0);
    check("echo $$", "1\n", 0);
    check("echo '$X' \"\\$X\" \\$X", "$X $X $X\n", 0);
    check(
        "echo \"$(echo hi)\" `echo there` $(echo $(echo nested))",
        "hi there nested\n",
        0,
    );
    check(
        "echo $((1 + 2 * 3)) $(( (1+2)*3 )) $((10 % 3)) $((7/2)) $((-4))",
        "7 9 1 3 -4\n",
        0,
    );
    check(
        "i=5; i=$((i+1)); echo $i; echo $((i > 3 && i < 10))",
        "6\n1\n",
        0,
    );
    check("echo $((1/0))", "sh: arithmetic syntax error\n", 1);
    check(
        "set -- a b c; echo $# $1 $3 \"$@\"; shift; echo $1",
        "3 a c a b c\nb\n",
        0,
    );
    check("echo ${UNSET:?is required}", "sh: UNSET: is required\n", 1);
}

#[test]
fn control_structures() {
    check("if true; then echo yes; else echo no; fi", "yes\n", 0);
    check(
        "if false; then echo yes; elif true; then echo elif; fi",
        "elif\n",
        0,
    );
    check("if false; then echo yes; fi; echo $?", "0\n", 0);
    check(
        "i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done",
        "0\n1\n2\n",
        0,
    );
    check(
        "i=0; until [ $i -ge 2 ]; do echo $i; i=$((i+1)); done",
        "0\n1\n",
        0,
    );
    check(
        "for i in 1 2 3; do [ $i = 2 ] && continue; echo $i; done",
        "1\n3\n",
        0,
    );
    check(
        "for i in 1 2 3; do for j in a b; do [ $j = b ] && break 2; echo $i$j; done; done; echo end",
        "1a\nend\n",
        0,
    );
    check("while true; do echo once; break; done", "once\n", 0);
    check("case hello in h*) echo h;; *) echo other;; esac", "h\n", 0);
    check("case x.log in *.txt|*.log) echo text;; esac", "text\n", 0);
    check("case zzz in a) echo a;; esac; echo $?", "0\n", 0);
    check(
        "true && echo a || echo b; false && echo c || echo d",
        "a\nd\n",
        0,
    );
    check("! false && echo negated", "negated\n", 0);
    check("{ echo a; echo b; } > /tmp/x; cat /tmp/x", "a\nb\n", 0);
    check("(X=inner; exit 3); echo $? ${X:-outer}", "3 outer\n", 0);
    check(
        "f() { echo \"f:$1\"; return 4; }; f arg; echo $?",
        "f:arg\n4\n",
        0,
    );
    check(
        "for f in /etc/host*; do echo $f; done",
        "/etc/hostname\n/etc/hosts\n",
        0,
    );
}

#[test]
fn pipes_and_redirections() {
    check("echo hello | tr a-z A-Z", "HELLO\n", 0);
    check(
        "printf 'b\\na\\nb\\n' | sort | uniq -c",
        "      1 a\n      2 b\n",
        0,
    );
    check("seq 1 5 | grep -v 3 | wc -l", "4\n", 0);
    check(
        "echo one > /tmp/f; echo two >> /tmp/f; cat /tmp/f; wc -l < /tmp/f",
        "one\ntwo\n2\n",
        0,
    );
    check("cat /nope 2>/dev/null; echo $?", "1\n", 0);
    check(
        "cat /nope 2>&1 | head -n 1",
        "cat: can't open '/nope': No such file or directory\n",
        0,
    );
    check("echo err >&2", "err\n", 0);
    check(
        "echo x > /nodir/f",
        "sh: can't create /nodir/f: nonexistent directory\n",
        1,
    );
    check(
        "while read line; do echo \"got $line\"; done < /etc/hostname",
        "got box\n",
        0,
    );
    check("cat <<EOF\nhost $HOSTNAME\nEOF", "host box\n", 0);
    check("cat <<'EOF'\nhost $HOSTNAME\nEOF", "host $HOSTNAME\n", 0);
    check("echo a b c | cut -d ' ' -f 2", "b\n", 0);
    check(
        "echo hello | tee /tmp/t > /dev/null; cat /tmp/t",
        "hello\n",
        0,
    );
}

#[test]
fn files_and_tools() {
    check(
        "touch /tmp/healthy; [ -f /tmp/healthy ] && echo file; rm /tmp/healthy; [ -e /tmp/healthy ] || echo gone",
        "file\ngone\n",
        0,
    );
    check("mkdir -p /data/a/b && ls /data; ls /data/a", "a\nb\n", 0);
    check(
        "mkdir /tmp",
        "mkdir: can't create directory '/tmp': File exists\n",
        1,
    );
    check_in(
        "ubuntu",
        "mkdir /tmp",
        "mkdir: cannot create directory '/tmp': File exists\n",
        1,
    );
    check(
        "rm /nope",
        "rm: can't remove '/nope': No such file or directory\n",
        1,
    );
    check("rm -f /nope; echo ok", "ok\n", 0);
    check("rm /tmp", "rm: '/tmp' is a directory\n", 1);
    check(
        "echo data > /tmp/a; cp /tmp/a /tmp/b; mv /tmp/b /tmp/c; cat /tmp/c; ls /tmp",
        "data\na\nc\n",
        0,
    );
    check("cd /etc; pwd; cat hostname", "/etc\nbox\n", 0);
    check("ls /nope", "ls: /nope: No such file or directory\n", 1);
    check_in(
        "ubuntu",
        "ls /nope",
        "ls: cannot access '/nope': No such file or directory\n",
        2,
    );
    check(
        "seq 3; seq 2 4 | head -n 2; seq 10 | tail -n 2",
        "1\n2\n3\n2\n3\n9\n10\n",
        0,
    );
    check(
        "printf 'a1\\nb2\\nA3\\n' | grep -i a; echo x | grep -q y; echo $?",
        "a1\nA3\n1\n",
        0,
    );
    check(
        "printf 'x INFO\\ny WARN\\n' | grep -E 'INFO|ERROR' | grep -c INFO",
        "1\n",
        0,
    );
    check("expr 2 + 3; expr 7 / 2; expr 1 = 2", "5\n3\n0\n", 1);
    check("echo hello | wc -c; echo a b | wc -w", "6\n2\n", 0);
    check(
        "basename /var/log/app.log .log; dirname /var/log/app.log",
        "app\n/var/log\n",
        0,
    );
    check(
        "hostname; hostname -i; whoami; id",
        "box\n10.244.1.5\nroot\nuid=0(root) gid=0(root) groups=0(root),10(wheel)\n",
        0,
    );
    check(
        "cat /etc/resolv.conf",
        "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
        0,
    );
    // busybox images have no /etc/os-release.
    check(
        "head -n 1 /etc/os-release",
        "head: /etc/os-release: No such file or directory\n",
        1,
    );
    check_in(
        "ubuntu:22.04",
        "cat /etc/os-release",
        "PRETTY_NAME=\"Ubuntu 22.04.5 LTS\"\n",
        0,
    );
}

#[test]
fn test_builtin() {
    check(
        "[ 1 -eq 1 ] && [ 2 -ne 1 ] && [ 1 -lt 2 ] && [ 2 -gt 1 ] && [ 1 -le 1 ] && [ 1 -ge 1 ] && echo ok",
        "ok\n",
        0,
    );
    check(
        "[ -z '' ] && [ -n x ] && [ a = a ] && [ a != b ] && test -d /tmp && echo ok",
        "ok\n",
        0,
    );
    check("[ 1 -eq 1", "sh: [: missing ]\n", 2);
    check("[ abc -eq 1 ]", "sh: abc: bad number\n", 2);
    check_in(
        "ubuntu",
        "[ abc -eq 1 ]",
        "sh: 1: [: Illegal number: abc\n",
        2,
    );
    check(
        "[ ! -f /nope ] && [ -f /etc/hosts -a -d /etc ] && echo ok",
        "ok\n",
        0,
    );
}

#[test]
fn time_and_sleep() {
    let (out, code, now) = run("busybox", "date; sleep 61; date; sleep 1.5; date +%s");
    assert_eq!(
        out,
        "Thu Jan  1 00:00:00 UTC 2026\nThu Jan  1 00:01:01 UTC 2026\n1767225662\n"
    );
    assert_eq!((code, now), (0, 62_500));
    check("sleep abc", "sleep: invalid number 'abc'\n", 1);
    check_in(
        "ubuntu",
        "sleep abc",
        "sleep: invalid time interval 'abc'\nTry 'sleep --help' for more information.\n",
        1,
    );
    let (out, _, now) = run(
        "busybox",
        "for i in 1 2 3; do echo \"tick $i $(date +%T)\"; sleep 2; done",
    );
    assert_eq!(out, "tick 1 00:00:00\ntick 2 00:00:02\ntick 3 00:00:04\n");
    assert_eq!(now, 6_000);
    // A sleep inside a substitution and a pipeline suspends too.
    let (out, _, now) = run(
        "busybox",
        "x=$(sleep 5; echo late); echo $x; sleep 1 | cat; echo done",
    );
    assert_eq!((out.as_str(), now), ("late\ndone\n", 6_000));
}

#[test]
fn exit_codes_and_errors() {
    check("exit 3", "", 3);
    check("exit 256", "", 0);
    check("false", "", 1);
    check("nosuch arg", "sh: nosuch: not found\n", 127);
    check_in("ubuntu", "nosuch", "sh: 1: nosuch: not found\n", 127);
    check("wget", "wget: missing URL\n", 1);
    check_in("ubuntu", "wget http://x", "sh: 1: wget: not found\n", 127);
    check(
        "if true; then",
        "sh: syntax error: unexpected end of file (expecting \"fi\")\n",
        2,
    );
    check(
        "echo 'open",
        "sh: syntax error: unterminated quoted string\n",
        2,
    );
    check_in(
        "ubuntu",
        "done",
        "sh: 1: Syntax error: \"done\" unexpected\n",
        2,
    );
    check("set -e; false; echo unreachable", "", 1);
    check(
        "set -e; false || echo handled; if false; then :; fi; echo reached",
        "handled\nreached\n",
        0,
    );
    check(
        "trap 'echo cleanup' EXIT; echo main; exit 4",
        "main\ncleanup\n",
        4,
    );
}

#[test]
fn kill_and_jobs() {
    check(
        "sleep 100 & echo started $!; kill $!; wait; echo $?",
        "started 7\n143\n",
        0,
    );
    check("kill -9 $$; echo never", "", 137);
    check(
        "kill 12345",
        "sh: kill: can't kill pid 12345: No such process\n",
        1,
    );
    let (out, code, now) = run("busybox", "sleep 3 & sleep 5 & wait; echo all done");
    assert_eq!((out.as_str(), code, now), ("all done\n", 0, 5_000));
}

#[test]
fn bash_only_where_installed() {
    check_in("ubuntu", "bash -c 'echo in bash'", "in bash\n", 0);
    check("bash -c 'echo x'", "sh: bash: not found\n", 127);
    check("env | grep GREETING", "GREETING=hello world\n", 0);
    check(
        "export NEW=1; env | grep NEW; printenv NEW",
        "NEW=1\n1\n",
        0,
    );
}

#[test]
fn sed_addresses_ranges_and_in_place_edits() {
    let setup = "printf '# c\\nname=web\\nport=80\\n' > /tmp/app.conf; ";
    check(
        &format!("{setup}sed -n '2,3p' /tmp/app.conf"),
        "name=web\nport=80\n",
        0,
    );
    check(
        &format!("{setup}sed '/^#/d; s/=/: /' /tmp/app.conf"),
        "name: web\nport: 80\n",
        0,
    );
    check(
        &format!(
            "{setup}sed -i.bak '1d' /tmp/app.conf && cat /tmp/app.conf /tmp/app.conf.bak | wc -l"
        ),
        "5\n",
        0,
    );
    check("printf 'a\\nb\\nc\\n' | sed -n '$p'", "c\n", 0);
    check_in("ubuntu", "seq 5 | sed '2,4d'", "1\n5\n", 0);
    check(
        "echo x | sed 'k'",
        "sed: -e expression #1, char 1: unknown command: `k'\n",
        1,
    );
    check(
        "sed 1p /nope",
        "sed: can't read /nope: No such file or directory\n",
        2,
    );
}
