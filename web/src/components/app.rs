//! The root component: owns the reducer and the worker link, renders the shell.

use crate::components::editor_pane::EditorRequest;
use crate::components::lab_tabs::Lab;
use crate::components::shell::{PlaygroundCallbacks, Shell};
use crate::components::time_controls::{STEP_MS, TimeCommand};
use crate::editor_state::EditorAction;
use crate::gradcam::GradcamPage;
use crate::playground_state::{Download, PlaygroundAction};
use crate::state::{AppAction, AppState, TermEvent, WORKER_SILENT_AFTER_MS, WorkerStatus};
use crate::worker_link;
use gloo_worker::WorkerBridge;
use tidepool_worker::ClusterWorker;
use tidepool_worker::protocol::{InspectView, Settings, TerminalId, ToCluster};
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct AppProps {
    /// URL of the cluster worker's loader script.
    #[prop_or(AttrValue::Static(tidepool_worker::CLUSTER_WORKER_LOADER))]
    pub worker_url: AttrValue,
    /// URL of the Grad-CAM worker's loader script.
    #[prop_or(AttrValue::Static(tidepool_gradcam_worker::GRADCAM_WORKER_LOADER))]
    pub gradcam_worker_url: AttrValue,
}

impl Default for AppProps {
    fn default() -> Self {
        Self {
            worker_url: AttrValue::Static(tidepool_worker::CLUSTER_WORKER_LOADER),
            gradcam_worker_url: AttrValue::Static(tidepool_gradcam_worker::GRADCAM_WORKER_LOADER),
        }
    }
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let state = use_reducer(AppState::default);
    let lab = use_state(Lab::default);
    let gradcam_opened = use_state(|| false);
    let bridge = use_mut_ref(|| None::<WorkerBridge<ClusterWorker>>);

    {
        let dispatcher = state.dispatcher();
        let bridge = bridge.clone();
        use_effect_with(props.worker_url.clone(), move |url| {
            let timed_out = dispatcher.clone();
            *bridge.borrow_mut() = Some(worker_link::spawn(url, move |action| {
                dispatcher.dispatch(action);
            }));
            let watchdog = gloo_timers::callback::Timeout::new(WORKER_SILENT_AFTER_MS, move || {
                timed_out.dispatch(AppAction::WorkerStartTimedOut);
            });
            // Dropping the bridge on unmount terminates the worker.
            move || {
                drop(watchdog);
                drop(bridge.borrow_mut().take());
            }
        });
    }

    {
        let lang = state.lang;
        use_effect_with(lang, move |lang| {
            if let Some(root) = document_element() {
                let _ = root.set_attribute("lang", lang.tag());
            }
        });
    }

    {
        let theme = state.playground.theme;
        use_effect_with(theme, move |theme| {
            if let Some(root) = document_element() {
                let _ = root.set_attribute("data-theme", theme.tag());
            }
        });
    }
    {
        let download = state.playground.download.clone();
        use_effect_with(download.as_ref().map(|d| d.seq), move |_| {
            if let Some(download) = download {
                offer_download(&download);
            }
        });
    }

    let send = {
        move |message: ToCluster| {
            if let Some(bridge) = bridge.borrow().as_ref() {
                bridge.send(message);
            }
        }
    };
    let playground = playground_callbacks(&state, &send);
    let on_line = {
        let send = send.clone();
        Callback::from(move |(terminal, text): (TerminalId, String)| {
            worker_link::send_line(&send, terminal, text);
        })
    };
    let on_select_terminal = {
        let (send, dispatcher) = (send.clone(), state.dispatcher());
        Callback::from(move |(terminal, focus): (TerminalId, bool)| {
            dispatcher.dispatch(AppAction::SelectTerminal(terminal));
            if focus {
                dispatcher.dispatch(AppAction::Terminal {
                    terminal,
                    event: TermEvent::Focus,
                });
            }
            send(ToCluster::SelectTerminal { terminal });
        })
    };
    let on_close_terminal = {
        let send = send.clone();
        Callback::from(move |terminal: TerminalId| send(ToCluster::CloseTerminal { terminal }))
    };
    let on_open_terminal = {
        let send = send.clone();
        Callback::from(move |host: String| send(ToCluster::OpenTerminal { host }))
    };
    let on_time = {
        let send = send.clone();
        Callback::from(move |command: TimeCommand| {
            send(match command {
                TimeCommand::SetSpeed(speed) => ToCluster::SetSpeed { speed },
                TimeCommand::Step => ToCluster::Advance { millis: STEP_MS },
            });
        })
    };
    let on_interrupt = {
        let send = send.clone();
        Callback::from(move |terminal: TerminalId| send(ToCluster::Interrupt { terminal }))
    };
    let on_complete = {
        let send = send.clone();
        Callback::from(
            move |(terminal, line, cursor): (TerminalId, String, usize)| {
                send(ToCluster::Complete {
                    terminal,
                    line,
                    cursor: u32::try_from(cursor).unwrap_or(u32::MAX),
                });
            },
        )
    };
    let on_editor = editor_callback(&state, &send);
    let on_toggle_language = {
        let dispatcher = state.dispatcher();
        let mut settings = settings_of(&state);
        settings.lang = state.lang.toggled().tag().to_owned();
        Callback::from(move |_| {
            dispatcher.dispatch(AppAction::ToggleLanguage);
            send(ToCluster::Settings {
                settings: settings.clone(),
            });
        })
    };

    // The Grad-CAM lab mounts (and spawns its worker) the first time it is opened; afterwards
    // both labs stay mounted and the hidden one keeps its state (terminal, photo, result).
    let on_select_lab = {
        let lab = lab.clone();
        let gradcam_opened = gradcam_opened.clone();
        Callback::from(move |choice: Lab| {
            if choice == Lab::Gradcam {
                gradcam_opened.set(true);
            }
            lab.set(choice);
        })
    };
    let lang = state.lang;
    html! {
        <>
            <div class="tp-lab-view" hidden={*lab != Lab::Kubernetes}>
                <Shell state={(*state).clone()} on_toggle_language={on_toggle_language.clone()}
                    {on_line} {on_complete} {on_interrupt} {on_time} {playground} {on_editor}
                    {on_select_terminal} {on_close_terminal} {on_open_terminal}
                    on_select_lab={on_select_lab.clone()} />
            </div>
            if *gradcam_opened {
                <div class="tp-lab-view" hidden={*lab != Lab::Gradcam}>
                    <GradcamPage {lang} {on_toggle_language} {on_select_lab}
                        worker_url={props.gradcam_worker_url.clone()} />
                </div>
            }
        </>
    }
}

/// The settings the worker saves with the session, as the UI has them now.
fn settings_of(state: &AppState) -> Settings {
    Settings {
        lang: state.lang.tag().to_owned(),
        theme: state.playground.theme.tag().to_owned(),
        speed: match state.worker {
            WorkerStatus::Ready { speed, .. } => speed,
            WorkerStatus::Connecting | WorkerStatus::Silent => 1,
        },
    }
}

/// The editor pane's requests: each updates the pane's state and/or messages the worker
/// about the file the pane has open.
fn editor_callback(
    state: &UseReducerHandle<AppState>,
    send: &(impl Fn(ToCluster) + Clone + 'static),
) -> Callback<EditorRequest> {
    let dispatcher = state.dispatcher();
    let path = state.editor.as_ref().map(|e| e.path.clone());
    let send = send.clone();
    Callback::from(move |request: EditorRequest| {
        let Some(path) = path.clone() else {
            return;
        };
        let dispatch = |action| dispatcher.dispatch(AppAction::Editor(action));
        match request {
            EditorRequest::Save { text, close } => {
                dispatch(EditorAction::Saving {
                    text: text.clone(),
                    close,
                });
                send(ToCluster::SaveFile { path, text, close });
            }
            EditorRequest::Discard => {
                dispatch(EditorAction::Discarded);
                send(ToCluster::CloseEditor { path });
            }
            EditorRequest::Validate {
                text,
                revision,
                modified,
            } => {
                dispatch(EditorAction::Changed { modified, revision });
                send(ToCluster::Validate {
                    path,
                    text,
                    revision,
                });
            }
            EditorRequest::Message(message) => dispatch(EditorAction::Message(message)),
            EditorRequest::AskDiscard => dispatch(EditorAction::AskDiscard),
        }
    })
}

/// The playground panes' callbacks: each dispatches to the reducer and/or messages the worker.
fn playground_callbacks(
    state: &UseReducerHandle<AppState>,
    send: &(impl Fn(ToCluster) + Clone + 'static),
) -> PlaygroundCallbacks {
    let dispatch = {
        let dispatcher = state.dispatcher();
        move |action: PlaygroundAction| dispatcher.dispatch(AppAction::Playground(action))
    };
    let target = state
        .playground
        .inspector
        .as_ref()
        .map(|i| i.target.clone());
    let simple = |action: PlaygroundAction| {
        let dispatch = dispatch.clone();
        Callback::from(move |()| dispatch(action.clone()))
    };
    PlaygroundCallbacks {
        on_select: {
            let (dispatch, send) = (dispatch.clone(), send.clone());
            Callback::from(move |target: tidepool_worker::protocol::ObjectRef| {
                dispatch(PlaygroundAction::Inspect(target.clone()));
                send(ToCluster::Inspect {
                    target,
                    view: InspectView::Yaml,
                });
            })
        },
        on_tab: {
            let (dispatch, send, target) = (dispatch.clone(), send.clone(), target.clone());
            Callback::from(move |view: InspectView| {
                dispatch(PlaygroundAction::SelectTab(view));
                if let Some(target) = target.clone() {
                    send(ToCluster::Inspect { target, view });
                }
            })
        },
        on_close_inspector: {
            let (dispatch, send) = (dispatch.clone(), send.clone());
            Callback::from(move |()| {
                dispatch(PlaygroundAction::CloseInspector);
                // The worker stops following the closed tab's object.
                send(ToCluster::CloseInspector);
            })
        },
        on_ask_delete: simple(PlaygroundAction::AskDelete),
        on_cancel_delete: simple(PlaygroundAction::CancelDelete),
        on_delete: {
            let (send, target) = (send.clone(), target.clone());
            Callback::from(move |()| {
                if let Some(target) = target.clone() {
                    send(ToCluster::Delete { target });
                }
            })
        },
        on_edit: {
            let (send, terminal) = (send.clone(), state.terminals.active);
            Callback::from(move |()| {
                if let Some(target) = target.clone() {
                    send(ToCluster::Edit { terminal, target });
                }
            })
        },
        on_namespace: {
            let dispatch = dispatch.clone();
            Callback::from(move |ns| dispatch(PlaygroundAction::SetNamespace(ns)))
        },
        on_event_filter: {
            let dispatch = dispatch.clone();
            Callback::from(move |f| dispatch(PlaygroundAction::SetEventTypes(f)))
        },
        on_toggle_theme: {
            let (dispatch, send) = (dispatch.clone(), send.clone());
            let mut settings = settings_of(state);
            settings.theme = state.playground.theme.toggled().tag().to_owned();
            Callback::from(move |()| {
                dispatch(PlaygroundAction::ToggleTheme);
                send(ToCluster::Settings {
                    settings: settings.clone(),
                });
            })
        },
        on_ask_reset: simple(PlaygroundAction::AskReset),
        on_cancel_reset: simple(PlaygroundAction::CancelReset),
        on_reset: {
            let (dispatch, send) = (dispatch.clone(), send.clone());
            Callback::from(move |()| {
                send(ToCluster::ResetCluster);
                dispatch(PlaygroundAction::ResetSent);
            })
        },
        on_export: {
            let send = send.clone();
            Callback::from(move |()| send(ToCluster::ExportSession))
        },
        on_import: {
            let send = send.clone();
            Callback::from(move |file: web_sys::File| {
                let send = send.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let json = wasm_bindgen_futures::JsFuture::from(file.text())
                        .await
                        .ok()
                        .and_then(|text| text.as_string())
                        .unwrap_or_default();
                    // An unreadable file arrives as empty text; the worker says why it fails.
                    send(ToCluster::ImportSession { json });
                });
            })
        },
        on_dismiss_notice: {
            let dispatch = dispatch.clone();
            Callback::from(move |id| dispatch(PlaygroundAction::DismissNotice(id)))
        },
    }
}

/// Hands a file to the browser as a download (a Blob URL on a temporary link).
fn offer_download(download: &Download) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&download.json));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(link) = document
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        link.set_href(&url);
        link.set_download(&download.file_name);
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

fn document_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}
