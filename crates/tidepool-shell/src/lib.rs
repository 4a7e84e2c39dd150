//! The Tidepool terminal: a sans-IO, bash-like shell with a virtual filesystem and a kubectl
//! that prints what real kubectl v1.32 prints, driving a [`tidepool_core::Simulation`].
//!
//! **Architecture invariant:** this crate does no I/O. A host (the browser worker, the native
//! `tidepool` CLI, the transcript tests) hands [`Session::feed_line`] one line as typed and gets
//! back a [`Feed`]: either "need more input" (an open heredoc or quote) or the command's output
//! chunks, exit status and [`Effect`]s the host must carry out (clear the screen, open an
//! editor). Virtual time moves only through [`Session::advance`] and the `sleep` and
//! `kubectl wait` commands.
//!
//! # Editing (`vi FILE`, `kubectl edit TYPE/NAME`)
//! Both return [`Effect::OpenEditor`] with a VFS path. The host opens its editor on that
//! file's text ([`Session::read_file`]); when the editor closes it writes the text back with
//! [`Session::write_file`] (unless the learner quit without saving) and then calls
//! [`Session::editor_closed`] with the same path. For `vi` that returns `None`. For
//! `kubectl edit` (the file is `/tmp/kubectl-edit-*.yaml`, headed by kubectl's comment) it
//! returns the command's output, which may be another `OpenEditor` on the same path when the
//! edit was invalid: repeat until no `OpenEditor` comes back. Typing a new command instead
//! abandons the edit.
//!
//! # Public API
//! - [`Session`], [`SessionConfig`], [`Feed`], [`CommandOutput`], [`Stream`], [`Effect`],
//!   [`SessionState`] (`Session::save` / `Session::restore`, serialisable).
//! - [`transcript`]: the transcript format and its one checker, shared by `cargo test` and
//!   `tidepool check`.
//! - [`duration::human_duration`]: apimachinery's `HumanDuration`.
//!
//! # Code map
//! - `parse.rs`: lexer and parser (pipes, `;`, `&&`, `||`, quotes, `$VAR`, `$(...)`,
//!   redirections, heredocs). `exec.rs`: expansion, aliases, pipelines, the coreutils subset,
//!   completion. `vfs.rs`: the virtual filesystem and its seeded example manifests.
//! - `kubectl/`: flags (`mod.rs`), resource names (`resources.rs`), `get` and its printers
//!   (`get.rs`), `describe.rs`, generators and `run` (`generate.rs`), mutating commands
//!   (`apply.rs`), informational commands (`info.rs`), JSON helpers, selectors and jsonpath
//!   (`json.rs`), `cordon`/`uncordon`/`drain`/`taint` (`node.rs`), `set env`/`set resources`
//!   (`set.rs`), `wait` (`wait.rs`), `edit` (`edit.rs`). `tabwriter.rs` and `yaml.rs` reproduce Go's tabwriter and kubectl's YAML/JSON.

pub mod duration;
mod exec;
mod jobs;
pub mod kubectl;
mod net;
mod parse;
pub mod tabwriter;
pub mod terminals;
pub mod transcript;
pub mod vfs;
mod yaml;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
pub use terminals::{SavedTerminal, TerminalId, TerminalInfo};
use tidepool_core::{Simulation, SimulationConfig};

/// How a session starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionConfig {
    /// Seed of the simulation's random choices (pod suffixes, IPs, ...).
    pub seed: u64,
    /// Seed the virtual filesystem with the example manifests.
    pub example_files: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            example_files: true,
        }
    }
}

/// Which stream a chunk of output was written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Something the host must do for the command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// Clear the terminal (`clear`, Ctrl-L).
    Clear,
    /// Open the host's editor on this VFS path (`vi`, `vim`, `nano`); the host writes the
    /// result back with [`Session::write_file`].
    OpenEditor { path: String },
    /// The session ended (`exit` on the control plane); the host may close the terminal.
    Exit,
    /// `kubectl get -w`, `logs -f`, `port-forward`, `watch`: the command keeps running. The
    /// host lets virtual time pass and calls [`Session::poll_follow`] for its new output,
    /// until the learner presses Ctrl-C ([`Session::interrupt`]) or types another command,
    /// or a poll returns `None` (the command ended by itself). A `watch` frame (the first
    /// output and each poll that redraws) carries [`Effect::Clear`] too: clear, then print.
    Follow,
}

/// What one command line produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandOutput {
    /// Output in the order a terminal shows it, stdout and stderr interleaved.
    pub chunks: Vec<(Stream, String)>,
    pub exit_code: i32,
    pub effects: Vec<Effect>,
}

impl CommandOutput {
    /// All chunks concatenated, as a terminal shows them.
    pub fn text(&self) -> String {
        self.chunks.iter().map(|(_, s)| s.as_str()).collect()
    }

    /// Only what went to one stream.
    pub fn stream(&self, stream: Stream) -> String {
        self.chunks
            .iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, s)| s.as_str())
            .collect()
    }
}

/// The answer to one typed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Feed {
    /// The line opened a heredoc, a quote or a continuation: show `> ` and send the next line.
    NeedMore,
    Done(CommandOutput),
}

/// Input still being collected across several lines.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pending {
    /// The command text so far (joined with newlines).
    text: String,
    /// Heredoc delimiters still open, in order: (delimiter, strip leading tabs).
    heredocs: Vec<(String, bool)>,
    /// Bodies of heredocs already closed.
    bodies: Vec<String>,
    /// The body being collected.
    body: String,
}

/// The namespace of the kubeconfig's current context, as kubectl last resolved it (the file
/// `/root/.kube/config` is the truth; see `kubectl::kubeconfig`). Saved so that states stay
/// readable by versions before the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubeConfig {
    pub namespace: String,
}

/// Everything a session needs to resume: the files, kubectl's context, the simulation
/// snapshot and every terminal's shell (variables, aliases, history, directory, host), in tab
/// order. Serialisable, so hosts can save it (e.g. in the browser's storage) and restore it.
///
/// States saved before terminals came (one shell's `env`, `aliases`, `history`, `cwd` and
/// `host` at the top level) still read: they become one terminal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "SessionStateWire")]
pub struct SessionState {
    pub vfs: vfs::Vfs,
    pub kube: KubeConfig,
    pub simulation: tidepool_core::Snapshot,
    pub terminals: Vec<SavedTerminal>,
}

/// [`SessionState`] as read: the current layout or the one-terminal layout before it.
#[derive(Deserialize)]
struct SessionStateWire {
    vfs: vfs::Vfs,
    kube: KubeConfig,
    simulation: tidepool_core::Snapshot,
    #[serde(default)]
    terminals: Vec<SavedTerminal>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    aliases: BTreeMap<String, String>,
    #[serde(default)]
    history: Vec<String>,
    cwd: Option<String>,
    host: Option<String>,
}

impl From<SessionStateWire> for SessionState {
    fn from(wire: SessionStateWire) -> Self {
        let mut terminals = wire.terminals;
        if terminals.is_empty() {
            // The one-terminal layout, or a state with no terminal at all: a login shell
            // that keeps whatever the old layout had.
            let mut login = terminals::Shell::login("controlplane");
            if !wire.env.is_empty() {
                login.env = wire.env;
            }
            let host = wire.host.unwrap_or_else(|| login.host.clone());
            terminals.push(SavedTerminal {
                id: TerminalId::FIRST,
                // Before tabs there was one terminal, on the control plane.
                home: "controlplane".to_owned(),
                host,
                cwd: wire.cwd.unwrap_or(login.cwd),
                env: login.env,
                aliases: wire.aliases,
                history: wire.history,
            });
        }
        Self {
            vfs: wire.vfs,
            kube: wire.kube,
            simulation: wire.simulation,
            terminals,
        }
    }
}

/// The simulation, the filesystem and the terminals typing into them (see [`terminals`]).
/// The per-terminal fields below belong to the active terminal; the others are parked.
#[derive(Debug, Clone)]
pub struct Session {
    pub(crate) vfs: vfs::Vfs,
    pub(crate) terminals: terminals::Terminals,
    /// The host the active terminal was opened on (`exit` there closes the terminal).
    pub(crate) home: String,
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) aliases: BTreeMap<String, String>,
    pub(crate) history: Vec<String>,
    pub(crate) cwd: String,
    pub(crate) host: String,
    pub(crate) last_status: i32,
    /// Whether the running command's stdout is the terminal (not a pipe or a file): `ls`
    /// prints columns only then, like GNU ls.
    pub(crate) tty: bool,
    /// `$(...)` nesting depth and the stderr of substitutions, shown before the command's own.
    pub(crate) subst_depth: usize,
    pub(crate) side_stderr: Vec<String>,
    /// A running `kubectl get -w`.
    pub(crate) follow: Option<kubectl::Follow>,
    /// A running `kubectl logs -f`.
    pub(crate) log_follow: Option<kubectl::LogFollow>,
    /// A `kubectl drain` still retrying evictions.
    pub(crate) drain: Option<kubectl::DrainJob>,
    /// A foreground `kubectl port-forward`.
    pub(crate) forward: Option<kubectl::PortForward>,
    /// A running `watch`.
    pub(crate) watch: Option<exec::WatchState>,
    /// Background jobs (`COMMAND &`).
    pub(crate) jobs: jobs::Jobs,
    /// Set while a pipeline runs in the background: `port-forward` then leaves its forward in
    /// `started_forward` for the job instead of streaming.
    pub(crate) background: bool,
    pub(crate) started_forward: Option<kubectl::PortForward>,
    /// What background jobs print while a command runs (kubectl's `Handling connection`):
    /// it goes to the terminal, not into the command's pipe or redirections.
    pub(crate) job_output: Vec<String>,
    /// A running `kubectl exec -it ... -- sh`: typed lines go to the container's shell.
    pub(crate) interactive: Option<kubectl::Interactive>,
    /// A `kubectl edit` waiting for the host's editor ([`Session::editor_closed`]).
    pub(crate) edit: Option<kubectl::PendingEdit>,
    /// Names `kubectl edit`'s temporary files.
    pub(crate) edit_counter: u64,
    pub(crate) kube: KubeConfig,
    pub(crate) pending: Option<Pending>,
    pub(crate) sim: Simulation,
}

/// Upper bound of text collected for one command (continuations and heredocs).
const MAX_PENDING: usize = 4 * 1024 * 1024;

impl Session {
    /// A default 3-node cluster and a filesystem seeded with example manifests.
    pub fn new(config: &SessionConfig) -> Self {
        let sim = Simulation::new(&SimulationConfig { seed: config.seed });
        let mut session = Self::with_shell(
            vfs::Vfs::seeded(config.example_files),
            KubeConfig {
                namespace: "default".to_owned(),
            },
            sim,
            terminals::Shell::login("controlplane"),
        );
        kubectl::write_admin_kubeconfig(&mut session, "default");
        session
    }

    /// A session whose only (active) terminal is `shell`.
    fn with_shell(
        vfs: vfs::Vfs,
        kube: KubeConfig,
        sim: Simulation,
        shell: terminals::Shell,
    ) -> Self {
        let terminals::Shell {
            env,
            aliases,
            history,
            cwd,
            host,
            home,
            last_status,
            tty,
            subst_depth,
            side_stderr,
            follow,
            log_follow,
            drain,
            forward,
            watch,
            jobs,
            background,
            started_forward,
            job_output,
            interactive,
            edit,
            pending,
        } = shell;
        Self {
            vfs,
            terminals: terminals::Terminals::one(TerminalId::FIRST),
            home,
            env,
            aliases,
            history,
            cwd,
            host,
            last_status,
            tty,
            subst_depth,
            side_stderr,
            follow,
            log_follow,
            drain,
            forward,
            watch,
            jobs,
            background,
            started_forward,
            job_output,
            interactive,
            edit,
            edit_counter: 0,
            kube,
            pending,
            sim,
        }
    }

    /// `controlplane $ `, `node01 $ ` in a node shell, `> ` while input is open, the
    /// container shell's (`/ # `) during `kubectl exec -it`.
    pub fn prompt(&self) -> String {
        if let Some(it) = &self.interactive {
            it.prompt()
        } else if self.pending.is_some() {
            "> ".to_owned()
        } else {
            format!("{} $ ", self.host)
        }
    }

    /// Feeds one line as typed.
    pub fn feed_line(&mut self, line: &str) -> Feed {
        self.stop_streams();
        // A new command abandons a `kubectl edit` whose editor never reported back.
        self.edit = None;
        let line = line.trim_end_matches(['\n', '\r']);
        if self.interactive.is_some() {
            let res = kubectl::interactive_line(self, line);
            self.last_status = res.code;
            return Feed::Done(CommandOutput {
                chunks: res.chunks,
                exit_code: res.code,
                effects: res.effects,
            });
        }
        if let Some(mut pending) = self.pending.take() {
            if let Some((delim, strip)) = pending.heredocs.first().cloned() {
                let body_line = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if body_line == delim {
                    let body = std::mem::take(&mut pending.body);
                    pending.bodies.push(body);
                    pending.heredocs.remove(0);
                    if pending.heredocs.is_empty() {
                        return Feed::Done(self.run_text(&pending.text, pending.bodies));
                    }
                } else {
                    if pending.body.len() + body_line.len() > MAX_PENDING {
                        return Feed::Done(exec::error_output(
                            "bash: here-document too large\n",
                            1,
                        ));
                    }
                    pending.body.push_str(body_line);
                    pending.body.push('\n');
                }
                self.pending = Some(pending);
                return Feed::NeedMore;
            }
            let mut text = pending.text;
            if text.ends_with('\\') {
                text.pop();
            } else {
                text.push('\n');
            }
            if text.len() + line.len() > MAX_PENDING {
                return Feed::Done(exec::error_output("bash: input line too long\n", 2));
            }
            text.push_str(line);
            return self.start(text);
        }
        // `!!` history expansion happens before anything else, and bash echoes the result.
        let mut echoed = None;
        let mut text = line.to_owned();
        if !bang_bang_positions(&text).is_empty() {
            match self.history.last() {
                Some(last) => {
                    text = expand_bang_bang(&text, last);
                    echoed = Some(text.clone());
                }
                None => {
                    return Feed::Done(exec::error_output("bash: !!: event not found\n", 1));
                }
            }
        }
        if !text.trim().is_empty() {
            self.history.push(text.clone());
        }
        match self.start(text) {
            Feed::Done(mut out) => {
                if let Some(e) = echoed {
                    out.chunks.insert(0, (Stream::Stdout, format!("{e}\n")));
                }
                Feed::Done(out)
            }
            Feed::NeedMore => Feed::NeedMore,
        }
    }

    fn start(&mut self, text: String) -> Feed {
        match parse::scan(&text) {
            parse::Scan::Incomplete => {
                self.pending = Some(Pending {
                    text,
                    ..Pending::default()
                });
                Feed::NeedMore
            }
            parse::Scan::Heredocs(heredocs) if !heredocs.is_empty() => {
                self.pending = Some(Pending {
                    text,
                    heredocs,
                    ..Pending::default()
                });
                Feed::NeedMore
            }
            parse::Scan::Heredocs(_) => Feed::Done(self.run_text(&text, Vec::new())),
        }
    }

    fn run_text(&mut self, text: &str, bodies: Vec<String>) -> CommandOutput {
        // /etc/kubernetes/manifests is the current node's folder in the simulation: show it
        // before the line runs, hand what the line wrote back to that node's kubelet after.
        let host = self.host.clone();
        self.load_manifests(&host);
        // Background jobs that ended meanwhile print now; bash's notices follow the line.
        let job_errors = jobs::check(self);
        jobs::arm_notices(self);
        let mut out = match parse::parse(text, bodies) {
            Ok(list) => exec::run_list(self, &list, text),
            Err(message) => exec::error_output(&format!("bash: {message}\n"), 2),
        };
        // `<(command)` files last as long as the line that read them.
        if self.subst_depth == 0 {
            self.vfs.remove(exec::PROC_SUBST_DIR);
        }
        if !job_errors.is_empty() {
            out.chunks.insert(0, (Stream::Stderr, job_errors));
        }
        // Jobs that ended while the line ran (a `sleep` it waited out, a deleted pod) are
        // reported before the next prompt, as bash does.
        let ended = jobs::check(self);
        if !ended.is_empty() {
            out.chunks.push((Stream::Stderr, ended));
        }
        let notices = jobs::notices(self);
        if !notices.is_empty() {
            out.chunks.push((Stream::Stderr, notices));
        }
        self.store_manifests(&host);
        self.last_status = out.exit_code;
        out
    }

    /// Ends the foreground stream, if any (a new line, Ctrl-C).
    fn stop_streams(&mut self) {
        self.follow = None;
        self.log_follow = None;
        self.drain = None;
        self.forward = None;
        self.watch = None;
    }

    fn load_manifests(&mut self, host: &str) {
        let dir = tidepool_core::kubelet::static_pods::MANIFEST_DIR;
        self.vfs.remove(dir);
        let _ = self.vfs.mkdir(dir, true);
        for (file, text) in self.sim.manifests(host) {
            let _ = self.vfs.write(&format!("{dir}/{file}"), &text, false);
        }
    }

    fn store_manifests(&mut self, host: &str) {
        let dir = tidepool_core::kubelet::static_pods::MANIFEST_DIR;
        let prefix = format!("{dir}/");
        let now: Vec<(String, String)> = self
            .vfs
            .files_under(dir)
            .into_iter()
            .filter_map(|path| {
                let name = path.strip_prefix(&prefix)?.to_owned();
                // Only files directly in the folder count, as for the kubelet.
                (!name.contains('/')).then(|| {
                    let text = self.vfs.read(&path).unwrap_or_default();
                    (name, text)
                })
            })
            .collect();
        for (file, _) in self.sim.manifests(host) {
            if !now.iter().any(|(n, _)| *n == file) {
                self.sim.remove_manifest(host, &file);
            }
        }
        for (file, text) in now {
            self.sim.write_manifest(host, &file, &text);
        }
    }

    /// Runs a whole command line (heredoc bodies included) and returns its output: for tests
    /// and scripts. Lines that need more input are joined until complete.
    pub fn run_script(&mut self, script: &str) -> Vec<CommandOutput> {
        let mut outs = Vec::new();
        for line in script.lines() {
            if let Feed::Done(out) = self.feed_line(line) {
                outs.push(out);
            }
        }
        outs
    }

    /// The session's state, for saving: every terminal (an open heredoc or continuation, a
    /// running stream and background jobs are dropped).
    pub fn save(&mut self) -> SessionState {
        SessionState {
            vfs: self.vfs.clone(),
            // The kubeconfig file is the truth; the namespace is saved beside it so that an
            // older version (which has no file) restores the same default namespace.
            kube: KubeConfig {
                namespace: kubectl::kubeconfig_namespace(self),
            },
            simulation: self.sim.snapshot(),
            terminals: self.saved_terminals(),
        }
    }

    /// A session resumed from [`Session::save`]'s state; its first terminal is active.
    pub fn restore(state: &SessionState) -> Result<Self, tidepool_core::SnapshotError> {
        let mut session = Self::with_shell(
            state.vfs.clone(),
            state.kube.clone(),
            Simulation::restore(&state.simulation)?,
            terminals::Shell::login("controlplane"),
        );
        session.resume_terminals(state.terminals.clone());
        // States saved before the kubeconfig was a file: write it, with the saved namespace.
        if !session.vfs.exists(kubectl::KUBECONFIG_PATH) {
            kubectl::write_admin_kubeconfig(&mut session, &state.kube.namespace);
        }
        Ok(session)
    }

    /// Output of a running `kubectl get -w`, `logs -f`, `port-forward` or `watch` since the
    /// last call (`None` when nothing runs). `logs -f` ends by itself when the followed
    /// containers stop, `port-forward` when its pod goes away: that poll returns the last
    /// output, and the next one `None` (the host shows the prompt again). A `watch` redraws
    /// once per interval of virtual time: that poll has [`Effect::Clear`] and the new frame.
    pub fn poll_follow(&mut self) -> Option<CommandOutput> {
        let res = if let Some(res) = exec::poll_watch(self) {
            res
        } else if let Some(forward) = &self.forward {
            if forward.pod_alive(self) {
                // Connections from other terminals print `Handling connection for PORT` here.
                let mut res = exec::Res::ok();
                res.chunks = self
                    .job_output
                    .drain(..)
                    .map(|t| (Stream::Stdout, t))
                    .collect();
                res
            } else {
                self.forward = None;
                exec::Res::err(kubectl::LOST_CONNECTION, 1)
            }
        } else if let Some(res) = kubectl::poll_logs(self) {
            res
        } else if let Some(res) = kubectl::poll_drain(self) {
            res
        } else {
            kubectl::poll(self)?
        };
        Some(CommandOutput {
            chunks: res.chunks,
            exit_code: res.code,
            effects: res.effects,
        })
    }

    /// Ctrl-C: stops a running `kubectl get -w`, `logs -f`, `port-forward` or `watch` and
    /// drops any half-typed heredoc or quote; inside `kubectl exec -it` or `run -it` it
    /// reaches the container's shell instead.
    pub fn interrupt(&mut self) -> CommandOutput {
        if let Some(res) = kubectl::interactive_interrupt(self) {
            self.last_status = res.code;
            return CommandOutput {
                chunks: res.chunks,
                exit_code: res.code,
                effects: res.effects,
            };
        }
        self.stop_streams();
        self.pending = None;
        self.last_status = 130;
        CommandOutput {
            chunks: Vec::new(),
            exit_code: 130,
            effects: Vec::new(),
        }
    }

    /// Tab-completion candidates for `line` with the cursor at byte `cursor`.
    pub fn complete(&self, line: &str, cursor: usize) -> Vec<String> {
        exec::complete(self, line, cursor)
    }

    /// The host's clock ticked (virtual time).
    pub fn advance(&mut self, by: Duration) {
        self.sim.advance(by);
    }

    pub fn simulation(&self) -> &Simulation {
        &self.sim
    }

    pub fn simulation_mut(&mut self) -> &mut Simulation {
        &mut self.sim
    }

    /// Reads a VFS file (absolute or relative to the working directory).
    pub fn read_file(&self, path: &str) -> Option<String> {
        self.vfs.read(&vfs::resolve(&self.cwd, path)).ok()
    }

    /// Writes a VFS file, e.g. after the host's editor saved it.
    pub fn write_file(&mut self, path: &str, contents: &str) -> Result<(), String> {
        let path = vfs::resolve(&self.cwd, path);
        let host = self.host.clone();
        self.load_manifests(&host);
        let written = self.vfs.write(&path, contents, false);
        self.store_manifests(&host);
        written
    }

    /// The host's editor, opened by [`Effect::OpenEditor`], has closed and its text is back in
    /// the VFS ([`Session::write_file`]). For `vi`/`nano` there is nothing more to do (`None`).
    /// For `kubectl edit` the shell now applies the file and returns the command's output:
    /// `deployment.apps/web edited`, `Edit cancelled, no changes made.`, or, when the object
    /// is invalid, another [`Effect::OpenEditor`] on the same file, which now starts with
    /// kubectl's error comments (the host opens the editor again and calls this again).
    pub fn editor_closed(&mut self, path: &str) -> Option<CommandOutput> {
        let path = vfs::resolve(&self.cwd, path);
        let res = kubectl::editor_closed(self, &path)?;
        self.last_status = res.code;
        Some(CommandOutput {
            chunks: res.chunks,
            exit_code: res.code,
            effects: res.effects,
        })
    }

    /// The virtual filesystem (serialisable, to save with the cluster state).
    pub fn vfs(&self) -> &vfs::Vfs {
        &self.vfs
    }
}

/// Where `!!` would be expanded by interactive bash: not inside single quotes, not after a
/// backslash (double quotes do not stop it, and a `'` inside them is literal).
fn bang_bang_positions(line: &str) -> Vec<usize> {
    let bytes = line.as_bytes();
    let (mut single, mut double) = (false, false);
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if !single => i += 1,
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'!' if !single && bytes.get(i + 1) == Some(&b'!') => {
                found.push(i);
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The line with each expandable `!!` replaced by the last history entry.
fn expand_bang_bang(line: &str, last: &str) -> String {
    let mut out = String::with_capacity(line.len() + last.len());
    let mut from = 0;
    for at in bang_bang_positions(line) {
        out.push_str(&line[from..at]);
        out.push_str(last);
        from = at + 2;
    }
    out.push_str(&line[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(feed: Feed) -> CommandOutput {
        match feed {
            Feed::Done(out) => out,
            Feed::NeedMore => CommandOutput {
                exit_code: -1,
                ..CommandOutput::default()
            },
        }
    }

    #[test]
    fn bang_bang_expands_outside_single_quotes_only() {
        let last = "ls -l";
        assert_eq!(expand_bang_bang("sudo !!", last), "sudo ls -l");
        assert_eq!(expand_bang_bang("echo '!!'", last), "echo '!!'");
        assert_eq!(expand_bang_bang("echo \"!!\"", last), "echo \"ls -l\"");
        assert_eq!(
            expand_bang_bang("echo \"it's !!\"", last),
            "echo \"it's ls -l\""
        );
        assert_eq!(expand_bang_bang("echo \\!! !!!", last), "echo \\!! ls -l!");
        assert!(bang_bang_positions("echo '!!x'").is_empty());
    }

    #[test]
    fn prompts_follow_open_input_and_hosts() {
        let mut s = Session::new(&SessionConfig::default());
        assert_eq!(s.prompt(), "controlplane $ ");
        assert_eq!(s.feed_line("cat <<EOF > a.txt"), Feed::NeedMore);
        assert_eq!(s.prompt(), "> ");
        assert_eq!(s.feed_line("hello $HOME"), Feed::NeedMore);
        assert_eq!(done(s.feed_line("EOF")).exit_code, 0);
        assert_eq!(s.read_file("a.txt").as_deref(), Some("hello /root\n"));
        assert_eq!(done(s.feed_line("ssh node01")).exit_code, 0);
        assert_eq!(s.prompt(), "node01 $ ");
    }

    #[test]
    fn logs_follow_and_interactive_exec_through_the_session_api() {
        let mut s = Session::new(&SessionConfig::default());
        done(s.feed_line(
            "kubectl run once --image=busybox --restart=Never -- sh -c 'echo a; sleep 5; echo b'",
        ));
        s.advance(Duration::from_secs(3));
        let first = done(s.feed_line("kubectl logs -f once"));
        assert_eq!(first.effects, vec![Effect::Follow]);
        assert_eq!(first.text(), "a\n");
        s.advance(Duration::from_secs(10));
        assert_eq!(s.poll_follow().map(|o| o.text()).as_deref(), Some("b\n"));
        // The container ended, so the follow did too.
        assert_eq!(s.poll_follow(), None);

        done(s.feed_line("kubectl run box --image=busybox -- sleep 3600"));
        s.advance(Duration::from_secs(20));
        let opened = done(s.feed_line("kubectl exec -it box -- sh"));
        assert_eq!(opened.exit_code, 0);
        assert_eq!(s.prompt(), "/ # ");
        // Ctrl-C inside the container shell does not leave it.
        s.interrupt();
        assert_eq!(s.prompt(), "/ # ");
        assert_eq!(done(s.feed_line("echo $((6*7))")).text(), "42\n");
        let closed = done(s.feed_line("exit 2"));
        assert_eq!(closed.exit_code, 2);
        assert_eq!(s.prompt(), "controlplane $ ");
    }

    #[test]
    fn streams_and_effects() {
        let mut s = Session::new(&SessionConfig::default());
        let out = done(s.feed_line("echo out; kubectl get pdos"));
        assert_eq!(
            out.chunks,
            vec![
                (Stream::Stdout, "out\n".to_owned()),
                (
                    Stream::Stderr,
                    "error: the server doesn't have a resource type \"pdos\"\n".to_owned()
                )
            ]
        );
        assert_eq!(out.exit_code, 1);
        assert_eq!(done(s.feed_line("clear")).effects, vec![Effect::Clear]);
        assert_eq!(
            done(s.feed_line("vim pod.yaml")).effects,
            vec![Effect::OpenEditor {
                path: "/root/pod.yaml".to_owned()
            }]
        );
        let watched = done(s.feed_line("watch -n 5 kubectl get ns default"));
        assert_eq!(
            watched.text(),
            "Every 5.0s: kubectl get ns default        controlplane: Thu Jan  1 00:00:00 2026\n\nNAME      STATUS   AGE\ndefault   Active   0s\n"
        );
        assert_eq!(watched.effects, vec![Effect::Clear, Effect::Follow]);
        // Frames come every 5 s of virtual time, each on a cleared screen.
        s.advance(Duration::from_secs(3));
        assert_eq!(s.poll_follow().map(|o| o.text()).as_deref(), Some(""));
        s.advance(Duration::from_secs(2));
        let frame = s.poll_follow().unwrap_or_default();
        assert_eq!(frame.effects, vec![Effect::Clear]);
        assert!(
            frame.text().ends_with("default   Active   5s\n"),
            "{}",
            frame.text()
        );
        s.interrupt();
        assert_eq!(s.poll_follow(), None);
        assert_eq!(done(s.feed_line("exit")).effects, vec![Effect::Exit]);
    }

    #[test]
    fn completion_knows_commands_kubectl_words_and_files() {
        let mut s = Session::new(&SessionConfig::default());
        s.feed_line("alias k=kubectl");
        assert_eq!(s.complete("kube", 4), vec!["kubectl".to_owned()]);
        assert_eq!(s.complete("k ge", 4), vec!["get".to_owned()]);
        assert!(s.complete("k get po", 8).contains(&"pods".to_owned()));
        assert_eq!(
            s.complete("kubectl get nodes node0", 23),
            vec!["node01".to_owned(), "node02".to_owned()]
        );
        assert_eq!(
            s.complete("cat my_n", 8),
            vec!["my_namespace.yaml".to_owned()]
        );
    }

    #[test]
    fn get_watch_streams_rows_until_interrupted() {
        let mut s = Session::new(&SessionConfig::default());
        s.feed_line("kubectl run web --image=nginx");
        let first = done(s.feed_line("kubectl get pods -w"));
        assert_eq!(first.effects, vec![Effect::Follow]);
        assert_eq!(
            first.text(),
            "NAME   READY   STATUS              RESTARTS   AGE\nweb    0/1     ContainerCreating   0          0s\n"
        );
        s.advance(std::time::Duration::from_secs(5));
        let more = s.poll_follow().map(|o| o.text()).unwrap_or_default();
        assert!(
            more.lines()
                .any(|l| l == "web    1/1     Running             0          5s"),
            "{more}"
        );
        s.interrupt();
        assert_eq!(s.poll_follow(), None);
    }

    #[test]
    fn save_and_restore_round_trip() {
        let mut s = Session::new(&SessionConfig::default());
        s.run_script("alias k=kubectl\necho hi > note.txt\nk run web --image=nginx\nsleep 5");
        let state = s.save();
        let json = serde_json::to_string(&state).unwrap_or_default();
        let back: Option<SessionState> = serde_json::from_str(&json).ok();
        let Some(mut r) = back.and_then(|st| Session::restore(&st).ok()) else {
            panic!("state did not round-trip");
        };
        assert_eq!(r.read_file("note.txt").as_deref(), Some("hi\n"));
        let a = done(s.feed_line("k get pods")).text();
        let b = done(r.feed_line("k get pods")).text();
        assert_eq!(a, b);
        assert!(a.contains("web"), "{a}");
    }

    #[test]
    fn the_kubeconfig_file_is_saved_and_its_namespace_kept_for_older_readers() {
        let mut s = Session::new(&SessionConfig::default());
        s.run_script(
            "kubectl create namespace dev\nkubectl config set-context --current --namespace=dev",
        );
        let state = s.save();
        assert_eq!(state.kube.namespace, "dev");
        let json = serde_json::to_string(&state).unwrap_or_default();
        assert!(json.contains(r#""kube":{"namespace":"dev"}"#), "{json}");
        let Some(mut r) = Session::restore(&state).ok() else {
            panic!("state did not restore");
        };
        let view = done(r.feed_line("kubectl config view --minify -o jsonpath='{..namespace}'"));
        assert_eq!(view.text(), "dev");
    }

    #[test]
    fn a_state_saved_before_the_kubeconfig_file_gets_one_with_its_namespace() {
        let mut s = Session::new(&SessionConfig::default());
        s.run_script("kubectl create namespace dev\nkubectl run web -n dev --image=nginx");
        let mut state = s.save();
        // What the version before the file saved: no /root/.kube/config, the namespace beside.
        state.vfs.remove(kubectl::KUBECONFIG_PATH);
        state.kube.namespace = "dev".to_owned();
        let Some(mut r) = Session::restore(&state).ok() else {
            panic!("state did not restore");
        };
        assert!(r.read_file("/root/.kube/config").is_some());
        assert_eq!(
            done(r.feed_line("kubectl get pods -o name")).text(),
            "pod/web\n"
        );
        let contexts = done(r.feed_line("kubectl config get-contexts")).text();
        assert!(
            contexts.contains(
                "*         kubernetes-admin@kubernetes   kubernetes   kubernetes-admin   dev"
            ),
            "{contexts}"
        );
    }

    #[test]
    fn completes_config_subcommands_and_context_names() {
        let mut s = Session::new(&SessionConfig::default());
        assert_eq!(
            s.complete("kubectl config use-", 19),
            vec!["use-context".to_owned()]
        );
        s.run_script("kubectl config set-context dev --namespace=dev");
        assert_eq!(
            s.complete("kubectl config use-context d", 28),
            vec!["dev".to_owned()]
        );
    }

    #[test]
    fn sleep_moves_virtual_time_and_the_same_seed_replays_the_same() {
        let run = || {
            let mut s = Session::new(&SessionConfig {
                seed: 7,
                ..SessionConfig::default()
            });
            s.run_script("kubectl create deployment web --image=nginx --replicas=2\nsleep 30\nkubectl get pods -o wide")
                .into_iter()
                .map(|o| o.text())
                .collect::<String>()
        };
        let first = run();
        assert!(first.contains("Running"), "{first}");
        assert_eq!(first, run());
    }
}
