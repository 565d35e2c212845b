//! The run-wide settings of a `db_bench` run (its `FLAGS_*`), validated.

use crate::db_bench::random::RngKind;
use crate::db_bench::values::POOL_MIN_BYTES;
use std::fmt;

/// Largest `--num`: `db_bench` keeps key numbers in a C `int`.
pub const MAX_NUM: u32 = i32::MAX as u32;
/// Most threads a benchmark may start (a limit on everything).
pub const MAX_THREADS: u32 = 1024;
/// `db_bench`'s seed base: thread states are seeded `1000 + counter`.
pub const DB_BENCH_SEED_BASE: u64 = 1000;
/// Longest `--stats_interval_seconds` (one hour).
pub const MAX_STATS_INTERVAL_SECONDS: f64 = 3600.0;

/// Settings shared by every benchmark of a run. Field defaults are
/// `db_bench` 1.23's.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `--num`: key/value pairs to place in the database (1,000,000).
    pub num: u32,
    /// `--reads`: read operations; `None` means `num` (`db_bench`'s -1).
    pub reads: Option<u32>,
    /// `--threads`: concurrent threads per benchmark (1).
    pub threads: u32,
    /// `--value_size`: bytes per value (100).
    pub value_size: usize,
    /// `--compression_ratio`: the fraction values compress to (0.5).
    pub compression_ratio: f64,
    /// `--histogram`: record per-operation latencies (false).
    pub histogram: bool,
    /// `--use_existing_db`: never destroy the database; fresh-db
    /// benchmarks are skipped (false).
    pub use_existing_db: bool,
    /// `--seed`: in `leveldb` mode the base of the thread seeds (thread
    /// state `n` of a run gets `seed + n`; 1000 is `db_bench`'s and
    /// reproduces its keys); in `xoshiro` mode the seed of the streams.
    pub seed: u64,
    /// `--rng`: which generator draws keys (`leveldb`).
    pub rng: RngKind,
    /// Bytes `crc32c` checksums in all (500 MiB, as `db_bench`).
    pub crc32c_total_bytes: u64,
    /// Bytes `snappycomp` and `snappyuncomp` process in all (1 GiB).
    pub snappy_total_bytes: u64,
    /// Draw progress bars on stderr (drawn only when stderr is a terminal).
    pub progress: bool,
    /// `--stats_interval_seconds` (RocksDB's flag): sample throughput,
    /// latency and the engine's state every this many seconds while a
    /// benchmark runs (1); 0 turns the time series off. Benchmarks that
    /// end within their first interval give no series.
    pub stats_interval_seconds: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            num: 1_000_000,
            reads: None,
            threads: 1,
            value_size: 100,
            compression_ratio: 0.5,
            histogram: false,
            use_existing_db: false,
            seed: DB_BENCH_SEED_BASE,
            rng: RngKind::LevelDb,
            crc32c_total_bytes: 500 * 1_048_576,
            snappy_total_bytes: 1024 * 1_048_576,
            progress: false,
            stats_interval_seconds: 1.0,
        }
    }
}

/// A setting out of range: which flag, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The flag, as spelled on the command line (`--num`).
    pub flag: &'static str,
    /// What is wrong with its value.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.flag, self.reason)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// `reads` as resolved: `num` when not given.
    pub fn resolved_reads(&self) -> u32 {
        self.reads.unwrap_or(self.num)
    }

    /// Checks every setting.
    ///
    /// # Errors
    /// The first setting out of range, naming its flag.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |flag, reason: String| Err(ConfigError { flag, reason });
        if self.num == 0 || self.num > MAX_NUM {
            return bad(
                "--num",
                format!("must be between 1 and {MAX_NUM}, got {}", self.num),
            );
        }
        if self.reads.is_some_and(|r| r > MAX_NUM) {
            return bad("--reads", format!("must be at most {MAX_NUM}"));
        }
        if !(self.stats_interval_seconds.is_finite()
            && (0.0..=MAX_STATS_INTERVAL_SECONDS).contains(&self.stats_interval_seconds))
        {
            return bad(
                "--stats_interval_seconds",
                format!(
                    "must be between 0 (off) and {MAX_STATS_INTERVAL_SECONDS}, got {}",
                    self.stats_interval_seconds
                ),
            );
        }
        if self.threads == 0 || self.threads > MAX_THREADS {
            return bad(
                "--threads",
                format!("must be between 1 and {MAX_THREADS}, got {}", self.threads),
            );
        }
        if self.value_size > POOL_MIN_BYTES {
            return bad(
                "--value_size",
                format!(
                    "must be at most {POOL_MIN_BYTES} (the value generator's pool), got {}",
                    self.value_size
                ),
            );
        }
        if !(self.compression_ratio.is_finite()
            && self.compression_ratio > 0.0
            && self.compression_ratio <= 1.0)
        {
            return bad(
                "--compression_ratio",
                format!("must be in (0, 1], got {}", self.compression_ratio),
            );
        }
        if self.crc32c_total_bytes == 0 || self.snappy_total_bytes == 0 {
            return bad(
                "crc32c_total_bytes/snappy_total_bytes",
                "must be positive".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_db_benchs_and_valid() {
        let c = Config::default();
        assert_eq!((c.num, c.value_size, c.threads), (1_000_000, 100, 1));
        assert_eq!(c.resolved_reads(), 1_000_000);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn errors_name_the_flag() {
        let e = Config {
            num: 0,
            ..Config::default()
        }
        .validate()
        .expect_err("num 0");
        assert_eq!(e.flag, "--num");
        let e = Config {
            compression_ratio: -1.0,
            ..Config::default()
        }
        .validate()
        .expect_err("ratio");
        assert!(e.to_string().starts_with("--compression_ratio: "));
        let e = Config {
            value_size: 2_000_000,
            ..Config::default()
        }
        .validate()
        .expect_err("value");
        assert_eq!(e.flag, "--value_size");
    }
}
