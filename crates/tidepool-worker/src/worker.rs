//! The Web Worker body: moves messages between gloo-worker and [`ClusterHandler`], ticks the
//! virtual clock from a real-time interval, and moves saved sessions to and from IndexedDB.

use crate::ClusterHandler;
use crate::answer_slot::{AnswerSlot, SlotContent};
use crate::codec::SerdeWasmBindgen;
use crate::idb;
use crate::persist::Notice;
use crate::protocol::{FromCluster, ToCluster};
use gloo_timers::callback::Interval;
use gloo_worker::{HandlerId, Registrable, Worker, WorkerScope};
use std::time::Duration;

/// How often the worker advances the clock, in real milliseconds.
const TICK_MS: u32 = 250;
/// Ticks to wait for the saved session before starting without it (storage that never
/// answers must not leave the playground without a cluster).
const LOAD_PATIENCE_TICKS: u32 = 16;

/// Messages the worker sends itself.
pub enum Internal {
    Tick,
    /// The saved session was read from storage (or reading failed).
    Loaded(Result<idb::Loaded, String>),
    /// A storage write failed.
    StorageFailed(String),
}

/// The dedicated worker that owns the cluster simulation.
pub struct ClusterWorker {
    handler: ClusterHandler,
    subscribers: Vec<HandlerId>,
    /// Messages that arrived while the saved session was loading, answered once it is in.
    waiting: Option<Vec<(ToCluster, HandlerId)>>,
    /// Saving stops after a storage failure (reported once).
    storage_ok: bool,
    /// Ticks spent waiting for the saved session.
    waited_ticks: u32,
    /// The page's answer slot, when it is cross-origin isolated and sent one.
    slot: Option<AnswerSlot>,
    _ticker: Interval,
}

impl ClusterWorker {
    fn broadcast(&self, scope: &WorkerScope<Self>, message: &FromCluster) {
        for id in &self.subscribers {
            scope.respond(*id, message.clone());
        }
    }
}

impl Worker for ClusterWorker {
    type Message = Internal;
    type Input = ToCluster;
    type Output = FromCluster;

    fn create(scope: &WorkerScope<Self>) -> Self {
        let ticker = {
            let scope = scope.clone();
            Interval::new(TICK_MS, move || scope.send_message(Internal::Tick))
        };
        {
            let scope = scope.clone();
            wasm_bindgen_futures::spawn_local(async move {
                scope.send_message(Internal::Loaded(idb::load_session().await));
            });
        }
        wasm_bindgen_futures::spawn_local(crate::explain_data::load());
        Self {
            handler: ClusterHandler::default(),
            subscribers: Vec::new(),
            waiting: Some(Vec::new()),
            storage_ok: true,
            waited_ticks: 0,
            slot: None,
            _ticker: ticker,
        }
    }

    fn update(&mut self, scope: &WorkerScope<Self>, msg: Self::Message) {
        match msg {
            Internal::Tick => {
                if self.waiting.is_some() {
                    self.waited_ticks += 1;
                    if self.waited_ticks >= LOAD_PATIENCE_TICKS {
                        let reason = format!(
                            "IndexedDB did not answer within {} s",
                            LOAD_PATIENCE_TICKS * TICK_MS / 1000
                        );
                        self.update(scope, Internal::Loaded(Err(reason)));
                    }
                    return;
                }
                let elapsed = Duration::from_millis(TICK_MS.into());
                for reply in self.handler.tick(elapsed) {
                    self.broadcast(scope, &reply);
                }
                if let Some(text) = self.handler.take_save(elapsed)
                    && self.storage_ok
                {
                    let scope = scope.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Err(reason) = idb::put(idb::SESSION_KEY, &text).await {
                            scope.send_message(Internal::StorageFailed(reason));
                        }
                    });
                }
            }
            Internal::Loaded(loaded) => {
                if self.waiting.is_none() {
                    // Storage answered after we gave up on it: keep the running session.
                    return;
                }
                let replies = match loaded {
                    Ok(idb::Loaded::Nothing) => Vec::new(),
                    Ok(idb::Loaded::Text(text)) => {
                        // Milliseconds since the epoch make the set-aside key unique.
                        let stamp = js_sys::Date::now() as u64;
                        let replies = self
                            .handler
                            .restore_saved(&text, &idb::set_aside_key(stamp));
                        let unreadable = replies.iter().any(|r| {
                            matches!(
                                r,
                                FromCluster::Notice {
                                    notice: Notice::SetAside { .. }
                                }
                            )
                        });
                        if unreadable {
                            let scope = scope.clone();
                            wasm_bindgen_futures::spawn_local(async move {
                                if let Err(reason) = idb::set_aside(&text, stamp).await {
                                    scope.send_message(Internal::StorageFailed(reason));
                                }
                            });
                        }
                        replies
                    }
                    Err(reason) => {
                        self.storage_ok = false;
                        vec![FromCluster::Notice {
                            notice: Notice::StorageFailed { reason },
                        }]
                    }
                };
                for reply in &replies {
                    self.broadcast(scope, reply);
                }
                for (message, id) in self.waiting.take().unwrap_or_default() {
                    self.received(scope, message, id);
                }
            }
            Internal::StorageFailed(reason) => {
                if self.storage_ok {
                    self.storage_ok = false;
                    self.broadcast(
                        scope,
                        &FromCluster::Notice {
                            notice: Notice::StorageFailed { reason },
                        },
                    );
                }
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

    fn received(&mut self, scope: &WorkerScope<Self>, msg: Self::Input, id: HandlerId) {
        // The slot is memory, not a request: attach it at once, even while loading.
        if let ToCluster::AttachAnswerSlot { slot } = msg {
            self.slot = AnswerSlot::over(slot.0);
            return;
        }
        if let Some(waiting) = &mut self.waiting {
            waiting.push((msg, id));
            return;
        }
        let line = matches!(msg, ToCluster::Line { .. });
        let received_at_us = epoch_us();
        // The answer is posted before the cluster view is diffed: a command's output must
        // not wait for the graph.
        let mut replies = self.handler.answer(msg);
        // The slot first: the page may be spinning on it right now.
        if let Some(content) = self.handler.take_slot_content() {
            let written = match (&self.slot, content) {
                (Some(slot), SlotContent::Answer(answer)) => {
                    let written = slot.write(&answer);
                    if !written {
                        slot.decline(answer.seq);
                    }
                    written
                }
                (Some(slot), SlotContent::Declined { seq }) => {
                    slot.decline(seq);
                    false
                }
                (None, _) => false,
            };
            if !written {
                replies.retain(|r| !matches!(r, FromCluster::AnsweredInSlot { .. }));
            }
        }
        for reply in replies {
            scope.respond(id, reply);
        }
        if line {
            let answered_at_us = epoch_us();
            scope.respond(
                id,
                FromCluster::Handled {
                    received_at_us,
                    answered_at_us,
                },
            );
        }
        for update in self.handler.view_update() {
            scope.respond(id, update);
        }
    }
}

/// Microseconds since the epoch: `performance.timeOrigin + performance.now()`, which the page
/// can compare with its own.
fn epoch_us() -> u64 {
    #[wasm_bindgen::prelude::wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = performance, js_name = now)]
        fn performance_now() -> f64;
    }
    let origin = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .and_then(|performance| js_sys::Reflect::get(&performance, &"timeOrigin".into()))
        .ok()
        .and_then(|origin| origin.as_f64())
        .unwrap_or(0.0);
    ((origin + performance_now()) * 1000.0) as u64
}

/// Runs the cluster worker in the current (worker) global scope.
pub fn register() {
    ClusterWorker::registrar()
        .encoding::<SerdeWasmBindgen>()
        .register();
}
