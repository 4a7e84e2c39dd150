//! The answer slot: a small `SharedArrayBuffer` through which the cluster worker hands a
//! command's terminal text to the page *synchronously*, so the page can draw it in the frame
//! that follows Enter (see ARCHITECTURE.md, "The answer slot").
//!
//! Why: Chromium renders the frame after a discrete input event (the keydown of Enter) before
//! it runs queued tasks such as the worker's answer message, so an answer posted as a message
//! is drawn one frame late at best. The page, still inside the keydown task, spins on the
//! slot's sequence number for a few milliseconds; the worker writes the answer there before
//! it posts the usual [`crate::protocol::FromCluster::Output`], which stays the path for every
//! answer the slot cannot carry (and for pages that are not cross-origin isolated, where
//! `SharedArrayBuffer` does not exist).
//!
//! Layout: [`HEADER_WORDS`] little-endian `i32` words, then UTF-8 bytes (the text, then the
//! prompt). The worker writes everything, then stores the sequence number last with
//! `Atomics.store` (a release); the page reads it with `Atomics.load` (an acquire) and checks
//! it again after copying the bytes.

use crate::protocol::TerminalId;

/// Header words: sequence number, terminal, exit status, text bytes, prompt bytes, state,
/// then spares.
pub const HEADER_WORDS: usize = 8;
/// Header word holding the sequence number of the answer in the slot (0: none yet).
pub const SEQ: usize = 0;
const TERMINAL: usize = 1;
const EXIT_CODE: usize = 2;
const TEXT_LEN: usize = 3;
const PROMPT_LEN: usize = 4;
/// [`ANSWERED`] or [`DECLINED`].
const STATE: usize = 5;
const ANSWERED: i32 = 0;
/// The line's answer goes by message only: the page stops waiting at once.
const DECLINED: i32 = 1;
/// Bytes of the header.
pub const HEADER_BYTES: usize = HEADER_WORDS * 4;
/// Room for text and prompt: answers longer than this go by message only.
pub const DATA_BYTES: usize = 64 * 1024;

/// A command's answer as the slot carries it: only what a terminal draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotAnswer {
    /// The page's number for the line this answers (never 0).
    pub seq: u32,
    pub terminal: TerminalId,
    pub exit_code: i32,
    /// The output as the command printed it (`\n` line ends), stdout and stderr interleaved.
    pub text: String,
    /// The prompt for the next line.
    pub prompt: String,
}

/// What the slot holds for one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotContent {
    Answer(SlotAnswer),
    /// The answer is not plain terminal text (or does not fit): it goes by message only.
    Declined {
        seq: u32,
    },
}

impl SlotContent {
    pub fn seq(&self) -> u32 {
        match self {
            SlotContent::Answer(answer) => answer.seq,
            SlotContent::Declined { seq } => *seq,
        }
    }
}

/// The header and the data bytes for `answer`, or `None` when it does not fit in
/// `data_capacity` bytes (or its sequence number is 0, which means "empty").
pub fn encode(answer: &SlotAnswer, data_capacity: usize) -> Option<([i32; HEADER_WORDS], Vec<u8>)> {
    let len = answer.text.len() + answer.prompt.len();
    if answer.seq == 0 || len > data_capacity {
        return None;
    }
    let mut header = [0; HEADER_WORDS];
    header[SEQ] = answer.seq as i32;
    header[TERMINAL] = answer.terminal.0 as i32;
    header[EXIT_CODE] = answer.exit_code;
    header[TEXT_LEN] = i32::try_from(answer.text.len()).ok()?;
    header[PROMPT_LEN] = i32::try_from(answer.prompt.len()).ok()?;
    let mut data = Vec::with_capacity(len);
    data.extend_from_slice(answer.text.as_bytes());
    data.extend_from_slice(answer.prompt.as_bytes());
    Some((header, data))
}

/// The header of a declined line `seq` (no data).
pub fn encode_declined(seq: u32) -> [i32; HEADER_WORDS] {
    let mut header = [0; HEADER_WORDS];
    header[SEQ] = seq as i32;
    header[STATE] = DECLINED;
    header
}

/// What the header describes, reading an answer's bytes from `data`; `None` when the header
/// is empty or inconsistent with `data` (a slot never written, or written by another build).
pub fn decode(header: &[i32; HEADER_WORDS], data: &[u8]) -> Option<SlotContent> {
    let seq = u32::try_from(header[SEQ]).ok().filter(|seq| *seq != 0)?;
    match header[STATE] {
        ANSWERED => {}
        DECLINED => return Some(SlotContent::Declined { seq }),
        _ => return None,
    }
    let text_len = usize::try_from(header[TEXT_LEN]).ok()?;
    let prompt_len = usize::try_from(header[PROMPT_LEN]).ok()?;
    let end = text_len.checked_add(prompt_len)?;
    let bytes = data.get(..end)?;
    let (text, prompt) = bytes.split_at(text_len);
    Some(SlotContent::Answer(SlotAnswer {
        seq,
        terminal: TerminalId(u32::try_from(header[TERMINAL]).ok()?),
        exit_code: header[EXIT_CODE],
        text: String::from_utf8(text.to_vec()).ok()?,
        prompt: String::from_utf8(prompt.to_vec()).ok()?,
    }))
}

pub use js::AnswerSlot;

/// The slot over JS memory (compiles everywhere; runs only in a browser).
mod js {
    use super::*;
    use wasm_bindgen::{JsCast, JsValue};

    /// The slot over its shared buffer, as the page or the worker sees it.
    #[derive(Debug, Clone)]
    pub struct AnswerSlot {
        buffer: JsValue,
        header: js_sys::Int32Array,
        data: js_sys::Uint8Array,
    }

    impl AnswerSlot {
        /// A new slot in a `SharedArrayBuffer`, when this page may share memory with its
        /// workers (`crossOriginIsolated`); `None` otherwise.
        pub fn shared() -> Option<Self> {
            let global = js_sys::global();
            let isolated = js_sys::Reflect::get(&global, &"crossOriginIsolated".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if !isolated {
                return None;
            }
            let class: js_sys::Function =
                js_sys::Reflect::get(&global, &"SharedArrayBuffer".into())
                    .ok()?
                    .dyn_into()
                    .ok()?;
            let args = js_sys::Array::of1(&((HEADER_BYTES + DATA_BYTES) as u32).into());
            Self::over(js_sys::Reflect::construct(&class, &args).ok()?)
        }

        /// A slot in a plain (unshared) `ArrayBuffer`: the same code paths in one thread,
        /// for tests.
        pub fn unshared() -> Self {
            let buffer = js_sys::ArrayBuffer::new((HEADER_BYTES + DATA_BYTES) as u32);
            Self::over(buffer.into()).expect("a fresh ArrayBuffer is big enough")
        }

        /// The slot over `buffer` (as [`Self::buffer`] handed it over); `None` when it is
        /// not a buffer or too small for the header.
        pub fn over(buffer: JsValue) -> Option<Self> {
            let length = js_sys::Reflect::get(&buffer, &"byteLength".into())
                .ok()?
                .as_f64()? as usize;
            if length < HEADER_BYTES {
                return None;
            }
            let header = js_sys::Int32Array::new_with_byte_offset_and_length(
                &buffer,
                0,
                HEADER_WORDS as u32,
            );
            let data = js_sys::Uint8Array::new_with_byte_offset_and_length(
                &buffer,
                HEADER_BYTES as u32,
                (length - HEADER_BYTES) as u32,
            );
            Some(Self {
                buffer,
                header,
                data,
            })
        }

        /// The buffer, to hand to the worker.
        pub fn buffer(&self) -> &JsValue {
            &self.buffer
        }

        /// Writes `answer` (sequence number last) and wakes any waiter; false when it does
        /// not fit (the slot is left as it was).
        pub fn write(&self, answer: &SlotAnswer) -> bool {
            let Some((header, data)) = encode(answer, self.data.length() as usize) else {
                return false;
            };
            self.data.subarray(0, data.len() as u32).copy_from(&data);
            self.store(&header);
            true
        }

        /// Tells the page waiting for line `seq` that its answer goes by message only.
        pub fn decline(&self, seq: u32) {
            self.store(&encode_declined(seq));
        }

        /// Stores the header, the sequence number last, and wakes any waiter.
        fn store(&self, header: &[i32; HEADER_WORDS]) {
            for (word, value) in header.iter().enumerate().skip(1) {
                let _ = js_sys::Atomics::store(&self.header, word as u32, *value);
            }
            let _ = js_sys::Atomics::store(&self.header, SEQ as u32, header[SEQ]);
            // Nobody waits on a plain ArrayBuffer, and notify refuses one: ignore the error.
            let _ = js_sys::Atomics::notify(&self.header, SEQ as u32);
        }

        /// The sequence number of the answer now in the slot (0: none).
        pub fn seq(&self) -> u32 {
            js_sys::Atomics::load(&self.header, SEQ as u32).unwrap_or(0) as u32
        }

        /// The answer for `seq` (or its refusal), if that is what the slot holds now.
        pub fn read(&self, seq: u32) -> Option<SlotContent> {
            if seq == 0 || self.seq() != seq {
                return None;
            }
            let mut header = [0i32; HEADER_WORDS];
            for (word, value) in header.iter_mut().enumerate() {
                *value = js_sys::Atomics::load(&self.header, word as u32).unwrap_or(0);
            }
            let len = (header[TEXT_LEN].max(0) as usize)
                .saturating_add(header[PROMPT_LEN].max(0) as usize)
                .min(self.data.length() as usize);
            let data = self.data.subarray(0, len as u32).to_vec();
            // Written again meanwhile (it cannot be while the page waits for its own line,
            // but a torn read must never be drawn).
            if self.seq() != seq {
                return None;
            }
            decode(&header, &data)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> SlotAnswer {
        SlotAnswer {
            seq: 7,
            terminal: TerminalId(3),
            exit_code: 1,
            text: text.to_owned(),
            prompt: "node01 $ ".to_owned(),
        }
    }

    #[test]
    fn an_answer_round_trips_through_header_and_bytes() {
        let sent = answer("namespace/default\nnamespace/kube-system\n한글\n");
        let (header, data) = encode(&sent, DATA_BYTES).expect("fits");
        assert_eq!(header[SEQ], 7);
        assert_eq!(decode(&header, &data), Some(SlotContent::Answer(sent)));
        let declined = encode_declined(8);
        assert_eq!(
            decode(&declined, &[]),
            Some(SlotContent::Declined { seq: 8 })
        );
    }

    #[test]
    fn an_answer_too_long_or_numbered_zero_is_not_encoded() {
        let long = answer(&"x".repeat(100));
        assert!(
            encode(&long, 100).is_none(),
            "text + prompt exceed the room"
        );
        assert!(encode(&long, 109).is_some());
        let zero = SlotAnswer {
            seq: 0,
            ..answer("a")
        };
        assert!(encode(&zero, DATA_BYTES).is_none());
    }

    #[test]
    fn an_empty_or_inconsistent_header_decodes_to_nothing() {
        assert_eq!(decode(&[0; HEADER_WORDS], &[]), None, "never written");
        let (mut header, data) = encode(&answer("abc"), DATA_BYTES).expect("fits");
        header[STATE] = 7;
        assert_eq!(decode(&header, &data), None, "unknown state");
        header[STATE] = ANSWERED;
        header[TEXT_LEN] = 1_000;
        assert_eq!(decode(&header, &data), None, "lengths beyond the data");
        header[TEXT_LEN] = -1;
        assert_eq!(decode(&header, &data), None, "negative length");
        let short = SlotAnswer {
            prompt: "$".to_owned(),
            ..answer("é")
        };
        let (header, data) = encode(&short, DATA_BYTES).expect("fits");
        assert_eq!(data.len(), 3);
        assert_eq!(decode(&header, &[0xc3, 0x28, b'$']), None, "not UTF-8");
    }
}
