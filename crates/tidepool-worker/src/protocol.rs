//! Messages between the UI thread and the cluster worker. Encoded with serde-wasm-bindgen
//! (see [`crate::codec`]); both sides are built from this one definition.

pub use crate::cluster_view::{
    Changes, ClusterView, EventView, NodeView, OwnerView, PodView, ServiceView, ViewDelta,
    WorkloadKind, WorkloadView,
};
pub use crate::persist::{Notice, Settings};
use serde::{Deserialize, Serialize};
pub use tidepool_shell::{Effect, Stream, TerminalId, TerminalInfo};

/// The protocol revision; bump it when a message changes shape.
/// v3: cluster view and deltas, inspector, delete, settings, reset, export/import.
/// v5: `Effect::Watch` is gone: `watch` streams like `get -w` (frames start with a clear).
/// v6: the editor pane (open, save, close, validate).
/// v7: terminal tabs: terminal ids on lines, completions, interrupts and their answers;
/// open/close/select a terminal; the editor's draft survives a reload.
/// v9: the answer slot (`AttachAnswerSlot`, `AnswerInSlot`, `AnsweredInSlot`): a command's
/// text also reaches the page through shared memory (`crate::answer_slot`).
pub const PROTOCOL_VERSION: u32 = 10;

/// The kinds the graph shows and the inspector opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ObjectKind {
    Node,
    Pod,
    Deployment,
    ReplicaSet,
    Service,
}

impl ObjectKind {
    /// The resource type kubectl takes (`kubectl get pod ...`).
    pub fn kubectl_type(self) -> &'static str {
        match self {
            ObjectKind::Node => "node",
            ObjectKind::Pod => "pod",
            ObjectKind::Deployment => "deployment",
            ObjectKind::ReplicaSet => "replicaset",
            ObjectKind::Service => "service",
        }
    }

    pub fn namespaced(self) -> bool {
        self != ObjectKind::Node
    }
}

/// One object the UI points at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    /// Empty for nodes.
    pub namespace: String,
    pub name: String,
}

/// The inspector's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InspectView {
    /// `kubectl get KIND NAME -o yaml`
    Yaml,
    /// `kubectl describe KIND NAME`
    Describe,
    /// The object's events, newest last (as `kubectl events --for` lists them).
    Events,
    /// `kubectl logs POD` (pods only).
    Logs,
}

/// A `SharedArrayBuffer` carried as is through the serde-wasm-bindgen codec (postMessage
/// shares it rather than copying it). Only the browser codec can carry one: other encodings
/// fail on it, and native code never builds one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SharedMemory(#[serde(with = "serde_wasm_bindgen::preserve")] pub wasm_bindgen::JsValue);

impl PartialEq for SharedMemory {
    /// The same buffer (JS identity).
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for SharedMemory {}

/// UI -> cluster worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToCluster {
    /// Liveness check; the worker answers [`FromCluster::Pong`] with the same nonce.
    Ping { nonce: u32 },
    /// Move the virtual clock forward by this many milliseconds (the "step" control).
    Advance { millis: u64 },
    /// Virtual seconds per real second; 0 pauses the clock.
    SetSpeed { speed: u32 },
    /// One line typed in a terminal (heredocs arrive line by line).
    Line { terminal: TerminalId, text: String },
    /// Once, at start-up, from a cross-origin isolated page: the answer slot's shared buffer
    /// (`crate::answer_slot`). The worker writes answers there when asked by
    /// [`ToCluster::AnswerInSlot`].
    AttachAnswerSlot { slot: SharedMemory },
    /// Sent right before a [`ToCluster::Line`] (in the same task, so nothing comes between):
    /// if that line's answer is plain terminal text that fits, write it into the answer slot
    /// as number `seq` before posting it, and precede the posted
    /// [`FromCluster::Output`] with [`FromCluster::AnsweredInSlot`]. The page spins on the
    /// slot for a few milliseconds to draw the answer in the frame after Enter.
    AnswerInSlot { seq: u32 },
    /// Tab completion for `line` with the cursor at byte `cursor`.
    Complete {
        terminal: TerminalId,
        line: String,
        cursor: u32,
    },
    /// Ctrl-C while a command streams (`kubectl get -w`, `logs -f`, `port-forward`, `watch`):
    /// stop it.
    Interrupt { terminal: TerminalId },
    /// Open a terminal on `host` (`controlplane` or a node); answered with
    /// [`FromCluster::Terminals`] naming it in `opened`.
    OpenTerminal { host: String },
    /// Close a terminal (never the last one); answered with [`FromCluster::Terminals`].
    CloseTerminal { terminal: TerminalId },
    /// The learner switched to this tab: saved, so a reload shows it again.
    SelectTerminal { terminal: TerminalId },
    /// Text for one inspector tab; answered with [`FromCluster::Inspected`], and again
    /// whenever the cluster changes that text, until the next `Inspect` or `CloseInspector`.
    Inspect {
        target: ObjectRef,
        view: InspectView,
    },
    /// The inspector was closed: its text is no longer followed.
    CloseInspector,
    /// `kubectl delete` the object (the UI asked for confirmation first).
    Delete { target: ObjectRef },
    /// The inspector's Edit: runs `kubectl edit KIND/NAME [-n NS]` in `terminal` as if typed
    /// there (echoed, kept in its history), so the editor pane opens, saves apply and errors
    /// reopen it exactly as for the terminal path. Ignored while an editor pane is open or
    /// the terminal streams a command (`get -w`): it has no prompt to type at.
    Edit {
        terminal: TerminalId,
        target: ObjectRef,
    },
    /// The UI's settings changed: saved with the session.
    Settings { settings: Settings },
    /// Replace the cluster with a fresh one (same seed); files and history stay.
    ResetCluster,
    /// Asks for the session as a file; answered with [`FromCluster::SessionFile`].
    ExportSession,
    /// A session file the learner picked.
    ImportSession { json: String },
    /// The editor pane writes `text` to `path` (`:w`). With `close` (`:wq`, `:x`, Ctrl-S) the
    /// editor then closes: the command that opened it (`vi`, `kubectl edit`) finishes and its
    /// output goes to the terminal, or the pane opens again ([`FromCluster::OpenEditor`]).
    SaveFile {
        path: String,
        text: String,
        close: bool,
    },
    /// The editor pane closed without writing (`:q`, `:q!`, Esc).
    CloseEditor { path: String },
    /// Diagnostics for the editor's text, from the simulator's own decoder and API server
    /// (nothing is applied); answered with [`FromCluster::Diagnostics`] carrying `revision`.
    /// The text is also the pane's draft: saved with the session, so a reload reopens the
    /// pane with it.
    Validate {
        path: String,
        text: String,
        revision: u32,
    },
}

/// One problem in the editor's text, at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub line: u32,
    pub message: String,
}

/// Cluster worker -> UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FromCluster {
    Pong {
        nonce: u32,
        protocol_version: u32,
        /// The seed the simulation runs with.
        seed: u64,
        /// Virtual time in milliseconds since the simulation started.
        virtual_time_ms: u64,
    },
    /// The terminals, in tab order, and the tab to show: after [`FromCluster::Pong`] and
    /// whenever one opens or closes. `opened` names the terminal an
    /// [`ToCluster::OpenTerminal`] created.
    Terminals {
        terminals: Vec<TerminalInfo>,
        active: TerminalId,
        opened: Option<TerminalId>,
    },
    /// A terminal's saved history (oldest first), for its line editor's arrow keys: after
    /// [`FromCluster::Terminals`] on connect.
    History {
        terminal: TerminalId,
        lines: Vec<String>,
    },
    /// The virtual clock moved.
    Clock { virtual_time_ms: u64, speed: u32 },
    /// When the worker started handling a command line and when it had posted the answer, in
    /// microseconds since the epoch (`performance.timeOrigin + performance.now()`, comparable
    /// across the page and the worker): for the UI's performance record only. Follows the
    /// answer.
    Handled {
        received_at_us: u64,
        answered_at_us: u64,
    },
    /// The next message is the [`FromCluster::Output`] whose text and prompt were written
    /// into the answer slot as number `seq` (see [`ToCluster::AnswerInSlot`]): a page that
    /// already drew it from the slot does not draw it again.
    AnsweredInSlot { terminal: TerminalId, seq: u32 },
    /// A command line finished.
    Output {
        terminal: TerminalId,
        /// Output in terminal order, stdout and stderr interleaved.
        chunks: Vec<(Stream, String)>,
        exit_code: i32,
        effects: Vec<Effect>,
        /// The prompt for the next line.
        prompt: String,
    },
    /// More output of a command that keeps running (`kubectl get -w`, `logs -f`,
    /// `port-forward`, `watch`); no prompt yet. A `watch` frame starts with the ANSI clear
    /// (`handler::CLEAR_SCREEN`). The stream ends with an [`FromCluster::Output`] carrying
    /// the prompt.
    Stream {
        terminal: TerminalId,
        chunks: Vec<(Stream, String)>,
    },
    /// The line left a heredoc or quote open: show this prompt and send the next line.
    Continue {
        terminal: TerminalId,
        prompt: String,
    },
    /// Candidates for a [`ToCluster::Complete`] request.
    Completions {
        terminal: TerminalId,
        line: String,
        cursor: u32,
        candidates: Vec<String>,
    },
    /// The whole cluster view: on connect and after a restore, import or reset.
    ClusterView { view: ClusterView },
    /// What changed in the cluster view since the last view or delta.
    ClusterDelta { delta: ViewDelta },
    /// The text of one inspector tab. `ok` is false when kubectl failed (e.g. the object was
    /// deleted meanwhile); `text` then holds its error.
    Inspected {
        target: ObjectRef,
        view: InspectView,
        text: String,
        ok: bool,
    },
    /// The answer to [`ToCluster::Delete`]: kubectl's output.
    Deleted {
        target: ObjectRef,
        text: String,
        ok: bool,
    },
    /// A session was restored (from storage or a file): apply its settings.
    Restored { settings: Settings },
    /// The session as a JSON file to download.
    SessionFile { file_name: String, json: String },
    /// Something the learner should know about their saved session.
    Notice { notice: Notice },
    /// A command (`vi FILE`, `kubectl edit`) opened the editor on `path` (as the command
    /// named it). The command runs until the pane closes ([`ToCluster::SaveFile`] with
    /// `close`, or [`ToCluster::CloseEditor`]); its prompt comes then.
    OpenEditor {
        path: String,
        /// The file's text; empty for a new file.
        text: String,
        /// The file does not exist yet (vim says `[New]`).
        new_file: bool,
        /// Why `kubectl edit` reopened the file (its error block, without the `#`s).
        error: Option<String>,
        /// The unsaved text the pane had before the page reloaded: show it instead of `text`
        /// (which stays the file's text, to tell whether there are changes).
        draft: Option<String>,
    },
    /// The answer to [`ToCluster::SaveFile`]: `error` is the filesystem's refusal, if any.
    FileSaved { path: String, error: Option<String> },
    /// The answer to [`ToCluster::Validate`].
    Diagnostics {
        path: String,
        revision: u32,
        diagnostics: Vec<Diagnostic>,
    },
}
