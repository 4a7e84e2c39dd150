//! The saved-session format: a versioned JSON envelope around the shell's [`SessionState`]
//! (files, history, environment, the cluster snapshot) and the UI's settings. Pure: the
//! worker stores the text in IndexedDB ([`crate::idb`]), export/import moves it as a file.
//!
//! Versioning: `version` is bumped whenever the envelope or anything inside it changes shape.
//! A blob of another version is never misread: an older one is migrated when a migration
//! exists (v1 -> v2 below), anything else is set aside under its own key and the
//! learner sees a [`Notice`], never a silent loss.

use serde::{Deserialize, Serialize};
use tidepool_shell::{SessionState, TerminalId};

/// The `format` field every saved session carries.
pub const SAVE_FORMAT: &str = "tidepool-session";
/// The envelope's current version.
/// v2: every terminal in `session.terminals`, the active tab and the editor's draft (`tabs`).
pub const SAVE_VERSION: u32 = 2;

/// The UI's settings, saved with the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// BCP 47 tag of the UI language (`en`, `ko`).
    pub lang: String,
    /// `dark` or `light`.
    pub theme: String,
    /// Virtual seconds per real second.
    pub speed: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lang: "en".to_owned(),
            theme: "dark".to_owned(),
            speed: crate::handler::DEFAULT_SPEED,
        }
    }
}

/// Something about the saved session the learner should see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notice {
    /// The previous session was restored from the browser's storage.
    Restored { virtual_time_ms: u64 },
    /// The saved session could not be read; it was kept under `kept_as` and a fresh cluster
    /// started. `reason` says why.
    SetAside { reason: String, kept_as: String },
    /// The browser's storage failed (private mode, quota): the session is not being saved.
    StorageFailed { reason: String },
    /// The cluster was reset.
    ClusterReset,
    /// A session file was imported.
    Imported,
    /// A session file could not be imported; the current session is unchanged.
    ImportFailed { reason: String },
    /// A terminal could not be opened (no such node).
    TerminalNotOpened { reason: String },
}

/// The editor pane's text while it is open, as of the last pause in typing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorDraft {
    /// The terminal whose command (`vi`, `kubectl edit`) opened the pane.
    pub terminal: TerminalId,
    /// The path as the command named it.
    pub path: String,
    pub text: String,
}

/// What the UI shows around the terminals: the active tab and the editor's draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabsState {
    /// The tab shown; `None` (or a tab that no longer exists): the first.
    pub active: Option<TerminalId>,
    pub draft: Option<EditorDraft>,
}

/// The envelope as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSession {
    pub format: String,
    pub version: u32,
    pub settings: Settings,
    pub session: SessionState,
    pub tabs: TabsState,
}

impl SavedSession {
    pub fn new(settings: Settings, session: SessionState, tabs: TabsState) -> Self {
        Self {
            format: SAVE_FORMAT.to_owned(),
            version: SAVE_VERSION,
            settings,
            session,
            tabs,
        }
    }

    /// The JSON text that is stored and exported.
    pub fn encode(&self) -> String {
        // Plain data with string keys: serialising it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored or imported text. The error is a sentence for the learner.
    pub fn decode(text: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(SAVE_FORMAT) {
            return Err("not a Tidepool session file".to_owned());
        }
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| "the file has no version".to_owned())?;
        let value = migrate(value, version)?;
        serde_json::from_value(value).map_err(|e| format!("damaged session ({e})"))
    }
}

/// Brings an envelope of `version` up to [`SAVE_VERSION`], one step N -> N+1 at a time.
fn migrate(mut value: serde_json::Value, version: u64) -> Result<serde_json::Value, String> {
    match version {
        v if v == u64::from(SAVE_VERSION) => Ok(value),
        1 => {
            // v1 had one terminal. Its shell fields sit at the top of `session`; the shell
            // reads that layout as one terminal (`SessionState`'s own migration). v1 had no
            // tabs and no draft.
            if let Some(envelope) = value.as_object_mut() {
                envelope.insert("version".to_owned(), 2.into());
                envelope.insert(
                    "tabs".to_owned(),
                    serde_json::to_value(TabsState::default()).unwrap_or_default(),
                );
            }
            migrate(value, 2)
        }
        v if v > u64::from(SAVE_VERSION) => Err(format!(
            "saved by a newer Tidepool (format version {v}, this one reads {SAVE_VERSION})"
        )),
        v => Err(format!(
            "format version {v} is older than any this Tidepool can migrate"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool_shell::{Session, SessionConfig};

    fn saved() -> SavedSession {
        let mut session = Session::new(&SessionConfig::default());
        session.run_script("echo hi > a.txt\nkubectl create deployment web --image=nginx");
        SavedSession::new(
            Settings {
                lang: "ko".to_owned(),
                theme: "light".to_owned(),
                speed: 10,
            },
            session.save(),
            TabsState {
                active: Some(TerminalId(1)),
                draft: Some(EditorDraft {
                    terminal: TerminalId::FIRST,
                    path: "pod.yaml".to_owned(),
                    text: "apiVersion: v1\nkind: Po".to_owned(),
                }),
            },
        )
    }

    #[test]
    fn a_session_round_trips_through_its_text() {
        let saved = saved();
        let back = SavedSession::decode(&saved.encode()).expect("decodes");
        assert_eq!(back, saved);
        let session = Session::restore(&back.session).expect("restores");
        assert_eq!(session.read_file("a.txt").as_deref(), Some("hi\n"));
    }

    /// A v1 envelope: one terminal's shell at the top of `session`, no `tabs`.
    fn version_one_text() -> String {
        let mut value = serde_json::to_value(saved()).expect("serialises");
        let terminal = value["session"]["terminals"][0].clone();
        let session = value["session"].as_object_mut().expect("an object");
        session.remove("terminals");
        for field in ["env", "aliases", "history", "cwd", "host"] {
            session.insert(field.to_owned(), terminal[field].clone());
        }
        let envelope = value.as_object_mut().expect("an object");
        envelope.remove("tabs");
        envelope.insert("version".to_owned(), 1.into());
        value.to_string()
    }

    #[test]
    fn a_version_one_session_migrates_to_one_terminal_and_no_tabs() {
        let back = SavedSession::decode(&version_one_text()).expect("migrates");
        assert_eq!(back.version, SAVE_VERSION);
        assert_eq!(back.tabs, TabsState::default());
        assert_eq!(back.session.terminals.len(), 1);
        assert_eq!(back.session.terminals[0].history.len(), 2);
        let mut session = Session::restore(&back.session).expect("restores");
        assert_eq!(session.prompt(), "controlplane $ ");
        let out = session.run_script("cat a.txt; kubectl get deploy -o name");
        assert_eq!(out[0].text(), "hi\ndeployment.apps/web\n");
    }

    #[test]
    fn bad_texts_say_why() {
        let cases = [
            ("{", "not JSON"),
            ("{\"format\":\"other\"}", "not a Tidepool session file"),
            (
                "{\"format\":\"tidepool-session\"}",
                "the file has no version",
            ),
            (
                "{\"format\":\"tidepool-session\",\"version\":99}",
                "saved by a newer Tidepool (format version 99, this one reads 2)",
            ),
            (
                "{\"format\":\"tidepool-session\",\"version\":0}",
                "format version 0 is older than any this Tidepool can migrate",
            ),
            (
                "{\"format\":\"tidepool-session\",\"version\":2,\"settings\":{}}",
                "damaged session",
            ),
        ];
        for (text, expected) in cases {
            let error = SavedSession::decode(text).expect_err(text);
            assert!(error.starts_with(expected), "{text}: {error}");
        }
    }
}
