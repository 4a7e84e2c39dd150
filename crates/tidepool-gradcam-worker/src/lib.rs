//! The Grad-CAM lab's dedicated Web Worker.
//!
//! **API boundary:** [`protocol`] is the only channel between the UI and the model. The UI
//! sends [`protocol::ToGradcam`] and receives [`protocol::FromGradcam`]. The UI depends on
//! this crate *without* the `model` feature: it gets the protocol, the codec, the overlay
//! blend and the worker type, never burn, so the UI's wasm stays small and the model's wasm
//! is downloaded only when the lab opens.
//!
//! - [`protocol`]: the messages.
//! - [`analysis`] (feature `model`): loading and explaining, web-free; tests call it directly.
//! - [`worker`]: the gloo-worker body (weights fetched with progress through the Cache API).
//! - [`blend`]: the overlay, re-blended on the UI side when the opacity changes.

#[cfg(feature = "model")]
pub mod analysis;
pub mod blend;
pub mod codec;
pub mod protocol;
mod worker;

pub use worker::{GradcamWorker, Internal, now_ms, register};

/// Where Trunk publishes the Grad-CAM worker's loader script (see `web/index.html`).
pub const GRADCAM_WORKER_LOADER: &str = "./gradcam-worker_loader.js";
