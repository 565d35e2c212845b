//! Opening a database: `LOCK`, `CURRENT` → MANIFEST, WAL replay; and
//! destroying one.

use super::state::{Counters, DbState, LevelStats, StallStats};
use super::DbInner;
use crate::compaction::executor::{flush_memtable, ExecContext};
use crate::format::filename::{
    current_file_name, lock_file_name, log_file_name, parse_file_name, FileType,
};
use crate::format::internal_key::{ValueType, MAX_SEQUENCE_NUMBER};
use crate::memtable::MemTable;
use crate::options::DbOptions;
use crate::table::BlockCache;
use crate::table_cache::TableCache;
use crate::version::edit::{VersionEdit, NUM_LEVELS};
use crate::version::set::MAX_FILE_NUMBER;
use crate::version::VersionSet;
use crate::wal::reader::CollectingReporter;
use crate::wal::reader::LogReader;
use crate::wal::writer::LogWriter;
use parking_lot::{Condvar, Mutex};
use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use strata_api::{BatchOp, Env, Error, FileLock, Result, WriteBatch};

/// How a database is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenMode {
    /// For reading and writing: recovery writes the WALs into tables, a
    /// new WAL and MANIFEST are started, obsolete files are deleted.
    ReadWrite,
    /// RocksDB's `OpenForReadOnly`: nothing in the directory is created,
    /// written, renamed or deleted (not even `LOCK` or `LOG`); the WALs are
    /// replayed into memory only.
    ReadOnly,
}

/// Opens the files of `dir` and recovers its state.
pub(crate) fn open_inner(options: DbOptions, dir: &Path, mode: OpenMode) -> Result<Arc<DbInner>> {
    options.check_partitioning()?;
    let env = Arc::clone(&options.env);
    let read_only = mode == OpenMode::ReadOnly;
    let lock = if read_only {
        if !env.file_exists(&current_file_name(dir)) {
            return Err(Error::InvalidArgument(format!(
                "{}: no database (no CURRENT file); a read-only open creates nothing",
                dir.display()
            )));
        }
        FileLock::new(Box::new(()))
    } else {
        env.create_dir_all(dir)?;
        env.lock_file(&lock_file_name(dir))?
    };
    if read_only {
        // Checked above.
    } else if !env.file_exists(&current_file_name(dir)) {
        if !options.create_if_missing {
            return Err(Error::InvalidArgument(format!(
                "{}: does not exist (create_if_missing is false)",
                dir.display()
            )));
        }
        VersionSet::create_new_db(env.as_ref(), dir)?;
    } else if options.error_if_exists {
        return Err(Error::InvalidArgument(format!(
            "{}: exists (error_if_exists is true)",
            dir.display()
        )));
    }
    let mut versions = VersionSet::new(Arc::clone(&env), dir);
    let torn_tail = versions.recover(options.paranoid_checks)?;

    let block_cache = Arc::new(BlockCache::new(options.block_cache_capacity_bytes));
    let table_cache = Arc::new(TableCache::new(
        dir,
        &options,
        Some(Arc::clone(&block_cache)),
    ));
    let whole = check_tables_present(env.as_ref(), dir, &mut versions).and_then(|()| {
        // Only a state rolled back past a dropped edit must also still have
        // its WAL (a flush that was in use deleted it); LevelDB's open does
        // not require the WAL otherwise, nor does this one.
        let log = log_file_name(dir, versions.log_number);
        if torn_tail.is_some() && versions.log_number != 0 && !env.file_exists(&log) {
            return Err(Error::corruption(
                format!("{:06}.log", versions.log_number),
                0,
                "the MANIFEST names this WAL, which is missing",
            ));
        }
        Ok(())
    });
    match (torn_tail, whole) {
        (None, whole) => whole?,
        (
            Some(Error::Corruption {
                file,
                offset_bytes,
                reason,
            }),
            Err(missing),
        ) => {
            // The dropped edit was in use: files it replaced are gone.
            return Err(Error::corruption(
                file,
                offset_bytes,
                format!("{reason}, in its last record, which was in use (without it: {missing})"),
            ));
        }
        (Some(torn), Err(_)) => return Err(torn),
        (Some(torn), Ok(())) => {
            if !read_only {
                info_log(
                    env.as_ref(),
                    dir,
                    &format!("dropped the torn tail of the MANIFEST (an unsynced edit): {torn}"),
                );
            }
        }
    }

    let mut edit = VersionEdit::default();
    let mut max_sequence = 0u64;
    let recovered_mem = replay_logs(
        &options,
        dir,
        &table_cache,
        &mut versions,
        &mut edit,
        &mut max_sequence,
        mode,
    )?;
    if versions.last_sequence < max_sequence {
        versions.last_sequence = max_sequence;
    }
    let (log, log_number) = if read_only {
        (None, versions.log_number)
    } else {
        let log_number = versions.new_file_number();
        let log = LogWriter::new(options.new_wal_file(&log_file_name(dir, log_number))?);
        edit.log_number = Some(log_number);
        edit.prev_log_number = Some(0);
        // Every replayed write is in a level-0 table of this edit.
        versions.flushed_sequence = versions.last_sequence;
        versions.log_and_apply(&mut edit)?;
        (Some(log), log_number)
    };
    let last_sequence = versions.last_sequence;
    let purger = if read_only || !options.background_file_deletes {
        None
    } else {
        Some(super::purge::Purger::start(Arc::clone(&options.env)).map_err(|e| Error::io(dir, e))?)
    };
    let inner = Arc::new(DbInner {
        policy: options.compaction.create(),
        dir: dir.to_path_buf(),
        table_cache,
        block_cache,
        state: Mutex::new(DbState {
            mem: recovered_mem.unwrap_or_else(|| options.memtable.create()),
            imm: None,
            log,
            log_number,
            prev_log: None,
            // The open's MANIFEST commit synced the directory after the
            // new WAL was created.
            log_dir_synced: true,
            imm_last_sequence: last_sequence,
            versions,
            snapshots: BTreeMap::new(),
            pending_outputs: HashSet::new(),
            bg_error: None,
            bg_running: false,
            manual: None,
            seek_candidate: None,
            level_stats: [LevelStats::default(); NUM_LEVELS],
            leader_active: false,
            pending: WriteBatch::new(),
            pending_sync: false,
            pending_writers: 0,
            pending_group: 0,
            completed_groups: 0,
            failed_from_group: None,
            leader_buf: Some(WriteBatch::new()),
            stalls: StallStats::default(),
        }),
        bg_cv: Condvar::new(),
        done_cv: Condvar::new(),
        writer_cv: Condvar::new(),
        visible_sequence: AtomicU64::new(last_sequence),
        has_imm: AtomicBool::new(false),
        shutting_down: AtomicBool::new(false),
        counters: Counters::default(),
        #[cfg(test)]
        hold: super::HoldBackground::default(),
        purger,
        _lock: lock,
        read_only,
        options,
    });
    if !read_only {
        let mut st = inner.state.lock();
        super::background::remove_obsolete_files(&inner, &mut st);
    }
    Ok(inner)
}

/// Every table the MANIFEST names must exist (LevelDB reports the count).
fn check_tables_present(env: &dyn Env, dir: &Path, versions: &mut VersionSet) -> Result<()> {
    let mut expected = versions.live_files();
    for name in env.children(dir)? {
        if let Some((number, FileType::Table)) = parse_file_name(&name) {
            expected.remove(&number);
        }
    }
    if let Some(first) = expected.iter().min() {
        return Err(Error::corruption(
            format!("{:06}.ldb", first),
            0,
            format!("{} missing files; e.g. this one", expected.len()),
        ));
    }
    Ok(())
}

/// Replays every WAL at or after the MANIFEST's log number, oldest first,
/// writing level-0 tables as the memtable fills and for what remains; in
/// `ReadOnly` mode everything goes into one memtable, which is returned.
fn replay_logs(
    options: &DbOptions,
    dir: &Path,
    table_cache: &Arc<TableCache>,
    versions: &mut VersionSet,
    edit: &mut VersionEdit,
    max_sequence: &mut u64,
    mode: OpenMode,
) -> Result<Option<Arc<dyn MemTable>>> {
    let read_only = mode == OpenMode::ReadOnly;
    let mut kept: Option<Arc<dyn MemTable>> = None;
    let env = &options.env;
    let mut logs: Vec<u64> = env
        .children(dir)?
        .iter()
        .filter_map(|n| parse_file_name(n))
        .filter(|(n, t)| {
            *t == FileType::Log && (*n >= versions.log_number || *n == versions.prev_log_number)
        })
        .map(|(n, _)| n)
        .collect();
    logs.sort_unstable();
    for &number in &logs {
        if number > MAX_FILE_NUMBER {
            return Err(Error::corruption(
                format!("{number:06}.log"),
                0,
                format!("log number beyond the largest file number {MAX_FILE_NUMBER}"),
            ));
        }
        versions.mark_file_number_used(number);
    }
    let shutting_down = AtomicBool::new(false);
    // Where the WALs must continue: the first write replayed starts at
    // most one past the MANIFEST's last sequence (exactly there for
    // strata, which records the flushed sequence; at most there for
    // LevelDB, which records its counter), and every later WAL starts
    // right after the last write of the one before. A switch syncs
    // neither the old WAL nor the directory, so a machine crash can keep
    // a later WAL's writes while losing an earlier one's unsynced tail:
    // that WAL and every later one are then dropped, keeping the prefix.
    let first_bound = versions.last_sequence.saturating_add(1);
    let mut next_sequence: Option<u64> = None;
    let mut previous_log: Option<String> = None;
    'logs: for number in logs {
        let name = format!("{number:06}.log");
        let file = env.new_sequential_file(&log_file_name(dir, number))?;
        let reporter = CollectingReporter::new(name.clone());
        let mut reader = LogReader::new(
            file,
            name.clone(),
            Some(Box::new(reporter.clone())),
            true,
            0,
        );
        let mut mem: Arc<dyn MemTable> = match kept.take() {
            Some(mem) => mem,
            None => options.memtable.create(),
        };
        let mut record = Vec::new();
        let mut first_in_log = true;
        while reader.read_record(&mut record)? {
            let offset = reader.last_record_offset();
            let batch = match WriteBatch::from_bytes(std::mem::take(&mut record)) {
                Ok(b) => b,
                Err(e) => {
                    let err =
                        Error::corruption(name.clone(), offset, format!("bad write batch: {e}"));
                    if options.paranoid_checks {
                        return Err(err);
                    }
                    if !read_only {
                        info_log(env.as_ref(), dir, &format!("skipping record: {err}"));
                    }
                    continue;
                }
            };
            let first = batch.sequence();
            if first
                .checked_add(u64::from(batch.count()))
                .is_none_or(|end| end > MAX_SEQUENCE_NUMBER + 1)
            {
                return Err(Error::corruption(
                    name.clone(),
                    offset,
                    format!(
                        "batch of {} updates at sequence {first} goes beyond {MAX_SEQUENCE_NUMBER}",
                        batch.count()
                    ),
                ));
            }
            if first_in_log && batch.count() > 0 {
                first_in_log = false;
                let continues = match next_sequence {
                    None => first <= first_bound,
                    Some(next) => first == next,
                };
                if !continues {
                    if !read_only {
                        let expected = match (next_sequence, &previous_log) {
                            (Some(next), Some(prev)) => format!("{prev} ends before {next}"),
                            _ => format!("the MANIFEST's last sequence is {}", first_bound - 1),
                        };
                        info_log(
                            env.as_ref(),
                            dir,
                            &format!(
                                "{name} and later WALs dropped: they start at sequence {first} \
                                 but {expected}; writes between were lost in a crash \
                                 (never synced), and later ones are dropped with them"
                            ),
                        );
                    }
                    if read_only {
                        // The memtable of every WAL replayed before.
                        kept = Some(mem);
                    }
                    break 'logs;
                }
            }
            for (i, op) in batch.iter().enumerate() {
                match op? {
                    BatchOp::Put { key, value } => {
                        mem.add(first + i as u64, ValueType::Value, key, value)
                    }
                    BatchOp::Delete { key } => {
                        mem.add(first + i as u64, ValueType::Deletion, key, &[])
                    }
                }
            }
            if batch.count() > 0 {
                *max_sequence = (*max_sequence).max(first + u64::from(batch.count()) - 1);
                next_sequence = Some(first + u64::from(batch.count()));
            }
            record = batch.as_bytes().to_vec();
            if !read_only && mem.approximate_memory_usage() > options.write_buffer_size {
                write_level0(
                    options,
                    dir,
                    table_cache,
                    versions,
                    edit,
                    &mem,
                    &shutting_down,
                )?;
                mem = options.memtable.create();
            }
        }
        if let Some(err) = reporter.first() {
            if options.paranoid_checks {
                return Err(err);
            }
            if !read_only {
                info_log(
                    env.as_ref(),
                    dir,
                    &format!("WAL recovery skipped damaged data: {err}"),
                );
            }
        }
        previous_log = Some(name);
        if read_only {
            kept = Some(mem);
        } else if !mem.is_empty() {
            write_level0(
                options,
                dir,
                table_cache,
                versions,
                edit,
                &mem,
                &shutting_down,
            )?;
        }
    }
    Ok(kept)
}

fn write_level0(
    options: &DbOptions,
    dir: &Path,
    table_cache: &Arc<TableCache>,
    versions: &mut VersionSet,
    edit: &mut VersionEdit,
    mem: &Arc<dyn MemTable>,
    shutting_down: &AtomicBool,
) -> Result<()> {
    let next = std::sync::atomic::AtomicU64::new(versions.next_file_number);
    let new_number = || next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let version = versions.current();
    let nothing = || {};
    let copied = std::sync::atomic::AtomicU64::new(0);
    let ctx = ExecContext {
        env: &options.env,
        dir,
        table_cache,
        table_options: table_cache.table_options(),
        version: &version,
        smallest_snapshot: 0,
        new_file_number: &new_number,
        paranoid_checks: options.paranoid_checks,
        shutting_down,
        between_entries: &nothing,
        subcompactions: 1,
        partition_prefix_bytes: options.partition_prefix_bytes,
        // A flush has no stored input blocks.
        copy_stored_blocks: false,
        stored_blocks_copied: &copied,
    };
    let mut it = mem.iter();
    let outputs = flush_memtable(&ctx, it.as_mut())?;
    versions.next_file_number = next.into_inner();
    for meta in outputs {
        edit.new_files.push((0, meta));
    }
    Ok(())
}

/// Appends a line to the database's `LOG` (LevelDB's info log).
pub(crate) fn info_log(env: &dyn Env, dir: &Path, message: &str) {
    let path = dir.join("LOG");
    if let Ok(mut f) = env.new_appendable_file(&path) {
        let mut line = Vec::new();
        let _ = writeln!(line, "{message}");
        let _ = f.append(&line);
        let _ = f.close();
    }
}

/// Deletes the database in `dir` (LevelDB's `DestroyDB`): takes its lock,
/// removes every file strata or LevelDB names, then the directory.
///
/// # Errors
/// `Io` if the lock is held (the database is open) or a removal fails.
pub fn destroy_db(env: &dyn Env, dir: &Path) -> Result<()> {
    if !env.file_exists(dir) {
        return Ok(());
    }
    let names = match env.children(dir) {
        Ok(n) => n,
        Err(_) => return Ok(()),
    };
    let lock = env.lock_file(&lock_file_name(dir))?;
    for name in &names {
        if let Some((_, kind)) = parse_file_name(name) {
            if kind != FileType::DbLock {
                env.remove_file(&dir.join(name))?;
            }
        }
    }
    drop(lock);
    let _ = env.remove_file(&lock_file_name(dir));
    env.remove_dir_all(dir)
}
