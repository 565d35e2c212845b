//! The mutable state of a database, guarded by one mutex, and its counters.

use crate::memtable::MemTable;
use crate::version::edit::NUM_LEVELS;
use crate::version::{FileEntry, VersionSet};
use crate::wal::writer::LogWriter;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;
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
    /// The WAL before `log`, while its memtable (`imm`) is not yet flushed
    /// and its records are not known durable: a memtable switch does not
    /// sync it. The next synced write (or sync barrier) syncs it first;
    /// the flush of `imm` makes it obsolete and closes it unsynced.
    pub(crate) prev_log: Option<LogWriter>,
    /// Whether `log`'s directory entry is known durable (a directory sync
    /// ran after its creation). A switch does not sync the directory: the
    /// next synced write does, or the flush's MANIFEST commit.
    pub(crate) log_dir_synced: bool,
    /// The last sequence number in `imm` (the engine's last sequence when
    /// it was switched out): its flush makes it the flushed sequence.
    pub(crate) imm_last_sequence: u64,
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
    pub(crate) leader_buf: Option<WriteBatch>,
    /// Write stalls so far (only the write leader stalls, with this lock
    /// held around the bookkeeping).
    pub(crate) stalls: StallStats,
}

/// Why a writer is stalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StallKind {
    /// Delayed once by 1 ms: level 0 reached the slowdown trigger.
    Slowdown,
    /// Waiting for the background thread: the memtable is full while the
    /// previous one is unflushed, or level 0 reached the stop trigger.
    Stop,
}

/// Write-stall counters. Kept under the state mutex (not atomics) so that
/// a stall in progress is counted consistently with the finished ones.
#[derive(Debug, Default)]
pub(crate) struct StallStats {
    pub(crate) slowdowns: u64,
    pub(crate) slowdown_time_us: u64,
    pub(crate) stops: u64,
    pub(crate) stop_time_us: u64,
    /// The stall in progress: when it began and why.
    pub(crate) current: Option<(Instant, StallKind)>,
}

impl StallStats {
    /// Counts a stall beginning now.
    pub(crate) fn begin(&mut self, kind: StallKind) {
        debug_assert!(self.current.is_none(), "stalls do not nest");
        match kind {
            StallKind::Slowdown => self.slowdowns += 1,
            StallKind::Stop => self.stops += 1,
        }
        self.current = Some((Instant::now(), kind));
    }

    /// Adds the time of the stall in progress, if any, and ends it.
    pub(crate) fn end(&mut self) {
        if let Some((start, kind)) = self.current.take() {
            let us = start.elapsed().as_micros() as u64;
            match kind {
                StallKind::Slowdown => self.slowdown_time_us += us,
                StallKind::Stop => self.stop_time_us += us,
            }
        }
    }

    /// (slowdown, stop) time so far, microseconds, the stall in progress
    /// included up to now.
    pub(crate) fn time_us_now(&self) -> (u64, u64) {
        let (mut slow, mut stop) = (self.slowdown_time_us, self.stop_time_us);
        if let Some((start, kind)) = self.current {
            let us = start.elapsed().as_micros() as u64;
            match kind {
                StallKind::Slowdown => slow += us,
                StallKind::Stop => stop += us,
            }
        }
        (slow, stop)
    }
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
    /// Data blocks compactions copied as stored instead of rebuilding
    /// (`ExecContext::copy_stored_blocks`).
    pub(crate) stored_blocks_copied: AtomicU64,
}
