//! The UI end of the cluster worker: spawns it and turns its replies into [`AppAction`]s.

use crate::state::AppAction;
use gloo_worker::{Spawnable, WorkerBridge};
use tidepool_worker::ClusterWorker;
use tidepool_worker::codec::SerdeWasmBindgen;
use tidepool_worker::protocol::{FromCluster, ToCluster};

/// Maps a worker reply to the action that records it.
pub fn action_for(reply: FromCluster) -> AppAction {
    match reply {
        FromCluster::Pong {
            seed,
            virtual_time_ms,
            protocol_version,
            ..
        } => AppAction::WorkerAnswered {
            seed,
            virtual_time_ms,
            protocol_version,
        },
        FromCluster::Clock { virtual_time_ms } => AppAction::ClockMoved { virtual_time_ms },
    }
}

/// Spawns the cluster worker from `loader_url` and pings it; replies go to `on_action`.
pub fn spawn(
    loader_url: &str,
    on_action: impl Fn(AppAction) + 'static,
) -> WorkerBridge<ClusterWorker> {
    let bridge = ClusterWorker::spawner()
        .callback(move |reply| on_action(action_for(reply)))
        .encoding::<SerdeWasmBindgen>()
        .with_loader(true)
        .as_module(false)
        .spawn(loader_url);
    bridge.send(ToCluster::Ping { nonce: 1 });
    bridge
}
