//! `kubectl exec` and exec probes: one-off commands run to completion inside a running
//! container, and interactive sessions (`kubectl exec -it POD -- sh`).
//!
//! An exec runs in the container's process model (its image, environment, filesystem and
//! network) but does not move the virtual clock: a `sleep 2` inside an exec adds 2 s to
//! [`ExecOutput::elapsed_ms`] and the kubelet compares that with the probe's timeoutSeconds.

use crate::host::BesideMainProcess;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::fs::MountedFs;
use crate::host::{Host, Millis};
use crate::image::{Behaviour, Toolbox};
use crate::process::{Output, Process, ProcessState, StartError, locate, shell_flavor};
use crate::shell::{Flavor, Program, Shell, SyntaxError};

/// Instructions an exec may run per slice before it is charged CPU time.
const EXEC_SLICE: u32 = 10_000;

/// Limits for one exec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecLimits {
    /// Virtual time the command may take (a probe's timeoutSeconds).
    pub timeout_ms: Millis,
    /// Total instructions.
    pub max_instructions: u64,
}

impl Default for ExecLimits {
    fn default() -> Self {
        ExecLimits {
            timeout_ms: 60_000,
            max_instructions: 1_000_000,
        }
    }
}

impl ExecLimits {
    /// Limits for a probe with `timeoutSeconds`.
    pub fn probe(timeout_seconds: u32) -> ExecLimits {
        ExecLimits {
            timeout_ms: u64::from(timeout_seconds.max(1)) * 1000,
            max_instructions: 200_000,
        }
    }
}

/// What an exec printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecOutput {
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
    /// The exit code; `None` when it did not finish within the limits (timed out).
    pub exit_code: Option<i32>,
    /// Virtual time it took (its sleeps).
    pub elapsed_ms: Millis,
}

impl ExecOutput {
    /// stdout then stderr, as a probe's failure message shows them.
    pub fn combined(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// An exec that could not start; kubectl prints the message and exits 126.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ExecError {
    /// The executable is not in the image.
    #[error(
        "OCI runtime exec failed: exec failed: unable to start container process: {0}: unknown"
    )]
    NotFound(String),
    /// The container's main process is not running.
    #[error("container not running")]
    NotRunning,
}

impl ExecError {
    /// The exit code kubectl reports (`command terminated with exit code 126`).
    pub fn exit_code(&self) -> i32 {
        126
    }
}

impl From<StartError> for ExecError {
    fn from(error: StartError) -> Self {
        ExecError::NotFound(error.to_string())
    }
}

/// A command prepared once and run many times (exec probes): `sh -c` scripts are parsed here.
/// Cheap to clone: the prepared command is shared, and commands prepared from the same argv
/// share one copy (10,000 replicas of a pod template probe with the same command).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExecCommand {
    prepared: Arc<Prepared>,
}

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Prepared {
    argv: Vec<String>,
    script: Option<Result<Arc<Program>, SyntaxError>>,
    /// The argv as a one-command program, for commands run without a shell.
    direct: Arc<Program>,
    /// `sh -c 'one literal command'`: the command a shell would exec directly.
    single: Option<Vec<String>>,
}

/// Commands prepared so far, by argv: a memo of a pure function (bounded, per thread), as
/// `shell::parse_shared` is for scripts.
const PREPARED_MEMO_LIMIT: usize = 256;

thread_local! {
    static PREPARED: std::cell::RefCell<Vec<Arc<Prepared>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl ExecCommand {
    /// Prepares `argv` (`["cat", "/tmp/healthy"]`, `["sh", "-c", "..."]`).
    pub fn new(argv: &[String]) -> ExecCommand {
        let known = PREPARED.with_borrow(|memo| {
            memo.iter()
                .find(|prepared| prepared.argv == argv)
                .map(Arc::clone)
        });
        if let Some(prepared) = known {
            return ExecCommand { prepared };
        }
        let script = match argv {
            [shell, flag, script, ..] if flag == "-c" && is_shell_name(shell) => {
                Some(crate::shell::parse_shared(script))
            }
            _ => None,
        };
        let prepared = Arc::new(Prepared {
            argv: argv.to_vec(),
            script,
            direct: Arc::new(crate::shell::direct_program(argv)),
            single: crate::shell::single_exec_command(argv),
        });
        PREPARED.with_borrow_mut(|memo| {
            if memo.len() >= PREPARED_MEMO_LIMIT {
                memo.remove(0);
            }
            memo.push(Arc::clone(&prepared));
        });
        ExecCommand { prepared }
    }

    /// The argv.
    pub fn argv(&self) -> &[String] {
        &self.prepared.argv
    }
}

fn is_shell_name(argv0: &str) -> bool {
    matches!(
        argv0.rsplit('/').next(),
        Some("sh" | "bash" | "ash" | "dash")
    )
}

impl Process {
    /// Runs a one-off command in this container (exec probe, `kubectl exec POD -- CMD`).
    pub fn exec(
        &mut self,
        command: &ExecCommand,
        fs: &mut MountedFs<'_>,
        host: &mut dyn Host,
        limits: ExecLimits,
    ) -> Result<ExecOutput, ExecError> {
        if matches!(self.state(), ProcessState::Exited { .. }) {
            return Err(ExecError::NotRunning);
        }
        let argv = command.argv();
        let Some(first) = argv.first() else {
            return Err(ExecError::NotFound(
                "exec: \"\": executable file not found in $PATH".into(),
            ));
        };
        let image = self.image();
        let exe = self.locate_for_exec(first)?;
        let exe: &str = &exe;
        let cwd = image.repository().working_dir;
        let env = self.env();
        if image.repository().programs.contains(&exe)
            && image.repository().behaviour != Behaviour::Shell
        {
            return Ok(program_exec(self, argv));
        }
        if let Some(output) = cat_fast_path(self, exe, argv, fs) {
            return Ok(output);
        }
        // `sh -c 'cat FILE'`: the shell would exec cat itself, so the fast path applies too
        // (only when cat exists; otherwise the shell's own `not found` must be printed).
        if shell_flavor(image, exe).is_some()
            && let Some(inner) = &command.prepared.single
            && let Ok(inner_exe) = locate(image, &inner[0], env)
            && let Some(output) = cat_fast_path(self, &inner_exe, inner, fs)
        {
            return Ok(output);
        }
        let mut shell = match (shell_flavor(image, exe), &command.prepared.script) {
            (Some(flavor), Some(Ok(program))) => {
                let mut shell = Shell::with_program(
                    flavor,
                    &shell_display_name(exe),
                    image,
                    Arc::clone(program),
                    env,
                    cwd,
                );
                if argv.len() > 3 {
                    // `sh -c SCRIPT NAME ARGS...`: $0 and positional parameters.
                    shell = Shell::from_argv(flavor, image, argv, env, cwd, false);
                }
                shell
            }
            (Some(flavor), Some(Err(error))) => {
                return Ok(ExecOutput {
                    stderr: error.message(flavor, &shell_display_name(exe)),
                    exit_code: Some(2),
                    ..ExecOutput::default()
                });
            }
            (Some(flavor), None) => Shell::from_argv(flavor, image, argv, env, cwd, false),
            (None, _) => Shell::with_program(
                Flavor::for_image(image),
                "sh",
                image,
                Arc::clone(&command.prepared.direct),
                env,
                cwd,
            ),
        };
        shell.set_pid(exec_pid(self));
        if shell_flavor(image, exe).is_some() || exe.ends_with("/ps") {
            // Only `ps` reads the table; probes skip building it.
            shell.set_ps_table(vec![(1, self.argv().join(" "))]);
        }
        Ok(run_to_completion(self, &mut shell, fs, host, limits))
    }

    /// Starts an interactive session (`kubectl exec -it POD -- sh`).
    pub fn exec_session(&self, argv: &[String]) -> Result<ExecSession, ExecError> {
        if matches!(self.state(), ProcessState::Exited { .. }) {
            return Err(ExecError::NotRunning);
        }
        let Some(first) = argv.first() else {
            return Err(ExecError::NotFound(
                "exec: \"\": executable file not found in $PATH".into(),
            ));
        };
        let image = self.image();
        let exe = locate(image, first, self.env())?;
        let cwd = image.repository().working_dir.to_string();
        let mut shell = match shell_flavor(image, &exe) {
            Some(flavor) if argv.len() == 1 => {
                Shell::interactive(flavor, &shell_display_name(&exe), image, self.env(), &cwd)
            }
            Some(flavor) => Shell::from_argv(flavor, image, argv, self.env(), &cwd, true),
            None => Shell::direct(Flavor::for_image(image), image, argv, self.env(), &cwd),
        };
        shell.set_pid(exec_pid(self));
        shell.set_ps_table(vec![(1, self.argv().join(" "))]);
        let flavor = shell_flavor(image, &exe);
        Ok(ExecSession {
            shell,
            flavor,
            hostname: self.hostname().to_string(),
            exited: None,
        })
    }
}

/// `cat FILE...` (the most common exec probe) without building a shell: the same helper the
/// `cat` builtin uses, so output and messages are identical.
fn cat_fast_path(
    process: &Process,
    exe: &str,
    argv: &[String],
    fs: &MountedFs<'_>,
) -> Option<ExecOutput> {
    if !exe.ends_with("/cat") || argv.len() < 2 || argv[1..].iter().any(|a| a.starts_with('-')) {
        return None;
    }
    let image = process.image();
    let busybox = matches!(
        image.repository().toolbox,
        Toolbox::Busybox | Toolbox::Alpine
    );
    let cwd = image.repository().working_dir;
    let mut output = ExecOutput::default();
    let mut ok = true;
    for file in &argv[1..] {
        ok &= crate::shell::builtins::cat_file(
            fs,
            cwd,
            busybox,
            file,
            &mut output.stdout,
            &mut output.stderr,
        );
    }
    output.exit_code = Some(if ok { 0 } else { 1 });
    Some(output)
}

fn shell_display_name(exe: &str) -> String {
    exe.rsplit('/').next().unwrap_or(exe).to_string()
}

fn exec_pid(process: &Process) -> u32 {
    // Exec'd processes get PIDs after the main process's children.
    7 + (process.started_at() % 13) as u32
}

/// What the image's own programs answer to common exec invocations (`nginx -v`, `redis-cli ping`).
fn program_exec(process: &Process, argv: &[String]) -> ExecOutput {
    let image = process.image();
    let name = argv[0].rsplit('/').next().unwrap_or("");
    let args: Vec<&str> = argv.iter().skip(1).map(String::as_str).collect();
    let version = image.version();
    let (stdout, stderr, code) = match (name, args.as_slice()) {
        ("nginx", ["-v"]) => (String::new(), format!("nginx version: nginx/{version}\n"), 0),
        ("nginx", ["-t"]) => (
            String::new(),
            "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n".to_string(),
            0,
        ),
        ("nginx", ["-s", "reload"]) => (String::new(), String::new(), 0),
        ("redis-cli", ["ping"]) => ("PONG\n".to_string(), String::new(), 0),
        ("redis-cli", ["--version"] | ["-v"]) => (format!("redis-cli {version}\n"), String::new(), 0),
        ("node", ["-v"] | ["--version"]) => (format!("v{}\n", image.env().iter().find(|(k, _)| k == "NODE_VERSION").map_or(version.to_string(), |(_, v)| v.clone())), String::new(), 0),
        ("python3" | "python", ["--version"] | ["-V"]) => (format!("Python {version}\n"), String::new(), 0),
        ("python3" | "python" | "node", []) => (String::new(), String::new(), 0),
        ("httpd", ["-v"]) => (format!("Server version: Apache/{version} (Unix)\nServer built:   Nov 26 2024 00:00:00\n"), String::new(), 0),
        _ => (String::new(), format!("tidepool: `{}` is not simulated in exec\n", argv.join(" ")), 1),
    };
    ExecOutput {
        stdout,
        stderr,
        exit_code: Some(code),
        elapsed_ms: 0,
    }
}

fn run_to_completion(
    process: &mut Process,
    shell: &mut Shell,
    fs: &mut MountedFs<'_>,
    host: &mut dyn Host,
    limits: ExecLimits,
) -> ExecOutput {
    let start = host.now();
    let mut out = Output::default();
    let mut instructions: u64 = 0;
    let mut elapsed: Millis = 0;
    let exit_code = loop {
        let state = {
            let mut beside = BesideMainProcess {
                host: &mut *host,
                process: &mut *process,
            };
            shell.run(fs, &mut beside, &mut out, EXEC_SLICE)
        };
        instructions += u64::from(shell.last_instructions());
        for (pid, signal) in shell.take_outgoing_signals() {
            if pid == 1 {
                process.signal(signal);
            }
        }
        match state {
            ProcessState::Exited { code } => break Some(code),
            ProcessState::Running { wake_at: Some(t) } => {
                let now = start + elapsed;
                let step = t.saturating_sub(now).max(1);
                if elapsed.saturating_add(step) > limits.timeout_ms
                    || instructions >= limits.max_instructions
                {
                    elapsed = limits.timeout_ms.max(elapsed);
                    break None;
                }
                elapsed += step;
                shell.add_time_offset(step);
            }
            ProcessState::Running { wake_at: None } => {
                elapsed = limits.timeout_ms.max(elapsed);
                break None;
            }
        }
    };
    ExecOutput {
        stdout: out.stdout(),
        stderr: out.stderr(),
        exit_code,
        elapsed_ms: elapsed,
    }
}

/// The state of an interactive session after [`ExecSession::run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionState {
    /// Waiting for the next line: show [`ExecSession::prompt`].
    Ready,
    /// Running a command (`sleep 5`): call `run` again at `wake_at` (None: when input arrives or
    /// never).
    Busy {
        /// When to call `run` again.
        wake_at: Option<Millis>,
    },
    /// The session ended (`exit`); kubectl exits with this code
    /// (`command terminated with exit code N` when non-zero).
    Exited {
        /// Exit code.
        code: i32,
    },
}

/// An interactive `kubectl exec -it` session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExecSession {
    shell: Shell,
    flavor: Option<Flavor>,
    hostname: String,
    exited: Option<i32>,
}

impl ExecSession {
    /// The session's container shares its PID namespace with processes running `argvs`
    /// (`kubectl debug --target`, `shareProcessNamespace`): `ps` lists them first, from PID 1.
    pub fn share_process_namespace(&mut self, argvs: &[Vec<String>]) {
        self.shell
            .share_pids_with(argvs.iter().map(|argv| argv.join(" ")).collect());
    }

    /// The prompt the shell shows: busybox/alpine `/ # ` (the current directory), dash `# `,
    /// bash `root@<hostname>:/# `.
    pub fn prompt(&self) -> String {
        let cwd = self.shell.cwd();
        match self.flavor {
            Some(Flavor::Ash) => format!("{cwd} # "),
            Some(Flavor::Dash) => "# ".to_string(),
            Some(Flavor::Bash) => {
                let shown = if cwd == "/root" {
                    "~".to_string()
                } else {
                    cwd.to_string()
                };
                format!("root@{}:{shown}# ", self.hostname)
            }
            None => String::new(),
        }
    }

    /// Queues a line typed by the user.
    pub fn feed_line(&mut self, line: &str) {
        self.shell.feed_line(line);
    }

    /// Ctrl-C: an interactive shell drops its foreground command and prompts again; a command
    /// (`sh -c LOOP`) dies of SIGINT, ending the session with status 130. Call [`Self::run`]
    /// next to see the outcome.
    pub fn interrupt(&mut self) {
        self.shell.interrupt_foreground();
    }

    /// Runs what was typed until it finishes, blocks, or the budget runs out. `kill 1` from the
    /// session reaches `process`.
    pub fn run(
        &mut self,
        process: &mut Process,
        fs: &mut MountedFs<'_>,
        host: &mut dyn Host,
        out: &mut Output,
    ) -> SessionState {
        if let Some(code) = self.exited {
            return SessionState::Exited { code };
        }
        out.reset_budget();
        let state = {
            let mut beside = BesideMainProcess {
                host: &mut *host,
                process: &mut *process,
            };
            self.shell.run(fs, &mut beside, out, EXEC_SLICE)
        };
        for (pid, signal) in self.shell.take_outgoing_signals() {
            if pid == 1 {
                process.signal(signal);
            }
        }
        match state {
            ProcessState::Exited { code } => {
                self.exited = Some(code);
                SessionState::Exited { code }
            }
            ProcessState::Running { .. } if self.shell.is_waiting_for_input() => {
                SessionState::Ready
            }
            ProcessState::Running { wake_at } => SessionState::Busy { wake_at },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_with_the_same_argv_share_one_preparation_and_save_as_before() {
        let argv = ["cat".to_string(), "/tmp/healthy".to_string()];
        let one = ExecCommand::new(&argv);
        let two = ExecCommand::new(&argv);
        assert!(Arc::ptr_eq(&one.prepared, &two.prepared));
        assert_eq!(one.argv(), argv);
        let other = ExecCommand::new(&["sh".to_string(), "-c".to_string(), "true".to_string()]);
        assert!(!Arc::ptr_eq(&one.prepared, &other.prepared));
        // The saved form is the prepared command's fields, as when they were inline.
        let saved = serde_json::to_value(&one).unwrap_or_default();
        assert_eq!(saved["argv"], serde_json::json!(["cat", "/tmp/healthy"]));
        assert!(saved.get("direct").is_some() && saved.get("single").is_some());
        let restored: Option<ExecCommand> = serde_json::from_value(saved).ok();
        assert_eq!(restored.as_ref(), Some(&one));
    }
}
