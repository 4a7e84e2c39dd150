//! Messages between the UI thread and the cluster worker. Encoded with serde-wasm-bindgen
//! (see [`crate::codec`]); both sides are built from this one definition.

use serde::{Deserialize, Serialize};
pub use tidepool_shell::{Effect, Stream};

/// The protocol revision; bump it when a message changes shape.
pub const PROTOCOL_VERSION: u32 = 2;

/// UI -> cluster worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToCluster {
    /// Liveness check; the worker answers [`FromCluster::Pong`] with the same nonce.
    Ping { nonce: u32 },
    /// Move the virtual clock forward by this many milliseconds (the "step" control).
    Advance { millis: u64 },
    /// Virtual seconds per real second; 0 pauses the clock.
    SetSpeed { speed: u32 },
    /// One line typed in the terminal (heredocs arrive line by line).
    Line { text: String },
    /// Tab completion for `line` with the cursor at byte `cursor`.
    Complete { line: String, cursor: u32 },
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
        /// The prompt to show before the first line.
        prompt: String,
    },
    /// The virtual clock moved.
    Clock { virtual_time_ms: u64, speed: u32 },
    /// A command line finished.
    Output {
        /// Output in terminal order, stdout and stderr interleaved.
        chunks: Vec<(Stream, String)>,
        exit_code: i32,
        effects: Vec<Effect>,
        /// The prompt for the next line.
        prompt: String,
    },
    /// The line left a heredoc or quote open: show this prompt and send the next line.
    Continue { prompt: String },
    /// Candidates for a [`ToCluster::Complete`] request.
    Completions {
        line: String,
        cursor: u32,
        candidates: Vec<String>,
    },
}
