//! Several terminals over one session: one simulation and one filesystem, N shells.
//!
//! Everything in the shell (builtins, kubectl, jobs) works on the flat fields of [`Session`],
//! which hold the *active* terminal's shell state. The other terminals' states are parked as
//! [`Shell`] values; [`Session::select_terminal`] swaps one in (a handful of moves, no copies).
//! So the line-level API (`feed_line`, `poll_follow`, `interrupt`, `complete`, `prompt`, the
//! editor calls) acts on the active terminal, which is the first one unless a host selects
//! another; the `*_in(id, ..)` methods select and act in one call.
//!
//! Shared by all terminals: the simulation, the virtual filesystem (a file written in one
//! controlplane tab is there in the other), kubectl's context and `kubectl edit`'s counter.
//! Per terminal: variables, aliases, history, directory, host, the running stream
//! (`get -w`, `logs -f`, `port-forward`, `watch`), background jobs, an open heredoc, a
//! `kubectl exec -it` shell and a pending `kubectl edit`. A node terminal sees its node's
//! `/etc/kubernetes/manifests`, as `ssh node01` does: each line loads the folder of the host
//! it runs on.

use crate::{Pending, Session, exec, jobs, kubectl};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Names one terminal of a session; stable for the terminal's life and across save/restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TerminalId(pub u32);

impl TerminalId {
    /// The terminal a session starts with (the transcripts and the CLI use only this one).
    pub const FIRST: TerminalId = TerminalId(0);
}

/// What a host needs to label a terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalInfo {
    pub id: TerminalId,
    /// The host the terminal was opened on (`controlplane`, `node01`): its tab's name.
    pub home: String,
    /// The host it is on now (after `ssh node02` it differs from `home`).
    pub host: String,
    /// The prompt for its next line.
    pub prompt: String,
    /// A command keeps running in it (`get -w`, `logs -f`, `port-forward`, `watch`).
    pub streaming: bool,
}

/// One terminal's saved shell: enough to resume typing where the learner left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedTerminal {
    pub id: TerminalId,
    pub home: String,
    pub host: String,
    pub cwd: String,
    pub env: BTreeMap<String, String>,
    pub aliases: BTreeMap<String, String>,
    pub history: Vec<String>,
}

/// A terminal's shell state while another terminal is active (the same fields as the
/// per-terminal part of [`Session`]).
#[derive(Debug, Clone)]
pub(crate) struct Shell {
    pub env: BTreeMap<String, String>,
    pub aliases: BTreeMap<String, String>,
    pub history: Vec<String>,
    pub cwd: String,
    pub host: String,
    pub home: String,
    pub last_status: i32,
    pub tty: bool,
    pub subst_depth: usize,
    pub side_stderr: Vec<String>,
    pub follow: Option<kubectl::Follow>,
    pub log_follow: Option<kubectl::LogFollow>,
    pub drain: Option<kubectl::DrainJob>,
    pub forward: Option<kubectl::PortForward>,
    pub watch: Option<exec::WatchState>,
    pub jobs: jobs::Jobs,
    pub background: bool,
    pub started_forward: Option<kubectl::PortForward>,
    pub job_output: Vec<String>,
    pub interactive: Option<kubectl::Interactive>,
    pub edit: Option<kubectl::PendingEdit>,
    pub pending: Option<Pending>,
}

impl Shell {
    /// A fresh login shell on `host`.
    pub fn login(host: &str) -> Self {
        let env = [
            ("HOME", "/root"),
            ("USER", "root"),
            ("SHELL", "/bin/bash"),
            ("PATH", "/usr/local/bin:/usr/bin:/bin"),
            ("KUBECONFIG", "/root/.kube/config"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        Self::resumed(SavedTerminal {
            id: TerminalId::FIRST,
            home: host.to_owned(),
            host: host.to_owned(),
            cwd: "/root".to_owned(),
            env,
            aliases: BTreeMap::new(),
            history: Vec::new(),
        })
    }

    /// A shell resumed from its saved state (nothing runs in it).
    pub fn resumed(saved: SavedTerminal) -> Self {
        Self {
            env: saved.env,
            aliases: saved.aliases,
            history: saved.history,
            cwd: saved.cwd,
            host: saved.host,
            home: saved.home,
            last_status: 0,
            tty: true,
            subst_depth: 0,
            side_stderr: Vec::new(),
            follow: None,
            log_follow: None,
            drain: None,
            forward: None,
            watch: None,
            jobs: jobs::Jobs::default(),
            background: false,
            started_forward: None,
            job_output: Vec::new(),
            interactive: None,
            edit: None,
            pending: None,
        }
    }

    fn saved(&self, id: TerminalId) -> SavedTerminal {
        SavedTerminal {
            id,
            home: self.home.clone(),
            host: self.host.clone(),
            cwd: self.cwd.clone(),
            env: self.env.clone(),
            aliases: self.aliases.clone(),
            history: self.history.clone(),
        }
    }

    fn streaming(&self) -> bool {
        self.follow.is_some()
            || self.log_follow.is_some()
            || self.drain.is_some()
            || self.forward.is_some()
            || self.watch.is_some()
    }

    fn prompt(&self) -> String {
        if let Some(it) = &self.interactive {
            it.prompt()
        } else if self.pending.is_some() {
            "> ".to_owned()
        } else {
            format!("{} $ ", self.host)
        }
    }
}

/// The session's terminals in tab order; the active one's slot is empty (its state is in the
/// session's own fields).
#[derive(Debug, Clone)]
pub(crate) struct Terminals {
    pub slots: Vec<(TerminalId, Option<Box<Shell>>)>,
    pub active: TerminalId,
    pub next_id: u32,
}

impl Terminals {
    /// One terminal, active.
    pub fn one(id: TerminalId) -> Self {
        Self {
            slots: vec![(id, None)],
            active: id,
            next_id: id.0 + 1,
        }
    }
}

impl Session {
    /// Moves the active terminal's fields into `shell` and `shell`'s into the session.
    fn swap_shell(&mut self, shell: &mut Shell) {
        use std::mem::swap;
        swap(&mut self.env, &mut shell.env);
        swap(&mut self.aliases, &mut shell.aliases);
        swap(&mut self.history, &mut shell.history);
        swap(&mut self.cwd, &mut shell.cwd);
        swap(&mut self.host, &mut shell.host);
        swap(&mut self.home, &mut shell.home);
        swap(&mut self.last_status, &mut shell.last_status);
        swap(&mut self.tty, &mut shell.tty);
        swap(&mut self.subst_depth, &mut shell.subst_depth);
        swap(&mut self.side_stderr, &mut shell.side_stderr);
        swap(&mut self.follow, &mut shell.follow);
        swap(&mut self.log_follow, &mut shell.log_follow);
        swap(&mut self.drain, &mut shell.drain);
        swap(&mut self.forward, &mut shell.forward);
        swap(&mut self.watch, &mut shell.watch);
        swap(&mut self.jobs, &mut shell.jobs);
        swap(&mut self.background, &mut shell.background);
        swap(&mut self.started_forward, &mut shell.started_forward);
        swap(&mut self.job_output, &mut shell.job_output);
        swap(&mut self.interactive, &mut shell.interactive);
        swap(&mut self.edit, &mut shell.edit);
        swap(&mut self.pending, &mut shell.pending);
    }

    /// Makes `id` the terminal the line-level methods act on. `false` when there is no such
    /// terminal (the active one stays).
    pub fn select_terminal(&mut self, id: TerminalId) -> bool {
        if id == self.terminals.active {
            return true;
        }
        let Some(index) = self.terminals.slots.iter().position(|(t, _)| *t == id) else {
            return false;
        };
        let Some(mut shell) = self.terminals.slots[index].1.take() else {
            return false;
        };
        self.swap_shell(&mut shell);
        let previous = self.terminals.active;
        if let Some(slot) = self
            .terminals
            .slots
            .iter_mut()
            .find(|(t, _)| *t == previous)
        {
            slot.1 = Some(shell);
        }
        self.terminals.active = id;
        true
    }

    /// The terminal the line-level methods act on now.
    pub fn active_terminal(&self) -> TerminalId {
        self.terminals.active
    }

    /// Opens a login shell on `host` (`controlplane` or a node's name) after the others; the
    /// active terminal stays active. The error is what `ssh` says about an unknown host.
    pub fn open_terminal(&mut self, host: &str) -> Result<TerminalId, String> {
        let known = self
            .sim
            .api()
            .list(tidepool_core::Kind::Node, None)
            .iter()
            .any(|n| n.name() == host);
        if !known {
            return Err(format!(
                "ssh: Could not resolve hostname {host}: Name or service not known"
            ));
        }
        let id = TerminalId(self.terminals.next_id);
        self.terminals.next_id += 1;
        self.terminals
            .slots
            .push((id, Some(Box::new(Shell::login(host)))));
        Ok(id)
    }

    /// Closes a terminal: its stream and jobs end with it. The last terminal cannot be closed
    /// (`false`), nor an unknown one. Closing the active terminal activates its neighbour.
    pub fn close_terminal(&mut self, id: TerminalId) -> bool {
        let Some(index) = self.terminals.slots.iter().position(|(t, _)| *t == id) else {
            return false;
        };
        if self.terminals.slots.len() < 2 {
            return false;
        }
        if id == self.terminals.active {
            let neighbour = if index + 1 < self.terminals.slots.len() {
                index + 1
            } else {
                index - 1
            };
            let next = self.terminals.slots[neighbour].0;
            self.select_terminal(next);
        }
        self.terminals.slots.retain(|(t, _)| *t != id);
        true
    }

    /// The terminals in tab order.
    pub fn terminals(&self) -> Vec<TerminalInfo> {
        self.terminals
            .slots
            .iter()
            .map(|(id, parked)| match parked {
                Some(shell) => TerminalInfo {
                    id: *id,
                    home: shell.home.clone(),
                    host: shell.host.clone(),
                    prompt: shell.prompt(),
                    streaming: shell.streaming(),
                },
                None => TerminalInfo {
                    id: *id,
                    home: self.home.clone(),
                    host: self.host.clone(),
                    prompt: self.prompt(),
                    streaming: self.is_streaming(),
                },
            })
            .collect()
    }

    /// Whether the active terminal has a command streaming.
    pub fn is_streaming(&self) -> bool {
        self.follow.is_some()
            || self.log_follow.is_some()
            || self.drain.is_some()
            || self.forward.is_some()
            || self.watch.is_some()
    }

    /// [`Session::feed_line`] in terminal `id` (`None`: no such terminal).
    pub fn feed_line_in(&mut self, id: TerminalId, line: &str) -> Option<crate::Feed> {
        self.select_terminal(id).then(|| self.feed_line(line))
    }

    /// [`Session::poll_follow`] in terminal `id`.
    pub fn poll_follow_in(&mut self, id: TerminalId) -> Option<crate::CommandOutput> {
        if self.select_terminal(id) {
            self.poll_follow()
        } else {
            None
        }
    }

    /// [`Session::interrupt`] in terminal `id`.
    pub fn interrupt_in(&mut self, id: TerminalId) -> Option<crate::CommandOutput> {
        self.select_terminal(id).then(|| self.interrupt())
    }

    /// [`Session::complete`] in terminal `id` (its aliases and directory).
    pub fn complete_in(&mut self, id: TerminalId, line: &str, cursor: usize) -> Vec<String> {
        if self.select_terminal(id) {
            self.complete(line, cursor)
        } else {
            Vec::new()
        }
    }

    /// [`Session::prompt`] of terminal `id`.
    pub fn prompt_in(&self, id: TerminalId) -> Option<String> {
        self.terminals()
            .into_iter()
            .find(|t| t.id == id)
            .map(|t| t.prompt)
    }

    /// Port forwards running in the other terminals: (terminal, kubectl's pid, forward). A
    /// foreground forward's kubectl has the pid the terminal would give its next process.
    pub(crate) fn other_terminals_forwards(
        &self,
    ) -> impl Iterator<Item = (TerminalId, u32, &kubectl::PortForward)> {
        self.terminals
            .slots
            .iter()
            .filter_map(|(id, parked)| parked.as_deref().map(|shell| (*id, shell)))
            .flat_map(|(id, shell)| {
                let foreground = shell
                    .forward
                    .iter()
                    .map(move |f| (id, shell.jobs.next_pid(), f));
                foreground.chain(shell.jobs.forwards().map(move |(pid, f)| (id, pid, f)))
            })
    }

    /// Text a process prints in terminal `owner` (`None`: the active one) while a command
    /// runs here: it shows there, in its stream or before its next command's output.
    pub(crate) fn print_in(&mut self, owner: Option<TerminalId>, text: String) {
        let parked = owner.and_then(|id| {
            self.terminals
                .slots
                .iter_mut()
                .find(|(t, _)| *t == id)
                .and_then(|(_, shell)| shell.as_deref_mut())
        });
        match parked {
            Some(shell) => shell.job_output.push(text),
            None => self.job_output.push(text),
        }
    }

    /// The history of terminal `id`, oldest first (empty for an unknown terminal).
    pub fn history_of(&self, id: TerminalId) -> Vec<String> {
        self.terminals
            .slots
            .iter()
            .find(|(t, _)| *t == id)
            .map(|(_, parked)| match parked {
                Some(shell) => shell.history.clone(),
                None => self.history.clone(),
            })
            .unwrap_or_default()
    }

    /// Every terminal's saved shell, in tab order.
    pub(crate) fn saved_terminals(&self) -> Vec<SavedTerminal> {
        self.terminals
            .slots
            .iter()
            .map(|(id, parked)| match parked {
                Some(shell) => shell.saved(*id),
                None => SavedTerminal {
                    id: *id,
                    home: self.home.clone(),
                    host: self.host.clone(),
                    cwd: self.cwd.clone(),
                    env: self.env.clone(),
                    aliases: self.aliases.clone(),
                    history: self.history.clone(),
                },
            })
            .collect()
    }

    /// Installs saved terminals (the first becomes active). Called on a fresh session.
    pub(crate) fn resume_terminals(&mut self, saved: Vec<SavedTerminal>) {
        let mut saved = saved.into_iter();
        let Some(first) = saved.next() else {
            return;
        };
        let first_id = first.id;
        let mut shell = Shell::resumed(first);
        self.swap_shell(&mut shell);
        self.terminals = Terminals::one(first_id);
        for terminal in saved {
            if self
                .terminals
                .slots
                .iter()
                .any(|(id, _)| *id == terminal.id)
            {
                // A damaged file with a repeated id: the first one wins.
                continue;
            }
            self.terminals.next_id = self.terminals.next_id.max(terminal.id.0 + 1);
            let id = terminal.id;
            self.terminals
                .slots
                .push((id, Some(Box::new(Shell::resumed(terminal)))));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{CommandOutput, Effect, Feed, Session, SessionConfig, SessionState, TerminalId};
    use std::time::Duration;

    /// Feeds `text` line by line to terminal `id`; the last line must finish the command.
    fn run(s: &mut Session, id: TerminalId, text: &str) -> CommandOutput {
        let mut last = None;
        for line in text.lines() {
            last = s.feed_line_in(id, line);
        }
        match last {
            Some(Feed::Done(out)) => out,
            other => panic!("{text:?} in {id:?} gave {other:?}"),
        }
    }

    const STATIC_POD: &str = "cat <<EOF > /etc/kubernetes/manifests/nginx-pod.yaml
apiVersion: v1
kind: Pod
metadata:
  labels:
    run: nginx-pod
  name: nginx-pod
spec:
  containers:
  - image: nginx:latest
    name: nginx-pod
EOF";

    #[test]
    fn two_controlplane_terminals_share_files_but_not_shell_state() {
        let mut s = Session::new(&SessionConfig::default());
        let first = TerminalId::FIRST;
        let second = s
            .open_terminal("controlplane")
            .expect("controlplane is a node");
        assert_ne!(first, second);
        // Opening does not switch: the first terminal stays active.
        assert_eq!(s.active_terminal(), first);
        run(
            &mut s,
            first,
            "echo shared > note.txt; export COLOR=blue; cd /tmp",
        );
        run(&mut s, first, "alias k=kubectl");
        assert_eq!(run(&mut s, second, "cat /root/note.txt").text(), "shared\n");
        assert_eq!(
            run(&mut s, second, "echo \"[$COLOR]\" $PWD").text(),
            "[] /root\n"
        );
        assert_eq!(run(&mut s, second, "k").exit_code, 127);
        assert_eq!(run(&mut s, first, "echo $COLOR $PWD").text(), "blue /tmp\n");
        assert_eq!(s.prompt_in(second).as_deref(), Some("controlplane $ "));
        // Each terminal has its own history (`!!` repeats that terminal's last line).
        assert_eq!(
            run(&mut s, second, "!!").text(),
            "k\nbash: k: command not found\n"
        );
        assert_eq!(
            run(&mut s, first, "!!").text(),
            "echo $COLOR $PWD\nblue /tmp\n"
        );
        let infos = s.terminals();
        assert_eq!(
            infos.iter().map(|t| t.id).collect::<Vec<_>>(),
            vec![first, second]
        );
        assert!(infos.iter().all(|t| t.home == "controlplane"));
    }

    #[test]
    fn a_node_terminal_writes_its_static_pods_and_the_controlplane_sees_them_run() {
        let mut s = Session::new(&SessionConfig::default());
        let node = s.open_terminal("node01").expect("node01 exists");
        assert_eq!(s.prompt_in(node).as_deref(), Some("node01 $ "));
        assert_eq!(run(&mut s, node, "hostname").text(), "node01\n");
        let listed = run(&mut s, node, "ls /etc/kubernetes/manifests").text();
        assert_eq!(listed, "");
        assert_eq!(run(&mut s, node, STATIC_POD).exit_code, 0);
        // The control plane's own folder is untouched: its static pods are the control plane's.
        let cp = TerminalId::FIRST;
        let cp_listed = run(&mut s, cp, "ls /etc/kubernetes/manifests").text();
        assert!(!cp_listed.contains("nginx-pod"), "{cp_listed}");
        assert!(cp_listed.contains("kube-apiserver.yaml"), "{cp_listed}");
        s.advance(Duration::from_secs(20));
        let pods = run(&mut s, cp, "kubectl get pods").text();
        assert!(
            pods.lines()
                .any(|l| l.starts_with("nginx-pod-node01 ") && l.contains("Running")),
            "{pods}"
        );
        // Removing the file in the node terminal removes the mirror pod.
        run(&mut s, node, "rm /etc/kubernetes/manifests/nginx-pod.yaml");
        s.advance(Duration::from_secs(20));
        let pods = run(&mut s, cp, "kubectl get pods").text();
        assert!(!pods.contains("nginx-pod-node01"), "{pods}");
        // `exit` on the terminal's own host ends it; after `ssh` it returns home first.
        run(&mut s, node, "ssh node02");
        assert_eq!(
            run(&mut s, node, "exit").text(),
            "logout\nConnection to node02 closed.\n"
        );
        assert_eq!(s.prompt_in(node).as_deref(), Some("node01 $ "));
        assert_eq!(run(&mut s, node, "exit").effects, vec![Effect::Exit]);
        assert!(s.open_terminal("node09").is_err());
    }

    #[test]
    fn a_stream_keeps_running_in_its_terminal_while_another_one_types() {
        let mut s = Session::new(&SessionConfig::default());
        let watcher = TerminalId::FIRST;
        let typist = s.open_terminal("controlplane").expect("opens");
        let first = run(&mut s, watcher, "kubectl get pods -w");
        assert_eq!(first.effects, vec![Effect::Follow]);
        run(&mut s, typist, "kubectl run web --image=nginx");
        // The other terminal's line did not stop the stream.
        assert!(s.terminals().iter().any(|t| t.id == watcher && t.streaming));
        s.advance(Duration::from_secs(5));
        // Polling the idle terminal gives nothing; the watcher gets the rows.
        assert_eq!(s.poll_follow_in(typist), None);
        let rows = s
            .poll_follow_in(watcher)
            .map(|o| o.text())
            .unwrap_or_default();
        assert!(rows.contains("web    0/1     Pending"), "{rows}");
        assert!(
            rows.lines()
                .any(|l| l == "web    1/1     Running             0          5s"),
            "{rows}"
        );
        // Ctrl-C in the typist's terminal does not touch the watcher.
        s.interrupt_in(typist);
        assert!(s.terminals().iter().any(|t| t.id == watcher && t.streaming));
        s.interrupt_in(watcher);
        assert!(s.terminals().iter().all(|t| !t.streaming));
    }

    #[test]
    fn closing_terminals_keeps_at_least_one() {
        let mut s = Session::new(&SessionConfig::default());
        let second = s.open_terminal("node02").expect("opens");
        assert!(s.select_terminal(second));
        assert_eq!(s.prompt(), "node02 $ ");
        assert!(s.close_terminal(second));
        // The neighbour became active; the old API acts on it.
        assert_eq!(s.active_terminal(), TerminalId::FIRST);
        assert_eq!(s.prompt(), "controlplane $ ");
        assert!(!s.close_terminal(TerminalId::FIRST));
        assert!(!s.close_terminal(second));
        assert!(!s.select_terminal(second));
        assert_eq!(s.feed_line_in(second, "ls"), None);
        // Ids are not reused.
        assert_eq!(s.open_terminal("controlplane"), Ok(TerminalId(2)));
    }

    #[test]
    fn several_terminals_save_and_restore() {
        let mut s = Session::new(&SessionConfig::default());
        let node = s.open_terminal("node01").expect("opens");
        let cp2 = s.open_terminal("controlplane").expect("opens");
        run(&mut s, node, "cd /etc/kubernetes; export WHERE=node");
        run(&mut s, cp2, "alias k=kubectl; k run web --image=nginx");
        s.select_terminal(cp2);
        let state = s.save();
        let json = serde_json::to_string(&state).unwrap_or_default();
        let back: SessionState = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, state);
        let mut r = Session::restore(&back).expect("restores");
        let ids: Vec<_> = r
            .terminals()
            .iter()
            .map(|t| (t.id, t.home.clone()))
            .collect();
        assert_eq!(
            ids,
            vec![
                (TerminalId::FIRST, "controlplane".to_owned()),
                (node, "node01".to_owned()),
                (cp2, "controlplane".to_owned())
            ]
        );
        assert_eq!(r.active_terminal(), TerminalId::FIRST);
        assert_eq!(
            run(&mut r, node, "echo $WHERE $PWD").text(),
            "node /etc/kubernetes\n"
        );
        assert!(run(&mut r, cp2, "k get pods").text().contains("web"));
        assert_eq!(r.open_terminal("node02"), Ok(TerminalId(3)));
    }

    #[test]
    fn a_state_saved_before_terminals_restores_as_one_terminal() {
        let mut s = Session::new(&SessionConfig::default());
        s.run_script("echo hi > note.txt\ncd /tmp\nexport A=1\nalias k=kubectl");
        let mut value = serde_json::to_value(s.save()).expect("serialises");
        // Rewrite it into the one-terminal layout the shell saved before tabs.
        let terminal = value["terminals"][0].clone();
        let object = value.as_object_mut().expect("an object");
        object.remove("terminals");
        for field in ["env", "aliases", "history", "cwd", "host"] {
            object.insert(field.to_owned(), terminal[field].clone());
        }
        let old: SessionState = serde_json::from_value(value).expect("old layout reads");
        assert_eq!(old.terminals.len(), 1);
        let mut r = Session::restore(&old).expect("restores");
        assert_eq!(r.prompt(), "controlplane $ ");
        let out = r.run_script("k version --client | head -1; echo $A $PWD; cat /root/note.txt");
        let text: String = out.iter().map(CommandOutput::text).collect();
        assert_eq!(text, "Client Version: v1.32.4\n1 /tmp\nhi\n");
    }

    #[test]
    fn a_port_forward_in_one_terminal_serves_curl_from_another() {
        let mut s = Session::new(&SessionConfig::default());
        let forwarding = TerminalId::FIRST;
        let client = s.open_terminal("controlplane").expect("opens");
        run(
            &mut s,
            forwarding,
            "kubectl run web --image=nginx --port=80",
        );
        s.advance(Duration::from_secs(10));
        let started = run(&mut s, forwarding, "kubectl port-forward pod/web 8080:80");
        assert_eq!(started.effects, vec![Effect::Follow]);
        let fetched = run(&mut s, client, "curl -s localhost:8080 | grep title");
        assert_eq!(fetched.text(), "<title>Welcome to nginx!</title>\n");
        // kubectl's line shows in the terminal running the forward, not in the client's.
        assert_eq!(
            s.poll_follow_in(forwarding).map(|o| o.text()).as_deref(),
            Some("Handling connection for 8080\n")
        );
        // The port is taken for the other terminal; on another node it is free.
        let taken = run(&mut s, client, "kubectl port-forward pod/web 8080:80");
        assert_eq!(taken.exit_code, 1, "{}", taken.text());
        let node = s.open_terminal("node01").expect("opens");
        let refused = run(&mut s, node, "curl -s localhost:8080; echo $?");
        assert_eq!(refused.text(), "7\n");
        s.interrupt_in(forwarding);
        let gone = run(&mut s, client, "curl -s localhost:8080; echo $?");
        assert_eq!(gone.text(), "7\n");
    }
}
