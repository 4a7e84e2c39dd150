//! Container processes: start, run in virtual time, signals, usage, HTTP.
//!
//! [`Process::start`] resolves the argv as Kubernetes does (`command` replaces ENTRYPOINT,
//! `args` replace CMD) and picks a body: the shell interpreter for shells and busybox applets,
//! a server model for nginx/httpd/redis/bootcamp/..., or stress/pause. The kubelet then calls
//! [`Process::run`] whenever the process asked to be woken (`Running { wake_at }`) or something
//! happened to it (a signal, a write to a file it follows); each call does a bounded amount of
//! work and returns the new [`ProcessState`].

use serde::{Deserialize, Serialize};

use crate::fs::MountedFs;
use crate::host::{Host, HttpRequest, HttpResponse, Millis};
use crate::image::{Behaviour, Image};
use crate::server::ServerProc;
use crate::shell::{Flavor, Shell};

/// The exit code of a process killed by SIGKILL (128 + 9), and the OOM killer's.
pub const EXIT_KILLED: i32 = 137;
/// How long a CPU-bound process waits for its next slice (virtual ms): `run` returns
/// `Running { wake_at: Some(now + CPU_SLICE_MS) }` when the instruction budget ran out.
pub const CPU_SLICE_MS: Millis = 100;
/// Instructions a process may execute per `run` call.
pub const INSTRUCTIONS_PER_RUN: u32 = 10_000;
/// The CPU one process gets per [`CPU_SLICE_MS`] without a limit (one core: the instruction
/// budget is spent once per slice).
pub const ONE_CORE_MILLICORES: u64 = 1000;

/// The instructions a process may execute per `run` call under `limits.cpu` (millicores): the
/// CFS quota. A container limited to 200m gets 20 ms of each 100 ms period, so its budget per
/// slice is a fifth of a full core's. Never zero, so a tiny limit still makes progress.
pub fn instruction_budget(cpu_limit_millicores: Option<u64>) -> u32 {
    match cpu_limit_millicores {
        None => INSTRUCTIONS_PER_RUN,
        Some(limit) => {
            let scaled = u64::from(INSTRUCTIONS_PER_RUN) * limit / ONE_CORE_MILLICORES;
            u32::try_from(scaled.clamp(1, u64::from(INSTRUCTIONS_PER_RUN)))
                .unwrap_or(INSTRUCTIONS_PER_RUN)
        }
    }
}

/// Output bytes a process may produce per `run` call; more is dropped (logs are bounded anyway).
pub const OUTPUT_BYTES_PER_RUN: usize = 64 * 1024;

/// The container fields of a pod spec that shape its process, with `env` already resolved by the
/// kubelet (value, fieldRef, configMapKeyRef, secretKeyRef, envFrom, service links).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerSpec {
    /// `command` (replaces the image ENTRYPOINT when non-empty).
    pub command: Vec<String>,
    /// `args` (replace the image CMD when non-empty).
    pub args: Vec<String>,
    /// Resolved environment, in spec order.
    pub env: Vec<(String, String)>,
    /// `workingDir`, if set.
    pub working_dir: Option<String>,
    /// The pod's hostname (`$HOSTNAME`, `hostname`).
    pub hostname: String,
    /// `stdin: true`: an interactive shell waits for input instead of exiting at EOF.
    pub stdin: bool,
    /// `tty: true`.
    pub tty: bool,
    /// `resources.limits.cpu` in millicores: the process's CPU is throttled to it.
    #[serde(default)]
    pub cpu_limit_millicores: Option<u64>,
}

/// Signals the kubelet, `kill` and exec sessions send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Signal {
    /// SIGHUP (1).
    Hup,
    /// SIGINT (2).
    Int,
    /// SIGQUIT (3): nginx's STOPSIGNAL.
    Quit,
    /// SIGKILL (9): cannot be caught; exit code 137.
    Kill,
    /// SIGUSR1 (10).
    Usr1,
    /// SIGTERM (15): the default stop signal.
    Term,
    /// SIGWINCH (28): httpd's STOPSIGNAL (graceful stop).
    Winch,
}

impl Signal {
    /// The signal number.
    pub fn number(self) -> i32 {
        match self {
            Signal::Hup => 1,
            Signal::Int => 2,
            Signal::Quit => 3,
            Signal::Kill => 9,
            Signal::Usr1 => 10,
            Signal::Term => 15,
            Signal::Winch => 28,
        }
    }

    /// The name without `SIG` (`TERM`).
    pub fn name(self) -> &'static str {
        match self {
            Signal::Hup => "HUP",
            Signal::Int => "INT",
            Signal::Quit => "QUIT",
            Signal::Kill => "KILL",
            Signal::Usr1 => "USR1",
            Signal::Term => "TERM",
            Signal::Winch => "WINCH",
        }
    }

    /// Parses `TERM`, `SIGTERM`, `term` or a number.
    pub fn parse(text: &str) -> Option<Signal> {
        let upper = text.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        [
            Signal::Hup,
            Signal::Int,
            Signal::Quit,
            Signal::Kill,
            Signal::Usr1,
            Signal::Term,
            Signal::Winch,
        ]
        .into_iter()
        .find(|s| s.name() == name || s.number().to_string() == name)
    }

    /// Exit code of a process this signal killed (128 + n).
    pub fn exit_code(self) -> i32 {
        128 + self.number()
    }
}

/// A process's state after a `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProcessState {
    /// Still running. `wake_at: Some(t)`: call [`Process::run`] again at virtual time `t` (a
    /// sleep ends, `tail -f` polls, or the CPU budget ran out and it wants the next slice).
    /// `None`: idle until something happens to it (a signal, an HTTP request; servers and
    /// `sleep infinity` sit here).
    Running {
        /// When to run it next.
        wake_at: Option<Millis>,
    },
    /// Exited with this code (128+n when killed by signal n).
    Exited {
        /// The exit code.
        code: i32,
    },
}

/// Which stream a chunk of output went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stream {
    /// stdout.
    Stdout,
    /// stderr.
    Stderr,
}

/// Output a process produced, in order. The kubelet drains it into the container log after
/// each call (`std::mem::take(&mut out.chunks)`), stamping lines with the current time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// Chunks in the order written; adjacent writes to the same stream are merged.
    pub chunks: Vec<(Stream, String)>,
    /// Bytes accepted since the last [`Output::reset_budget`].
    pub budget_used: usize,
    /// Bytes dropped because the per-run cap was reached.
    pub dropped: usize,
}

impl Output {
    /// Appends text to a stream, up to [`OUTPUT_BYTES_PER_RUN`] per budget period.
    pub fn push(&mut self, stream: Stream, text: &str) {
        if text.is_empty() {
            return;
        }
        let room = OUTPUT_BYTES_PER_RUN.saturating_sub(self.budget_used);
        let mut take = text.len().min(room);
        while !text.is_char_boundary(take) {
            take -= 1;
        }
        self.dropped += text.len() - take;
        if take == 0 {
            return;
        }
        self.budget_used += take;
        match self.chunks.last_mut() {
            Some((last, buffer)) if *last == stream => buffer.push_str(&text[..take]),
            _ => self.chunks.push((stream, text[..take].to_string())),
        }
    }

    /// Starts a new budget period (the process does this at each `run`).
    pub fn reset_budget(&mut self) {
        self.budget_used = 0;
    }

    /// All stdout text, concatenated.
    pub fn stdout(&self) -> String {
        self.stream_text(Stream::Stdout)
    }

    /// All stderr text, concatenated.
    pub fn stderr(&self) -> String {
        self.stream_text(Stream::Stderr)
    }

    /// Everything, in order (what `kubectl logs` shows).
    pub fn combined(&self) -> String {
        self.chunks.iter().map(|(_, t)| t.as_str()).collect()
    }

    fn stream_text(&self, stream: Stream) -> String {
        self.chunks
            .iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, t)| t.as_str())
            .collect()
    }
}

/// Why a container's process could not start. The kubelet reports `reason: StartError`,
/// exit code 128, and [`StartError::runtime_message`] as the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum StartError {
    /// The executable is not in the image: `exec: "foo": executable file not found in $PATH`
    /// or `exec: "/bin/bash": stat /bin/bash: no such file or directory`.
    #[error("exec: \"{name}\": {detail}")]
    ExecutableNotFound {
        /// argv[0] as given.
        name: String,
        /// `executable file not found in $PATH` or `stat <path>: no such file or directory`.
        detail: String,
    },
    /// Neither the spec nor the image gives a command.
    #[error("no command specified")]
    NoCommand,
}

impl StartError {
    /// containerd's full text, as in the container status message and the `Failed` event
    /// (`Error: ` prefixed by the kubelet).
    pub fn runtime_message(&self) -> String {
        match self {
            StartError::NoCommand => {
                "failed to generate container spec: no command specified".to_string()
            }
            other => format!(
                "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: {other}: unknown"
            ),
        }
    }

    /// The exit code the kubelet records (128).
    pub fn exit_code(&self) -> i32 {
        128
    }
}

/// What a process is doing inside.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Body {
    /// A shell (or a busybox applet run directly, as a one-command program).
    Shell(Box<Shell>),
    /// A server image's main process.
    Server(ServerProc),
}

/// Resource use estimate for `kubectl top` and memory limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Resident memory in bytes.
    pub memory_bytes: u64,
    /// CPU in millicores averaged over the recent past.
    pub cpu_millicores: u64,
}

/// A container's main process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Process {
    image: Image,
    argv: Vec<String>,
    env: Vec<(String, String)>,
    hostname: String,
    body: Body,
    state: ProcessState,
    started_at: Millis,
    pending_signals: Vec<Signal>,
    /// Instructions used in the last run, for the CPU estimate.
    last_instructions: u32,
    /// `limits.cpu` in millicores (`None`: unlimited, one core at most).
    #[serde(default)]
    cpu_limit_millicores: Option<u64>,
    /// Where execs found their argv[0] (exec probes run one command every period, and the
    /// process's image and PATH never change). Not saved: rebuilt on the next exec.
    #[serde(skip)]
    located: Vec<(String, std::sync::Arc<str>)>,
    /// Access-log lines of requests served to commands beside it (`kubectl exec ... curl
    /// localhost`), written to its output on its next run.
    #[serde(default)]
    served_beside: Output,
}

/// Resolves ENTRYPOINT/CMD against `command`/`args` (Kubernetes' rules).
pub fn resolve_argv(spec: &ContainerSpec, image: Image) -> Vec<String> {
    let repo = image.repository();
    let owned = |s: &[&str]| s.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
    match (spec.command.is_empty(), spec.args.is_empty()) {
        (false, _) => spec.command.iter().chain(&spec.args).cloned().collect(),
        (true, false) => owned(repo.entrypoint)
            .into_iter()
            .chain(spec.args.iter().cloned())
            .collect(),
        (true, true) => owned(repo.entrypoint)
            .into_iter()
            .chain(owned(repo.cmd))
            .collect(),
    }
}

/// The environment a process starts with: the image's, `HOSTNAME`, the spec's (a spec entry
/// overrides an image entry in place), and `HOME=/root` if unset.
pub fn process_env(spec: &ContainerSpec, image: Image) -> Vec<(String, String)> {
    let mut env = image.env();
    env.insert(
        env.iter()
            .position(|(k, _)| k == "PATH")
            .map_or(0, |i| i + 1),
        ("HOSTNAME".to_string(), spec.hostname.clone()),
    );
    for (key, value) in &spec.env {
        match env.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.clone(),
            None => env.push((key.clone(), value.clone())),
        }
    }
    if !env.iter().any(|(k, _)| k == "HOME") {
        env.push(("HOME".to_string(), "/root".to_string()));
    }
    // Kept for the process's life: no spare capacity.
    env.shrink_to_fit();
    env
}

fn path_of(env: &[(String, String)]) -> &str {
    env.iter().find(|(k, _)| k == "PATH").map_or(
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        |(_, v)| v,
    )
}

/// Locates argv[0] in the image, with the runtime's error text when it is missing.
pub fn locate(image: Image, name: &str, env: &[(String, String)]) -> Result<String, StartError> {
    match image.find_executable(name, path_of(env)) {
        Some(path) => Ok(path),
        None if name.contains('/') => Err(StartError::ExecutableNotFound {
            name: name.to_string(),
            detail: format!("stat {name}: no such file or directory"),
        }),
        None => Err(StartError::ExecutableNotFound {
            name: name.to_string(),
            detail: "executable file not found in $PATH".to_string(),
        }),
    }
}

impl Process {
    /// Starts a container's main process at virtual time `now`.
    pub fn start(spec: &ContainerSpec, image: Image, now: Millis) -> Result<Process, StartError> {
        let argv = resolve_argv(spec, image);
        let env = process_env(spec, image);
        let Some(first) = argv.first() else {
            return Err(StartError::NoCommand);
        };
        let exe = locate(image, first, &env)?;
        let body = body_for(image, &exe, &argv, spec, &env)?;
        Ok(Process {
            image,
            argv,
            env,
            hostname: spec.hostname.clone(),
            body,
            state: ProcessState::Running { wake_at: Some(now) },
            started_at: now,
            pending_signals: Vec::new(),
            last_instructions: 0,
            cpu_limit_millicores: spec.cpu_limit_millicores,
            located: Vec::new(),
            served_beside: Output::default(),
        })
    }

    /// [`locate`] for an exec, remembered per argv[0].
    pub(crate) fn locate_for_exec(
        &mut self,
        name: &str,
    ) -> Result<std::sync::Arc<str>, StartError> {
        if let Some((_, path)) = self.located.iter().find(|(n, _)| n == name) {
            return Ok(std::sync::Arc::clone(path));
        }
        let path: std::sync::Arc<str> = locate(self.image, name, &self.env)?.into();
        // A few distinct commands at most (a probe's, an interactive user's); keep it bounded.
        if self.located.len() >= 8 {
            self.located.remove(0);
        }
        self.located
            .push((name.to_string(), std::sync::Arc::clone(&path)));
        Ok(path)
    }

    /// The image it runs.
    pub fn image(&self) -> Image {
        self.image
    }

    /// The argv it was started with.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }

    /// Its environment.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The pod hostname it sees.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// When it started.
    pub fn started_at(&self) -> Millis {
        self.started_at
    }

    /// The state after the last `run` (or `Running { wake_at: Some(start) }` before the first).
    pub fn state(&self) -> ProcessState {
        self.state
    }

    /// Delivers a signal. SIGKILL takes effect at once (`Exited { code: 137 }`); other signals
    /// are handled on the next [`Process::run`], which the kubelet should call right away.
    /// A shell running as PID 1 ignores TERM/INT/QUIT unless it trapped them.
    pub fn signal(&mut self, signal: Signal) {
        if matches!(self.state, ProcessState::Exited { .. }) {
            return;
        }
        if signal == Signal::Kill {
            self.state = ProcessState::Exited { code: EXIT_KILLED };
            return;
        }
        self.pending_signals.push(signal);
        if let ProcessState::Running { wake_at } = &mut self.state {
            *wake_at = Some(0);
        }
    }

    /// The process attached to the terminal (`kubectl run -it`) ended with `code`: the
    /// simulation runs that session as a copy of PID 1 (same image, files and argv), so its
    /// end is PID 1's end, and the container exits with the same status.
    pub fn end_attached(&mut self, code: i32) {
        if !matches!(self.state, ProcessState::Exited { .. }) {
            self.state = ProcessState::Exited { code };
        }
    }

    /// Runs the process until it blocks, exits, or spends its instruction budget.
    pub fn run(
        &mut self,
        fs: &mut MountedFs<'_>,
        host: &mut dyn Host,
        out: &mut Output,
    ) -> ProcessState {
        if let ProcessState::Exited { .. } = self.state {
            return self.state;
        }
        out.reset_budget();
        for (stream, text) in std::mem::take(&mut self.served_beside.chunks) {
            out.push(stream, &text);
        }
        let signals = std::mem::take(&mut self.pending_signals);
        self.state = match &mut self.body {
            Body::Shell(shell) => {
                for signal in signals {
                    shell.deliver(signal);
                }
                let budget = instruction_budget(self.cpu_limit_millicores);
                let state = shell.run(fs, host, out, budget);
                self.last_instructions = shell.last_instructions();
                match shell.take_exec_request() {
                    // The shell ran a server program in the foreground (or `exec`ed it): PID 1
                    // becomes that program.
                    Some(argv) => {
                        let mut server = ServerProc::new(self.image, &argv, &self.env);
                        let state = server.run(self.image, &self.hostname, host.now(), out);
                        self.body = Body::Server(server);
                        state
                    }
                    None => state,
                }
            }
            Body::Server(server) => {
                for signal in signals {
                    server.deliver(signal);
                }
                server.run(self.image, &self.hostname, host.now(), out)
            }
        };
        self.state
    }

    /// Whether something listens on this TCP port (tcpSocket probes, `nc -z`).
    pub fn listens_on(&self, port: u16) -> bool {
        matches!(self.state, ProcessState::Running { .. })
            && match &self.body {
                Body::Server(server) => server.listens_on(self.image, port),
                Body::Shell(_) => false,
            }
    }

    /// Answers an HTTP request on `port`, writing the server's access-log line to `out`. `None`
    /// when nothing listens there (the caller reports `Connection refused`).
    pub fn serve_http(
        &mut self,
        fs: &MountedFs<'_>,
        now: Millis,
        port: u16,
        request: &HttpRequest,
        out: &mut Output,
    ) -> Option<HttpResponse> {
        if !self.listens_on(port) {
            return None;
        }
        match &mut self.body {
            Body::Server(server) => {
                let mut response =
                    server.serve_http(self.image, &self.hostname, fs, now, port, request, out)?;
                // A CPU-bound page takes its CPU time at the speed `limits.cpu` allows.
                let speed = self
                    .cpu_limit_millicores
                    .unwrap_or(ONE_CORE_MILLICORES)
                    .clamp(1, ONE_CORE_MILLICORES);
                response.service_ms =
                    crate::server::request_cpu_ms(self.image) * ONE_CORE_MILLICORES / speed;
                Some(response)
            }
            Body::Shell(_) => None,
        }
    }

    /// Answers a request from a command running beside this process in its container; the
    /// access-log line waits for the process's next run.
    pub(crate) fn serve_beside(
        &mut self,
        fs: &MountedFs<'_>,
        now: Millis,
        port: u16,
        request: &HttpRequest,
    ) -> Option<HttpResponse> {
        let mut log = std::mem::take(&mut self.served_beside);
        let response = self.serve_http(fs, now, port, request, &mut log);
        self.served_beside = log;
        response
    }

    /// `limits.cpu` in millicores, if set.
    pub fn cpu_limit_millicores(&self) -> Option<u64> {
        self.cpu_limit_millicores
    }

    /// Memory and CPU estimate at `now`. CPU never exceeds `limits.cpu` (the CFS quota
    /// throttles it).
    pub fn usage(&self, now: Millis) -> Usage {
        let (memory_bytes, busy) = match &self.body {
            Body::Shell(shell) => (shell.memory_bytes(), self.last_instructions),
            Body::Server(server) => (server.memory_bytes(self.image), 0),
        };
        let cpu_millicores = match &self.body {
            Body::Server(server) => server.cpu_millicores(self.image, now),
            Body::Shell(_) => {
                u64::from(busy) * ONE_CORE_MILLICORES / u64::from(INSTRUCTIONS_PER_RUN).max(1)
            }
        };
        let throttled = match self.cpu_limit_millicores {
            Some(limit) => cpu_millicores.min(limit),
            None => cpu_millicores,
        };
        Usage {
            memory_bytes,
            cpu_millicores: throttled.max(1),
        }
    }
}

/// Whether a resolved executable is a shell, and which.
pub(crate) fn shell_flavor(image: Image, exe: &str) -> Option<Flavor> {
    let name = exe.rsplit('/').next().unwrap_or(exe);
    match name {
        "bash" => Some(Flavor::Bash),
        "sh" | "dash"
            if matches!(
                image.repository().toolbox,
                crate::image::Toolbox::Debian
                    | crate::image::Toolbox::DebianCurl
                    | crate::image::Toolbox::DebianFull
            ) =>
        {
            Some(Flavor::Dash)
        }
        "sh" | "ash" => Some(Flavor::Ash),
        _ => None,
    }
}

fn body_for(
    image: Image,
    exe: &str,
    argv: &[String],
    spec: &ContainerSpec,
    env: &[(String, String)],
) -> Result<Body, StartError> {
    let cwd = spec
        .working_dir
        .clone()
        .unwrap_or_else(|| image.repository().working_dir.to_string());
    if let Some(flavor) = shell_flavor(image, exe) {
        // `sh -c 'node server.js'`: a shell given one simple command execs it, so a server
        // started this way is PID 1 itself (the bootcamp image's ENTRYPOINT).
        if let Some(inner) = crate::shell::single_exec_command(argv)
            && let Ok(inner_exe) = locate(image, &inner[0], env)
            && image.repository().programs.contains(&inner_exe.as_str())
        {
            return body_for(image, &inner_exe, &inner, spec, env);
        }
        let shell = Shell::from_argv(flavor, image, argv, env, &cwd, spec.stdin);
        return Ok(Body::Shell(Box::new(shell)));
    }
    let name = exe.rsplit('/').next().unwrap_or(exe);
    if name == "docker-entrypoint.sh" && argv.len() > 1 && !argv[1].starts_with('-') {
        // The official images' entrypoints exec their arguments when they are not the server.
        let inner_exe = locate(image, &argv[1], env)?;
        return body_for(image, &inner_exe, &argv[1..], spec, env);
    }
    if image.repository().programs.contains(&exe)
        && image.repository().behaviour != Behaviour::Shell
    {
        return Ok(Body::Server(ServerProc::new(image, argv, env)));
    }
    // A busybox applet or coreutils binary run directly (`sleep 3600`, `echo hi`).
    let shell = Shell::direct(Flavor::for_image(image), image, argv, env, &cwd);
    Ok(Body::Shell(Box::new(shell)))
}
