//! WebGPU is reachable from our wasm in headless Chromium (`--enable-unsafe-webgpu` in
//! webdriver.json gives the SwiftShader adapter). The Grad-CAM lab's GPU backend needs this.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn call_async(target: &JsValue, method: &str) -> JsValue {
    let function: Function = Reflect::get(target, &method.into())
        .expect("method")
        .dyn_into()
        .unwrap_or_else(|_| panic!("{method} is not a function"));
    let promise: Promise = function
        .call0(target)
        .expect("call")
        .dyn_into()
        .expect("promise");
    JsFuture::from(promise).await.expect("promise resolved")
}

#[wasm_bindgen_test]
async fn webgpu_gives_an_adapter_and_a_device() {
    let navigator: JsValue = web_sys::window().expect("window").navigator().into();
    let gpu = Reflect::get(&navigator, &"gpu".into()).expect("navigator.gpu");
    assert!(
        !gpu.is_undefined(),
        "navigator.gpu is missing: WebGPU is off in this browser"
    );

    let adapter = call_async(&gpu, "requestAdapter").await;
    assert!(!adapter.is_null(), "requestAdapter() gave no adapter");
    let info = Reflect::get(&adapter, &"info".into()).expect("adapter.info");
    let vendor = Reflect::get(&info, &"vendor".into())
        .expect("vendor")
        .as_string();
    web_sys::console::log_1(&format!("WebGPU adapter vendor: {vendor:?}").into());

    let device = call_async(&adapter, "requestDevice").await;
    let queue = Reflect::get(&device, &"queue".into()).expect("device.queue");
    assert!(queue.is_object(), "device has no queue");
}
