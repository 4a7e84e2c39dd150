//! The boundary between the UI thread and the cluster simulation.
//!
//! **API boundary:** [`protocol`] is the only channel between the UI and the simulation. The UI
//! sends [`protocol::ToCluster`] and receives [`protocol::FromCluster`]; nothing else crosses.
//! The worker body ([`ClusterWorker`]) only moves messages: all behaviour lives in the pure
//! [`ClusterHandler`], which tests drive in-process.

pub mod answer_slot;
pub mod cluster_view;
pub mod codec;
pub mod editor;
pub mod explain_data;
mod handler;
pub mod idb;
pub mod persist;
pub mod protocol;
mod worker;

pub use handler::{ClusterHandler, SAVE_INTERVAL};
pub use worker::{ClusterWorker, register};

/// Where Trunk publishes the cluster worker's loader script (see `web/index.html`).
pub const CLUSTER_WORKER_LOADER: &str = "./cluster-worker_loader.js";
