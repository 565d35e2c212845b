//! [`RustyLevelDb`]: the `rusty-leveldb` port behind strata's [`Engine`].

use super::codecs::RustyCodecs;
use super::iter::RustyIter;
use super::options::{map_status, to_rusty};
use super::shared::{HeldSnapshot, Shared};
use crate::options::BaselineOptions;
use rusty_leveldb::{LdbIterator, DB};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use strata_api::{
    BatchOp, Codecs, Engine, EngineMetrics, EngineSpec, Error, KvIterator, ReadOptions, Result,
    Snapshot, WriteBatch, WriteOptions,
};

/// Opens (creating if missing) a `rusty-leveldb` database in `dir` with the
/// options of a `rusty-leveldb:` spec, as an [`Engine`].
///
/// # Errors
/// `InvalidArgument` for a spec of another kind or a non-UTF-8 path; `Io`
/// if the directory cannot be created or is locked by another open;
/// `Corruption` if the port finds the MANIFEST or a log damaged.
pub fn open_rusty_leveldb(spec: &EngineSpec, dir: &Path) -> Result<Arc<dyn Engine>> {
    Ok(Arc::new(RustyLevelDb::open(spec, dir)?))
}

/// The pure-Rust `rusty-leveldb` 3 port, serialised on one mutex. Flushes
/// and compactions run inline in the write that triggers them (see the
/// crate docs).
pub struct RustyLevelDb {
    shared: Arc<Shared>,
    spec: String,
    user_bytes_written: AtomicU64,
    gets: AtomicU64,
}

impl RustyLevelDb {
    /// Opens (creating if missing) the database in `dir` with the options
    /// of `spec` (kind `rusty-leveldb`).
    ///
    /// # Errors
    /// As [`open_rusty_leveldb`].
    pub fn open(spec: &EngineSpec, dir: &Path) -> Result<RustyLevelDb> {
        let options = BaselineOptions::from_spec(spec, "rusty-leveldb")?;
        let dir_text = dir.to_str().ok_or_else(|| {
            Error::InvalidArgument(format!("database path {} is not UTF-8", dir.display()))
        })?;
        // The port creates only the last path component; make the parents
        // as LevelDB's `CreateDir` users expect.
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let db = DB::open(dir, to_rusty(&options)).map_err(|s| map_status(dir_text, s))?;
        Ok(RustyLevelDb {
            shared: Arc::new(Shared::new(db, dir_text.to_string())),
            spec: spec.to_string(),
            user_bytes_written: AtomicU64::new(0),
            gets: AtomicU64::new(0),
        })
    }

    fn status(&self, status: rusty_leveldb::Status) -> Error {
        map_status(&self.shared.dir, status)
    }
}

impl Engine for RustyLevelDb {
    fn spec(&self) -> String {
        self.spec.clone()
    }

    fn codecs(&self) -> Option<Box<dyn Codecs>> {
        Some(Box::new(RustyCodecs::default()))
    }

    fn write(&self, options: &WriteOptions, batch: &WriteBatch) -> Result<()> {
        batch.check_encodable()?;
        let mut rusty_batch = rusty_leveldb::WriteBatch::default();
        for op in batch.iter() {
            match op? {
                BatchOp::Put { key, value } => rusty_batch.put(key, value),
                BatchOp::Delete { key } => rusty_batch.delete(key),
            }
        }
        let mut state = self.shared.lock()?;
        state
            .0
            .db
            .write(rusty_batch, options.sync)
            .map_err(|s| self.status(s))?;
        drop(state);
        self.user_bytes_written
            .fetch_add(batch.user_bytes(), Ordering::Relaxed);
        Ok(())
    }

    fn get_into(&self, options: &ReadOptions, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        value.clear();
        self.gets.fetch_add(1, Ordering::Relaxed);
        let mut state = self.shared.lock()?;
        let state = &mut state.0;
        let found = match &options.snapshot {
            // The port's `get` hides errors, but its lookup path cannot fail
            // (table read errors are already skipped inside it).
            None => state.db.get(key),
            Some(s) => {
                let held = state.snapshots.get(&s.id()).ok_or_else(|| foreign(s))?;
                (held.get)(&mut state.db, key).map_err(|e| self.status(e))?
            }
        };
        match found {
            Some(v) => {
                *value = v;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn iter(&self, options: &ReadOptions) -> Result<Box<dyn KvIterator>> {
        let mut state = self.shared.lock()?;
        let state = &mut state.0;
        let it = match &options.snapshot {
            None => state.db.new_iter(),
            Some(s) => {
                let held = state.snapshots.get(&s.id()).ok_or_else(|| foreign(s))?;
                (held.iter)(&mut state.db)
            }
        }
        .map_err(|e| self.status(e))?;
        Ok(Box::new(RustyIter::new(it, Arc::clone(&self.shared))))
    }

    fn snapshot(&self) -> Snapshot {
        let mut state = self.shared.lock_for_release();
        let state = &mut state.0;
        let id = state.next_snapshot_id;
        state.next_snapshot_id += 1;
        let for_get = state.db.get_snapshot();
        let for_iter = for_get.clone();
        state.snapshots.insert(
            id,
            HeldSnapshot {
                get: Box::new(move |db: &mut DB, key: &[u8]| db.get_at(&for_get, key)),
                iter: Box::new(move |db: &mut DB| db.new_iter_at(for_iter.clone())),
            },
        );
        let shared = Arc::clone(&self.shared);
        Snapshot::new(
            id,
            Box::new(move |id| {
                // Drop the port's snapshot (an `Rc`) while holding the lock.
                let mut state = shared.lock_for_release();
                drop(state.0.snapshots.remove(&id));
            }),
        )
    }

    fn compact_range(&self, begin: Option<&[u8]>, end: Option<&[u8]>) -> Result<()> {
        let mut state = self.shared.lock()?;
        let db = &mut state.0.db;
        let end = match end {
            Some(e) => e.to_vec(),
            None => match last_key(db).map_err(|e| map_status(&self.shared.dir, e))? {
                Some(k) => k,
                None => return Ok(()),
            },
        };
        db.compact_range(begin.unwrap_or(&[]), &end)
            .map_err(|e| map_status(&self.shared.dir, e))
    }

    /// The port has no properties.
    fn property(&self, _name: &str) -> Option<String> {
        None
    }

    fn metrics(&self) -> EngineMetrics {
        EngineMetrics {
            user_bytes_written: self.user_bytes_written.load(Ordering::Relaxed),
            gets: self.gets.load(Ordering::Relaxed),
            ..EngineMetrics::default()
        }
    }
}

/// The largest key in `db` (the port's iterator cannot start at the end).
fn last_key(db: &mut DB) -> rusty_leveldb::Result<Option<Vec<u8>>> {
    let mut it = db.new_iter()?;
    let (mut last, mut key, mut value) = (None, Vec::new(), Vec::new());
    it.seek_to_first();
    while it.valid() {
        if it.current(&mut key, &mut value) {
            last = Some(std::mem::take(&mut key));
        }
        it.advance();
    }
    Ok(last)
}

fn foreign(snapshot: &Snapshot) -> Error {
    Error::InvalidArgument(format!(
        "snapshot {} was not taken from this rusty-leveldb",
        snapshot.id()
    ))
}
