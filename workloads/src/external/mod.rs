//! A db_bench-compatible binary as an engine, run as its own users run it.
//!
//! LevelDB 1.23's `db_bench` and RocksDB's (Debian's `rocksdb-tools`) are
//! not in-process engines: strata gives the binary a whole db_bench list at
//! once, with its own settings translated to the peer's flags ([`args`]),
//! reads the peer's output lines ([`parse`]) and turns each result line
//! into the same [`BenchResult`](crate::db_bench::BenchResult) strata's own
//! suite produces, so the peer's rows sit beside every other engine's.
//! [`PeerWorkload`] is the [`Workload`](crate::Workload) that does it: one
//! child process per run of the list, so the peer's own seeds advance
//! exactly as in its own runs.
//!
//! A setting the peer cannot express, a benchmark it lacks, an exit status
//! other than 0, a result line that does not parse and a benchmark missing
//! from the output are errors (never silently dropped); the runtime ones
//! quote the peer's last lines.

mod args;
pub mod parse;
mod run;

pub use args::{args, lacks, UnsupportedFlag, ROCKSDB_LACKS};
pub use run::PeerWorkload;

use crate::db_bench::BenchResult;
use std::fmt;
use std::path::PathBuf;

/// Which db_bench a binary is: its flag names, benchmark set and output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavour {
    /// LevelDB 1.23's `benchmarks/db_bench.cc` (and ports that print the
    /// same lines).
    LevelDb,
    /// RocksDB's `tools/db_bench_tool.cc` (checked against 7.8.3).
    RocksDb,
}

impl Flavour {
    /// The peer's name in messages: `LevelDB` or `RocksDB` (the word its
    /// version line starts with).
    pub fn name(self) -> &'static str {
        match self {
            Flavour::LevelDb => "LevelDB",
            Flavour::RocksDb => "RocksDB",
        }
    }
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A db_bench binary and its flavour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// The executable.
    pub binary: PathBuf,
    /// Which db_bench it is.
    pub flavour: Flavour,
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}'s db_bench ({})", self.flavour, self.binary.display())
    }
}

/// The engine options of a `db_bench:` spec (the `leveldb` kind's keys);
/// `None` leaves the peer's own default (which differ between the
/// flavours: RocksDB's write buffer and file size are 64 MiB, LevelDB's
/// 4 MiB and 2 MiB).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerOptions {
    /// Memtable bytes before a flush.
    pub write_buffer_size: Option<u64>,
    /// Table file bytes (RocksDB: the level-1 target file size).
    pub max_file_size: Option<u64>,
    /// Data block bytes before compression.
    pub block_size: Option<u64>,
    /// Block cache bytes.
    pub cache_size: Option<u64>,
    /// Bloom filter bits per key (0: no filter).
    pub bloom_bits: Option<u64>,
    /// Table files kept open.
    pub open_files: Option<u64>,
    /// Snappy block compression on (`true`) or off.
    pub compression: Option<bool>,
}

/// One benchmark as a peer measured it.
#[derive(Debug, Clone)]
pub struct PeerResult {
    /// The figures in strata's shape. `metrics` is `None` (the peer's
    /// internal counters are not visible, so write amplification is left
    /// empty); `logical_bytes` is `None`; `db_size_bytes` is the database
    /// directory's size when the result line arrived (the peer has moved
    /// on to the next benchmark by then). See [`parse::to_report`] for how
    /// each figure is read or derived.
    pub result: BenchResult,
    /// The binary that ran.
    pub binary: PathBuf,
    /// The peer's version line's value (`1.23`, `7.8.3`).
    pub version: String,
    /// The peer's header: `LevelDB:`/`RocksDB:`, `Date:`, `CPU:`,
    /// `CPUCache:` (from its stderr), `Keys:`, `Values:`, `Entries:`, … and
    /// its warnings (from its stdout), in order.
    pub header: Vec<String>,
    /// The peer process's own peak resident set size (`VmHWM`) when the
    /// result line arrived, bytes; `None` if it could not be read (the
    /// process had exited). Not strata's: the harness's memory is not the
    /// peer's.
    pub peak_rss_bytes: Option<u64>,
}
