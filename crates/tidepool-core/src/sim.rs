//! The simulation: the one object hosts drive.

use crate::{SimRng, VirtualClock, VirtualTime};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a host chooses when it creates a simulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationConfig {
    /// Seed for every random choice the simulation makes.
    pub seed: u64,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        Self { seed: 1 }
    }
}

/// A deterministic cluster simulation. Hosts feed it inputs and read its outputs; it never
/// reaches out.
#[derive(Debug, Clone)]
pub struct Simulation {
    clock: VirtualClock,
    rng: SimRng,
    steps: u64,
}

impl Simulation {
    pub fn new(config: &SimulationConfig) -> Self {
        Self {
            clock: VirtualClock::default(),
            rng: SimRng::seeded(config.seed),
            steps: 0,
        }
    }

    pub fn now(&self) -> VirtualTime {
        self.clock.now()
    }

    pub fn seed(&self) -> u64 {
        self.rng.seed()
    }

    /// How many times [`Simulation::advance`] has run.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The single entry point that moves the simulation: advances virtual time by `by`.
    pub fn advance(&mut self, by: Duration) -> VirtualTime {
        self.steps += 1;
        self.clock.advance(by)
    }

    /// Draws from the simulation's seeded RNG.
    pub fn random_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64) -> (u64, Vec<u64>) {
        let mut sim = Simulation::new(&SimulationConfig { seed });
        let mut draws = Vec::new();
        for step in 1..=10 {
            sim.advance(Duration::from_millis(250 * step));
            draws.push(sim.random_u64());
        }
        (sim.now().as_millis(), draws)
    }

    #[test]
    fn same_seed_same_run() {
        assert_eq!(run(9), run(9));
        assert_ne!(run(9).1, run(10).1);
        assert_eq!(run(9).0, 250 * 55);
    }
}
