//! The mutable state of a database, guarded by one mutex, and its counters.

use crate::memtable::MemTable;
use crate::version::edit::NUM_LEVELS;
use crate::version::{FileEntry, VersionSet};
use crate::wal::writer::LogWriter;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use strata_api::{Error, WriteBatch};

/// Per-level compaction statistics (LevelDB's `CompactionStats`).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LevelStats {
    pub(crate) micros: u64,
    pub(crate) bytes_read: u64,
    pub(crate) bytes_written: u64,
}

/// A `compact_range` in progress.
#[derive(Debug)]
pub(crate) struct ManualCompaction {
    pub(crate) level: usize,
    pub(crate) begin: Option<Vec<u8>>,
    pub(crate) end: Option<Vec<u8>>,
    pub(crate) done: bool,
}

/// Everything the mutex guards.
pub(crate) struct DbState {
    pub(crate) mem: Arc<dyn MemTable>,
    pub(crate) imm: Option<Arc<dyn MemTable>>,
    /// The WAL; taken by the write leader while it appends.
    pub(crate) log: Option<LogWriter>,
    pub(crate) log_number: u64,
    pub(crate) versions: VersionSet,
    /// Live snapshots: sequence → handle count.
    pub(crate) snapshots: BTreeMap<u64, usize>,
    /// Files being written by flushes and compactions.
    pub(crate) pending_outputs: HashSet<u64>,
    pub(crate) bg_error: Option<Error>,
    pub(crate) bg_running: bool,
    pub(crate) manual: Option<ManualCompaction>,
    pub(crate) seek_candidate: Option<(usize, Arc<FileEntry>)>,
    pub(crate) level_stats: [LevelStats; NUM_LEVELS],
    // Group commit.
    pub(crate) leader_active: bool,
    /// Batches of writers waiting for the leader, concatenated.
    pub(crate) pending: WriteBatch,
    pub(crate) pending_sync: bool,
    /// Writers waiting in `pending` (some may have added empty batches).
    pub(crate) pending_writers: usize,
    /// Id of the group `pending` will be written as.
    pub(crate) pending_group: u64,
    /// Every group with an id below this is finished.
    pub(crate) completed_groups: u64,
    /// The first group that failed and its error (every later write fails).
    pub(crate) failed_from_group: Option<(u64, Error)>,
    /// The leader's reused buffer.
    pub(crate) leader_buf: WriteBatch,
}

/// Counters behind `EngineMetrics`, updated without the mutex.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) user_bytes_written: AtomicU64,
    pub(crate) wal_bytes_written: AtomicU64,
    pub(crate) table_bytes_written: AtomicU64,
    pub(crate) gets: AtomicU64,
    pub(crate) tables_probed: AtomicU64,
    pub(crate) flushes: AtomicU64,
    pub(crate) compactions: AtomicU64,
    pub(crate) compaction_time_us: AtomicU64,
    pub(crate) compaction_bytes_read: AtomicU64,
    pub(crate) compaction_bytes_written: AtomicU64,
    pub(crate) stall_time_us: AtomicU64,
    pub(crate) stalls: AtomicU64,
}
