//! The UI state as a reducer over [`AppAction`]. Components dispatch actions; nothing else
//! mutates state.

use crate::i18n::Lang;
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
        protocol_version: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppState {
    pub lang: Lang,
    pub worker: WorkerStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppAction {
    ToggleLanguage,
    WorkerAnswered {
        seed: u64,
        virtual_time_ms: u64,
        protocol_version: u32,
    },
    ClockMoved {
        virtual_time_ms: u64,
    },
}

impl AppState {
    /// The pure transition function; [`Reducible`] wraps it for Yew.
    pub fn apply(&self, action: AppAction) -> Self {
        let mut next = self.clone();
        match action {
            AppAction::ToggleLanguage => next.lang = self.lang.toggled(),
            AppAction::WorkerAnswered {
                seed,
                virtual_time_ms,
                protocol_version,
            } => {
                next.worker = WorkerStatus::Ready {
                    seed,
                    virtual_time_ms,
                    protocol_version,
                };
            }
            AppAction::ClockMoved {
                virtual_time_ms: now,
            } => {
                if let WorkerStatus::Ready {
                    virtual_time_ms, ..
                } = &mut next.worker
                {
                    *virtual_time_ms = now;
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
                protocol_version: 1,
            })
            .apply(AppAction::ClockMoved {
                virtual_time_ms: 9_000,
            });
        assert_eq!(
            state.worker,
            WorkerStatus::Ready {
                seed: 3,
                virtual_time_ms: 9_000,
                protocol_version: 1
            }
        );
    }

    #[test]
    fn clock_before_answer_is_ignored_and_language_toggles() {
        let state = AppState::default()
            .apply(AppAction::ClockMoved { virtual_time_ms: 5 })
            .apply(AppAction::ToggleLanguage);
        assert_eq!(state.worker, WorkerStatus::Connecting);
        assert_eq!(state.lang, Lang::Ko);
    }
}
