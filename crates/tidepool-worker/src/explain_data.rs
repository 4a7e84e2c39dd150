//! Fetches `kubectl explain`'s field documentation, which the worker's wasm does not embed (it
//! would be a tenth of it): the site serves it gzipped beside the worker script
//! ([`EXPLAIN_DATA_URL`], written by `cargo xtask bundle`), the worker loads it once at
//! start-up and hands it to the shell. `kubectl explain` says "still loading" before that and
//! why it failed after a failure.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, ReadableWritablePair, Response, WritableStream};

// The browser's gunzip (Chromium 80, Firefox 113, Safari 16.4). Bound here because web-sys
// only offers it behind `--cfg web_sys_unstable_apis`.
#[wasm_bindgen]
extern "C" {
    type DecompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<DecompressionStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &DecompressionStream) -> ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &DecompressionStream) -> WritableStream;
}

/// The file, relative to the worker script (Trunk puts both at the root of the site).
pub const EXPLAIN_DATA_URL: &str = "explain.data.gz";

fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

async fn resolve(promise: Result<Promise, JsValue>) -> Result<JsValue, String> {
    JsFuture::from(promise.map_err(describe)?)
        .await
        .map_err(describe)
}

/// The text of [`EXPLAIN_DATA_URL`]. The file is gzip; a server that sends it with
/// `Content-Encoding: gzip` has the browser unpack it already, so the gzip magic decides.
pub async fn fetch_text() -> Result<String, String> {
    let global = js_sys::global();
    let fetch: Function = Reflect::get(&global, &JsValue::from_str("fetch"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| "fetch is not available here".to_owned())?;
    let started = fetch
        .call1(&global, &JsValue::from_str(EXPLAIN_DATA_URL))
        .and_then(JsCast::dyn_into::<Promise>);
    let response: Response = resolve(started)
        .await?
        .dyn_into()
        .map_err(|_| "fetch did not give a response".to_owned())?;
    if !response.ok() {
        return Err(format!("HTTP {} for {EXPLAIN_DATA_URL}", response.status()));
    }
    unpack(Uint8Array::new(&resolve(response.array_buffer()).await?)).await
}

/// The text in `bytes`: gunzipped when they start with the gzip magic, else taken as UTF-8.
pub async fn unpack(bytes: Uint8Array) -> Result<String, String> {
    let gzipped = bytes.length() >= 2 && bytes.get_index(0) == 0x1f && bytes.get_index(1) == 0x8b;
    if !gzipped {
        return String::from_utf8(bytes.to_vec())
            .map_err(|_| format!("{EXPLAIN_DATA_URL} is not UTF-8 text"));
    }
    let gunzip = DecompressionStream::new("gzip").map_err(describe)?;
    let packed = Response::new_with_opt_buffer_source(Some(&bytes)).map_err(describe)?;
    let body = packed
        .body()
        .ok_or_else(|| format!("{EXPLAIN_DATA_URL} is empty"))?;
    let unpacked = body.pipe_through(&ReadableWritablePair::new(
        &gunzip.readable(),
        &gunzip.writable(),
    ));
    let text = Response::new_with_opt_readable_stream(Some(&unpacked)).map_err(describe)?;
    resolve(text.text())
        .await?
        .as_string()
        .ok_or_else(|| format!("{EXPLAIN_DATA_URL} did not decode to text"))
}

/// Fetches the data and hands it to the shell, or tells the shell why it is missing.
pub async fn load() {
    let outcome = match fetch_text().await {
        Ok(text) => tidepool_shell::kubectl::provide_explain_data(text),
        Err(reason) => Err(reason),
    };
    if let Err(reason) = outcome {
        tidepool_shell::kubectl::explain_data_unavailable(reason);
    }
}
