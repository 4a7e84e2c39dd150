//! The app shell: header, sidebar, terminal pane, graph pane and status line.

use crate::components::editor_pane::{EditorPane, EditorRequest};
use crate::components::events::EventsTimeline;
use crate::components::graph::ClusterGraph;
use crate::components::inspector::InspectorPanel;
use crate::components::lab_tabs::{Lab, LabTabs};
use crate::components::notices::Notices;
use crate::components::session_controls::SessionControls;
use crate::components::splitter::{Orientation, Splitter, load_size, save_size};
use crate::components::terminal::Terminal;
use crate::components::terminal_tabs::{Instances, TerminalTabs, labels, panel_id, tab_id};
use crate::components::time_controls::{TimeCommand, TimeControls};
use crate::i18n::{Key, Lang, text};
use crate::offline::OfflineStatus;
use crate::playground_state::{EventTypeFilter, Theme};
use crate::state::{AppState, WorkerStatus};
use tidepool_worker::protocol::{InspectView, ObjectRef, TerminalId};
use yew::prelude::*;

/// What the playground's panes (graph, inspector, events, session controls) report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlaygroundCallbacks {
    /// An object was chosen in the graph: open the inspector.
    pub on_select: Callback<ObjectRef>,
    pub on_tab: Callback<InspectView>,
    pub on_close_inspector: Callback<()>,
    pub on_ask_delete: Callback<()>,
    pub on_cancel_delete: Callback<()>,
    pub on_delete: Callback<()>,
    /// The inspector's Edit.
    pub on_edit: Callback<()>,
    pub on_namespace: Callback<Option<String>>,
    pub on_event_filter: Callback<EventTypeFilter>,
    pub on_toggle_theme: Callback<()>,
    pub on_ask_reset: Callback<()>,
    pub on_cancel_reset: Callback<()>,
    pub on_reset: Callback<()>,
    pub on_export: Callback<()>,
    pub on_import: Callback<web_sys::File>,
    pub on_dismiss_notice: Callback<u64>,
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct ShellProps {
    pub state: AppState,
    pub on_toggle_language: Callback<()>,
    /// A line was submitted in a terminal.
    #[prop_or_default]
    pub on_line: Callback<(TerminalId, String)>,
    /// Tab completion was asked for: (terminal, line, cursor byte).
    #[prop_or_default]
    pub on_complete: Callback<(TerminalId, String, usize)>,
    /// Ctrl-C while a command streams in a terminal.
    #[prop_or_default]
    pub on_interrupt: Callback<TerminalId>,
    /// A terminal tab was chosen (`true`: the terminal takes the keyboard).
    #[prop_or_default]
    pub on_select_terminal: Callback<(TerminalId, bool)>,
    /// A terminal tab's close button.
    #[prop_or_default]
    pub on_close_terminal: Callback<TerminalId>,
    /// "+ node shell": open a terminal on this host.
    #[prop_or_default]
    pub on_open_terminal: Callback<String>,
    /// A time control was used.
    #[prop_or_default]
    pub on_time: Callback<TimeCommand>,
    /// The playground panes' callbacks.
    #[prop_or_default]
    pub playground: PlaygroundCallbacks,
    /// A lab tab was clicked.
    #[prop_or_default]
    pub on_select_lab: Callback<Lab>,
    /// What the editor pane asks for (save, discard, validate).
    #[prop_or_default]
    pub on_editor: Callback<EditorRequest>,
}

/// The resizable panes: `localStorage` key, default, least and greatest share (percent) of
/// the first pane.
pub const TERMINAL_SPLIT: (&str, u8, u8, u8) = ("tidepool.layout.terminal", 46, 20, 80);
pub const GRAPH_SPLIT: (&str, u8, u8, u8) = ("tidepool.layout.graph", 70, 25, 90);

/// A pane size kept in `localStorage`, with the callback that changes and saves it.
#[hook]
fn use_split(split: (&'static str, u8, u8, u8)) -> (u8, Callback<u8>) {
    let (key, default, min, max) = split;
    let size = use_state(move || load_size(key, min, max).unwrap_or(default));
    let on_change = {
        let size = size.clone();
        Callback::from(move |value: u8| {
            save_size(key, value);
            size.set(value);
        })
    };
    // The terminal refits xterm.js (its columns) on window resizes only: a moved splitter
    // resizes the panes as a window resize would, so it tells them the same way, once the
    // new size is laid out.
    use_effect_with(*size, |_| {
        if let Some(window) = web_sys::window()
            && let Ok(event) = web_sys::Event::new("resize")
        {
            let _ = window.dispatch_event(&event);
        }
    });
    (*size, on_change)
}

#[function_component(Shell)]
pub fn shell(props: &ShellProps) -> Html {
    let (terminal_share, on_terminal_split) = use_split(TERMINAL_SPLIT);
    let (graph_share, on_graph_split) = use_split(GRAPH_SPLIT);
    let lang = props.state.lang;
    let t = |key| text(lang, key);
    let on_lang = props.on_toggle_language.reform(|_: MouseEvent| ());
    let play = &props.state.playground;
    let cb = &props.playground;
    let inspector = play.inspector.as_ref().map(|inspector| {
        html! {
            <InspectorPanel lang={lang} inspector={inspector.clone()}
                on_tab={cb.on_tab.clone()} on_close={cb.on_close_inspector.clone()}
                on_ask_delete={cb.on_ask_delete.clone()} on_cancel_delete={cb.on_cancel_delete.clone()}
                on_delete={cb.on_delete.clone()} on_edit={cb.on_edit.clone()}
                editing={props.state.editor.is_some()} />
        }
    });

    // Over the terminal, which stays mounted underneath (its screen and scrollback survive).
    let editor = props.state.editor.as_ref().map(|editor| {
        html! {
            <EditorPane key={editor.opened} {lang} editor={editor.clone()}
                dark={play.theme == Theme::Dark} on_request={props.on_editor.clone()} />
        }
    });

    let terms = &props.state.terminals;
    let tab_labels = labels(
        &terms
            .tabs
            .iter()
            .map(|tab| (tab.id, tab.home.clone()))
            .collect::<Vec<_>>(),
    );
    // The cluster's nodes (the control plane first, as the view lists it); before the first
    // view, the control plane only.
    let hosts: Vec<String> = if play.cluster.nodes.is_empty() {
        vec!["controlplane".to_owned()]
    } else {
        play.cluster.nodes.keys().cloned().collect()
    };
    let terminals = terms.tabs.iter().map(|tab| {
        let id = tab.id;
        html! {
            <Terminal key={id.0} id={panel_id(id)} labelled_by={tab_id(id)}
                active={id == terms.active}
                feed={tab.feed.clone()}
                on_line={props.on_line.reform(move |text| (id, text))}
                on_complete={props.on_complete.reform(move |(line, cursor)| (id, line, cursor))}
                on_interrupt={props.on_interrupt.reform(move |()| id)}
                unavailable_text={t(Key::TerminalPlaceholder)}
            />
        }
    });

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
            <main class="tp-main" style={format!("--tp-terminal-share: {terminal_share}")}>
                <aside class="tp-sidebar" aria-label={t(Key::Instances)}>
                    <h2>{ t(Key::Instances) }</h2>
                    <Instances {lang} tabs={tab_labels.clone()} active={terms.active}
                        on_select={props.on_select_terminal.clone()} on_close={props.on_close_terminal.clone()} />
                    <p class="tp-hint" id="tab-shortcuts">{ t(Key::TabShortcuts) }</p>
                    <TimeControls lang={lang} worker={props.state.worker.clone()} on_time={props.on_time.clone()} />
                    <SessionControls lang={lang} theme={play.theme} namespaces={play.namespaces()}
                        namespace={play.namespace.clone()} confirm_reset={play.confirm_reset}
                        on_namespace={cb.on_namespace.clone()} on_toggle_theme={cb.on_toggle_theme.clone()}
                        on_ask_reset={cb.on_ask_reset.clone()} on_cancel_reset={cb.on_cancel_reset.clone()}
                        on_reset={cb.on_reset.clone()} on_export={cb.on_export.clone()}
                        on_import={cb.on_import.clone()} />
                </aside>
                <section class="tp-pane tp-terminal" id="terminal-pane" aria-label={t(Key::Terminal)}>
                    <h2 class="tp-pane-title">{ t(Key::Terminal) }</h2>
                    <TerminalTabs {lang} tabs={tab_labels} active={terms.active} {hosts}
                        on_select={props.on_select_terminal.clone()} on_close={props.on_close_terminal.clone()}
                        on_open={props.on_open_terminal.clone()} />
                    <div class="tp-terms">{ for terminals }</div>
                    { editor.unwrap_or_default() }
                </section>
                <Splitter id="terminal-splitter" label={t(Key::ResizePanes)} orientation={Orientation::Vertical}
                    value={terminal_share} min={TERMINAL_SPLIT.2} max={TERMINAL_SPLIT.3}
                    controls="terminal-pane" on_change={on_terminal_split} />
                <section class="tp-pane tp-graph" id="graph-pane" aria-label={t(Key::ClusterGraph)}
                         style={format!("--tp-events-share: {}%", 100 - graph_share)}>
                    <Notices lang={lang} notices={play.notices.clone()} on_dismiss={cb.on_dismiss_notice.clone()} />
                    <div class="tp-graph-scroll" id="graph-scroll">
                        <h2 class="tp-pane-title">{ t(Key::ClusterGraph) }</h2>
                        <ClusterGraph lang={lang} view={play.cluster.clone()} known={play.cluster_known}
                            namespace={play.namespace.clone()}
                            selected={play.inspector.as_ref().map(|i| i.target.clone())}
                            on_select={cb.on_select.clone()} />
                    </div>
                    <Splitter id="events-splitter" label={t(Key::ResizeEvents)} orientation={Orientation::Horizontal}
                        value={graph_share} min={GRAPH_SPLIT.2} max={GRAPH_SPLIT.3}
                        controls="graph-scroll" on_change={on_graph_split} />
                    <EventsTimeline lang={lang} view={play.cluster.clone()} namespace={play.namespace.clone()}
                        filter={play.event_types} on_filter={cb.on_event_filter.clone()} />
                    { for inspector }
                </section>
            </main>
            <footer class="tp-status" id="status-line" role="status" aria-live="polite">
                { status_text(lang, &props.state.worker) }
                <OfflineStatus {lang} start={matches!(props.state.worker, WorkerStatus::Ready { .. })} />
            </footer>
        </div>
    }
}

/// The status line's text for the worker's state.
pub fn status_text(lang: Lang, worker: &WorkerStatus) -> String {
    match worker {
        WorkerStatus::Connecting => text(lang, Key::WorkerConnecting).to_owned(),
        WorkerStatus::Silent => text(lang, Key::WorkerSilent).to_owned(),
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
