//! The saved-session format: a versioned JSON envelope around the shell's [`SessionState`]
//! (files, history, environment, the cluster snapshot) and the UI's settings. Pure: the
//! worker stores the text in IndexedDB ([`crate::idb`]), export/import moves it as a file.
//!
//! Versioning: `version` is bumped whenever the envelope or anything inside it changes shape.
//! A blob of another version is never misread: an older one is migrated when a migration
//! exists (none yet: v1 is the first), anything else is set aside under its own key and the
//! learner sees a [`Notice`], never a silent loss.

use serde::{Deserialize, Serialize};
use tidepool_shell::SessionState;

/// The `format` field every saved session carries.
pub const SAVE_FORMAT: &str = "tidepool-session";
/// The envelope's current version.
pub const SAVE_VERSION: u32 = 1;

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
}

/// The envelope as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSession {
    pub format: String,
    pub version: u32,
    pub settings: Settings,
    pub session: SessionState,
}

impl SavedSession {
    pub fn new(settings: Settings, session: SessionState) -> Self {
        Self {
            format: SAVE_FORMAT.to_owned(),
            version: SAVE_VERSION,
            settings,
            session,
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

/// Brings an envelope of `version` up to [`SAVE_VERSION`]. There are no older versions yet;
/// a migration for version N goes here as one step N -> N+1.
fn migrate(value: serde_json::Value, version: u64) -> Result<serde_json::Value, String> {
    match version {
        v if v == u64::from(SAVE_VERSION) => Ok(value),
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
                "saved by a newer Tidepool (format version 99, this one reads 1)",
            ),
            (
                "{\"format\":\"tidepool-session\",\"version\":0}",
                "format version 0 is older than any this Tidepool can migrate",
            ),
            (
                "{\"format\":\"tidepool-session\",\"version\":1,\"settings\":{}}",
                "damaged session",
            ),
        ];
        for (text, expected) in cases {
            let error = SavedSession::decode(text).expect_err(text);
            assert!(error.starts_with(expected), "{text}: {error}");
        }
    }
}
