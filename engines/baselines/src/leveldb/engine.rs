//! [`LevelDb`]: LevelDB 1.23 behind strata's [`Engine`] trait.

use super::batch;
use super::codecs::LevelDbCodecs;
use super::error::ErrorSlot;
use super::ffi;
use super::handle::Handle;
use super::iter::LevelDbIter;
use super::stats;
use crate::options::BaselineOptions;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use strata_api::codecs::CodecsUnavailable;
use strata_api::{
    Codecs, Engine, EngineMetrics, EngineSpec, EngineState, Error, KvIterator, ReadOptions, Result,
    Snapshot, WriteBatch, WriteOptions,
};

/// Opens (creating if missing) LevelDB 1.23 in `dir` with the options of a
/// `leveldb:` spec, as an [`Engine`].
///
/// # Errors
/// `InvalidArgument` for a spec of another kind or a path with a NUL byte;
/// `Io` if the directory cannot be created or its `LOCK` is held (for
/// example by another open of the same directory); `Corruption` if LevelDB
/// finds the MANIFEST or a log damaged.
pub fn open_leveldb(spec: &EngineSpec, dir: &Path) -> Result<Arc<dyn Engine>> {
    Ok(Arc::new(LevelDb::open(spec, dir)?))
}

/// LevelDB 1.23 through its C API.
///
/// Reads and writes are thin calls into the library; see the crate docs for
/// what the C API costs on top of the C++ one and which metrics are counted.
pub struct LevelDb {
    handle: Arc<Handle>,
    spec: String,
}

impl LevelDb {
    /// Opens (creating if missing) the database in `dir` with the options of
    /// `spec` (kind `leveldb`).
    ///
    /// # Errors
    /// As [`open_leveldb`].
    pub fn open(spec: &EngineSpec, dir: &Path) -> Result<LevelDb> {
        let options = BaselineOptions::from_spec(spec, "leveldb")?;
        let dir_text = dir.to_str().ok_or_else(|| {
            Error::InvalidArgument(format!("database path {} is not UTF-8", dir.display()))
        })?;
        Ok(LevelDb {
            handle: Arc::new(Handle::open(&options, dir_text)?),
            spec: spec.to_string(),
        })
    }

    /// The library's version as `(major, minor)`, `(1, 23)` on Debian 12.
    pub fn library_version() -> (i32, i32) {
        // SAFETY: pure functions without arguments.
        unsafe { (ffi::leveldb_major_version(), ffi::leveldb_minor_version()) }
    }

    fn write_options(&self, options: &WriteOptions) -> *const ffi::leveldb_writeoptions_t {
        if options.sync {
            self.handle.write_sync
        } else {
            self.handle.write_nosync
        }
    }

    /// Runs `f` with C read options matching `options`: the shared default
    /// ones when they suffice, else a temporary set freed afterwards.
    fn with_read_options<T>(
        &self,
        options: &ReadOptions,
        f: impl FnOnce(*const ffi::leveldb_readoptions_t) -> T,
    ) -> Result<T> {
        if !options.verify_checksums && options.fill_cache && options.snapshot.is_none() {
            return Ok(f(self.handle.read_default));
        }
        let snapshot = match &options.snapshot {
            None => std::ptr::null(),
            Some(s) => self.snapshot_pointer(s)?,
        };
        struct Temporary(*mut ffi::leveldb_readoptions_t);
        impl Drop for Temporary {
            fn drop(&mut self) {
                // SAFETY: created below and destroyed once.
                unsafe { ffi::leveldb_readoptions_destroy(self.0) }
            }
        }
        // SAFETY: a fresh object, owned by the guard; `snapshot` is NULL or
        // a live snapshot of this database (checked above).
        let temporary = unsafe {
            let t = Temporary(ffi::leveldb_readoptions_create());
            ffi::leveldb_readoptions_set_verify_checksums(t.0, u8::from(options.verify_checksums));
            ffi::leveldb_readoptions_set_fill_cache(t.0, u8::from(options.fill_cache));
            if !snapshot.is_null() {
                ffi::leveldb_readoptions_set_snapshot(t.0, snapshot);
            }
            t
        };
        Ok(f(temporary.0))
    }

    /// The C snapshot behind `snapshot`, if it is a live one of this
    /// database (its id is the C pointer's address).
    fn snapshot_pointer(&self, snapshot: &Snapshot) -> Result<*const ffi::leveldb_snapshot_t> {
        let live = self
            .handle
            .live_snapshots
            .lock()
            .map_err(|_| Error::Unavailable("snapshot registry poisoned".into()))?;
        if live.contains(&snapshot.id()) {
            Ok(snapshot.id() as usize as *const ffi::leveldb_snapshot_t)
        } else {
            Err(Error::InvalidArgument(format!(
                "snapshot {} was not taken from this LevelDB",
                snapshot.id()
            )))
        }
    }

    /// Bytes of the live table files, summed from `leveldb.sstables`
    /// (one ` NUMBER:SIZE[...]` line per file).
    fn live_table_bytes(&self) -> u64 {
        let Some(listing) = self.handle.property("leveldb.sstables") else {
            return 0;
        };
        listing
            .lines()
            .filter_map(|line| {
                let (_, rest) = line.strip_prefix(' ')?.split_once(':')?;
                let digits = rest.split('[').next()?;
                digits.parse::<u64>().ok()
            })
            .sum()
    }
}

impl Engine for LevelDb {
    fn spec(&self) -> String {
        self.spec.clone()
    }

    fn codecs(&self) -> Option<Box<dyn Codecs>> {
        LevelDbCodecs::available().map(|c| Box::new(c) as Box<dyn Codecs>)
    }

    fn codecs_unavailable(&self) -> Option<CodecsUnavailable> {
        LevelDbCodecs::unavailable()
    }

    fn put(&self, options: &WriteOptions, key: &[u8], value: &[u8]) -> Result<()> {
        let mut err = ErrorSlot::new();
        // SAFETY: the database is open; LevelDB copies key and value.
        unsafe {
            ffi::leveldb_put(
                self.handle.db,
                self.write_options(options),
                key.as_ptr().cast(),
                key.len(),
                value.as_ptr().cast(),
                value.len(),
                err.as_errptr(),
            );
        }
        err.check(&self.handle.dir)?;
        self.handle
            .user_bytes_written
            .fetch_add((key.len() + value.len()) as u64, Ordering::Relaxed);
        Ok(())
    }

    fn delete(&self, options: &WriteOptions, key: &[u8]) -> Result<()> {
        let mut err = ErrorSlot::new();
        // SAFETY: the database is open; LevelDB copies the key.
        unsafe {
            ffi::leveldb_delete(
                self.handle.db,
                self.write_options(options),
                key.as_ptr().cast(),
                key.len(),
                err.as_errptr(),
            );
        }
        err.check(&self.handle.dir)?;
        self.handle
            .user_bytes_written
            .fetch_add(key.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    fn write(&self, options: &WriteOptions, batch: &WriteBatch) -> Result<()> {
        batch.check_encodable()?;
        let user_bytes = batch::write_through(batch, |c_batch| {
            let mut err = ErrorSlot::new();
            // SAFETY: the database is open and `c_batch` live for the call.
            unsafe {
                ffi::leveldb_write(
                    self.handle.db,
                    self.write_options(options),
                    c_batch,
                    err.as_errptr(),
                );
            }
            err.check(&self.handle.dir)
        })?;
        self.handle
            .user_bytes_written
            .fetch_add(user_bytes, Ordering::Relaxed);
        Ok(())
    }

    fn get_into(&self, options: &ReadOptions, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        value.clear();
        self.handle.gets.fetch_add(1, Ordering::Relaxed);
        let mut err = ErrorSlot::new();
        let mut len = 0usize;
        let found = self.with_read_options(options, |read| {
            // SAFETY: the database is open; `read` is live for the call.
            unsafe {
                ffi::leveldb_get(
                    self.handle.db,
                    read,
                    key.as_ptr().cast(),
                    key.len(),
                    &mut len,
                    err.as_errptr(),
                )
            }
        })?;
        err.check(&self.handle.dir)?;
        if found.is_null() {
            return Ok(false);
        }
        // SAFETY: a non-NULL result is a malloc'd copy of `len` bytes,
        // copied into the caller's buffer and freed exactly once.
        unsafe {
            if len > 0 {
                value.extend_from_slice(std::slice::from_raw_parts(found.cast::<u8>(), len));
            }
            ffi::leveldb_free(found.cast());
        }
        Ok(true)
    }

    fn iter(&self, options: &ReadOptions) -> Result<Box<dyn KvIterator>> {
        let it = self.with_read_options(options, |read| {
            // SAFETY: the database is open; LevelDB copies what it needs of
            // `read` (the snapshot's sequence) at creation.
            unsafe { ffi::leveldb_create_iterator(self.handle.db, read) }
        })?;
        Ok(Box::new(LevelDbIter::new(
            it,
            options.snapshot.clone(),
            Arc::clone(&self.handle),
        )))
    }

    fn snapshot(&self) -> Snapshot {
        // SAFETY: the database is open.
        let raw = unsafe { ffi::leveldb_create_snapshot(self.handle.db) };
        let id = raw as usize as u64;
        if let Ok(mut live) = self.handle.live_snapshots.lock() {
            live.insert(id);
        }
        let handle = Arc::clone(&self.handle);
        Snapshot::new(
            id,
            Box::new(move |id| {
                if let Ok(mut live) = handle.live_snapshots.lock() {
                    live.remove(&id);
                }
                // SAFETY: `handle` keeps the database open; the snapshot
                // was created by it and is released once (the last handle
                // of a `Snapshot` runs this exactly once).
                unsafe {
                    ffi::leveldb_release_snapshot(
                        handle.db,
                        id as usize as *const ffi::leveldb_snapshot_t,
                    )
                }
            }),
        )
    }

    fn compact_range(&self, begin: Option<&[u8]>, end: Option<&[u8]>) -> Result<()> {
        let (begin_ptr, begin_len) = begin.map_or((std::ptr::null(), 0), |b| (b.as_ptr(), b.len()));
        let (end_ptr, end_len) = end.map_or((std::ptr::null(), 0), |e| (e.as_ptr(), e.len()));
        // SAFETY: the database is open; a NULL bound means unbounded.
        unsafe {
            ffi::leveldb_compact_range(
                self.handle.db,
                begin_ptr.cast(),
                begin_len,
                end_ptr.cast(),
                end_len,
            );
        }
        Ok(())
    }

    fn property(&self, name: &str) -> Option<String> {
        self.handle.property(name)
    }

    fn metrics(&self) -> EngineMetrics {
        EngineMetrics {
            user_bytes_written: self.handle.user_bytes_written.load(Ordering::Relaxed),
            gets: self.handle.gets.load(Ordering::Relaxed),
            live_table_bytes: self.live_table_bytes(),
            ..EngineMetrics::default()
        }
    }

    /// Level 0's file count from `leveldb.num-files-at-level0` (exact) and
    /// bytes per level (all 7) from `leveldb.stats`, whose sizes are whole
    /// MiB (each level within 0.5 MiB, see `stats.rs`; a level
    /// under 0.5 MiB reads 0). Memtable bytes stay unknown: the C API's
    /// `leveldb.approximate-memory-usage` adds the block cache's usage to the
    /// memtables'. Pending compaction bytes and running compactions are not
    /// exposed. Two property calls, each a short hold of LevelDB's mutex.
    fn state(&self) -> EngineState {
        EngineState {
            level0_files: self
                .handle
                .property("leveldb.num-files-at-level0")
                .and_then(|v| v.trim().parse().ok()),
            level_bytes: self
                .handle
                .property("leveldb.stats")
                .and_then(|text| stats::level_bytes(&text))
                .unwrap_or_default(),
            ..EngineState::default()
        }
    }
}
