//! YCSB's `ScrambledZipfianGenerator`: ranks from a zipfian over a very
//! large item count (10^10), each hashed with FNV-1a and taken modulo the
//! record count. The popularity profile stays zipfian-like but the hot
//! items are scattered across the key space instead of clustered at 0.

use super::hash::fnv_hash64;
use super::zipfian::{zeta, Zipfian, DEFAULT_ZIPF_CONSTANT};
use rand::Rng;

/// YCSB's item count for the underlying zipfian.
pub const SCRAMBLED_ITEM_COUNT: u64 = 10_000_000_000;
/// YCSB's precomputed `zeta(10^10, 0.99)`.
const ZETAN_0_99: f64 = 26.469_028_201_783_02;

/// Scrambled zipfian draws in `[0, items)`.
#[derive(Debug, Clone)]
pub struct ScrambledZipfian {
    items: u64,
    zipfian: Zipfian,
}

impl ScrambledZipfian {
    /// Draws over `items` items (at least 1) with zipfian constant `theta`.
    pub fn new(items: u64, theta: f64) -> Self {
        let zetan = if theta == DEFAULT_ZIPF_CONSTANT {
            ZETAN_0_99
        } else {
            zeta(SCRAMBLED_ITEM_COUNT, theta)
        };
        ScrambledZipfian {
            items: items.max(1),
            zipfian: Zipfian::with_zetan(SCRAMBLED_ITEM_COUNT, theta, zetan),
        }
    }

    /// The next item.
    pub fn next(&mut self, rng: &mut impl Rng) -> u64 {
        fnv_hash64(self.zipfian.next(rng)) % self.items
    }
}
