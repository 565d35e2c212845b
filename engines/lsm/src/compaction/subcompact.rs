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

/// Split only merges of at least this many output-file targets of input:
/// below it a thread's start and the extra file cut cost more than they
/// save.
const MIN_TARGETS_TO_SPLIT: u64 = 2;

/// Boundaries that split `task` into at most `ways` ranges of about equal
/// input bytes: range `i` holds the user keys in `(b[i-1], b[i]]`, the
/// first starting at the smallest key and the last ending at the largest.
/// Empty when the task is too small to split or `ways < 2`.
///
/// Candidates are the largest user keys of the input files; the bytes
/// before a candidate are estimated as the sizes of the files ending at or
/// before it (each file counted whole on the side of its largest key).
pub fn split_points(task: &CompactionTask, ways: usize) -> Vec<Vec<u8>> {
    if ways < 2
        || task.output_level == 0
        || task.input_bytes() < MIN_TARGETS_TO_SPLIT.saturating_mul(task.max_output_file_bytes)
    {
        return Vec::new();
    }
    let mut ends: Vec<(&[u8], u64)> = task
        .inputs
        .iter()
        .flat_map(|l| l.files.iter())
        .map(|f| {
            (
                extract_user_key(f.meta.largest.encoded()),
                f.meta.file_size_bytes,
            )
        })
        .collect();
    ends.sort_by(|a, b| a.0.cmp(b.0));
    let total: u64 = ends.iter().map(|e| e.1).sum();
    let Some(&(last_key, _)) = ends.last() else {
        return Vec::new();
    };
    // (candidate key, bytes of files ending at or before it), one per key.
    let mut cumulative: Vec<(&[u8], u64)> = Vec::with_capacity(ends.len());
    let mut running = 0u64;
    for (key, bytes) in ends {
        running += bytes;
        match cumulative.last_mut() {
            Some(last) if last.0 == key => last.1 = running,
            _ => cumulative.push((key, running)),
        }
    }
    let mut points: Vec<Vec<u8>> = Vec::new();
    for k in 1..ways as u64 {
        let target = total / ways as u64 * k;
        let best = cumulative
            .iter()
            .filter(|(key, _)| *key != last_key)
            .filter(|(key, _)| points.last().is_none_or(|p| *key > p.as_slice()))
            .min_by_key(|(_, before)| before.abs_diff(target));
        if let Some((key, _)) = best {
            points.push(key.to_vec());
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
