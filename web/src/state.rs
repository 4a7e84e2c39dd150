//! The UI state as a reducer over [`AppAction`]. Components dispatch actions; nothing else
//! mutates state.

use crate::editor_state::{self, EditorAction, EditorOutcome, EditorState};
use crate::i18n::Lang;
use crate::playground_state::{PlaygroundAction, PlaygroundState};
use std::rc::Rc;
use tidepool_worker::protocol::{TerminalId, TerminalInfo};
use yew::Reducible;

/// How long the cluster worker may take to answer its first ping before the status line
/// says something is wrong (a normal start takes about a second; a slow device or network
/// several).
pub const WORKER_SILENT_AFTER_MS: u32 = 20_000;

/// What the UI knows about the cluster worker.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WorkerStatus {
    /// Spawned, no answer yet.
    #[default]
    Connecting,
    /// Spawned, and still no answer after [`WORKER_SILENT_AFTER_MS`]: its script or wasm did
    /// not load, or this browser blocks workers or WebAssembly. The page says so instead of
    /// waiting in silence; an answer that comes later still makes it `Ready`.
    Silent,
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
    /// The terminal's saved history, for the arrow keys (after a reload).
    History { lines: Vec<String> },
}

/// Terminal events not yet shown, numbered so the terminal writes each exactly once.
///
/// Each event is behind an `Rc`: the reducer copies the whole state on every action (four
/// clock ticks a second), and the terminal compares its feed on every render, so a feed
/// holding a large output must cost pointer copies and pointer comparisons, not its text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TermFeed {
    pub next_seq: u64,
    pub events: Vec<(u64, Rc<TermEvent>)>,
}

/// Events kept for a terminal that has not drawn yet; older ones were long shown.
const TERM_FEED_LIMIT: usize = 256;

impl TermFeed {
    fn push(&mut self, event: TermEvent) {
        self.events.push((self.next_seq, Rc::new(event)));
        self.next_seq += 1;
        if self.events.len() > TERM_FEED_LIMIT {
            self.events.drain(..self.events.len() - TERM_FEED_LIMIT);
        }
    }

    /// Events numbered `from` and later.
    pub fn since(&self, from: u64) -> impl Iterator<Item = &(u64, Rc<TermEvent>)> {
        self.events.iter().filter(move |(seq, _)| *seq >= from)
    }
}

/// One terminal tab: the host it was opened on and the events for its xterm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermTab {
    pub id: TerminalId,
    /// `controlplane`, `node01`: the tab's name.
    pub home: String,
    pub feed: TermFeed,
}

/// The terminal tabs, in order, and the one shown. Empty until the worker lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermTabs {
    pub tabs: Vec<TermTab>,
    pub active: TerminalId,
}

impl Default for TermTabs {
    fn default() -> Self {
        Self {
            tabs: Vec::new(),
            active: TerminalId::FIRST,
        }
    }
}

impl TermTabs {
    pub fn get(&self, id: TerminalId) -> Option<&TermTab> {
        self.tabs.iter().find(|t| t.id == id)
    }

    /// The tab `offset` places after the active one, wrapping (arrow keys).
    pub fn neighbour(&self, offset: isize) -> Option<TerminalId> {
        let n = self.tabs.len() as isize;
        let index = self.tabs.iter().position(|t| t.id == self.active)? as isize;
        let next = (index + offset).rem_euclid(n.max(1)) as usize;
        self.tabs.get(next).map(|t| t.id)
    }

    /// The terminals the worker listed: new ones get a tab showing their prompt, tabs of
    /// terminals that are gone close, the others keep their screens.
    fn sync(&mut self, terminals: &[TerminalInfo], active: TerminalId) {
        let mut tabs = Vec::with_capacity(terminals.len());
        for info in terminals {
            match self.tabs.iter().position(|t| t.id == info.id) {
                Some(index) => tabs.push(self.tabs.swap_remove(index)),
                None => {
                    let mut feed = TermFeed::default();
                    feed.push(TermEvent::Ready {
                        prompt: info.prompt.clone(),
                    });
                    tabs.push(TermTab {
                        id: info.id,
                        home: info.home.clone(),
                        feed,
                    });
                }
            }
        }
        self.tabs = tabs;
        self.select(active);
    }

    /// Shows `id` (ignored when there is no such tab).
    fn select(&mut self, id: TerminalId) {
        if self.get(id).is_some() {
            self.active = id;
        } else if let Some(first) = self.tabs.first() {
            self.active = first.id;
        }
    }

    fn push(&mut self, id: TerminalId, event: TermEvent) {
        if let Some(tab) = self.tabs.iter_mut().find(|t| t.id == id) {
            tab.feed.push(event);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppState {
    pub lang: Lang,
    pub worker: WorkerStatus,
    /// The terminal tabs (`controlplane`, node shells), each with its own feed.
    pub terminals: TermTabs,
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
    /// [`WORKER_SILENT_AFTER_MS`] passed since the worker was spawned.
    WorkerStartTimedOut,
    ClockMoved {
        virtual_time_ms: u64,
        speed: u32,
    },
    /// Something for one terminal's screen.
    Terminal {
        terminal: TerminalId,
        event: TermEvent,
    },
    /// The worker listed the terminals (connect, open, close, restore).
    Terminals {
        terminals: Vec<TerminalInfo>,
        active: TerminalId,
    },
    /// The learner switched tabs (the worker is told separately, to save it).
    SelectTerminal(TerminalId),
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
            AppAction::WorkerStartTimedOut => {
                if next.worker == WorkerStatus::Connecting {
                    next.worker = WorkerStatus::Silent;
                }
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
            AppAction::Terminal { terminal, event } => next.terminals.push(terminal, event),
            AppAction::Terminals { terminals, active } => {
                next.terminals.sync(&terminals, active);
            }
            // The keyboard focus stays where it is (arrow keys on the tab strip); a shortcut
            // sends `TermEvent::Focus` after this.
            AppAction::SelectTerminal(id) => next.terminals.select(id),
            AppAction::Editor(action) => {
                if matches!(action, EditorAction::Opened { .. }) {
                    next.editor_openings += 1;
                }
                let outcome = editor_state::apply(&mut next.editor, action, next.editor_openings);
                if outcome == EditorOutcome::Closed {
                    let active = next.terminals.active;
                    next.terminals.push(active, TermEvent::Focus);
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
    fn a_worker_that_never_answers_is_reported_and_a_late_answer_still_counts() {
        let silent = AppState::default().apply(AppAction::WorkerStartTimedOut);
        assert_eq!(silent.worker, WorkerStatus::Silent);
        let late = silent.apply(AppAction::WorkerAnswered {
            seed: 1,
            virtual_time_ms: 0,
            protocol_version: 2,
        });
        assert!(matches!(late.worker, WorkerStatus::Ready { .. }));
        // The timer firing after the answer changes nothing.
        assert_eq!(
            late.apply(AppAction::WorkerStartTimedOut).worker,
            late.worker
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
            draft: None,
        }));
        assert_eq!(state.editor.as_ref().map(|e| e.opened), Some(1));
        let closed = state.apply(AppAction::Editor(EditorAction::Discarded));
        assert_eq!(closed.editor, None);
        // No tabs yet: nothing to focus, and nothing breaks.
        assert!(closed.terminals.tabs.is_empty());
        let with_tab = AppState::default()
            .apply(AppAction::Terminals {
                terminals: vec![info(0, "controlplane")],
                active: TerminalId::FIRST,
            })
            .apply(AppAction::Editor(EditorAction::Opened {
                path: "a.yaml".to_owned(),
                text: "a: 1\n".to_owned(),
                new_file: false,
                error: None,
                draft: None,
            }))
            .apply(AppAction::Editor(EditorAction::Discarded));
        assert_eq!(
            with_tab.terminals.tabs[0]
                .feed
                .since(0)
                .last()
                .map(|(_, e)| &**e),
            Some(&TermEvent::Focus)
        );
    }

    fn info(id: u32, home: &str) -> TerminalInfo {
        TerminalInfo {
            id: TerminalId(id),
            home: home.to_owned(),
            host: home.to_owned(),
            prompt: format!("{home} $ "),
            streaming: false,
        }
    }

    #[test]
    fn terminal_events_are_numbered_and_bounded() {
        let mut state = AppState::default().apply(AppAction::Terminals {
            terminals: vec![info(0, "controlplane")],
            active: TerminalId::FIRST,
        });
        for i in 0..300 {
            state = state.apply(AppAction::Terminal {
                terminal: TerminalId::FIRST,
                event: TermEvent::Continue {
                    prompt: format!("{i}"),
                },
            });
        }
        let feed = &state.terminals.tabs[0].feed;
        // The tab's first event is its Ready prompt.
        assert_eq!(feed.next_seq, 301);
        assert_eq!(feed.events.len(), TERM_FEED_LIMIT);
        let newest: Vec<u64> = feed.since(299).map(|(seq, _)| *seq).collect();
        assert_eq!(newest, vec![299, 300]);
    }

    #[test]
    fn tabs_follow_the_workers_list_and_keep_their_screens() {
        let state = AppState::default().apply(AppAction::Terminals {
            terminals: vec![info(0, "controlplane")],
            active: TerminalId::FIRST,
        });
        let typed = state.apply(AppAction::Terminal {
            terminal: TerminalId::FIRST,
            event: TermEvent::Stream {
                text: "rows".to_owned(),
            },
        });
        // A node shell opens and is shown; the first tab keeps its events.
        let opened = typed.apply(AppAction::Terminals {
            terminals: vec![info(0, "controlplane"), info(1, "node01")],
            active: TerminalId(1),
        });
        assert_eq!(opened.terminals.active, TerminalId(1));
        assert_eq!(opened.terminals.tabs[0].feed.events.len(), 2);
        assert_eq!(
            opened.terminals.tabs[1].feed.events,
            vec![(
                0,
                Rc::new(TermEvent::Ready {
                    prompt: "node01 $ ".to_owned()
                })
            )]
        );
        // Events for another tab do not touch the shown one.
        let streamed = opened.apply(AppAction::Terminal {
            terminal: TerminalId::FIRST,
            event: TermEvent::Stream {
                text: "more".to_owned(),
            },
        });
        assert_eq!(streamed.terminals.tabs[1].feed.events.len(), 1);
        assert_eq!(streamed.terminals.neighbour(1), Some(TerminalId::FIRST));
        assert_eq!(streamed.terminals.neighbour(-1), Some(TerminalId::FIRST));
        let back = streamed.apply(AppAction::SelectTerminal(TerminalId::FIRST));
        assert_eq!(back.terminals.active, TerminalId::FIRST);
        // Unknown tabs are ignored; a closed active tab hands over to the first.
        let same = back.apply(AppAction::SelectTerminal(TerminalId(9)));
        assert_eq!(same.terminals.active, TerminalId::FIRST);
        let closed =
            same.apply(AppAction::SelectTerminal(TerminalId(1)))
                .apply(AppAction::Terminals {
                    terminals: vec![info(0, "controlplane")],
                    active: TerminalId(1),
                });
        assert_eq!(closed.terminals.tabs.len(), 1);
        assert_eq!(closed.terminals.active, TerminalId::FIRST);
    }
}
