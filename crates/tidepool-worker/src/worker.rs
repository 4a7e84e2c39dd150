//! The Web Worker body: moves messages between gloo-worker and [`ClusterHandler`], and ticks
//! the virtual clock from a real-time interval.

use crate::ClusterHandler;
use crate::codec::SerdeWasmBindgen;
use crate::protocol::{FromCluster, ToCluster};
use gloo_timers::callback::Interval;
use gloo_worker::{HandlerId, Registrable, Worker, WorkerScope};
use std::time::Duration;

/// How often the worker advances the clock, in real milliseconds.
const TICK_MS: u32 = 250;

/// Messages the worker sends itself.
pub enum Internal {
    Tick,
}

/// The dedicated worker that owns the cluster simulation.
pub struct ClusterWorker {
    handler: ClusterHandler,
    subscribers: Vec<HandlerId>,
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
        Self {
            handler: ClusterHandler::default(),
            subscribers: Vec::new(),
            _ticker: ticker,
        }
    }

    fn update(&mut self, scope: &WorkerScope<Self>, msg: Self::Message) {
        match msg {
            Internal::Tick => {
                if let Some(clock) = self.handler.tick(Duration::from_millis(TICK_MS.into())) {
                    self.broadcast(scope, &clock);
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
        for reply in self.handler.handle(msg) {
            scope.respond(id, reply);
        }
    }
}

/// Runs the cluster worker in the current (worker) global scope.
pub fn register() {
    ClusterWorker::registrar()
        .encoding::<SerdeWasmBindgen>()
        .register();
}
