//! The UI end of the cluster worker: spawns it and turns its replies into [`AppAction`]s.

use crate::editor_state::EditorAction;
use crate::i18n::Lang;
use crate::perf;
use crate::playground_state::{PlaygroundAction, Theme};
use crate::state::{AppAction, TermEvent};
use gloo_worker::{Spawnable, WorkerBridge};
use tidepool_worker::ClusterWorker;
use tidepool_worker::protocol::{Effect, FromCluster, ToCluster};

/// Maps a worker reply to the actions that record it, in order.
pub fn actions_for(reply: FromCluster) -> Vec<AppAction> {
    note_arrival(&reply);
    match reply {
        FromCluster::Pong {
            seed,
            virtual_time_ms,
            protocol_version,
            ..
        } => vec![AppAction::WorkerAnswered {
            seed,
            virtual_time_ms,
            protocol_version,
        }],
        FromCluster::Terminals {
            terminals, active, ..
        } => vec![AppAction::Terminals { terminals, active }],
        FromCluster::History { terminal, lines } => vec![AppAction::Terminal {
            terminal,
            event: TermEvent::History { lines },
        }],
        FromCluster::Handled { .. } => Vec::new(),
        FromCluster::Clock {
            virtual_time_ms,
            speed,
        } => {
            vec![AppAction::ClockMoved {
                virtual_time_ms,
                speed,
            }]
        }
        FromCluster::Output {
            terminal,
            chunks,
            effects,
            prompt,
            ..
        } => {
            let mut actions = Vec::new();
            if effects.contains(&Effect::Clear) {
                actions.push(AppAction::Terminal {
                    terminal,
                    event: TermEvent::Clear,
                });
            }
            let text: String = chunks
                .iter()
                .map(|(_, s)| s.replace('\n', "\r\n"))
                .collect();
            actions.push(AppAction::Terminal {
                terminal,
                event: TermEvent::Output { text, prompt },
            });
            actions
        }
        FromCluster::Stream { terminal, chunks } => {
            let text = chunks
                .iter()
                .map(|(_, s)| s.replace('\n', "\r\n"))
                .collect();
            vec![AppAction::Terminal {
                terminal,
                event: TermEvent::Stream { text },
            }]
        }
        FromCluster::Continue { terminal, prompt } => vec![AppAction::Terminal {
            terminal,
            event: TermEvent::Continue { prompt },
        }],
        FromCluster::Completions {
            terminal,
            line,
            candidates,
            ..
        } => vec![AppAction::Terminal {
            terminal,
            event: TermEvent::Completions { line, candidates },
        }],
        FromCluster::ClusterView { view } => play(PlaygroundAction::ClusterView(view)),
        FromCluster::ClusterDelta { delta } => play(PlaygroundAction::ClusterDelta(delta)),
        FromCluster::Inspected {
            target,
            view,
            text,
            ok,
        } => play(PlaygroundAction::Inspected {
            target,
            view,
            text,
            ok,
        }),
        FromCluster::Deleted { target, text, ok } => {
            play(PlaygroundAction::Deleted { target, text, ok })
        }
        FromCluster::Restored { settings } => vec![
            AppAction::SetLanguage(Lang::from_tag(&settings.lang)),
            AppAction::Playground(PlaygroundAction::SetTheme(Theme::from_tag(&settings.theme))),
        ],
        FromCluster::SessionFile { file_name, json } => {
            play(PlaygroundAction::DownloadReady { file_name, json })
        }
        FromCluster::Notice { notice } => play(PlaygroundAction::Notice(notice)),
        FromCluster::OpenEditor {
            path,
            text,
            new_file,
            error,
            draft,
        } => editor(EditorAction::Opened {
            path,
            text,
            new_file,
            error,
            draft,
        }),
        FromCluster::FileSaved { path, error } => editor(EditorAction::Saved { path, error }),
        FromCluster::Diagnostics {
            path,
            revision,
            diagnostics,
        } => editor(EditorAction::Diagnostics {
            path,
            revision,
            diagnostics,
        }),
    }
}

/// Notes, for [`crate::perf`], when a message the graph or the terminal draws arrived.
fn note_arrival(reply: &FromCluster) {
    match reply {
        FromCluster::ClusterView { view } => {
            let entries = view.nodes.len()
                + view.pods.len()
                + view.workloads.len()
                + view.services.len()
                + view.events.len();
            perf::view_arrived("full", entries, view.pods.len(), 0);
        }
        FromCluster::ClusterDelta { delta } => perf::view_arrived(
            "delta",
            delta.len(),
            delta.pods.upserted.len() + delta.pods.removed.len(),
            delta.built_in_us,
        ),
        FromCluster::Output { .. } => perf::output_arrived(),
        FromCluster::Handled {
            received_at_us,
            answered_at_us,
        } => perf::worker_handled(*received_at_us, *answered_at_us),
        _ => {}
    }
}

fn editor(action: EditorAction) -> Vec<AppAction> {
    vec![AppAction::Editor(action)]
}

fn play(action: PlaygroundAction) -> Vec<AppAction> {
    vec![AppAction::Playground(action)]
}

/// Spawns the cluster worker from `loader_url` and pings it; replies go to `on_action`.
pub fn spawn(
    loader_url: &str,
    on_action: impl Fn(AppAction) + 'static,
) -> WorkerBridge<ClusterWorker> {
    let bridge = ClusterWorker::spawner()
        .callback(move |reply| {
            let view = matches!(
                reply,
                FromCluster::ClusterView { .. } | FromCluster::ClusterDelta { .. }
            );
            actions_for(reply).into_iter().for_each(&on_action);
            if view {
                perf::reduced();
            }
        })
        .encoding::<perf::TimedCodec>()
        .with_loader(true)
        .as_module(false)
        .spawn(loader_url);
    bridge.send(ToCluster::Ping { nonce: 1 });
    bridge
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool_worker::protocol::{Stream, TerminalId};

    #[test]
    fn output_becomes_terminal_text_with_crlf_and_clear_first() {
        let node = TerminalId(2);
        let actions = actions_for(FromCluster::Output {
            terminal: node,
            chunks: vec![
                (Stream::Stdout, "a\nb\n".to_owned()),
                (Stream::Stderr, "err\n".to_owned()),
            ],
            exit_code: 1,
            effects: vec![Effect::Clear],
            prompt: "$ ".to_owned(),
        });
        assert_eq!(
            actions,
            vec![
                AppAction::Terminal {
                    terminal: node,
                    event: TermEvent::Clear
                },
                AppAction::Terminal {
                    terminal: node,
                    event: TermEvent::Output {
                        text: "a\r\nb\r\nerr\r\n".to_owned(),
                        prompt: "$ ".to_owned()
                    }
                },
            ]
        );
    }
}
