//! The simulation's single source of randomness.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// A seeded, portable RNG: the same seed gives the same stream on every platform
/// (native and wasm32), which golden transcript tests rely on.
#[derive(Debug, Clone)]
pub struct SimRng {
    seed: u64,
    inner: ChaCha8Rng,
}

impl SimRng {
    pub fn seeded(seed: u64) -> Self {
        Self {
            seed,
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// The seed this RNG started from; print it when a test fails.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream position, for snapshots.
    pub fn word_pos(&self) -> u128 {
        self.inner.get_word_pos()
    }

    /// Jumps to a stream position saved by [`SimRng::word_pos`].
    pub fn set_word_pos(&mut self, pos: u128) {
        self.inner.set_word_pos(pos);
    }

    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A uniformly distributed value in `0..bound` (`bound` > 0), without modulo bias.
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "SimRng::below needs a positive bound");
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let value = self.inner.next_u64();
            if value < zone {
                return value % bound;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = SimRng::seeded(42);
        let mut b = SimRng::seeded(42);
        let xs: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(
            xs,
            (0..16)
                .map(|_| SimRng::seeded(43).next_u64())
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = SimRng::seeded(7);
        for bound in [1, 2, 3, 27, 1_000] {
            for _ in 0..200 {
                assert!(rng.below(bound) < bound);
            }
        }
    }
}
