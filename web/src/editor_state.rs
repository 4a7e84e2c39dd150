//! The editor pane's state and its vim-like command line, as pure functions.
//!
//! The pane opens when the worker says [`EditorAction::Opened`] (for `vi FILE` or
//! `kubectl edit`) and closes on a successful save-and-close or a discard. The reducer in
//! [`crate::state`] embeds [`EditorState`] as `AppState::editor`.

use tidepool_worker::protocol::Diagnostic;

/// One opening of the editor pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditorState {
    /// The path as the command named it (`web.yaml`, `/tmp/kubectl-edit-0000000001.yaml`).
    pub path: String,
    /// Numbers the openings: a reopened `kubectl edit` gets a fresh editor.
    pub opened: u64,
    /// The text the pane opened with.
    pub initial_text: String,
    /// The text last written (`:w`), to tell whether there are unsaved changes.
    pub saved_text: String,
    /// The file did not exist when the pane opened and has not been written yet.
    pub new_file: bool,
    /// Why `kubectl edit` reopened the file.
    pub edit_error: Option<String>,
    /// The text differs from the saved text (as of the last pause in typing).
    pub modified: bool,
    /// The latest validation asked for; older answers are ignored.
    pub revision: u32,
    pub diagnostics: Vec<Diagnostic>,
    /// The command line's message (vim's `"f" 3L, 20B written`, `E37: ...`).
    pub message: Option<EditorMessage>,
    /// A write on its way to the worker: its text and whether the pane closes after it.
    pub pending_save: Option<(String, bool)>,
    /// Esc was pressed with unsaved changes: a second Esc discards them.
    pub confirm_discard: bool,
}

/// What the command line shows under the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorMessage {
    /// vim's confirmation of a write.
    Written {
        path: String,
        new_file: bool,
        lines: usize,
        bytes: usize,
    },
    /// An error in vim's words (`E37: ...`), shown in the error colour.
    Error(String),
    /// Esc with unsaved changes: how to save or discard (localised by the pane).
    UnsavedChanges,
}

impl EditorMessage {
    /// vim's text for the message; `None` for the localised hint.
    pub fn vim_text(&self) -> Option<String> {
        match self {
            EditorMessage::Written {
                path,
                new_file,
                lines,
                bytes,
            } => Some(format!(
                "\"{path}\" {}{lines}L, {bytes}B written",
                if *new_file { "[New] " } else { "" }
            )),
            EditorMessage::Error(text) => Some(text.clone()),
            EditorMessage::UnsavedChanges => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorAction {
    /// The worker opened the editor on a file.
    Opened {
        path: String,
        text: String,
        new_file: bool,
        error: Option<String>,
        /// Unsaved text from before a reload: the pane shows it, `text` stays the saved one.
        draft: Option<String>,
    },
    /// The pane sent a write (`:w`, `:wq`, Ctrl-S).
    Saving { text: String, close: bool },
    /// The worker's answer to a write.
    Saved { path: String, error: Option<String> },
    /// The pane closed without writing (`:q`, `:q!`, Esc).
    Discarded,
    /// Typing paused: whether the text now differs from the saved one, and the validation
    /// request sent for it.
    Changed { modified: bool, revision: u32 },
    /// The worker's diagnostics for a validation request.
    Diagnostics {
        path: String,
        revision: u32,
        diagnostics: Vec<Diagnostic>,
    },
    /// A message for the command line.
    Message(EditorMessage),
    /// Esc with unsaved changes: ask before discarding.
    AskDiscard,
}

/// What the reducer tells the rest of the app after an editor action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorOutcome {
    Unchanged,
    /// The pane closed: the terminal takes the focus back.
    Closed,
}

/// Applies `action` to the pane (`None`: closed). `next_opening` numbers a new opening.
pub fn apply(
    editor: &mut Option<EditorState>,
    action: EditorAction,
    next_opening: u64,
) -> EditorOutcome {
    match action {
        EditorAction::Opened {
            path,
            text,
            new_file,
            error,
            draft,
        } => {
            let initial_text = draft.unwrap_or_else(|| text.clone());
            *editor = Some(EditorState {
                path,
                opened: next_opening,
                modified: initial_text != text,
                saved_text: text,
                initial_text,
                new_file,
                edit_error: error,
                revision: 0,
                diagnostics: Vec::new(),
                message: None,
                pending_save: None,
                confirm_discard: false,
            });
            EditorOutcome::Unchanged
        }
        EditorAction::Discarded => {
            if editor.take().is_some() {
                EditorOutcome::Closed
            } else {
                EditorOutcome::Unchanged
            }
        }
        action => {
            let Some(state) = editor.as_mut() else {
                return EditorOutcome::Unchanged;
            };
            match action {
                EditorAction::Saving { text, close } => {
                    state.pending_save = Some((text, close));
                    state.confirm_discard = false;
                }
                EditorAction::Saved { path, error } => {
                    if path != state.path {
                        return EditorOutcome::Unchanged;
                    }
                    let Some((text, close)) = state.pending_save.take() else {
                        return EditorOutcome::Unchanged;
                    };
                    if let Some(error) = error {
                        state.message = Some(EditorMessage::Error(format!(
                            "\"{path}\" E212: Can't open file for writing: {}",
                            error.trim_end()
                        )));
                        return EditorOutcome::Unchanged;
                    }
                    if close {
                        *editor = None;
                        return EditorOutcome::Closed;
                    }
                    state.message = Some(EditorMessage::Written {
                        path,
                        new_file: state.new_file,
                        lines: text.lines().count(),
                        bytes: text.len(),
                    });
                    state.new_file = false;
                    state.saved_text = text;
                    state.modified = false;
                }
                EditorAction::Changed { modified, revision } => {
                    state.modified = modified;
                    state.revision = revision;
                }
                EditorAction::Diagnostics {
                    path,
                    revision,
                    diagnostics,
                } => {
                    if path == state.path && revision == state.revision {
                        state.diagnostics = diagnostics;
                    }
                }
                EditorAction::Message(message) => {
                    state.message = Some(message);
                    state.confirm_discard = false;
                }
                EditorAction::AskDiscard => {
                    state.message = Some(EditorMessage::UnsavedChanges);
                    state.confirm_discard = true;
                }
                EditorAction::Opened { .. } | EditorAction::Discarded => {}
            }
            EditorOutcome::Unchanged
        }
    }
}

/// The text as vim writes it: a non-empty file ends with a newline (vim's `fixendofline`).
pub fn with_final_newline(mut text: String) -> String {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// What a command-line entry asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Write the text; close the pane afterwards if `close`.
    Save { close: bool },
    /// Close without writing.
    Discard,
    /// Show this message and stay.
    Message(EditorMessage),
    /// Nothing to do (an empty line).
    Nothing,
}

/// vim's answer to an Ex command (with or without the leading `:`) given whether the text
/// has unsaved changes: `:w`, `:wq`, `:x`, `:q`, `:q!` and their `!`/`a`/`all` variants.
pub fn run_command(input: &str, modified: bool) -> CommandOutcome {
    let command = input.trim().trim_start_matches(':').trim();
    match command {
        "" => CommandOutcome::Nothing,
        "w" | "w!" | "write" | "write!" | "wa" | "wall" => CommandOutcome::Save { close: false },
        "wq" | "wq!" | "wqa" | "wqall" | "wqa!" => CommandOutcome::Save { close: true },
        // `:x` writes only when there is something to write.
        "x" | "x!" | "xa" | "xall" | "xit" | "exit" => {
            if modified {
                CommandOutcome::Save { close: true }
            } else {
                CommandOutcome::Discard
            }
        }
        "q" | "quit" | "qa" | "qall" | "quita" | "quitall" => {
            if modified {
                CommandOutcome::Message(EditorMessage::Error(
                    "E37: No write since last change (add ! to override)".to_owned(),
                ))
            } else {
                CommandOutcome::Discard
            }
        }
        "q!" | "quit!" | "qa!" | "qall!" | "cq" | "cq!" => CommandOutcome::Discard,
        other => CommandOutcome::Message(EditorMessage::Error(format!(
            "E492: Not an editor command: {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_file_ends_with_a_newline() {
        assert_eq!(with_final_newline("a: 1".to_owned()), "a: 1\n");
        assert_eq!(with_final_newline("a: 1\n".to_owned()), "a: 1\n");
        assert_eq!(with_final_newline(String::new()), "");
    }

    #[test]
    fn commands_follow_vim() {
        let e37 = CommandOutcome::Message(EditorMessage::Error(
            "E37: No write since last change (add ! to override)".to_owned(),
        ));
        let cases = [
            (":w", false, CommandOutcome::Save { close: false }),
            ("w", true, CommandOutcome::Save { close: false }),
            (":wq", false, CommandOutcome::Save { close: true }),
            (":x", true, CommandOutcome::Save { close: true }),
            (":x", false, CommandOutcome::Discard),
            (":q", false, CommandOutcome::Discard),
            (":q", true, e37.clone()),
            (":qa", true, e37),
            (":q!", true, CommandOutcome::Discard),
            ("  ", true, CommandOutcome::Nothing),
            (
                ":wqq",
                true,
                CommandOutcome::Message(EditorMessage::Error(
                    "E492: Not an editor command: wqq".to_owned(),
                )),
            ),
        ];
        for (input, modified, want) in cases {
            assert_eq!(
                run_command(input, modified),
                want,
                "{input} modified={modified}"
            );
        }
    }

    fn opened() -> Option<EditorState> {
        let mut editor = None;
        apply(
            &mut editor,
            EditorAction::Opened {
                path: "web.yaml".to_owned(),
                text: String::new(),
                new_file: true,
                error: None,
                draft: None,
            },
            1,
        );
        editor
    }

    #[test]
    fn a_write_says_what_vim_says_and_clears_the_modified_mark() {
        let mut editor = opened();
        apply(
            &mut editor,
            EditorAction::Changed {
                modified: true,
                revision: 1,
            },
            0,
        );
        apply(
            &mut editor,
            EditorAction::Saving {
                text: "a: 1\nb: 2\n".to_owned(),
                close: false,
            },
            0,
        );
        let outcome = apply(
            &mut editor,
            EditorAction::Saved {
                path: "web.yaml".to_owned(),
                error: None,
            },
            0,
        );
        assert_eq!(outcome, EditorOutcome::Unchanged);
        let state = editor.expect("still open");
        assert!(!state.modified && !state.new_file);
        assert_eq!(
            state.message.and_then(|m| m.vim_text()).as_deref(),
            Some("\"web.yaml\" [New] 2L, 10B written")
        );
    }

    #[test]
    fn save_and_close_closes_only_when_the_write_worked() {
        let mut editor = opened();
        apply(
            &mut editor,
            EditorAction::Saving {
                text: "x".to_owned(),
                close: true,
            },
            0,
        );
        let failed = apply(
            &mut editor,
            EditorAction::Saved {
                path: "web.yaml".to_owned(),
                error: Some("vi: web.yaml: Is a directory".to_owned()),
            },
            0,
        );
        assert_eq!(failed, EditorOutcome::Unchanged);
        assert!(matches!(
            editor.as_ref().and_then(|e| e.message.clone()),
            Some(EditorMessage::Error(text)) if text.contains("E212")
        ));
        apply(
            &mut editor,
            EditorAction::Saving {
                text: "x".to_owned(),
                close: true,
            },
            0,
        );
        let closed = apply(
            &mut editor,
            EditorAction::Saved {
                path: "web.yaml".to_owned(),
                error: None,
            },
            0,
        );
        assert_eq!(closed, EditorOutcome::Closed);
        assert_eq!(editor, None);
    }

    #[test]
    fn only_the_latest_validation_is_shown() {
        let mut editor = opened();
        apply(
            &mut editor,
            EditorAction::Changed {
                modified: true,
                revision: 2,
            },
            0,
        );
        let diagnostics = |revision| EditorAction::Diagnostics {
            path: "web.yaml".to_owned(),
            revision,
            diagnostics: vec![Diagnostic {
                line: revision,
                message: "bad".to_owned(),
            }],
        };
        apply(&mut editor, diagnostics(1), 0);
        assert!(editor.as_ref().is_some_and(|e| e.diagnostics.is_empty()));
        apply(&mut editor, diagnostics(2), 0);
        assert_eq!(editor.map(|e| e.diagnostics[0].line), Some(2));
    }
}
