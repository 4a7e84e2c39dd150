//! The shipped weights against the architecture, and the bundled photos against the
//! independent NumPy reference (`reference/reference.py`, numbers in `fixtures/reference.json`).

use burn::module::Module;
use burn::tensor::Device;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tidepool_gradcam::cam::{CamData, CamMethod, CamTarget, gradcam_tensors, head_gradients};
use tidepool_gradcam::model::TargetLayer;
use tidepool_gradcam::preprocess::{CropMode, Preprocessed, preprocess};
use tidepool_gradcam::weights::{WeightsError, load_weights, load_weights_static};
use tidepool_gradcam::{EfficientNetLite0, classes};

const WEIGHTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../static/models/efficientnet-lite0.bpk"
);
const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../static/samples");

fn device() -> Device {
    Device::flex()
}

fn model() -> EfficientNetLite0 {
    let bytes = std::fs::read(WEIGHTS).expect("static/models/efficientnet-lite0.bpk is shipped");
    load_weights(bytes, &device())
        .expect("shipped weights load")
        .0
}

fn reference() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

fn pearson(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len() as f64;
    let ma = a.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let mb = b.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (f64::from(x) - ma, f64::from(y) - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    sab / (saa.sqrt() * sbb.sqrt())
}

fn run(model: &EfficientNetLite0, name: &str) -> (Vec<u8>, CamData) {
    let bytes = std::fs::read(format!("{SAMPLES}/{name}")).expect("sample photo");
    let pre = preprocess(&bytes, CropMode::CenterCrop).expect("sample decodes");
    let input = pre.input_tensor(&device());
    let tensors = gradcam_tensors(model, input, TargetLayer::Head, CamTarget::TopPrediction)
        .expect("grad-cam");
    (pre.rgb, tensors.read_sync().expect("read"))
}

#[test]
fn shipped_weights_fit_the_architecture() {
    let bytes = std::fs::read(WEIGHTS).expect("weights shipped");
    assert!(
        bytes.len() < 10 * 1024 * 1024,
        "weights must stay under 10 MiB: {}",
        bytes.len()
    );
    let (model, report) = load_weights(bytes.clone(), &device()).expect("load");
    // 49 convs + 49 BatchNorms x 4 + fc weight and bias.
    assert_eq!(
        report.applied.len(),
        49 + 49 * 4 + 2,
        "{:?}",
        report.applied
    );
    // 4,652,008 trainable parameters + 42,016 BatchNorm running statistics.
    assert_eq!(model.num_params(), 4_694_024);
    for name in [
        "_conv_stem.weight",
        "_blocks.15._project_conv.weight",
        "_bn1.running_var",
    ] {
        assert!(
            report.applied.iter().any(|a| a == name),
            "{name} not loaded"
        );
    }
    assert!(matches!(
        load_weights(Vec::new(), &device()),
        Err(WeightsError::Empty)
    ));
    // The zero-copy path for `include_bytes!`.
    let leaked: &'static [u8] = Box::leak(bytes.clone().into_boxed_slice());
    let (_, report_static) = load_weights_static(leaked, &device()).expect("static load");
    assert_eq!(report_static, report);
    let truncated = bytes[..bytes.len() / 2].to_vec();
    assert!(load_weights(truncated, &device()).is_err());
    assert!(load_weights(b"not a burnpack".to_vec(), &device()).is_err());
}

/// Logits within `tolerance` of the reference and every method's 7x7 map correlated >= 0.99.
fn check_against(name: &str, want: &Value, data: &CamData, tolerance: f32) -> f32 {
    let logits = floats(&want["logits"]);
    let diff = data
        .logits
        .iter()
        .zip(&logits)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    eprintln!("{name}: logits differ by at most {diff}");
    assert!(diff < tolerance, "{name}: logits differ by {diff}");
    assert_eq!(
        data.class as u64,
        want["class"].as_u64().expect("class"),
        "{name}"
    );
    for method in CamMethod::ALL {
        let got = data.map(method);
        assert_eq!((got.width, got.height), (7, 7));
        let r = pearson(&got.values, &floats(&want["cam"][method.name()]));
        eprintln!("{name} {}: correlation {r}", method.name());
        assert!(r >= 0.99, "{name} {}: correlation {r}", method.name());
    }
    diff
}

#[test]
fn samples_match_the_reference() {
    let model = model();
    let reference = reference();
    for name in ["chelsea.png", "coffee.png", "rocket.jpg"] {
        let want = &reference["images"][name];
        let (rgb, data) = run(&model, name);
        // Preprocessing: byte-identical to Pillow + torchvision's Resize(256)/CenterCrop(224)
        // for PNG. JPEG decoders (libjpeg in Pillow, zune-jpeg here) differ by a level or two
        // in places, so for JPEG the per-channel means must agree within 0.5 levels.
        let sha = format!("{:x}", Sha256::digest(&rgb));
        if name.ends_with(".png") {
            assert_eq!(
                sha,
                want["crop_sha256"].as_str().expect("sha"),
                "{name}: crop differs"
            );
        }
        let pixels = (rgb.len() / 3) as f64;
        let sums = want["crop_channel_sums"].as_array().expect("sums");
        for (c, want_sum) in sums.iter().enumerate() {
            let sum: u64 = rgb.iter().skip(c).step_by(3).map(|&v| u64::from(v)).sum();
            let d = (sum as f64 - want_sum.as_f64().expect("sum")).abs() / pixels;
            eprintln!("{name}: channel {c} mean differs by {d:.4} levels");
            assert!(d < 0.5, "{name}: channel {c} mean differs by {d} levels");
        }
        if name.ends_with(".png") {
            check_against(name, want, &data, 1e-2);
        } else {
            // End to end through our JPEG decoder: a looser bound...
            check_against(name, want, &data, 5e-2);
            // ...and on exactly Pillow's pixels, the strict one.
            let stem = name.trim_end_matches(".jpg");
            let path = format!(
                "{}/tests/fixtures/{stem}-pil-crop.png",
                env!("CARGO_MANIFEST_DIR")
            );
            let crop = image::open(path).expect("pil crop fixture").to_rgb8();
            let pre = Preprocessed {
                rgb: crop.into_raw(),
                original_size: (224, 224),
                downscaled: false,
            };
            let data = gradcam_tensors(
                &model,
                pre.input_tensor(&device()),
                TargetLayer::Head,
                CamTarget::TopPrediction,
            )
            .expect("grad-cam")
            .read_sync()
            .expect("read");
            check_against(&format!("{name} (Pillow pixels)"), want, &data, 1e-2);
        }
    }
}

#[test]
fn sample_classes_as_in_the_issue() {
    let model = model();
    let top =
        |name: &str| -> Vec<usize> { run(&model, name).1.top5().iter().map(|t| t.0).collect() };
    let chelsea = top("chelsea.png");
    assert!(
        chelsea[..3].contains(&282) && chelsea[..3].contains(&285),
        "{chelsea:?}"
    );
    let coffee = top("coffee.png");
    assert_eq!(coffee[0], 967, "{coffee:?}");
    let rocket = top("rocket.jpg");
    assert_eq!(rocket[0], 657, "{rocket:?}");
    for (name, t) in [
        ("chelsea", &chelsea),
        ("coffee", &coffee),
        ("rocket", &rocket),
    ] {
        let names: Vec<_> = t
            .iter()
            .map(|&i| classes::class_name(i).unwrap_or("?"))
            .collect();
        eprintln!("{name}: {t:?} {names:?}");
    }
}

#[test]
fn earlier_layers_and_other_classes() {
    let model = model();
    let bytes = std::fs::read(format!("{SAMPLES}/chelsea.png")).expect("sample");
    let pre = preprocess(&bytes, CropMode::WholeImage).expect("decodes");
    let input = pre.input_tensor(&device());
    for layer in [TargetLayer::Block10, TargetLayer::Block4] {
        let data = gradcam_tensors(&model, input.clone(), layer, CamTarget::Class(285))
            .expect("grad-cam")
            .read_sync()
            .expect("read");
        let [c, h, w] = layer.feature_shape();
        assert_eq!(data.shape, [c, h, w]);
        assert_eq!(data.class, 285);
        let map = data.map(CamMethod::GradCam);
        assert!(
            map.values
                .iter()
                .all(|v| v.is_finite() && (0.0..=1.0).contains(v))
        );
        assert!(
            map.values.iter().any(|&v| v > 0.99),
            "{}: empty map",
            layer.name()
        );
        // The split is exact: the logits do not depend on where the network is cut.
        let full = model
            .forward(input.clone())
            .into_data()
            .try_to_vec::<f32>()
            .expect("logits");
        let d = full
            .iter()
            .zip(&data.logits)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(d < 1e-4, "{}: split changes logits by {d}", layer.name());
    }
    // Another class from the same activations: only the classifier runs again.
    let acts = model.features_at(input, TargetLayer::Head);
    let tabby = head_gradients(&model, acts, TargetLayer::Head, CamTarget::Class(281))
        .expect("grad-cam")
        .read_sync()
        .expect("read");
    assert_eq!(tabby.class, 281);
    assert!(
        gradcam_tensors(
            &model,
            pre.input_tensor(&device()),
            TargetLayer::Head,
            CamTarget::Class(1000)
        )
        .is_err()
    );
}

/// Autodiff through the blocks after an early split agrees with finite differences.
#[test]
fn block_gradients_match_finite_differences() {
    let model = model();
    let bytes = std::fs::read(format!("{SAMPLES}/coffee.png")).expect("sample");
    let pre = preprocess(&bytes, CropMode::CenterCrop).expect("decodes");
    let layer = TargetLayer::Block10;
    let acts = model.features_at(pre.input_tensor(&device()), layer);
    let data = head_gradients(&model, acts.clone(), layer, CamTarget::Class(967))
        .expect("grad-cam")
        .read_sync()
        .expect("read");
    let base = acts.into_data().try_to_vec::<f32>().expect("activations");
    let shape = [1, 112, 14, 14];
    let logit = |values: Vec<f32>| -> f32 {
        let t = burn::tensor::Tensor::<4>::from_data(
            burn::tensor::TensorData::new(values, shape),
            &device(),
        );
        model
            .head_from(t, layer)
            .into_data()
            .try_to_vec::<f32>()
            .expect("logits")[967]
    };
    // The three activations with the largest gradients.
    let mut order: Vec<usize> = (0..data.gradients.len()).collect();
    order.sort_by(|&a, &b| data.gradients[b].abs().total_cmp(&data.gradients[a].abs()));
    let eps = 1e-2f32;
    for &i in &order[..3] {
        let (mut plus, mut minus) = (base.clone(), base.clone());
        plus[i] += eps;
        minus[i] -= eps;
        let numeric = (logit(plus) - logit(minus)) / (2.0 * eps);
        let analytic = data.gradients[i];
        let rel = (numeric - analytic).abs() / analytic.abs().max(1e-6);
        assert!(
            rel < 0.05,
            "element {i}: autodiff {analytic}, finite difference {numeric}"
        );
    }
}

/// The async read path (the one the browser uses) gives the same numbers as the sync one.
#[test]
fn async_reads_match_sync_reads() {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    let model = model();
    let bytes = std::fs::read(format!("{SAMPLES}/coffee.png")).expect("sample");
    let pre = preprocess(&bytes, CropMode::CenterCrop).expect("decodes");
    let run = || {
        gradcam_tensors(
            &model,
            pre.input_tensor(&device()),
            TargetLayer::Head,
            CamTarget::TopPrediction,
        )
        .expect("grad-cam")
    };
    let sync = run().read_sync().expect("sync read");
    let mut future = pin!(run().read_async());
    let mut cx = Context::from_waker(Waker::noop());
    let read = loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            break out.expect("async read");
        }
    };
    assert_eq!(
        (read.shape, read.class, read.layer),
        (sync.shape, sync.class, sync.layer)
    );
    let max_diff = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    };
    assert!(max_diff(&read.logits, &sync.logits) < 1e-5);
    assert!(max_diff(&read.activations, &sync.activations) < 1e-5);
    assert!(max_diff(&read.gradients, &sync.gradients) < 1e-5);
    assert_eq!(read.class, 967);
}

/// The PyTorch reference (`reference/pytorch_reference.py`: a PyTorch port of the network and
/// pytorch-grad-cam 1.5.7's own classes, run once on a GPU machine; numbers in
/// `fixtures/reference-pytorch.json`): logits within 1e-2 and every method's map at every
/// target layer (7x7, 14x14, 28x28) correlated >= 0.99. The JPEG sample runs on Pillow's crop,
/// which the reference recorded by hash.
#[test]
fn samples_match_pytorch_grad_cam_at_every_layer() {
    let model = model();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/reference-pytorch.json"
    );
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    for name in ["chelsea.png", "coffee.png", "rocket.jpg"] {
        let want = &reference["images"][name];
        let rgb = if name.ends_with(".png") {
            let bytes = std::fs::read(format!("{SAMPLES}/{name}")).expect("sample photo");
            preprocess(&bytes, CropMode::CenterCrop)
                .expect("sample decodes")
                .rgb
        } else {
            let stem = name.trim_end_matches(".jpg");
            let crop = format!(
                "{}/tests/fixtures/{stem}-pil-crop.png",
                env!("CARGO_MANIFEST_DIR")
            );
            image::open(crop).expect("pil crop").to_rgb8().into_raw()
        };
        assert_eq!(
            format!("{:x}", Sha256::digest(&rgb)),
            want["crop_sha256"].as_str().expect("sha"),
            "{name}: not the pixels the reference saw"
        );
        let pre = Preprocessed {
            rgb,
            original_size: (224, 224),
            downscaled: false,
        };
        let class = want["class"].as_u64().expect("class") as usize;
        for layer in TargetLayer::ALL {
            let data = gradcam_tensors(
                &model,
                pre.input_tensor(&device()),
                layer,
                CamTarget::Class(class),
            )
            .expect("grad-cam")
            .read_sync()
            .expect("read");
            let logits = floats(&want["logits"]);
            let diff = data
                .logits
                .iter()
                .zip(&logits)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(
                diff < 1e-2,
                "{name} {}: logits differ by {diff}",
                layer.name()
            );
            let [_, h, w] = layer.feature_shape();
            for method in CamMethod::ALL {
                let got = data.map(method);
                assert_eq!((got.width, got.height), (w, h));
                let expected = floats(&want["cam"][layer.name()][method.name()]);
                assert_eq!(expected.len(), h * w, "{name} {}", layer.name());
                let r = pearson(&got.values, &expected);
                eprintln!(
                    "{name} {} {}: correlation {r:.5}",
                    layer.name(),
                    method.name()
                );
                assert!(
                    r >= 0.99,
                    "{name} {} {}: correlation {r}",
                    layer.name(),
                    method.name()
                );
            }
        }
    }
}
