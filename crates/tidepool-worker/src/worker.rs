//! The Web Worker body: moves messages between gloo-worker and [`ClusterHandler`].

use crate::ClusterHandler;
use crate::codec::SerdeWasmBindgen;
use crate::protocol::{FromCluster, ToCluster};
use gloo_worker::{HandlerId, Registrable, Worker, WorkerScope};

/// The dedicated worker that owns the cluster simulation.
pub struct ClusterWorker {
    handler: ClusterHandler,
}

impl Worker for ClusterWorker {
    type Message = ();
    type Input = ToCluster;
    type Output = FromCluster;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        Self {
            handler: ClusterHandler::default(),
        }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: Self::Message) {}

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
