//! The worker's analysis natively on Flex: reference answers on the bundled photos, bad input,
//! and the fixture the browser tests compare WebGPU and Flex against
//! (`UPDATE_FIXTURES=1 cargo test -p tidepool-gradcam-worker --test native` rewrites it).
#![cfg(not(target_arch = "wasm32"))]

use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use tidepool_gradcam::cam::overlay;
use tidepool_gradcam::classes::class_name;
use tidepool_gradcam::model::INPUT_SIZE;
use tidepool_gradcam::preprocess::{CropMode, preprocess};
use tidepool_gradcam_worker::analysis::{LoadedModel, load_model};
use tidepool_gradcam_worker::blend::{overlay_rgba, rgb_to_rgba};
use tidepool_gradcam_worker::protocol::{AnalyseOptions, Analysis, ColormapChoice, Layer, Method};

const WEIGHTS: &[u8] = include_bytes!("../../../static/models/efficientnet-lite0.bpk");
const CHELSEA: &[u8] = include_bytes!("../../../static/samples/chelsea.png");
const COFFEE: &[u8] = include_bytes!("../../../static/samples/coffee.png");
const FIXTURE: &str = "tests/fixtures/chelsea-flex-native.json";

/// Flex runs synchronously: polling to completion is enough (no executor needed).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fn model() -> &'static LoadedModel {
    static MODEL: OnceLock<LoadedModel> = OnceLock::new();
    MODEL.get_or_init(|| block_on(load_model(WEIGHTS.to_vec(), false)).expect("weights load"))
}

fn clock() -> f64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

fn analyse(image: &[u8], options: AnalyseOptions) -> Result<Analysis, String> {
    block_on(model().analyse(7, image, options, &clock))
}

#[test]
fn native_flex_agrees_with_the_stored_fixture() {
    let analysis = analyse(CHELSEA, AnalyseOptions::default()).expect("chelsea");
    let fixture = serde_json::json!({
        "image": "static/samples/chelsea.png",
        "options": "gradcam, head, top-1, centre crop",
        "backend": "flex (native)",
        "class": analysis.explained.index,
        "logits": analysis.logits,
        "cam": analysis.cam,
        "cam_width": analysis.cam_width,
        "cam_height": analysis.cam_height,
    });
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let text = serde_json::to_string_pretty(&fixture).expect("json");
        std::fs::write(FIXTURE, text + "\n").expect("write fixture");
    }
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("fixture")).expect("json");
    assert_eq!(stored["class"], fixture["class"]);
    let numbers = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect()
    };
    for key in ["logits", "cam"] {
        let (a, b) = (numbers(&stored[key]), numbers(&fixture[key]));
        assert_eq!(a.len(), b.len(), "{key}");
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-4, "{key} drifted from the fixture by {worst}");
    }
}

#[test]
fn chelsea_and_coffee_give_the_reference_classes() {
    let chelsea = analyse(CHELSEA, AnalyseOptions::default()).expect("chelsea");
    let top3: Vec<u32> = chelsea.top5.iter().take(3).map(|c| c.index).collect();
    assert!(top3.contains(&282) && top3.contains(&285), "{top3:?}");
    assert_eq!(chelsea.top5.len(), 5);
    assert_eq!(chelsea.explained.index, chelsea.top5[0].index);
    assert_eq!(chelsea.request_id, 7);
    assert_eq!(chelsea.backend, "flex");
    assert_eq!((chelsea.cam_width, chelsea.cam_height), (7, 7));
    let side = INPUT_SIZE * INPUT_SIZE * 4;
    assert_eq!(chelsea.image_rgba.len(), side);
    assert_eq!(chelsea.heatmap_rgba.len(), side);
    assert!(chelsea.cam.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!(
        chelsea.cam.iter().any(|&v| v > 0.99),
        "the map is normalised"
    );
    let t = chelsea.timings;
    assert!(
        t.total_ms >= t.forward_ms + t.backward_ms && t.forward_ms > 0.0,
        "{t:?}"
    );

    let coffee = analyse(COFFEE, AnalyseOptions::default()).expect("coffee");
    assert_eq!(coffee.top5[0].index, 967);
    assert_eq!(coffee.top5[0].name, "espresso");
    assert!(coffee.top5[0].probability > 0.9);
}

#[test]
fn options_reach_the_model() {
    let options = AnalyseOptions {
        method: Method::LayerCam,
        layer: Layer::Block10,
        class: Some(285),
        whole_image: true,
        ..AnalyseOptions::default()
    };
    let a = analyse(CHELSEA, options).expect("chelsea");
    assert_eq!((a.cam_width, a.cam_height), (14, 14));
    assert_eq!(a.explained.index, 285);
    assert_eq!(a.explained.name, class_name(285).expect("name"));
    assert_eq!(a.options, options);
    let block4 = analyse(
        CHELSEA,
        AnalyseOptions {
            layer: Layer::Block4,
            ..AnalyseOptions::default()
        },
    )
    .expect("block4");
    assert_eq!((block4.cam_width, block4.cam_height), (28, 28));
}

#[test]
fn method_and_colormap_changes_reuse_the_pass_and_match_a_fresh_run() {
    // A model of its own: the shared one's last pass depends on which test ran before.
    let model = block_on(load_model(WEIGHTS.to_vec(), false)).expect("weights load");
    let run = |options| block_on(model.analyse(1, COFFEE, options, &clock)).expect("coffee");
    let first = run(AnalyseOptions::default());
    assert!(!first.timings.reused_pass);
    let recoloured = AnalyseOptions {
        method: Method::GradCamPlusPlus,
        colormap: ColormapChoice::Viridis,
        ..AnalyseOptions::default()
    };
    let reused = run(recoloured);
    assert!(reused.timings.reused_pass);
    assert_eq!(reused.timings.forward_ms, 0.0);
    assert_eq!(reused.top5, first.top5);
    assert_ne!(reused.heatmap_rgba, first.heatmap_rgba);
    model.forget_last_pass();
    let fresh = run(recoloured);
    assert!(!fresh.timings.reused_pass);
    assert_eq!(fresh.cam, reused.cam);
    assert_eq!(fresh.heatmap_rgba, reused.heatmap_rgba);
    assert_eq!(fresh.logits, reused.logits);
    // The layer changes the network's numbers: no reuse.
    let other_layer = run(AnalyseOptions {
        layer: Layer::Block10,
        ..recoloured
    });
    assert!(!other_layer.timings.reused_pass);
    assert_eq!((other_layer.cam_width, other_layer.cam_height), (14, 14));
    // So do another photo and another class.
    assert!(
        !block_on(model.analyse(2, CHELSEA, recoloured, &clock))
            .expect("chelsea")
            .timings
            .reused_pass
    );
    let class = AnalyseOptions {
        class: Some(968),
        ..recoloured
    };
    assert!(
        !block_on(model.analyse(3, CHELSEA, class, &clock))
            .expect("cup")
            .timings
            .reused_pass
    );
}

#[test]
fn bad_input_gives_messages() {
    let empty = analyse(&[], AnalyseOptions::default()).expect_err("empty");
    assert_eq!(empty, "the file is empty");
    let text = analyse(b"hello, not a photo", AnalyseOptions::default()).expect_err("text");
    assert!(text.contains("not a supported image"), "{text}");
    let truncated =
        analyse(&CHELSEA[..CHELSEA.len() / 3], AnalyseOptions::default()).expect_err("truncated");
    assert!(truncated.contains("could not decode"), "{truncated}");
    let class = AnalyseOptions {
        class: Some(1000),
        ..AnalyseOptions::default()
    };
    let out_of_range = analyse(CHELSEA, class).expect_err("class");
    assert!(out_of_range.contains("out of range"), "{out_of_range}");
}

#[test]
fn ui_blend_matches_the_model_crates_overlay() {
    let a = analyse(COFFEE, AnalyseOptions::default()).expect("coffee");
    let rgb = preprocess(COFFEE, CropMode::CenterCrop)
        .expect("coffee")
        .rgb;
    let heat_rgb: Vec<u8> = a
        .heatmap_rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    assert_eq!(a.image_rgba, rgb_to_rgba(&rgb));
    for opacity in [0.0, 0.3, 0.5, 1.0] {
        let expected = rgb_to_rgba(&overlay(&rgb, &heat_rgb, 1.0 - opacity));
        assert_eq!(
            overlay_rgba(&a.image_rgba, &a.heatmap_rgba, opacity),
            expected
        );
    }
}

#[test]
fn corrupt_weights_are_refused() {
    let error = block_on(load_model(Vec::new(), false)).expect_err("empty");
    assert!(error.contains("empty"), "{error}");
    let error = block_on(load_model(WEIGHTS[..1000].to_vec(), false)).expect_err("cut");
    assert!(error.contains("do not fit"), "{error}");
}
