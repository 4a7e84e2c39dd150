//! The page's end of the answer slot in headless Chromium (the test runner serves the page
//! cross-origin isolated, so `SharedArrayBuffer` exists): a line asks for the slot, the
//! answer written there is read in the same task, and its posted `Output` is not drawn twice.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use tidepool_web::state::{AppAction, TermEvent};
use tidepool_web::worker_link::{
    SLOT_PATIENCE_MS, actions_for, attach_answer_slot, send_line, wait_for_slot_answer,
};
use tidepool_worker::answer_slot::{AnswerSlot, SlotAnswer};
use tidepool_worker::protocol::{FromCluster, Stream, TerminalId, ToCluster};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| {
            let now: js_sys::Function = js_sys::Reflect::get(&p, &"now".into()).ok()?.into();
            now.call0(&p).ok()?.as_f64()
        })
        .unwrap_or(0.0)
}

/// How many waits the page recorded under `list` (`drawn`, `declined` or `missed`) in
/// `window.__tidepoolSlot`: the outcome of a wait, checked without timing it (timings belong in
/// the latency probe, not in assertions).
fn waits(list: &str) -> u32 {
    let window: wasm_bindgen::JsValue = web_sys::window().expect("a window").into();
    js_sys::Reflect::get(&window, &"__tidepoolSlot".into())
        .and_then(|record| js_sys::Reflect::get(&record, &list.into()))
        .ok()
        .filter(js_sys::Array::is_array)
        .map(|array| array.unchecked_into::<js_sys::Array>().length())
        .unwrap_or(0)
}

fn output(terminal: TerminalId, text: &str) -> FromCluster {
    FromCluster::Output {
        terminal,
        chunks: vec![(Stream::Stdout, text.to_owned())],
        exit_code: 0,
        effects: Vec::new(),
        prompt: "controlplane $ ".to_owned(),
    }
}

#[wasm_bindgen_test]
fn a_slot_answer_is_read_at_once_and_its_message_does_not_draw_it_again() {
    let terminal = TerminalId(1);
    // The page attaches a shared buffer; "the worker" is a second view of it.
    let mut attached = None;
    assert!(attach_answer_slot(|message| attached = Some(message)));
    let Some(ToCluster::AttachAnswerSlot { slot }) = attached else {
        panic!("the slot goes to the worker first");
    };
    assert!(
        slot.0.is_instance_of::<js_sys::SharedArrayBuffer>(),
        "shared memory where the page is cross-origin isolated"
    );
    let worker = AnswerSlot::over(slot.0).expect("a buffer");

    // Enter: the slot is asked for, then the line goes.
    let mut sent = Vec::new();
    send_line(
        |m| sent.push(m),
        terminal,
        "kubectl get ns -o name".to_owned(),
    );
    let seq = match sent.as_slice() {
        [ToCluster::AnswerInSlot { seq }, ToCluster::Line { .. }] => *seq,
        _ => panic!("AnswerInSlot, then the line: {sent:?}"),
    };
    let answer = SlotAnswer {
        seq,
        terminal,
        exit_code: 0,
        text: "namespace/default\n".to_owned(),
        prompt: "controlplane $ ".to_owned(),
    };
    assert!(worker.write(&answer));
    assert_eq!(wait_for_slot_answer(), Some(answer));

    // The posted messages: the announcement, then the output, which draws nothing now.
    assert!(actions_for(FromCluster::AnsweredInSlot { terminal, seq }).is_empty());
    assert_eq!(
        actions_for(output(terminal, "namespace/default\n")),
        Vec::new()
    );

    // The next line's answer is late: the wait gives up after its patience and the posted
    // output is drawn as before.
    sent.clear();
    send_line(|m| sent.push(m), terminal, "echo late".to_owned());
    let late = match sent.as_slice() {
        [ToCluster::AnswerInSlot { seq }, ToCluster::Line { .. }] => *seq,
        _ => panic!("AnswerInSlot, then the line: {sent:?}"),
    };
    assert!(late > seq, "numbers grow");
    let missed = waits("missed");
    let start = now();
    assert_eq!(wait_for_slot_answer(), None);
    let waited = now() - start;
    assert!(waited >= SLOT_PATIENCE_MS, "gave up after {waited} ms");
    assert_eq!(waits("missed"), missed + 1, "recorded as a miss");
    assert!(wait_for_slot_answer().is_none(), "one wait per line");
    // (The worker answers after the page gave up.)
    assert!(worker.write(&SlotAnswer {
        seq: late,
        terminal,
        exit_code: 0,
        text: "late\n".to_owned(),
        prompt: "controlplane $ ".to_owned(),
    }));
    assert!(
        actions_for(FromCluster::AnsweredInSlot {
            terminal,
            seq: late
        })
        .is_empty()
    );
    assert_eq!(
        actions_for(output(terminal, "late\n")),
        vec![AppAction::Terminal {
            terminal,
            event: TermEvent::Output {
                text: "late\r\n".to_owned(),
                prompt: "controlplane $ ".to_owned()
            }
        }]
    );

    // A line whose answer is more than text (a stream, a heredoc): the worker declines and
    // the page stops waiting at once.
    sent.clear();
    send_line(|m| sent.push(m), terminal, "cat <<EOF".to_owned());
    let declined = match sent.as_slice() {
        [ToCluster::AnswerInSlot { seq }, ToCluster::Line { .. }] => *seq,
        _ => panic!("AnswerInSlot, then the line: {sent:?}"),
    };
    worker.decline(declined);
    let (missed, refused) = (waits("missed"), waits("declined"));
    assert_eq!(wait_for_slot_answer(), None);
    assert_eq!(waits("declined"), refused + 1, "a refusal ends the wait");
    assert_eq!(waits("missed"), missed, "not a wait that ran out");
}
