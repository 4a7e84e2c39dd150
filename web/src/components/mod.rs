//! Presentational components. They render props and emit callbacks; state lives in
//! [`crate::state`].

pub mod app;
pub mod lab_tabs;
pub mod shell;
pub mod terminal;
pub mod time_controls;
