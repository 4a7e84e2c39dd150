//! The editor pane in headless Chromium. The test page has no CodeMirror bundle, so the pane
//! uses its plain text area: the header, the vim command line and the requests it sends are
//! the same either way.
#![cfg(all(target_arch = "wasm32", not(target_os = "wasi")))]

use std::cell::RefCell;
use std::rc::Rc;
use tidepool_web::components::editor_pane::{EditorPane, EditorPaneProps, EditorRequest};
use tidepool_web::editor_state::{self, EditorAction, EditorMessage};
use tidepool_web::i18n::Lang;
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

fn find<T: JsCast>(host: &web_sys::Element, selector: &str) -> T {
    host.query_selector(selector)
        .expect("query")
        .unwrap_or_else(|| panic!("missing {selector}"))
        .dyn_into()
        .unwrap_or_else(|_| panic!("{selector} has another type"))
}

fn press(target: &web_sys::HtmlElement, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("event");
    target.dispatch_event(&event).expect("dispatch");
}

fn command(host: &web_sys::Element, text: &str) {
    let input: web_sys::HtmlInputElement = find(host, "#editor-command");
    input.set_value(text);
    press(&input, "Enter");
}

#[wasm_bindgen_test]
async fn the_pane_shows_the_file_and_answers_vim_commands() {
    let host = fresh_host("editor-host");
    let mut editor = None;
    editor_state::apply(
        &mut editor,
        EditorAction::Opened {
            path: "web.yaml".to_owned(),
            text: "kind: Pod\n".to_owned(),
            new_file: false,
            error: Some("pods \"web\" was not valid:\n* spec: Required value".to_owned()),
            draft: None,
        },
        1,
    );
    let requests = Rc::new(RefCell::new(Vec::new()));
    let props = EditorPaneProps {
        lang: Lang::En,
        editor: editor.expect("opened"),
        dark: true,
        on_request: {
            let requests = requests.clone();
            Callback::from(move |request| requests.borrow_mut().push(request))
        },
    };
    yew::Renderer::<EditorPane>::with_root_and_props(host.clone(), props).render();
    yew::scheduler::flush().await;

    let title: web_sys::Element = find(&host, ".tp-editor-path");
    assert_eq!(title.text_content().as_deref(), Some("web.yaml"));
    let error: web_sys::Element = find(&host, ".tp-editor-edit-error pre");
    assert!(
        error
            .text_content()
            .unwrap_or_default()
            .contains("spec: Required value")
    );
    let area: web_sys::HtmlTextAreaElement = find(&host, "textarea.tp-editor-plain");
    assert_eq!(area.value(), "kind: Pod\n");
    // On open the pane validates the text it shows, unmodified.
    assert_eq!(
        requests.borrow().first(),
        Some(&EditorRequest::Validate {
            text: "kind: Pod\n".to_owned(),
            revision: 1,
            modified: false,
        })
    );

    // An unsaved change: `:q` refuses, `:wq` writes (with vim's final newline) and closes.
    area.set_value("kind: Pod\nmetadata: {}");
    command(&host, ":q");
    command(&host, ":wq");
    command(&host, ":nonsense");
    let requests = requests.borrow();
    assert_eq!(
        &requests[1..],
        &[
            EditorRequest::Message(EditorMessage::Error(
                "E37: No write since last change (add ! to override)".to_owned()
            )),
            EditorRequest::Save {
                text: "kind: Pod\nmetadata: {}\n".to_owned(),
                close: true
            },
            EditorRequest::Message(EditorMessage::Error(
                "E492: Not an editor command: nonsense".to_owned()
            )),
        ]
    );
}

#[wasm_bindgen_test]
async fn escape_closes_an_unchanged_file_and_asks_about_a_changed_one() {
    let host = fresh_host("editor-host-escape");
    let mut editor = None;
    editor_state::apply(
        &mut editor,
        EditorAction::Opened {
            path: "a.txt".to_owned(),
            text: "hello\n".to_owned(),
            new_file: false,
            error: None,
            draft: None,
        },
        1,
    );
    let requests = Rc::new(RefCell::new(Vec::new()));
    let props = EditorPaneProps {
        lang: Lang::Ko,
        editor: editor.expect("opened"),
        dark: false,
        on_request: {
            let requests = requests.clone();
            Callback::from(move |request| requests.borrow_mut().push(request))
        },
    };
    yew::Renderer::<EditorPane>::with_root_and_props(host.clone(), props).render();
    yew::scheduler::flush().await;

    let area: web_sys::HtmlTextAreaElement = find(&host, "textarea.tp-editor-plain");
    press(&area, "Escape");
    area.set_value("hello, world\n");
    press(&area, "Escape");
    let requests = requests.borrow();
    assert_eq!(
        &requests[1..],
        &[EditorRequest::Discard, EditorRequest::AskDiscard]
    );
    // Korean labels.
    let save: web_sys::Element = find(&host, ".tp-editor-save");
    assert_eq!(
        save.text_content().as_deref(),
        Some("저장하고 닫기 (Ctrl-S)")
    );
}
