//! Timings of the UI's hot paths, kept in the page for the end-to-end tests to read (figures
//! are printed, never asserted). A few numbers per worker message; nothing is measured while
//! rendering itself.
//!
//! `window.__tidepoolPerf.graph` holds one record per graph commit: when the cluster-view
//! messages it draws arrived (before decoding), what they carried, when the last of them had
//! been decoded (`decoded`) and then reduced into the state (`reduced`), how long drawing the pod chips took (`chipsMs`),
//! a few named moments of the render (`stamps`, see [`stamp`]), when the chips were drawn
//! (`committed`: the graph's render, whose SVG Yew commits in the same task),
//! and when the next animation frame started and ended. `window.__tidepoolPerf.output` holds
//! the arrival time of each terminal output message, `.written` when each was handed to
//! xterm.js, `.sent` when each message to the worker was sent, and `.workerReceived` /
//! `.workerAnswered` when the worker started handling a command line and had posted its
//! answer (converted from the worker's epoch stamps). Times are
//! `performance.now()` values.

#[cfg(target_arch = "wasm32")]
mod page {
    use std::cell::{Cell, RefCell};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = performance, js_name = now)]
        fn performance_now() -> f64;
    }

    /// Records kept per list; older ones are dropped.
    const KEPT: u32 = 500;

    /// A cluster-view message waiting for the graph to draw it.
    struct Arrival {
        arrived: f64,
        /// When the UI had decoded it (before the reducer).
        decoded: f64,
        /// When the UI had decoded it and run the reducer on it.
        reduced: f64,
        kind: &'static str,
        entries: usize,
        pods: usize,
        build_us: u32,
    }

    thread_local! {
        /// When the latest worker message started decoding (see [`super::TimedCodec`]).
        static DECODE_STARTED: Cell<f64> = const { Cell::new(0.0) };
        static PENDING: RefCell<Vec<Arrival>> = const { RefCell::new(Vec::new()) };
        /// Named moments of the render that the next graph record reports (see [`stamp`]).
        static STAMPS: RefCell<Vec<(&'static str, f64)>> = const { RefCell::new(Vec::new()) };
    }

    pub fn stamp(name: &'static str) {
        let at = now();
        STAMPS.with(|s| s.borrow_mut().push((name, at)));
    }

    pub fn now() -> f64 {
        performance_now()
    }

    pub fn decoding() {
        DECODE_STARTED.with(|t| t.set(now()));
    }

    fn set(target: &JsValue, key: &str, value: JsValue) {
        let _ = js_sys::Reflect::set(target, &key.into(), &value);
    }

    /// `window.__tidepoolPerf[list]`, created on first use.
    fn list(name: &str) -> Option<js_sys::Array> {
        let window: JsValue = web_sys::window()?.into();
        let root = js_sys::Reflect::get(&window, &"__tidepoolPerf".into()).ok()?;
        let root = if root.is_object() {
            root
        } else {
            let created: JsValue = js_sys::Object::new().into();
            set(&window, "__tidepoolPerf", created.clone());
            created
        };
        let array = js_sys::Reflect::get(&root, &name.into()).ok()?;
        if let Ok(array) = array.dyn_into::<js_sys::Array>() {
            return Some(array);
        }
        let array = js_sys::Array::new();
        set(&root, name, array.clone().into());
        Some(array)
    }

    fn push(name: &str, record: &JsValue) {
        if let Some(array) = list(name) {
            array.push(record);
            if array.length() > KEPT {
                array.shift();
            }
        }
    }

    pub fn view_arrived(kind: &'static str, entries: usize, pods: usize, build_us: u32) {
        let arrived = DECODE_STARTED.with(Cell::get);
        PENDING.with(|p| {
            p.borrow_mut().push(Arrival {
                arrived,
                decoded: now(),
                reduced: arrived,
                kind,
                entries,
                pods,
                build_us,
            });
        });
    }

    pub fn reduced() {
        PENDING.with(|p| {
            if let Some(last) = p.borrow_mut().last_mut() {
                last.reduced = now();
            }
        });
    }

    pub fn output_arrived() {
        push("output", &DECODE_STARTED.with(Cell::get).into());
    }

    pub fn sending() {
        push("sent", &now().into());
    }

    pub fn output_written() {
        push("written", &now().into());
    }

    /// The worker's epoch stamps on this page's `performance.now()` scale.
    pub fn worker_handled(received_at_us: u64, answered_at_us: u64) {
        let origin = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
            .and_then(|performance| js_sys::Reflect::get(&performance, &"timeOrigin".into()))
            .ok()
            .and_then(|origin| origin.as_f64())
            .unwrap_or(0.0);
        let page_ms = |epoch_us: u64| epoch_us as f64 / 1000.0 - origin;
        push("workerReceived", &page_ms(received_at_us).into());
        push("workerAnswered", &page_ms(answered_at_us).into());
    }

    pub fn drop_pending() {
        PENDING.with(|p| p.borrow_mut().clear());
        STAMPS.with(|s| s.borrow_mut().clear());
    }

    pub fn graph_committed(pods: usize, chips: usize, chips_ms: f64) {
        let arrivals = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
        let stamps = STAMPS.with(|s| std::mem::take(&mut *s.borrow_mut()));
        let Some(first) = arrivals.first() else {
            return;
        };
        let record: JsValue = js_sys::Object::new().into();
        let kinds: Vec<&str> = arrivals.iter().map(|a| a.kind).collect();
        set(&record, "kinds", kinds.join(",").into());
        set(&record, "messages", (arrivals.len() as u32).into());
        set(
            &record,
            "entries",
            (arrivals.iter().map(|a| a.entries).sum::<usize>() as u32).into(),
        );
        set(
            &record,
            "podChanges",
            (arrivals.iter().map(|a| a.pods).sum::<usize>() as u32).into(),
        );
        set(
            &record,
            "buildUs",
            arrivals
                .iter()
                .map(|a| a.build_us)
                .max()
                .unwrap_or(0)
                .into(),
        );
        set(&record, "arrived", first.arrived.into());
        if let Some(last) = arrivals.last() {
            set(&record, "decoded", last.decoded.into());
            set(&record, "reduced", last.reduced.into());
        }
        set(&record, "chipsMs", chips_ms.into());
        let stamps: Vec<String> = stamps
            .iter()
            .map(|(name, at)| format!("{name} {:.1}", at - first.arrived))
            .collect();
        set(&record, "stamps", stamps.join(", ").into());
        set(&record, "committed", now().into());
        set(&record, "pods", (pods as u32).into());
        set(&record, "chips", (chips as u32).into());
        push("graph", &record);
        // The frame that paints the commit: its start, and a task queued from it, which runs
        // after that frame's paint.
        let on_frame = Closure::once_into_js(move || {
            set(&record, "frame", now().into());
            let after_paint = Closure::once_into_js(move || {
                set(&record, "painted", now().into());
            });
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback(after_paint.unchecked_ref());
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.request_animation_frame(on_frame.unchecked_ref());
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod page {
    pub fn decoding() {}
    pub fn view_arrived(_kind: &'static str, _entries: usize, _pods: usize, _build_us: u32) {}
    pub fn reduced() {}
    pub fn output_arrived() {}
    pub fn sending() {}
    pub fn output_written() {}
    pub fn worker_handled(_received_at_us: u64, _answered_at_us: u64) {}
    pub fn drop_pending() {}
    pub fn graph_committed(_pods: usize, _chips: usize, _chips_ms: f64) {}
    pub fn now() -> f64 {
        0.0
    }
    pub fn stamp(_name: &'static str) {}
}

pub use page::{
    drop_pending, graph_committed, now, output_arrived, output_written, reduced, stamp,
    view_arrived, worker_handled,
};

/// The cluster worker's codec, noting when each message starts decoding (its arrival) and
/// when each message to the worker starts encoding (its sending).
#[derive(Debug)]
pub struct TimedCodec;

impl gloo_worker::Codec for TimedCodec {
    fn encode<I: serde::Serialize>(input: I) -> wasm_bindgen::JsValue {
        page::sending();
        <tidepool_worker::codec::SerdeWasmBindgen as gloo_worker::Codec>::encode(input)
    }

    fn decode<O: for<'de> serde::Deserialize<'de>>(input: wasm_bindgen::JsValue) -> O {
        page::decoding();
        <tidepool_worker::codec::SerdeWasmBindgen as gloo_worker::Codec>::decode(input)
    }
}
