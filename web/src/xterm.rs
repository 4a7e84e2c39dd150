//! Bindings to xterm.js and its fit addon, loaded from npm by Trunk (`web/index.html`) as
//! plain scripts that define the globals `Terminal` and `FitAddon`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// xterm.js's `Terminal`.
    #[wasm_bindgen(js_name = Terminal)]
    pub type XTerm;

    #[wasm_bindgen(constructor, js_class = "Terminal")]
    pub fn new(options: &JsValue) -> XTerm;

    #[wasm_bindgen(method)]
    pub fn open(this: &XTerm, parent: &web_sys::HtmlElement);

    #[wasm_bindgen(method)]
    pub fn write(this: &XTerm, data: &str);

    #[wasm_bindgen(method)]
    pub fn clear(this: &XTerm);

    #[wasm_bindgen(method)]
    pub fn focus(this: &XTerm);

    /// Width in character columns.
    #[wasm_bindgen(method, getter)]
    pub fn cols(this: &XTerm) -> u32;

    #[wasm_bindgen(method)]
    pub fn dispose(this: &XTerm);

    /// Registers the keystroke/paste handler; returns a disposable.
    #[wasm_bindgen(method, js_name = onData)]
    pub fn on_data(this: &XTerm, callback: &Closure<dyn FnMut(String)>) -> JsValue;

    #[wasm_bindgen(method, js_name = loadAddon)]
    pub fn load_addon(this: &XTerm, addon: &FitAddon);
}

#[wasm_bindgen]
extern "C" {
    /// An instance of `FitAddon.FitAddon` from `@xterm/addon-fit` (see [`new_fit_addon`]).
    pub type FitAddon;

    #[wasm_bindgen(method)]
    pub fn fit(this: &FitAddon);
}

/// Writes `data` and parses it now, so that xterm.js draws it in its next animation frame.
/// `write` parses on a later task (unless it directly follows a key press), which is after
/// the frame the browser renders next when called from a keydown. xterm.js 5.5 has no public
/// synchronous write: this calls its write buffer's `writeSync` (the core's `writeSync`
/// without its deprecation warning), which first parses anything still queued, in order.
/// Falls back to `write` if a later xterm.js lacks it.
pub fn write_now(term: &XTerm, data: &str) {
    use wasm_bindgen::JsCast;
    let write_sync = js_sys::Reflect::get(term, &"_core".into())
        .and_then(|core| js_sys::Reflect::get(&core, &"_writeBuffer".into()))
        .ok()
        .filter(JsValue::is_object)
        .and_then(|buffer| {
            let function = js_sys::Reflect::get(&buffer, &"writeSync".into()).ok()?;
            Some((buffer, function.dyn_into::<js_sys::Function>().ok()?))
        });
    if let Some((buffer, write_sync)) = write_sync
        && write_sync.call1(&buffer, &data.into()).is_ok()
    {
        return;
    }
    term.write(data);
}

/// `new FitAddon.FitAddon()`; the UMD bundle nests the class in a namespace object.
pub fn new_fit_addon() -> Option<FitAddon> {
    use wasm_bindgen::JsCast;
    let namespace = js_sys::Reflect::get(&js_sys::global(), &"FitAddon".into()).ok()?;
    let class: js_sys::Function = js_sys::Reflect::get(&namespace, &"FitAddon".into())
        .ok()?
        .dyn_into()
        .ok()?;
    js_sys::Reflect::construct(&class, &js_sys::Array::new())
        .ok()
        .map(JsCast::unchecked_into)
}

/// Whether the xterm.js scripts are loaded (they are not in unit-test pages).
pub fn available() -> bool {
    let global = js_sys::global();
    ["Terminal", "FitAddon"]
        .iter()
        .all(|name| js_sys::Reflect::has(&global, &(*name).into()).unwrap_or(false))
}

/// Terminal options: our theme and font.
pub fn options() -> JsValue {
    let options = js_sys::Object::new();
    let theme = js_sys::Object::new();
    let set = |target: &js_sys::Object, key: &str, value: JsValue| {
        let _ = js_sys::Reflect::set(target, &key.into(), &value);
    };
    set(&theme, "background", "#0b1118".into());
    set(&theme, "foreground", "#e6edf3".into());
    set(&theme, "cursor", "#38bdf8".into());
    set(&options, "theme", theme.into());
    set(&options, "cursorBlink", true.into());
    set(&options, "fontSize", 14.into());
    set(
        &options,
        "fontFamily",
        "ui-monospace, 'DejaVu Sans Mono', 'Noto Sans Mono', monospace".into(),
    );
    set(&options, "scrollback", 5_000.into());
    options.into()
}
