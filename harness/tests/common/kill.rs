//! What the kill-round crash tests (`fs_crash.rs`, `fs_mount_crash.rs`)
//! share: a seeded generator, the seed and the long run's round count from
//! the environment, and the check that the store verifies clean.

use std::ops::Range;
use std::path::Path;

/// splitmix64: a small seeded generator (the harness has no `rand`).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `range` (which must not be empty), from one draw.
    pub fn below(&mut self, range: Range<u64>) -> u64 {
        range.start + self.next() % (range.end - range.start)
    }

    /// A number in `[0, 1)`, from one draw.
    pub fn fraction(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The seed of the trees, the writes and the kill delays:
/// `STRATA_KILL_SEED`, 18 by default.
pub fn seed() -> u64 {
    std::env::var("STRATA_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(18)
}

/// The long (ignored) tests' round count: `STRATA_KILL_ROUNDS`, 100 by
/// default.
pub fn long_rounds() -> usize {
    std::env::var("STRATA_KILL_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100)
}

/// Runs `strata fs verify` on `store` and asserts that it reports the
/// store clean (its last line ends `: ok`); the failure message begins with
/// `context`, which names the seed.
pub fn assert_verifies(store: &Path, seed: u64, context: &str) {
    let verified = super::strata_fs_ok(store, &["verify"], seed);
    assert!(
        verified.trim_end().ends_with(": ok"),
        "{context}: {verified}"
    );
}
