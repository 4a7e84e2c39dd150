//! Sidebar controls for the playground: namespace filter, theme, reset (asks first), export
//! and import of a session file.

use crate::i18n::{Key, Lang, text};
use crate::playground_state::Theme;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct SessionControlsProps {
    pub lang: Lang,
    pub theme: Theme,
    pub namespaces: Vec<String>,
    pub namespace: Option<String>,
    pub confirm_reset: bool,
    pub on_namespace: Callback<Option<String>>,
    pub on_toggle_theme: Callback<()>,
    pub on_ask_reset: Callback<()>,
    pub on_cancel_reset: Callback<()>,
    pub on_reset: Callback<()>,
    pub on_export: Callback<()>,
    /// The learner picked a file to import.
    pub on_import: Callback<web_sys::File>,
}

/// The value the namespace select uses for "all namespaces" (no namespace has an empty name).
const ALL: &str = "";

#[function_component(SessionControls)]
pub fn session_controls(props: &SessionControlsProps) -> Html {
    let t = |key| text(props.lang, key);
    let on_namespace = props.on_namespace.reform(|e: Event| {
        let value = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
            .map(|s| s.value())
            .unwrap_or_default();
        (value != ALL).then_some(value)
    });
    let on_file = {
        let on_import = props.on_import.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                on_import.emit(file);
            }
            // Picking the same file again must fire `change` again.
            input.set_value("");
        })
    };
    let selected = props.namespace.clone().unwrap_or_default();
    let options = props.namespaces.iter().map(|ns| {
        html! { <option value={ns.clone()} selected={*ns == selected}>{ ns.clone() }</option> }
    });
    let theme_label = match props.theme {
        Theme::Dark => t(Key::ThemeLight),
        Theme::Light => t(Key::ThemeDark),
    };
    let reset = if props.confirm_reset {
        html! {
            <div class="tp-confirm" role="alertdialog" aria-label={t(Key::ConfirmReset)}>
                <p>{ t(Key::ConfirmReset) }</p>
                <button class="tp-danger" id="reset-confirm"
                        onclick={props.on_reset.reform(|_: MouseEvent| ())}>{ t(Key::ResetCluster) }</button>
                <button onclick={props.on_cancel_reset.reform(|_: MouseEvent| ())}>{ t(Key::Cancel) }</button>
            </div>
        }
    } else {
        html! {
            <button id="reset-cluster" onclick={props.on_ask_reset.reform(|_: MouseEvent| ())}>{ t(Key::ResetCluster) }</button>
        }
    };
    html! {
        <>
            <section class="tp-side-section" aria-label={t(Key::Namespace)}>
                <h2><label for="namespace-filter">{ t(Key::Namespace) }</label></h2>
                <select id="namespace-filter" class="tp-select" onchange={on_namespace}>
                    <option value={ALL} selected={props.namespace.is_none()}>{ t(Key::AllNamespaces) }</option>
                    { for options }
                </select>
            </section>
            <section class="tp-side-section tp-session" aria-label={t(Key::Session)}>
                <h2>{ t(Key::Session) }</h2>
                <button id="theme-toggle" aria-pressed={(props.theme == Theme::Light).to_string()}
                        onclick={props.on_toggle_theme.reform(|_: MouseEvent| ())}>{ theme_label }</button>
                <button id="export-session" onclick={props.on_export.reform(|_: MouseEvent| ())}>{ t(Key::Export) }</button>
                <label class="tp-file-button" for="import-session">{ t(Key::Import) }</label>
                <input id="import-session" class="tp-visually-hidden" type="file"
                       accept=".json,application/json" onchange={on_file} />
                { reset }
            </section>
        </>
    }
}
