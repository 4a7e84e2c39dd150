//! The kubelet's adapter to container processes: start a container's command, run it in
//! virtual time (it suspends on `sleep`), signal it, exec one-off commands (exec probes,
//! `kubectl exec`), answer HTTP/TCP probes.
//!
//! The real interpreter lives in the `tidepool-container` crate. Until that crate is merged this
//! adapter runs straight-line `sh -c` scripts of simple commands (`touch`, `rm`, `sleep`,
//! `echo`, `exit`, `true`, `false`, `cat`), server images that run until stopped, and
//! `stress --vm-bytes`; loops are not supported here.

use crate::clock::VirtualTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// A container's private files (what probes and `kubectl exec` see).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerFs {
    files: BTreeMap<String, String>,
}

impl ContainerFs {
    pub fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }
    pub fn read(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }
    pub fn write(&mut self, path: &str, text: &str) {
        self.files.insert(path.to_owned(), text.to_owned());
    }
    pub fn remove(&mut self, path: &str) -> bool {
        self.files.remove(path).is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Step {
    Sleep(u64),
    Touch(String),
    Rm(String),
    Echo(String),
    Cat(String),
    Exit(i32),
    Status(i32),
    Alloc(u64),
    NotFound(String),
    /// Runs until signalled (servers, `sleep infinity`).
    Forever,
}

/// How a server image reacts to SIGTERM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Pid1 {
    /// A shell as PID 1: ignores SIGTERM (no trap), dies on SIGKILL.
    Shell,
    /// A server: exits 0 soon after SIGTERM.
    Server,
}

/// How long a server takes to shut down after SIGTERM.
const SERVER_STOP_MS: u64 = 700;

/// What a process is doing after a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessState {
    Running { wake_at: Option<VirtualTime> },
    Exited(i32),
}

/// One container's main process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    steps: Vec<Step>,
    pc: usize,
    status: i32,
    wake_at: Option<VirtualTime>,
    pid1: Pid1,
    memory_bytes: u64,
    /// Ports a server listens on.
    pub ports: Vec<u16>,
    terminated: Option<i32>,
    /// A server that got SIGTERM exits 0 at this time (a graceful shutdown takes a moment).
    stop_at: Option<VirtualTime>,
}

/// Images that run a server by default, with their ports and start-up log lines.
fn server_image(full: &str) -> Option<(&'static [u16], &'static [&'static str])> {
    let repo = full.rsplit_once(':').map_or(full, |(r, _)| r);
    let repo = repo.split('@').next().unwrap_or(repo);
    Some(match repo {
        "docker.io/library/nginx" => (&[80][..], NGINX_START),
        "docker.io/library/httpd" | "registry.k8s.io/nginx-slim" => (&[80][..], &[][..]),
        "registry.k8s.io/echoserver" => (&[8080][..], &[][..]),
        "docker.io/library/redis" => (&[6379][..], &[][..]),
        "gcr.io/google-samples/kubernetes-bootcamp" => (
            &[8080][..],
            &["Kubernetes Bootcamp App Started At: 2026-01-01T00:00:00.000Z | Running On:  "][..],
        ),
        "registry.k8s.io/e2e-test-images/agnhost" => (&[8080][..], &[][..]),
        "docker.io/library/postgres" => (&[5432][..], &[][..]),
        "docker.io/library/mysql" => (&[3306][..], &[][..]),
        "docker.io/library/memcached" => (&[11211][..], &[][..]),
        "registry.k8s.io/etcd" => (&[2379, 2380][..], &[][..]),
        "registry.k8s.io/kube-apiserver" => (&[6443][..], &[][..]),
        "registry.k8s.io/kube-controller-manager" => (&[10257][..], &[][..]),
        "registry.k8s.io/kube-scheduler" => (&[10259][..], &[][..]),
        "registry.k8s.io/kube-proxy" => (&[10256][..], &[][..]),
        "registry.k8s.io/coredns/coredns" => (&[53, 9153][..], &[][..]),
        "registry.k8s.io/pause" => (&[][..], &[][..]),
        _ => return None,
    })
}

const NGINX_START: &[&str] = &[
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
];

/// Binaries every image in the catalogue has (busybox-style userland).
const BINARIES: &[&str] = &[
    "sh", "/bin/sh", "sleep", "echo", "cat", "touch", "rm", "ls", "env", "printenv", "true",
    "false", "nslookup", "wget", "date", "hostname",
];

fn has_binary(full: &str, name: &str) -> bool {
    if BINARIES.contains(&name) {
        return true;
    }
    let bash = [
        "ubuntu", "debian", "nginx", "httpd", "python", "node", "postgres", "mysql", "redis",
    ]
    .iter()
    .any(|i| full.contains(&format!("/library/{i}:")));
    match name {
        "bash" | "/bin/bash" => bash,
        "stress" | "/usr/local/bin/stress" => full.contains("polinux/stress"),
        "nginx" => full.contains("/library/nginx:"),
        // An image has the program it is named after (`perl` in perl, `python` in python).
        _ if full
            .rsplit('/')
            .next()
            .and_then(|l| l.split([':', '@']).next())
            .is_some_and(|repo| name.rsplit('/').next().is_some_and(|b| b.starts_with(repo))) =>
        {
            true
        }
        _ => server_image(full).is_some() && name.starts_with('/'),
    }
}

fn unquote(word: &str) -> String {
    word.trim_matches(|c| c == '"' || c == '\'').to_owned()
}

fn parse_bytes(text: &str) -> u64 {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let n: u64 = digits.parse().unwrap_or(0);
    match text[digits.len()..].to_ascii_uppercase().as_str() {
        "K" => n << 10,
        "M" => n << 20,
        "G" => n << 30,
        _ => n,
    }
}

fn parse_script(script: &str, full: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for stmt in script
        .split(['\n', ';'])
        .flat_map(|s| s.split("&&"))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let words: Vec<&str> = stmt.split_whitespace().collect();
        let Some(first) = words.first() else {
            continue;
        };
        let arg = |i: usize| words.get(i).map(|w| unquote(w)).unwrap_or_default();
        let last = words.last().map(|w| unquote(w)).unwrap_or_default();
        steps.push(match *first {
            "sleep" => match arg(1).as_str() {
                "infinity" => Step::Forever,
                n => Step::Sleep((n.parse::<f64>().unwrap_or(0.0).max(0.0) * 1000.0) as u64),
            },
            "touch" => Step::Touch(arg(1)),
            "rm" => Step::Rm(last),
            "echo" => Step::Echo(
                words[1..]
                    .iter()
                    .map(|w| unquote(w))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "cat" => Step::Cat(arg(1)),
            "exit" => Step::Exit(arg(1).parse().unwrap_or(0)),
            "true" | ":" => Step::Status(0),
            "false" => Step::Status(1),
            w if has_binary(full, w) => Step::Status(0),
            w => Step::NotFound(w.to_owned()),
        });
    }
    steps
}

impl Process {
    /// Starts a container's process as the runtime would: `command` replaces the ENTRYPOINT,
    /// `args` the CMD. Errors carry the runtime's text for a missing executable.
    pub fn start(command: &[String], args: &[String], full_image: &str) -> Result<Self, String> {
        let server = server_image(full_image);
        let mut process = Process {
            steps: Vec::new(),
            pc: 0,
            status: 0,
            wake_at: None,
            pid1: Pid1::Shell,
            memory_bytes: 2 << 20,
            ports: Vec::new(),
            terminated: None,
            stop_at: None,
        };
        // Only `args` given: they go to the image's ENTRYPOINT (a server keeps serving).
        if let Some((ports, _)) = server.filter(|_| command.is_empty() && !args.is_empty()) {
            process.pid1 = Pid1::Server;
            process.ports = ports.to_vec();
            process.steps = vec![Step::Forever];
            process.memory_bytes = 8 << 20;
            return Ok(process);
        }
        let argv: Vec<String> = command.iter().chain(args.iter()).cloned().collect();
        let Some(program) = argv.first() else {
            if let Some((ports, lines)) = server {
                process.pid1 = Pid1::Server;
                process.ports = ports.to_vec();
                process.steps = lines.iter().map(|l| Step::Echo((*l).to_owned())).collect();
                process.steps.push(Step::Forever);
                process.memory_bytes = 8 << 20;
            } else if full_image.contains("polinux/stress") {
                process.steps = vec![Step::Forever];
            }
            // Shell images run `sh` with no input: it exits 0 at once.
            return Ok(process);
        };
        if !has_binary(full_image, program) {
            return Err(format!(
                "exec: \"{program}\": executable file not found in $PATH"
            ));
        }
        let base = program.rsplit('/').next().unwrap_or(program);
        match base {
            "sh" | "bash" => {
                let script = argv
                    .iter()
                    .skip(1)
                    .find(|a| !a.starts_with('-'))
                    .cloned()
                    .unwrap_or_default();
                process.steps = parse_script(&script, full_image);
            }
            "stress" => {
                let bytes = argv
                    .iter()
                    .position(|a| a == "--vm-bytes")
                    .and_then(|i| argv.get(i + 1))
                    .map_or(256 << 20, |b| parse_bytes(b));
                process.steps = vec![Step::Alloc(bytes), Step::Forever];
            }
            _ if server.is_some() => {
                process.pid1 = Pid1::Server;
                process.ports = server.map(|s| s.0.to_vec()).unwrap_or_default();
                process.steps = vec![Step::Forever];
            }
            _ => {
                process.steps = parse_script(&argv.join(" "), full_image);
            }
        }
        Ok(process)
    }

    /// Memory the process holds (for OOM decisions and `kubectl top`).
    pub fn memory_bytes(&self) -> u64 {
        self.memory_bytes
    }

    /// Runs until the process blocks or exits. Output lines go to `out`.
    pub fn run(
        &mut self,
        fs: &mut ContainerFs,
        now: VirtualTime,
        out: &mut Vec<String>,
    ) -> ProcessState {
        if let Some(code) = self.terminated {
            return ProcessState::Exited(code);
        }
        if let Some(at) = self.stop_at {
            if now >= at {
                self.terminated = Some(0);
                return ProcessState::Exited(0);
            }
            return ProcessState::Running { wake_at: Some(at) };
        }
        if let Some(at) = self.wake_at {
            if now < at {
                return ProcessState::Running { wake_at: Some(at) };
            }
            self.wake_at = None;
            self.pc += 1;
        }
        while let Some(step) = self.steps.get(self.pc).cloned() {
            match step {
                Step::Sleep(ms) => {
                    let at = now.saturating_add(Duration::from_millis(ms));
                    self.wake_at = Some(at);
                    return ProcessState::Running { wake_at: Some(at) };
                }
                Step::Forever => return ProcessState::Running { wake_at: None },
                Step::Touch(p) => {
                    if !fs.exists(&p) {
                        fs.write(&p, "");
                    }
                    self.status = 0;
                }
                Step::Rm(p) => {
                    fs.remove(&p);
                    self.status = 0;
                }
                Step::Echo(t) => {
                    out.push(t);
                    self.status = 0;
                }
                Step::Cat(p) => match fs.read(&p) {
                    Some(text) => {
                        out.extend(text.lines().map(str::to_owned));
                        self.status = 0;
                    }
                    None => {
                        out.push(format!("cat: can't open '{p}': No such file or directory"));
                        self.status = 1;
                    }
                },
                Step::Exit(code) => {
                    self.terminated = Some(code);
                    return ProcessState::Exited(code);
                }
                Step::Status(code) => self.status = code,
                Step::Alloc(bytes) => self.memory_bytes += bytes,
                Step::NotFound(name) => {
                    out.push(format!("sh: {name}: not found"));
                    self.status = 127;
                }
            }
            self.pc += 1;
        }
        self.terminated = Some(self.status);
        ProcessState::Exited(self.status)
    }

    /// Delivers SIGTERM at `now`: a server shuts down gracefully within a second (exit 0); a
    /// shell as PID 1 ignores it and waits for SIGKILL.
    pub fn sigterm(&mut self, now: VirtualTime) {
        if self.pid1 == Pid1::Server && self.terminated.is_none() {
            self.stop_at = Some(now.saturating_add(Duration::from_millis(SERVER_STOP_MS)));
        }
    }
}

/// The result of a one-off command in a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    pub stdout: String,
    pub code: i32,
}

/// Runs a one-off command in a container (exec probes, `kubectl exec`). Err is the OCI
/// runtime's text for a missing executable.
pub fn exec(
    fs: &mut ContainerFs,
    full_image: &str,
    argv: &[String],
    env: &[(String, String)],
    now: VirtualTime,
) -> Result<ExecOutput, String> {
    let Some(program) = argv.first() else {
        return Ok(ExecOutput {
            stdout: String::new(),
            code: 0,
        });
    };
    if !has_binary(full_image, program) {
        return Err(format!(
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \"{program}\": executable file not found in $PATH: unknown"
        ));
    }
    let base = program.rsplit('/').next().unwrap_or(program);
    if matches!(base, "env" | "printenv") {
        let stdout: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        return Ok(ExecOutput { stdout, code: 0 });
    }
    let mut process = Process::start(
        argv.get(..1).unwrap_or_default(),
        argv.get(1..).unwrap_or_default(),
        full_image,
    )
    .map_err(|e| {
        format!(
            "OCI runtime exec failed: exec failed: unable to start container process: {e}: unknown"
        )
    })?;
    if !matches!(base, "sh" | "bash") {
        process.steps = parse_script(&argv.join(" "), full_image);
    }
    let mut out = Vec::new();
    let code = match process.run(fs, now, &mut out) {
        ProcessState::Exited(code) => code,
        ProcessState::Running { .. } => 0,
    };
    let stdout: String = out.iter().map(|l| format!("{l}\n")).collect();
    Ok(ExecOutput { stdout, code })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn liveness_script_sleeps_and_removes_the_file() {
        let image = "registry.k8s.io/busybox:latest";
        let mut p = Process::start(
            &[],
            &strings(&[
                "/bin/sh",
                "-c",
                "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600",
            ]),
            image,
        )
        .unwrap();
        let mut fs = ContainerFs::default();
        let mut out = Vec::new();
        let t0 = VirtualTime::ZERO;
        assert_eq!(
            p.run(&mut fs, t0, &mut out),
            ProcessState::Running {
                wake_at: Some(VirtualTime::from_millis(30_000))
            }
        );
        assert!(fs.exists("/tmp/healthy"));
        p.run(&mut fs, VirtualTime::from_millis(30_000), &mut out);
        assert!(!fs.exists("/tmp/healthy"));
        let probe = exec(&mut fs, image, &strings(&["cat", "/tmp/healthy"]), &[], t0).unwrap();
        assert_eq!(probe.code, 1);
        assert_eq!(
            probe.stdout,
            "cat: can't open '/tmp/healthy': No such file or directory\n"
        );
    }

    #[test]
    fn missing_executables_fail_to_start() {
        let e =
            Process::start(&strings(&["foo"]), &[], "docker.io/library/busybox:1.28").unwrap_err();
        assert_eq!(e, "exec: \"foo\": executable file not found in $PATH");
        let mut fs = ContainerFs::default();
        let e = exec(
            &mut fs,
            "docker.io/library/busybox:1.28",
            &strings(&["bash"]),
            &[],
            VirtualTime::ZERO,
        )
        .unwrap_err();
        assert!(e.contains("exec: \"bash\": executable file not found in $PATH: unknown"));
    }
}
