//! The benchmarks of LevelDB 1.23's `db_bench`: names, the default list and
//! order, and what each one does to `num`, `reads`, the value size, the
//! batch size, sync and the thread count (its `Benchmark::Run` switch).

use crate::db_bench::config::Config;
use std::fmt;

/// One `db_bench` benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Benchmark {
    /// Write `num` values in key order, asynchronously; fresh database.
    FillSeq,
    /// Write `num / 1000` values in random key order with sync; fresh database.
    FillSync,
    /// Write `num` values in random key order; fresh database.
    FillRandom,
    /// Write `num` values in random key order over the existing database.
    Overwrite,
    /// `fillseq` in batches of 1000; fresh database.
    FillBatch,
    /// `reads` gets of random keys.
    ReadRandom,
    /// `reads` gets of keys that are never present (`%016d.`).
    ReadMissing,
    /// `reads` gets of random keys among the first 1% of the key space.
    ReadHot,
    /// Scan forward over up to `reads` entries.
    ReadSeq,
    /// Scan backward over up to `reads` entries.
    ReadReverse,
    /// `reads` seeks to random keys, a new iterator each.
    SeekRandom,
    /// `reads` seeks with one iterator, each key a random 0–99 past the last.
    SeekOrdered,
    /// `readrandom` with `reads / 1000` gets.
    ReadRandomSmall,
    /// Delete `num` keys in key order.
    DeleteSeq,
    /// Delete `num` random keys.
    DeleteRandom,
    /// `threads` readers doing `readrandom` plus one writer writing random
    /// keys until they finish.
    ReadWhileWriting,
    /// Compact the whole key range.
    Compact,
    /// Write `num / 1000` values of 100,000 bytes in random order; fresh
    /// database.
    Fill100K,
    /// crc32c of 4 KiB blocks, 500 MB in all.
    Crc32c,
    /// Snappy-compress a 4 KiB value block, 1 GiB in all.
    SnappyComp,
    /// Snappy-uncompress a 4 KiB value block, 1 GiB in all.
    SnappyUncomp,
    /// Close and reopen the database `max(num / 10000, 1)` times.
    Open,
    /// Print the `leveldb.stats` property.
    Stats,
    /// Print the `leveldb.sstables` property.
    SsTables,
}

/// Every benchmark with its `db_bench` name.
pub const ALL: &[(&str, Benchmark)] = &[
    ("fillseq", Benchmark::FillSeq),
    ("fillsync", Benchmark::FillSync),
    ("fillrandom", Benchmark::FillRandom),
    ("overwrite", Benchmark::Overwrite),
    ("fillbatch", Benchmark::FillBatch),
    ("readrandom", Benchmark::ReadRandom),
    ("readmissing", Benchmark::ReadMissing),
    ("readhot", Benchmark::ReadHot),
    ("readseq", Benchmark::ReadSeq),
    ("readreverse", Benchmark::ReadReverse),
    ("seekrandom", Benchmark::SeekRandom),
    ("seekordered", Benchmark::SeekOrdered),
    ("readrandomsmall", Benchmark::ReadRandomSmall),
    ("deleteseq", Benchmark::DeleteSeq),
    ("deleterandom", Benchmark::DeleteRandom),
    ("readwhilewriting", Benchmark::ReadWhileWriting),
    ("compact", Benchmark::Compact),
    ("fill100K", Benchmark::Fill100K),
    ("crc32c", Benchmark::Crc32c),
    ("snappycomp", Benchmark::SnappyComp),
    ("snappyuncomp", Benchmark::SnappyUncomp),
    ("open", Benchmark::Open),
    ("stats", Benchmark::Stats),
    ("sstables", Benchmark::SsTables),
];

/// LevelDB 1.23's default `--benchmarks` (its zstd rows are absent because
/// no zstd codec is wired in).
pub const DEFAULT_BENCHMARKS: &str = "fillseq,fillsync,fillrandom,overwrite,readrandom,readrandom,\
readseq,readreverse,compact,readrandom,readseq,readreverse,fill100K,crc32c,snappycomp,snappyuncomp";

impl Benchmark {
    /// The `db_bench` name.
    pub fn name(self) -> &'static str {
        ALL.iter()
            .find(|(_, b)| *b == self)
            .map_or("?", |(name, _)| name)
    }

    /// The benchmark called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        ALL.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }

    /// True for benchmarks that destroy and recreate the database first.
    pub fn fresh_db(self) -> bool {
        matches!(
            self,
            Benchmark::FillSeq
                | Benchmark::FillSync
                | Benchmark::FillRandom
                | Benchmark::FillBatch
                | Benchmark::Fill100K
        )
    }

    /// True for benchmarks that change what the database holds or how it
    /// is laid out: their results carry the live bytes (for space
    /// amplification).
    pub fn changes_data(self) -> bool {
        self.fresh_db()
            || matches!(
                self,
                Benchmark::Overwrite
                    | Benchmark::DeleteSeq
                    | Benchmark::DeleteRandom
                    | Benchmark::ReadWhileWriting
                    | Benchmark::Compact
            )
    }

    /// True for the benchmarks that only print a property: they run no
    /// threads and so take no seed.
    pub fn prints_property(self) -> Option<&'static str> {
        match self {
            Benchmark::Stats => Some("leveldb.stats"),
            Benchmark::SsTables => Some("leveldb.sstables"),
            _ => None,
        }
    }
}

impl fmt::Display for Benchmark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown name in `--benchmarks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownBenchmark(pub String);

impl fmt::Display for UnknownBenchmark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = ALL.iter().map(|(n, _)| *n).collect();
        write!(
            f,
            "unknown benchmark '{}'; valid: {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownBenchmark {}

/// Parses a comma-separated list; empty names are skipped (as `db_bench`
/// skips them, so a trailing comma is harmless).
///
/// # Errors
/// The first unknown name.
pub fn parse_list(text: &str) -> Result<Vec<Benchmark>, UnknownBenchmark> {
    text.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| Benchmark::from_name(n).ok_or_else(|| UnknownBenchmark(n.to_string())))
        .collect()
}

/// What one benchmark runs with, after `db_bench`'s per-benchmark changes.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchPlan {
    /// The benchmark.
    pub benchmark: Benchmark,
    /// Operations for write, delete and open benchmarks.
    pub num: u32,
    /// Operations for read benchmarks.
    pub reads: u32,
    /// Value bytes for writes.
    pub value_size: usize,
    /// Entries per `WriteBatch`.
    pub entries_per_batch: u32,
    /// Sync every write.
    pub sync: bool,
    /// Threads that run the benchmark (for `readwhilewriting`, `--threads`
    /// readers plus the writer).
    pub threads: u32,
}

impl BenchPlan {
    /// The plan of `benchmark` under `config`, as `db_bench` 1.23 adjusts it.
    pub fn new(benchmark: Benchmark, config: &Config) -> Self {
        let mut plan = BenchPlan {
            benchmark,
            num: config.num,
            reads: config.resolved_reads(),
            value_size: config.value_size,
            entries_per_batch: 1,
            sync: false,
            threads: config.threads,
        };
        match benchmark {
            Benchmark::Open => plan.num = (plan.num / 10_000).max(1),
            Benchmark::FillBatch => plan.entries_per_batch = 1000,
            Benchmark::FillSync => {
                plan.num /= 1000;
                plan.sync = true;
            }
            Benchmark::Fill100K => {
                plan.num /= 1000;
                plan.value_size = 100 * 1000;
            }
            Benchmark::ReadRandomSmall => plan.reads /= 1000,
            Benchmark::ReadWhileWriting => plan.threads += 1,
            _ => {}
        }
        plan
    }

    /// True when this benchmark runs threads (and so takes seeds) in a run
    /// with `use_existing_db`: property prints never do, and fresh-db
    /// benchmarks are skipped when the database must be kept.
    pub fn runs_threads(&self, use_existing_db: bool) -> bool {
        self.benchmark.prints_property().is_none()
            && !(self.benchmark.fresh_db() && use_existing_db)
    }
}

/// The seed counters (1, 2, 3, … across the run) that each benchmark's
/// threads take, in thread order; empty for benchmarks that run no threads.
/// `db_bench` seeds thread state `i` of a run with `1000 + counter`, so a
/// benchmark's keys depend on its position in the list.
pub fn seed_schedule(benchmarks: &[Benchmark], config: &Config) -> Vec<Vec<u64>> {
    let mut counter = 0u64;
    benchmarks
        .iter()
        .map(|&b| {
            let plan = BenchPlan::new(b, config);
            if !plan.runs_threads(config.use_existing_db) {
                return Vec::new();
            }
            (0..plan.threads)
                .map(|_| {
                    counter += 1;
                    counter
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_default_list_parses() {
        for (name, b) in ALL {
            assert_eq!(b.name(), *name);
            assert_eq!(Benchmark::from_name(name), Some(*b));
        }
        let list = parse_list(DEFAULT_BENCHMARKS).expect("default list");
        assert_eq!(list.len(), 16);
        assert_eq!(list[0], Benchmark::FillSeq);
        assert_eq!(list[8], Benchmark::Compact);
        assert_eq!(parse_list("fillseq,,readrandom,").expect("ok").len(), 2);
        let err = parse_list("fillseq,readrandum").expect_err("unknown");
        assert!(err.to_string().contains("'readrandum'"));
        assert!(err.to_string().contains("readwhilewriting"));
    }

    #[test]
    fn plans_follow_db_bench() {
        let config = Config {
            num: 1_000_000,
            threads: 2,
            ..Config::default()
        };
        let p = BenchPlan::new(Benchmark::FillSync, &config);
        assert_eq!((p.num, p.sync), (1000, true));
        let p = BenchPlan::new(Benchmark::Fill100K, &config);
        assert_eq!((p.num, p.value_size), (1000, 100_000));
        assert_eq!(BenchPlan::new(Benchmark::Open, &config).num, 100);
        assert_eq!(
            BenchPlan::new(Benchmark::ReadRandomSmall, &config).reads,
            1000
        );
        assert_eq!(
            BenchPlan::new(Benchmark::ReadWhileWriting, &config).threads,
            3
        );
        assert_eq!(
            BenchPlan::new(Benchmark::FillBatch, &config).entries_per_batch,
            1000
        );
    }

    #[test]
    fn seeds_advance_across_benchmarks_but_not_for_prints() {
        let config = Config {
            threads: 2,
            ..Config::default()
        };
        let list = parse_list("fillseq,stats,readwhilewriting,compact").expect("ok");
        assert_eq!(
            seed_schedule(&list, &config),
            vec![vec![1, 2], vec![], vec![3, 4, 5], vec![6, 7]]
        );
        let keep = Config {
            use_existing_db: true,
            ..Config::default()
        };
        let list = parse_list("fillseq,readrandom").expect("ok");
        assert_eq!(seed_schedule(&list, &keep), vec![vec![], vec![1]]);
    }
}
