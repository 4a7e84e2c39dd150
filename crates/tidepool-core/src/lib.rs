//! The Tidepool simulation core: a deterministic, sans-IO simulation of a Kubernetes v1.32
//! control plane.
//!
//! **Architecture invariant:** this crate does no I/O. It never reads a wall clock, never asks
//! the OS for randomness, never prints and never touches the web. Time is a [`VirtualClock`]
//! and randomness a [`SimRng`], both owned by the [`Simulation`] and advanced only by its
//! host through [`Simulation::advance`]. Same seed + same inputs = same bytes out.
//! `clippy.toml` enforces the most common ways to break this.
//!
//! # Public API (stable surface for hosts and the kubectl layer)
//!
//! - [`Simulation`] (`sim.rs`): `new(&SimulationConfig)` (default kubeadm-like cluster, settled
//!   at virtual time 0), `with_cluster(&SimulationConfig, &ClusterConfig)`,
//!   `advance(Duration) -> VirtualTime` (runs controllers, scheduler, kubelet and timers
//!   due up to the new time, in order), `now()`, `seed()`, `api() -> &ApiServer`,
//!   `api_mut() -> &mut ApiServer`, `add_node(&NodeConfig)`, `remove_node(name)`,
//!   `set_node_reporting(name, bool)`, `snapshot() -> Snapshot`,
//!   `Simulation::restore(&Snapshot)`.
//! - [`ApiServer`] (`api.rs`): `create`, `get`, `get_ref`, `list`, `update`, `update_status`,
//!   `patch(kind, ns, name, PatchType, &json)`, `apply(Object) -> (Object, ApplyOutcome)`,
//!   `scale`, `delete(kind, ns, name, &DeleteOptions)`, `watch(revision) -> &[WatchEvent]`
//!   (`WatchEvent::object` is an `Arc<Object>` shared with the store), `store()`, `now()`.
//!   Errors are [`ApiError`] with the apiserver's reason, HTTP code and exact message.
//! - Manifests: [`decode_manifests`] (`decode.rs`) turns YAML/JSON text into [`Object`]s or a
//!   [`DecodeError`] (syntax with line, REST mapping `no matches for kind ...`, strict decoding,
//!   wrong types); `DecodeError::is_server_side` says which kubectl prints as
//!   `Error from server (BadRequest)`.
//! - Objects: [`Object`] is an enum over the real `k8s-openapi` v1.32 types; [`Kind`] names the
//!   20 served kinds (plural, apiVersion, namespaced, `qualified_singular`); [`ObjectKey`].
//! - Rollouts ([`rollout`], `controllers/deployment.rs`): `rollback`, `history`, `set_paused`,
//!   `restart`, with kubectl's error texts in [`rollout::RolloutError`].
//! - Events: [`events::events_for`] lists an object's events as `kubectl describe` shows them
//!   (count, firstTimestamp, lastTimestamp already aggregated).
//! - Helpers for printers: [`selector::format_selector`], [`selector::format_labels`],
//!   [`api::timestamp`] / [`api::virtual_time`] (virtual zero = 2026-01-01T00:00:00Z),
//!   [`quantity`].
//! - Kubelet ([`kubelet`]): image pulls, container states, restarts with back-off, init
//!   containers, probes, graceful termination, static pods, OOM kills, logs and usage.
//!   `Simulation` exposes `container_logs`, `exec`, `manifests`/`write_manifest`/
//!   `remove_manifest` and `pod_usage`.

mod admission;
pub mod api;
mod clock;
pub mod cluster;
pub mod controllers;
pub mod decode;
mod defaults;
pub mod disruption;
pub mod ephemeral;
pub mod errors;
pub mod events;
pub mod kubelet;
pub mod naming;
pub mod networking;
pub mod objects;
pub mod priority;
pub mod quantity;
pub mod rbac;
mod rng;
pub mod scheduler;
pub mod selector;
mod sim;
pub mod stable_sort;
pub mod storage;
pub mod store;
pub mod token;
pub mod validation;

pub use api::{ApiServer, ApplyOutcome, DeleteOptions, PatchType, Propagation};
pub use clock::{VirtualClock, VirtualTime};
pub use cluster::{ClusterConfig, NodeConfig};
pub use controllers::deployment as rollout;
pub use decode::{DecodeError, decode_manifests};
pub use errors::{ApiError, FieldError, StatusReason};
pub use objects::{Kind, Object, ObjectKey};
pub use rng::SimRng;
pub use sim::{ExecError, Simulation, SimulationConfig, Snapshot, SnapshotError};
pub use store::{WatchEvent, WatchEventType};
