//! Offline use: registers the service worker (`web/sw.js`, its file list written in by
//! `cargo xtask precache`) and shows in the status line whether this build is available
//! offline, or whether a newer one is installed and waits for a reload.
//!
//! Registration waits until the cluster worker is ready (the prompt is up): the worker's
//! install downloads the whole site again, which must not compete with the first load.
//! Failures (no service workers, a blocked script, a failed install) are logged, never shown
//! as errors: the playground works the same without them, only not offline.

use crate::i18n::{Key, Lang, text};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    ServiceWorker, ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState,
};
use yew::prelude::*;

/// The service worker's script, beside `index.html`; its scope is the site's folder.
pub const WORKER_URL: &str = "./sw.js";
/// What the worker's `message` handler takes as "activate now".
const SKIP_WAITING: &str = "skip-waiting";

/// What the status line says, in the order it can only move forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Offline {
    /// Not (yet) registered, unsupported, or failed: nothing is shown.
    Unknown,
    /// A worker is active: this build's files are cached.
    Ready,
    /// A newer build is installed and waits for this page to let it take over.
    UpdateReady,
}

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct OfflineStatusProps {
    pub lang: Lang,
    /// Registers the worker the first time this is true (the cluster worker is ready).
    pub start: bool,
}

/// The status line's offline part: registers the worker, then says what it has done.
#[function_component(OfflineStatus)]
pub fn offline_status(props: &OfflineStatusProps) -> Html {
    let shown = use_state(|| Offline::Unknown);
    let registration = use_mut_ref(|| None::<ServiceWorkerRegistration>);
    let started = use_mut_ref(|| false);
    {
        let (set, registration) = (shown.setter(), registration.clone());
        use_effect_with(props.start, move |start| {
            if *start && !started.replace(true) {
                wasm_bindgen_futures::spawn_local(async move {
                    match register(set).await {
                        Ok(done) => *registration.borrow_mut() = Some(done),
                        Err(error) => warn(&format!("offline use is unavailable: {error}")),
                    }
                });
            }
        });
    }
    let lang = props.lang;
    match *shown {
        Offline::Unknown => html! {},
        Offline::Ready => html! {
            <span class="tp-offline" id="offline-status" data-offline="ready">
                { " · " }{ text(lang, Key::OfflineReady) }
            </span>
        },
        Offline::UpdateReady => {
            let onclick = Callback::from(move |_: MouseEvent| {
                apply_update(registration.borrow().as_ref());
            });
            html! {
                <span class="tp-offline" id="offline-status" data-offline="update">
                    { " · " }{ text(lang, Key::OfflineUpdateReady) }{ " " }
                    <button type="button" id="offline-reload" {onclick}>{ text(lang, Key::OfflineReload) }</button>
                </span>
            }
        }
    }
}

/// Registers the worker and keeps `set` told of its progress; returns the registration.
async fn register(set: UseStateSetter<Offline>) -> Result<ServiceWorkerRegistration, String> {
    let window = web_sys::window().ok_or("no window")?;
    let navigator = window.navigator();
    // `navigator.serviceWorker` is missing in insecure contexts and some private modes.
    if !js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        return Err("this browser offers no service workers here".to_owned());
    }
    let container = navigator.service_worker();
    let registration: ServiceWorkerRegistration = JsFuture::from(container.register(WORKER_URL))
        .await
        .map_err(|e| describe(&e))?
        .dyn_into()
        .map_err(|_| "register did not give a registration".to_owned())?;

    let show = Shown::new(set);
    // A newer build found now or later (the browser checks on each navigation).
    if let Some(installing) = registration.installing() {
        watch(&installing, &container, &show);
    }
    {
        let (container, show, registration_) =
            (container.clone(), show.clone(), registration.clone());
        on(&registration, "updatefound", move || {
            if let Some(installing) = registration_.installing() {
                watch(&installing, &container, &show);
            }
        });
    }
    if registration.waiting().is_some() && container.controller().is_some() {
        show.at_least(Offline::UpdateReady);
    }
    // Resolves once a worker is active, i.e. its install cached the whole build.
    let ready = container.ready().map_err(|e| describe(&e))?;
    JsFuture::from(ready).await.map_err(|e| describe(&e))?;
    show.at_least(Offline::Ready);
    Ok(registration)
}

/// Follows an installing worker: installed while a page is controlled means an update waits.
fn watch(worker: &ServiceWorker, container: &ServiceWorkerContainer, show: &Shown) {
    let (watched, container, show) = (worker.clone(), container.clone(), show.clone());
    on(worker, "statechange", move || match watched.state() {
        ServiceWorkerState::Installed if container.controller().is_some() => {
            show.at_least(Offline::UpdateReady);
        }
        ServiceWorkerState::Redundant => {
            warn("a service worker install failed (it is retried on a later visit)");
        }
        _ => {}
    });
}

/// Lets the waiting worker take over, then reloads the page once it controls it.
fn apply_update(registration: Option<&ServiceWorkerRegistration>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let waiting = registration.and_then(ServiceWorkerRegistration::waiting);
    let Some(waiting) = waiting else {
        let _ = window.location().reload();
        return;
    };
    let container = window.navigator().service_worker();
    on(&container, "controllerchange", move || {
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    });
    if let Err(error) = waiting.post_message(&JsValue::from_str(SKIP_WAITING)) {
        warn(&format!("could not start the update: {}", describe(&error)));
    }
}

/// The shown state, moved forward only (an update found early is not hidden by "ready").
#[derive(Clone)]
struct Shown {
    current: Rc<Cell<Offline>>,
    set: UseStateSetter<Offline>,
}

impl Shown {
    fn new(set: UseStateSetter<Offline>) -> Self {
        Self {
            current: Rc::new(Cell::new(Offline::Unknown)),
            set,
        }
    }

    fn at_least(&self, state: Offline) {
        if state > self.current.get() {
            self.current.set(state);
            self.set.set(state);
        }
    }
}

/// Adds an event listener for the page's lifetime (these objects live as long as it).
fn on(target: &web_sys::EventTarget, event: &str, handler: impl FnMut() + 'static) {
    let listener = Closure::<dyn FnMut()>::new(handler);
    let _ = target.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
    listener.forget();
}

fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&format!("Tidepool: {message}")));
}

fn describe(error: &JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(error, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{error:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_moves_forward_only() {
        assert!(Offline::Unknown < Offline::Ready);
        assert!(Offline::Ready < Offline::UpdateReady);
    }
}
