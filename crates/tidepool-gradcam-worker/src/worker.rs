//! The Web Worker body: fetches the weights (streamed, with progress, through the Cache API),
//! and moves messages between gloo-worker and [`crate::analysis`]. Without the `model`
//! feature (the UI's build) the type exists only so the UI can spawn and talk to it.

use crate::codec::SerdeWasmBindgen;
use crate::protocol::{FromGradcam, ToGradcam};
use gloo_worker::{HandlerId, Registrable, Worker, WorkerScope};

#[cfg(feature = "model")]
use crate::analysis::{LoadedModel, all_class_names, load_model};
#[cfg(feature = "model")]
use crate::protocol::{AnalyseOptions, PROTOCOL_VERSION, WeightsSource};
#[cfg(feature = "model")]
use std::rc::Rc;

/// Messages the worker sends itself from its async tasks.
pub enum Internal {
    /// Send to every connected UI.
    Broadcast(FromGradcam),
    /// Send to one UI.
    Reply(HandlerId, FromGradcam),
    /// The weights finished loading (or failed).
    #[cfg(feature = "model")]
    Loaded(Result<(Rc<LoadedModel>, FromGradcam), String>),
}

#[cfg(feature = "model")]
enum LoadState {
    NotStarted,
    Loading,
    Ready(Rc<LoadedModel>, FromGradcam),
    Failed(String),
}

/// The dedicated worker that hosts the Grad-CAM model.
pub struct GradcamWorker {
    subscribers: Vec<HandlerId>,
    #[cfg(feature = "model")]
    state: LoadState,
    /// Analyses asked for before the model was ready.
    #[cfg(feature = "model")]
    waiting: Vec<(HandlerId, u32, Vec<u8>, AnalyseOptions)>,
}

impl GradcamWorker {
    fn broadcast(&self, scope: &WorkerScope<Self>, message: &FromGradcam) {
        for id in &self.subscribers {
            scope.respond(*id, message.clone());
        }
    }
}

/// Runs `task` on the worker's event loop and hands its result to [`Worker::update`].
#[cfg(feature = "model")]
fn spawn(scope: &WorkerScope<GradcamWorker>, task: impl Future<Output = Internal> + 'static) {
    let scope = scope.clone();
    wasm_bindgen_futures::spawn_local(async move { scope.send_message(task.await) });
}

#[cfg(feature = "model")]
impl GradcamWorker {
    fn start_loading(&mut self, scope: &WorkerScope<Self>, url: String, prefer_gpu: bool) {
        self.state = LoadState::Loading;
        let progress_scope = scope.clone();
        spawn(scope, async move {
            let started = now_ms();
            let progress = move |received: u64, total: Option<u64>, source: WeightsSource| {
                progress_scope.send_message(Internal::Broadcast(FromGradcam::Progress {
                    received,
                    total,
                    source,
                }));
            };
            let result = async {
                let (bytes, source) = fetch::weights(&url, &progress).await?;
                let model = match load_model(bytes, prefer_gpu).await {
                    Ok(model) => model,
                    // A damaged cache entry must not break the lab for good: drop it and
                    // download again.
                    Err(_) if source == WeightsSource::Cache => {
                        fetch::forget(&url).await;
                        let (bytes, _) = fetch::weights(&url, &progress).await?;
                        load_model(bytes, prefer_gpu).await?
                    }
                    Err(e) => return Err(e),
                };
                let ready = FromGradcam::Ready {
                    protocol_version: PROTOCOL_VERSION,
                    backend: model.backend_name().to_owned(),
                    fallback_reason: model.fallback_reason().map(str::to_owned),
                    source,
                    load_ms: now_ms() - started,
                    class_names: all_class_names(),
                };
                Ok((Rc::new(model), ready))
            }
            .await;
            Internal::Loaded(result)
        });
    }

    fn start_analysis(
        scope: &WorkerScope<Self>,
        model: Rc<LoadedModel>,
        (id, request_id, image, options): (HandlerId, u32, Vec<u8>, AnalyseOptions),
    ) {
        spawn(scope, async move {
            let reply = match model.analyse(request_id, &image, options, &now_ms).await {
                Ok(analysis) => FromGradcam::Analysed(Box::new(analysis)),
                Err(message) => FromGradcam::Failed {
                    request_id,
                    message,
                },
            };
            Internal::Reply(id, reply)
        });
    }
}

impl Worker for GradcamWorker {
    type Message = Internal;
    type Input = ToGradcam;
    type Output = FromGradcam;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        Self {
            subscribers: Vec::new(),
            #[cfg(feature = "model")]
            state: LoadState::NotStarted,
            #[cfg(feature = "model")]
            waiting: Vec::new(),
        }
    }

    fn update(&mut self, scope: &WorkerScope<Self>, msg: Self::Message) {
        match msg {
            Internal::Broadcast(message) => self.broadcast(scope, &message),
            Internal::Reply(id, message) => scope.respond(id, message),
            #[cfg(feature = "model")]
            Internal::Loaded(Ok((model, ready))) => {
                self.broadcast(scope, &ready);
                for request in std::mem::take(&mut self.waiting) {
                    Self::start_analysis(scope, model.clone(), request);
                }
                self.state = LoadState::Ready(model, ready);
            }
            #[cfg(feature = "model")]
            Internal::Loaded(Err(message)) => {
                self.broadcast(
                    scope,
                    &FromGradcam::LoadFailed {
                        message: message.clone(),
                    },
                );
                for (id, request_id, _, _) in std::mem::take(&mut self.waiting) {
                    scope.respond(
                        id,
                        FromGradcam::Failed {
                            request_id,
                            message: message.clone(),
                        },
                    );
                }
                self.state = LoadState::Failed(message);
            }
        }
    }

    fn connected(&mut self, _scope: &WorkerScope<Self>, id: HandlerId) {
        if !self.subscribers.contains(&id) {
            self.subscribers.push(id);
        }
    }

    fn disconnected(&mut self, _scope: &WorkerScope<Self>, id: HandlerId) {
        self.subscribers.retain(|known| *known != id);
    }

    #[cfg(feature = "model")]
    fn received(&mut self, scope: &WorkerScope<Self>, msg: Self::Input, id: HandlerId) {
        match msg {
            ToGradcam::Load {
                weights_url,
                prefer_gpu,
            } => match &self.state {
                LoadState::NotStarted | LoadState::Failed(_) => {
                    self.start_loading(scope, weights_url, prefer_gpu);
                }
                LoadState::Loading => {}
                LoadState::Ready(_, ready) => scope.respond(id, ready.clone()),
            },
            ToGradcam::Analyse {
                request_id,
                image,
                options,
            } => match &self.state {
                LoadState::Ready(model, _) => {
                    Self::start_analysis(scope, model.clone(), (id, request_id, image, options));
                }
                LoadState::Failed(message) => scope.respond(
                    id,
                    FromGradcam::Failed {
                        request_id,
                        message: message.clone(),
                    },
                ),
                LoadState::NotStarted | LoadState::Loading => {
                    self.waiting.push((id, request_id, image, options));
                }
            },
        }
    }

    #[cfg(not(feature = "model"))]
    fn received(&mut self, scope: &WorkerScope<Self>, msg: Self::Input, id: HandlerId) {
        let message = "this build of the Grad-CAM worker has no model".to_owned();
        scope.respond(
            id,
            match msg {
                ToGradcam::Load { .. } => FromGradcam::LoadFailed { message },
                ToGradcam::Analyse { request_id, .. } => FromGradcam::Failed {
                    request_id,
                    message,
                },
            },
        );
    }
}

/// Runs the Grad-CAM worker in the current (worker) global scope.
pub fn register() {
    GradcamWorker::registrar()
        .encoding::<SerdeWasmBindgen>()
        .register();
}

/// `performance.now()` of the current global (window or worker), in milliseconds; 0 where
/// there is none.
pub fn now_ms() -> f64 {
    use wasm_bindgen::JsCast;
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &"performance".into())
        .ok()
        .and_then(|performance| {
            let now = js_sys::Reflect::get(&performance, &"now".into()).ok()?;
            let now: js_sys::Function = now.dyn_into().ok()?;
            now.call0(&performance).ok()?.as_f64()
        })
        .unwrap_or(0.0)
}

/// Fetching the weights: streamed with progress, through the Cache API when there is one.
#[cfg(feature = "model")]
mod fetch {
    use crate::protocol::WeightsSource;
    use js_sys::{Reflect, Uint8Array};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Cache, ReadableStreamDefaultReader, Response, WorkerGlobalScope};

    /// The cache's name; bump it when the weights file changes.
    const CACHE_NAME: &str = "tidepool-gradcam-weights-v1";
    /// Report progress at most every this many bytes.
    const PROGRESS_STEP: u64 = 256 * 1024;

    fn describe(error: &JsValue) -> String {
        error
            .as_string()
            .or_else(|| {
                Reflect::get(error, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string())
            })
            .unwrap_or_else(|| format!("{error:?}"))
    }

    fn global() -> Result<WorkerGlobalScope, String> {
        js_sys::global()
            .dyn_into::<WorkerGlobalScope>()
            .map_err(|_| "not running in a Web Worker".to_owned())
    }

    async fn open_cache(global: &WorkerGlobalScope) -> Option<Cache> {
        // No Cache API (e.g. an insecure origin): download every time.
        let storage = global.caches().ok()?;
        JsFuture::from(storage.open(CACHE_NAME))
            .await
            .ok()?
            .dyn_into::<Cache>()
            .ok()
    }

    /// Drops a cached copy (after it failed to load).
    pub async fn forget(url: &str) {
        if let Ok(global) = global()
            && let Some(cache) = open_cache(&global).await
        {
            let _ = JsFuture::from(cache.delete_with_str(url)).await;
        }
    }

    /// The weights' bytes, from the cache when present, else from the network (and then
    /// stored in the cache).
    pub async fn weights(
        url: &str,
        progress: &dyn Fn(u64, Option<u64>, WeightsSource),
    ) -> Result<(Vec<u8>, WeightsSource), String> {
        let global = global()?;
        let cache = open_cache(&global).await;
        if let Some(cache) = &cache
            && let Ok(hit) = JsFuture::from(cache.match_with_str(url)).await
            && let Ok(response) = hit.dyn_into::<Response>()
            && let Ok(bytes) = read_body(&response, WeightsSource::Cache, progress).await
        {
            return Ok((bytes, WeightsSource::Cache));
        }
        let response: Response = JsFuture::from(global.fetch_with_str(url))
            .await
            .map_err(|e| format!("could not download the weights: {}", describe(&e)))?
            .dyn_into()
            .map_err(|_| "fetch did not return a Response".to_owned())?;
        if !response.ok() {
            return Err(format!(
                "could not download the weights: HTTP {} {}",
                response.status(),
                response.status_text()
            ));
        }
        // The cache reads its own copy of the stream while we read ours.
        let stored = match (&cache, response.clone()) {
            (Some(cache), Ok(copy)) => Some(JsFuture::from(cache.put_with_str(url, &copy))),
            _ => None,
        };
        let bytes = read_body(&response, WeightsSource::Network, progress).await?;
        if let Some(stored) = stored {
            // Not caching only costs the next visit a download.
            let _ = stored.await;
        }
        Ok((bytes, WeightsSource::Network))
    }

    async fn read_body(
        response: &Response,
        source: WeightsSource,
        progress: &dyn Fn(u64, Option<u64>, WeightsSource),
    ) -> Result<Vec<u8>, String> {
        let total = response
            .headers()
            .get("content-length")
            .ok()
            .flatten()
            .and_then(|length| length.trim().parse::<u64>().ok());
        let body = response
            .body()
            .ok_or_else(|| "the weights response has no body".to_owned())?;
        let reader: ReadableStreamDefaultReader = body
            .get_reader()
            .dyn_into()
            .map_err(|_| "the weights body has no reader".to_owned())?;
        let capacity = total.and_then(|t| usize::try_from(t).ok()).unwrap_or(0);
        let mut bytes = Vec::with_capacity(capacity);
        let mut reported = 0u64;
        progress(0, total, source);
        loop {
            let chunk = JsFuture::from(reader.read())
                .await
                .map_err(|e| format!("the weights download broke off: {}", describe(&e)))?;
            let done = Reflect::get(&chunk, &"done".into())
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            if done {
                break;
            }
            let value = Reflect::get(&chunk, &"value".into()).map_err(|e| describe(&e))?;
            let array: Uint8Array = value
                .dyn_into()
                .map_err(|_| "the weights body is not bytes".to_owned())?;
            bytes.extend_from_slice(&array.to_vec());
            let received = bytes.len() as u64;
            if received - reported >= PROGRESS_STEP {
                reported = received;
                progress(received, total, source);
            }
        }
        // No length check against Content-Length: a server may send it compressed.
        progress(bytes.len() as u64, total, source);
        Ok(bytes)
    }
}
