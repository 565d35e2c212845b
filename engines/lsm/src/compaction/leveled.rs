//! LevelDB 1.23's leveled compaction (`db/version_set.cc`), as a pure
//! policy.
//!
//! - Level 0 is scored by file count (trigger 4 files); level L >= 1 by
//!   bytes against 10 MiB × 10^(L−1) (the base is `max_bytes_for_level_base`). The highest score >= 1 wins; a file
//!   out of seeks is compacted when no level is over its size.
//! - Within a level, the first file after the level's compact pointer is
//!   picked (round robin over the key space); at level 0 every overlapping
//!   file joins; files sharing a boundary user key are added (1.23's
//!   `AddBoundaryInputs`).
//! - The overlapping files of the next level join; the input set at the
//!   level is widened if that does not pull in more next-level files and
//!   stays under 25 × `max_file_size`.
//! - A single file with nothing under it and at most 10 × `max_file_size`
//!   of grandparent overlap is moved, not rewritten.
//! - A flushed memtable goes to the deepest level up to 2 it does not
//!   overlap, unless that would overlap too much of the level below.

use super::{CompactionPolicy, CompactionTask, LevelInputs, TaskKind, TaskReason, TreeShape};
use crate::format::internal_key::compare_internal_keys;
use crate::version::edit::NUM_LEVELS;
use crate::version::level_files::overlapping_inputs;
use crate::version::{FileEntry, Version};
use std::cmp::Ordering;
use std::sync::Arc;

/// Level-0 file count that triggers a compaction.
pub const L0_COMPACTION_TRIGGER: usize = 4;
/// Deepest level a flushed memtable may be placed at.
pub const MAX_MEM_COMPACT_LEVEL: usize = 2;

/// LevelDB's leveled policy. Stateless: the compact pointers live in the
/// version set and arrive in the shape.
#[derive(Debug, Default, Clone, Copy)]
pub struct LeveledPolicy;

/// Size target of `level` in bytes: `base_bytes` (LevelDB: 10 MiB) at
/// levels 0 and 1, ×10 per deeper level.
pub fn max_bytes_for_level(base_bytes: u64, level: usize) -> f64 {
    let mut result = base_bytes as f64;
    let mut l = level;
    while l > 1 {
        result *= 10.0;
        l -= 1;
    }
    result
}

fn total_bytes(files: &[Arc<FileEntry>]) -> u64 {
    files.iter().map(|f| f.meta.file_size_bytes).sum()
}

/// Smallest and largest internal keys over `files` (which must be non-empty).
fn key_range(files: &[Arc<FileEntry>]) -> (Vec<u8>, Vec<u8>) {
    let mut smallest = files[0].meta.smallest.encoded();
    let mut largest = files[0].meta.largest.encoded();
    for f in &files[1..] {
        if compare_internal_keys(f.meta.smallest.encoded(), smallest) == Ordering::Less {
            smallest = f.meta.smallest.encoded();
        }
        if compare_internal_keys(f.meta.largest.encoded(), largest) == Ordering::Greater {
            largest = f.meta.largest.encoded();
        }
    }
    (smallest.to_vec(), largest.to_vec())
}

fn user(ikey: &[u8]) -> &[u8] {
    crate::format::internal_key::extract_user_key(ikey)
}

/// LevelDB 1.23 `AddBoundaryInputs`: while some file at the level starts
/// with the same user key the inputs end with (at an older sequence), add
/// it, so that no newer version of a key is compacted below an older one.
pub(crate) fn add_boundary_inputs(
    level_files: &[Arc<FileEntry>],
    inputs: &mut Vec<Arc<FileEntry>>,
) {
    if inputs.is_empty() {
        return;
    }
    let (_, mut largest) = key_range(inputs);
    loop {
        let boundary = level_files
            .iter()
            .filter(|f| {
                compare_internal_keys(f.meta.smallest.encoded(), &largest) == Ordering::Greater
                    && f.smallest_user_key() == user(&largest)
            })
            .min_by(|a, b| {
                compare_internal_keys(a.meta.smallest.encoded(), b.meta.smallest.encoded())
            });
        match boundary {
            Some(f) if !inputs.iter().any(|i| i.meta.number == f.meta.number) => {
                largest = f.meta.largest.encoded().to_vec();
                inputs.push(Arc::clone(f));
            }
            _ => return,
        }
    }
}

impl LeveledPolicy {
    /// The level with the highest score and that score (LevelDB's
    /// `Finalize`).
    pub fn best_level(&self, version: &Version, base_bytes: u64) -> (usize, f64) {
        let mut best = (0, -1.0);
        for level in 0..NUM_LEVELS - 1 {
            let score = if level == 0 {
                version.num_files(0) as f64 / L0_COMPACTION_TRIGGER as f64
            } else {
                version.level_bytes(level) as f64 / max_bytes_for_level(base_bytes, level)
            };
            if score > best.1 {
                best = (level, score);
            }
        }
        best
    }

    /// Completes a task from its level inputs (LevelDB's `SetupOtherInputs`).
    fn setup_other_inputs(
        &self,
        shape: &TreeShape<'_>,
        level: usize,
        mut inputs0: Vec<Arc<FileEntry>>,
        reason: TaskReason,
    ) -> CompactionTask {
        let version = shape.version;
        add_boundary_inputs(&version.files[level], &mut inputs0);
        let (smallest, largest) = key_range(&inputs0);
        let mut inputs1 = overlapping_inputs(
            &version.files[level + 1],
            false,
            Some(user(&smallest)),
            Some(user(&largest)),
        );
        add_boundary_inputs(&version.files[level + 1], &mut inputs1);

        let mut all: Vec<Arc<FileEntry>> = inputs0.iter().chain(inputs1.iter()).cloned().collect();
        let (mut all_start, mut all_limit) = key_range(&all);

        let expanded_limit = 25 * shape.max_file_size;
        if !inputs1.is_empty() {
            let mut expanded0 = overlapping_inputs(
                &version.files[level],
                level == 0,
                Some(user(&all_start)),
                Some(user(&all_limit)),
            );
            add_boundary_inputs(&version.files[level], &mut expanded0);
            let inputs1_size = total_bytes(&inputs1);
            let expanded0_size = total_bytes(&expanded0);
            if expanded0.len() > inputs0.len() && inputs1_size + expanded0_size < expanded_limit {
                let (new_start, new_limit) = key_range(&expanded0);
                let mut expanded1 = overlapping_inputs(
                    &version.files[level + 1],
                    false,
                    Some(user(&new_start)),
                    Some(user(&new_limit)),
                );
                add_boundary_inputs(&version.files[level + 1], &mut expanded1);
                if expanded1.len() == inputs1.len() {
                    inputs0 = expanded0;
                    inputs1 = expanded1;
                    all = inputs0.iter().chain(inputs1.iter()).cloned().collect();
                    (all_start, all_limit) = key_range(&all);
                }
            }
        }
        let grandparents = if level + 2 < NUM_LEVELS {
            overlapping_inputs(
                &version.files[level + 2],
                false,
                Some(user(&all_start)),
                Some(user(&all_limit)),
            )
        } else {
            Vec::new()
        };
        let (_, largest0) = key_range(&inputs0);
        let max_grandparent_overlap_bytes = 10 * shape.max_file_size;
        let trivial = reason != TaskReason::Manual
            && inputs0.len() == 1
            && inputs1.is_empty()
            && total_bytes(&grandparents) <= max_grandparent_overlap_bytes;
        CompactionTask {
            kind: if trivial {
                TaskKind::TrivialMove
            } else {
                TaskKind::Merge
            },
            reason,
            level,
            inputs: vec![
                LevelInputs {
                    level,
                    files: inputs0,
                },
                LevelInputs {
                    level: level + 1,
                    files: inputs1,
                },
            ],
            output_level: level + 1,
            grandparents,
            max_output_file_bytes: shape.max_file_size,
            max_grandparent_overlap_bytes,
            compact_pointer: Some(largest0),
        }
    }
}

impl CompactionPolicy for LeveledPolicy {
    fn name(&self) -> &'static str {
        "leveled"
    }

    fn pick(&self, shape: &TreeShape<'_>) -> Option<CompactionTask> {
        let version = shape.version;
        let (level, score) = self.best_level(version, shape.level_base_bytes);
        let (level, inputs0, reason) = if score >= 1.0 {
            let files = &version.files[level];
            let pointer = &shape.compact_pointers[level];
            let first = files
                .iter()
                .find(|f| {
                    pointer.is_empty()
                        || compare_internal_keys(f.meta.largest.encoded(), pointer)
                            == Ordering::Greater
                })
                .or_else(|| files.first())?;
            (level, vec![Arc::clone(first)], TaskReason::Size)
        } else if let Some((level, file)) = &shape.seek_candidate {
            // A lookup that began before a compaction may name a file that
            // compaction has since removed (LevelDB keeps the candidate in
            // the version, so it goes stale with it): ignore such a file.
            let live = version
                .files
                .get(*level)
                .is_some_and(|files| files.iter().any(|f| f.meta.number == file.meta.number));
            if *level + 1 >= NUM_LEVELS || !live {
                return None;
            }
            (*level, vec![Arc::clone(file)], TaskReason::Seek)
        } else {
            return None;
        };
        let inputs0 = if level == 0 {
            let (smallest, largest) = key_range(&inputs0);
            // Level-0 files may overlap each other: take every one that
            // overlaps the chosen file's range, transitively.
            version.overlapping_inputs(0, Some(user(&smallest)), Some(user(&largest)))
        } else {
            inputs0
        };
        if inputs0.is_empty() {
            return None;
        }
        Some(self.setup_other_inputs(shape, level, inputs0, reason))
    }

    fn pick_manual(
        &self,
        shape: &TreeShape<'_>,
        level: usize,
        begin: Option<&[u8]>,
        end: Option<&[u8]>,
    ) -> Option<CompactionTask> {
        if level + 1 >= NUM_LEVELS {
            return None;
        }
        let mut inputs = shape.version.overlapping_inputs(level, begin, end);
        if inputs.is_empty() {
            return None;
        }
        if level > 0 {
            // Compact at most about one file's worth per step (LevelDB avoids
            // huge manual compactions the same way); the caller loops.
            let limit = shape.max_file_size;
            let mut total = 0;
            let mut keep = inputs.len();
            for (i, f) in inputs.iter().enumerate() {
                total += f.meta.file_size_bytes;
                if total >= limit {
                    keep = i + 1;
                    break;
                }
            }
            inputs.truncate(keep);
        }
        Some(self.setup_other_inputs(shape, level, inputs, TaskReason::Manual))
    }

    fn flush_level(&self, shape: &TreeShape<'_>, smallest: &[u8], largest: &[u8]) -> usize {
        let version = shape.version;
        let mut level = 0;
        if version.overlap_in_level(0, smallest, largest) {
            return 0;
        }
        let limit = 10 * shape.max_file_size;
        while level < MAX_MEM_COMPACT_LEVEL {
            if version.overlap_in_level(level + 1, smallest, largest) {
                break;
            }
            if level + 2 < NUM_LEVELS {
                let overlaps = overlapping_inputs(
                    &version.files[level + 2],
                    false,
                    Some(smallest),
                    Some(largest),
                );
                if total_bytes(&overlaps) > limit {
                    break;
                }
            }
            level += 1;
        }
        level
    }

    /// RocksDB's estimate for leveled trees, over LevelDB's triggers:
    /// - once level 0 has [`L0_COMPACTION_TRIGGER`] files, all of level 0
    ///   and all of level 1 (level 0 merges into the whole of level 1, its
    ///   files spanning the key space);
    /// - for each level L from 1 down, holding its own bytes plus what the
    ///   level above pushes into it: the excess over its target moves to
    ///   L+1 and rewrites as much of L+1 again in proportion, so it costs
    ///   `excess × (bytes(L+1) / bytes(L) + 1)` (nothing when L+1 is empty:
    ///   files move down without a rewrite), and the excess is pushed into
    ///   L+1.
    ///
    /// Seek-triggered compactions are not counted: they are not backlog.
    fn pending_compaction_bytes(&self, shape: &TreeShape<'_>) -> u64 {
        let version = shape.version;
        let mut pending = 0f64;
        let mut pushed_down = 0f64;
        if version.num_files(0) >= L0_COMPACTION_TRIGGER {
            pushed_down = version.level_bytes(0) as f64;
            pending = pushed_down + version.level_bytes(1) as f64;
        }
        for level in 1..NUM_LEVELS - 1 {
            let bytes = version.level_bytes(level) as f64 + pushed_down;
            let target = max_bytes_for_level(shape.level_base_bytes, level);
            pushed_down = 0.0;
            if bytes > target {
                let excess = bytes - target;
                let next = version.level_bytes(level + 1) as f64;
                if next > 0.0 {
                    pending += excess * (next / bytes + 1.0);
                }
                pushed_down = excess;
            }
        }
        pending as u64
    }

    fn score(&self, shape: &TreeShape<'_>) -> f64 {
        self.best_level(shape.version, shape.level_base_bytes).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::internal_key::{InternalKey, ValueType};
    use crate::version::edit::FileMetaData;

    fn file(number: u64, smallest: &str, largest: &str, size: u64) -> Arc<FileEntry> {
        Arc::new(FileEntry::new(FileMetaData {
            number,
            file_size_bytes: size,
            smallest: InternalKey::new(smallest.as_bytes(), 100, ValueType::Value),
            largest: InternalKey::new(largest.as_bytes(), 100, ValueType::Value),
        }))
    }

    fn shape_with<'a>(version: &'a Version, pointers: &'a [Vec<u8>]) -> TreeShape<'a> {
        TreeShape {
            version,
            compact_pointers: pointers,
            seek_candidate: None,
            max_file_size: 2 << 20,
            level_base_bytes: 10 << 20,
        }
    }

    #[test]
    fn level_targets_grow_tenfold() {
        let base = 10 << 20;
        assert_eq!(max_bytes_for_level(base, 1), 10.0 * 1_048_576.0);
        assert_eq!(max_bytes_for_level(base, 2), 100.0 * 1_048_576.0);
        assert_eq!(max_bytes_for_level(base, 3), 1000.0 * 1_048_576.0);
    }

    #[test]
    fn no_work_below_triggers() {
        let mut v = Version::empty();
        for n in 0..3 {
            v.files[0].push(file(n + 1, "a", "z", 1000));
        }
        let pointers = vec![Vec::new(); NUM_LEVELS];
        assert!(LeveledPolicy.pick(&shape_with(&v, &pointers)).is_none());
        assert!(LeveledPolicy.score(&shape_with(&v, &pointers)) < 1.0);
    }

    #[test]
    fn four_level0_files_merge_with_overlapping_level1() {
        let mut v = Version::empty();
        v.files[0] = vec![
            file(10, "c", "e", 100),
            file(11, "a", "b", 100),
            file(12, "d", "f", 100),
            file(13, "x", "y", 100),
        ];
        v.files[1] = vec![file(5, "a", "c", 100), file(6, "g", "h", 100)];
        let pointers = vec![Vec::new(); NUM_LEVELS];
        let task = LeveledPolicy
            .pick(&shape_with(&v, &pointers))
            .expect("task");
        assert_eq!(task.kind, TaskKind::Merge);
        assert_eq!(task.level, 0);
        let l0: Vec<u64> = task.inputs[0].files.iter().map(|f| f.meta.number).collect();
        // File 10 (c..e) overlaps 12 (d..f), expanding to c..f; file 11
        // (a..b) then joins through the level-1 expansion step only if it
        // adds no level-1 file: a..b overlaps level-1 file 5, which c..f
        // already pulls in, so 11 joins too.
        assert!(l0.contains(&10) && l0.contains(&12), "{l0:?}");
        let l1: Vec<u64> = task.inputs[1].files.iter().map(|f| f.meta.number).collect();
        assert_eq!(l1, vec![5]);
        assert_eq!(task.output_level, 1);
    }

    #[test]
    fn single_file_without_overlap_is_a_trivial_move() {
        let mut v = Version::empty();
        v.files[1] = vec![file(7, "a", "m", 11 << 20)];
        let pointers = vec![Vec::new(); NUM_LEVELS];
        let task = LeveledPolicy
            .pick(&shape_with(&v, &pointers))
            .expect("level 1 over 10 MiB");
        assert_eq!(task.kind, TaskKind::TrivialMove);
        assert_eq!(task.output_level, 2);
    }

    #[test]
    fn compact_pointer_rotates_through_the_level() {
        let mut v = Version::empty();
        v.files[1] = vec![file(1, "a", "b", 6 << 20), file(2, "c", "d", 6 << 20)];
        let mut pointers = vec![Vec::new(); NUM_LEVELS];
        let first = LeveledPolicy
            .pick(&shape_with(&v, &pointers))
            .expect("task");
        assert_eq!(first.inputs[0].files[0].meta.number, 1);
        pointers[1] = first.compact_pointer.clone().expect("pointer");
        let second = LeveledPolicy
            .pick(&shape_with(&v, &pointers))
            .expect("task");
        assert_eq!(second.inputs[0].files[0].meta.number, 2);
    }

    #[test]
    fn flush_goes_deeper_when_nothing_overlaps() {
        let mut v = Version::empty();
        let pointers = vec![Vec::new(); NUM_LEVELS];
        assert_eq!(
            LeveledPolicy.flush_level(&shape_with(&v, &pointers), b"a", b"b"),
            2
        );
        v.files[1] = vec![file(3, "a", "c", 100)];
        assert_eq!(
            LeveledPolicy.flush_level(&shape_with(&v, &pointers), b"a", b"b"),
            0
        );
        v.files[1].clear();
        v.files[2] = vec![file(4, "a", "c", 100)];
        assert_eq!(
            LeveledPolicy.flush_level(&shape_with(&v, &pointers), b"a", b"b"),
            1
        );
    }

    #[test]
    fn seek_candidate_compacts_when_sizes_are_fine() {
        let mut v = Version::empty();
        let f = file(9, "a", "b", 100);
        v.files[1] = vec![Arc::clone(&f)];
        v.files[2] = vec![file(10, "a", "c", 100)];
        let pointers = vec![Vec::new(); NUM_LEVELS];
        let mut shape = shape_with(&v, &pointers);
        shape.seek_candidate = Some((1, f));
        let task = LeveledPolicy.pick(&shape).expect("seek task");
        assert_eq!(task.reason, TaskReason::Seek);
        assert_eq!(task.inputs[1].files.len(), 1);
    }

    #[test]
    fn a_seek_candidate_no_longer_in_the_version_is_ignored() {
        let mut v = Version::empty();
        v.files[0] = vec![file(10, "x", "y", 100)];
        let pointers = vec![Vec::new(); NUM_LEVELS];
        let mut shape = shape_with(&v, &pointers);
        // File 9 was compacted away after a lookup charged it.
        shape.seek_candidate = Some((0, file(9, "a", "b", 100)));
        assert!(LeveledPolicy.pick(&shape).is_none());
        shape.seek_candidate = Some((0, Arc::clone(&v.files[0][0])));
        assert_eq!(
            LeveledPolicy.pick(&shape).expect("live candidate").reason,
            TaskReason::Seek
        );
    }

    #[test]
    fn pending_bytes_follow_the_level_targets() {
        // Targets: level 1 10 MiB, level 2 100 MiB (shape_with's base).
        const MIB: u64 = 1 << 20;
        let mut v = Version::empty();
        let pending = |v: &Version| LeveledPolicy.pending_compaction_bytes(&shape_with(v, &[]));
        assert_eq!(pending(&v), 0);
        // Three level-0 files: under the trigger; level 1 within target.
        v.files[0] = (1..=3).map(|n| file(n, "a", "z", MIB)).collect();
        v.files[1] = vec![file(10, "a", "z", 8 * MIB)];
        assert_eq!(pending(&v), 0);
        // A fourth: level 0 (4 MiB) merges into level 1 (8 MiB): 12 MiB,
        // and level 1 then holds 12 MiB, 2 over its target, with nothing
        // under it: pushed down without a rewrite.
        v.files[0].push(file(4, "a", "z", MIB));
        assert_eq!(pending(&v), 12 * MIB);
        // With 50 MiB in level 2 the 2 MiB excess rewrites 2 × (50/12 + 1).
        v.files[2] = vec![file(20, "a", "z", 50 * MIB)];
        let expected = 12.0 * MIB as f64 + 2.0 * MIB as f64 * (50.0 / 12.0 + 1.0);
        assert_eq!(pending(&v), expected as u64);
        // Level 0 under the trigger again: only level 1's own excess.
        v.files[0].clear();
        v.files[1] = vec![file(10, "a", "z", 15 * MIB)];
        let expected = 5.0 * MIB as f64 * (50.0 / 15.0 + 1.0);
        assert_eq!(pending(&v), expected as u64);
    }

    #[test]
    fn boundary_inputs_keep_a_user_key_together() {
        let older = Arc::new(FileEntry::new(FileMetaData {
            number: 2,
            file_size_bytes: 100,
            smallest: InternalKey::new(b"k", 5, ValueType::Value),
            largest: InternalKey::new(b"m", 5, ValueType::Value),
        }));
        let newer = Arc::new(FileEntry::new(FileMetaData {
            number: 1,
            file_size_bytes: 100,
            smallest: InternalKey::new(b"a", 9, ValueType::Value),
            largest: InternalKey::new(b"k", 9, ValueType::Value),
        }));
        let level = vec![Arc::clone(&newer), Arc::clone(&older)];
        let mut inputs = vec![newer];
        add_boundary_inputs(&level, &mut inputs);
        assert_eq!(inputs.len(), 2);
    }
}
