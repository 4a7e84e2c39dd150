//! The root component: owns the reducer and the worker link, renders the shell.

use crate::components::shell::Shell;
use crate::components::time_controls::{STEP_MS, TimeCommand};
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
}

impl Default for AppProps {
    fn default() -> Self {
        Self {
            worker_url: AttrValue::Static(tidepool_worker::CLUSTER_WORKER_LOADER),
        }
    }
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let state = use_reducer(AppState::default);
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

    html! { <Shell state={(*state).clone()} {on_toggle_language} {on_line} {on_complete} {on_time} /> }
}

fn document_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}
