//! Real peers behind strata's [`Engine`](strata_api::Engine) trait, so that
//! every number strata reports can sit beside a baseline measured on the
//! same machine in the same run.
//!
//! Each peer is behind a cargo feature; with no feature this crate is empty
//! apart from [`BaselineOptions`] and the peers' [`spec`] keys, and the
//! harness reports the engine as not compiled in.
//!
//! # `leveldb`: LevelDB 1.23 through its C API
//!
//! [`open_leveldb`] links the system library (`leveldb/c.h`), declared by
//! hand in a small FFI module. Install it with
//! `apt-get install libleveldb-dev libsnappy-dev`; without it the build
//! script fails naming those packages (`LEVELDB_LIB_DIR` points it at
//! another directory).
//!
//! Spec keys map to `leveldb_options_*`: `compression` →
//! `set_compression`, `bloom_bits` → a built-in bloom filter policy (none for
//! 0), `write_buffer_size`, `max_file_size`, `block_size` → their setters,
//! `cache_size` → an LRU cache of that capacity (0 turns block caching off;
//! LevelDB would otherwise make its own 8 MiB cache), `open_files` →
//! `set_max_open_files`. LevelDB clamps some of them when it opens
//! (`SanitizeOptions`: write buffer 64 KiB..1 GiB, table file 1 MiB..1 GiB,
//! block 1 KiB..4 MiB, open files 74..50000), so smaller spec values act as
//! those minimums.
//!
//! What the C API costs on top of the C++ one, and so what this baseline
//! pays that a C++ `db_bench` does not (measured by
//! `benches/c_api_overhead.rs`; figures in the README):
//! - every `get` returns a `malloc`'d copy of the value (`leveldb_get`
//!   fills a temporary `std::string`, then copies it), which the wrapper
//!   copies into the caller's reused buffer and frees at once with
//!   `leveldb_free`;
//! - a `WriteBatch` is appended op by op, straight from strata's encoding,
//!   to a `leveldb_writebatch_t` that each thread keeps and clears between
//!   writes (as db_bench's `DoWrite` keeps one `WriteBatch`): no batch is
//!   created or destroyed per write, but the C API cannot adopt LevelDB's
//!   encoding, so the updates are copied once more than in C++; `put` and
//!   `delete` call `leveldb_put`/`leveldb_delete` (C++ `DB::Put`/`Delete`);
//! - reads with non-default `ReadOptions` create and free a
//!   `leveldb_readoptions_t` per call (default reads share one);
//! - iterator `key`/`value` borrow LevelDB's buffers with no copy; each
//!   step is one call per C function (`next`, then `valid`, cached until
//!   the next move), where C++ makes the same virtual calls.
//!
//! State (`Engine::state`, sampled by the time series): level-0 files from
//! `leveldb.num-files-at-level0`, bytes of each of the 7 levels from
//! `leveldb.stats`, which prints whole MiB (each level within 0.5 MiB; a
//! level under 0.5 MiB reads 0). Memtable bytes, pending compaction bytes
//! and running compactions are not exposed (`approximate-memory-usage`
//! includes the block cache), so they stay unknown.
//!
//! Codecs: db_bench's `crc32c`, `snappycomp` and `snappyuncomp` time
//! LevelDB's own CRC-32C (taken from Debian's `libleveldb.a`) and
//! libsnappy. A build without that archive has no LevelDB codecs:
//! `Engine::codecs` is `None` and `Engine::codecs_unavailable` says why, so
//! those rows say they timed strata's crates (build with
//! `STRATA_LEVELDB_SKIP_CRC32C=1` to make such a build on purpose).
//!
//! Metrics: LevelDB's C API exposes no counters, so only what the wrapper
//! sees is counted: `user_bytes_written` (key plus value bytes of puts,
//! key bytes of deletes), `gets`, and `live_table_bytes` (summed from the
//! `leveldb.sstables` property when asked). Every other field of
//! [`EngineMetrics`](strata_api::EngineMetrics) stays zero (disk bytes,
//! flushes, compactions, stalls, tables probed); `leveldb.stats` has the
//! compaction totals in whole megabytes and seconds. `wait_for_background`
//! returns at once: the C API has no way to wait for compactions.
//!
//! Errors: LevelDB's messages become [`Error`](strata_api::Error)s by their
//! prefix: `Corruption: …` → `Corruption` (file = the database directory,
//! offset 0, LevelDB's message as the reason), `Invalid argument: …` →
//! `InvalidArgument`, `NotFound: …` → `NotFound`, anything else (including
//! a held `LOCK`) → `Io`.
//!
//! # `rusty-leveldb`: the pure-Rust port
//!
//! [`open_rusty_leveldb`] wraps the crates.io `rusty-leveldb` 3 crate. It is
//! single-threaded by design (`Rc` inside, `&mut self` methods), so the
//! wrapper serialises every call, iterator step and snapshot release on one
//! mutex. It has no background thread: memtable flushes and compactions run
//! inline on the write path, inside the `put`/`write` that fills the
//! memtable, so their cost shows up as write latency (and as read latency
//! when a seek-triggered compaction fires during a `get`). Its iterator has
//! no `seek_to_last`, so the wrapper's `seek_to_last` scans forward (linear
//! time) and `compact_range` with an open end first finds the last key the
//! same way. It exposes no properties (`property` returns `None`), no
//! counters besides what the wrapper sees (`user_bytes_written`, `gets`)
//! and nothing of its tree's shape (its version set is private), so
//! `Engine::state` knows nothing.
//!
//! Known upstream defects of rusty-leveldb 3.0.3 this wrapper does not hide:
//! backward iteration (`prev`, and so `seek_to_last` followed by `prev`)
//! also returns keys that were deleted (forward scans and gets are right);
//! and the port panics on some conditions instead of returning an error (for
//! example an empty filter), after which the wrapper's mutex is poisoned
//! and every later call returns `Unavailable`. With `bloom_bits=0` the port
//! still writes a filter block (a one-byte pass-through filter), because it
//! cannot be told to write none.

mod options;
pub mod spec;

pub use options::BaselineOptions;

#[cfg(feature = "leveldb")]
mod leveldb;

#[cfg(feature = "leveldb")]
pub use leveldb::{open_leveldb, LevelDb, LevelDbCodecs, LevelDbIter};

#[cfg(feature = "rusty-leveldb")]
mod rusty;

#[cfg(feature = "rusty-leveldb")]
pub use rusty::{open_rusty_leveldb, RustyLevelDb};
