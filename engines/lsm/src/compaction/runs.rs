//! Helpers shared by the policies that keep sorted runs in level 0
//! (`tiered`, `lazy_leveled`): each level-0 file is one run.
//!
//! The read path probes level-0 files newest first by file number, and a
//! merge's output gets a number larger than every live file. So a merge that
//! leaves its output in level 0 must take a contiguous prefix of the NEWEST
//! runs (or all of them): its output is then newer than every run left.
//! Runs leaving level 0 must be a contiguous suffix of the OLDEST runs, so
//! that no older run stays in level 0 above them.

use super::{CompactionTask, LevelInputs, TaskKind, TaskReason};
use crate::version::{FileEntry, Version};
use std::sync::Arc;

/// Level-0 runs, newest (largest file number) first.
pub fn newest_first(version: &Version) -> Vec<Arc<FileEntry>> {
    version.files[0].iter().rev().cloned().collect()
}

/// Bytes of one run.
pub fn run_bytes(run: &FileEntry) -> u64 {
    run.meta.file_size_bytes
}

/// A merge of the newest `count` runs of `newest` back into level 0 as one
/// run (one output file).
pub fn merge_newest_into_level0(
    newest: &[Arc<FileEntry>],
    count: usize,
    reason: TaskReason,
) -> CompactionTask {
    let count = count.min(newest.len());
    // The level's order is oldest first; inputs keep it.
    let mut files: Vec<Arc<FileEntry>> = newest[..count].to_vec();
    files.reverse();
    CompactionTask {
        kind: TaskKind::Merge,
        reason,
        level: 0,
        inputs: vec![LevelInputs { level: 0, files }],
        output_level: 0,
        grandparents: Vec::new(),
        // One run is one file, so that level-0 file count = run count.
        max_output_file_bytes: u64::MAX,
        max_grandparent_overlap_bytes: u64::MAX,
        compact_pointer: None,
    }
}
