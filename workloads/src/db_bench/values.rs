//! `db_bench`'s value generator: a 1 MiB pool of data that compresses to
//! `compression_ratio`, walked front to back, one slice per value.

use crate::db_bench::random::{KeyRng, LevelDbRandom, RngKind};
use std::sync::Arc;

/// The pool is at least this big: larger than Snappy's 32 KiB window and
/// than any value a benchmark writes.
pub const POOL_MIN_BYTES: usize = 1_048_576;
/// Bytes per compressible fragment (`CompressibleString`'s `len`).
const FRAGMENT_BYTES: usize = 100;
/// LevelDB seeds the pool's generator with this constant.
const POOL_SEED: u32 = 301;

/// Builds the pool exactly as `db_bench`'s `RandomGenerator` does: 100-byte
/// fragments, each `int(100 × ratio)` (at least 1) random printable
/// characters (`' ' + Uniform(95)`) repeated to 100 bytes, appended until
/// the pool holds at least 1 MiB (it ends at 1,048,600 bytes).
///
/// `LevelDb` draws from LevelDB's generator seeded with 301; `Xoshiro` from
/// the xoshiro stream of `seed` (thread counter 0, which no thread uses).
pub fn build_pool(kind: RngKind, seed: u64, compression_ratio: f64) -> Arc<[u8]> {
    let mut rng = match kind {
        RngKind::LevelDb => KeyRng::LevelDb(LevelDbRandom::new(POOL_SEED)),
        RngKind::Xoshiro => KeyRng::for_thread(RngKind::Xoshiro, seed, 0),
    };
    // C++'s static_cast<int> truncates toward zero.
    let raw_bytes = ((FRAGMENT_BYTES as f64 * compression_ratio) as usize).max(1);
    let mut pool = Vec::with_capacity(POOL_MIN_BYTES + FRAGMENT_BYTES);
    let mut raw = Vec::with_capacity(raw_bytes);
    while pool.len() < POOL_MIN_BYTES {
        raw.clear();
        raw.extend((0..raw_bytes).map(|_| b' ' + rng.uniform(95) as u8));
        let fragment_start = pool.len();
        while pool.len() - fragment_start < FRAGMENT_BYTES {
            pool.extend_from_slice(&raw);
        }
        pool.truncate(fragment_start + FRAGMENT_BYTES);
    }
    pool.into()
}

/// One walk through a pool (`db_bench`'s `RandomGenerator::Generate`): each
/// value is the next `len` bytes; when they would run past the end the walk
/// restarts at the front.
#[derive(Debug, Clone)]
pub struct ValueGenerator {
    pool: Arc<[u8]>,
    pos: usize,
}

impl ValueGenerator {
    /// A walk from the front of `pool`.
    pub fn new(pool: Arc<[u8]>) -> Self {
        ValueGenerator { pool, pos: 0 }
    }

    /// The next `len` bytes. Requires `len < pool length` (validated by the
    /// caller's plan: `--value_size` is at most [`POOL_MIN_BYTES`]).
    pub fn generate(&mut self, len: usize) -> &[u8] {
        if self.pos + len > self.pool.len() {
            self.pos = 0;
        }
        let start = self.pos;
        self.pos += len;
        let end = self.pos.min(self.pool.len());
        &self.pool[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_repeat_their_raw_part() {
        let pool = build_pool(RngKind::LevelDb, 0, 0.5);
        assert_eq!(pool.len(), 1_048_600);
        assert_eq!(pool[..50], pool[50..100]);
        assert_ne!(pool[..50], pool[100..150]);
        assert!(pool.iter().all(|b| (b' '..=b'~').contains(b)));
    }

    #[test]
    fn generator_wraps_to_the_front() {
        let pool: Arc<[u8]> = (0u8..10).collect::<Vec<_>>().into();
        let mut gen = ValueGenerator::new(pool);
        assert_eq!(gen.generate(4), &[0, 1, 2, 3]);
        assert_eq!(gen.generate(4), &[4, 5, 6, 7]);
        assert_eq!(gen.generate(4), &[0, 1, 2, 3]);
    }
}
