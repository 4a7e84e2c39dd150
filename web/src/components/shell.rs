//! The app shell: header, sidebar, terminal pane, graph pane and status line.

use crate::i18n::{Key, Lang, text};
use crate::state::{AppState, WorkerStatus};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct ShellProps {
    pub state: AppState,
    pub on_toggle_language: Callback<()>,
}

#[function_component(Shell)]
pub fn shell(props: &ShellProps) -> Html {
    let lang = props.state.lang;
    let t = |key| text(lang, key);
    let on_lang = props.on_toggle_language.reform(|_: MouseEvent| ());

    html! {
        <div class="tp-shell" id="tidepool-shell">
            <header class="tp-header">
                <div class="tp-brand">
                    <span class="tp-logo" aria-hidden="true">{ "◌" }</span>
                    <h1>{ "Tidepool" }</h1>
                    <span class="tp-tagline">{ t(Key::Tagline) }</span>
                </div>
                <nav class="tp-labs" aria-label="Labs">
                    <button class="tp-lab tp-lab-active" aria-current="page">{ t(Key::KubernetesLab) }</button>
                    <button class="tp-lab" disabled=true>{ t(Key::GradcamLab) }</button>
                </nav>
                <button class="tp-lang" onclick={on_lang}>{ t(Key::LanguageSwitch) }</button>
            </header>
            <main class="tp-main">
                <aside class="tp-sidebar" aria-label={t(Key::Instances)}>
                    <h2>{ t(Key::Instances) }</h2>
                    <ul class="tp-instances">
                        <li class="tp-instance tp-instance-active">{ "controlplane" }</li>
                    </ul>
                </aside>
                <section class="tp-pane tp-terminal" id="terminal-pane" aria-label={t(Key::Terminal)}>
                    <h2 class="tp-pane-title">{ t(Key::Terminal) }</h2>
                    <p class="tp-placeholder">{ t(Key::TerminalPlaceholder) }</p>
                </section>
                <section class="tp-pane tp-graph" id="graph-pane" aria-label={t(Key::ClusterGraph)}>
                    <h2 class="tp-pane-title">{ t(Key::ClusterGraph) }</h2>
                    <p class="tp-placeholder">{ t(Key::GraphPlaceholder) }</p>
                </section>
            </main>
            <footer class="tp-status" id="status-line" role="status" aria-live="polite">
                { status_text(lang, &props.state.worker) }
            </footer>
        </div>
    }
}

/// The status line's text for the worker's state.
pub fn status_text(lang: Lang, worker: &WorkerStatus) -> String {
    match worker {
        WorkerStatus::Connecting => text(lang, Key::WorkerConnecting).to_owned(),
        WorkerStatus::Ready {
            seed,
            virtual_time_ms,
            protocol_version,
        } => format!(
            "{} · protocol v{protocol_version} · seed {seed} · t={}s",
            text(lang, Key::WorkerReady),
            virtual_time_ms / 1000
        ),
    }
}
