//! The CSV row: one per engine × benchmark × repetition. Other tools
//! (pandas, R, `strata plot`, `strata compare`) read these columns by name;
//! add columns at the end, never rename or reorder.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One measured run of one benchmark on one engine. Empty cells are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    /// Identifier of the `strata bench` invocation (also the CSV file stem).
    pub run_id: String,
    /// When the run started, RFC 3339 UTC.
    pub start_time: String,
    /// `git rev-parse --short HEAD` of the strata source tree when the run
    /// started, `-dirty` appended when tracked files were modified, or
    /// `unknown`.
    pub git_rev: String,
    /// CPU model name from /proc/cpuinfo.
    pub cpu_model: String,
    /// Logical CPUs available.
    pub cpu_cores: u32,
    /// The full engine spec, canonical form.
    pub engine_spec: String,
    /// Engine kind: `lsm`, `leveldb`, `rusty-leveldb`.
    pub engine_kind: String,
    /// Memtable variant (empty for engines without the choice).
    pub memtable: String,
    /// Compaction policy (empty for engines without the choice).
    pub compaction: String,
    /// Block compression: `none` or `snappy`.
    pub compression: String,
    /// Bloom filter bits per key (0 = none).
    pub bloom_bits: u32,
    /// db_bench benchmark name (or workload name).
    pub benchmark: String,
    /// Repetition index, 0-based.
    pub repetition: u32,
    /// `--num`.
    pub num: u64,
    /// `--reads` as resolved (defaults to num).
    pub reads: u64,
    /// `--threads`.
    pub threads: u32,
    /// Key size, bytes.
    pub key_size_bytes: u32,
    /// Value size, bytes.
    pub value_size_bytes: u32,
    /// The run's base seed.
    pub seed: u64,
    /// Key generator: `leveldb` (db_bench parity) or `xoshiro`.
    pub rng: String,
    /// Operations done (all threads).
    pub ops: u64,
    /// Wall time of the benchmark, microseconds.
    pub elapsed_us: u64,
    /// db_bench's micros/op (per-thread time / ops, as db_bench computes it).
    pub micros_per_op: f64,
    /// Operations per second.
    pub ops_per_s: f64,
    /// Throughput in MB/s (1,048,576 bytes), empty where db_bench prints none.
    pub mb_per_s: Option<f64>,
    /// Keys found, for read benchmarks.
    pub found: Option<u64>,
    /// Latency percentiles, microseconds (empty without `--histogram=1`).
    pub latency_us_p50: Option<f64>,
    /// 75th percentile latency, µs.
    pub latency_us_p75: Option<f64>,
    /// 90th percentile latency, µs.
    pub latency_us_p90: Option<f64>,
    /// 99th percentile latency, µs.
    pub latency_us_p99: Option<f64>,
    /// 99.9th percentile latency, µs.
    pub latency_us_p999: Option<f64>,
    /// 99.99th percentile latency, µs.
    pub latency_us_p9999: Option<f64>,
    /// Maximum latency, µs.
    pub latency_us_max: Option<f64>,
    /// Key + value bytes written by the user during the benchmark.
    pub user_bytes_written: u64,
    /// Bytes the engine wrote to disk during the benchmark (empty for
    /// engines that do not count their own I/O: the LevelDB and
    /// rusty-leveldb wrappers).
    pub disk_bytes_written: Option<u64>,
    /// disk_bytes_written / user_bytes_written (empty when nothing was
    /// written or disk bytes are not counted).
    pub write_amplification: Option<f64>,
    /// Tables probed per get (empty when no gets, or not counted).
    pub read_amplification: Option<f64>,
    /// Database size on disk / logical live data size (empty when unknown).
    pub space_amplification: Option<f64>,
    /// Bytes of all files in the database directory after the benchmark.
    pub db_size_bytes: u64,
    /// Peak resident set size of the process so far, bytes.
    pub peak_rss_bytes: u64,
    /// db_bench's message (for example `(864322 of 1000000 found)`).
    pub message: String,
    /// Filesystem benchmarks: bytes of every file version in the store
    /// after the benchmark (what a store without dedupe would hold);
    /// empty for other benchmarks.
    #[serde(default)]
    pub logical_bytes: Option<u64>,
    /// Filesystem benchmarks: bytes of every blob stored (data chunks and
    /// schema blobs) after the benchmark.
    #[serde(default)]
    pub stored_bytes: Option<u64>,
    /// Filesystem benchmarks: logical bytes / bytes of data chunks stored.
    #[serde(default)]
    pub dedupe_ratio: Option<f64>,
    /// Hash of the plan the row was measured under (16 hex digits): every
    /// shard of one plan carries the same hash; empty in files written
    /// before plans were hashed.
    #[serde(default)]
    pub plan_hash: String,
    /// Index of the plan cell that produced the row (0-based); a cell is
    /// one engine in one repetition running benchmarks that share one
    /// database.
    #[serde(default)]
    pub cell: u64,
    /// Number of cells in the whole plan (all shards).
    #[serde(default)]
    pub cells: u64,
    /// The shard that ran the row, `I/N` (`0/1` for a run that was not
    /// sharded); a shard runs the cells with `cell % N == I`.
    #[serde(default)]
    pub shard: String,
    /// User-mode CPU seconds of the whole process during the benchmark's
    /// timed section (every thread: the benchmark's and the engine's
    /// background ones); empty where not measured.
    #[serde(default)]
    pub cpu_user_s: Option<f64>,
    /// Kernel-mode CPU seconds of the process during the timed section.
    #[serde(default)]
    pub cpu_system_s: Option<f64>,
    /// Write stalls (slowdowns and stops) during the benchmark; empty for
    /// engines that do not expose them (the wrapped peers).
    #[serde(default)]
    pub stall_count: Option<u64>,
    /// Microseconds writers spent stalled during the benchmark (summed
    /// over writers).
    #[serde(default)]
    pub stall_us: Option<u64>,
    /// stall_us / elapsed_us × 100 (RocksDB's `stall%`; above 100 when
    /// several writers stall at once).
    #[serde(default)]
    pub stall_percent: Option<f64>,
    /// For a peer's own db_bench (`db_bench:…` engines): the binary that
    /// ran; empty for in-process engines.
    #[serde(default)]
    pub peer_binary: String,
    /// For a peer's own db_bench: its version line as it printed it
    /// (`LevelDB:    version 1.23`); empty for in-process engines.
    #[serde(default)]
    pub peer_version: String,
    /// For a peer's own db_bench: the header it printed (its CPU, keys,
    /// values, entries lines and warnings), ` | `-separated.
    #[serde(default)]
    pub peer_header: String,
    /// Filesystem benchmarks: how they reached the store, `api` (blobfs's
    /// API) or `mount` (system calls on a FUSE mount of it; such rows are
    /// named `fs_create@mount` …); empty for other benchmarks.
    #[serde(default)]
    pub fs_via: String,
}

/// One interval of one benchmark's time series
/// (`results/<run-id>.intervals.csv`, `--stats_interval_seconds`). Other
/// tools read these columns by name; add columns at the end.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntervalRow {
    /// The run (the results CSV's `run_id`).
    pub run_id: String,
    /// The engine spec, canonical form.
    pub engine_spec: String,
    /// The benchmark.
    pub benchmark: String,
    /// Repetition, 0-based.
    pub repetition: u32,
    /// The plan cell (the results CSV's `cell`).
    pub cell: u64,
    /// Position of the benchmark in the list, 0-based (names repeat).
    pub position: u64,
    /// The interval's index within the benchmark, 0-based.
    pub interval: u32,
    /// Seconds since the benchmark's threads started, at the interval's
    /// start.
    pub start_s: f64,
    /// Seconds since the start, at its end.
    pub end_s: f64,
    /// Operations finished in the interval (all threads).
    pub ops: u64,
    /// Operations per second in the interval.
    pub ops_per_s: f64,
    /// Median latency in the interval, µs (empty without `--histogram=1`).
    pub latency_us_p50: Option<f64>,
    /// 99th percentile latency in the interval, µs.
    pub latency_us_p99: Option<f64>,
    /// Largest latency in the interval, µs.
    pub latency_us_max: Option<f64>,
    /// Level-0 files (sorted runs for tiered) at the interval's end; empty
    /// when unknown and for the last, short interval (the benchmark had
    /// ended: the engine is not touched between benchmarks).
    pub level0_files: Option<u64>,
    /// Bytes per level (or per sorted run), level 0 first, `;`-separated.
    pub level_bytes: String,
    /// Bytes in the memtables.
    pub memtable_bytes: Option<u64>,
    /// Bytes compactions must still rewrite.
    pub pending_compaction_bytes: Option<u64>,
    /// Flushes and compactions running at the interval's end.
    pub compactions_running: Option<u64>,
    /// Write stalls since the benchmark started, at the interval's end.
    pub stall_count: Option<u64>,
    /// Microseconds stalled since the benchmark started, at the end.
    pub stall_us: Option<u64>,
}

/// Display names that tell repeated benchmark names apart: the k-th row
/// (k ≥ 2) with the same run, engine, repetition and benchmark name is
/// named `name#k`. db_bench's default list runs `readrandom` three times.
pub fn occurrence_names(rows: &[ResultRow]) -> Vec<String> {
    let mut seen: HashMap<(&str, &str, u32, &str), usize> = HashMap::new();
    rows.iter()
        .map(|row| {
            let key = (
                row.run_id.as_str(),
                row.engine_spec.as_str(),
                row.repetition,
                row.benchmark.as_str(),
            );
            let count = seen.entry(key).or_insert(0);
            *count += 1;
            if *count == 1 {
                row.benchmark.clone()
            } else {
                format!("{}#{}", row.benchmark, count)
            }
        })
        .collect()
}
