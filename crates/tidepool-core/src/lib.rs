//! The Tidepool simulation core.
//!
//! **Architecture invariant:** this crate does no I/O. It never reads a wall clock, never asks
//! the OS for randomness, never prints and never touches the web. Time is a [`VirtualClock`]
//! and randomness a [`SimRng`], both owned by the [`Simulation`] and advanced only by its
//! host through [`Simulation::advance`]. Same seed + same inputs = same bytes out.
//! `clippy.toml` enforces the most common ways to break this.

mod clock;
mod rng;
mod sim;

pub use clock::{VirtualClock, VirtualTime};
pub use rng::SimRng;
pub use sim::{Simulation, SimulationConfig};
