//! The one compaction executor: does the I/O for every policy's tasks and
//! for memtable flushes (LevelDB's `DoCompactionWork` and
//! `WriteLevel0Table`).

use super::subcompact::{self, split_points_with, SplitEstimator};
use super::{CompactionTask, TaskKind, TaskReason};
use crate::format::filename::table_file_name;
use crate::format::internal_key::{
    append_internal_key, compare_internal_keys, extract_user_key, parse_internal_key, InternalKey,
    ValueType, MAX_SEQUENCE_NUMBER, VALUE_TYPE_FOR_SEEK,
};
use crate::iter::merging::MergingIterator;
use crate::table::{TableBuilder, TableOptions};
use crate::table_cache::TableCache;
use crate::version::edit::{FileMetaData, VersionEdit, NUM_LEVELS};
use crate::version::level_files::{level_iterator, LevelFiles};
use crate::version::{FileEntry, Version};
use std::cmp::Ordering;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;
use strata_api::{Env, Error, KvIterator, Result};

/// What the executor needs from the database.
pub struct ExecContext<'a> {
    /// The env files are written through.
    pub env: &'a Arc<dyn Env>,
    /// The database directory.
    pub dir: &'a Path,
    /// Opens input tables and checks outputs.
    pub table_cache: &'a Arc<TableCache>,
    /// Options of output tables.
    pub table_options: &'a TableOptions,
    /// The version the task was picked from.
    pub version: &'a Version,
    /// Entries at or below this sequence are seen by no snapshot but the
    /// newest of their key (LevelDB's `smallest_snapshot`).
    pub smallest_snapshot: u64,
    /// Allocates a file number and protects it from obsolete-file removal
    /// (called from every subcompaction's thread).
    pub new_file_number: &'a (dyn Fn() -> u64 + Sync),
    /// The database's `paranoid_checks` (inputs are checksum-verified
    /// either way).
    pub paranoid_checks: bool,
    /// Set when the database is closing: work stops early.
    pub shutting_down: &'a AtomicBool,
    /// Called between merged entries; the database flushes a waiting
    /// immutable memtable from here so that writers do not stall behind a
    /// long compaction (as LevelDB's `DoCompactionWork` does). Only the
    /// calling thread calls it: the first subcompaction's, and while the
    /// others finish.
    pub between_entries: &'a (dyn Fn() + Sync),
    /// Most threads one merge into a level below 0 is split across (see
    /// [`super::subcompact`]); 1 merges on the calling thread only.
    pub subcompactions: usize,
    /// `DbOptions::partition_prefix_bytes`: outputs are cut where the
    /// first this many bytes of the user key change; 0 cuts by size only.
    pub partition_prefix_bytes: usize,
    /// A merged entry alone in its input block, which the output would
    /// write alone in a block of its own (a value of at least
    /// `block_size`), has that block copied as stored instead of rebuilt
    /// and re-compressed ([`TableBuilder::add_stored_block`]): the same
    /// bytes, without the Snappy work. The database sets it; tests compare
    /// outputs with and without.
    pub copy_stored_blocks: bool,
    /// Counts the blocks copied that way.
    pub stored_blocks_copied: &'a AtomicU64,
}

/// What a finished task or flush produced.
#[derive(Debug, Default)]
pub struct ExecOutcome {
    /// The change to apply to the version set.
    pub edit: VersionEdit,
    /// Bytes of input tables.
    pub bytes_read: u64,
    /// Bytes of output tables.
    pub bytes_written: u64,
    /// Output files.
    pub outputs: Vec<FileMetaData>,
}

/// Writes one table from an internal-key cursor, cutting files by size and
/// grandparent overlap.
struct OutputWriter<'a, 'b> {
    ctx: &'a ExecContext<'b>,
    max_file_bytes: u64,
    builder: Option<(TableBuilder, FileMetaData)>,
    outputs: Vec<FileMetaData>,
    /// The largest well-formed key added to the open table, kept in one
    /// reused buffer and made the table's `largest` when it is finished
    /// (an owned key per entry was an allocation per merged entry).
    largest: Vec<u8>,
}

impl OutputWriter<'_, '_> {
    fn add(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.add_with(key, value, None)
    }

    /// Adds an entry from a merge, copying `stored` (the entry's input
    /// block, if it holds it alone) where the builder can.
    fn add_with(&mut self, key: &[u8], value: &[u8], stored: Option<&[u8]>) -> Result<()> {
        let prefix_bytes = self.ctx.partition_prefix_bytes;
        if prefix_bytes != 0 {
            if let Some((_, meta)) = &self.builder {
                if crosses_partition(
                    meta.smallest.user_key(),
                    extract_user_key(key),
                    prefix_bytes,
                ) {
                    self.finish()?;
                }
            }
        }
        if self.builder.is_none() {
            let number = (self.ctx.new_file_number)();
            let path = table_file_name(self.ctx.dir, number);
            let file = self.ctx.env.new_writable_file(&path)?;
            let builder = TableBuilder::new(self.ctx.table_options.clone(), file);
            let smallest = InternalKey::decode_from(key)
                .ok_or_else(|| Error::corruption("compaction input", 0, "bad internal key"))?;
            let meta = FileMetaData {
                number,
                file_size_bytes: 0,
                smallest: smallest.clone(),
                largest: smallest,
            };
            self.builder = Some((builder, meta));
            self.largest.clear();
            self.largest.extend_from_slice(key);
        }
        if let Some((builder, _)) = self.builder.as_mut() {
            let copied = match stored {
                Some(stored) => builder.add_stored_block(key, value.len(), stored)?,
                None => false,
            };
            if copied {
                self.ctx
                    .stored_blocks_copied
                    .fetch_add(1, AtomicOrdering::Relaxed);
            } else {
                builder.add(key, value)?;
            }
            if parse_internal_key(key).is_some() {
                self.largest.clear();
                self.largest.extend_from_slice(key);
            }
            if builder.file_size_bytes() >= self.max_file_bytes {
                self.finish()?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        let Some((mut builder, mut meta)) = self.builder.take() else {
            return Ok(());
        };
        if let Some(largest) = InternalKey::decode_from(&self.largest) {
            meta.largest = largest;
        }
        self.largest.clear();
        let number = meta.number;
        let synced = builder.finish().and_then(|size| {
            meta.file_size_bytes = size;
            let mut file = builder.into_file();
            file.sync()?;
            file.close()
        });
        if let Err(e) = synced {
            let _ = self
                .ctx
                .env
                .remove_file(&table_file_name(self.ctx.dir, number));
            return Err(e);
        }
        // Open the new table once, as LevelDB does, so a bad output is
        // caught before it is installed.
        self.ctx
            .table_cache
            .find_table(meta.number, meta.file_size_bytes)?;
        self.outputs.push(meta);
        Ok(())
    }

    fn abandon(&mut self) {
        if let Some((_, meta)) = self.builder.take() {
            let _ = self
                .ctx
                .env
                .remove_file(&table_file_name(self.ctx.dir, meta.number));
        }
        for meta in &self.outputs {
            self.ctx.table_cache.evict(meta.number);
            let _ = self
                .ctx
                .env
                .remove_file(&table_file_name(self.ctx.dir, meta.number));
        }
    }
}

/// True if `key` may not share a table with `first` (the table's smallest
/// user key) under a partition prefix of `prefix_bytes` bytes: their first
/// `prefix_bytes` bytes (all of a shorter key) differ. Versions of one user
/// key always share their prefix, so a user key is never split.
pub fn crosses_partition(first: &[u8], key: &[u8], prefix_bytes: usize) -> bool {
    prefix_bytes != 0
        && first[..first.len().min(prefix_bytes)] != key[..key.len().min(prefix_bytes)]
}

/// Writes the entries of a memtable cursor to new tables (LevelDB's
/// `BuildTable`: nothing is dropped): one, or one per key partition when
/// [`ExecContext::partition_prefix_bytes`] is set. Returns nothing for an
/// empty memtable.
///
/// # Errors
/// `Io` writing the table (the partial file is removed).
pub fn flush_memtable(
    ctx: &ExecContext<'_>,
    mem: &mut dyn KvIterator,
) -> Result<Vec<FileMetaData>> {
    let mut out = OutputWriter {
        ctx,
        max_file_bytes: u64::MAX,
        builder: None,
        outputs: Vec::new(),
        largest: Vec::new(),
    };
    mem.seek_to_first();
    let result = (|| {
        while mem.valid() {
            out.add(mem.key(), mem.value())?;
            mem.next();
        }
        mem.status()?;
        out.finish()
    })();
    if let Err(e) = result {
        out.abandon();
        return Err(e);
    }
    Ok(std::mem::take(&mut out.outputs))
}

/// Does `task`: moves, merges or drops its inputs. The returned edit is not
/// yet applied.
///
/// # Errors
/// `Io` or `Corruption` reading inputs or writing outputs (partial outputs
/// are removed); `Unavailable` if the database started shutting down.
pub fn run_task(ctx: &ExecContext<'_>, task: &CompactionTask) -> Result<ExecOutcome> {
    let mut outcome = ExecOutcome::default();
    for inputs in &task.inputs {
        for f in &inputs.files {
            outcome
                .edit
                .deleted_files
                .insert((inputs.level as u32, f.meta.number));
        }
    }
    if let Some(pointer) = &task.compact_pointer {
        if let Some(k) = InternalKey::decode_from(pointer) {
            outcome.edit.compact_pointers.push((task.level as u32, k));
        }
    }
    match task.kind {
        TaskKind::Drop => return Ok(outcome),
        TaskKind::TrivialMove => {
            for inputs in &task.inputs {
                for f in &inputs.files {
                    outcome
                        .edit
                        .new_files
                        .push((task.output_level as u32, f.meta.clone()));
                }
            }
            return Ok(outcome);
        }
        TaskKind::Merge => {}
    }
    outcome.bytes_read = task.input_bytes();
    let points = split_points_with(task, threads_for(ctx, task), &TableIndexes(ctx));
    let outputs = if points.is_empty() {
        merge_range(ctx, task, (None, None), true)?
    } else {
        merge_in_parallel(ctx, task, &points)?
    };
    for meta in &outputs {
        outcome.bytes_written += meta.file_size_bytes;
        outcome
            .edit
            .new_files
            .push((task.output_level as u32, meta.clone()));
    }
    outcome.outputs = outputs;
    Ok(outcome)
}

/// Threads `task` is split across: [`ExecContext::subcompactions`], but
/// one for a seek compaction. Reads trigger those, and a merge on both of
/// two cores starves the very readers it serves (a readrandom after a 10M
/// fillrandom pushes whole levels down this way); a write-triggered merge
/// splits because a stalled writer leaves its core idle.
pub(super) fn threads_for(ctx: &ExecContext<'_>, task: &CompactionTask) -> usize {
    if task.reason == TaskReason::Seek {
        1
    } else {
        ctx.subcompactions
    }
}

/// Splits by the input tables' index blocks: candidates are index keys
/// spaced through each table and bytes are counted up to the data block a
/// key falls in. Level-0 files each span most of the key space, so
/// counting whole files put nearly every byte of a level-0 merge in one
/// range. A table that cannot be opened counts as in [`WholeFiles`]; the
/// merge reports the error itself.
///
/// [`WholeFiles`]: super::subcompact::WholeFiles
struct TableIndexes<'c, 'a>(&'c ExecContext<'a>);

/// Index keys sampled per input table.
const SPLIT_SAMPLES_PER_TABLE: usize = 16;

impl SplitEstimator for TableIndexes<'_, '_> {
    fn sample_user_keys(&self, file: &FileEntry) -> Vec<Vec<u8>> {
        match self
            .0
            .table_cache
            .find_table(file.meta.number, file.meta.file_size_bytes)
        {
            Ok(table) => table
                .sample_index_keys(SPLIT_SAMPLES_PER_TABLE)
                .iter()
                .map(|k| extract_user_key(k).to_vec())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    fn bytes_through(&self, file: &FileEntry, user_key: &[u8]) -> u64 {
        let size = file.meta.file_size_bytes;
        if user_key >= extract_user_key(file.meta.largest.encoded()) {
            return size;
        }
        if user_key < extract_user_key(file.meta.smallest.encoded()) {
            return 0;
        }
        match self.0.table_cache.find_table(file.meta.number, size) {
            Ok(table) => {
                // The last internal key of `user_key`: sequence 0, type 0.
                let mut last = Vec::with_capacity(user_key.len() + 8);
                append_internal_key(&mut last, user_key, 0, ValueType::Deletion);
                table.approximate_offset_of(&last).min(size)
            }
            Err(_) => 0,
        }
    }
}

/// Merges the ranges `points` split `task` into, the first on this thread
/// and each other on its own; this thread goes on calling
/// `between_entries` until all are done. On any error every range's
/// outputs are removed and the first error returned.
fn merge_in_parallel(
    ctx: &ExecContext<'_>,
    task: &CompactionTask,
    points: &[Vec<u8>],
) -> Result<Vec<FileMetaData>> {
    let results: Vec<Result<Vec<FileMetaData>>> = std::thread::scope(|scope| {
        let others: Vec<_> = (1..=points.len())
            .map(|i| {
                std::thread::Builder::new()
                    .name("strata-lsm-sub".into())
                    .spawn_scoped(scope, move || {
                        merge_range(ctx, task, subcompact::range(points, i), false)
                    })
            })
            .collect();
        let mut results = vec![merge_range(ctx, task, subcompact::range(points, 0), true)];
        for handle in others {
            results.push(match handle {
                Ok(handle) => {
                    while !handle.is_finished() {
                        if task.output_level != 0 {
                            (ctx.between_entries)();
                        }
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                    handle.join().unwrap_or_else(|panic| {
                        Err(Error::Unavailable(format!(
                            "a subcompaction thread panicked: {}",
                            panic
                                .downcast_ref::<&str>()
                                .map(|s| (*s).to_string())
                                .or_else(|| panic.downcast_ref::<String>().cloned())
                                .unwrap_or_default()
                        )))
                    })
                }
                Err(e) => Err(Error::Unavailable(format!(
                    "cannot start a subcompaction thread: {e}"
                ))),
            });
        }
        results
    });
    let mut outputs = Vec::new();
    let mut first_error = None;
    for result in results {
        match result {
            Ok(metas) => outputs.extend(metas),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        remove_outputs(ctx, &outputs);
        return Err(e);
    }
    Ok(outputs)
}

/// Evicts and deletes finished output tables of a failed task.
fn remove_outputs(ctx: &ExecContext<'_>, outputs: &[FileMetaData]) {
    for meta in outputs {
        ctx.table_cache.evict(meta.number);
        let _ = ctx.env.remove_file(&table_file_name(ctx.dir, meta.number));
    }
}

/// Merges the entries of `task`'s inputs whose user keys lie in `range`
/// (exclusive start, inclusive end; `None` unbounded) into output tables.
/// `calls_between` says whether this thread calls `between_entries`.
/// Partial outputs are removed on error.
fn merge_range(
    ctx: &ExecContext<'_>,
    task: &CompactionTask,
    range: (Option<&[u8]>, Option<&[u8]>),
    calls_between: bool,
) -> Result<Vec<FileMetaData>> {
    // Inputs are always checksum-verified, as in RocksDB (LevelDB checks
    // them only under paranoid_checks): a damaged block merged unchecked is
    // rewritten with a valid CRC and served as data from then on, or, with
    // its keys out of order, trips the table builder's assertion.
    let verify_inputs = true;
    let mut children: Vec<Box<dyn KvIterator>> = Vec::new();
    for inputs in &task.inputs {
        if inputs.files.is_empty() {
            continue;
        }
        if inputs.level == 0 {
            for f in &inputs.files {
                children.push(ctx.table_cache.iter(
                    f.meta.number,
                    f.meta.file_size_bytes,
                    verify_inputs,
                    false,
                )?);
            }
        } else {
            children.push(level_iterator(
                LevelFiles::Owned(inputs.files.clone()),
                Arc::clone(ctx.table_cache),
                verify_inputs,
                false,
            ));
        }
    }
    let mut input = MergingIterator::new(children, compare_internal_keys);
    let mut out = OutputWriter {
        ctx,
        max_file_bytes: task.max_output_file_bytes,
        builder: None,
        outputs: Vec::new(),
        largest: Vec::new(),
    };
    let result = merge(ctx, task, &mut input, &mut out, range, calls_between);
    if let Err(e) = result {
        out.abandon();
        return Err(e);
    }
    Ok(out.outputs)
}

/// Positions `input` at the first entry of `start`'s range: after every
/// entry of user key `start` (exclusive), or at the first entry.
fn seek_range_start(input: &mut MergingIterator, start: Option<&[u8]>) {
    let Some(start) = start else {
        input.seek_to_first();
        return;
    };
    input.seek(InternalKey::new(start, MAX_SEQUENCE_NUMBER, VALUE_TYPE_FOR_SEEK).encoded());
    while input.valid() && extract_user_key(input.key()) == start {
        input.next();
    }
}

fn merge(
    ctx: &ExecContext<'_>,
    task: &CompactionTask,
    input: &mut MergingIterator,
    out: &mut OutputWriter<'_, '_>,
    (start, end): (Option<&[u8]>, Option<&[u8]>),
    calls_between: bool,
) -> Result<()> {
    let mut current_user_key: Vec<u8> = Vec::new();
    let mut has_current_user_key = false;
    let mut last_sequence_for_key = u64::MAX;
    let mut grandparent_index = 0usize;
    let mut seen_key = false;
    let mut overlapped_bytes = 0u64;
    seek_range_start(input, start);
    while input.valid() {
        if ctx.shutting_down.load(AtomicOrdering::Acquire) {
            return Err(Error::Unavailable("database is shutting down".into()));
        }
        let key = input.key();
        if end.is_some_and(|end| extract_user_key(key) > end) {
            break;
        }
        // A memtable flushed now would get a smaller file number than this
        // task's level-0 output while holding newer data, and level 0 is
        // read newest number first: level-0 outputs let the flush wait.
        if calls_between && task.output_level != 0 {
            (ctx.between_entries)();
        }
        // Cut the output before it overlaps too much of the grandparent
        // level, so a later compaction of it stays small.
        while grandparent_index < task.grandparents.len()
            && compare_internal_keys(
                key,
                task.grandparents[grandparent_index].meta.largest.encoded(),
            ) == Ordering::Greater
        {
            if seen_key {
                overlapped_bytes += task.grandparents[grandparent_index].meta.file_size_bytes;
            }
            grandparent_index += 1;
        }
        seen_key = true;
        if overlapped_bytes > task.max_grandparent_overlap_bytes {
            overlapped_bytes = 0;
            out.finish()?;
        }

        let mut drop = false;
        match parse_internal_key(key) {
            None => {
                // Keep unparsable keys (LevelDB does) and reset the state.
                current_user_key.clear();
                has_current_user_key = false;
                last_sequence_for_key = u64::MAX;
            }
            Some(ik) => {
                if !has_current_user_key || ik.user_key != current_user_key.as_slice() {
                    current_user_key.clear();
                    current_user_key.extend_from_slice(ik.user_key);
                    has_current_user_key = true;
                    last_sequence_for_key = u64::MAX;
                }
                if last_sequence_for_key <= ctx.smallest_snapshot {
                    // Hidden by a newer entry of the same key that every
                    // snapshot sees.
                    drop = true;
                } else if ik.value_type == ValueType::Deletion
                    && ik.sequence <= ctx.smallest_snapshot
                    && is_base_level_for_key(ctx.version, task.output_level, ik.user_key)
                    && !older_level0_may_hold(ctx.version, task, ik.user_key)
                {
                    // No older data for the key lives deeper: the marker
                    // has nothing left to hide.
                    drop = true;
                }
                last_sequence_for_key = ik.sequence;
            }
        }
        if !drop {
            let value = input.value();
            // Only an entry that fills a block alone can be copied; asking
            // the input for smaller ones would cost a call per entry.
            let stored = if ctx.copy_stored_blocks
                && key.len() + value.len() >= ctx.table_options.block_size_bytes
            {
                input.sole_entry_block()
            } else {
                None
            };
            out.add_with(key, value, stored)?;
        }
        input.next();
    }
    input.status()?;
    out.finish()
}

/// True if a task writing into level 0 leaves some level-0 file that may
/// hold `user_key`: its older data would reappear if a deletion marker were
/// dropped (tiered policies merge only some of the level-0 runs).
fn older_level0_may_hold(version: &Version, task: &CompactionTask, user_key: &[u8]) -> bool {
    if task.output_level != 0 {
        return false;
    }
    version.files[0].iter().any(|f| {
        f.smallest_user_key() <= user_key
            && user_key <= f.largest_user_key()
            && !task
                .inputs
                .iter()
                .any(|l| l.level == 0 && l.files.iter().any(|i| i.meta.number == f.meta.number))
    })
}

/// True if no level deeper than `output_level` may hold `user_key`.
pub fn is_base_level_for_key(version: &Version, output_level: usize, user_key: &[u8]) -> bool {
    for level in output_level + 1..NUM_LEVELS {
        let files: &[Arc<FileEntry>] = &version.files[level];
        let i = files.partition_point(|f| f.largest_user_key() < user_key);
        if let Some(f) = files.get(i) {
            if f.smallest_user_key() <= user_key {
                return false;
            }
        }
    }
    true
}
