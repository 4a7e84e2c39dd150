//! The terminal tab strip in headless Chromium: WAI-ARIA roles and states, arrow keys,
//! Delete, the Alt+digit shortcut, the "+ node shell" menu and the sidebar's instances.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use std::cell::RefCell;
use std::rc::Rc;
use tidepool_web::components::terminal_tabs::{
    Instances, InstancesProps, TabLabel, TerminalTabs, TerminalTabsProps,
};
use tidepool_web::i18n::Lang;
use tidepool_worker::protocol::TerminalId;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_host(id: &str) -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let host = document.create_element("div").unwrap();
    host.set_id(id);
    document.body().unwrap().append_child(&host).unwrap();
    host
}

fn find(host: &web_sys::Element, selector: &str) -> web_sys::HtmlElement {
    host.query_selector(selector)
        .expect("query")
        .unwrap_or_else(|| panic!("missing {selector}"))
        .dyn_into()
        .unwrap_or_else(|_| panic!("{selector} has another type"))
}

fn key_event(key: &str, code: &str, alt: bool) -> web_sys::KeyboardEvent {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_code(code);
    init.set_alt_key(alt);
    init.set_bubbles(true);
    init.set_cancelable(true);
    web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("event")
}

fn tabs() -> Vec<TabLabel> {
    [(0, "controlplane"), (1, "node01"), (2, "controlplane (2)")]
        .into_iter()
        .map(|(id, label)| TabLabel {
            id: TerminalId(id),
            label: label.to_owned(),
        })
        .collect()
}

type Log<T> = Rc<RefCell<Vec<T>>>;

fn recorder<T: 'static>() -> (Log<T>, Callback<T>) {
    let log: Log<T> = Rc::default();
    let sink = log.clone();
    (log, Callback::from(move |v| sink.borrow_mut().push(v)))
}

#[wasm_bindgen_test]
async fn the_strip_is_an_aria_tablist_driven_by_keys_and_shortcuts() {
    let host = fresh_host("tabs-host");
    let (selected, on_select) = recorder::<(TerminalId, bool)>();
    let (closed, on_close) = recorder::<TerminalId>();
    let (opened, on_open) = recorder::<String>();
    let props = TerminalTabsProps {
        lang: Lang::En,
        tabs: tabs(),
        active: TerminalId(1),
        hosts: vec![
            "controlplane".to_owned(),
            "node01".to_owned(),
            "node02".to_owned(),
        ],
        on_select,
        on_close,
        on_open,
    };
    yew::Renderer::<TerminalTabs>::with_root_and_props(host.clone(), props).render();
    yew::scheduler::flush().await;

    let list = find(&host, "[role=tablist]");
    assert_eq!(
        list.get_attribute("aria-label").as_deref(),
        Some("Terminals")
    );
    let all = host.query_selector_all("[role=tab]").unwrap();
    assert_eq!(all.length(), 3);
    let active = find(&host, "#term-tab-1");
    assert_eq!(
        active.get_attribute("aria-selected").as_deref(),
        Some("true")
    );
    assert_eq!(active.get_attribute("tabindex").as_deref(), Some("0"));
    assert_eq!(
        active.get_attribute("aria-controls").as_deref(),
        Some("term-panel-1")
    );
    assert_eq!(
        active.get_attribute("aria-keyshortcuts").as_deref(),
        Some("Alt+2")
    );
    let other = find(&host, "#term-tab-0");
    assert_eq!(
        other.get_attribute("aria-selected").as_deref(),
        Some("false")
    );
    assert_eq!(other.get_attribute("tabindex").as_deref(), Some("-1"));
    // The accessible name is the host (the close mark is hidden from it).
    assert_eq!(
        find(&host, "#term-tab-2 .tp-tab-label")
            .text_content()
            .as_deref(),
        Some("controlplane (2)")
    );
    assert!(
        host.query_selector("#term-tab-2 .tp-tab-close[aria-hidden=true]")
            .unwrap()
            .is_some()
    );

    // Arrow keys select the neighbours (wrapping) without taking the focus off the strip.
    active
        .dispatch_event(&key_event("ArrowRight", "ArrowRight", false))
        .unwrap();
    active
        .dispatch_event(&key_event("ArrowLeft", "ArrowLeft", false))
        .unwrap();
    active
        .dispatch_event(&key_event("End", "End", false))
        .unwrap();
    active
        .dispatch_event(&key_event("Home", "Home", false))
        .unwrap();
    assert_eq!(
        *selected.borrow(),
        vec![
            (TerminalId(2), false),
            (TerminalId(0), false),
            (TerminalId(2), false),
            (TerminalId(0), false)
        ]
    );
    // Delete closes the focused (active) tab.
    active
        .dispatch_event(&key_event("Delete", "Delete", false))
        .unwrap();
    assert_eq!(*closed.borrow(), vec![TerminalId(1)]);
    // The close mark closes its own tab and does not select it.
    find(&host, "#term-tab-2 .tp-tab-close").click();
    assert_eq!(*closed.borrow(), vec![TerminalId(1), TerminalId(2)]);
    assert_eq!(selected.borrow().len(), 4);
    // A click selects and hands the keyboard to the terminal.
    other.click();
    assert_eq!(selected.borrow().last(), Some(&(TerminalId(0), true)));

    // Alt+3 from anywhere on the page switches to the third tab; Alt+7 has no tab.
    let body = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .body()
        .unwrap();
    let shortcut = key_event("3", "Digit3", true);
    body.dispatch_event(&shortcut).unwrap();
    assert!(shortcut.default_prevented());
    assert_eq!(selected.borrow().last(), Some(&(TerminalId(2), true)));
    let none = key_event("7", "Digit7", true);
    body.dispatch_event(&none).unwrap();
    assert!(!none.default_prevented());
    assert_eq!(selected.borrow().len(), 6);

    // "+ node shell" opens a menu of the cluster's hosts; choosing one asks for a terminal.
    let new = find(&host, "#term-new");
    assert_eq!(new.get_attribute("aria-expanded").as_deref(), Some("false"));
    new.click();
    yew::scheduler::flush().await;
    assert_eq!(new.get_attribute("aria-expanded").as_deref(), Some("true"));
    let items = host.query_selector_all("[role=menuitem]").unwrap();
    assert_eq!(items.length(), 3);
    assert_eq!(
        find(&host, "[data-host=controlplane]")
            .text_content()
            .as_deref(),
        Some("controlplane (another terminal)")
    );
    find(&host, "[data-host=node02]").click();
    yew::scheduler::flush().await;
    assert_eq!(*opened.borrow(), vec!["node02".to_owned()]);
    assert!(host.query_selector("[role=menu]").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn instances_list_every_terminal_with_close_buttons_but_not_for_the_last() {
    let host = fresh_host("instances-host");
    let (selected, on_select) = recorder::<(TerminalId, bool)>();
    let (closed, on_close) = recorder::<TerminalId>();
    let props = InstancesProps {
        lang: Lang::Ko,
        tabs: tabs(),
        active: TerminalId(0),
        on_select,
        on_close,
    };
    yew::Renderer::<Instances>::with_root_and_props(host.clone(), props).render();
    yew::scheduler::flush().await;
    let current = find(&host, "[aria-current=true]");
    assert_eq!(current.text_content().as_deref(), Some("controlplane"));
    let closes = host.query_selector_all(".tp-instance-close").unwrap();
    assert_eq!(closes.length(), 3);
    let close_node: web_sys::HtmlElement = closes.item(1).unwrap().dyn_into().unwrap();
    assert_eq!(
        close_node.get_attribute("aria-label").as_deref(),
        Some("닫기 node01")
    );
    close_node.click();
    find(&host, ".tp-instance:nth-child(3) .tp-instance-select").click();
    assert_eq!(*closed.borrow(), vec![TerminalId(1)]);
    assert_eq!(*selected.borrow(), vec![(TerminalId(2), true)]);

    let single = fresh_host("instances-single");
    let props = InstancesProps {
        lang: Lang::En,
        tabs: tabs()[..1].to_vec(),
        active: TerminalId(0),
        on_select: Callback::noop(),
        on_close: Callback::noop(),
    };
    yew::Renderer::<Instances>::with_root_and_props(single.clone(), props).render();
    yew::scheduler::flush().await;
    assert!(
        single
            .query_selector(".tp-instance-close")
            .unwrap()
            .is_none()
    );
}
