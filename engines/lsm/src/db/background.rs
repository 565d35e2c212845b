//! The background thread: flushes immutable memtables, runs compactions
//! chosen by the policy (and `compact_range` steps), removes obsolete files.

use super::state::{DbState, ManualCompaction};
use super::DbInner;
use crate::compaction::executor::{flush_memtable, run_task, ExecContext, ExecOutcome};
use crate::compaction::{CompactionTask, TaskKind, TreeShape};
use crate::format::filename::{parse_file_name, FileType};
use crate::version::edit::{VersionEdit, NUM_LEVELS};
use parking_lot::MutexGuard;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use strata_api::{Error, Result};

/// The background thread's loop; returns when the database shuts down.
pub(crate) fn run(inner: &Arc<DbInner>) {
    let mut st = inner.state.lock();
    loop {
        if inner.shutting_down.load(Ordering::Acquire) {
            return;
        }
        if st.bg_error.is_some() || !has_work(inner, &st) {
            inner.done_cv.notify_all();
            inner.bg_cv.wait(&mut st);
            continue;
        }
        st.bg_running = true;
        // A panic in a step (a bug, or a damaged input a check missed) must
        // not leave waiters blocked forever: it becomes the background
        // error, which stops writes and wakes every waiter. parking_lot's
        // guard is locked again when a step unwinds out of `unlocked`.
        let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if st.imm.is_some() {
                flush_imm_locked(inner, &mut st)
            } else if st.manual.as_ref().is_some_and(|m| !m.done) {
                manual_step(inner, &mut st)
            } else {
                compact_step(inner, &mut st)
            }
        }));
        let result = step.unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Error::Unavailable(format!(
                "the background thread panicked: {what}"
            )))
        });
        st.bg_running = false;
        if let Err(e) = result {
            if !inner.shutting_down.load(Ordering::Acquire) {
                st.bg_error.get_or_insert(e);
            }
        }
        inner.done_cv.notify_all();
    }
}

pub(super) fn shape<'a>(
    inner: &DbInner,
    st: &'a DbState,
    version: &'a crate::version::Version,
) -> TreeShape<'a> {
    TreeShape {
        version,
        compact_pointers: &st.versions.compact_pointers,
        seek_candidate: st.seek_candidate.clone(),
        max_file_size: inner.options.max_file_size,
        level_base_bytes: inner.options.max_bytes_for_level_base,
    }
}

fn has_work(inner: &DbInner, st: &DbState) -> bool {
    #[cfg(test)]
    if inner.hold.flushes.load(Ordering::Acquire) {
        return false;
    }
    if st.imm.is_some() || st.manual.as_ref().is_some_and(|m| !m.done) {
        return true;
    }
    #[cfg(test)]
    if inner.hold.compactions.load(Ordering::Acquire) {
        return false;
    }
    let version = st.versions.current();
    inner.policy.pick(&shape(inner, st, &version)).is_some()
}

impl DbInner {
    /// A file number protected from obsolete-file removal until released.
    fn new_output_number(&self) -> u64 {
        let mut st = self.state.lock();
        let n = st.versions.new_file_number();
        st.pending_outputs.insert(n);
        n
    }

    /// Flushes the immutable memtable if one waits; for the executor to
    /// call between entries of a long compaction.
    fn flush_if_waiting(self: &Arc<Self>) {
        if !self.has_imm.load(Ordering::Acquire) {
            return;
        }
        let mut st = self.state.lock();
        if st.imm.is_some() && st.bg_error.is_none() {
            if let Err(e) = flush_imm_locked(self, &mut st) {
                st.bg_error.get_or_insert(e);
            }
            self.done_cv.notify_all();
        }
    }
}

fn exec_context<'a>(
    inner: &'a Arc<DbInner>,
    version: &'a crate::version::Version,
    smallest_snapshot: u64,
    new_file_number: &'a (dyn Fn() -> u64 + Sync),
    between_entries: &'a (dyn Fn() + Sync),
) -> ExecContext<'a> {
    ExecContext {
        env: &inner.options.env,
        dir: &inner.dir,
        table_cache: &inner.table_cache,
        table_options: inner.table_cache.table_options(),
        version,
        smallest_snapshot,
        new_file_number,
        paranoid_checks: inner.options.paranoid_checks,
        shutting_down: &inner.shutting_down,
        between_entries,
        subcompactions: inner.options.max_subcompactions.max(1),
        partition_prefix_bytes: inner.options.partition_prefix_bytes,
        copy_stored_blocks: true,
        stored_blocks_copied: &inner.counters.stored_blocks_copied,
    }
}

/// Writes the immutable memtable to a table and installs it.
fn flush_imm_locked(inner: &Arc<DbInner>, st: &mut MutexGuard<'_, DbState>) -> Result<()> {
    let Some(imm) = st.imm.clone() else {
        return Ok(());
    };
    let start = Instant::now();
    let version = st.versions.current();
    let new_number = || inner.new_output_number();
    let nothing = || {};
    let outputs = MutexGuard::unlocked(st, || {
        let ctx = exec_context(inner, &version, 0, &new_number, &nothing);
        let mut it = imm.iter();
        flush_memtable(&ctx, it.as_mut())
    })?;
    let mut edit = VersionEdit::default();
    // Each output is placed on its own: with a partition prefix they are
    // disjoint key ranges (without one there is a single output).
    let mut placed = Vec::with_capacity(outputs.len());
    for meta in &outputs {
        let current = st.versions.current();
        let level = inner.policy.flush_level(
            &shape(inner, st, &current),
            meta.smallest.user_key(),
            meta.largest.user_key(),
        );
        edit.new_files.push((level as u32, meta.clone()));
        placed.push((level, meta.file_size_bytes));
    }
    // Every WAL before the current one is now obsolete.
    edit.log_number = Some(st.log_number);
    edit.prev_log_number = Some(0);
    // The table holds every write before the current WAL's first.
    st.versions.flushed_sequence = st.imm_last_sequence;
    let applied = st.versions.log_and_apply(&mut edit);
    for meta in &outputs {
        st.pending_outputs.remove(&meta.number);
    }
    applied?;
    st.imm = None;
    inner.has_imm.store(false, Ordering::Release);
    // The flushed memtable's WAL is obsolete: its records are in a synced
    // table named by a synced MANIFEST record, and it was never synced
    // (unless a synced write needed it). Closing it (for a mapped WAL:
    // unmapping and cutting its zeros) cannot lose anything, so its error
    // is not the database's.
    if let Some(mut prev) = st.prev_log.take() {
        let _ = prev.close();
    }
    // `log_and_apply` synced the directory after the current WAL was
    // created (at the switch that made `imm`).
    st.log_dir_synced = true;
    st.seek_candidate = None;
    let bytes: u64 = outputs.iter().map(|m| m.file_size_bytes).sum();
    let micros = start.elapsed().as_micros() as u64;
    // The flush's time goes to the level of its first output, as LevelDB
    // books its one table's; bytes to the level each output went to.
    let first_level = placed.first().map_or(0, |&(level, _)| level);
    st.level_stats[first_level].micros += micros;
    for (level, size) in placed {
        st.level_stats[level].bytes_written += size;
    }
    inner.counters.flushes.fetch_add(1, Ordering::Relaxed);
    inner
        .counters
        .table_bytes_written
        .fetch_add(bytes, Ordering::Relaxed);
    inner
        .counters
        .compaction_bytes_written
        .fetch_add(bytes, Ordering::Relaxed);
    inner
        .counters
        .compaction_time_us
        .fetch_add(micros, Ordering::Relaxed);
    remove_obsolete_files(inner, st);
    Ok(())
}

fn compact_step(inner: &Arc<DbInner>, st: &mut MutexGuard<'_, DbState>) -> Result<()> {
    let version = st.versions.current();
    let Some(task) = inner.policy.pick(&shape(inner, st, &version)) else {
        return Ok(());
    };
    if task.reason == crate::compaction::TaskReason::Seek {
        st.seek_candidate = None;
    }
    let result = execute(inner, st, &version, &task);
    finish_step(inner, st, version, task, result)
}

/// Drops the step's pin on the old version, then deletes the files no
/// live version names (while `version` was held its inputs looked live,
/// and stayed on disk until the next flush or open).
fn finish_step(
    inner: &Arc<DbInner>,
    st: &mut MutexGuard<'_, DbState>,
    version: Arc<crate::version::Version>,
    task: CompactionTask,
    result: Result<()>,
) -> Result<()> {
    drop(task);
    drop(version);
    if result.is_ok() {
        remove_obsolete_files(inner, st);
    }
    result
}

fn manual_step(inner: &Arc<DbInner>, st: &mut MutexGuard<'_, DbState>) -> Result<()> {
    let version = st.versions.current();
    let Some(manual) = st.manual.as_ref() else {
        return Ok(());
    };
    let (level, begin, end) = (manual.level, manual.begin.clone(), manual.end.clone());
    let task = inner.policy.pick_manual(
        &shape(inner, st, &version),
        level,
        begin.as_deref(),
        end.as_deref(),
    );
    let Some(task) = task else {
        if let Some(m) = st.manual.as_mut() {
            m.done = true;
        }
        return Ok(());
    };
    let result = execute(inner, st, &version, &task);
    if let Some(m) = st.manual.as_mut() {
        // Continue after the last key compacted if the step was cut short.
        let last = task.inputs[0]
            .files
            .last()
            .map(|f| f.largest_user_key().to_vec());
        let reached_end = match (&m.end, &last) {
            (_, None) => true,
            (Some(end), Some(last)) => last.as_slice() >= end.as_slice(),
            (None, Some(_)) => false,
        };
        let all_taken = level == 0
            || task.inputs[0].files.len()
                == version
                    .overlapping_inputs(level, m.begin.as_deref(), m.end.as_deref())
                    .len();
        if result.is_err() || reached_end || all_taken {
            m.done = true;
        } else {
            m.begin = last;
        }
    }
    finish_step(inner, st, version, task, result)
}

fn execute(
    inner: &Arc<DbInner>,
    st: &mut MutexGuard<'_, DbState>,
    version: &Arc<crate::version::Version>,
    task: &CompactionTask,
) -> Result<()> {
    let start = Instant::now();
    let outcome: ExecOutcome = if task.kind == TaskKind::Merge {
        let smallest_snapshot = st
            .snapshots
            .keys()
            .next()
            .copied()
            .unwrap_or(st.versions.last_sequence);
        let new_number = || inner.new_output_number();
        let between = || inner.flush_if_waiting();
        MutexGuard::unlocked(st, || {
            let ctx = exec_context(inner, version, smallest_snapshot, &new_number, &between);
            run_task(&ctx, task)
        })?
    } else {
        let new_number = || 0;
        let nothing = || {};
        let ctx = exec_context(inner, version, 0, &new_number, &nothing);
        run_task(&ctx, task)?
    };
    let mut edit = outcome.edit;
    let applied = st.versions.log_and_apply(&mut edit);
    for meta in &outcome.outputs {
        st.pending_outputs.remove(&meta.number);
    }
    if let Err(e) = applied {
        for meta in &outcome.outputs {
            inner.table_cache.evict(meta.number);
        }
        return Err(e);
    }
    st.seek_candidate = None;
    let micros = start.elapsed().as_micros() as u64;
    let stats = &mut st.level_stats[task.output_level.min(NUM_LEVELS - 1)];
    stats.micros += micros;
    stats.bytes_read += outcome.bytes_read;
    stats.bytes_written += outcome.bytes_written;
    let c = &inner.counters;
    c.compactions.fetch_add(1, Ordering::Relaxed);
    c.compaction_time_us.fetch_add(micros, Ordering::Relaxed);
    c.compaction_bytes_read
        .fetch_add(outcome.bytes_read, Ordering::Relaxed);
    c.compaction_bytes_written
        .fetch_add(outcome.bytes_written, Ordering::Relaxed);
    c.table_bytes_written
        .fetch_add(outcome.bytes_written, Ordering::Relaxed);
    Ok(())
}

/// Finds the files no version, WAL replay or pending output needs and
/// hands them to the purge thread (LevelDB's `RemoveObsoleteFiles`, which
/// deletes them on the background thread). Errors are ignored: a leftover
/// file is retried next time.
pub(crate) fn remove_obsolete_files(inner: &DbInner, st: &mut MutexGuard<'_, DbState>) {
    if st.bg_error.is_some() {
        // After an error we cannot tell whether a new version was committed.
        return;
    }
    let live = st.versions.live_files();
    let log_number = st.versions.log_number;
    let prev_log = st.versions.prev_log_number;
    let manifest = st.versions.manifest_file_number;
    let Ok(names) = inner.options.env.children(&inner.dir) else {
        return;
    };
    let mut doomed = Vec::new();
    for name in names {
        let Some((number, kind)) = parse_file_name(&name) else {
            continue;
        };
        let keep = match kind {
            FileType::Log => number >= log_number || number == prev_log,
            FileType::Descriptor => number >= manifest,
            FileType::Table => live.contains(&number) || st.pending_outputs.contains(&number),
            FileType::Temp => st.pending_outputs.contains(&number),
            FileType::Current | FileType::DbLock | FileType::InfoLog => true,
        };
        if !keep {
            if kind == FileType::Table {
                inner.table_cache.evict(number);
            }
            // A file left by a crashed run may carry a number the MANIFEST
            // never recorded as used, which this run would hand out again:
            // its deletion, later on the purge thread, would then remove
            // the new file. Numbers found obsolete are never handed out.
            st.versions.mark_file_number_used(number);
            doomed.push(name);
        }
    }
    let doomed: Vec<_> = doomed
        .into_iter()
        .map(|name| inner.dir.join(name))
        .collect();
    match &inner.purger {
        Some(purger) => purger.delete(inner.options.env.as_ref(), doomed),
        None => MutexGuard::unlocked(st, || {
            for path in doomed {
                let _ = inner.options.env.remove_file(&path);
            }
        }),
    }
}

impl DbInner {
    /// See `Engine::compact_range`: flushes the memtable, then compacts
    /// each level that overlaps the range, top down.
    pub(crate) fn compact_range(&self, begin: Option<&[u8]>, end: Option<&[u8]>) -> Result<()> {
        let max_level_with_files = {
            let st = self.state.lock();
            let version = st.versions.current();
            (1..NUM_LEVELS)
                .filter(|&l| !version.overlapping_inputs(l, begin, end).is_empty())
                .max()
                .unwrap_or(1)
        };
        self.flush_memtable_and_wait()?;
        for level in 0..max_level_with_files {
            let mut st = self.state.lock();
            while st.manual.is_some() {
                self.done_cv.wait(&mut st);
            }
            st.manual = Some(ManualCompaction {
                level,
                begin: begin.map(<[u8]>::to_vec),
                end: end.map(<[u8]>::to_vec),
                done: false,
            });
            self.bg_cv.notify_all();
            loop {
                if let Some(e) = &st.bg_error {
                    let e = e.clone();
                    st.manual = None;
                    return Err(e);
                }
                if st.manual.as_ref().is_some_and(|m| m.done) {
                    break;
                }
                if self.shutting_down.load(Ordering::Acquire) {
                    st.manual = None;
                    return Err(Error::Unavailable("database is shutting down".into()));
                }
                self.done_cv.wait(&mut st);
            }
            st.manual = None;
            self.done_cv.notify_all();
        }
        // As LevelDB's: when it returns, the inputs are gone from disk.
        self.wait_for_purge();
        Ok(())
    }

    /// See `Engine::wait_for_background`.
    pub(crate) fn wait_for_background(&self) -> Result<()> {
        let mut st = self.state.lock();
        loop {
            if let Some(e) = &st.bg_error {
                return Err(e.clone());
            }
            if !st.bg_running && !has_work(self, &st) {
                drop(st);
                self.wait_for_purge();
                return Ok(());
            }
            self.bg_cv.notify_all();
            self.done_cv.wait(&mut st);
        }
    }
}
