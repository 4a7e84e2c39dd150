//! The inspector's Edit button and the resizable panes in headless Chromium: Edit asks for
//! `kubectl edit` (and waits while the editor is open); the splitters move with the keyboard,
//! follow a pointer drag, resize the panes under the real stylesheet and keep their sizes for the next visit.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use std::cell::Cell;
use std::rc::Rc;
use tidepool_web::components::inspector::{InspectorPanel, InspectorProps};
use tidepool_web::components::shell::{GRAPH_SPLIT, Shell, ShellProps, TERMINAL_SPLIT};
use tidepool_web::i18n::Lang;
use tidepool_web::playground_state::Inspector;
use tidepool_web::state::AppState;
use tidepool_worker::protocol::{InspectView, ObjectKind, ObjectRef};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window()
        .expect("window")
        .document()
        .expect("document")
}

fn fresh_host(id: &str) -> web_sys::Element {
    let host = document().create_element("div").expect("div");
    host.set_id(id);
    document()
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    host
}

fn html_element(host: &web_sys::Element, selector: &str) -> web_sys::HtmlElement {
    host.query_selector(selector)
        .expect("query")
        .unwrap_or_else(|| panic!("no {selector}"))
        .dyn_into()
        .unwrap_or_else(|_| panic!("{selector} has another type"))
}

fn key(target: &web_sys::Element, key: &str, shift: bool) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_shift_key(shift);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("event");
    target.dispatch_event(&event).expect("dispatch");
}

/// A pointer event at `client_x` (built through JS: web-sys's PointerEventInit is not enabled).
fn pointer(target: &web_sys::Element, kind: &str, client_x: f64) {
    use js_sys::Reflect;
    let init = js_sys::Object::new();
    for (name, value) in [
        ("clientX", wasm_bindgen::JsValue::from_f64(client_x)),
        ("pointerId", 1.into()),
        ("bubbles", true.into()),
    ] {
        Reflect::set(&init, &name.into(), &value).expect("set");
    }
    let constructor: js_sys::Function =
        Reflect::get(&web_sys::window().expect("window"), &"PointerEvent".into())
            .expect("PointerEvent")
            .dyn_into()
            .expect("a constructor");
    let event = Reflect::construct(&constructor, &js_sys::Array::of2(&kind.into(), &init))
        .expect("construct");
    target
        .dispatch_event(event.unchecked_ref())
        .expect("dispatch");
}

fn inspector_props(on_edit: Callback<()>, editing: bool) -> InspectorProps {
    InspectorProps {
        lang: Lang::Ko,
        inspector: Inspector {
            target: ObjectRef {
                kind: ObjectKind::Deployment,
                namespace: "shop".to_owned(),
                name: "web".to_owned(),
            },
            tab: InspectView::Yaml,
            text: Some(("kind: Deployment\n".to_owned(), true)),
            confirm_delete: false,
            deleted: None,
        },
        on_tab: Callback::noop(),
        on_close: Callback::noop(),
        on_ask_delete: Callback::noop(),
        on_cancel_delete: Callback::noop(),
        on_delete: Callback::noop(),
        on_edit,
        editing,
    }
}

#[wasm_bindgen_test]
async fn the_inspector_edit_button_asks_for_kubectl_edit_and_waits_for_an_open_editor() {
    let host = fresh_host("edit-host");
    let clicks = Rc::new(Cell::new(0));
    let on_edit = {
        let clicks = clicks.clone();
        Callback::from(move |()| clicks.set(clicks.get() + 1))
    };
    yew::Renderer::<InspectorPanel>::with_root_and_props(
        host.clone(),
        inspector_props(on_edit.clone(), false),
    )
    .render();
    yew::scheduler::flush().await;
    // A real <button>: focusable, and Enter/Space press it.
    let button = html_element(&host, "#inspector-edit");
    assert_eq!(button.tag_name(), "BUTTON");
    assert_eq!(button.text_content().as_deref(), Some("편집"));
    assert!(!button.has_attribute("disabled"));
    button.focus().expect("focus");
    assert_eq!(
        document().active_element().map(|e| e.id()).as_deref(),
        Some("inspector-edit")
    );
    button.click();
    yew::scheduler::flush().await;
    assert_eq!(clicks.get(), 1);

    let busy = fresh_host("edit-busy-host");
    yew::Renderer::<InspectorPanel>::with_root_and_props(
        busy.clone(),
        inspector_props(on_edit, true),
    )
    .render();
    yew::scheduler::flush().await;
    let button = html_element(&busy, "#inspector-edit");
    assert!(
        button.has_attribute("disabled"),
        "the editor pane is open already"
    );
    button.click();
    yew::scheduler::flush().await;
    assert_eq!(clicks.get(), 1);
}

fn shell_props() -> ShellProps {
    ShellProps {
        state: AppState::default(),
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
    }
}

fn value_now(splitter: &web_sys::Element) -> String {
    splitter.get_attribute("aria-valuenow").unwrap_or_default()
}

#[wasm_bindgen_test]
async fn the_splitters_move_with_the_keyboard_resize_the_panes_and_are_kept() {
    let storage = web_sys::window()
        .expect("window")
        .local_storage()
        .expect("storage")
        .expect("storage");
    storage.remove_item(TERMINAL_SPLIT.0).expect("remove");
    storage.remove_item(GRAPH_SPLIT.0).expect("remove");
    // The real stylesheet, so the sizes show in the layout.
    let style = document().create_element("style").expect("style");
    style.set_text_content(Some(include_str!("../../static/css/app.css")));
    document()
        .head()
        .expect("head")
        .append_child(&style)
        .expect("append");

    // The terminal refits on window resizes: count them.
    let resizes = Rc::new(Cell::new(0));
    let on_resize = {
        let resizes = resizes.clone();
        wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || resizes.set(resizes.get() + 1))
    };
    web_sys::window()
        .expect("window")
        .add_event_listener_with_callback("resize", on_resize.as_ref().unchecked_ref())
        .expect("listen");
    on_resize.forget();

    let host = fresh_host("panes-host");
    yew::Renderer::<Shell>::with_root_and_props(host.clone(), shell_props()).render();
    yew::scheduler::flush().await;

    let splitter = html_element(&host, "#terminal-splitter");
    assert_eq!(splitter.get_attribute("role").as_deref(), Some("separator"));
    assert_eq!(
        splitter.get_attribute("aria-orientation").as_deref(),
        Some("vertical")
    );
    assert_eq!(splitter.tab_index(), 0);
    assert_eq!(value_now(&splitter), TERMINAL_SPLIT.1.to_string());
    let terminal = html_element(&host, "#terminal-pane");
    let graph = html_element(&host, "#graph-pane");
    let (terminal_before, graph_before) = (terminal.offset_width(), graph.offset_width());

    let resizes_before = resizes.get();
    key(&splitter, "ArrowRight", false);
    yew::scheduler::flush().await;
    assert_eq!(value_now(&splitter), (TERMINAL_SPLIT.1 + 2).to_string());
    assert_eq!(
        resizes.get(),
        resizes_before + 1,
        "a resize for the terminal to refit"
    );
    key(&splitter, "ArrowRight", true);
    yew::scheduler::flush().await;
    assert_eq!(value_now(&splitter), (TERMINAL_SPLIT.1 + 12).to_string());
    key(&splitter, "End", false);
    yew::scheduler::flush().await;
    assert_eq!(value_now(&splitter), TERMINAL_SPLIT.3.to_string());
    assert!(
        terminal.offset_width() > terminal_before && graph.offset_width() < graph_before,
        "terminal {terminal_before} -> {}, graph {graph_before} -> {}",
        terminal.offset_width(),
        graph.offset_width()
    );
    key(&splitter, "Home", false);
    key(&splitter, "ArrowLeft", false);
    yew::scheduler::flush().await;
    assert_eq!(value_now(&splitter), TERMINAL_SPLIT.2.to_string());
    assert!(terminal.offset_width() < terminal_before);
    // A pointer drag to 30% of the way from the terminal's left edge to the graph's right.
    let (left, right) = (
        terminal.get_bounding_client_rect().left(),
        graph.get_bounding_client_rect().right(),
    );
    pointer(&splitter, "pointerdown", left + (right - left) * 0.5);
    pointer(&splitter, "pointermove", left + (right - left) * 0.3);
    pointer(&splitter, "pointerup", left + (right - left) * 0.3);
    yew::scheduler::flush().await;
    assert_eq!(value_now(&splitter), "30");
    // After the pointer is up, moving it changes nothing.
    pointer(&splitter, "pointermove", left + (right - left) * 0.6);
    yew::scheduler::flush().await;
    assert_eq!(value_now(&splitter), "30");

    let events_splitter = html_element(&host, "#events-splitter");
    assert_eq!(
        events_splitter.get_attribute("aria-orientation").as_deref(),
        Some("horizontal")
    );
    let events = html_element(&host, ".tp-events");
    let events_before = events.offset_height();
    key(&events_splitter, "ArrowUp", true);
    yew::scheduler::flush().await;
    assert_eq!(
        value_now(&events_splitter),
        (GRAPH_SPLIT.1 - 10).to_string()
    );
    assert!(
        events.offset_height() > events_before,
        "events {events_before} -> {}",
        events.offset_height()
    );

    // Kept for the next visit: a fresh shell starts with the moved sizes.
    assert_eq!(
        storage.get_item(TERMINAL_SPLIT.0).expect("get").as_deref(),
        Some("30")
    );
    host.set_inner_html("");
    let again = fresh_host("panes-again");
    yew::Renderer::<Shell>::with_root_and_props(again.clone(), shell_props()).render();
    yew::scheduler::flush().await;
    assert_eq!(value_now(&html_element(&again, "#terminal-splitter")), "30");
    assert_eq!(
        value_now(&html_element(&again, "#events-splitter")),
        (GRAPH_SPLIT.1 - 10).to_string()
    );
}
