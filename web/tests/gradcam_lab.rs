//! The Grad-CAM lab in headless Chromium without its worker: the tab opens the lab, the
//! views render a result (canvases drawn, opacity re-blends), and file names stay text.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use std::rc::Rc;
use tidepool_gradcam_worker::protocol::{AnalyseOptions, Analysis, ClassScore, Timings};
use tidepool_web::gradcam::view::{
    Panels, PanelsProps, PhotoInput, PhotoInputProps, TopFive, TopFiveProps,
};
use tidepool_web::i18n::Lang;
use tidepool_web::{App, AppProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_host(id: &str) -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let host = document.create_element("div").expect("div");
    host.set_id(id);
    document
        .body()
        .unwrap()
        .append_child(&host)
        .expect("append");
    host
}

fn analysis() -> Rc<Analysis> {
    let score = |index, name: &str, probability| ClassScore {
        index,
        name: name.into(),
        probability,
    };
    let size = 4u32;
    let pixels = (size * size) as usize;
    Rc::new(Analysis {
        request_id: 1,
        options: AnalyseOptions::default(),
        backend: "webgpu".into(),
        top5: vec![
            score(282, "tiger cat", 0.6),
            score(285, "Egyptian cat", 0.2),
            score(281, "tabby", 0.1),
            score(287, "lynx", 0.05),
            score(283, "Persian cat", 0.01),
        ],
        explained: score(282, "tiger cat", 0.6),
        logits: vec![0.0; 1000],
        cam: vec![1.0],
        cam_width: 1,
        cam_height: 1,
        size,
        image_rgba: [200, 100, 0, 255].repeat(pixels),
        heatmap_rgba: [0, 0, 200, 255].repeat(pixels),
        original_width: 4,
        original_height: 4,
        downscaled: false,
        timings: Timings {
            total_ms: 42.0,
            ..Timings::default()
        },
    })
}

fn overlay_pixel(host: &web_sys::Element) -> Vec<u8> {
    let canvas: web_sys::HtmlCanvasElement = host
        .query_selector("#gc-overlay")
        .unwrap()
        .expect("overlay canvas")
        .dyn_into()
        .unwrap();
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    context
        .get_image_data(0.0, 0.0, 1.0, 1.0)
        .unwrap()
        .data()
        .to_vec()
}

#[wasm_bindgen_test]
async fn the_tab_opens_the_lab_and_asks_for_the_model() {
    let host = fresh_host("lab-app-host");
    let props = AppProps {
        worker_url: "./no-worker-here.js".into(),
        gradcam_worker_url: "./no-gradcam-worker-here.js".into(),
    };
    yew::Renderer::<App>::with_root_and_props(host.clone(), props).render();
    yew::scheduler::flush().await;
    assert!(
        host.query_selector("#gradcam-lab").unwrap().is_none(),
        "mounted lazily"
    );
    let tab: web_sys::HtmlElement = host
        .query_selector("#tab-gradcam")
        .unwrap()
        .expect("the Grad-CAM tab")
        .dyn_into()
        .unwrap();
    tab.click();
    yew::scheduler::flush().await;
    assert!(host.query_selector("#gradcam-lab").unwrap().is_some());
    let status = host
        .query_selector("#gc-model-status")
        .unwrap()
        .expect("model status")
        .text_content()
        .unwrap();
    assert!(status.contains("Downloading the model weights"), "{status}");
    assert!(host.query_selector("#gc-sample-chelsea").unwrap().is_some());
    // The cluster lab stays mounted, hidden.
    let shell = host
        .query_selector("#tidepool-shell")
        .unwrap()
        .expect("shell");
    assert!(shell.parent_element().unwrap().has_attribute("hidden"));
}

#[wasm_bindgen_test]
async fn a_result_draws_and_the_opacity_reblends() {
    let host = fresh_host("panels-host");
    let mut props = PanelsProps {
        lang: Lang::Ko,
        result: Some(analysis()),
        opacity: 0.0,
        busy: false,
        on_opacity: Callback::noop(),
    };
    let mut handle =
        yew::Renderer::<Panels>::with_root_and_props(host.clone(), props.clone()).render();
    yew::scheduler::flush().await;
    // Opacity 0: the image alone, rescaled to its maximum.
    assert_eq!(overlay_pixel(&host), vec![255, 127, 0, 255]);
    props.opacity = 1.0;
    handle.update(props);
    yew::scheduler::flush().await;
    assert_eq!(overlay_pixel(&host), vec![0, 0, 255, 255]);
    let text = host.text_content().unwrap();
    assert!(
        text.contains("오버레이") && text.contains("42 ms"),
        "{text}"
    );
}

#[wasm_bindgen_test]
async fn top5_and_file_names_are_text_not_html() {
    let host = fresh_host("top5-host");
    yew::Renderer::<TopFive>::with_root_and_props(
        host.clone(),
        TopFiveProps {
            lang: Lang::En,
            result: Some(analysis()),
            explained_class: None,
            on_explain: Callback::noop(),
        },
    )
    .render();
    let input = fresh_host("input-host");
    let name = "<img src=x onerror=alert(1)>.png";
    yew::Renderer::<PhotoInput>::with_root_and_props(
        input.clone(),
        PhotoInputProps {
            lang: Lang::En,
            on_files: Callback::noop(),
            on_sample: Callback::noop(),
            busy: true,
            photo_label: Some(name.into()),
            error: Some("the file is empty".into()),
        },
    )
    .render();
    yew::scheduler::flush().await;
    assert!(
        host.query_selector("#gc-top5 li:nth-child(5) .gc-class")
            .unwrap()
            .is_some()
    );
    assert!(
        host.query_selector("#gc-top5 li:nth-child(6)")
            .unwrap()
            .is_none()
    );
    let pressed = host
        .query_selector("[aria-pressed='true'] .gc-class-name")
        .unwrap()
        .expect("the explained class");
    assert_eq!(pressed.text_content().unwrap(), "tiger cat");
    assert!(
        input.query_selector("img").unwrap().is_none(),
        "a file name became HTML"
    );
    assert!(input.text_content().unwrap().contains(name));
    assert!(input.query_selector("#gc-error").unwrap().is_some());
}
