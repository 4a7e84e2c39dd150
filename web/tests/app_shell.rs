//! Mounts the real app in headless Chromium and checks the shell it renders.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use tidepool_web::components::shell::{Shell, ShellProps, status_text};
use tidepool_web::i18n::Lang;
use tidepool_web::state::{AppState, WorkerStatus};
use tidepool_web::{App, AppProps};
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_host(id: &str) -> web_sys::Element {
    let document = gloo_document();
    let host = document.create_element("div").expect("div");
    host.set_id(id);
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    host
}

fn gloo_document() -> web_sys::Document {
    web_sys::window()
        .expect("window")
        .document()
        .expect("document")
}

#[wasm_bindgen_test]
async fn app_mounts_and_renders_the_shell() {
    let host = fresh_host("app-host");
    // No worker is served by the test runner: the shell must still render, waiting for it.
    let props = AppProps {
        worker_url: "./no-worker-here.js".into(),
        gradcam_worker_url: "./no-gradcam-worker-here.js".into(),
    };
    yew::Renderer::<App>::with_root_and_props(host.clone(), props).render();
    yew::scheduler::flush().await;

    for selector in [
        "#tidepool-shell",
        ".tp-header h1",
        "#terminal-pane",
        "#graph-pane",
        "#status-line",
    ] {
        assert!(
            host.query_selector(selector).expect("query").is_some(),
            "missing {selector}"
        );
    }
    let status = host
        .query_selector("#status-line")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert_eq!(status, status_text(Lang::En, &WorkerStatus::Connecting));
}

#[wasm_bindgen_test]
async fn shell_shows_a_ready_worker_in_korean() {
    let host = fresh_host("shell-host");
    let state = AppState {
        lang: Lang::Ko,
        worker: WorkerStatus::Ready {
            seed: 7,
            virtual_time_ms: 61_000,
            speed: 10,
            protocol_version: 2,
        },
        ..AppState::default()
    };
    let props = ShellProps {
        state,
        on_toggle_language: Callback::noop(),
        on_line: Callback::noop(),
        on_complete: Callback::noop(),
        on_interrupt: Callback::noop(),
        on_time: Callback::noop(),
        playground: Default::default(),
        on_select_lab: Callback::noop(),
        on_editor: Callback::noop(),
        on_select_terminal: Callback::noop(),
        on_close_terminal: Callback::noop(),
        on_open_terminal: Callback::noop(),
    };
    yew::Renderer::<Shell>::with_root_and_props(host.clone(), props).render();
    yew::scheduler::flush().await;

    let text = host.text_content().unwrap();
    assert!(text.contains("터미널"), "{text}");
    assert!(
        text.contains("클러스터 워커 준비됨 · protocol v2 · seed 7 · t=61s · 10x"),
        "{text}"
    );
    let clock = host
        .query_selector("#virtual-clock")
        .unwrap()
        .expect("the virtual clock");
    assert_eq!(clock.text_content().unwrap(), "00:01:01");
    let pressed = host
        .query_selector("[aria-pressed='true']")
        .unwrap()
        .expect("a pressed speed");
    assert_eq!(pressed.text_content().unwrap(), "10x");
}
