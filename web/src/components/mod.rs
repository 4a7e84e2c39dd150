//! Presentational components. They render props and emit callbacks; state lives in
//! [`crate::state`].

pub mod app;
pub mod editor_pane;
pub mod events;
pub mod graph;
pub mod inspector;
pub mod lab_tabs;
pub mod notices;
pub mod session_controls;
pub mod shell;
pub mod splitter;
pub mod terminal;
pub mod terminal_tabs;
pub mod time_controls;
