//! Random generators for keys and values.
//!
//! [`LevelDbRandom`] is LevelDB's `util/random.h`: the 31-bit Park–Miller
//! "minimal standard" generator (multiplier 16807, modulus 2^31 − 1). It is
//! what makes `db_bench`'s keys, and so its found counts, reproducible here.
//! [`KeyRng`] wraps either it or a xoshiro stream behind one `uniform` call.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// 2^31 − 1, the generator's modulus (a Mersenne prime).
const MODULUS: u32 = 2_147_483_647;
/// 7^5, Park and Miller's multiplier.
const MULTIPLIER: u64 = 16_807;

/// LevelDB's `Random`: `seed = seed * 16807 mod (2^31 − 1)`.
#[derive(Debug, Clone)]
pub struct LevelDbRandom {
    seed: u32,
}

impl LevelDbRandom {
    /// A generator seeded as LevelDB seeds it: the low 31 bits of `seed`,
    /// with the two fixed points 0 and 2^31 − 1 (which would repeat
    /// forever) replaced by 1.
    pub fn new(seed: u32) -> Self {
        let mut seed = seed & 0x7fff_ffff;
        if seed == 0 || seed == MODULUS {
            seed = 1;
        }
        LevelDbRandom { seed }
    }

    /// The next value, in `[1, 2^31 − 2]`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u32 {
        let product = u64::from(self.seed) * MULTIPLIER;
        // (x << 31) mod M == x, so fold the high bits onto the low 31; the
        // sum can exceed M by less than M once, hence one subtraction.
        let folded = (product >> 31) + (product & u64::from(MODULUS));
        let mut seed = folded as u32;
        if seed > MODULUS {
            seed -= MODULUS;
        }
        self.seed = seed;
        seed
    }

    /// `next() % n`, LevelDB's `Uniform(n)` (slightly biased, as there).
    /// Requires `n > 0`.
    pub fn uniform(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}

/// Which generator draws keys (and fills the value pool).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RngKind {
    /// LevelDB's Park–Miller generator with `db_bench`'s seeding: the
    /// default, and the only mode that reproduces `db_bench`'s keys.
    LevelDb,
    /// `Xoshiro256PlusPlus` streams derived from `--seed` (not `db_bench`'s
    /// keys; for statistically better key streams).
    Xoshiro,
}

impl RngKind {
    /// The name used on the command line and in the CSV `rng` column.
    pub fn name(self) -> &'static str {
        match self {
            RngKind::LevelDb => "leveldb",
            RngKind::Xoshiro => "xoshiro",
        }
    }

    /// Parses `leveldb` or `xoshiro`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "leveldb" => Some(RngKind::LevelDb),
            "xoshiro" => Some(RngKind::Xoshiro),
            _ => None,
        }
    }
}

/// One thread's key generator.
#[derive(Debug, Clone)]
pub enum KeyRng {
    /// `db_bench`'s generator.
    LevelDb(LevelDbRandom),
    /// A xoshiro stream.
    Xoshiro(Xoshiro256PlusPlus),
}

impl KeyRng {
    /// The generator of the `counter`-th thread state of a run (counting
    /// from 1 across the benchmarks of the run, as `db_bench` does).
    ///
    /// In `LevelDb` mode the seed is `base_seed + counter`, truncated to 32
    /// bits as `db_bench`'s `int` is; `db_bench` itself uses base 1000. In
    /// `Xoshiro` mode it is the stream seeded from `base_seed`, advanced by
    /// `counter` jumps of 2^128 draws, so that no two thread states share
    /// any part of a stream.
    pub fn for_thread(kind: RngKind, base_seed: u64, counter: u64) -> Self {
        match kind {
            RngKind::LevelDb => {
                KeyRng::LevelDb(LevelDbRandom::new(base_seed.wrapping_add(counter) as u32))
            }
            RngKind::Xoshiro => {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(base_seed);
                for _ in 0..counter {
                    rng.jump();
                }
                KeyRng::Xoshiro(rng)
            }
        }
    }

    /// A value in `[0, n)`. Requires `n > 0`.
    pub fn uniform(&mut self, n: u32) -> u32 {
        match self {
            KeyRng::LevelDb(rng) => rng.uniform(n),
            KeyRng::Xoshiro(rng) => rng.gen_range(0..n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_points_are_replaced_by_one() {
        let mut zero = LevelDbRandom::new(0);
        let mut max = LevelDbRandom::new(MODULUS);
        let mut one = LevelDbRandom::new(1);
        for _ in 0..10 {
            let v = one.next();
            assert_eq!(zero.next(), v);
            assert_eq!(max.next(), v);
        }
    }

    #[test]
    fn matches_plain_modular_arithmetic() {
        let mut rng = LevelDbRandom::new(12345);
        let mut s: u64 = 12345;
        for _ in 0..10_000 {
            s = s * MULTIPLIER % u64::from(MODULUS);
            assert_eq!(u64::from(rng.next()), s);
        }
    }

    #[test]
    fn xoshiro_streams_differ_by_counter_and_stay_in_range() {
        let mut a = KeyRng::for_thread(RngKind::Xoshiro, 7, 1);
        let mut b = KeyRng::for_thread(RngKind::Xoshiro, 7, 2);
        let xs: Vec<u32> = (0..16).map(|_| a.uniform(1_000_000)).collect();
        let ys: Vec<u32> = (0..16).map(|_| b.uniform(1_000_000)).collect();
        assert_ne!(xs, ys);
        assert!(xs.iter().chain(&ys).all(|&v| v < 1_000_000));
        assert_eq!(RngKind::parse("xoshiro"), Some(RngKind::Xoshiro));
        assert_eq!(RngKind::parse("pcg"), None);
    }
}
