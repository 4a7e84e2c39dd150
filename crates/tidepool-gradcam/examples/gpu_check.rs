//! Native GPU check (issue 7): runs one Grad-CAM per bundled sample on burn's wgpu backend
//! (Vulkan/Metal natively: the same WGSL kernels the browser's WebGPU runs) and on Flex,
//! compares logits and CAM maps between the two, and times both.
//!
//! `cargo run --release -p tidepool-gradcam --features webgpu,flex --example gpu_check -- \
//!     static/models/efficientnet-lite0.bpk static/samples/*.png`
//!
//! Prints one line per backend and sample, then the cross-backend differences.

use std::time::Instant;

use burn::tensor::Device;
use tidepool_gradcam::backend::{BackendKind, init_device};
use tidepool_gradcam::cam::{CamData, CamMethod, CamTarget, Colormap, gradcam_tensors, overlay};
use tidepool_gradcam::model::{INPUT_SIZE, TargetLayer};
use tidepool_gradcam::preprocess::{CropMode, preprocess};
use tidepool_gradcam::weights::load_weights;

const RUNS: usize = 20;

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

/// One full Grad-CAM as the UI does it: preprocess, forward, backward, read back, map, overlay.
fn one_gradcam(
    model: &tidepool_gradcam::model::EfficientNetLite0,
    photo: &[u8],
    device: &Device,
) -> (CamData, Vec<f32>) {
    let pre = preprocess(photo, CropMode::CenterCrop).expect("decode");
    let tensors = gradcam_tensors(
        model,
        pre.input_tensor(device),
        TargetLayer::Head,
        CamTarget::TopPrediction,
    )
    .expect("cam");
    let data = tensors.read_sync().expect("read");
    let map = data.map(CamMethod::GradCam);
    let heat = map.upsample(INPUT_SIZE, INPUT_SIZE).heatmap(Colormap::Jet);
    std::hint::black_box(overlay(&pre.rgb, &heat, 0.5));
    let raw = data.raw_map(CamMethod::GradCam);
    (data, raw)
}

fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let weights_path = args.next().expect("usage: gpu_check WEIGHTS IMAGE...");
    let images: Vec<String> = args.collect();
    let weights = std::fs::read(&weights_path).expect("weights");

    let gpu = block_on(init_device(true)).expect("backend");
    if gpu.kind != BackendKind::WebGpu {
        println!("no GPU adapter: {:?}", gpu.fallback_reason);
    }
    let mut results: Vec<Vec<(CamData, Vec<f32>)>> = Vec::new();
    for (name, device) in [("wgpu", gpu.device.clone()), ("flex", Device::flex())] {
        let started = Instant::now();
        let (model, _) = load_weights(weights.clone(), &device).expect("load");
        let load_ms = started.elapsed().as_secs_f64() * 1e3;
        let mut per_backend = Vec::new();
        for path in &images {
            let photo = std::fs::read(path).expect("image");
            let started = Instant::now();
            let first = one_gradcam(&model, &photo, &device);
            let first_ms = started.elapsed().as_secs_f64() * 1e3;
            let times: Vec<f64> = (0..RUNS)
                .map(|_| {
                    let started = Instant::now();
                    std::hint::black_box(one_gradcam(&model, &photo, &device));
                    started.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            let top5: Vec<(usize, f32)> = first.0.top5();
            println!(
                "{name} {path}: load {load_ms:.1} ms, first {first_ms:.1} ms, median of {RUNS} {:.2} ms, top5 {top5:?}",
                median_ms(times)
            );
            per_backend.push(first);
        }
        results.push(per_backend);
    }
    if let [gpu_runs, flex_runs] = &results[..] {
        for ((path, (g, gmap)), (f, fmap)) in images.iter().zip(gpu_runs).zip(flex_runs) {
            println!(
                "{path}: max |logit wgpu - flex| = {:.2e}, max |raw cam diff| = {:.2e}, same class: {}",
                max_abs_diff(&g.logits, &f.logits),
                max_abs_diff(gmap, fmap),
                g.class == f.class
            );
        }
    }
}
