//! Splitting one merge into disjoint user-key ranges merged at once on
//! several threads (RocksDB's subcompactions). The policy's task is
//! unchanged: the same inputs, the same output level, the same rules for
//! dropping entries; only the executor divides the work, so the outputs
//! hold exactly the entries one merge would have kept, cut into files at
//! the range boundaries as well as by size and grandparent overlap.
//!
//! Every entry of one user key falls in one range (ranges are bounded by
//! user keys, end inclusive), so the per-key state of a merge (the newest
//! sequence seen, whether a deletion marker may go) never spans threads.
//!
//! Why: a write-heavy run on two cores spends much of its time with the
//! writer asleep in level 0's slowdown while one thread merges; a second
//! merging thread uses that idle core and shortens the compaction the
//! writer waits for.

use super::CompactionTask;
use crate::format::internal_key::extract_user_key;
use crate::version::FileEntry;

/// Split only merges of at least this many output-file targets of input:
/// below it a thread's start and the extra file cut cost more than they
/// save.
const MIN_TARGETS_TO_SPLIT: u64 = 2;

/// How [`split_points_with`] sees inside input files.
pub trait SplitEstimator {
    /// User keys inside `file` to consider as boundaries (besides its
    /// largest key), in order.
    fn sample_user_keys(&self, file: &FileEntry) -> Vec<Vec<u8>>;
    /// Bytes of `file` holding user keys at or before `user_key`.
    fn bytes_through(&self, file: &FileEntry, user_key: &[u8]) -> u64;
}

/// Sees no further than each file's key range: a file counts whole on the
/// side of its largest key, and only largest keys are candidates. Good
/// enough where files do not overlap; blind to how level-0 files, which
/// each span most of the key space, divide.
pub struct WholeFiles;

impl SplitEstimator for WholeFiles {
    fn sample_user_keys(&self, _file: &FileEntry) -> Vec<Vec<u8>> {
        Vec::new()
    }

    fn bytes_through(&self, file: &FileEntry, user_key: &[u8]) -> u64 {
        if extract_user_key(file.meta.largest.encoded()) <= user_key {
            file.meta.file_size_bytes
        } else {
            0
        }
    }
}

/// [`split_points_with`] under [`WholeFiles`].
pub fn split_points(task: &CompactionTask, ways: usize) -> Vec<Vec<u8>> {
    split_points_with(task, ways, &WholeFiles)
}

/// Boundaries that split `task` into at most `ways` ranges of about equal
/// input bytes as `estimator` counts them: range `i` holds the user keys
/// in `(b[i-1], b[i]]`, the first starting at the smallest key and the
/// last ending at the largest. Empty when the task is too small to split
/// or `ways < 2`. Candidates are the input files' largest user keys and
/// the estimator's samples; the last key of all is never one (its range
/// would be empty).
pub fn split_points_with(
    task: &CompactionTask,
    ways: usize,
    estimator: &dyn SplitEstimator,
) -> Vec<Vec<u8>> {
    if ways < 2
        || task.output_level == 0
        || task.input_bytes() < MIN_TARGETS_TO_SPLIT.saturating_mul(task.max_output_file_bytes)
    {
        return Vec::new();
    }
    let files: Vec<&FileEntry> = task
        .inputs
        .iter()
        .flat_map(|l| l.files.iter().map(|f| &**f))
        .collect();
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    for f in &files {
        candidates.push(extract_user_key(f.meta.largest.encoded()).to_vec());
        candidates.extend(estimator.sample_user_keys(f));
    }
    candidates.sort();
    candidates.dedup();
    let Some(last_key) = candidates.pop() else {
        return Vec::new();
    };
    let total: u64 = files.iter().map(|f| f.meta.file_size_bytes).sum();
    // (candidate, bytes at or before it), increasing in both.
    let cumulative: Vec<(Vec<u8>, u64)> = candidates
        .into_iter()
        .filter(|key| *key < last_key)
        .map(|key| {
            let bytes = files.iter().map(|f| estimator.bytes_through(f, &key)).sum();
            (key, bytes)
        })
        .collect();
    let mut points: Vec<Vec<u8>> = Vec::new();
    for k in 1..ways as u64 {
        let target = total / ways as u64 * k;
        let best = cumulative
            .iter()
            .filter(|(key, _)| points.last().is_none_or(|p| key > p))
            .min_by_key(|(_, before)| before.abs_diff(target));
        if let Some((key, _)) = best {
            points.push(key.clone());
        }
    }
    points
}

/// The user-key range of subcompaction `i` of `points.len() + 1`: an
/// exclusive start and an inclusive end (`None` = unbounded).
pub fn range(points: &[Vec<u8>], i: usize) -> (Option<&[u8]>, Option<&[u8]>) {
    let start = i
        .checked_sub(1)
        .and_then(|j| points.get(j))
        .map(Vec::as_slice);
    let end = points.get(i).map(Vec::as_slice);
    (start, end)
}
