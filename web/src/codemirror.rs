//! Bindings to the editor pane's CodeMirror 6 bundle (`web/js/editor.js`, bundled by esbuild
//! in Trunk's pre-build hook into one classic script that defines the global
//! `TidepoolEditor`, the way xterm.js defines `Terminal`).

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// One CodeMirror editor, as `TidepoolEditor.create` returns it.
    pub type CodeMirror;

    #[wasm_bindgen(js_namespace = TidepoolEditor, js_name = create)]
    fn create_editor(parent: &web_sys::HtmlElement, options: &JsValue) -> CodeMirror;

    /// The whole document.
    #[wasm_bindgen(method)]
    pub fn text(this: &CodeMirror) -> String;

    #[wasm_bindgen(method)]
    pub fn focus(this: &CodeMirror);

    #[wasm_bindgen(method, js_name = setDark)]
    pub fn set_dark(this: &CodeMirror, dark: bool);

    /// `[{line, message}]`, lines 1-based.
    #[wasm_bindgen(method, js_name = setDiagnostics)]
    fn set_diagnostics_js(this: &CodeMirror, diagnostics: &JsValue);

    #[wasm_bindgen(method)]
    pub fn destroy(this: &CodeMirror);
}

/// The callbacks an editor calls; they must outlive it.
pub struct EditorCallbacks {
    /// Typing paused.
    pub on_change: Closure<dyn FnMut()>,
    /// Ctrl-S / Cmd-S.
    pub on_save: Closure<dyn FnMut()>,
    /// Esc.
    pub on_escape: Closure<dyn FnMut()>,
}

/// Whether the bundle is loaded (it is not in unit-test pages).
pub fn available() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &"TidepoolEditor".into()).unwrap_or(false)
}

/// Creates an editor holding `doc` inside `parent`.
pub fn create(
    parent: &web_sys::HtmlElement,
    doc: &str,
    dark: bool,
    label: &str,
    callbacks: &EditorCallbacks,
) -> CodeMirror {
    let options = js_sys::Object::new();
    let set = |key: &str, value: &JsValue| {
        let _ = js_sys::Reflect::set(&options, &key.into(), value);
    };
    set("doc", &doc.into());
    set("dark", &dark.into());
    set("label", &label.into());
    set("onChange", callbacks.on_change.as_ref());
    set("onSave", callbacks.on_save.as_ref());
    set("onEscape", callbacks.on_escape.as_ref());
    create_editor(parent, &options)
}

impl CodeMirror {
    /// Marks these lines (1-based) with these messages.
    pub fn set_diagnostics(&self, diagnostics: &[(u32, String)]) {
        let list = js_sys::Array::new();
        for (line, message) in diagnostics {
            let item = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&item, &"line".into(), &(*line).into());
            let _ = js_sys::Reflect::set(&item, &"message".into(), &message.into());
            list.push(&item);
        }
        self.set_diagnostics_js(&list);
    }
}
