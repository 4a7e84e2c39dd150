//! The playground's components in headless Chromium: the graph draws the chips a view holds,
//! the inspector shows kubectl's text as text, the timeline lists events newest first.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use std::rc::Rc;
use tidepool_web::components::events::{EventsProps, EventsTimeline};
use tidepool_web::components::graph::{ClusterGraph, GraphProps};
use tidepool_web::components::inspector::{InspectorPanel, InspectorProps};
use tidepool_web::i18n::Lang;
use tidepool_web::playground_state::{EventTypeFilter, Inspector};
use tidepool_worker::protocol::{
    ClusterView, EventView, InspectView, NodeView, ObjectKind, ObjectRef, OwnerView, PodView,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_host(id: &str) -> web_sys::Element {
    let document = web_sys::window()
        .expect("window")
        .document()
        .expect("document");
    let host = document.create_element("div").expect("div");
    host.set_id(id);
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    host
}

fn pod(name: &str, node: Option<&str>, status: &str) -> PodView {
    PodView {
        namespace: "default".to_owned(),
        name: name.to_owned(),
        node: node.map(str::to_owned),
        status: status.to_owned(),
        ready: "0/1".to_owned(),
        owner: Some(OwnerView {
            kind: "ReplicaSet".to_owned(),
            name: "web-1".to_owned(),
        }),
        cpu_request_milli: 100,
        memory_request_bytes: 64 << 20,
    }
}

fn view(pods: &[PodView]) -> ClusterView {
    let mut view = ClusterView::default();
    view.nodes.insert(
        "node01".to_owned(),
        NodeView {
            name: "node01".to_owned(),
            ready: true,
            unschedulable: false,
            cpu_allocatable_milli: 2000,
            cpu_requested_milli: 300,
            memory_allocatable_bytes: 4 << 30,
            memory_requested_bytes: 192 << 20,
            pods: 3,
        },
    );
    for pod in pods {
        view.pods
            .insert(format!("{}/{}", pod.namespace, pod.name), pod.clone());
    }
    view
}

/// `(data-pod, data-status, aria-label)` of every chip under `host`.
fn chips(host: &web_sys::Element) -> Vec<(String, String, String)> {
    let list = host.query_selector_all(".tp-chip").expect("query");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        .map(|e| {
            let attr = |name| e.get_attribute(name).unwrap_or_default();
            (attr("data-pod"), attr("data-status"), attr("aria-label"))
        })
        .collect()
}

#[wasm_bindgen_test]
async fn the_graph_draws_one_labelled_chip_per_pod() {
    let host = fresh_host("graph-host");
    let selected = Rc::new(std::cell::RefCell::new(None::<ObjectRef>));
    let props = GraphProps {
        lang: Lang::En,
        view: Rc::new(view(&[
            pod("web-a", Some("node01"), "Running"),
            pod("web-b", Some("node01"), "CrashLoopBackOff"),
            pod("web-c", None, "Pending"),
        ])),
        known: true,
        namespace: None,
        selected: None,
        on_select: {
            let selected = Rc::clone(&selected);
            Callback::from(move |target| *selected.borrow_mut() = Some(target))
        },
    };
    yew::Renderer::<ClusterGraph>::with_root_and_props(host.clone(), props).render();
    yew::scheduler::flush().await;

    let chips = chips(&host);
    let statuses: Vec<(&str, &str)> = chips
        .iter()
        .map(|(pod, status, _)| (pod.as_str(), status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("web-a", "Running"),
            ("web-b", "CrashLoopBackOff"),
            ("web-c", "Pending")
        ]
    );
    // Status is in the text and the label, not only in the colour.
    let text = host.text_content().unwrap_or_default();
    assert!(
        text.contains("● Running") && text.contains("↻ CrashLoopBackOff"),
        "{text}"
    );
    assert!(
        chips[1].2.contains("STATUS CrashLoopBackOff"),
        "{:?}",
        chips[1]
    );
    assert!(text.contains("Not scheduled yet"), "{text}");
    assert!(text.contains("CPU 300m / 2 requested"), "{text}");
    // Chips are focusable buttons; a click selects the pod.
    let chip: web_sys::HtmlElement = host
        .query_selector(".tp-chip[data-pod='web-b']")
        .expect("query")
        .expect("chip")
        .unchecked_into();
    assert_eq!(chip.get_attribute("tabindex").as_deref(), Some("0"));
    assert_eq!(chip.get_attribute("role").as_deref(), Some("button"));
    // A real click bubbles: the chips share one listener on their layer.
    let bubbles = web_sys::EventInit::new();
    bubbles.set_bubbles(true);
    chip.dispatch_event(
        &web_sys::Event::new_with_event_init_dict("click", &bubbles).expect("event"),
    )
    .expect("click");
    yew::scheduler::flush().await;
    assert_eq!(
        selected.borrow().clone(),
        Some(ObjectRef {
            kind: ObjectKind::Pod,
            namespace: "default".to_owned(),
            name: "web-b".to_owned()
        })
    );
}

/// More than 24 pods on a node: compact chips, each a single `<path>` (its status glyph a
/// shared marker, no text, no `<title>`), still labelled, focusable and selectable by key.
#[wasm_bindgen_test]
async fn compact_chips_are_single_labelled_elements() {
    let host = fresh_host("compact-graph-host");
    let selected = Rc::new(std::cell::RefCell::new(None::<ObjectRef>));
    let pods: Vec<PodView> = (0..30)
        .map(|i| {
            let status = if i == 7 {
                "CrashLoopBackOff"
            } else {
                "Running"
            };
            pod(&format!("web-{i:02}"), Some("node01"), status)
        })
        .collect();
    let props = GraphProps {
        lang: Lang::En,
        view: Rc::new(view(&pods)),
        known: true,
        namespace: None,
        selected: None,
        on_select: {
            let selected = Rc::clone(&selected);
            Callback::from(move |target| *selected.borrow_mut() = Some(target))
        },
    };
    yew::Renderer::<ClusterGraph>::with_root_and_props(host.clone(), props).render();
    yew::scheduler::flush().await;

    assert_eq!(chips(&host).len(), 30);
    let chip: web_sys::HtmlElement = host
        .query_selector(".tp-chip[data-pod='web-07']")
        .expect("query")
        .expect("chip")
        .unchecked_into();
    assert_eq!(chip.tag_name(), "path");
    assert_eq!(chip.child_element_count(), 0, "one element per chip");
    let class = chip.get_attribute("class").unwrap_or_default();
    assert!(
        class.contains("tp-chip-shape") && class.contains("tp-st-crash"),
        "{class}"
    );
    assert!(
        chip.get_attribute("aria-label")
            .unwrap_or_default()
            .contains("STATUS CrashLoopBackOff")
    );
    assert_eq!(chip.get_attribute("tabindex").as_deref(), Some("0"));
    assert_eq!(chip.get_attribute("role").as_deref(), Some("button"));
    // The glyph each status class picks (app.css `marker-start`) is defined once.
    for id in ["tp-glyph-running", "tp-glyph-crash", "tp-glyph-pending"] {
        assert!(
            host.query_selector(&format!("marker#{id} path"))
                .expect("query")
                .is_some(),
            "{id}"
        );
    }
    assert_eq!(
        host.query_selector_all(".tp-g-chips title")
            .expect("query")
            .length(),
        0,
        "no title per chip"
    );
    // Pointing at a chip shows its label in the one shared tooltip.
    let bubbles = web_sys::EventInit::new();
    bubbles.set_bubbles(true);
    chip.dispatch_event(
        &web_sys::Event::new_with_event_init_dict("mouseover", &bubbles).expect("event"),
    )
    .expect("hover");
    let tooltip = host
        .query_selector(".tp-g-chip-area > title")
        .expect("query")
        .expect("the shared title");
    assert_eq!(tooltip.text_content(), chip.get_attribute("aria-label"));
    // Enter on the focused chip selects its pod.
    chip.focus().expect("focus");
    let key = web_sys::KeyboardEventInit::new();
    key.set_bubbles(true);
    key.set_key("Enter");
    chip.dispatch_event(
        &web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &key).expect("event"),
    )
    .expect("Enter");
    yew::scheduler::flush().await;
    assert_eq!(
        selected.borrow().as_ref().map(|s| s.name.clone()),
        Some("web-07".to_owned())
    );
}

#[wasm_bindgen_test]
async fn the_inspector_renders_markup_as_text() {
    let host = fresh_host("inspector-host");
    let hostile = "<img src=x onerror=alert(1)>\nkind: Pod\n";
    let props = InspectorProps {
        lang: Lang::Ko,
        inspector: Inspector {
            target: ObjectRef {
                kind: ObjectKind::Pod,
                namespace: "default".to_owned(),
                name: "<b>web</b>".to_owned(),
            },
            tab: InspectView::Yaml,
            text: Some((hostile.to_owned(), true)),
            confirm_delete: true,
            deleted: None,
        },
        on_tab: Callback::noop(),
        on_close: Callback::noop(),
        on_ask_delete: Callback::noop(),
        on_cancel_delete: Callback::noop(),
        on_delete: Callback::noop(),
        on_edit: Callback::noop(),
        editing: false,
    };
    yew::Renderer::<InspectorPanel>::with_root_and_props(host.clone(), props).render();
    yew::scheduler::flush().await;
    let pre = host
        .query_selector("#inspector-text")
        .expect("query")
        .expect("the text");
    assert_eq!(pre.text_content().as_deref(), Some(hostile));
    assert!(
        host.query_selector("img").expect("query").is_none(),
        "no markup parsed"
    );
    assert!(
        host.query_selector("b").expect("query").is_none(),
        "no markup parsed"
    );
    let text = host.text_content().unwrap_or_default();
    assert!(
        text.contains("로그"),
        "pods have a Logs tab, in Korean: {text}"
    );
    assert!(
        text.contains("삭제할까요"),
        "the delete confirmation: {text}"
    );
}

#[wasm_bindgen_test]
async fn the_timeline_lists_newest_first_and_filters_warnings() {
    let host = fresh_host("events-host");
    let mut view = ClusterView::default();
    for (name, kind, at) in [
        ("a", "Normal", 1_000),
        ("b", "Warning", 3_000),
        ("c", "Normal", 2_000),
    ] {
        view.events.insert(
            format!("default/{name}"),
            EventView {
                namespace: "default".to_owned(),
                name: name.to_owned(),
                event_type: kind.to_owned(),
                reason: format!("Reason{name}"),
                object: "Pod/web".to_owned(),
                message: format!("message {name}"),
                count: 1,
                last_seen_ms: at,
            },
        );
    }
    let props = EventsProps {
        lang: Lang::En,
        view: Rc::new(view.clone()),
        namespace: None,
        filter: EventTypeFilter::All,
        on_filter: Callback::noop(),
    };
    yew::Renderer::<EventsTimeline>::with_root_and_props(host.clone(), props).render();
    yew::scheduler::flush().await;
    let reasons = |host: &web_sys::Element| {
        let list = host.query_selector_all(".tp-event-reason").expect("query");
        (0..list.length())
            .filter_map(|i| list.item(i).and_then(|n| n.text_content()))
            .collect::<Vec<_>>()
    };
    assert_eq!(reasons(&host), ["Reasonb", "Reasonc", "Reasona"]);

    let warnings = fresh_host("events-warnings");
    let props = EventsProps {
        lang: Lang::En,
        view: Rc::new(view),
        namespace: None,
        filter: EventTypeFilter::Warning,
        on_filter: Callback::noop(),
    };
    yew::Renderer::<EventsTimeline>::with_root_and_props(warnings.clone(), props).render();
    yew::scheduler::flush().await;
    assert_eq!(reasons(&warnings), ["Reasonb"]);
}

/// Resolves after `ms` milliseconds of real time.
async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[wasm_bindgen_test]
async fn a_long_timeline_draws_its_first_rows_then_the_rest_after_a_frame() {
    let host = fresh_host("events-long");
    let mut view = ClusterView::default();
    for i in 0..45_u64 {
        view.events.insert(
            format!("default/e{i:02}"),
            EventView {
                namespace: "default".to_owned(),
                name: format!("e{i:02}"),
                event_type: "Normal".to_owned(),
                reason: format!("Reason{i:02}"),
                object: "Pod/web".to_owned(),
                message: "m".to_owned(),
                count: 1,
                last_seen_ms: 1_000 + i,
            },
        );
    }
    let props = EventsProps {
        lang: Lang::En,
        view: Rc::new(view),
        namespace: None,
        filter: EventTypeFilter::All,
        on_filter: Callback::noop(),
    };
    yew::Renderer::<EventsTimeline>::with_root_and_props(host.clone(), props).render();
    yew::scheduler::flush().await;
    let rows = |host: &web_sys::Element| {
        host.query_selector_all(".tp-event")
            .expect("query")
            .length()
    };
    assert_eq!(rows(&host), 30, "the first rows only");
    let newest = host
        .query_selector(".tp-event-reason")
        .ok()
        .flatten()
        .and_then(|n| n.text_content());
    assert_eq!(newest.as_deref(), Some("Reason44"), "newest first");
    for _ in 0..50 {
        sleep_ms(20).await;
        yew::scheduler::flush().await;
        if rows(&host) == 45 {
            break;
        }
    }
    assert_eq!(rows(&host), 45, "then every row");
}
