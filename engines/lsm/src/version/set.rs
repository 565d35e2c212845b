//! `VersionSet`: the current `Version`, the counters that name files and
//! sequence numbers, and the MANIFEST that logs every change to them.

use super::edit::{FileMetaData, VersionEdit, NUM_LEVELS};
use super::level_files::{FileEntry, Version};
use crate::format::comparator::{BytewiseComparator, Comparator};
use crate::format::filename::{current_file_name, descriptor_file_name, set_current_file};
use crate::format::internal_key::{compare_internal_keys, MAX_SEQUENCE_NUMBER};
use crate::wal::reader::{CollectingReporter, LogReader};
use crate::wal::writer::LogWriter;
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use strata_api::env::read_file_to_vec;
use strata_api::{Env, Error, Result};

/// The largest file number a database may use: far beyond any real
/// database (a file a nanosecond for a century is below 2^62), low enough
/// that counting up from it never overflows. A MANIFEST or a file name
/// with a larger number is corrupt or hostile.
pub const MAX_FILE_NUMBER: u64 = 1 << 62;

/// The versions of a database and the MANIFEST behind them.
pub struct VersionSet {
    env: Arc<dyn Env>,
    dir: PathBuf,
    current: Arc<Version>,
    /// Versions handed out that may still be in use (by cursors or reads);
    /// their files must not be deleted.
    live: Vec<Weak<Version>>,
    /// Next number to give a file.
    pub next_file_number: u64,
    /// Number of the MANIFEST being written.
    pub manifest_file_number: u64,
    /// The last sequence number given to a write (the engine's counter;
    /// after recovery, the largest of the MANIFEST's and the WALs').
    pub last_sequence: u64,
    /// The last sequence number any table may hold: the last write of the
    /// last flushed memtable. Edits record it as their last sequence
    /// (LevelDB records `last_sequence`; both bound every table's
    /// sequences, which is what a reader of the MANIFEST needs), so the
    /// WALs at and after `log_number` start exactly one past it: recovery
    /// checks that to find writes a crash lost (see `replay_logs`).
    pub flushed_sequence: u64,
    /// WALs older than this are obsolete.
    pub log_number: u64,
    /// The WAL of the memtable being flushed when the edit was made (0 if none).
    pub prev_log_number: u64,
    /// Per level: the largest internal key of the last compaction there
    /// (where the next leveled compaction starts).
    pub compact_pointers: Vec<Vec<u8>>,
    descriptor: Option<LogWriter>,
    /// The first failure to write or sync the MANIFEST: every later change
    /// fails with it until reopen.
    failed: Option<Error>,
    /// Bytes written to MANIFEST files.
    pub manifest_bytes_written: u64,
}

impl VersionSet {
    /// A version set for `dir` with no files (before recovery).
    pub fn new(env: Arc<dyn Env>, dir: &Path) -> Self {
        VersionSet {
            env,
            dir: dir.to_path_buf(),
            current: Arc::new(Version::empty()),
            live: Vec::new(),
            next_file_number: 2,
            manifest_file_number: 0,
            last_sequence: 0,
            flushed_sequence: 0,
            log_number: 0,
            prev_log_number: 0,
            compact_pointers: vec![Vec::new(); NUM_LEVELS],
            descriptor: None,
            failed: None,
            manifest_bytes_written: 0,
        }
    }

    /// The current version.
    pub fn current(&self) -> Arc<Version> {
        Arc::clone(&self.current)
    }

    /// Takes the next file number.
    pub fn new_file_number(&mut self) -> u64 {
        let n = self.next_file_number;
        self.next_file_number += 1;
        n
    }

    /// Marks `number` used (seen in a WAL name during recovery).
    pub fn mark_file_number_used(&mut self, number: u64) {
        if self.next_file_number <= number {
            self.next_file_number = number + 1;
        }
    }

    /// Writes the MANIFEST of a new, empty database (number 1) and points
    /// `CURRENT` at it.
    ///
    /// # Errors
    /// `Io`.
    pub fn create_new_db(env: &dyn Env, dir: &Path) -> Result<()> {
        let mut edit = VersionEdit {
            comparator: Some(BytewiseComparator.name().to_string()),
            log_number: Some(0),
            next_file_number: Some(2),
            last_sequence: Some(0),
            ..VersionEdit::default()
        };
        edit.prev_log_number = None;
        let path = descriptor_file_name(dir, 1);
        let mut log = LogWriter::new(env.new_writable_file(&path)?);
        let mut record = Vec::new();
        edit.encode(&mut record);
        let written = log
            .add_record(&record)
            .and_then(|()| log.sync())
            .and_then(|()| log.close())
            .and_then(|()| set_current_file(env, dir, 1));
        if let Err(e) = written {
            // CURRENT was not renamed: nothing names the MANIFEST.
            let _ = env.remove_file(&path);
            return Err(e);
        }
        // From here CURRENT may name MANIFEST-000001: keep it on failure.
        env.sync_dir(dir)
    }

    /// Reads `CURRENT` and replays its MANIFEST.
    ///
    /// Each MANIFEST record is synced before the change it logs is used, so
    /// only the last record can be an unfinished write: damage after the
    /// last intact record (a torn tail left by a crash) is dropped and
    /// returned, unless `paranoid_checks`; the caller must then check that
    /// the state without it is whole (a dropped edit that was in use has
    /// had its inputs or WALs deleted since). Damage followed by an intact
    /// record is always an error.
    ///
    /// # Errors
    /// `Corruption` naming the MANIFEST and offset if a record fails its
    /// checks, the edits are inconsistent, or a counter is beyond what
    /// file names and sequence numbers can hold; `Io`.
    pub fn recover(&mut self, paranoid_checks: bool) -> Result<Option<Error>> {
        let current_path = current_file_name(&self.dir);
        let current = read_file_to_vec(self.env.as_ref(), &current_path)?;
        let text = String::from_utf8_lossy(&current);
        let Some(name) = text
            .strip_suffix('\n')
            .filter(|n| !n.is_empty() && !n.contains('/'))
        else {
            return Err(Error::corruption(
                "CURRENT",
                0,
                "CURRENT file does not end with newline",
            ));
        };
        let manifest_path = self.dir.join(name);
        let file = self.env.new_sequential_file(&manifest_path)?;
        let reporter = CollectingReporter::new(name);
        let mut reader = LogReader::new(
            file,
            name.to_string(),
            Some(Box::new(reporter.clone())),
            true,
            0,
        );
        let mut builder = Builder::new(&self.current);
        let mut record = Vec::new();
        let (mut log_number, mut prev_log, mut next_file, mut last_seq) = (None, None, None, None);
        let mut last_good_offset = None;
        while reader.read_record(&mut record)? {
            let offset = reader.last_record_offset();
            last_good_offset = Some(offset);
            let edit = VersionEdit::decode(&record)
                .map_err(|reason| Error::corruption(name, offset, reason))?;
            if let Some(c) = &edit.comparator {
                if c != BytewiseComparator.name() {
                    return Err(Error::InvalidArgument(format!(
                        "{name}: comparator {c} does not match leveldb.BytewiseComparator"
                    )));
                }
            }
            builder.apply(&edit, &mut self.compact_pointers);
            log_number = edit.log_number.or(log_number);
            prev_log = edit.prev_log_number.or(prev_log);
            next_file = edit.next_file_number.or(next_file);
            last_seq = edit.last_sequence.or(last_seq);
        }
        let mut torn_tail = None;
        if let Some(err) = reporter.first() {
            let after_last_record = reporter
                .drops()
                .iter()
                .all(|d| last_good_offset.is_some_and(|good| d.offset_bytes > good));
            if paranoid_checks || !after_last_record {
                return Err(err);
            }
            torn_tail = Some(err);
        }
        let next_file = next_file
            .ok_or_else(|| Error::corruption(name, 0, "no meta-nextfile entry in descriptor"))?;
        let log_number = log_number
            .ok_or_else(|| Error::corruption(name, 0, "no meta-lognumber entry in descriptor"))?;
        let last_seq = last_seq.ok_or_else(|| {
            Error::corruption(name, 0, "no last-sequence-number entry in descriptor")
        })?;
        for (what, n) in [
            ("next file number", next_file),
            ("log number", log_number),
            ("previous log number", prev_log.unwrap_or(0)),
        ] {
            if n > MAX_FILE_NUMBER {
                return Err(Error::corruption(
                    name,
                    0,
                    format!("{what} {n} is beyond the largest file number {MAX_FILE_NUMBER}"),
                ));
            }
        }
        if last_seq > MAX_SEQUENCE_NUMBER {
            return Err(Error::corruption(
                name,
                0,
                format!("last sequence {last_seq} is beyond {MAX_SEQUENCE_NUMBER} (56 bits)"),
            ));
        }
        let version = builder
            .build()
            .map_err(|reason| Error::corruption(name, 0, reason))?;
        self.install(version);
        self.next_file_number = next_file;
        self.manifest_file_number = next_file;
        self.next_file_number += 1;
        self.mark_file_number_used(log_number);
        self.mark_file_number_used(prev_log.unwrap_or(0));
        self.log_number = log_number;
        self.prev_log_number = prev_log.unwrap_or(0);
        self.last_sequence = last_seq;
        self.flushed_sequence = last_seq;
        Ok(torn_tail)
    }

    fn install(&mut self, version: Version) {
        let v = Arc::new(version);
        self.live.retain(|w| w.strong_count() > 0);
        self.live.push(Arc::downgrade(&self.current));
        self.current = v;
    }

    /// Applies `edit` to the current version, logs it to the MANIFEST (a
    /// new MANIFEST with a full snapshot first, if none is open), syncs it
    /// and makes the result current.
    ///
    /// The directory is synced before the MANIFEST (new tables and a new
    /// MANIFEST must be in it before they are named durably); after a new
    /// MANIFEST, `CURRENT` is renamed to name it and the directory synced
    /// again. Any failure to write or sync leaves the version set failed:
    /// every later call returns the same error until the database is
    /// reopened (a retried sync could "succeed" over lost pages), and a
    /// MANIFEST that `CURRENT` may name is never deleted.
    ///
    /// # Errors
    /// `Io` writing or syncing the MANIFEST, `CURRENT` or the directory
    /// (the current version is then unchanged); `Corruption` if the edit is
    /// inconsistent with the version.
    pub fn log_and_apply(&mut self, edit: &mut VersionEdit) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if edit.log_number.is_none() {
            edit.log_number = Some(self.log_number);
        }
        if edit.prev_log_number.is_none() {
            edit.prev_log_number = Some(self.prev_log_number);
        }
        edit.next_file_number = Some(self.next_file_number);
        debug_assert!(self.flushed_sequence <= self.last_sequence);
        edit.last_sequence = Some(self.flushed_sequence);
        let mut pointers = self.compact_pointers.clone();
        let mut builder = Builder::new(&self.current);
        builder.apply(edit, &mut pointers);
        let version = builder
            .build()
            .map_err(|reason| Error::corruption("version edit", 0, reason))?;

        let mut new_manifest = None;
        if self.descriptor.is_none() {
            let path = descriptor_file_name(&self.dir, self.manifest_file_number);
            let mut log = LogWriter::new(self.env.new_writable_file(&path)?);
            let mut snapshot = Vec::new();
            self.snapshot_edit().encode(&mut snapshot);
            if let Err(e) = log.add_record(&snapshot) {
                let _ = self.env.remove_file(&path);
                return Err(e);
            }
            self.descriptor = Some(log);
            new_manifest = Some(path);
        }
        let mut record = Vec::new();
        edit.encode(&mut record);
        let result = match self.descriptor.as_mut() {
            Some(log) => {
                let before = log.written_bytes();
                // The tables this edit adds (and a new MANIFEST) must be in
                // the directory before the record naming them reaches the
                // file: the kernel may write an unsynced record back while
                // the new names are still lost in a crash (LevelDB's
                // SyncDirIfManifest, which runs before its buffered
                // MANIFEST bytes reach the kernel).
                let r = self
                    .env
                    .sync_dir(&self.dir)
                    .and_then(|()| log.add_record(&record))
                    .and_then(|()| log.sync());
                self.manifest_bytes_written += log.written_bytes().saturating_sub(before);
                r
            }
            None => Err(Error::Unavailable("MANIFEST not open".into())),
        };
        let result = result.and_then(|()| match new_manifest {
            Some(_) => set_current_file(self.env.as_ref(), &self.dir, self.manifest_file_number),
            None => Ok(()),
        });
        if let Err(e) = result {
            // The MANIFEST may now end in a partial or unsynced record.
            self.descriptor = None;
            if let Some(path) = new_manifest {
                // CURRENT was not renamed: nothing names the new MANIFEST.
                let _ = self.env.remove_file(&path);
            }
            self.failed = Some(e.clone());
            return Err(e);
        }
        if new_manifest.is_some() {
            if let Err(e) = self.env.sync_dir(&self.dir) {
                // CURRENT may already name the new MANIFEST durably: keep it
                // (and every file it names), and change nothing more.
                self.descriptor = None;
                self.failed = Some(e.clone());
                return Err(e);
            }
        }
        self.compact_pointers = pointers;
        self.log_number = edit.log_number.unwrap_or(self.log_number);
        self.prev_log_number = edit.prev_log_number.unwrap_or(0);
        self.install(version);
        Ok(())
    }

    /// An edit that recreates the current state from nothing (the first
    /// record of a new MANIFEST).
    fn snapshot_edit(&self) -> VersionEdit {
        let mut edit = VersionEdit {
            comparator: Some(BytewiseComparator.name().to_string()),
            ..VersionEdit::default()
        };
        for (level, key) in self.compact_pointers.iter().enumerate() {
            if !key.is_empty() {
                if let Some(ik) = crate::format::internal_key::InternalKey::decode_from(key) {
                    edit.compact_pointers.push((level as u32, ik));
                }
            }
        }
        for (level, files) in self.current.files.iter().enumerate() {
            for f in files {
                edit.new_files.push((level as u32, f.meta.clone()));
            }
        }
        edit
    }

    /// Numbers of every table file in any version that may still be read.
    pub fn live_files(&mut self) -> HashSet<u64> {
        self.live.retain(|w| w.strong_count() > 0);
        let mut out = HashSet::new();
        let versions = self
            .live
            .iter()
            .filter_map(Weak::upgrade)
            .chain(std::iter::once(Arc::clone(&self.current)));
        for v in versions {
            for files in &v.files {
                out.extend(files.iter().map(|f| f.meta.number));
            }
        }
        out
    }

    /// Closes the MANIFEST.
    ///
    /// # Errors
    /// `Io`.
    pub fn close(&mut self) -> Result<()> {
        match self.descriptor.take() {
            Some(mut log) => log.close(),
            None => Ok(()),
        }
    }
}

/// Applies edits to a base version (LevelDB's `VersionSet::Builder`).
pub struct Builder {
    levels: Vec<Vec<Arc<FileEntry>>>,
    deleted: BTreeSet<(u32, u64)>,
    added: Vec<(u32, FileMetaData)>,
}

impl Builder {
    /// Starts from `base`.
    pub fn new(base: &Version) -> Self {
        Builder {
            levels: base.files.clone(),
            deleted: BTreeSet::new(),
            added: Vec::new(),
        }
    }

    /// Records `edit`'s deletions, additions and compact pointers.
    pub fn apply(&mut self, edit: &VersionEdit, compact_pointers: &mut [Vec<u8>]) {
        for (level, key) in &edit.compact_pointers {
            if let Some(slot) = compact_pointers.get_mut(*level as usize) {
                *slot = key.encoded().to_vec();
            }
        }
        for &(level, number) in &edit.deleted_files {
            self.deleted.insert((level, number));
            self.added
                .retain(|(l, f)| !(*l == level && f.number == number));
        }
        for (level, meta) in &edit.new_files {
            self.deleted.remove(&(*level, meta.number));
            self.added.push((*level, meta.clone()));
        }
    }

    /// The resulting version.
    ///
    /// # Errors
    /// A reason if files at a level >= 1 overlap (a corrupt MANIFEST or a
    /// bad edit).
    pub fn build(self) -> std::result::Result<Version, String> {
        let mut levels = self.levels;
        for (level, files) in levels.iter_mut().enumerate() {
            files.retain(|f| !self.deleted.contains(&(level as u32, f.meta.number)));
        }
        for (level, meta) in self.added {
            let slot = levels.get_mut(level as usize).ok_or_else(|| {
                format!("file {} at level {level} beyond {NUM_LEVELS}", meta.number)
            })?;
            slot.push(Arc::new(FileEntry::new(meta)));
        }
        levels[0].sort_by_key(|f| f.meta.number);
        for (level, files) in levels.iter_mut().enumerate().skip(1) {
            files.sort_by(|a, b| {
                compare_internal_keys(a.meta.smallest.encoded(), b.meta.smallest.encoded())
            });
            for pair in files.windows(2) {
                if compare_internal_keys(
                    pair[0].meta.largest.encoded(),
                    pair[1].meta.smallest.encoded(),
                ) != std::cmp::Ordering::Less
                {
                    return Err(format!(
                        "overlapping ranges in level {level}: files {} and {}",
                        pair[0].meta.number, pair[1].meta.number
                    ));
                }
            }
        }
        Ok(Version { files: levels })
    }
}
