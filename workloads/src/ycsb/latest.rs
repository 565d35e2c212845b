//! YCSB's `SkewedLatestGenerator` (the `latest` request distribution of
//! workload D): the most recently inserted record is the most popular, and
//! popularity falls off zipfian-like with age. The zipfian's item count
//! grows as records are inserted.

use super::zipfian::Zipfian;
use rand::Rng;

/// Draws record indexes skewed toward the newest.
#[derive(Debug, Clone)]
pub struct SkewedLatest {
    zipfian: Zipfian,
}

impl SkewedLatest {
    /// A generator for a table whose newest record index is `last`, with
    /// zipfian constant `theta`.
    pub fn new(last: u64, theta: f64) -> Self {
        SkewedLatest {
            zipfian: Zipfian::new(last.max(1), theta),
        }
    }

    /// The next index given the newest record index `last`: `last − r`
    /// for a zipfian rank `r` over `last` items (as YCSB: index 0 is never
    /// drawn once more than one record exists).
    pub fn next(&mut self, last: u64, rng: &mut impl Rng) -> u64 {
        self.zipfian.grow_to(last.max(1));
        last.saturating_sub(self.zipfian.next(rng))
    }
}
