//! The raw flags of `strata bench`, spelled as `db_bench` spells them.
//! Nothing here is trusted: [`super::flags`] validates it into a plan.

use crate::error::HarnessError;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use strata_workloads::db_bench::suite::DEFAULT_BENCHMARKS;

/// Key generator choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RngArg {
    /// LevelDB's Park–Miller generator seeded as db_bench seeds it:
    /// db_bench's exact keys.
    Leveldb,
    /// rand_xoshiro streams from --seed: not db_bench's keys.
    Xoshiro,
}

/// `value` as a count of at least `min`.
///
/// # Errors
/// `--flag: must be at least MIN, got VALUE`.
pub fn at_least(flag: &str, value: i64, min: i64) -> Result<u64, HarnessError> {
    u64::try_from(value)
        .ok()
        .filter(|&v| v as i64 >= min)
        .ok_or_else(|| HarnessError::flag(flag, format!("must be at least {min}, got {value}")))
}

/// Parses db_bench's boolean flags: `0`/`1` (also `false`/`true`).
fn parse_01(text: &str) -> Result<bool, String> {
    match text {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(format!("expected 0 or 1, got '{text}'")),
    }
}

/// `strata bench`: LevelDB 1.23 db_bench's benchmarks, flags and output,
/// over one or more engines, with a CSV row per engine × benchmark ×
/// repetition and charts.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Comma-separated benchmarks to run, in order (db_bench 1.23's list).
    /// Valid: fillseq, fillsync, fillrandom, overwrite, fillbatch,
    /// readrandom, readmissing, readhot, readseq, readreverse, seekrandom,
    /// seekordered, readrandomsmall, deleteseq, deleterandom,
    /// readwhilewriting, compact, fill100K, crc32c, snappycomp,
    /// snappyuncomp, open, stats, sstables; and YCSB core workloads ycsba,
    /// ycsbb, ycsbc, ycsbd, ycsbe, ycsbf (run after the db_bench ones, each
    /// on a fresh database; see --ycsb_records, --ycsb_ops, --ycsb_zipf);
    /// and filesystem benchmarks on blobfs fs_create, fs_read, fs_stat,
    /// fs_readdir, fs_overwrite, fs_rename, fs_history, fs_unlink,
    /// fs_bigfile, fs_import (`fs` = all but fs_import; run last, on one
    /// fresh store per engine; see --fs_files, --fs_ops, --fs_bigfile_mb,
    /// --fs_bigfile_edits, --fs_source, --fs_via, --fs_max_inodes).
    #[arg(long = "benchmarks", default_value = DEFAULT_BENCHMARKS, value_name = "LIST")]
    pub benchmarks: String,
    /// Number of key/values to place in the database.
    #[arg(
        long = "num",
        default_value_t = 1_000_000,
        allow_negative_numbers = true
    )]
    pub num: i64,
    /// Number of read operations; negative means --num.
    #[arg(long = "reads", default_value_t = -1, allow_negative_numbers = true)]
    pub reads: i64,
    /// Number of concurrent threads per benchmark.
    #[arg(long = "threads", default_value_t = 1, allow_negative_numbers = true)]
    pub threads: i64,
    /// Size of each value, bytes (at least 1).
    #[arg(
        long = "value_size",
        default_value_t = 100,
        allow_negative_numbers = true
    )]
    pub value_size: i64,
    /// Fraction of its size a value compresses to.
    #[arg(
        long = "compression_ratio",
        default_value_t = 0.5,
        allow_negative_numbers = true
    )]
    pub compression_ratio: f64,
    /// Seconds between samples of the time series (RocksDB's flag): per
    /// interval the ops, ops/s, P50/P99/max latency (with --histogram=1)
    /// and the engine's state, into results/<run-id>.intervals.csv and a
    /// throughput-over-time chart; 0 turns it off. Benchmarks shorter than
    /// one interval have no series.
    #[arg(
        long = "stats_interval_seconds",
        default_value_t = 1.0,
        allow_negative_numbers = true,
        value_name = "S"
    )]
    pub stats_interval_seconds: f64,
    /// 1: print latency percentiles (P50 … P99.99, max) per operation type.
    #[arg(long = "histogram", default_value = "0", num_args = 0..=1,
          default_missing_value = "1", value_parser = parse_01, value_name = "0|1")]
    pub histogram: bool,
    /// 1: keep the existing database; benchmarks that need a fresh one
    /// are skipped.
    #[arg(long = "use_existing_db", default_value = "0", num_args = 0..=1,
          default_missing_value = "1", value_parser = parse_01, value_name = "0|1")]
    pub use_existing_db: bool,
    /// Memtable bytes before a flush [default: 4194304, LevelDB's].
    #[arg(long = "write_buffer_size", allow_negative_numbers = true)]
    pub write_buffer_size: Option<i64>,
    /// Bytes per table file [default: 2097152, LevelDB's].
    #[arg(long = "max_file_size", allow_negative_numbers = true)]
    pub max_file_size: Option<i64>,
    /// Uncompressed bytes per data block [default: 4096, LevelDB's].
    #[arg(long = "block_size", allow_negative_numbers = true)]
    pub block_size: Option<i64>,
    /// Block cache bytes; negative keeps the engine's default [default: -1,
    /// which is LevelDB's 8 MiB cache].
    #[arg(long = "cache_size", allow_negative_numbers = true)]
    pub cache_size: Option<i64>,
    /// Bloom filter bits per key; negative means no filter [default: -1].
    #[arg(long = "bloom_bits", allow_negative_numbers = true)]
    pub bloom_bits: Option<i64>,
    /// Maximum open files [default: 1000, LevelDB's].
    #[arg(long = "open_files", allow_negative_numbers = true)]
    pub open_files: Option<i64>,
    /// Database directory; with several engines, each gets DIR/<n>-<kind>
    /// [default: a new /tmp/strata-dbbench-<pid>, removed at the end].
    #[arg(long = "db", value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Seed. With --rng leveldb, the base of db_bench's thread seeds
    /// (thread state n of a run is seeded SEED + n; 1000 is db_bench's own
    /// and reproduces its keys exactly). With --rng xoshiro, the seed of
    /// the streams (thread state n takes the stream after n jumps).
    #[arg(long = "seed", default_value_t = 1000)]
    pub seed: u64,
    /// Key generator: leveldb (db_bench's keys) or xoshiro (not db_bench's keys).
    #[arg(long = "rng", value_enum, default_value_t = RngArg::Leveldb)]
    pub rng: RngArg,
    /// Engine spec, e.g. lsm:compression=none,bloom_bits=10; repeat the flag
    /// to run every benchmark on each engine [default: lsm].
    #[arg(long = "engine", value_name = "SPEC")]
    pub engine: Vec<String>,
    /// Engine matrix: each KEY=V1,V2,... is a spec key and its values; the
    /// cartesian product of all of them is applied to every --engine spec
    /// (default lsm), e.g. `--matrix memtable=skiplist,btree
    /// compaction=leveled` runs two engines. A key may not also be set by
    /// the --engine spec, and two engines that come out equal are an error
    /// (nothing is deduplicated). Values are checked as spec values.
    #[arg(long = "matrix", value_name = "KEY=V1,V2", num_args = 1..)]
    pub matrix: Vec<String>,
    /// Repetitions of the whole matrix; the summary gives median and spread.
    #[arg(long = "repeat", default_value_t = 1, allow_negative_numbers = true)]
    pub repeat: i64,
    /// Results CSV [default: results/<run-id>.csv].
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Do not draw charts into reports/<run-id>/ at the end.
    #[arg(long = "no-plot")]
    pub no_plot: bool,
    /// Run only shard I of N: the plan's cells (one engine in one
    /// repetition running the benchmarks that share a database) whose
    /// index % N == I; merge the shards' CSVs with `strata merge`.
    #[arg(long = "shard", value_name = "I/N", allow_hyphen_values = true)]
    pub shard: Option<String>,
    /// 1: repetition by repetition (every engine's first repetition, then
    /// every engine's second, …), so machine noise falls on all engines
    /// alike; 0: all repetitions of one engine, then the next.
    #[arg(long = "interleave", default_value = "1", num_args = 0..=1,
          default_missing_value = "1", value_parser = parse_01, value_name = "0|1")]
    pub interleave: bool,
    /// YCSB workloads (ycsba … ycsbf): records inserted by each load phase
    /// (YCSB's default recordcount).
    #[arg(
        long = "ycsb_records",
        default_value_t = 1000,
        allow_negative_numbers = true
    )]
    pub ycsb_records: i64,
    /// YCSB workloads: operations of each run phase (YCSB's default
    /// operationcount).
    #[arg(
        long = "ycsb_ops",
        default_value_t = 1000,
        allow_negative_numbers = true
    )]
    pub ycsb_ops: i64,
    /// YCSB workloads: zipfian constant of the request distribution, in (0, 1).
    #[arg(
        long = "ycsb_zipf",
        default_value_t = 0.99,
        allow_negative_numbers = true
    )]
    pub ycsb_zipf: f64,
    /// Filesystem benchmarks: files fs_create makes (one directory per 12).
    #[arg(
        long = "fs_files",
        default_value_t = 2000,
        allow_negative_numbers = true
    )]
    pub fs_files: i64,
    /// Filesystem benchmarks: operations of fs_read, fs_stat, fs_readdir,
    /// fs_overwrite, fs_rename and fs_history; negative means --fs_files.
    #[arg(long = "fs_ops", default_value_t = -1, allow_negative_numbers = true)]
    pub fs_ops: i64,
    /// Filesystem benchmarks: size of fs_bigfile's file, MiB.
    #[arg(
        long = "fs_bigfile_mb",
        default_value_t = 64,
        allow_negative_numbers = true
    )]
    pub fs_bigfile_mb: i64,
    /// Filesystem benchmarks: in-place 4 KiB edits of fs_bigfile's file.
    #[arg(
        long = "fs_bigfile_edits",
        default_value_t = 64,
        allow_negative_numbers = true
    )]
    pub fs_bigfile_edits: i64,
    /// Filesystem benchmarks: the local directory fs_import imports (never
    /// modified: its changed copy goes beside the database).
    #[arg(long = "fs_source", value_name = "DIR")]
    pub fs_source: Option<PathBuf>,
    /// Filesystem benchmarks: how they reach the store: `api` (blobfs's
    /// API), `mount` (system calls on a FUSE mount of the store, rows named
    /// fs_create@mount ...; needs the `fuse` feature and a machine that can
    /// mount), or `api,mount` (each on a store of its own, the API first).
    #[arg(
        long = "fs_via",
        default_value = "api",
        value_name = "api|mount|api,mount"
    )]
    pub fs_via: String,
    /// Filesystem benchmarks through the mount: the most inodes the
    /// mount's table holds before it asks the kernel to forget the least
    /// recently used (0: no cap).
    #[arg(
        long = "fs_max_inodes",
        default_value_t = 65_536,
        allow_negative_numbers = true
    )]
    pub fs_max_inodes: i64,
    /// Serve `strata serve`'s pages at ADDR (e.g. 127.0.0.1:8080) while
    /// the run lasts, with its progress live at /live (server-sent
    /// events); after the run, go on serving until Ctrl-C.
    #[arg(long = "serve", value_name = "ADDR")]
    pub serve: Option<String>,
    /// Serve only the run's live progress (/live and its events) on
    /// 127.0.0.1:PORT while the run lasts; `strata serve --progress-port
    /// PORT` shows it.
    #[arg(long = "progress-port", value_name = "PORT")]
    pub progress_port: Option<u16>,
}
