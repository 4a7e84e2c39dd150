//! Virtual time. The simulation's only notion of "now".

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// An instant on the virtual clock: milliseconds since the simulation started.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct VirtualTime(u64);

impl VirtualTime {
    /// The instant the simulation starts at.
    pub const ZERO: Self = Self(0);

    pub fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// Time elapsed since `earlier`, or zero when `earlier` is in the future.
    pub fn saturating_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// This instant moved forward by `by`, saturating at the far future.
    pub fn saturating_add(self, by: Duration) -> Self {
        let millis = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        Self(self.0.saturating_add(millis))
    }
}

/// A clock that moves only when its owner advances it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualClock {
    now: VirtualTime,
}

impl VirtualClock {
    pub fn now(&self) -> VirtualTime {
        self.now
    }

    /// Moves the clock forward. Time never runs backwards.
    pub fn advance(&mut self, by: Duration) -> VirtualTime {
        self.now = self.now.saturating_add(by);
        self.now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_forward_and_saturates() {
        let mut clock = VirtualClock::default();
        assert_eq!(clock.advance(Duration::from_secs(3)).as_millis(), 3_000);
        assert_eq!(
            clock.now().saturating_since(VirtualTime::ZERO),
            Duration::from_secs(3)
        );
        assert_eq!(
            VirtualTime::ZERO.saturating_since(clock.now()),
            Duration::ZERO
        );
        clock.advance(Duration::MAX);
        assert_eq!(clock.now().as_millis(), u64::MAX);
    }
}
