//! The Grad-CAM lab: a page with its own reducer ([`state`]) and its own worker
//! (`tidepool-gradcam-worker`, spawned when the lab is first opened, so neither its wasm nor
//! the model weights load before that).

pub mod i18n;
pub mod lab;
pub mod page;
pub mod state;
pub mod view;

pub use lab::GradcamLab;
pub use page::GradcamPage;
