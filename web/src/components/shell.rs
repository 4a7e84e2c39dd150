//! The app shell: header, sidebar, terminal pane, graph pane and status line.

use crate::components::lab_tabs::{Lab, LabTabs};
use crate::components::terminal::Terminal;
use crate::components::time_controls::{TimeCommand, TimeControls};
use crate::i18n::{Key, Lang, text};
use crate::state::{AppState, WorkerStatus};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct ShellProps {
    pub state: AppState,
    pub on_toggle_language: Callback<()>,
    /// A terminal line was submitted.
    #[prop_or_default]
    pub on_line: Callback<String>,
    /// Tab completion was asked for: (line, cursor byte).
    #[prop_or_default]
    pub on_complete: Callback<(String, usize)>,
    /// A time control was used.
    #[prop_or_default]
    pub on_time: Callback<TimeCommand>,
    /// A lab tab was clicked.
    #[prop_or_default]
    pub on_select_lab: Callback<Lab>,
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
                <LabTabs {lang} active={Lab::Kubernetes} on_select={props.on_select_lab.clone()} />
                <button class="tp-lang" onclick={on_lang}>{ t(Key::LanguageSwitch) }</button>
            </header>
            <main class="tp-main">
                <aside class="tp-sidebar" aria-label={t(Key::Instances)}>
                    <h2>{ t(Key::Instances) }</h2>
                    <ul class="tp-instances">
                        <li class="tp-instance tp-instance-active">{ "controlplane" }</li>
                    </ul>
                    <TimeControls lang={lang} worker={props.state.worker.clone()} on_time={props.on_time.clone()} />
                </aside>
                <section class="tp-pane tp-terminal" id="terminal-pane" aria-label={t(Key::Terminal)}>
                    <h2 class="tp-pane-title">{ t(Key::Terminal) }</h2>
                    <Terminal
                        feed={props.state.terminal.clone()}
                        on_line={props.on_line.clone()}
                        on_complete={props.on_complete.clone()}
                        unavailable_text={t(Key::TerminalPlaceholder)}
                    />
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
            speed,
            protocol_version,
        } => {
            let pace = match speed {
                0 => text(lang, Key::Paused).to_owned(),
                speed => format!("{speed}x"),
            };
            format!(
                "{} · protocol v{protocol_version} · seed {seed} · t={}s · {pace}",
                text(lang, Key::WorkerReady),
                virtual_time_ms / 1000
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_says_paused_instead_of_zero_speed() {
        let ready = |speed| WorkerStatus::Ready {
            seed: 1,
            virtual_time_ms: 5_000,
            speed,
            protocol_version: 2,
        };
        assert_eq!(
            status_text(Lang::En, &ready(0)),
            "Cluster worker ready · protocol v2 · seed 1 · t=5s · paused"
        );
        assert!(status_text(Lang::Ko, &ready(0)).ends_with("일시정지됨"));
        assert!(status_text(Lang::En, &ready(60)).ends_with("· 60x"));
    }
}
