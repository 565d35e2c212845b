//! Live bytes without touching the engine.
//!
//! Which keys a db_bench list leaves live is a function of its settings:
//! `fillseq` and `fillbatch` write keys `0..num` on every thread, the
//! random writes and `deleterandom` draw `Uniform(num)` from each thread's
//! generator (seeded by [`seed_schedule`](super::seed_schedule)), and
//! `deleteseq` deletes `0..num`. So the key + value bytes live after each
//! benchmark can be worked out before the first one runs, instead of
//! scanning the database between two benchmarks (work `db_bench` does not
//! do, which lets compactions catch up off the clock).
//!
//! Within one benchmark every write has the same value size and a
//! benchmark either only puts or only deletes, so the order in which its
//! threads interleave does not change what is live afterwards.
//! `readwhilewriting`'s writer puts until the readers finish, an unknown
//! number of keys: what is live is unknown after it, until a benchmark
//! that starts a fresh database.

use crate::db_bench::config::Config;
use crate::db_bench::keys::KEY_BYTES;
use crate::db_bench::random::KeyRng;
use crate::db_bench::suite::{BenchPlan, Benchmark};

/// What a benchmark does to the set of live keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Nothing: reads, `compact`, `open`, codecs, property prints.
    None,
    /// Puts (`put`) or deletes (`!put`) keys `0..end` on every thread.
    Seq { put: bool, end: u64 },
    /// Puts or deletes `draws` keys `Uniform(num)` per thread.
    Random { put: bool, draws: u64 },
    /// Puts an unknown number of keys (`readwhilewriting`'s writer).
    Unknown,
}

/// The write loop's op count: `num` rounded up to whole batches, as
/// `DoWrite` and `DoDelete` run `i + j` for `i < num` in steps of the
/// batch size (so a last partial batch runs past `num`).
fn batched(plan: &BenchPlan) -> u64 {
    let batch = u64::from(plan.entries_per_batch.max(1));
    u64::from(plan.num).div_ceil(batch) * batch
}

fn effect(plan: &BenchPlan) -> Effect {
    match plan.benchmark {
        Benchmark::FillSeq | Benchmark::FillBatch => Effect::Seq {
            put: true,
            end: batched(plan),
        },
        Benchmark::DeleteSeq => Effect::Seq {
            put: false,
            end: batched(plan),
        },
        Benchmark::FillRandom
        | Benchmark::Overwrite
        | Benchmark::FillSync
        | Benchmark::Fill100K => Effect::Random {
            put: true,
            draws: batched(plan),
        },
        Benchmark::DeleteRandom => Effect::Random {
            put: false,
            draws: batched(plan),
        },
        Benchmark::ReadWhileWriting => Effect::Unknown,
        _ => Effect::None,
    }
}

/// One bit per key.
#[derive(Debug, Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(keys: u64) -> Self {
        Bits(vec![0; keys.div_ceil(64) as usize])
    }

    fn get(&self, k: u64) -> bool {
        self.0[(k / 64) as usize] & (1 << (k % 64)) != 0
    }

    fn set(&mut self, k: u64, on: bool) {
        let word = &mut self.0[(k / 64) as usize];
        if on {
            *word |= 1 << (k % 64);
        } else {
            *word &= !(1 << (k % 64));
        }
    }

    fn clear(&mut self) {
        self.0.fill(0);
    }
}

/// The keys live now and the size of each one's value. A plan writes
/// either `--value_size` bytes or `fill100K`'s 100,000, so one bit per key
/// tells which.
struct LiveSet {
    live: Bits,
    /// Bit `k`: key `k`'s value is `sizes[1]` bytes, else `sizes[0]`.
    large: Bits,
    sizes: [u64; 2],
    bytes: u64,
}

impl LiveSet {
    fn new(keys: u64, sizes: [u64; 2]) -> Self {
        let two_sizes = sizes[0] != sizes[1];
        LiveSet {
            live: Bits::new(keys),
            large: Bits::new(if two_sizes { keys } else { 0 }),
            sizes,
            bytes: 0,
        }
    }

    fn entry_bytes(&self, k: u64) -> u64 {
        let large = !self.large.0.is_empty() && self.large.get(k);
        KEY_BYTES as u64 + self.sizes[usize::from(large)]
    }

    fn delete(&mut self, k: u64) {
        if self.live.get(k) {
            self.bytes -= self.entry_bytes(k);
            self.live.set(k, false);
        }
    }

    fn put(&mut self, k: u64, large: bool) {
        self.delete(k);
        self.live.set(k, true);
        if !self.large.0.is_empty() {
            self.large.set(k, large);
        }
        self.bytes += self.entry_bytes(k);
    }

    fn clear(&mut self) {
        self.live.clear();
        self.large.clear();
        self.bytes = 0;
    }
}

/// Key + value bytes live after each benchmark of `benchmarks` run with
/// `config` and seeded by `schedule` (one entry per benchmark; `None` where
/// what is live is unknown: with `use_existing_db`, whose starting content
/// is unknown, and after `readwhilewriting` until the next benchmark that
/// starts a fresh database).
///
/// It replays every write's key (not its value), so it costs about what
/// drawing the keys cost the benchmarks themselves, and one bit per key
/// (two when `fill100K` mixes value sizes).
pub fn live_bytes_after(
    benchmarks: &[Benchmark],
    config: &Config,
    schedule: &[Vec<u64>],
) -> Vec<Option<u64>> {
    assert_eq!(
        benchmarks.len(),
        schedule.len(),
        "one seed list per benchmark"
    );
    if config.use_existing_db {
        return vec![None; benchmarks.len()];
    }
    let plans: Vec<BenchPlan> = benchmarks
        .iter()
        .map(|&b| BenchPlan::new(b, config))
        .collect();
    let small = config.value_size as u64;
    let mut large = small;
    let mut keys = u64::from(config.num);
    for plan in &plans {
        match effect(plan) {
            Effect::Seq { end, .. } => keys = keys.max(end),
            Effect::Random { put: true, .. } if plan.value_size as u64 != small => {
                large = plan.value_size as u64;
            }
            _ => {}
        }
    }
    if !plans
        .iter()
        .any(|p| matches!(effect(p), Effect::Seq { .. } | Effect::Random { .. }))
    {
        // Nothing is ever written: no need for a bitmap.
        keys = 0;
    }
    let mut set = LiveSet::new(keys, [small, large]);
    // The database is opened fresh before the first benchmark.
    let mut known = true;
    plans
        .iter()
        .zip(schedule)
        .map(|(plan, seeds)| {
            if plan.benchmark.fresh_db() {
                set.clear();
                known = true;
            }
            let is_large = plan.value_size as u64 != small;
            assert!(
                !is_large || plan.value_size as u64 == large,
                "a plan writes values of {} bytes, neither --value_size nor fill100K's",
                plan.value_size
            );
            match effect(plan) {
                Effect::None => {}
                Effect::Unknown => known = false,
                Effect::Seq { put, end } => {
                    // Every thread writes the same keys.
                    if !seeds.is_empty() {
                        for k in 0..end {
                            apply(&mut set, k, put, is_large);
                        }
                    }
                }
                Effect::Random { put, draws } => {
                    for &counter in seeds {
                        let mut rng = KeyRng::for_thread(config.rng, config.seed, counter);
                        for _ in 0..draws {
                            let k = u64::from(rng.uniform(config.num));
                            apply(&mut set, k, put, is_large);
                        }
                    }
                }
            }
            known.then_some(set.bytes)
        })
        .collect()
}

fn apply(set: &mut LiveSet, k: u64, put: bool, large: bool) {
    if put {
        set.put(k, large);
    } else {
        set.delete(k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db_bench::{parse_list, seed_schedule};

    fn after(list: &str, config: &Config) -> Vec<Option<u64>> {
        let benchmarks = parse_list(list).expect("list");
        let schedule = seed_schedule(&benchmarks, config);
        live_bytes_after(&benchmarks, config, &schedule)
    }

    #[test]
    fn sequential_fills_and_deletes() {
        let config = Config {
            num: 2500,
            ..Config::default()
        };
        let entry = 16 + 100;
        // fillbatch's last batch runs to 3000.
        assert_eq!(
            after("fillseq,fillbatch,deleteseq,readrandom", &config),
            vec![
                Some(2500 * entry),
                Some(3000 * entry),
                Some(500 * entry),
                Some(500 * entry)
            ]
        );
    }

    #[test]
    fn fill100k_then_overwrite_mixes_sizes() {
        let config = Config {
            num: 3000,
            threads: 2,
            ..Config::default()
        };
        // The same arithmetic with a map: seeds 1, 2 write 3 values of
        // 100,000 bytes each; seeds 3, 4 write 3000 values of 100 each.
        let mut map = std::collections::HashMap::new();
        let mut sums = Vec::new();
        for (seeds, draws, size) in [([1, 2], 3, 100_000u64), ([3, 4], 3000, 100)] {
            for counter in seeds {
                let mut rng = KeyRng::for_thread(config.rng, config.seed, counter);
                for _ in 0..draws {
                    map.insert(rng.uniform(config.num), 16 + size);
                }
            }
            sums.push(map.values().sum::<u64>());
        }
        let got = after("fill100K,overwrite", &config);
        assert_eq!(got, vec![Some(sums[0]), Some(sums[1])]);
        assert!(sums[1] > 100_000, "some large value survives: {sums:?}");
    }

    #[test]
    fn unknown_after_readwhilewriting_until_a_fresh_fill_and_with_existing_db() {
        let config = Config {
            num: 100,
            ..Config::default()
        };
        assert_eq!(
            after("fillseq,readwhilewriting,overwrite,fillseq", &config),
            vec![Some(100 * 116), None, None, Some(100 * 116)]
        );
        let keep = Config {
            use_existing_db: true,
            ..config
        };
        assert_eq!(after("overwrite,fillseq", &keep), vec![None, None]);
    }
}
