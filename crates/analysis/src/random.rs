//! Seeded randomness for the bootstraps: the same seed and data give the same figures on every
//! machine and with every later version of veedor.
//!
//! The stream is ChaCha8 (`rand_chacha`, whose output for a seed is fixed by its specification);
//! indexes are drawn from it here, by Lemire's multiply-and-reject method ("Fast Random Integer
//! Generation in an Interval", ACM TOMACS 2019), rather than by `rand`'s uniform sampling, whose
//! algorithm a future version may change.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// A seeded generator of uniform indexes.
#[derive(Debug)]
pub(crate) struct Draws {
    stream: ChaCha8Rng,
}

impl Draws {
    /// The generator for one task (`parts` say which: the projection, or one area's forensic
    /// test of one candidate), derived from the analysis's seed so that tasks are independent
    /// and each is reproducible on its own.
    pub(crate) fn new(seed: u64, parts: &[u64]) -> Self {
        let mixed = parts.iter().fold(split_mix(seed), |state, part| {
            split_mix(state ^ split_mix(*part))
        });
        Self {
            stream: ChaCha8Rng::seed_from_u64(mixed),
        }
    }

    /// A uniform index in `0..bound` (`bound` > 0), without bias.
    pub(crate) fn below(&mut self, bound: u32) -> u32 {
        debug_assert!(bound > 0);
        let bound64 = u64::from(bound);
        let mut product = u64::from(self.stream.next_u32()) * bound64;
        // The low 32 bits of the product; the high ones are the draw.
        let mut low = product & 0xFFFF_FFFF;
        if low < bound64 {
            let threshold = (1u64 << 32).wrapping_sub(bound64) % bound64;
            while low < threshold {
                product = u64::from(self.stream.next_u32()) * bound64;
                low = product & 0xFFFF_FFFF;
            }
        }
        u32::try_from(product >> 32).unwrap_or(0)
    }

    /// One bootstrap resample of `drawn.len()` items: as many uniform draws, counted in `drawn`
    /// (how often each item was drawn).
    pub(crate) fn resample(&mut self, drawn: &mut [u32]) {
        drawn.fill(0);
        let n = u32::try_from(drawn.len()).unwrap_or(u32::MAX);
        for _ in 0..n {
            let index = usize::try_from(self.below(n)).unwrap_or(0);
            drawn[index] += 1;
        }
    }
}

/// SplitMix64's finaliser (Steele, Lea and Flood, 2014): spreads a seed's bits.
fn split_mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_reproducible_and_uniform() {
        let take = |seed, parts: &[u64]| {
            let mut draws = Draws::new(seed, parts);
            (0..8).map(|_| draws.below(10)).collect::<Vec<_>>()
        };
        assert_eq!(take(1, &[2]), take(1, &[2]));
        assert_ne!(take(1, &[2]), take(1, &[3]));
        assert_ne!(take(1, &[2]), take(2, &[2]));
        let mut draws = Draws::new(7, &[]);
        let mut counts = [0u32; 7];
        for _ in 0..70_000 {
            counts[usize::try_from(draws.below(7)).unwrap_or(0)] += 1;
        }
        // Each of 7 values about 10,000 times (a standard deviation is about 93).
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
        assert!((0..1000).all(|_| draws.below(1) == 0));
    }
}
