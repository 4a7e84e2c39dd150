//! The answer slot over real JS memory, in headless Chromium (the test runner serves the page
//! cross-origin isolated): what one side writes the other reads, and the shared buffer
//! crosses the worker codec as itself.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use tidepool_worker::answer_slot::{AnswerSlot, DATA_BYTES, HEADER_BYTES, SlotAnswer, SlotContent};
use tidepool_worker::codec::{decode, encode};
use tidepool_worker::protocol::{SharedMemory, TerminalId, ToCluster};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn answer(seq: u32, text: &str) -> SlotAnswer {
    SlotAnswer {
        seq,
        terminal: TerminalId(2),
        exit_code: 1,
        text: text.to_owned(),
        prompt: "node01 $ ".to_owned(),
    }
}

#[wasm_bindgen_test]
fn what_the_worker_writes_the_page_reads_through_the_shared_buffer() {
    let page = AnswerSlot::shared().expect("cross-origin isolated test page");
    assert!(page.buffer().is_instance_of::<js_sys::SharedArrayBuffer>());
    let worker = AnswerSlot::over(page.buffer().clone()).expect("the same buffer");
    assert_eq!(page.seq(), 0, "empty at first");
    assert_eq!(page.read(1), None);

    let first = answer(1, "NAME     STATUS   AGE\ndefault  Active   5m\n한글\n");
    assert!(worker.write(&first));
    assert_eq!(page.seq(), 1);
    assert_eq!(page.read(1), Some(SlotContent::Answer(first)));
    assert_eq!(page.read(2), None, "only the number asked for");

    // A longer answer, then a shorter one: lengths come from the header, not old bytes.
    assert!(worker.write(&answer(2, &"x".repeat(DATA_BYTES - 9))));
    let Some(SlotContent::Answer(long)) = page.read(2) else {
        panic!("the long answer");
    };
    assert_eq!(long.text.len(), DATA_BYTES - 9);
    let short = answer(3, "ok\n");
    assert!(worker.write(&short));
    assert_eq!(page.read(3), Some(SlotContent::Answer(short)));

    // Too long: refused, and the slot keeps what it had.
    assert!(!worker.write(&answer(4, &"x".repeat(DATA_BYTES))));
    assert_eq!(page.seq(), 3);

    // Declined: the page learns at once that the answer goes by message, then an answer
    // after it is read whole.
    worker.decline(4);
    assert_eq!(page.read(4), Some(SlotContent::Declined { seq: 4 }));
    let fifth = answer(5, "after a refusal\n");
    assert!(worker.write(&fifth));
    assert_eq!(page.read(5), Some(SlotContent::Answer(fifth)));
}

#[wasm_bindgen_test]
fn an_unshared_or_small_buffer() {
    let slot = AnswerSlot::unshared();
    assert!(slot.write(&answer(5, "a\n")));
    assert_eq!(slot.read(5), Some(SlotContent::Answer(answer(5, "a\n"))));
    let small = js_sys::ArrayBuffer::new((HEADER_BYTES - 4) as u32);
    assert!(
        AnswerSlot::over(small.into()).is_none(),
        "no room for the header"
    );
    assert!(
        AnswerSlot::over(wasm_bindgen::JsValue::from(3)).is_none(),
        "not a buffer"
    );
    // Header only: every answer is refused.
    let header_only = AnswerSlot::over(js_sys::ArrayBuffer::new(HEADER_BYTES as u32).into())
        .expect("a header fits");
    assert!(!header_only.write(&answer(6, "a")));
}

#[wasm_bindgen_test]
fn the_shared_buffer_crosses_the_codec_as_itself() {
    let page = AnswerSlot::shared().expect("cross-origin isolated test page");
    let message = ToCluster::AttachAnswerSlot {
        slot: SharedMemory(page.buffer().clone()),
    };
    let ToCluster::AttachAnswerSlot { slot } =
        decode(encode(&message).expect("encode")).expect("decode")
    else {
        panic!("decoded as another message");
    };
    assert_eq!(slot.0, *page.buffer(), "the very buffer, not a copy");
    assert_eq!(
        decode::<ToCluster>(encode(&ToCluster::AnswerInSlot { seq: 9 }).expect("encode"))
            .expect("decode"),
        ToCluster::AnswerInSlot { seq: 9 }
    );
}
