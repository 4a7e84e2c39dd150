//! The Tidepool playground UI.
//!
//! State lives in one reducer ([`state`]); components are presentational and receive what
//! they show as props. The only way to the simulation is the cluster worker's typed protocol
//! (`tidepool_worker::protocol`), reached through [`worker_link`].

pub mod components;
pub mod gradcam;
pub mod i18n;
pub mod line_editor;
pub mod state;
mod worker_link;
mod xterm;

pub use components::app::{App, AppProps};

/// Mounts the app on `<body>`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
