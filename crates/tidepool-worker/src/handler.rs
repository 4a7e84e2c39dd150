//! The worker's behaviour as a pure function of (state, message): no DOM, no timers.

use crate::protocol::{FromCluster, PROTOCOL_VERSION, ToCluster};
use std::time::Duration;
use tidepool_core::{Simulation, SimulationConfig};

/// Owns the simulation and answers protocol messages.
#[derive(Debug)]
pub struct ClusterHandler {
    sim: Simulation,
}

impl ClusterHandler {
    pub fn new(config: &SimulationConfig) -> Self {
        Self {
            sim: Simulation::new(config),
        }
    }

    /// Handles one message and returns the replies to send, in order.
    pub fn handle(&mut self, message: ToCluster) -> Vec<FromCluster> {
        match message {
            ToCluster::Ping { nonce } => vec![FromCluster::Pong {
                nonce,
                protocol_version: PROTOCOL_VERSION,
                seed: self.sim.seed(),
                virtual_time_ms: self.sim.now().as_millis(),
            }],
            ToCluster::Advance { millis } => {
                let now = self.sim.advance(Duration::from_millis(millis));
                vec![FromCluster::Clock {
                    virtual_time_ms: now.as_millis(),
                }]
            }
        }
    }
}

impl Default for ClusterHandler {
    fn default() -> Self {
        Self::new(&SimulationConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_answers_pong_with_the_same_nonce() {
        let mut handler = ClusterHandler::new(&SimulationConfig { seed: 5 });
        assert_eq!(
            handler.handle(ToCluster::Ping { nonce: 77 }),
            vec![FromCluster::Pong {
                nonce: 77,
                protocol_version: PROTOCOL_VERSION,
                seed: 5,
                virtual_time_ms: 0
            }]
        );
    }

    #[test]
    fn advance_moves_the_virtual_clock() {
        let mut handler = ClusterHandler::default();
        handler.handle(ToCluster::Advance { millis: 1_500 });
        assert_eq!(
            handler.handle(ToCluster::Advance { millis: 500 }),
            vec![FromCluster::Clock {
                virtual_time_ms: 2_000
            }]
        );
    }
}
