//! The Tidepool playground UI.
//!
//! State lives in one reducer ([`state`]); components are presentational and receive what
//! they show as props. The only way to the simulation is the cluster worker's typed protocol
//! (`tidepool_worker::protocol`), reached through [`worker_link`].

mod codemirror;
pub mod components;
pub mod editor_state;
pub mod gradcam;
pub mod graph_layout;
pub mod i18n;
pub mod line_editor;
pub mod offline;
mod perf;
pub mod playground_state;
pub mod state;
pub mod worker_link;
mod xterm;

pub use components::app::{App, AppProps};

/// Mounts the app on `<body>`.
pub fn start() {
    watch_csp_violations();
    yew::Renderer::<App>::new().render();
}

/// Reports Content-Security-Policy violations: a console warning each, and their count in
/// `<html data-csp-violations>` (the end-to-end tests assert it stays absent).
fn watch_csp_violations() {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let listener = Closure::<dyn Fn(web_sys::Event)>::new(|event: web_sys::Event| {
        let field = |name: &str| {
            js_sys::Reflect::get(&event, &name.into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        web_sys::console::warn_1(
            &format!(
                "CSP violation: {} blocked {}",
                field("violatedDirective"),
                field("blockedURI")
            )
            .into(),
        );
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let count = root
                .get_attribute("data-csp-violations")
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0);
            let _ = root.set_attribute("data-csp-violations", &(count + 1).to_string());
        }
    });
    let _ = document.add_event_listener_with_callback(
        "securitypolicyviolation",
        listener.as_ref().unchecked_ref(),
    );
    // The listener lives as long as the page.
    listener.forget();
}
