//! The root component: owns the reducer and the worker link, renders the shell.

use crate::components::lab_tabs::Lab;
use crate::components::shell::Shell;
use crate::components::time_controls::{STEP_MS, TimeCommand};
use crate::gradcam::GradcamPage;
use crate::state::{AppAction, AppState};
use crate::worker_link;
use gloo_worker::WorkerBridge;
use tidepool_worker::ClusterWorker;
use tidepool_worker::protocol::ToCluster;
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
            *bridge.borrow_mut() = Some(worker_link::spawn(url, move |action| {
                dispatcher.dispatch(action);
            }));
            // Dropping the bridge on unmount terminates the worker.
            move || drop(bridge.borrow_mut().take())
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

    let send = {
        move |message: ToCluster| {
            if let Some(bridge) = bridge.borrow().as_ref() {
                bridge.send(message);
            }
        }
    };
    let on_line = {
        let send = send.clone();
        Callback::from(move |text: String| send(ToCluster::Line { text }))
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
    let on_complete = Callback::from(move |(line, cursor): (String, usize)| {
        send(ToCluster::Complete {
            line,
            cursor: u32::try_from(cursor).unwrap_or(u32::MAX),
        });
    });
    let on_toggle_language = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_| dispatcher.dispatch(AppAction::ToggleLanguage))
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
                    {on_line} {on_complete} {on_time} on_select_lab={on_select_lab.clone()} />
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

fn document_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}
