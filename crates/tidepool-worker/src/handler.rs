//! The worker's behaviour as a pure function of (state, message): no DOM, no timers.

use crate::answer_slot::{self, SlotAnswer, SlotContent};
use crate::cluster_view::{ViewTracker, ViewUpdate};
use crate::editor;
use crate::persist::{EditorDraft, Notice, SavedSession, Settings, TabsState};
use crate::protocol::{
    Effect, FromCluster, InspectView, ObjectRef, PROTOCOL_VERSION, TerminalId, ToCluster,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tidepool_core::{Kind, ObjectKey, Simulation, SimulationConfig};
use tidepool_shell::{CommandOutput, Feed, Session, SessionConfig};

/// The clock's speed when the playground opens: virtual seconds per real second.
pub const DEFAULT_SPEED: u32 = 1;
/// Speeds above this are clamped: a tick must stay cheap.
pub const MAX_SPEED: u32 = 600;

/// Saves happen at most this often, after a change (the storage write is debounced).
pub const SAVE_INTERVAL: Duration = Duration::from_secs(1);

/// Owns the terminal session (and through it the simulation) and answers protocol messages.
#[derive(Debug)]
pub struct ClusterHandler {
    session: Session,
    speed: u32,
    settings: Settings,
    /// The cluster view last sent to the UI.
    view: ViewTracker,
    /// Something changed since the last save.
    dirty: bool,
    /// The store revision at the last save (cluster changes mark the session dirty).
    saved_revision: u64,
    /// Real time the session has had unsaved changes.
    unsaved_for: Duration,
    /// Terminals where a command keeps streaming (`get -w`, `logs -f`): clock moves poll
    /// them for more output, whichever tab is shown.
    following: BTreeSet<TerminalId>,
    /// The editor pane is open on this path for this terminal: the command that opened it
    /// (`vi`, `kubectl edit`) finishes there when the pane closes, with this exit status.
    editing: Option<(TerminalId, String, i32)>,
    /// The exit status each running stream ends with (a poll may report a failure, e.g.
    /// `port-forward`'s `lost connection to pod`, before the stream ends).
    stream_exit: BTreeMap<TerminalId, i32>,
    /// The tab the UI shows and the editor's draft: saved with the session.
    tabs: TabsState,
    /// The next line's answer goes to the answer slot under this number, if it can
    /// ([`ToCluster::AnswerInSlot`]).
    slot_seq: Option<u32>,
    /// What the worker body writes into the slot ([`Self::take_slot_content`]).
    slot_content: Option<SlotContent>,
    /// The inspector tab the UI shows, followed as the cluster changes.
    inspecting: Option<Inspecting>,
}

/// The open inspector tab and what the UI was last sent for it.
#[derive(Debug)]
struct Inspecting {
    target: ObjectRef,
    view: InspectView,
    /// The store revision the text was computed at.
    revision: u64,
    text: String,
    ok: bool,
}

impl ClusterHandler {
    pub fn new(config: &SessionConfig) -> Self {
        Self::from_session(Session::new(config), Settings::default())
    }

    fn from_session(session: Session, settings: Settings) -> Self {
        let saved_revision = session.simulation().api().store().revision();
        Self {
            session,
            speed: settings.speed.min(MAX_SPEED),
            settings,
            view: ViewTracker::default(),
            dirty: false,
            saved_revision,
            unsaved_for: Duration::ZERO,
            following: BTreeSet::new(),
            editing: None,
            stream_exit: BTreeMap::new(),
            tabs: TabsState::default(),
            slot_seq: None,
            slot_content: None,
            inspecting: None,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    fn now_ms(&self) -> u64 {
        self.session.simulation().now().as_millis()
    }

    fn clock(&self) -> FromCluster {
        FromCluster::Clock {
            virtual_time_ms: self.now_ms(),
            speed: self.speed,
        }
    }

    /// Handles one message and returns the replies to send, in order: [`Self::answer`]'s,
    /// then [`Self::view_update`]'s.
    pub fn handle(&mut self, message: ToCluster) -> Vec<FromCluster> {
        let mut replies = self.answer(message);
        replies.extend(self.view_update());
        replies
    }

    /// What the worker body writes into the answer slot before it posts the replies of a
    /// line that asked for it: the answer [`Self::answer`] just announced with
    /// [`FromCluster::AnsweredInSlot`], or the refusal that stops the page waiting.
    pub fn take_slot_content(&mut self) -> Option<SlotContent> {
        self.slot_content.take()
    }

    /// Handles one message and returns the replies that answer it, without the cluster view
    /// update it may have caused: the worker posts these first (a command's output must not
    /// wait for the graph's delta to be built), then [`Self::view_update`].
    pub fn answer(&mut self, message: ToCluster) -> Vec<FromCluster> {
        match message {
            ToCluster::Ping { nonce } => {
                self.view.reset();
                // A (re)loaded page has no inspector open.
                self.inspecting = None;
                let mut replies = vec![
                    FromCluster::Pong {
                        nonce,
                        protocol_version: PROTOCOL_VERSION,
                        seed: self.session.simulation().seed(),
                        virtual_time_ms: self.now_ms(),
                    },
                    self.terminals_reply(None),
                ];
                for terminal in self.session.terminals() {
                    replies.push(FromCluster::History {
                        terminal: terminal.id,
                        lines: self.session.history_of(terminal.id),
                    });
                }
                self.reopen_draft(&mut replies);
                replies
            }
            ToCluster::Advance { millis } => {
                self.session.advance(Duration::from_millis(millis));
                let mut replies = vec![self.clock()];
                self.poll_follow(&mut replies);
                replies
            }
            ToCluster::SetSpeed { speed } => {
                self.speed = speed.min(MAX_SPEED);
                self.settings.speed = self.speed;
                self.dirty = true;
                vec![self.clock()]
            }
            ToCluster::Line { terminal, text } => {
                let prompt = self.session.prompt_in(terminal);
                let mut replies = self.run_line(terminal, &text);
                if let Some(seq) = self.slot_seq.take() {
                    let answer = slot_answer(seq, terminal, prompt.as_deref(), &replies);
                    if answer.is_some() {
                        replies.insert(0, FromCluster::AnsweredInSlot { terminal, seq });
                    }
                    self.slot_content =
                        Some(answer.map_or(SlotContent::Declined { seq }, SlotContent::Answer));
                }
                replies
            }
            // The worker body keeps the buffer; the handler only decides what goes in it.
            ToCluster::AttachAnswerSlot { .. } => Vec::new(),
            ToCluster::AnswerInSlot { seq } => {
                self.slot_seq = Some(seq);
                Vec::new()
            }
            ToCluster::Edit { terminal, target } => {
                if self.editing.is_some()
                    || self.following.contains(&terminal)
                    || self.session.prompt_in(terminal).is_none()
                {
                    return Vec::new();
                }
                let line = edit_line(&target);
                // The terminal shows the line at its prompt, as if typed there: the prompt row
                // is redrawn (`\r`, erase line), replacing a half-typed line, which the
                // terminal drops when the command's prompt comes back.
                let echo = format!("\r\x1b[2K{}{line}\n", self.prompt_of(terminal));
                let mut replies = vec![FromCluster::Stream {
                    terminal,
                    chunks: vec![(tidepool_shell::Stream::Stdout, echo)],
                }];
                replies.extend(self.run_line(terminal, &line));
                replies
            }
            ToCluster::Interrupt { terminal } => {
                let was_following = self.following.remove(&terminal);
                let Some(output) = self.session.interrupt_in(terminal) else {
                    return Vec::new();
                };
                if !was_following && output.chunks.is_empty() {
                    // Nothing streams and nothing ended: the UI handled Ctrl-C on its own line
                    // (inside `kubectl exec -it`, the container's shell prompts again).
                    return Vec::new();
                }
                vec![FromCluster::Output {
                    terminal,
                    chunks: output.chunks,
                    exit_code: output.exit_code,
                    effects: Vec::new(),
                    prompt: self.prompt_of(terminal),
                }]
            }
            ToCluster::Complete {
                terminal,
                line,
                cursor,
            } => {
                let candidates = self.session.complete_in(terminal, &line, cursor as usize);
                vec![FromCluster::Completions {
                    terminal,
                    line,
                    cursor,
                    candidates,
                }]
            }
            ToCluster::OpenTerminal { host } => match self.session.open_terminal(&host) {
                Ok(id) => {
                    self.tabs.active = Some(id);
                    self.dirty = true;
                    vec![self.terminals_reply(Some(id))]
                }
                Err(reason) => vec![FromCluster::Notice {
                    notice: Notice::TerminalNotOpened { reason },
                }],
            },
            ToCluster::CloseTerminal { terminal } => {
                self.close_terminal(terminal);
                vec![self.terminals_reply(None)]
            }
            ToCluster::SelectTerminal { terminal } => {
                if self.session.prompt_in(terminal).is_some() {
                    self.tabs.active = Some(terminal);
                    self.dirty = true;
                }
                Vec::new()
            }
            ToCluster::Inspect { target, view } => {
                let reply = self.inspect(target, view);
                if let FromCluster::Inspected {
                    target,
                    view,
                    text,
                    ok,
                } = &reply
                {
                    self.inspecting = Some(Inspecting {
                        target: target.clone(),
                        view: *view,
                        revision: self.store_revision(),
                        text: text.clone(),
                        ok: *ok,
                    });
                }
                vec![reply]
            }
            ToCluster::CloseInspector => {
                self.inspecting = None;
                Vec::new()
            }
            ToCluster::Delete { target } => {
                let args = kubectl_args("delete", &target);
                let res = tidepool_shell::kubectl::run(&mut self.session, &args, "");
                let text: String = res.chunks.iter().map(|(_, s)| s.as_str()).collect();
                vec![FromCluster::Deleted {
                    target,
                    text,
                    ok: res.code == 0,
                }]
            }
            ToCluster::Settings { settings } => {
                self.speed = settings.speed.min(MAX_SPEED);
                self.settings = settings;
                self.dirty = true;
                vec![self.clock()]
            }
            ToCluster::ResetCluster => {
                let seed = self.session.simulation().seed();
                *self.session.simulation_mut() = Simulation::new(&SimulationConfig { seed });
                self.dirty = true;
                self.view.reset();
                vec![
                    FromCluster::Notice {
                        notice: Notice::ClusterReset,
                    },
                    self.clock(),
                ]
            }
            ToCluster::ExportSession => {
                let json = self.saved().encode();
                vec![FromCluster::SessionFile {
                    file_name: format!("tidepool-session-t{}s.json", self.now_ms() / 1000),
                    json,
                }]
            }
            ToCluster::SaveFile { path, text, close } => {
                if let Some((terminal, _, _)) = &self.editing {
                    self.session.select_terminal(*terminal);
                }
                let error = self.session.write_file(&path, &text).err();
                self.keep_draft(&path, &text);
                self.dirty = true;
                let mut replies = vec![FromCluster::FileSaved {
                    path: path.clone(),
                    error: error.clone(),
                }];
                // A refused write keeps the pane open, as vim does (`E212`).
                if close && error.is_none() {
                    replies.extend(self.close_editor(&path));
                }
                replies
            }
            ToCluster::CloseEditor { path } => self.close_editor(&path),
            ToCluster::Validate {
                path,
                text,
                revision,
            } => {
                self.keep_draft(&path, &text);
                vec![FromCluster::Diagnostics {
                    diagnostics: editor::diagnostics(&self.session, &path, &text),
                    path,
                    revision,
                }]
            }
            ToCluster::ImportSession { json } => match self.restore_text(&json) {
                Ok(mut replies) => {
                    replies.insert(
                        0,
                        FromCluster::Notice {
                            notice: Notice::Imported,
                        },
                    );
                    replies
                }
                Err(reason) => vec![FromCluster::Notice {
                    notice: Notice::ImportFailed { reason },
                }],
            },
        }
    }

    /// One line for a terminal's shell (typed, or the inspector's Edit).
    fn run_line(&mut self, terminal: TerminalId, text: &str) -> Vec<FromCluster> {
        let before = self.now_ms();
        // A new line ends any stream still running in that terminal (the session
        // drops it too), and abandons an edit the UI forgot to close.
        self.following.remove(&terminal);
        if self
            .editing
            .as_ref()
            .is_some_and(|(t, _, _)| *t == terminal)
        {
            self.editing = None;
            self.tabs.draft = None;
        }
        // A line for a terminal closed meanwhile has nowhere to go.
        let Some(feed) = self.session.feed_line_in(terminal, text) else {
            return Vec::new();
        };
        let mut replies = match feed {
            Feed::NeedMore => vec![FromCluster::Continue {
                terminal,
                prompt: self.prompt_of(terminal),
            }],
            Feed::Done(output) if output.effects.contains(&Effect::Follow) => {
                // The command keeps running: no prompt until it ends or Ctrl-C.
                self.following.insert(terminal);
                self.stream_exit.insert(terminal, 0);
                vec![FromCluster::Stream {
                    terminal,
                    chunks: stream_chunks(output),
                }]
            }
            Feed::Done(output) => self.finish_command(terminal, output),
        };
        self.dirty = true;
        // `sleep` and friends move the clock; tell the UI.
        if self.now_ms() != before {
            replies.push(self.clock());
        }
        replies
    }

    /// The replies for a finished command: its output and prompt, or, when it opens the
    /// editor, its output so far and [`FromCluster::OpenEditor`] (the prompt waits for the
    /// pane to close, as a shell waits for vim).
    /// `exit` in a terminal that is not the last one closes it (the tab goes away).
    fn finish_command(&mut self, terminal: TerminalId, output: CommandOutput) -> Vec<FromCluster> {
        let opened = output.effects.iter().find_map(|effect| match effect {
            Effect::OpenEditor { path } => Some(path.clone()),
            _ => None,
        });
        let Some(path) = opened else {
            let exits = output.effects.contains(&Effect::Exit);
            let mut replies = vec![FromCluster::Output {
                terminal,
                chunks: output.chunks,
                exit_code: output.exit_code,
                effects: output.effects,
                prompt: self.prompt_of(terminal),
            }];
            if exits && self.session.terminals().len() > 1 {
                self.close_terminal(terminal);
                replies.push(self.terminals_reply(None));
            }
            return replies;
        };
        self.session.select_terminal(terminal);
        let existing = self.session.read_file(&path);
        let new_file = existing.is_none();
        let text = existing.unwrap_or_default();
        self.editing = Some((terminal, path.clone(), output.exit_code));
        self.tabs.draft = Some(EditorDraft {
            terminal,
            path: path.clone(),
            text: text.clone(),
        });
        let mut replies = Vec::new();
        if !output.chunks.is_empty() {
            replies.push(FromCluster::Stream {
                terminal,
                chunks: output.chunks,
            });
        }
        replies.push(FromCluster::OpenEditor {
            error: editor::edit_error(&text),
            path,
            text,
            new_file,
            draft: None,
        });
        replies
    }

    /// The prompt of a terminal ("" for one that has closed).
    fn prompt_of(&self, terminal: TerminalId) -> String {
        self.session.prompt_in(terminal).unwrap_or_default()
    }

    /// The terminals and the tab to show.
    fn terminals_reply(&mut self, opened: Option<TerminalId>) -> FromCluster {
        let terminals = self.session.terminals();
        let active = self
            .tabs
            .active
            .filter(|a| terminals.iter().any(|t| t.id == *a))
            .or_else(|| terminals.first().map(|t| t.id))
            .unwrap_or(TerminalId::FIRST);
        self.tabs.active = Some(active);
        FromCluster::Terminals {
            terminals,
            active,
            opened,
        }
    }

    /// Closes a terminal (not the last): its stream stops; the tab shown moves to a neighbour
    /// when it was this one.
    fn close_terminal(&mut self, terminal: TerminalId) {
        let order: Vec<TerminalId> = self.session.terminals().iter().map(|t| t.id).collect();
        if !self.session.close_terminal(terminal) {
            return;
        }
        self.following.remove(&terminal);
        self.stream_exit.remove(&terminal);
        if self.tabs.active == Some(terminal) {
            let index = order.iter().position(|t| *t == terminal).unwrap_or(0);
            self.tabs.active = order
                .get(index + 1)
                .or_else(|| index.checked_sub(1).and_then(|i| order.get(i)))
                .copied();
        }
        self.dirty = true;
    }

    /// The pane's text changed (a pause in typing, a write): it is the draft a reload reopens.
    fn keep_draft(&mut self, path: &str, text: &str) {
        if let Some((terminal, open, _)) = &self.editing
            && open == path
        {
            self.tabs.draft = Some(EditorDraft {
                terminal: *terminal,
                path: path.to_owned(),
                text: text.to_owned(),
            });
            self.dirty = true;
        }
    }

    /// After a reload: the editor pane was open, so it opens again with its unsaved text. The
    /// command that opened it did not survive the reload; closing the pane gives its
    /// terminal a prompt.
    fn reopen_draft(&mut self, replies: &mut Vec<FromCluster>) {
        let Some(draft) = self.tabs.draft.clone() else {
            return;
        };
        if self.editing.is_some() || self.session.prompt_in(draft.terminal).is_none() {
            return;
        }
        self.session.select_terminal(draft.terminal);
        let existing = self.session.read_file(&draft.path);
        let new_file = existing.is_none();
        let text = existing.unwrap_or_default();
        self.editing = Some((draft.terminal, draft.path.clone(), 0));
        replies.push(FromCluster::OpenEditor {
            error: editor::edit_error(&draft.text),
            path: draft.path,
            text,
            new_file,
            draft: Some(draft.text),
        });
    }

    /// The pane closed: the command that opened it finishes (`kubectl edit` applies the file
    /// now, and may reopen it). A close for a pane the worker does not know about (the line
    /// after it already abandoned the edit) still answers with a prompt, so the terminal is
    /// never left without one.
    fn close_editor(&mut self, path: &str) -> Vec<FromCluster> {
        let (terminal, exit_code) = match self.editing.take() {
            Some((terminal, open, exit_code)) if open == path => (terminal, exit_code),
            Some((terminal, _, _)) => (terminal, 0),
            None => (self.tabs.active.unwrap_or(TerminalId::FIRST), 0),
        };
        self.tabs.draft = None;
        // The terminal may have closed meanwhile: the output then goes to the first one.
        if !self.session.select_terminal(terminal) {
            let first = self.session.terminals().first().map(|t| t.id);
            if let Some(first) = first {
                self.session.select_terminal(first);
            }
        }
        let terminal = self.session.active_terminal();
        let output = self
            .session
            .editor_closed(path)
            .unwrap_or_else(|| CommandOutput {
                exit_code,
                ..CommandOutput::default()
            });
        self.dirty = true;
        self.finish_command(terminal, output)
    }

    /// The cluster view update (full or delta) since the last one, when there is one, and
    /// the open inspector tab's text when the cluster changed it (so YAML, describe, events
    /// and logs follow the object, e.g. after an Edit is saved).
    pub fn view_update(&mut self) -> Vec<FromCluster> {
        let mut replies = Vec::new();
        match self.view.update(self.session.simulation()) {
            Some(ViewUpdate::Full(view)) => replies.push(FromCluster::ClusterView { view }),
            Some(ViewUpdate::Delta(delta)) if !delta.is_empty() => {
                replies.push(FromCluster::ClusterDelta { delta });
            }
            _ => {}
        }
        replies.extend(self.inspector_update());
        replies
    }

    fn store_revision(&self) -> u64 {
        self.session.simulation().api().store().revision()
    }

    /// The open inspector tab's new text, when it differs from what the UI has. Objects
    /// change only through the store, so YAML, describe and events are recomputed only when
    /// its revision moved; logs grow without a store write, so they are read on every update.
    fn inspector_update(&mut self) -> Option<FromCluster> {
        let revision = self.store_revision();
        let (target, view) = match &self.inspecting {
            Some(open) if open.revision != revision || open.view == InspectView::Logs => {
                (open.target.clone(), open.view)
            }
            _ => return None,
        };
        let reply = self.inspect(target, view);
        let FromCluster::Inspected { text, ok, .. } = &reply else {
            return None;
        };
        let open = self.inspecting.as_mut()?;
        open.revision = revision;
        if open.text == *text && open.ok == *ok {
            return None;
        }
        open.text = text.clone();
        open.ok = *ok;
        Some(reply)
    }

    /// Appends the cluster view update (full or delta) when there is one.
    fn push_view(&mut self, replies: &mut Vec<FromCluster>) {
        replies.extend(self.view_update());
    }

    /// One inspector tab's text, from the same code kubectl runs (nothing is echoed into the
    /// terminal or its history).
    fn inspect(&mut self, target: ObjectRef, view: InspectView) -> FromCluster {
        let (text, ok) = match view {
            InspectView::Events => match self.events_table(&target) {
                Some(text) => (text, true),
                None => (not_found(&target), false),
            },
            _ => {
                let mut args = match view {
                    InspectView::Yaml => kubectl_args("get", &target),
                    InspectView::Describe => kubectl_args("describe", &target),
                    _ => {
                        let mut args = vec!["logs".to_owned(), target.name.clone()];
                        args.extend(["-n".to_owned(), target.namespace.clone()]);
                        args
                    }
                };
                if view == InspectView::Yaml {
                    args.extend(["-o".to_owned(), "yaml".to_owned()]);
                }
                let res = tidepool_shell::kubectl::run(&mut self.session, &args, "");
                let text: String = res.chunks.iter().map(|(_, s)| s.as_str()).collect();
                (text, res.code == 0)
            }
        };
        FromCluster::Inspected {
            target,
            view,
            text,
            ok,
        }
    }

    /// `kubectl events --for KIND/NAME`'s table: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE.
    fn events_table(&self, target: &ObjectRef) -> Option<String> {
        let kind = match target.kind {
            crate::protocol::ObjectKind::Node => Kind::Node,
            crate::protocol::ObjectKind::Pod => Kind::Pod,
            crate::protocol::ObjectKind::Deployment => Kind::Deployment,
            crate::protocol::ObjectKind::ReplicaSet => Kind::ReplicaSet,
            crate::protocol::ObjectKind::Service => Kind::Service,
        };
        let api = self.session.simulation().api();
        let object = api
            .store()
            .get(&ObjectKey::new(kind, &target.namespace, &target.name))?;
        let events = tidepool_core::events::events_for(api, object);
        if events.is_empty() {
            return Some(format!(
                "No events found in {} namespace.\n",
                if target.namespace.is_empty() {
                    "default"
                } else {
                    &target.namespace
                }
            ));
        }
        let now = self.session.simulation().now().as_millis();
        let mut rows = vec![
            ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
                .map(str::to_owned)
                .to_vec(),
        ];
        for event in events {
            let last = event
                .last_timestamp
                .as_ref()
                .map_or(now, |t| tidepool_core::api::virtual_time(t).as_millis());
            let age = tidepool_shell::duration::human_millis(
                i64::try_from(now.saturating_sub(last)).unwrap_or(i64::MAX),
            );
            rows.push(vec![
                age,
                event.type_.clone().unwrap_or_default(),
                event.reason.clone().unwrap_or_default(),
                format!(
                    "{}/{}",
                    event
                        .involved_object
                        .kind
                        .as_deref()
                        .unwrap_or("")
                        .to_lowercase(),
                    event.involved_object.name.as_deref().unwrap_or("")
                ),
                event.message.clone().unwrap_or_default(),
            ]);
        }
        Some(tidepool_shell::tabwriter::table(&rows))
    }

    /// The session and settings as a saved envelope.
    fn saved(&mut self) -> SavedSession {
        SavedSession::new(
            self.settings.clone(),
            self.session.save(),
            self.tabs.clone(),
        )
    }

    /// Replaces the session with a saved text. On success returns the replies for the UI
    /// (settings, clock, full view); on failure the current session is untouched.
    pub fn restore_text(&mut self, text: &str) -> Result<Vec<FromCluster>, String> {
        let saved = SavedSession::decode(text)?;
        let session = Session::restore(&saved.session).map_err(|e| e.to_string())?;
        *self = Self::from_session(session, saved.settings.clone());
        self.tabs = saved.tabs;
        // The restored state is what is stored; only an import needs writing back.
        self.dirty = true;
        let mut replies = vec![
            FromCluster::Restored {
                settings: saved.settings,
            },
            self.clock(),
            self.terminals_reply(None),
        ];
        self.push_view(&mut replies);
        Ok(replies)
    }

    /// Restores the session saved in storage at startup. Failure is reported as a notice (the
    /// caller keeps the unreadable text under `kept_as`); a fresh cluster keeps running.
    pub fn restore_saved(&mut self, text: &str, kept_as: &str) -> Vec<FromCluster> {
        match self.restore_text(text) {
            Ok(mut replies) => {
                self.dirty = false;
                replies.push(FromCluster::Notice {
                    notice: Notice::Restored {
                        virtual_time_ms: self.now_ms(),
                    },
                });
                replies
            }
            Err(reason) => vec![FromCluster::Notice {
                notice: Notice::SetAside {
                    reason,
                    kept_as: kept_as.to_owned(),
                },
            }],
        }
    }

    /// `real_elapsed` of wall time passed: returns the text to store once the session has
    /// had unsaved changes for [`SAVE_INTERVAL`] (so a burst of changes is one write, and a
    /// cluster that keeps changing is still saved every second).
    pub fn take_save(&mut self, real_elapsed: Duration) -> Option<String> {
        let revision = self.session.simulation().api().store().revision();
        if revision != self.saved_revision {
            self.dirty = true;
        }
        if !self.dirty {
            self.unsaved_for = Duration::ZERO;
            return None;
        }
        self.unsaved_for = self.unsaved_for.saturating_add(real_elapsed);
        if self.unsaved_for < SAVE_INTERVAL {
            return None;
        }
        self.dirty = false;
        self.unsaved_for = Duration::ZERO;
        self.saved_revision = revision;
        Some(self.saved().encode())
    }

    /// `real_elapsed` of wall time passed on the host: advance virtual time by it times the
    /// speed. Returns the clock and cluster view updates to broadcast (nothing while paused).
    pub fn tick(&mut self, real_elapsed: Duration) -> Vec<FromCluster> {
        if self.speed == 0 {
            return Vec::new();
        }
        self.session
            .advance(real_elapsed.saturating_mul(self.speed));
        let mut replies = vec![self.clock()];
        self.poll_follow(&mut replies);
        self.push_view(&mut replies);
        replies
    }

    /// New output of a streaming command since the last poll; when the command has ended
    /// (`logs -f` of a container that stopped), the prompt.
    fn poll_follow(&mut self, replies: &mut Vec<FromCluster>) {
        for terminal in self.following.clone() {
            match self.session.poll_follow_in(terminal) {
                Some(output) => {
                    if output.exit_code != 0 {
                        self.stream_exit.insert(terminal, output.exit_code);
                    }
                    if !output.chunks.is_empty() {
                        replies.push(FromCluster::Stream {
                            terminal,
                            chunks: stream_chunks(output),
                        });
                    }
                }
                None => {
                    self.following.remove(&terminal);
                    replies.push(FromCluster::Output {
                        terminal,
                        chunks: Vec::new(),
                        exit_code: self.stream_exit.remove(&terminal).unwrap_or(0),
                        effects: Vec::new(),
                        prompt: self.prompt_of(terminal),
                    });
                }
            }
        }
    }
}

/// Clears the screen at the start of a streamed output that asks for it (a `watch` frame):
/// `Stream` has no effects, so the clear travels as the ANSI sequence xterm.js understands
/// (cursor home, erase the display), as procps watch's curses does.
pub const CLEAR_SCREEN: &str = "\x1b[H\x1b[2J";

fn stream_chunks(output: tidepool_shell::CommandOutput) -> Vec<(tidepool_shell::Stream, String)> {
    let mut chunks = output.chunks;
    if output.effects.contains(&Effect::Clear) {
        chunks.insert(0, (tidepool_shell::Stream::Stdout, CLEAR_SCREEN.to_owned()));
    }
    chunks
}

/// `kubectl VERB TYPE NAME [-n NAMESPACE]` for one object. The name travels as one argument;
/// no shell parsing is involved.
fn kubectl_args(verb: &str, target: &ObjectRef) -> Vec<String> {
    let mut args = vec![
        verb.to_owned(),
        target.kind.kubectl_type().to_owned(),
        target.name.clone(),
    ];
    if target.kind.namespaced() {
        args.extend(["-n".to_owned(), target.namespace.clone()]);
    }
    args
}

/// The command line the inspector's Edit types: `kubectl edit KIND/NAME [-n NS]`. Object
/// and namespace names are DNS labels/subdomains, so nothing in them needs quoting.
fn edit_line(target: &ObjectRef) -> String {
    let mut line = format!(
        "kubectl edit {}/{}",
        target.kind.kubectl_type(),
        target.name
    );
    if target.kind.namespaced() {
        line.push_str(" -n ");
        line.push_str(&target.namespace);
    }
    line
}

fn not_found(target: &ObjectRef) -> String {
    format!(
        "Error from server (NotFound): {}s \"{}\" not found\n",
        target.kind.kubectl_type(),
        target.name
    )
}

impl Default for ClusterHandler {
    fn default() -> Self {
        Self::new(&SessionConfig::default())
    }
}

/// What the answer slot carries for a line's `replies`, if they are only terminal text: one
/// [`FromCluster::Output`] for `terminal`, without effects (clear, editor, exit...), with the
/// prompt it had before (`prompt_before`: no host change), fitting the slot; a clock move
/// beside it (`sleep`) is fine, the posted message still carries it. Anything else (streams,
/// continuation prompts, tab changes) goes by message only.
fn slot_answer(
    seq: u32,
    terminal: TerminalId,
    prompt_before: Option<&str>,
    replies: &[FromCluster],
) -> Option<SlotAnswer> {
    let (output, rest) = replies.split_first()?;
    if !rest.iter().all(|r| matches!(r, FromCluster::Clock { .. })) {
        return None;
    }
    let FromCluster::Output {
        terminal: answered,
        chunks,
        exit_code,
        effects,
        prompt,
    } = output
    else {
        return None;
    };
    if *answered != terminal || !effects.is_empty() || prompt_before != Some(prompt.as_str()) {
        return None;
    }
    let text_len: usize = chunks.iter().map(|(_, s)| s.len()).sum();
    if text_len + prompt.len() > answer_slot::DATA_BYTES {
        return None;
    }
    Some(SlotAnswer {
        seq,
        terminal,
        exit_code: *exit_code,
        text: chunks.iter().map(|(_, s)| s.as_str()).collect(),
        prompt: prompt.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Stream;

    const T0: TerminalId = TerminalId::FIRST;

    /// Asks for the slot as number `seq`, then runs `line` in the first terminal.
    fn line_with_slot(handler: &mut ClusterHandler, seq: u32, line: &str) -> Vec<FromCluster> {
        assert!(handler.answer(ToCluster::AnswerInSlot { seq }).is_empty());
        handler.answer(ToCluster::Line {
            terminal: T0,
            text: line.to_owned(),
        })
    }

    #[test]
    fn a_plain_answer_is_announced_and_handed_over_for_the_slot() {
        let mut handler = ClusterHandler::default();
        let replies = line_with_slot(&mut handler, 4, "kubectl get ns -o name");
        let [
            FromCluster::AnsweredInSlot { terminal, seq: 4 },
            FromCluster::Output {
                chunks,
                exit_code,
                prompt,
                ..
            },
        ] = replies.as_slice()
        else {
            panic!("announcement, then the output: {replies:?}");
        };
        assert_eq!(*terminal, T0);
        let Some(SlotContent::Answer(answer)) = handler.take_slot_content() else {
            panic!("an answer for the slot");
        };
        assert_eq!(answer.seq, 4);
        assert_eq!(answer.terminal, T0);
        assert_eq!(answer.exit_code, *exit_code);
        assert_eq!(answer.prompt, *prompt);
        let text: String = chunks.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(answer.text, text);
        assert!(answer.text.contains("namespace/kube-system\n"));
        assert_eq!(handler.take_slot_content(), None, "handed over once");

        // A failure is terminal text too (stderr, exit status 1).
        line_with_slot(&mut handler, 5, "kubectl get pdos");
        let Some(SlotContent::Answer(failed)) = handler.take_slot_content() else {
            panic!("an answer for the slot");
        };
        assert_eq!(failed.exit_code, 1);
        assert!(
            failed
                .text
                .starts_with("error: the server doesn't have a resource type")
        );
    }

    #[test]
    fn only_the_next_line_goes_to_the_slot_and_only_when_asked() {
        let mut handler = ClusterHandler::default();
        let plain = handler.answer(ToCluster::Line {
            terminal: T0,
            text: "echo a".to_owned(),
        });
        assert!(matches!(plain.as_slice(), [FromCluster::Output { .. }]));
        assert_eq!(handler.take_slot_content(), None);
        line_with_slot(&mut handler, 1, "echo b");
        assert!(matches!(
            handler.take_slot_content(),
            Some(SlotContent::Answer(_))
        ));
        let after = handler.answer(ToCluster::Line {
            terminal: T0,
            text: "echo c".to_owned(),
        });
        assert!(matches!(after.as_slice(), [FromCluster::Output { .. }]));
        assert_eq!(handler.take_slot_content(), None);
    }

    #[test]
    fn answers_with_more_than_terminal_text_stay_out_of_the_slot() {
        for line in [
            "clear",                  // an effect: the screen is cleared
            "cat <<EOF",              // a continuation prompt
            "kubectl get pods -A -w", // a stream starts
            "ssh node01",             // the prompt changes host
            "vi notes.txt",           // the editor opens
        ] {
            let mut handler = ClusterHandler::default();
            let replies = line_with_slot(&mut handler, 9, line);
            assert!(
                !replies
                    .iter()
                    .any(|r| matches!(r, FromCluster::AnsweredInSlot { .. })),
                "{line}: {replies:?}"
            );
            assert_eq!(
                handler.take_slot_content(),
                Some(SlotContent::Declined { seq: 9 }),
                "{line}: the page stops waiting"
            );
        }
    }

    #[test]
    fn an_answer_too_long_for_the_slot_goes_by_message_only() {
        let output = |text: String| FromCluster::Output {
            terminal: T0,
            chunks: vec![(Stream::Stdout, text)],
            exit_code: 0,
            effects: Vec::new(),
            prompt: "$ ".to_owned(),
        };
        let fits = "x".repeat(answer_slot::DATA_BYTES - 2);
        assert!(slot_answer(1, T0, Some("$ "), &[output(fits.clone())]).is_some());
        let long = format!("{fits}y");
        assert_eq!(slot_answer(1, T0, Some("$ "), &[output(long)]), None);
        let clock = FromCluster::Clock {
            virtual_time_ms: 1,
            speed: 1,
        };
        assert!(
            slot_answer(1, T0, Some("$ "), &[output("a".into()), clock]).is_some(),
            "a clock move beside it (sleep) is fine"
        );
        assert_eq!(
            slot_answer(1, TerminalId(2), Some("$ "), &[output("a".into())]),
            None,
            "another terminal's output"
        );
    }

    #[test]
    fn ping_answers_pong_with_the_same_nonce_and_the_prompt() {
        let mut handler = ClusterHandler::new(&SessionConfig {
            seed: 5,
            ..SessionConfig::default()
        });
        let replies = handler.handle(ToCluster::Ping { nonce: 77 });
        assert_eq!(
            replies[0],
            FromCluster::Pong {
                nonce: 77,
                protocol_version: PROTOCOL_VERSION,
                seed: 5,
                virtual_time_ms: 0,
            }
        );
        // Then the terminals (one, with its prompt), its history and the full cluster
        // view, so the graph can draw at once.
        let [
            _,
            FromCluster::Terminals {
                terminals,
                active: T0,
                opened: None,
            },
            FromCluster::History {
                terminal: T0,
                lines,
            },
            FromCluster::ClusterView { view },
        ] = replies.as_slice()
        else {
            panic!("{replies:?}");
        };
        assert_eq!(terminals.len(), 1);
        assert_eq!(terminals[0].prompt, "controlplane $ ");
        assert!(lines.is_empty());
        assert!(view.nodes.contains_key("controlplane") && view.nodes.contains_key("node01"));
    }

    #[test]
    fn advance_and_ticks_move_the_virtual_clock() {
        let mut handler = ClusterHandler::default();
        handler.handle(ToCluster::Advance { millis: 1_500 });
        assert_eq!(
            handler.handle(ToCluster::SetSpeed { speed: 10 }),
            vec![FromCluster::Clock {
                virtual_time_ms: 1_500,
                speed: 10
            }]
        );
        assert_eq!(
            handler.tick(Duration::from_millis(500)).first(),
            Some(&FromCluster::Clock {
                virtual_time_ms: 6_500,
                speed: 10
            })
        );
        handler.handle(ToCluster::SetSpeed { speed: 0 });
        assert_eq!(handler.tick(Duration::from_secs(1)), vec![]);
    }

    #[test]
    fn a_kubectl_line_runs_in_the_session() {
        let mut handler = ClusterHandler::default();
        let replies = handler.handle(ToCluster::Line {
            terminal: T0,
            text: "kubectl get nodes".to_owned(),
        });
        let [
            FromCluster::Output {
                terminal: T0,
                chunks,
                exit_code,
                prompt,
                ..
            },
            ..,
        ] = replies.as_slice()
        else {
            panic!("expected one Output, got {replies:?}");
        };
        assert_eq!(*exit_code, 0);
        assert_eq!(prompt, "controlplane $ ");
        let text: String = chunks.iter().map(|(_, s)| s.as_str()).collect();
        assert!(text.starts_with("NAME "), "{text}");
        assert!(
            text.contains("controlplane") && text.contains("node01"),
            "{text}"
        );
        assert!(chunks.iter().all(|(stream, _)| *stream == Stream::Stdout));
    }

    #[test]
    fn a_heredoc_continues_then_completes() {
        let mut handler = ClusterHandler::default();
        let first = handler.handle(ToCluster::Line {
            terminal: T0,
            text: "cat <<EOF > note.txt".to_owned(),
        });
        assert_eq!(
            first[0],
            FromCluster::Continue {
                terminal: T0,
                prompt: "> ".to_owned()
            }
        );
        handler.handle(ToCluster::Line {
            terminal: T0,
            text: "hello".to_owned(),
        });
        let done = handler.handle(ToCluster::Line {
            terminal: T0,
            text: "EOF".to_owned(),
        });
        assert!(
            matches!(
                done.as_slice(),
                [FromCluster::Output { exit_code: 0, .. }, ..]
            ),
            "{done:?}"
        );
        assert_eq!(
            handler.session().read_file("note.txt").as_deref(),
            Some("hello\n")
        );
    }

    #[test]
    fn completion_returns_candidates() {
        let mut handler = ClusterHandler::default();
        let replies = handler.answer(ToCluster::Complete {
            terminal: T0,
            line: "kubectl ge".to_owned(),
            cursor: 10,
        });
        let [FromCluster::Completions { candidates, .. }] = replies.as_slice() else {
            panic!("{replies:?}");
        };
        assert!(
            candidates.iter().any(|c| c.starts_with("get")),
            "{candidates:?}"
        );
    }

    fn line(handler: &mut ClusterHandler, text: &str) -> Vec<FromCluster> {
        handler.handle(ToCluster::Line {
            terminal: T0,
            text: text.to_owned(),
        })
    }

    fn inspected(handler: &mut ClusterHandler, target: &ObjectRef, view: InspectView) -> String {
        let replies = handler.handle(ToCluster::Inspect {
            target: target.clone(),
            view,
        });
        let [FromCluster::Inspected { text, ok: true, .. }] = replies.as_slice() else {
            panic!("{view:?}: {replies:?}");
        };
        text.clone()
    }

    #[test]
    fn the_open_inspector_tab_follows_its_object_until_closed() {
        let mut handler = ClusterHandler::default();
        line(&mut handler, "kubectl run web --image=nginx");
        let target = ObjectRef {
            kind: crate::protocol::ObjectKind::Pod,
            namespace: "default".to_owned(),
            name: "web".to_owned(),
        };
        let yaml = inspected(&mut handler, &target, InspectView::Yaml);
        assert!(!yaml.contains("tier: probe"), "{yaml}");

        // A change the graph does not show (a label) still refreshes the open tab.
        let replies = line(&mut handler, "kubectl label pod web tier=probe");
        let refreshed: Vec<&String> = replies
            .iter()
            .filter_map(|r| match r {
                FromCluster::Inspected {
                    target: t,
                    view: InspectView::Yaml,
                    text,
                    ok: true,
                } if *t == target => Some(text),
                _ => None,
            })
            .collect();
        assert!(
            matches!(refreshed.as_slice(), [text] if text.contains("    tier: probe\n")),
            "{replies:?}"
        );

        // Closed: later changes send nothing.
        assert!(handler.handle(ToCluster::CloseInspector).is_empty());
        let replies = line(&mut handler, "kubectl label pod web tier=other --overwrite");
        assert!(
            !replies
                .iter()
                .any(|r| matches!(r, FromCluster::Inspected { .. })),
            "{replies:?}"
        );
    }

    #[test]
    fn the_inspector_runs_kubectl_without_touching_the_terminal() {
        let mut handler = ClusterHandler::default();
        line(
            &mut handler,
            "kubectl create deployment web --image=nginx --replicas=1",
        );
        handler.handle(ToCluster::Advance { millis: 30_000 });
        let pod = handler
            .session()
            .simulation()
            .api()
            .store()
            .list(Kind::Pod, Some("default"))
            .next()
            .expect("a pod")
            .name()
            .to_owned();
        let target = ObjectRef {
            kind: crate::protocol::ObjectKind::Pod,
            namespace: "default".to_owned(),
            name: pod.clone(),
        };
        let yaml = inspected(&mut handler, &target, InspectView::Yaml);
        assert!(yaml.starts_with("apiVersion: v1\nkind: Pod\n"), "{yaml}");
        assert!(yaml.contains(&format!("  name: {pod}\n")), "{yaml}");
        let describe = inspected(&mut handler, &target, InspectView::Describe);
        assert!(describe.starts_with("Name:"), "{describe}");
        let events = inspected(&mut handler, &target, InspectView::Events);
        assert!(
            events.starts_with("LAST SEEN   TYPE     REASON"),
            "{events}"
        );
        assert!(events.contains("Scheduled"), "{events}");
        inspected(&mut handler, &target, InspectView::Logs);
        // Nothing went into the shell's history.
        let replies = line(&mut handler, "history");
        let [FromCluster::Output { chunks, .. }, ..] = replies.as_slice() else {
            panic!("{replies:?}");
        };
        let history: String = chunks.iter().map(|(_, s)| s.as_str()).collect();
        assert!(
            !history.contains("-o yaml") && !history.contains("describe"),
            "{history}"
        );

        let replies = handler.handle(ToCluster::Delete {
            target: target.clone(),
        });
        let [FromCluster::Deleted { text, ok: true, .. }, ..] = replies.as_slice() else {
            panic!("{replies:?}");
        };
        assert_eq!(text, &format!("pod \"{pod}\" deleted\n"));

        let missing = ObjectRef {
            name: "nope".to_owned(),
            ..target
        };
        let replies = handler.handle(ToCluster::Inspect {
            target: missing,
            view: InspectView::Yaml,
        });
        let [
            FromCluster::Inspected {
                text, ok: false, ..
            },
        ] = replies.as_slice()
        else {
            panic!("{replies:?}");
        };
        assert_eq!(
            text,
            "Error from server (NotFound): pods \"nope\" not found\n"
        );
    }

    #[test]
    fn export_import_and_reset_keep_files_and_say_what_happened() {
        let mut handler = ClusterHandler::default();
        line(&mut handler, "echo hi > a.txt");
        line(&mut handler, "kubectl create deployment web --image=nginx");
        handler.handle(ToCluster::Settings {
            settings: Settings {
                lang: "ko".to_owned(),
                theme: "light".to_owned(),
                speed: 5,
            },
        });
        let replies = handler.handle(ToCluster::ExportSession);
        let [FromCluster::SessionFile { json, file_name }] = replies.as_slice() else {
            panic!("{replies:?}");
        };
        assert!(file_name.ends_with(".json"));

        let replies = handler.handle(ToCluster::ResetCluster);
        assert_eq!(
            replies[0],
            FromCluster::Notice {
                notice: Notice::ClusterReset
            }
        );
        assert!(
            replies
                .iter()
                .any(|r| matches!(r, FromCluster::ClusterView { view } if view.workloads.keys().all(|k| !k.contains("/default/"))))
        );
        assert_eq!(
            handler.session().read_file("a.txt").as_deref(),
            Some("hi\n")
        );

        let mut fresh = ClusterHandler::default();
        let replies = fresh.handle(ToCluster::ImportSession { json: json.clone() });
        assert_eq!(
            replies[0],
            FromCluster::Notice {
                notice: Notice::Imported
            }
        );
        assert!(replies.contains(&FromCluster::Restored {
            settings: Settings {
                lang: "ko".to_owned(),
                theme: "light".to_owned(),
                speed: 5,
            }
        }));
        assert_eq!(fresh.session().read_file("a.txt").as_deref(), Some("hi\n"));
        let view = replies.iter().find_map(|r| match r {
            FromCluster::ClusterView { view } => Some(view),
            _ => None,
        });
        assert!(
            view.expect("a full view")
                .workloads
                .contains_key("Deployment/default/web")
        );

        let replies = fresh.handle(ToCluster::ImportSession {
            json: "{not json".to_owned(),
        });
        let [
            FromCluster::Notice {
                notice: Notice::ImportFailed { reason },
            },
        ] = replies.as_slice()
        else {
            panic!("{replies:?}");
        };
        assert!(reason.starts_with("not JSON"), "{reason}");
        assert_eq!(fresh.session().read_file("a.txt").as_deref(), Some("hi\n"));
    }

    #[test]
    fn saves_wait_for_a_change_and_a_second_and_restore_at_startup() {
        let mut handler = ClusterHandler::default();
        handler.handle(ToCluster::SetSpeed { speed: 0 });
        assert_eq!(handler.take_save(Duration::from_millis(250)), None);
        assert!(
            handler.take_save(Duration::from_millis(750)).is_some(),
            "changed, 1 s old"
        );
        assert_eq!(
            handler.take_save(Duration::from_secs(5)),
            None,
            "nothing changed since"
        );
        line(&mut handler, "echo saved > b.txt");
        assert_eq!(
            handler.take_save(Duration::from_millis(500)),
            None,
            "debounced"
        );
        let text = handler
            .take_save(Duration::from_millis(500))
            .expect("saved");

        let mut restarted = ClusterHandler::default();
        let replies = restarted.restore_saved(&text, "unreadable-1");
        assert!(matches!(
            replies.last(),
            Some(FromCluster::Notice {
                notice: Notice::Restored { .. }
            })
        ));
        assert_eq!(
            restarted.session().read_file("b.txt").as_deref(),
            Some("saved\n")
        );
        assert_eq!(restarted.settings().speed, 0);

        let mut broken = ClusterHandler::default();
        let replies = broken.restore_saved(
            "{\"format\":\"tidepool-session\",\"version\":7}",
            "unreadable-2",
        );
        assert_eq!(
            replies,
            vec![FromCluster::Notice {
                notice: Notice::SetAside {
                    reason: "saved by a newer Tidepool (format version 7, this one reads 2)"
                        .to_owned(),
                    kept_as: "unreadable-2".to_owned(),
                }
            }]
        );
    }

    #[test]
    fn logs_follow_streams_on_clock_moves_until_ctrl_c() {
        let mut handler = ClusterHandler::default();
        handler.handle(ToCluster::Line {
            terminal: T0,
            text: "kubectl run ticker --image=busybox -- sh -c 'while true; do echo tick; sleep 1; done'"
                .to_owned(),
        });
        handler.handle(ToCluster::Advance { millis: 30_000 });
        let replies = handler.handle(ToCluster::Line {
            terminal: T0,
            text: "kubectl logs -f ticker".to_owned(),
        });
        let Some(FromCluster::Stream { chunks, .. }) = replies.first() else {
            panic!("logs -f streams without a prompt: {replies:?}");
        };
        assert!(chunks.iter().any(|(_, s)| s.contains("tick")), "{chunks:?}");
        let replies = handler.tick(Duration::from_secs(3));
        let streamed: String = replies
            .iter()
            .filter_map(|r| match r {
                FromCluster::Stream { chunks, .. } => {
                    Some(chunks.iter().map(|(_, s)| s.as_str()).collect::<String>())
                }
                _ => None,
            })
            .collect();
        assert!(
            streamed.contains("tick"),
            "new lines arrive with the clock: {replies:?}"
        );
        assert!(
            !replies
                .iter()
                .any(|r| matches!(r, FromCluster::Output { .. })),
            "still running: {replies:?}"
        );
        let replies = handler.handle(ToCluster::Interrupt { terminal: T0 });
        let [
            FromCluster::Output {
                terminal: T0,
                exit_code,
                prompt,
                ..
            },
        ] = replies.as_slice()
        else {
            panic!("Ctrl-C ends the stream with the prompt: {replies:?}");
        };
        assert_eq!((*exit_code, prompt.as_str()), (130, "controlplane $ "));
        // Nothing streams now: clock moves send no more log lines, Ctrl-C is the UI's.
        let replies = handler.tick(Duration::from_secs(3));
        assert!(
            !replies
                .iter()
                .any(|r| matches!(r, FromCluster::Stream { .. }))
        );
        assert!(
            handler
                .handle(ToCluster::Interrupt { terminal: T0 })
                .is_empty()
        );
    }

    #[test]
    fn ctrl_c_ends_a_run_it_rm_session_and_reports_the_deletion() {
        let mut handler = ClusterHandler::default();
        line(
            &mut handler,
            "kubectl run -it --rm loop --image=busybox --restart=Never -- sh -c 'while sleep 1; do :; done'",
        );
        let replies = handler.handle(ToCluster::Interrupt { terminal: T0 });
        // The deletion also reaches the graph (a ClusterDelta follows the output).
        let Some(FromCluster::Output {
            terminal: T0,
            chunks,
            prompt,
            ..
        }) = replies.first()
        else {
            panic!("Ctrl-C ends the attached session: {replies:?}");
        };
        let text: String = chunks.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            (text.as_str(), prompt.as_str()),
            (
                "pod \"loop\" deleted\npod default/loop terminated (Error)\n",
                "controlplane $ "
            )
        );
        // At an idle prompt Ctrl-C is the UI's again.
        assert!(
            handler
                .handle(ToCluster::Interrupt { terminal: T0 })
                .is_empty()
        );
    }

    const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx\n";

    /// The replies without cluster view updates and clock ticks.
    fn editor_replies(replies: Vec<FromCluster>) -> Vec<FromCluster> {
        replies
            .into_iter()
            .filter(|r| {
                !matches!(
                    r,
                    FromCluster::ClusterView { .. }
                        | FromCluster::ClusterDelta { .. }
                        | FromCluster::Clock { .. }
                )
            })
            .collect()
    }

    fn streamed(replies: &[FromCluster]) -> String {
        replies
            .iter()
            .filter_map(|r| match r {
                FromCluster::Stream { chunks, .. } => {
                    Some(chunks.iter().map(|(_, s)| s.as_str()).collect::<String>())
                }
                _ => None,
            })
            .collect()
    }

    fn output_text(reply: &FromCluster) -> String {
        let FromCluster::Output { chunks, .. } = reply else {
            panic!("expected Output, got {reply:?}");
        };
        chunks.iter().map(|(_, s)| s.as_str()).collect()
    }

    #[test]
    fn vi_opens_the_editor_and_the_prompt_waits_for_it_to_close() {
        let mut handler = ClusterHandler::default();
        assert_eq!(
            editor_replies(line(&mut handler, "vi web.yaml")),
            vec![FromCluster::OpenEditor {
                // The shell resolves the path against the working directory.
                path: "/root/web.yaml".to_owned(),
                text: String::new(),
                new_file: true,
                error: None,
                draft: None,
            }]
        );
        // `:w` writes and keeps the pane open: no prompt yet.
        let saved = handler.handle(ToCluster::SaveFile {
            path: "/root/web.yaml".to_owned(),
            text: WEB.to_owned(),
            close: false,
        });
        assert_eq!(
            saved,
            vec![FromCluster::FileSaved {
                path: "/root/web.yaml".to_owned(),
                error: None
            }]
        );
        assert_eq!(
            handler.session().read_file("web.yaml").as_deref(),
            Some(WEB)
        );
        // `:wq`: written again, then the command ends with the prompt.
        let closed = editor_replies(handler.handle(ToCluster::SaveFile {
            path: "/root/web.yaml".to_owned(),
            text: WEB.replace("replicas: 1", "replicas: 2"),
            close: true,
        }));
        assert_eq!(closed.len(), 2, "{closed:?}");
        assert_eq!(
            closed[1],
            FromCluster::Output {
                terminal: T0,
                chunks: Vec::new(),
                exit_code: 0,
                effects: Vec::new(),
                prompt: "controlplane $ ".to_owned()
            }
        );
        let applied = line(&mut handler, "kubectl apply -f web.yaml");
        assert_eq!(output_text(&applied[0]), "deployment.apps/web created\n");
        // Reopening shows the saved text.
        let reopened = editor_replies(line(&mut handler, "vim web.yaml"));
        let [
            FromCluster::OpenEditor {
                text,
                new_file: false,
                ..
            },
        ] = reopened.as_slice()
        else {
            panic!("{reopened:?}");
        };
        assert!(text.contains("replicas: 2"), "{text}");
    }

    #[test]
    fn quitting_without_saving_leaves_the_file_alone() {
        let mut handler = ClusterHandler::default();
        line(&mut handler, "echo keep > notes.txt");
        let opened = editor_replies(line(&mut handler, "nano notes.txt"));
        assert!(matches!(
            opened.as_slice(),
            [FromCluster::OpenEditor { text, .. }] if text == "keep\n"
        ));
        let closed = editor_replies(handler.handle(ToCluster::CloseEditor {
            path: "/root/notes.txt".to_owned(),
        }));
        assert!(matches!(
            closed.as_slice(),
            [FromCluster::Output { chunks, exit_code: 0, .. }] if chunks.is_empty()
        ));
        assert_eq!(
            handler.session().read_file("notes.txt").as_deref(),
            Some("keep\n")
        );
    }

    #[test]
    fn a_refused_write_keeps_the_editor_open() {
        let mut handler = ClusterHandler::default();
        line(&mut handler, "mkdir dir");
        line(&mut handler, "vi dir");
        let replies = handler.handle(ToCluster::SaveFile {
            path: "dir".to_owned(),
            text: "x".to_owned(),
            close: true,
        });
        let [
            FromCluster::FileSaved {
                error: Some(error), ..
            },
        ] = replies.as_slice()
        else {
            panic!("{replies:?}");
        };
        assert!(!error.is_empty());
    }

    #[test]
    fn kubectl_edit_reopens_on_an_invalid_object_then_applies_a_valid_one() {
        let mut handler = ClusterHandler::default();
        line(&mut handler, "kubectl create deployment web --image=nginx");
        let opened = editor_replies(line(&mut handler, "kubectl edit deployment/web"));
        let [
            FromCluster::OpenEditor {
                path,
                text,
                new_file: false,
                error: None,
                draft: None,
            },
        ] = opened.as_slice()
        else {
            panic!("{opened:?}");
        };
        assert!(path.starts_with("/tmp/kubectl-edit-"), "{path}");
        assert!(
            text.starts_with("# Please edit the object below."),
            "{text}"
        );
        let (path, text) = (path.clone(), text.clone());

        // An invalid edit: the pane opens again with kubectl's error block.
        let invalid = text.replace("replicas: 1", "replicas: -1");
        let replies = editor_replies(handler.handle(ToCluster::SaveFile {
            path: path.clone(),
            text: invalid,
            close: true,
        }));
        let [
            FromCluster::FileSaved { error: None, .. },
            FromCluster::OpenEditor {
                path: again,
                text: reopened,
                error: Some(error),
                ..
            },
        ] = replies.as_slice()
        else {
            panic!("{replies:?}");
        };
        assert_eq!(again, &path);
        assert!(
            error.contains("spec.replicas: Invalid value: -1"),
            "{error}"
        );
        assert!(reopened.contains("replicas: -1"), "{reopened}");

        // Fixed: applied, and the command ends with kubectl's message and the prompt.
        let replies = editor_replies(handler.handle(ToCluster::SaveFile {
            path,
            text: reopened.replace("replicas: -1", "replicas: 3"),
            close: true,
        }));
        assert_eq!(output_text(&replies[1]), "deployment.apps/web edited\n");
        let replicas = line(
            &mut handler,
            "kubectl get deploy web -o jsonpath={.spec.replicas}",
        );
        assert_eq!(output_text(&replicas[0]), "3");
    }

    #[test]
    fn inspector_edit_runs_kubectl_edit_in_the_terminal_and_applies_the_save() {
        let mut handler = ClusterHandler::default();
        line(&mut handler, "kubectl create namespace shop");
        line(
            &mut handler,
            "kubectl create deployment web --image=nginx -n shop",
        );
        let target = ObjectRef {
            kind: crate::protocol::ObjectKind::Deployment,
            namespace: "shop".to_owned(),
            name: "web".to_owned(),
        };
        let opened = editor_replies(handler.handle(ToCluster::Edit {
            terminal: T0,
            target: target.clone(),
        }));
        // The line is echoed after the prompt, as if typed, then the pane opens.
        let [
            FromCluster::Stream { terminal, chunks },
            FromCluster::OpenEditor {
                path,
                text,
                error: None,
                ..
            },
        ] = opened.as_slice()
        else {
            panic!("{opened:?}");
        };
        assert_eq!(*terminal, T0);
        assert_eq!(
            chunks[0].1,
            "\r\x1b[2Kcontrolplane $ kubectl edit deployment/web -n shop\n"
        );
        assert!(path.starts_with("/tmp/kubectl-edit-"), "{path}");
        assert!(text.contains("namespace: shop"), "{text}");
        let (path, text) = (path.clone(), text.clone());

        // While the pane is open a second Edit is ignored (no prompt to type at).
        assert!(
            handler
                .handle(ToCluster::Edit {
                    terminal: T0,
                    target: target.clone(),
                })
                .is_empty()
        );

        // An invalid save reopens the pane with kubectl's error, as for the typed command.
        let replies = editor_replies(handler.handle(ToCluster::SaveFile {
            path: path.clone(),
            text: text.replace("replicas: 1", "replicas: -1"),
            close: true,
        }));
        let [
            FromCluster::FileSaved { error: None, .. },
            FromCluster::OpenEditor {
                error: Some(error),
                text: reopened,
                ..
            },
        ] = replies.as_slice()
        else {
            panic!("{replies:?}");
        };
        assert!(
            error.contains("spec.replicas: Invalid value: -1"),
            "{error}"
        );
        let replies = editor_replies(handler.handle(ToCluster::SaveFile {
            path,
            text: reopened.replace("replicas: -1", "replicas: 4"),
            close: true,
        }));
        assert_eq!(output_text(&replies[1]), "deployment.apps/web edited\n");
        let replicas = line(
            &mut handler,
            "kubectl get deploy web -n shop -o jsonpath={.spec.replicas}",
        );
        assert_eq!(output_text(&replicas[0]), "4");
        // The command is in the terminal's history, as a typed one is.
        let history = line(&mut handler, "history");
        assert!(
            output_text(&history[0]).contains("kubectl edit deployment/web -n shop"),
            "{history:?}"
        );

        // A missing object: kubectl's error in the terminal and a prompt, no pane.
        let missing = editor_replies(handler.handle(ToCluster::Edit {
            terminal: T0,
            target: ObjectRef {
                name: "gone".to_owned(),
                ..target
            },
        }));
        let [
            FromCluster::Stream { .. },
            output @ FromCluster::Output { exit_code: 1, .. },
        ] = missing.as_slice()
        else {
            panic!("{missing:?}");
        };
        assert_eq!(
            output_text(output),
            "Error from server (NotFound): deployments.apps \"gone\" not found\n"
        );
    }

    #[test]
    fn inspector_edit_waits_for_a_streaming_terminal_and_names_nodes_without_a_namespace() {
        let mut handler = ClusterHandler::default();
        let node = ObjectRef {
            kind: crate::protocol::ObjectKind::Node,
            namespace: String::new(),
            name: "node01".to_owned(),
        };
        assert_eq!(edit_line(&node), "kubectl edit node/node01");
        // `get -w` holds the prompt: Edit has nowhere to type and is ignored.
        line(&mut handler, "kubectl get pods -w");
        assert!(
            handler
                .handle(ToCluster::Edit {
                    terminal: T0,
                    target: node.clone(),
                })
                .is_empty()
        );
        handler.handle(ToCluster::Interrupt { terminal: T0 });
        let opened = editor_replies(handler.handle(ToCluster::Edit {
            terminal: T0,
            target: node,
        }));
        assert!(
            matches!(opened.as_slice(), [FromCluster::Stream { .. }, FromCluster::OpenEditor { text, .. }] if text.contains("name: node01")),
            "{opened:?}"
        );
    }

    #[test]
    fn closing_kubectl_edit_without_saving_cancels_it() {
        let mut handler = ClusterHandler::default();
        line(&mut handler, "kubectl create deployment web --image=nginx");
        let opened = editor_replies(line(&mut handler, "kubectl edit deploy web"));
        let [FromCluster::OpenEditor { path, .. }] = opened.as_slice() else {
            panic!("{opened:?}");
        };
        let closed = editor_replies(handler.handle(ToCluster::CloseEditor { path: path.clone() }));
        assert_eq!(
            output_text(&closed[0]),
            "Edit cancelled, no changes made.\n"
        );
    }

    #[test]
    fn validation_answers_with_the_simulators_errors_and_the_revision() {
        let mut handler = ClusterHandler::default();
        let replies = handler.answer(ToCluster::Validate {
            path: "web.yaml".to_owned(),
            text: WEB.replace("image: nginx", "image: \"\""),
            revision: 7,
        });
        let [
            FromCluster::Diagnostics {
                path,
                revision: 7,
                diagnostics,
            },
        ] = replies.as_slice()
        else {
            panic!("{replies:?}");
        };
        assert_eq!(path, "web.yaml");
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].line, 17, "{diagnostics:?}");
        assert!(
            diagnostics[0].message.contains("containers[0].image"),
            "{diagnostics:?}"
        );
        // Nothing was created.
        let get = line(&mut handler, "kubectl get deploy");
        assert_eq!(
            output_text(&get[0]),
            "No resources found in default namespace.\n"
        );
    }

    #[test]
    fn watch_redraws_a_cleared_frame_each_interval_until_ctrl_c() {
        let mut handler = ClusterHandler::default();
        let replies = line(&mut handler, "watch -n 5 kubectl get ns default");
        let first = streamed(&replies);
        assert!(
            first.starts_with(&format!(
                "{CLEAR_SCREEN}Every 5.0s: kubectl get ns default "
            )),
            "{first:?}"
        );
        assert!(first.ends_with("default   Active   0s\n"), "{first:?}");
        // No prompt while it runs; a tick shorter than the interval draws nothing.
        assert!(
            !replies
                .iter()
                .any(|r| matches!(r, FromCluster::Output { .. }))
        );
        assert_eq!(streamed(&handler.tick(Duration::from_secs(3))), "");
        let next = streamed(&handler.tick(Duration::from_secs(2)));
        assert!(next.starts_with(CLEAR_SCREEN), "{next:?}");
        assert!(next.ends_with("default   Active   5s\n"), "{next:?}");
        let replies = handler.handle(ToCluster::Interrupt { terminal: T0 });
        assert!(
            matches!(
                replies.as_slice(),
                [FromCluster::Output { exit_code: 130, .. }]
            ),
            "{replies:?}"
        );
        assert_eq!(streamed(&handler.tick(Duration::from_secs(10))), "");
    }

    #[test]
    fn a_background_port_forward_serves_curl_and_a_foreground_one_streams() {
        let mut handler = ClusterHandler::default();
        line(&mut handler, "kubectl run web --image=nginx --port=80");
        handler.handle(ToCluster::Advance { millis: 10_000 });
        let replies = line(&mut handler, "kubectl port-forward pod/web 8080:80 &");
        let [FromCluster::Output { chunks, prompt, .. }, ..] = replies.as_slice() else {
            panic!("a job returns to the prompt: {replies:?}");
        };
        let text: String = chunks.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            text,
            "[1] 2741\nForwarding from 127.0.0.1:8080 -> 80\nForwarding from [::1]:8080 -> 80\n"
        );
        assert_eq!(prompt, "controlplane $ ");
        let replies = line(&mut handler, "curl -s localhost:8080 | grep title");
        let [FromCluster::Output { chunks, .. }, ..] = replies.as_slice() else {
            panic!("{replies:?}");
        };
        let text: String = chunks.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            text,
            "Handling connection for 8080\n<title>Welcome to nginx!</title>\n"
        );
        // In the foreground it streams until Ctrl-C.
        let replies = line(&mut handler, "kubectl port-forward pod/web 9090:80");
        assert!(
            matches!(replies.first(), Some(FromCluster::Stream { .. })),
            "{replies:?}"
        );
        assert!(
            !handler
                .tick(Duration::from_secs(5))
                .iter()
                .any(|r| matches!(r, FromCluster::Output { .. }))
        );
        let replies = handler.handle(ToCluster::Interrupt { terminal: T0 });
        assert!(
            matches!(
                replies.as_slice(),
                [FromCluster::Output { exit_code: 130, .. }]
            ),
            "{replies:?}"
        );
        // A forward whose pod stops prints kubectl's error and ends with its status.
        line(
            &mut handler,
            "kubectl run once --image=busybox --restart=Never -- sleep 15",
        );
        handler.handle(ToCluster::Advance { millis: 10_000 });
        let replies = line(&mut handler, "kubectl port-forward pod/once 7000");
        assert!(
            matches!(replies.first(), Some(FromCluster::Stream { .. })),
            "{replies:?}"
        );
        let replies = handler.tick(Duration::from_secs(10));
        assert_eq!(streamed(&replies), "error: lost connection to pod\n");
        let replies = handler.tick(Duration::from_secs(1));
        assert!(
            replies
                .iter()
                .any(|r| matches!(r, FromCluster::Output { exit_code: 1, .. })),
            "{replies:?}"
        );
    }

    fn line_in(handler: &mut ClusterHandler, terminal: TerminalId, text: &str) -> Vec<FromCluster> {
        text.lines()
            .flat_map(|l| {
                handler.handle(ToCluster::Line {
                    terminal,
                    text: l.to_owned(),
                })
            })
            .collect()
    }

    /// The text and the terminal of every `Output`/`Stream` among the replies.
    fn terminal_text(replies: &[FromCluster]) -> Vec<(TerminalId, String)> {
        replies
            .iter()
            .filter_map(|r| match r {
                FromCluster::Output {
                    terminal, chunks, ..
                }
                | FromCluster::Stream { terminal, chunks } => {
                    Some((*terminal, chunks.iter().map(|(_, s)| s.as_str()).collect()))
                }
                _ => None,
            })
            .collect()
    }

    fn opened_terminal(handler: &mut ClusterHandler, host: &str) -> TerminalId {
        let replies = handler.answer(ToCluster::OpenTerminal {
            host: host.to_owned(),
        });
        let [
            FromCluster::Terminals {
                opened: Some(id),
                active,
                terminals,
            },
        ] = replies.as_slice()
        else {
            panic!("{replies:?}");
        };
        assert_eq!(active, id, "the new tab is shown");
        let info = terminals.iter().find(|t| t.id == *id).expect("listed");
        assert_eq!(info.prompt, format!("{host} $ "));
        *id
    }

    #[test]
    fn a_node_tab_writes_a_static_pod_and_the_controlplane_tab_sees_it() {
        let mut handler = ClusterHandler::default();
        let node = opened_terminal(&mut handler, "node01");
        let replies = line_in(
            &mut handler,
            node,
            "cat <<EOF > /etc/kubernetes/manifests/nginx-pod.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx-pod\nspec:\n  containers:\n  - image: nginx:latest\n    name: nginx-pod\nEOF",
        );
        assert!(
            matches!(replies.as_slice(), [FromCluster::Continue { terminal, .. }, ..] if *terminal == node)
        );
        assert!(replies.iter().any(|r| matches!(
            r,
            FromCluster::Output { terminal, exit_code: 0, prompt, .. }
                if *terminal == node && prompt == "node01 $ "
        )));
        handler.handle(ToCluster::Advance { millis: 20_000 });
        let replies = line_in(&mut handler, T0, "kubectl get pods");
        let outputs = terminal_text(&replies);
        let [(T0, pods)] = outputs.as_slice() else {
            panic!("{replies:?}");
        };
        assert!(
            pods.lines()
                .any(|l| l.starts_with("nginx-pod-node01 ") && l.contains("Running")),
            "{pods}"
        );
        assert!(
            handler.handle(ToCluster::OpenTerminal {
                host: "node7".to_owned()
            }) == vec![FromCluster::Notice {
                notice: Notice::TerminalNotOpened {
                    reason: "ssh: Could not resolve hostname node7: Name or service not known"
                        .to_owned()
                }
            }]
        );
    }

    #[test]
    fn a_stream_in_a_background_tab_keeps_its_output_in_that_tab() {
        let mut handler = ClusterHandler::default();
        handler.handle(ToCluster::SetSpeed { speed: 1 });
        let second = opened_terminal(&mut handler, "controlplane");
        let started = line_in(&mut handler, T0, "kubectl get pods -w");
        assert!(matches!(
            started.as_slice(),
            [FromCluster::Stream { terminal: T0, .. }, ..]
        ));
        // The learner switches to the other tab and creates a pod there.
        handler.handle(ToCluster::SelectTerminal { terminal: second });
        let created = line_in(&mut handler, second, "kubectl run web --image=nginx");
        assert_eq!(
            terminal_text(&created),
            vec![(second, "pod/web created\n".to_owned())]
        );
        let mut streamed = String::new();
        for _ in 0..20 {
            for (terminal, text) in terminal_text(&handler.tick(Duration::from_millis(250))) {
                assert_eq!(terminal, T0, "{text}");
                streamed.push_str(&text);
            }
        }
        assert!(streamed.contains("web    1/1     Running"), "{streamed}");
        // Ctrl-C in the idle tab leaves the stream alone; in its own tab it stops it.
        assert!(
            handler
                .handle(ToCluster::Interrupt { terminal: second })
                .is_empty()
        );
        assert!(matches!(
            handler
                .handle(ToCluster::Interrupt { terminal: T0 })
                .as_slice(),
            [FromCluster::Output {
                terminal: T0,
                exit_code: 130,
                ..
            }]
        ));
        // `exit` closes a tab that is not the last; the last one stays.
        let replies = line_in(&mut handler, second, "exit");
        let Some(FromCluster::Terminals {
            terminals, active, ..
        }) = replies.last()
        else {
            panic!("{replies:?}");
        };
        assert_eq!((terminals.len(), *active), (1, T0));
        let replies = handler.handle(ToCluster::CloseTerminal { terminal: T0 });
        assert!(
            matches!(replies.as_slice(), [FromCluster::Terminals { terminals, .. }] if terminals.len() == 1)
        );
        // A line for the closed tab goes nowhere.
        assert!(line_in(&mut handler, second, "ls").is_empty());
    }

    #[test]
    fn tabs_and_the_editor_draft_survive_a_reload() {
        let mut handler = ClusterHandler::default();
        let node = opened_terminal(&mut handler, "node01");
        line_in(&mut handler, node, "cd /etc/kubernetes/manifests");
        let cp2 = opened_terminal(&mut handler, "controlplane");
        line_in(&mut handler, cp2, "echo two");
        handler.handle(ToCluster::SelectTerminal { terminal: node });
        let opened = line_in(&mut handler, node, "vi pod.yaml");
        assert!(matches!(
            opened.last(),
            Some(FromCluster::OpenEditor { .. })
        ));
        // The pane validates the half-typed text on a pause: that is the draft.
        handler.handle(ToCluster::Validate {
            path: "/etc/kubernetes/manifests/pod.yaml".to_owned(),
            text: "apiVersion: v1\nkind: Po".to_owned(),
            revision: 1,
        });
        let text = handler.take_save(Duration::from_secs(2)).expect("saved");

        let mut reloaded = ClusterHandler::default();
        let restored = reloaded.restore_saved(&text, "unreadable-1");
        assert!(
            restored
                .iter()
                .any(|r| matches!(r, FromCluster::Terminals { active, .. } if *active == node))
        );
        let replies = reloaded.handle(ToCluster::Ping { nonce: 1 });
        let Some(FromCluster::Terminals {
            terminals, active, ..
        }) = replies.get(1)
        else {
            panic!("{replies:?}");
        };
        let homes: Vec<(&str, &str)> = terminals
            .iter()
            .map(|t| (t.home.as_str(), t.prompt.as_str()))
            .collect();
        assert_eq!(
            homes,
            vec![
                ("controlplane", "controlplane $ "),
                ("node01", "node01 $ "),
                ("controlplane", "controlplane $ ")
            ]
        );
        assert_eq!(*active, node);
        assert!(replies.contains(&FromCluster::History {
            terminal: cp2,
            lines: vec!["echo two".to_owned()]
        }));
        assert!(replies.contains(&FromCluster::OpenEditor {
            path: "/etc/kubernetes/manifests/pod.yaml".to_owned(),
            text: String::new(),
            new_file: true,
            error: None,
            draft: Some("apiVersion: v1\nkind: Po".to_owned()),
        }));
        // Saving and closing the reopened pane gives the node tab its prompt back.
        let closed = reloaded.handle(ToCluster::SaveFile {
            path: "/etc/kubernetes/manifests/pod.yaml".to_owned(),
            text: "apiVersion: v1\nkind: Pod\n".to_owned(),
            close: true,
        });
        assert!(closed.iter().any(|r| matches!(
            r,
            FromCluster::Output { terminal, prompt, .. } if *terminal == node && prompt == "node01 $ "
        )));
        // The draft is gone once the pane closed.
        let text = reloaded.take_save(Duration::from_secs(2)).expect("saved");
        let mut again = ClusterHandler::default();
        again.restore_saved(&text, "unreadable-2");
        let replies = again.handle(ToCluster::Ping { nonce: 2 });
        assert!(
            !replies
                .iter()
                .any(|r| matches!(r, FromCluster::OpenEditor { .. }))
        );
    }
}
