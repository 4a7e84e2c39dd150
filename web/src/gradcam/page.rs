//! The Grad-CAM lab's page: the shared header (brand, lab tabs, language) over the lab.

use super::lab::GradcamLab;
use crate::components::lab_tabs::{Lab, LabTabs};
use crate::i18n::{Key, Lang, text};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct GradcamPageProps {
    pub lang: Lang,
    pub on_toggle_language: Callback<()>,
    pub on_select_lab: Callback<Lab>,
    /// URL of the Grad-CAM worker's loader script.
    #[prop_or(AttrValue::Static(tidepool_gradcam_worker::GRADCAM_WORKER_LOADER))]
    pub worker_url: AttrValue,
}

#[function_component(GradcamPage)]
pub fn gradcam_page(props: &GradcamPageProps) -> Html {
    let lang = props.lang;
    let on_lang = props.on_toggle_language.reform(|_: MouseEvent| ());
    html! {
        <div class="tp-shell gc-shell" id="gradcam-page">
            <header class="tp-header">
                <div class="tp-brand">
                    <span class="tp-logo" aria-hidden="true">{ "◌" }</span>
                    <h1>{ "Tidepool" }</h1>
                    <span class="tp-tagline">{ text(lang, Key::Tagline) }</span>
                </div>
                <LabTabs {lang} active={Lab::Gradcam} on_select={props.on_select_lab.clone()} />
                <button class="tp-lang" onclick={on_lang}>{ text(lang, Key::LanguageSwitch) }</button>
            </header>
            <main class="gc-main">
                <GradcamLab {lang} worker_url={props.worker_url.clone()} />
            </main>
        </div>
    }
}
