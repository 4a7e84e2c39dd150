//! The Grad-CAM lab's container: owns the lab's reducer and the worker bridge (spawned the
//! first time the lab is shown, so its wasm and the weights load only then), and turns files,
//! drops, pastes and sample clicks into requests.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_worker::{Spawnable, WorkerBridge};
use js_sys::Uint8Array;
use tidepool_gradcam_worker::GradcamWorker;
use tidepool_gradcam_worker::codec::SerdeWasmBindgen;
use tidepool_gradcam_worker::protocol::{AnalyseOptions, FromGradcam, ToGradcam, WEIGHTS_URL};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use super::state::{GradcamAction, GradcamState, WORKER_SILENT_AFTER_MS};
use super::view::{Controls, Explanation, ModelBanner, Panels, PhotoInput, TopFive};
use crate::i18n::Lang;

/// The bundled sample photos: (file under `samples/`, label).
pub const SAMPLES: [(&str, &str); 3] = [
    ("chelsea.png", "chelsea"),
    ("coffee.png", "coffee"),
    ("rocket.jpg", "rocket"),
];

#[derive(Debug, Clone, PartialEq, Properties)]
pub struct GradcamLabProps {
    pub lang: Lang,
    /// URL of the Grad-CAM worker's loader script.
    #[prop_or(AttrValue::Static(tidepool_gradcam_worker::GRADCAM_WORKER_LOADER))]
    pub worker_url: AttrValue,
    /// URL of the weights, relative to the worker script.
    #[prop_or(AttrValue::Static(WEIGHTS_URL))]
    pub weights_url: AttrValue,
    /// Base URL of the sample photos.
    #[prop_or(AttrValue::Static("./samples/"))]
    pub samples_url: AttrValue,
}

/// Maps a worker reply to the action that records it.
pub fn action_for(reply: FromGradcam) -> GradcamAction {
    match reply {
        FromGradcam::Progress {
            received,
            total,
            source,
        } => GradcamAction::Progress {
            received,
            total,
            source,
        },
        FromGradcam::Ready {
            backend,
            fallback_reason,
            source,
            load_ms,
            class_names,
            ..
        } => GradcamAction::Ready {
            backend,
            fallback_reason,
            source,
            load_ms,
            class_names,
        },
        FromGradcam::LoadFailed { message } => GradcamAction::LoadFailed { message },
        FromGradcam::Analysed(analysis) => GradcamAction::Analysed(Rc::new(*analysis)),
        FromGradcam::Failed {
            request_id,
            message,
        } => GradcamAction::AnalysisFailed {
            request_id,
            message,
        },
    }
}

type Bridge = Rc<RefCell<Option<WorkerBridge<GradcamWorker>>>>;

fn send(bridge: &Bridge, message: ToGradcam) {
    if let Some(bridge) = bridge.borrow().as_ref() {
        bridge.send(message);
    }
}

async fn blob_bytes(blob: &web_sys::Blob) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|_| "the file could not be read".to_owned())?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|_| format!("could not fetch {url}"))?
        .dyn_into()
        .map_err(|_| "fetch gave no response".to_owned())?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let promise = response
        .array_buffer()
        .map_err(|_| format!("could not read {url}"))?;
    let buffer = JsFuture::from(promise)
        .await
        .map_err(|_| format!("could not read {url}"))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Reads a file (picker, drop or paste) and records it.
fn take_file(file: Option<web_sys::File>, dispatch: Callback<GradcamAction>) {
    let Some(file) = file else {
        return;
    };
    let label = file.name();
    wasm_bindgen_futures::spawn_local(async move {
        dispatch.emit(match blob_bytes(&file).await {
            Ok(bytes) => GradcamAction::PhotoChosen {
                label,
                bytes: Rc::new(bytes),
            },
            Err(message) => GradcamAction::PhotoUnreadable { message },
        });
    });
}

/// Whether the lab is on screen (a hidden ancestor gives it no offset parent).
fn lab_is_shown() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("gradcam-lab"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|e| e.offset_parent().is_some())
}

#[function_component(GradcamLab)]
pub fn gradcam_lab(props: &GradcamLabProps) -> Html {
    let state = use_reducer(GradcamState::default);
    let bridge: Bridge = use_mut_ref(|| None);
    let dispatch = {
        let dispatcher = state.dispatcher();
        Callback::from(move |action| dispatcher.dispatch(action))
    };

    // Spawn the worker and ask for the model when the lab first mounts.
    {
        let dispatch = dispatch.clone();
        let bridge = bridge.clone();
        use_effect_with(
            (props.worker_url.clone(), props.weights_url.clone()),
            move |(url, weights_url)| {
                let replies = dispatch.clone();
                let spawned = GradcamWorker::spawner()
                    .encoding::<SerdeWasmBindgen>()
                    .callback(move |reply| replies.emit(action_for(reply)))
                    // `url` is Trunk's loader shim, which imports the worker's own glue.
                    .with_loader(true)
                    .as_module(false)
                    .spawn(url);
                *bridge.borrow_mut() = Some(spawned);
                dispatch.emit(GradcamAction::LoadRequested);
                send(
                    &bridge,
                    ToGradcam::Load {
                        weights_url: weights_url.to_string(),
                        prefer_gpu: true,
                    },
                );
                let silent = dispatch.clone();
                let watchdog =
                    gloo_timers::callback::Timeout::new(WORKER_SILENT_AFTER_MS, move || {
                        silent.emit(GradcamAction::WorkerSilent);
                    });
                move || {
                    drop(watchdog);
                    drop(bridge.borrow_mut().take());
                }
            },
        );
    }

    // Every new request id is sent once.
    {
        let bridge = bridge.clone();
        use_effect_with(state.pending, {
            let request = state.request();
            move |_| {
                if let Some((request_id, image, options)) = request {
                    send(
                        &bridge,
                        ToGradcam::Analyse {
                            request_id,
                            image: image.to_vec(),
                            options,
                        },
                    );
                }
            }
        });
    }

    // Ctrl-V anywhere while the lab is mounted pastes an image file.
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            let listener = Closure::<dyn Fn(web_sys::ClipboardEvent)>::new(
                move |event: web_sys::ClipboardEvent| {
                    let file = event
                        .clipboard_data()
                        .and_then(|data| data.files())
                        .and_then(|files| files.get(0));
                    // The lab stays mounted behind the Kubernetes tab: only take pastes while
                    // it is shown.
                    if file.is_some() && lab_is_shown() {
                        event.prevent_default();
                        take_file(file, dispatch.clone());
                    }
                },
            );
            let document = web_sys::window().and_then(|w| w.document());
            if let Some(document) = &document {
                let _ = document
                    .add_event_listener_with_callback("paste", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(document) = document {
                    let _ = document.remove_event_listener_with_callback(
                        "paste",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }

    let on_files = {
        let dispatch = dispatch.clone();
        Callback::from(move |file: Option<web_sys::File>| take_file(file, dispatch.clone()))
    };
    let on_sample = {
        let dispatch = dispatch.clone();
        let base = props.samples_url.clone();
        Callback::from(move |(file, label): (&'static str, &'static str)| {
            let dispatch = dispatch.clone();
            let url = format!("{base}{file}");
            wasm_bindgen_futures::spawn_local(async move {
                dispatch.emit(match fetch_bytes(&url).await {
                    Ok(bytes) => GradcamAction::PhotoChosen {
                        label: label.to_owned(),
                        bytes: Rc::new(bytes),
                    },
                    Err(message) => GradcamAction::PhotoUnreadable { message },
                });
            });
        })
    };
    let on_options = dispatch.reform(GradcamAction::OptionsChanged);
    let on_explain_class = {
        let dispatch = dispatch.clone();
        let options = state.options;
        Callback::from(move |class: Option<u32>| {
            dispatch.emit(GradcamAction::OptionsChanged(AnalyseOptions {
                class,
                ..options
            }));
        })
    };
    let on_retry = {
        let dispatch = dispatch.clone();
        let weights_url = props.weights_url.clone();
        Callback::from(move |()| {
            dispatch.emit(GradcamAction::LoadRequested);
            send(
                &bridge,
                ToGradcam::Load {
                    weights_url: weights_url.to_string(),
                    prefer_gpu: true,
                },
            );
        })
    };
    let lang = props.lang;

    html! {
        <div class="gc-lab" id="gradcam-lab">
            <ModelBanner {lang} model={state.model.clone()} worker_silent={state.worker_silent} {on_retry} />
            <div class="gc-grid">
                <section class="gc-input-col">
                    <PhotoInput {lang} {on_files} {on_sample}
                        busy={state.pending.is_some()}
                        photo_label={state.photo.as_ref().map(|p| AttrValue::from(p.label.clone()))}
                        error={state.error.clone().map(AttrValue::from)} />
                    <TopFive {lang} result={state.result.clone()}
                        explained_class={state.options.class}
                        on_explain={on_explain_class.clone()} />
                </section>
                <section class="gc-output-col">
                    <Panels {lang} result={state.result.clone()} opacity={state.opacity}
                        busy={state.pending.is_some()}
                        on_opacity={dispatch.reform(GradcamAction::OpacityChanged)} />
                    <Controls {lang} options={state.options}
                        class_names={state.class_names.clone()}
                        class_query={AttrValue::from(state.class_query.clone())}
                        hits={state.search_hits().into_iter().map(|(i, n)| (i, AttrValue::from(n.to_owned()))).collect::<Vec<_>>()}
                        {on_options} on_explain={on_explain_class}
                        on_query={dispatch.reform(GradcamAction::ClassQueryChanged)} />
                    <Explanation {lang} />
                </section>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool_gradcam_worker::protocol::WeightsSource;

    #[test]
    fn worker_replies_become_actions() {
        assert_eq!(
            action_for(FromGradcam::Progress {
                received: 1,
                total: Some(2),
                source: WeightsSource::Cache,
            }),
            GradcamAction::Progress {
                received: 1,
                total: Some(2),
                source: WeightsSource::Cache,
            }
        );
        assert_eq!(
            action_for(FromGradcam::Failed {
                request_id: 4,
                message: "the file is empty".into(),
            }),
            GradcamAction::AnalysisFailed {
                request_id: 4,
                message: "the file is empty".into(),
            }
        );
        let ready = action_for(FromGradcam::Ready {
            protocol_version: 1,
            backend: "flex".into(),
            fallback_reason: Some("no adapter".into()),
            source: WeightsSource::Network,
            load_ms: 3.0,
            class_names: vec!["tench".into()],
        });
        assert!(matches!(ready, GradcamAction::Ready { ref backend, .. } if backend == "flex"));
    }
}
