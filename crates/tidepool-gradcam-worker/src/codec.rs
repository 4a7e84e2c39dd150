//! The worker messages' wire encoding: serde-wasm-bindgen (plain JS objects; byte buffers as
//! `Uint8Array`). A copy of the cluster worker's codec, so this wasm does not link the simulation.

use gloo_worker::Codec;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// serde-wasm-bindgen codec for gloo-worker.
#[derive(Debug)]
pub struct SerdeWasmBindgen;

/// Encodes a message. u64 values beyond 2^53 travel as BigInt instead of failing.
pub fn encode<T: Serialize>(message: &T) -> Result<JsValue, serde_wasm_bindgen::Error> {
    let serializer = serde_wasm_bindgen::Serializer::new()
        .serialize_large_number_types_as_bigints(true)
        .serialize_maps_as_objects(true);
    message.serialize(&serializer)
}

/// Decodes a message produced by [`encode`].
pub fn decode<T: for<'de> Deserialize<'de>>(
    value: JsValue,
) -> Result<T, serde_wasm_bindgen::Error> {
    serde_wasm_bindgen::from_value(value)
}

impl Codec for SerdeWasmBindgen {
    fn encode<I: Serialize>(input: I) -> JsValue {
        // Both ends are compiled from the same protocol types, so a failure here is a bug in
        // this crate, not bad user input.
        encode(&input).expect("worker message must encode")
    }

    fn decode<O: for<'de> Deserialize<'de>>(input: JsValue) -> O {
        decode(input).expect("worker message must decode: UI and worker built from one protocol")
    }
}
