//! The model in headless Chromium, on WebGPU (SwiftShader) and on Flex, against the native
//! Flex numbers stored by `tests/native.rs`: same class, logits and CAM within 1e-3.
//! One photo, the default head layer, to keep the test short on a 2-core CI machine.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use tidepool_gradcam_worker::analysis::{LoadedModel, load_model};
use tidepool_gradcam_worker::now_ms;
use tidepool_gradcam_worker::protocol::{AnalyseOptions, Analysis};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const WEIGHTS: &[u8] = include_bytes!("../../../static/models/efficientnet-lite0.bpk");
const CHELSEA: &[u8] = include_bytes!("../../../static/samples/chelsea.png");
const FIXTURE: &str = include_str!("fixtures/chelsea-flex-native.json");
const TOLERANCE: f64 = 1e-3;

fn log(text: &str) {
    web_sys::console::log_1(&text.into());
}

fn fixture_numbers(key: &str) -> Vec<f64> {
    let fixture: serde_json::Value = serde_json::from_str(FIXTURE).expect("fixture json");
    fixture[key]
        .as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn worst_difference(a: &[f32], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - y).abs())
        .fold(0.0, f64::max)
}

async fn load(prefer_gpu: bool) -> (LoadedModel, f64) {
    let started = now_ms();
    let model = load_model(WEIGHTS.to_vec(), prefer_gpu)
        .await
        .expect("weights load");
    (model, now_ms() - started)
}

/// Runs the photo twice (the first run includes shader compilation / warm-up) and checks the
/// second against the native fixture.
async fn check_against_native(model: &LoadedModel, load_ms: f64) -> Analysis {
    let first = model
        .analyse(1, CHELSEA, AnalyseOptions::default(), &now_ms)
        .await
        .expect("first run");
    // Time the network, not the reuse of the first run's pass.
    model.forget_last_pass();
    let second = model
        .analyse(2, CHELSEA, AnalyseOptions::default(), &now_ms)
        .await
        .expect("second run");
    let t = second.timings;
    log(&format!(
        "{}: load {load_ms:.0} ms; first run {:.0} ms; second run: preprocess {:.1} ms, \
         forward {:.1} ms, backward {:.1} ms, map {:.1} ms, total {:.1} ms",
        second.backend,
        first.timings.total_ms,
        t.preprocess_ms,
        t.forward_ms,
        t.backward_ms,
        t.map_ms,
        t.total_ms
    ));
    let top3: Vec<u32> = second.top5.iter().take(3).map(|c| c.index).collect();
    assert!(top3.contains(&282) && top3.contains(&285), "{top3:?}");
    let logits = worst_difference(&second.logits, &fixture_numbers("logits"));
    let cam = worst_difference(&second.cam, &fixture_numbers("cam"));
    log(&format!(
        "{}: worst |difference| to native flex: logits {logits:.2e}, cam {cam:.2e}",
        second.backend
    ));
    assert!(logits < TOLERANCE, "logits differ by {logits}");
    assert!(cam < TOLERANCE, "cam differs by {cam}");
    second
}

#[wasm_bindgen_test]
async fn webgpu_and_flex_agree_with_native_flex() {
    let (gpu, gpu_load_ms) = load(true).await;
    assert_eq!(
        gpu.backend_name(),
        "webgpu",
        "no WebGPU adapter: {:?}",
        gpu.fallback_reason()
    );
    let on_gpu = check_against_native(&gpu, gpu_load_ms).await;
    drop(gpu);

    let (cpu, cpu_load_ms) = load(false).await;
    assert_eq!(cpu.backend_name(), "flex");
    let on_cpu = check_against_native(&cpu, cpu_load_ms).await;

    let logits: Vec<f64> = on_cpu.logits.iter().map(|&x| f64::from(x)).collect();
    let between = worst_difference(&on_gpu.logits, &logits);
    assert!(between < TOLERANCE, "webgpu vs flex logits: {between}");
    assert_eq!(on_gpu.explained.index, on_cpu.explained.index);
}

#[wasm_bindgen_test]
async fn a_bad_file_is_a_message_in_the_browser_too() {
    let (cpu, _) = load(false).await;
    let error = cpu
        .analyse(3, b"GIF89a broken", AnalyseOptions::default(), &now_ms)
        .await
        .expect_err("broken gif");
    assert!(error.contains("decode"), "{error}");
}
