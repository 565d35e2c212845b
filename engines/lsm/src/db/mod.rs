//! The database: LevelDB's `DBImpl` over strata's parts.
//!
//! - [`write`]: group commit: concurrent writers queue behind one leader,
//!   who appends their batches to the WAL as one record, syncs once if any
//!   asked, and applies them to the memtable; memtable switches and write
//!   stalls (slowdown at 8 level-0 files, stop at 12, for `leveled`; 20
//!   and 36 for the policies keeping runs in level 0), counted and timed.
//! - [`read`]: point lookups (memtable, immutable memtable, tables) and
//!   cursors.
//! - [`background`]: the one background thread: flushes and compactions.
//! - [`purge`]: the thread deleting obsolete files.
//! - [`recovery`]: open: `LOCK`, `CURRENT` → MANIFEST, then every WAL newer
//!   than the log number.
//! - [`properties`]: `leveldb.*` properties, metrics and the tree's state.

mod background;
mod properties;
mod purge;
mod read;
mod recovery;
mod state;
mod write;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_faults;
#[cfg(test)]
mod tests_stalls;
#[cfg(test)]
mod tests_wal_gaps;

use crate::compaction::CompactionPolicy;
use crate::options::DbOptions;
use crate::table::BlockCache;
use crate::table_cache::TableCache;
use parking_lot::{Condvar, Mutex};
use state::{Counters, DbState};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use strata_api::{
    Engine, EngineMetrics, EngineState, FileLock, KvIterator, ReadOptions, Result, Snapshot,
    WriteBatch, WriteOptions,
};

pub use recovery::destroy_db;
use recovery::OpenMode;

/// Shared by the handle, the background thread and snapshot releases.
pub(crate) struct DbInner {
    pub(crate) options: DbOptions,
    pub(crate) dir: PathBuf,
    pub(crate) policy: Box<dyn CompactionPolicy>,
    pub(crate) table_cache: Arc<TableCache>,
    pub(crate) block_cache: Arc<BlockCache>,
    pub(crate) state: Mutex<DbState>,
    /// Wakes the background thread.
    pub(crate) bg_cv: Condvar,
    /// Signalled whenever background work finishes a step.
    pub(crate) done_cv: Condvar,
    /// Signalled when a write group completes or leadership is released.
    pub(crate) writer_cv: Condvar,
    /// Highest sequence number whose write is fully applied (readers see up
    /// to here).
    pub(crate) visible_sequence: AtomicU64,
    /// True while an immutable memtable waits for its flush.
    pub(crate) has_imm: AtomicBool,
    pub(crate) shutting_down: AtomicBool,
    pub(crate) counters: Counters,
    /// Tests hold background work back with it, to build a tree shape or
    /// force a stall deterministically.
    #[cfg(test)]
    pub(crate) hold: HoldBackground,
    /// Deletes obsolete files off the background thread; `None` when
    /// opened read-only (nothing is deleted then) or without
    /// `background_file_deletes`.
    pub(crate) purger: Option<purge::Purger>,
    pub(crate) _lock: FileLock,
    /// Opened with [`Db::open_read_only`]: writes and compactions refused.
    pub(crate) read_only: bool,
}

/// Test hook: background work the background thread must not start (work
/// already started finishes). Set before the work is queued; after
/// clearing, call `maybe_schedule`.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct HoldBackground {
    /// No flush starts: a full memtable stops writers.
    pub(crate) flushes: AtomicBool,
    /// No compaction chosen by the policy starts (flushes go on): level 0
    /// grows.
    pub(crate) compactions: AtomicBool,
}

/// strata's LSM database. Open with [`Db::open`]; closes (waiting for the
/// background thread, leaving the WAL for the next open) when dropped.
pub struct Db {
    inner: Arc<DbInner>,
    bg_thread: Option<JoinHandle<()>>,
}

impl Db {
    /// Opens (or, with `create_if_missing`, creates) the database in `dir`.
    ///
    /// # Errors
    /// `InvalidArgument` if it is missing and `create_if_missing` is false,
    /// or exists and `error_if_exists` is true; `Io` if `LOCK` is held by
    /// another open; `Corruption` naming file and offset if the MANIFEST
    /// (or, under `paranoid_checks`, a WAL) is damaged.
    pub fn open(options: DbOptions, dir: impl AsRef<Path>) -> Result<Db> {
        let inner = recovery::open_inner(options, dir.as_ref(), OpenMode::ReadWrite)?;
        let bg_inner = Arc::clone(&inner);
        let bg_thread = std::thread::Builder::new()
            .name("strata-lsm-bg".into())
            .spawn(move || background::run(&bg_inner))
            .map_err(|e| strata_api::Error::io(dir.as_ref(), e))?;
        inner.maybe_schedule();
        Ok(Db {
            inner,
            bg_thread: Some(bg_thread),
        })
    }

    /// Opens the existing database in `dir` for reading only (RocksDB's
    /// `DB::OpenForReadOnly`): nothing in the directory is created,
    /// written, renamed or deleted, not even `LOCK` or `LOG`. The WALs are
    /// replayed into memory; no background thread runs. Writes, `flush`
    /// and `compact_range` fail with `InvalidArgument`. No lock is taken:
    /// a process writing the database at the same time may delete files
    /// this one reads (they then fail with `Io`).
    ///
    /// # Errors
    /// `InvalidArgument` naming `dir` if it holds no database (no
    /// `CURRENT`); `Corruption` and `Io` as [`Db::open`].
    pub fn open_read_only(options: DbOptions, dir: impl AsRef<Path>) -> Result<Db> {
        let inner = recovery::open_inner(options, dir.as_ref(), OpenMode::ReadOnly)?;
        Ok(Db {
            inner,
            bg_thread: None,
        })
    }

    /// The options the database was opened with.
    pub fn options(&self) -> &DbOptions {
        &self.inner.options
    }

    /// Flushes the memtable to a table now and waits for it.
    ///
    /// # Errors
    /// A background error met while flushing.
    pub fn flush(&self) -> Result<()> {
        self.inner.refuse_if_read_only()?;
        self.inner.flush_memtable_and_wait()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        self.inner.shutting_down.store(true, Ordering::Release);
        {
            let _st = self.inner.state.lock();
            self.inner.bg_cv.notify_all();
        }
        if let Some(handle) = self.bg_thread.take() {
            let _ = handle.join();
        }
        if let Some(purger) = &self.inner.purger {
            purger.close();
        }
        let mut st = self.inner.state.lock();
        if let Some(mut log) = st.prev_log.take() {
            let _ = log.close();
        }
        if let Some(mut log) = st.log.take() {
            let _ = log.close();
        }
        let _ = st.versions.close();
    }
}

impl DbInner {
    /// `InvalidArgument` if the database was opened read-only.
    pub(crate) fn refuse_if_read_only(&self) -> Result<()> {
        if self.read_only {
            return Err(strata_api::Error::InvalidArgument(format!(
                "{}: opened read-only",
                self.dir.display()
            )));
        }
        Ok(())
    }

    /// Waits until the files found obsolete so far are deleted.
    pub(crate) fn wait_for_purge(&self) {
        if let Some(purger) = &self.purger {
            purger.wait_idle();
        }
    }

    /// Wakes the background thread if there may be work.
    pub(crate) fn maybe_schedule(&self) {
        self.bg_cv.notify_all();
    }

    /// The spec string of these options, canonical.
    fn spec_string(&self) -> String {
        crate::spec::canonical(&self.options)
    }
}

impl Engine for Db {
    fn spec(&self) -> String {
        self.inner.spec_string()
    }

    fn write(&self, options: &WriteOptions, batch: &WriteBatch) -> Result<()> {
        self.inner.refuse_if_read_only()?;
        self.inner.write(options, batch)
    }

    fn get_into(&self, options: &ReadOptions, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        self.inner.get_into(options, key, value)
    }

    fn iter(&self, options: &ReadOptions) -> Result<Box<dyn KvIterator>> {
        self.inner.iter(options)
    }

    fn snapshot(&self) -> Snapshot {
        DbInner::snapshot(&self.inner)
    }

    fn compact_range(&self, begin: Option<&[u8]>, end: Option<&[u8]>) -> Result<()> {
        self.inner.refuse_if_read_only()?;
        self.inner.compact_range(begin, end)
    }

    fn property(&self, name: &str) -> Option<String> {
        self.inner.property(name)
    }

    fn metrics(&self) -> EngineMetrics {
        self.inner.metrics()
    }

    fn state(&self) -> EngineState {
        self.inner.state()
    }

    fn wait_for_background(&self) -> Result<()> {
        if self.inner.read_only {
            // No background thread runs: nothing to wait for.
            return Ok(());
        }
        self.inner.wait_for_background()
    }
}
