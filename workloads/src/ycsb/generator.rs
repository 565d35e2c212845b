//! The operation stream of one workload's run phase, as YCSB's
//! `CoreWorkload` draws it with one client thread: the operation type from
//! the mix, then its record. Pure (no engine), so mixes and skews can be
//! tested on their own.

use super::config::YcsbConfig;
use super::latest::SkewedLatest;
use super::scrambled::ScrambledZipfian;
use super::workload::{KeyDistribution, OpType, Workload, MAX_SCAN_LENGTH};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One operation to perform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// What to do.
    pub op: OpType,
    /// The record's insertion index: the new record for an insert, the
    /// existing record (or scan start) otherwise.
    pub index: u64,
    /// Records to scan (1..=100) for a scan, 0 otherwise.
    pub scan_length: u32,
}

/// The request distribution's state.
#[derive(Debug, Clone)]
enum Chooser {
    Zipfian(ScrambledZipfian),
    Latest(SkewedLatest),
}

/// Xoshiro stream `n` of `seed`: the seeded generator after `n` jumps
/// (2^128 draws apart, so streams never overlap).
pub fn stream(seed: u64, n: u32) -> Xoshiro256PlusPlus {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    for _ in 0..n {
        rng.jump();
    }
    rng
}

/// Draws a workload's operations.
#[derive(Debug, Clone)]
pub struct OpGenerator {
    workload: Workload,
    rng: Xoshiro256PlusPlus,
    chooser: Chooser,
    /// Index of the next insert = records present.
    next_insert: u64,
}

impl OpGenerator {
    /// The stream of `workload` after a load of `config.records` records,
    /// drawing from `rng`.
    pub fn new(workload: Workload, config: &YcsbConfig, rng: Xoshiro256PlusPlus) -> Self {
        let records = config.records.max(1);
        let chooser = match workload.distribution() {
            KeyDistribution::ScrambledZipfian => {
                // YCSB sizes the key space for the inserts to come
                // (`expectednewkeys` = operations × insert proportion × 2)
                // and redraws keys not inserted yet.
                let expected_new =
                    (config.operations as f64 * workload.proportion(OpType::Insert) * 2.0) as u64;
                Chooser::Zipfian(ScrambledZipfian::new(
                    records + expected_new + 1,
                    config.zipf_constant,
                ))
            }
            KeyDistribution::Latest => {
                Chooser::Latest(SkewedLatest::new(records - 1, config.zipf_constant))
            }
        };
        OpGenerator {
            workload,
            rng,
            chooser,
            next_insert: records,
        }
    }

    /// Records present (loaded plus inserted so far).
    pub fn records(&self) -> u64 {
        self.next_insert
    }

    fn choose_type(&mut self) -> OpType {
        let u: f64 = self.rng.gen();
        let mut cumulative = 0.0;
        let mix = self.workload.mix();
        for (op, p) in mix {
            cumulative += p;
            if u < cumulative {
                return *op;
            }
        }
        // Rounding can leave u just above the last cumulative sum.
        mix.last().map_or(OpType::Read, |(op, _)| *op)
    }

    fn choose_existing(&mut self) -> u64 {
        let last = self.next_insert - 1;
        match &mut self.chooser {
            Chooser::Zipfian(z) => loop {
                let index = z.next(&mut self.rng);
                if index <= last {
                    return index;
                }
            },
            Chooser::Latest(l) => l.next(last, &mut self.rng),
        }
    }

    /// The next operation. An insert counts as done at once (one client
    /// thread: it is acknowledged before the next draw).
    pub fn next_op(&mut self) -> Operation {
        let op = self.choose_type();
        match op {
            OpType::Insert => {
                let index = self.next_insert;
                self.next_insert += 1;
                Operation {
                    op,
                    index,
                    scan_length: 0,
                }
            }
            OpType::Scan => {
                let index = self.choose_existing();
                Operation {
                    op,
                    index,
                    scan_length: self.rng.gen_range(1..=MAX_SCAN_LENGTH),
                }
            }
            _ => Operation {
                op,
                index: self.choose_existing(),
                scan_length: 0,
            },
        }
    }
}
