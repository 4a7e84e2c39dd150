//! The root component: owns the reducer and the worker link, renders the shell.

use crate::components::shell::Shell;
use crate::state::{AppAction, AppState};
use crate::worker_link;
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

    {
        let dispatcher = state.dispatcher();
        use_effect_with(props.worker_url.clone(), move |url| {
            let bridge = worker_link::spawn(url, move |action| dispatcher.dispatch(action));
            // Dropping the bridge on unmount terminates the worker.
            move || drop(bridge)
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

    let on_toggle_language = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_| dispatcher.dispatch(AppAction::ToggleLanguage))
    };

    html! { <Shell state={(*state).clone()} {on_toggle_language} /> }
}

fn document_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}
