//! The UI state as a reducer over [`AppAction`]. Components dispatch actions; nothing else
//! mutates state.

use crate::editor_state::{self, EditorAction, EditorOutcome, EditorState};
use crate::i18n::Lang;
use crate::playground_state::{PlaygroundAction, PlaygroundState};
use std::rc::Rc;
use yew::Reducible;

/// What the UI knows about the cluster worker.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WorkerStatus {
    /// Spawned, no answer yet.
    #[default]
    Connecting,
    /// Answered a ping.
    Ready {
        seed: u64,
        virtual_time_ms: u64,
        speed: u32,
        protocol_version: u32,
    },
}

/// Something for the terminal to show, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermEvent {
    /// The worker is up: show the first prompt.
    Ready { prompt: String },
    /// A command finished: its output (terminal-ready, `\r\n` line ends), then the prompt.
    Output { text: String, prompt: String },
    /// More output of a command that keeps running; no prompt yet.
    Stream { text: String },
    /// The line left input open (heredoc, quote): show the continuation prompt.
    Continue { prompt: String },
    /// Tab-completion candidates for `line`.
    Completions {
        line: String,
        candidates: Vec<String>,
    },
    /// Clear the screen.
    Clear,
    /// Take the keyboard focus back (the editor pane closed).
    Focus,
}

/// Terminal events not yet shown, numbered so the terminal writes each exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TermFeed {
    pub next_seq: u64,
    pub events: Vec<(u64, TermEvent)>,
}

/// Events kept for a terminal that has not drawn yet; older ones were long shown.
const TERM_FEED_LIMIT: usize = 256;

impl TermFeed {
    fn push(&mut self, event: TermEvent) {
        self.events.push((self.next_seq, event));
        self.next_seq += 1;
        if self.events.len() > TERM_FEED_LIMIT {
            self.events.drain(..self.events.len() - TERM_FEED_LIMIT);
        }
    }

    /// Events numbered `from` and later.
    pub fn since(&self, from: u64) -> impl Iterator<Item = &(u64, TermEvent)> {
        self.events.iter().filter(move |(seq, _)| *seq >= from)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppState {
    pub lang: Lang,
    pub worker: WorkerStatus,
    pub terminal: TermFeed,
    /// Cluster graph, inspector, events, notices, theme.
    pub playground: PlaygroundState,
    /// The editor pane, while open (over the terminal).
    pub editor: Option<EditorState>,
    /// How many times the editor pane has opened (numbers each opening).
    pub editor_openings: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppAction {
    ToggleLanguage,
    /// The language of a restored session.
    SetLanguage(Lang),
    Playground(PlaygroundAction),
    WorkerAnswered {
        seed: u64,
        virtual_time_ms: u64,
        protocol_version: u32,
    },
    ClockMoved {
        virtual_time_ms: u64,
        speed: u32,
    },
    Terminal(TermEvent),
    Editor(EditorAction),
}

impl AppState {
    /// The pure transition function; [`Reducible`] wraps it for Yew.
    pub fn apply(&self, action: AppAction) -> Self {
        let mut next = self.clone();
        match action {
            AppAction::ToggleLanguage => next.lang = self.lang.toggled(),
            AppAction::SetLanguage(lang) => next.lang = lang,
            AppAction::Playground(action) => next.playground = self.playground.apply(action),
            AppAction::WorkerAnswered {
                seed,
                virtual_time_ms,
                protocol_version,
            } => {
                next.worker = WorkerStatus::Ready {
                    seed,
                    virtual_time_ms,
                    speed: 1,
                    protocol_version,
                };
            }
            AppAction::ClockMoved {
                virtual_time_ms: now,
                speed: new_speed,
            } => {
                if let WorkerStatus::Ready {
                    virtual_time_ms,
                    speed,
                    ..
                } = &mut next.worker
                {
                    *virtual_time_ms = now;
                    *speed = new_speed;
                }
            }
            AppAction::Terminal(event) => next.terminal.push(event),
            AppAction::Editor(action) => {
                if matches!(action, EditorAction::Opened { .. }) {
                    next.editor_openings += 1;
                }
                let outcome = editor_state::apply(&mut next.editor, action, next.editor_openings);
                if outcome == EditorOutcome::Closed {
                    next.terminal.push(TermEvent::Focus);
                }
            }
        }
        next
    }
}

impl Reducible for AppState {
    type Action = AppAction;

    fn reduce(self: Rc<Self>, action: AppAction) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_answer_then_clock_updates_the_status() {
        let state = AppState::default()
            .apply(AppAction::WorkerAnswered {
                seed: 3,
                virtual_time_ms: 0,
                protocol_version: 2,
            })
            .apply(AppAction::ClockMoved {
                virtual_time_ms: 9_000,
                speed: 10,
            });
        assert_eq!(
            state.worker,
            WorkerStatus::Ready {
                seed: 3,
                virtual_time_ms: 9_000,
                speed: 10,
                protocol_version: 2
            }
        );
    }

    #[test]
    fn clock_before_answer_is_ignored_and_language_toggles() {
        let state = AppState::default()
            .apply(AppAction::ClockMoved {
                virtual_time_ms: 5,
                speed: 1,
            })
            .apply(AppAction::ToggleLanguage);
        assert_eq!(state.worker, WorkerStatus::Connecting);
        assert_eq!(state.lang, Lang::Ko);
    }

    #[test]
    fn closing_the_editor_gives_the_terminal_its_focus_back() {
        let state = AppState::default().apply(AppAction::Editor(EditorAction::Opened {
            path: "a.yaml".to_owned(),
            text: "a: 1\n".to_owned(),
            new_file: false,
            error: None,
        }));
        assert_eq!(state.editor.as_ref().map(|e| e.opened), Some(1));
        let closed = state.apply(AppAction::Editor(EditorAction::Discarded));
        assert_eq!(closed.editor, None);
        assert_eq!(
            closed.terminal.since(0).last().map(|(_, e)| e),
            Some(&TermEvent::Focus)
        );
    }

    #[test]
    fn terminal_events_are_numbered_and_bounded() {
        let mut state = AppState::default();
        for i in 0..300 {
            state = state.apply(AppAction::Terminal(TermEvent::Continue {
                prompt: format!("{i}"),
            }));
        }
        assert_eq!(state.terminal.next_seq, 300);
        assert_eq!(state.terminal.events.len(), TERM_FEED_LIMIT);
        let newest: Vec<u64> = state.terminal.since(298).map(|(seq, _)| *seq).collect();
        assert_eq!(newest, vec![298, 299]);
    }
}
