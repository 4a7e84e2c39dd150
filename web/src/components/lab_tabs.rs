//! The lab switch in the header: "Kubernetes lab" | "Grad-CAM lab".

use crate::i18n::{Key, Lang, text};
use yew::prelude::*;

/// Which lab is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lab {
    #[default]
    Kubernetes,
    Gradcam,
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct LabTabsProps {
    pub lang: Lang,
    pub active: Lab,
    #[prop_or_default]
    pub on_select: Callback<Lab>,
}

#[function_component(LabTabs)]
pub fn lab_tabs(props: &LabTabsProps) -> Html {
    let tab = |lab: Lab, key: Key, id: &'static str| {
        let active = props.active == lab;
        let onclick = props.on_select.reform(move |_: MouseEvent| lab);
        html! {
            <button {id} class={classes!("tp-lab", active.then_some("tp-lab-active"))}
                aria-current={active.then_some("page")} {onclick}>
                { text(props.lang, key) }
            </button>
        }
    };
    html! {
        <nav class="tp-labs" aria-label="Labs">
            { tab(Lab::Kubernetes, Key::KubernetesLab, "tab-kubernetes") }
            { tab(Lab::Gradcam, Key::GradcamLab, "tab-gradcam") }
        </nav>
    }
}
