//! Messages between the UI thread and the cluster worker. Encoded with serde-wasm-bindgen
//! (see [`crate::codec`]); both sides are built from this one definition.

use serde::{Deserialize, Serialize};

/// The protocol revision; bump it when a message changes shape.
pub const PROTOCOL_VERSION: u32 = 1;

/// UI -> cluster worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToCluster {
    /// Liveness check; the worker answers [`FromCluster::Pong`] with the same nonce.
    Ping { nonce: u32 },
    /// Move the virtual clock forward by this many milliseconds.
    Advance { millis: u64 },
}

/// Cluster worker -> UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FromCluster {
    Pong {
        nonce: u32,
        protocol_version: u32,
        /// The seed the simulation runs with.
        seed: u64,
        /// Virtual time in milliseconds since the simulation started.
        virtual_time_ms: u64,
    },
    /// The virtual clock moved.
    Clock { virtual_time_ms: u64 },
}
