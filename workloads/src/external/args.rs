//! strata's db_bench settings as a peer's command line.
//!
//! | strata | LevelDB 1.23 | RocksDB 7.8 |
//! |---|---|---|
//! | benchmark list | `--benchmarks` (all of strata's) | `--benchmarks`; no `readhot`, `seekordered`, `snappycomp`, `snappyuncomp`, `open` |
//! | `--num`, `--reads` (when set), `--value_size`, `--compression_ratio`, `--threads`, `--histogram`, `--use_existing_db`, `--db` | the same names | the same names |
//! | `--seed` | only 1000 (its thread seeds are fixed at `1000 + n`) | `--seed` (not 0: RocksDB then seeds from the clock) |
//! | `--rng` | only `leveldb` | only `leveldb` (meaning the peer's own generator) |
//! | key size 16 | fixed | `--key_size=16` |
//! | write_buffer_size, max_file_size, block_size, cache_size, bloom_bits, open_files | the same names, at most `i32::MAX` (C `int`s) | `--write_buffer_size`, `--target_file_size_base`, `--block_size`, `--cache_size`, `--bloom_bits`, `--open_files` |
//! | compression | no flag (1.23 has none): checked against its header's Snappy warning, so `none` needs a binary built without Snappy (`db_bench_nosnappy`) | `--compression_type=snappy\|none` |
//!
//! strata's own sampling and display settings (`--stats_interval_seconds`,
//! progress bars) change nothing the peer does and are not passed; the
//! peer's rows carry no time series. The crc32c and Snappy totals are
//! db_bench's constants in both peers (RocksDB's `crc32c` checksums 5 GiB
//! where LevelDB's does 500 MiB: its ops count comes from its line).

use super::{Flavour, Peer, PeerOptions};
use crate::db_bench::config::DB_BENCH_SEED_BASE;
use crate::db_bench::{Benchmark, Config, RngKind};
use std::fmt;
use std::path::Path;

/// RocksDB 7.8's db_bench lacks these (checked against the binary: it
/// stops with `unknown benchmark`).
pub const ROCKSDB_LACKS: &[Benchmark] = &[
    Benchmark::ReadHot,
    Benchmark::SeekOrdered,
    Benchmark::SnappyComp,
    Benchmark::SnappyUncomp,
    Benchmark::Open,
];

/// True when `flavour`'s db_bench has no `benchmark` (RocksDB's lacks
/// [`ROCKSDB_LACKS`]; LevelDB 1.23's has every one strata runs).
pub fn lacks(flavour: Flavour, benchmark: Benchmark) -> bool {
    flavour == Flavour::RocksDb && ROCKSDB_LACKS.contains(&benchmark)
}

/// A setting or benchmark the peer cannot express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedFlag {
    /// strata's flag or option key (`--rng`, `compression`,
    /// `--benchmarks`).
    pub flag: String,
    /// The peer (`LevelDB's db_bench (/path)`).
    pub peer: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for UnsupportedFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cannot run {}: {}", self.peer, self.flag, self.reason)
    }
}

impl std::error::Error for UnsupportedFlag {}

/// The command line that makes `peer` run `benchmarks` with `config` and
/// `options` on the database `db`. Every setting of strata's run is
/// passed explicitly (the peers' defaults differ: RocksDB's `--seed` is
/// the clock, its compression Snappy), options left `None` are not.
///
/// # Errors
/// The first setting or benchmark the peer cannot express, naming it.
pub fn args(
    peer: &Peer,
    config: &Config,
    options: &PeerOptions,
    benchmarks: &[Benchmark],
    db: &Path,
) -> Result<Vec<String>, UnsupportedFlag> {
    let refuse = |flag: &str, reason: String| UnsupportedFlag {
        flag: flag.to_string(),
        peer: peer.to_string(),
        reason,
    };
    check_run_settings(peer.flavour, config).map_err(|(flag, reason)| refuse(flag, reason))?;
    // Benchmarks the peer lacks are left out of its list: the workload
    // says so on the console in their place (see `lacks`).
    let names: Vec<&str> = benchmarks
        .iter()
        .filter(|b| !lacks(peer.flavour, **b))
        .map(|b| b.name())
        .collect();
    let mut out = vec![
        format!("--benchmarks={}", names.join(",")),
        format!("--num={}", config.num),
    ];
    if let Some(reads) = config.reads {
        out.push(format!("--reads={reads}"));
    }
    out.extend([
        format!("--value_size={}", config.value_size),
        format!("--compression_ratio={}", config.compression_ratio),
        format!("--threads={}", config.threads),
        format!("--histogram={}", u8::from(config.histogram)),
        format!("--use_existing_db={}", u8::from(config.use_existing_db)),
        format!("--db={}", db.display()),
    ]);
    match peer.flavour {
        Flavour::LevelDb => leveldb_options(options, &mut out),
        Flavour::RocksDb => {
            out.push(format!("--seed={}", config.seed));
            out.push("--key_size=16".to_string());
            rocksdb_options(options, &mut out)
        }
    }
    .map_err(|(flag, reason)| refuse(flag, reason))?;
    Ok(out)
}

/// The run-wide settings the flavour cannot express, as (flag, reason).
fn check_run_settings(flavour: Flavour, config: &Config) -> Result<(), (&'static str, String)> {
    if config.rng != RngKind::LevelDb {
        return Err((
            "--rng",
            format!("{flavour}'s db_bench draws keys with its own generator; only --rng leveldb"),
        ));
    }
    match flavour {
        Flavour::LevelDb if config.seed != DB_BENCH_SEED_BASE => {
            return Err((
                "--seed",
                format!(
                    "LevelDB 1.23's db_bench seeds its threads 1000 + n and has no seed flag; \
                     only --seed {DB_BENCH_SEED_BASE}, got {}",
                    config.seed
                ),
            ));
        }
        Flavour::RocksDb if config.seed == 0 => {
            return Err((
                "--seed",
                "RocksDB's db_bench takes seed 0 to mean the clock; give a non-zero seed".into(),
            ));
        }
        _ => {}
    }
    let defaults = Config::default();
    if config.crc32c_total_bytes != defaults.crc32c_total_bytes {
        return Err((
            "crc32c_total_bytes",
            "the peer's crc32c total is fixed".into(),
        ));
    }
    if config.snappy_total_bytes != defaults.snappy_total_bytes {
        return Err((
            "snappy_total_bytes",
            "the peer's Snappy total is fixed".into(),
        ));
    }
    Ok(())
}

/// LevelDB 1.23 reads every option with `sscanf("%d")`: a C `int`.
fn leveldb_options(
    options: &PeerOptions,
    out: &mut Vec<String>,
) -> Result<(), (&'static str, String)> {
    let ints = [
        ("write_buffer_size", options.write_buffer_size),
        ("max_file_size", options.max_file_size),
        ("block_size", options.block_size),
        ("cache_size", options.cache_size),
        ("bloom_bits", options.bloom_bits),
        ("open_files", options.open_files),
    ];
    for (key, value) in ints {
        let Some(value) = value else { continue };
        if value > i32::MAX as u64 {
            return Err((
                key,
                format!(
                    "LevelDB 1.23's db_bench reads --{key} as a C int (at most {}), got {value}",
                    i32::MAX
                ),
            ));
        }
        out.push(format!("--{key}={value}"));
    }
    // No compression flag: LevelDB 1.23's db_bench compresses with Snappy
    // exactly when it was built with it. `compression` is checked against
    // the binary's header instead (the run fails if they disagree): use
    // the install script's db_bench_nosnappy for compression=none.
    Ok(())
}

/// RocksDB's names; `--block_size`, `--bloom_bits` and `--open_files` are
/// `int32`, the rest `int64`.
fn rocksdb_options(
    options: &PeerOptions,
    out: &mut Vec<String>,
) -> Result<(), (&'static str, String)> {
    let flags = [
        (
            "write_buffer_size",
            "write_buffer_size",
            options.write_buffer_size,
            i64::MAX as u64,
        ),
        (
            "max_file_size",
            "target_file_size_base",
            options.max_file_size,
            i64::MAX as u64,
        ),
        (
            "block_size",
            "block_size",
            options.block_size,
            i32::MAX as u64,
        ),
        (
            "cache_size",
            "cache_size",
            options.cache_size,
            i64::MAX as u64,
        ),
        (
            "bloom_bits",
            "bloom_bits",
            options.bloom_bits,
            i32::MAX as u64,
        ),
        (
            "open_files",
            "open_files",
            options.open_files,
            i32::MAX as u64,
        ),
    ];
    for (key, flag, value, max) in flags {
        let Some(value) = value else { continue };
        if value > max {
            return Err((
                key,
                format!("RocksDB's db_bench takes --{flag} up to {max}, got {value}"),
            ));
        }
        out.push(format!("--{flag}={value}"));
    }
    if let Some(on) = options.compression {
        out.push(format!(
            "--compression_type={}",
            if on { "snappy" } else { "none" }
        ));
    }
    Ok(())
}
