//! The UI end of the cluster worker: spawns it and turns its replies into [`AppAction`]s.

use crate::editor_state::EditorAction;
use crate::i18n::Lang;
use crate::perf;
use crate::playground_state::{PlaygroundAction, Theme};
use crate::state::{AppAction, TermEvent};
use gloo_worker::{Spawnable, WorkerBridge};
use std::cell::RefCell;
use tidepool_worker::ClusterWorker;
use tidepool_worker::answer_slot::{AnswerSlot, SlotAnswer, SlotContent};
use tidepool_worker::protocol::{Effect, FromCluster, SharedMemory, TerminalId, ToCluster};

/// How long the page, still inside the keydown of Enter, spins on the answer slot for the
/// line's answer. The worker answers a typical command within 0.4-1.7 ms; waiting longer
/// would delay the frame the browser renders after the keydown (which the answer is meant to
/// reach) and the echo of keys typed meanwhile. An answer later than this goes by message.
pub const SLOT_PATIENCE_MS: f64 = 5.0;

/// Which answers the page drew from the answer slot, so that their posted
/// [`FromCluster::Output`] is not drawn again. The worker announces each slot answer with
/// [`FromCluster::AnsweredInSlot`] right before its `Output`, and messages arrive in order.
#[derive(Debug, Default)]
pub struct SlotGuard {
    /// Sequence numbers drawn from the slot whose announcement has not arrived yet.
    drawn: Vec<u32>,
    /// The next `Output` for this terminal was drawn from the slot.
    skip_next_output: Option<TerminalId>,
}

impl SlotGuard {
    /// The page drew answer `seq` from the slot.
    pub fn drawn(&mut self, seq: u32) {
        self.drawn.push(seq);
    }

    /// The worker announced that the next `Output` (for `terminal`) is answer `seq`.
    pub fn announced(&mut self, terminal: TerminalId, seq: u32) {
        let was_drawn = self.drawn.contains(&seq);
        // Announcements come in order: numbers up to this one will not be announced again.
        self.drawn.retain(|drawn| *drawn > seq);
        self.skip_next_output = was_drawn.then_some(terminal);
    }

    /// An `Output` for `terminal` arrived: true when it is the one just announced and its
    /// text and prompt were already drawn from the slot. Either way the announcement is
    /// spent: it names the very next `Output`.
    pub fn output_drawn_already(&mut self, terminal: TerminalId) -> bool {
        self.skip_next_output.take() == Some(terminal)
    }
}

/// The page's end of the answer slot.
#[derive(Debug, Default)]
struct PageSlot {
    /// Attached to the worker (`None`: not cross-origin isolated, or no worker yet).
    slot: Option<AnswerSlot>,
    /// The number the last line sent was given.
    last_seq: u32,
    /// The line just sent, whose answer the terminal may wait for.
    pending: Option<u32>,
    guard: SlotGuard,
}

thread_local! {
    static PAGE_SLOT: RefCell<PageSlot> = RefCell::new(PageSlot::default());
}

/// Where the page is cross-origin isolated, creates the answer slot and hands it to the
/// worker through `send`; true if it did. Without isolation lines go by message only.
pub fn attach_answer_slot(send: impl FnOnce(ToCluster)) -> bool {
    let Some(slot) = AnswerSlot::shared() else {
        return false;
    };
    send(ToCluster::AttachAnswerSlot {
        slot: SharedMemory(slot.buffer().clone()),
    });
    PAGE_SLOT.with(|page| {
        let mut page = page.borrow_mut();
        page.slot = Some(slot);
        page.pending = None;
    });
    note_slot("attached", 0.0);
    true
}

/// Sends a typed line; with an answer slot attached, asks for the answer in it first, so
/// the terminal can [`wait_for_slot_answer`] in the same task.
pub fn send_line(mut send: impl FnMut(ToCluster), terminal: TerminalId, text: String) {
    let seq = PAGE_SLOT.with(|page| {
        let mut page = page.borrow_mut();
        page.slot.as_ref()?;
        page.last_seq = page.last_seq.wrapping_add(1).max(1);
        page.pending = Some(page.last_seq);
        Some(page.last_seq)
    });
    if let Some(seq) = seq {
        send(ToCluster::AnswerInSlot { seq });
    }
    send(ToCluster::Line { terminal, text });
}

/// The answer to the line just sent, if the worker puts it in the slot within
/// [`SLOT_PATIENCE_MS`]; `None` at once when the worker declines (the answer is more than
/// terminal text: a stream, a continuation prompt, an editor...). Spins (the page's thread cannot `Atomics.wait`); returns at once
/// without a slot. An answer returned here is marked drawn: its posted message will not
/// draw it again.
pub fn wait_for_slot_answer() -> Option<SlotAnswer> {
    let (slot, seq) = PAGE_SLOT.with(|page| {
        let mut page = page.borrow_mut();
        let seq = page.pending.take()?;
        Some((page.slot.clone()?, seq))
    })?;
    let start = perf::now();
    loop {
        match slot.read(seq) {
            Some(SlotContent::Answer(answer)) => {
                PAGE_SLOT.with(|page| page.borrow_mut().guard.drawn(seq));
                note_slot("drawn", perf::now() - start);
                return Some(answer);
            }
            Some(SlotContent::Declined { .. }) => {
                note_slot("declined", perf::now() - start);
                return None;
            }
            None => {}
        }
        if perf::now() - start > SLOT_PATIENCE_MS {
            note_slot("missed", perf::now() - start);
            return None;
        }
    }
}

/// Terminal-ready text: `\r\n` line ends, as xterm.js needs.
pub fn terminal_text<'a>(chunks: impl IntoIterator<Item = &'a str>) -> String {
    chunks
        .into_iter()
        .map(|s| s.replace('\n', "\r\n"))
        .collect()
}

/// Records for the latency probe (`tests/e2e/tests/latency.rs`), in
/// `window.__tidepoolSlot`: whether the page is cross-origin isolated with a slot attached,
/// and how long each wait on the slot took (`drawn`, `declined` or `missed`).
fn note_slot(list: &str, waited_ms: f64) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let window: wasm_bindgen::JsValue = window.into();
    let key: wasm_bindgen::JsValue = "__tidepoolSlot".into();
    let mut record = js_sys::Reflect::get(&window, &key).unwrap_or_default();
    if !record.is_object() {
        record = js_sys::Object::new().into();
        let _ = js_sys::Reflect::set(&window, &key, &record);
    }
    if list == "attached" {
        let _ = js_sys::Reflect::set(&record, &"attached".into(), &true.into());
        return;
    }
    let array = js_sys::Reflect::get(&record, &list.into())
        .ok()
        .filter(js_sys::Array::is_array)
        .map(wasm_bindgen::JsCast::unchecked_into::<js_sys::Array>)
        .unwrap_or_else(|| {
            let array = js_sys::Array::new();
            let _ = js_sys::Reflect::set(&record, &list.into(), &array);
            array
        });
    array.push(&waited_ms.into());
}

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
        FromCluster::AnsweredInSlot { terminal, seq } => {
            PAGE_SLOT.with(|page| page.borrow_mut().guard.announced(terminal, seq));
            Vec::new()
        }
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
            let drawn =
                PAGE_SLOT.with(|page| page.borrow_mut().guard.output_drawn_already(terminal));
            if !drawn {
                let text = terminal_text(chunks.iter().map(|(_, s)| s.as_str()));
                actions.push(AppAction::Terminal {
                    terminal,
                    event: TermEvent::Output { text, prompt },
                });
            }
            actions
        }
        FromCluster::Stream { terminal, chunks } => {
            let text = terminal_text(chunks.iter().map(|(_, s)| s.as_str()));
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
    // Before the ping: the worker attaches the slot at once, even while it loads the session.
    attach_answer_slot(|message| bridge.send(message));
    bridge.send(ToCluster::Ping { nonce: 1 });
    bridge
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool_worker::protocol::{Stream, TerminalId};

    fn output(terminal: TerminalId, text: &str) -> FromCluster {
        FromCluster::Output {
            terminal,
            chunks: vec![(Stream::Stdout, text.to_owned())],
            exit_code: 0,
            effects: Vec::new(),
            prompt: "$ ".to_owned(),
        }
    }

    #[test]
    fn the_guard_skips_only_the_announced_output_of_an_answer_drawn_from_the_slot() {
        let (one, two) = (TerminalId(1), TerminalId(2));
        let mut guard = SlotGuard::default();
        assert!(!guard.output_drawn_already(one), "nothing drawn yet");
        guard.drawn(3);
        assert!(
            !guard.output_drawn_already(one),
            "an output before the announcement (a stream's end) is drawn"
        );
        guard.announced(one, 3);
        assert!(guard.output_drawn_already(one));
        assert!(!guard.output_drawn_already(one), "skipped once only");
        // Announced but not drawn (the page stopped waiting): drawn from the message.
        guard.announced(one, 4);
        assert!(!guard.output_drawn_already(one));
        // The announcement names the very next output: one for another terminal (a worker
        // bug) is drawn, and the skip is spent.
        guard.drawn(7);
        guard.announced(one, 7);
        assert!(!guard.output_drawn_already(two));
        assert!(!guard.output_drawn_already(one));
        // A later announcement forgets older numbers that were never announced.
        guard.drawn(8);
        guard.announced(one, 9);
        assert!(guard.drawn.is_empty());
        assert!(!guard.output_drawn_already(one));
    }

    #[test]
    fn an_output_drawn_from_the_slot_is_not_drawn_again() {
        let one = TerminalId(1);
        PAGE_SLOT.with(|page| page.borrow_mut().guard.drawn(11));
        assert!(
            actions_for(FromCluster::AnsweredInSlot {
                terminal: one,
                seq: 11
            })
            .is_empty()
        );
        assert_eq!(actions_for(output(one, "a\n")), Vec::new());
        assert_eq!(
            actions_for(output(one, "b\n")),
            vec![AppAction::Terminal {
                terminal: one,
                event: TermEvent::Output {
                    text: "b\r\n".to_owned(),
                    prompt: "$ ".to_owned()
                }
            }],
            "the next output is drawn"
        );
    }

    #[test]
    fn without_a_slot_a_line_is_sent_alone_and_nothing_is_awaited() {
        let mut sent = Vec::new();
        send_line(|m| sent.push(m), TerminalId(1), "echo a".to_owned());
        assert_eq!(
            sent,
            vec![ToCluster::Line {
                terminal: TerminalId(1),
                text: "echo a".to_owned()
            }]
        );
        assert_eq!(wait_for_slot_answer(), None);
    }

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
