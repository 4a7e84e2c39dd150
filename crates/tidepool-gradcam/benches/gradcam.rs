//! One Grad-CAM on Flex: preprocess (decode + resize + crop) + forward + backward + map
//! (read back, Grad-CAM map, upsample to 224, JET heatmap, overlay). See BENCHMARKS.md.

use std::hint::black_box;

use burn::tensor::Device;
use criterion::{Criterion, criterion_group, criterion_main};
use tidepool_gradcam::cam::{CamMethod, CamTarget, Colormap, gradcam_tensors, overlay};
use tidepool_gradcam::model::{INPUT_SIZE, TargetLayer};
use tidepool_gradcam::preprocess::{CropMode, preprocess};
use tidepool_gradcam::weights::load_weights;

const WEIGHTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../static/models/efficientnet-lite0.bpk"
);
const CHELSEA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../static/samples/chelsea.png"
);

fn bench(c: &mut Criterion) {
    let device = Device::flex();
    let weights = std::fs::read(WEIGHTS).expect("weights");
    let photo = std::fs::read(CHELSEA).expect("sample");
    let (model, _) = load_weights(weights.clone(), &device).expect("load");

    let mut group = c.benchmark_group("gradcam_flex");
    group.sample_size(20);
    group.bench_function("preprocess", |b| {
        b.iter(|| preprocess(black_box(&photo), CropMode::CenterCrop).expect("decode"));
    });
    let pre = preprocess(&photo, CropMode::CenterCrop).expect("decode");
    group.bench_function("forward", |b| {
        b.iter(|| {
            let logits = model.forward(pre.input_tensor(&device));
            black_box(logits.into_data())
        });
    });
    group.bench_function("forward_backward", |b| {
        b.iter(|| {
            let t = gradcam_tensors(
                &model,
                pre.input_tensor(&device),
                TargetLayer::Head,
                CamTarget::TopPrediction,
            )
            .expect("cam");
            black_box(t.read_sync().expect("read"))
        });
    });
    group.bench_function("total", |b| {
        b.iter(|| {
            let pre = preprocess(black_box(&photo), CropMode::CenterCrop).expect("decode");
            let t = gradcam_tensors(
                &model,
                pre.input_tensor(&device),
                TargetLayer::Head,
                CamTarget::TopPrediction,
            )
            .expect("cam");
            let data = t.read_sync().expect("read");
            let top5 = data.top5();
            let map = data
                .map(CamMethod::GradCam)
                .upsample(INPUT_SIZE, INPUT_SIZE);
            let heat = map.heatmap(Colormap::Jet);
            black_box((top5, overlay(&pre.rgb, &heat, 0.5)))
        });
    });
    group.sample_size(10);
    group.bench_function("load_weights", |b| {
        b.iter(|| load_weights(black_box(weights.clone()), &device).expect("load"));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
