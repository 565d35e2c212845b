//! Lazy leveling, after Dostoevsky (Dayan & Idreos, "Dostoevsky: Better
//! Space-Time Trade-Offs for LSM-Tree Based Key-Value Stores via Adaptive
//! Removal of Superfluous Merging", SIGMOD 2018): tiering at every level but
//! the largest, leveling at the largest.
//!
//! Mapping onto this engine, where only level 0 may hold overlapping files:
//! the tiered levels are size classes of runs in level 0 (each run one
//! file), and level 1 is the one leveled, largest level (disjoint files of
//! `max_file_size`). Nothing goes deeper. With `T` = `size_ratio_t`, and
//! `S` = the bytes of level 1, the first rule that fires wins:
//!
//! 1. Run cap: with `max_runs` runs or more, merge them all into level 1
//!    (bounds reads and keeps writers away from the stop trigger).
//! 2. Leveling: the oldest runs of at least `S / T²` bytes each belong to
//!    the level just above the largest, whose capacity is `S / T`. Once
//!    they reach it together, merge them (a contiguous suffix of the oldest
//!    runs) with the level-1 files they overlap into level 1. A single run
//!    over an empty key range of level 1 is moved, not rewritten.
//! 3. Tiering: the newest runs smaller than `T` × the newest run's bytes
//!    form its tier; once the tier has `T` runs, merge them into one run
//!    in level 0.
//!
//! Level capacities follow the largest level, as in Dostoevsky, so while
//! level 1 is small (`S` under `T²` flushes) runs are merged into it
//! eagerly, which is leveling with a single level.

use super::leveled::add_boundary_inputs;
use super::runs::{merge_newest_into_level0, newest_first, run_bytes};
use super::{CompactionPolicy, CompactionTask, LevelInputs, TaskKind, TaskReason, TreeShape};
use crate::version::level_files::overlapping_inputs;
use crate::version::{FileEntry, Version};
use std::sync::Arc;

/// Parameters of [`LazyLeveledPolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LazyLeveledParams {
    /// Dostoevsky's size ratio `T` between adjacent levels, and the number
    /// of runs a tier collects before they merge. Default 4; at least 2.
    pub size_ratio_t: u64,
    /// Runs in level 0 at which all are merged into level 1. Default 16.
    pub max_runs: usize,
}

impl LazyLeveledParams {
    /// The defaults.
    pub const DEFAULT: LazyLeveledParams = LazyLeveledParams {
        size_ratio_t: 4,
        max_runs: 16,
    };
}

impl Default for LazyLeveledParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The lazy-leveling policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct LazyLeveledPolicy {
    /// Its parameters.
    pub params: LazyLeveledParams,
}

/// What a rule chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    /// Merge the newest `n` runs into one run in level 0.
    Tier(usize),
    /// Merge the oldest `n` runs into level 1.
    Level(usize),
}

impl LazyLeveledPolicy {
    fn ratio(&self) -> u128 {
        u128::from(self.params.size_ratio_t.max(2))
    }

    /// The rule that fires over `n` runs, `bytes(i)` being the size of the
    /// `i`-th newest, above a level 1 of `last_level` bytes.
    fn choose(&self, n: usize, last_level: u64, bytes: impl Fn(usize) -> u64) -> Option<Choice> {
        if n == 0 {
            return None;
        }
        if n >= self.params.max_runs.max(2) {
            return Some(Choice::Level(n));
        }
        let bytes = |i| u128::from(bytes(i));
        let t = self.ratio();
        let last_level = u128::from(last_level);
        // Rule 2: oldest runs of the level above the largest.
        let mut count = 0;
        let mut total = 0u128;
        for i in (0..n).rev() {
            let run = bytes(i);
            if run * t * t < last_level {
                break;
            }
            count += 1;
            total += run;
        }
        if count > 0 && total * t >= last_level {
            return Some(Choice::Level(count));
        }
        // Rule 3: the newest tier.
        let unit = bytes(0);
        let tier = (0..n).take_while(|&i| bytes(i) < unit.max(1) * t).count();
        (tier as u128 >= t).then_some(Choice::Tier(tier))
    }

    /// [`LazyLeveledPolicy::choose`] over `version`'s runs.
    fn choose_in(&self, version: &Version) -> Option<Choice> {
        let runs = &version.files[0];
        let n = runs.len();
        self.choose(n, version.level_bytes(1), |i| run_bytes(&runs[n - 1 - i]))
    }

    /// Merges the oldest `count` runs with the level-1 files they overlap
    /// into level 1.
    fn merge_into_last_level(
        &self,
        shape: &TreeShape<'_>,
        count: usize,
        reason: TaskReason,
    ) -> Option<CompactionTask> {
        let version = shape.version;
        let runs: Vec<Arc<FileEntry>> = version.files[0].iter().take(count).cloned().collect();
        let smallest = runs.iter().map(|f| f.smallest_user_key()).min()?.to_vec();
        let largest = runs.iter().map(|f| f.largest_user_key()).max()?.to_vec();
        let mut below =
            overlapping_inputs(&version.files[1], false, Some(&smallest), Some(&largest));
        // Level 1 is the last level: a file left out that holds older
        // versions of a key the inputs end with would outlive the tombstone
        // or newer value this merge drops.
        add_boundary_inputs(&version.files[1], &mut below);
        let trivial = reason != TaskReason::Manual && runs.len() == 1 && below.is_empty();
        Some(CompactionTask {
            kind: if trivial {
                TaskKind::TrivialMove
            } else {
                TaskKind::Merge
            },
            reason,
            level: 0,
            inputs: vec![
                LevelInputs {
                    level: 0,
                    files: runs,
                },
                LevelInputs {
                    level: 1,
                    files: below,
                },
            ],
            output_level: 1,
            grandparents: Vec::new(),
            max_output_file_bytes: shape.max_file_size,
            max_grandparent_overlap_bytes: u64::MAX,
            compact_pointer: None,
        })
    }
}

impl CompactionPolicy for LazyLeveledPolicy {
    fn name(&self) -> &'static str {
        "lazy_leveled"
    }

    fn pick(&self, shape: &TreeShape<'_>) -> Option<CompactionTask> {
        let newest = newest_first(shape.version);
        match self.choose_in(shape.version)? {
            Choice::Tier(n) => Some(merge_newest_into_level0(&newest, n, TaskReason::Size)),
            Choice::Level(n) => self.merge_into_last_level(shape, n, TaskReason::Size),
        }
    }

    /// At level 0, merges every run into level 1; level 1 is the last level.
    fn pick_manual(
        &self,
        shape: &TreeShape<'_>,
        level: usize,
        _begin: Option<&[u8]>,
        _end: Option<&[u8]>,
    ) -> Option<CompactionTask> {
        if level != 0 {
            return None;
        }
        self.merge_into_last_level(shape, shape.version.num_files(0), TaskReason::Manual)
    }

    /// Every flush is a new run in level 0.
    fn flush_level(&self, _shape: &TreeShape<'_>, _smallest: &[u8], _largest: &[u8]) -> usize {
        0
    }

    /// The bytes the next merge rewrites: for a tier, its runs; for a
    /// merge into level 1, the oldest runs it takes plus the level-1
    /// files overlapping their key range (a single run moved over an empty
    /// range rewrites nothing: 0). 0 when no rule fires. Counted without
    /// allocating: it is sampled while a benchmark runs.
    fn pending_compaction_bytes(&self, shape: &TreeShape<'_>) -> u64 {
        let version = shape.version;
        let runs = &version.files[0];
        match self.choose_in(version) {
            None => 0,
            Some(Choice::Tier(count)) => runs[runs.len() - count..]
                .iter()
                .map(|r| run_bytes(r))
                .sum(),
            Some(Choice::Level(count)) => {
                let oldest = &runs[..count];
                let (Some(smallest), Some(largest)) = (
                    oldest.iter().map(|f| f.smallest_user_key()).min(),
                    oldest.iter().map(|f| f.largest_user_key()).max(),
                ) else {
                    return 0;
                };
                let below: u64 = version.files[1]
                    .iter()
                    .filter(|f| {
                        f.largest_user_key() >= smallest && f.smallest_user_key() <= largest
                    })
                    .map(|f| run_bytes(f))
                    .sum();
                if count == 1 && below == 0 {
                    return 0;
                }
                oldest.iter().map(|r| run_bytes(r)).sum::<u64>() + below
            }
        }
    }

    /// RocksDB's `level0_slowdown_writes_trigger` default.
    fn l0_slowdown_trigger(&self) -> usize {
        20
    }

    /// RocksDB's `level0_stop_writes_trigger` default.
    fn l0_stop_trigger(&self) -> usize {
        36
    }

    fn score(&self, shape: &TreeShape<'_>) -> f64 {
        let newest = newest_first(shape.version);
        let ratio = newest.len() as f64 / self.params.max_runs.max(2) as f64;
        if self.choose_in(shape.version).is_some() {
            ratio.max(1.0)
        } else {
            ratio.min(0.99)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::test_shapes::{file, level0, numbers, shape};
    use crate::format::internal_key::{InternalKey, ValueType};
    use crate::version::edit::FileMetaData;

    fn policy() -> LazyLeveledPolicy {
        LazyLeveledPolicy::default()
    }

    #[test]
    fn a_first_run_moves_into_the_empty_last_level() {
        let v = level0(&[100]);
        let task = policy().pick(&shape(&v)).expect("move");
        assert_eq!(task.kind, TaskKind::TrivialMove);
        assert_eq!(task.output_level, 1);
        assert_eq!(numbers(&task), vec![1]);
    }

    #[test]
    fn small_runs_wait_for_a_full_tier() {
        // Level 1 holds 3200 bytes: runs of 100 < 3200 / 16 are tier 0.
        let mut v = level0(&[100, 100, 100]);
        v.files[1] = vec![file(50, "a", "m", 1600), file(51, "n", "z", 1600)];
        assert!(policy().pick(&shape(&v)).is_none());
        assert!(policy().score(&shape(&v)) < 1.0);
        v.files[0].push(file(4, "a", "z", 100));
        let task = policy().pick(&shape(&v)).expect("tier full");
        assert_eq!(task.output_level, 0);
        assert_eq!(task.max_output_file_bytes, u64::MAX);
        assert_eq!(numbers(&task), vec![1, 2, 3, 4]);
    }

    #[test]
    fn the_tier_is_a_prefix_of_the_newest_runs() {
        // Newest first: 100, 100, 100, 100 then an older 400-byte run.
        let mut v = level0(&[400, 100, 100, 100, 100]);
        v.files[1] = vec![file(50, "a", "z", 100_000)];
        let task = policy().pick(&shape(&v)).expect("tier");
        assert_eq!(numbers(&task), vec![2, 3, 4, 5]);
    }

    #[test]
    fn big_old_runs_merge_into_the_last_level() {
        // Level 1: 1600 bytes; runs >= 100 are in the level above it, which
        // holds 400: the two oldest (200 + 200) merge down, the newest
        // small one stays.
        let mut v = level0(&[200, 200, 50]);
        v.files[1] = vec![file(50, "a", "m", 800), file(51, "n", "z", 800)];
        let task = policy().pick(&shape(&v)).expect("leveling");
        assert_eq!(task.kind, TaskKind::Merge);
        assert_eq!(task.output_level, 1);
        assert_eq!(numbers(&task), vec![1, 2, 50, 51]);
        assert_eq!(task.max_output_file_bytes, 2 << 10);
        assert!(policy().score(&shape(&v)) >= 1.0);
    }

    #[test]
    fn the_run_cap_merges_everything_down() {
        let sizes: Vec<u64> = (0..16).map(|i| 1u64 << (20 - i)).collect();
        let mut v = level0(&sizes);
        v.files[1] = vec![file(99, "a", "z", u64::MAX / 4)];
        let task = policy().pick(&shape(&v)).expect("cap");
        assert_eq!(task.inputs[0].files.len(), 16);
        assert_eq!(task.output_level, 1);
    }

    #[test]
    fn a_key_split_across_level1_files_is_merged_whole() {
        // Level 1 splits "k" over two files: 50 ends with k@9, 51 starts
        // with k@5. A run over a..c overlaps only 50; the merge must take 51
        // too, or dropping k@9 (a tombstone, say: level 1 is the last level)
        // would bring k@5 back. Found by the metamorphic test (seed 86 of
        // the_empty_key_too_without_rusty_leveldb).
        let meta = |number, smallest: (&[u8], u64), largest: (&[u8], u64)| {
            Arc::new(FileEntry::new(FileMetaData {
                number,
                file_size_bytes: 1000,
                smallest: InternalKey::new(smallest.0, smallest.1, ValueType::Value),
                largest: InternalKey::new(largest.0, largest.1, ValueType::Deletion),
            }))
        };
        let mut v = Version::empty();
        v.files[0] = vec![file(1, "a", "c", 10)];
        v.files[1] = vec![
            meta(50, (b"a", 3), (b"k", 9)),
            meta(51, (b"k", 5), (b"m", 4)),
            meta(52, (b"n", 2), (b"z", 2)),
        ];
        let task = policy()
            .pick_manual(&shape(&v), 0, None, None)
            .expect("manual");
        assert_eq!(numbers(&task), vec![1, 50, 51]);
    }

    #[test]
    fn pending_bytes_are_what_the_next_merge_rewrites() {
        let p = policy();
        // A first run moves into the empty level 1: nothing is rewritten.
        assert_eq!(p.pending_compaction_bytes(&shape(&level0(&[100]))), 0);
        // Three small runs wait for a fourth: no rule fires.
        let mut v = level0(&[100, 100, 100]);
        v.files[1] = vec![file(50, "a", "m", 1600), file(51, "n", "z", 1600)];
        assert_eq!(p.pending_compaction_bytes(&shape(&v)), 0);
        // A full tier: its four runs.
        v.files[0].push(file(4, "a", "z", 100));
        assert_eq!(p.pending_compaction_bytes(&shape(&v)), 400);
        // Into level 1: the two oldest runs plus both level-1 files.
        let mut v = level0(&[200, 200, 50]);
        v.files[1] = vec![file(50, "a", "m", 800), file(51, "n", "z", 800)];
        assert_eq!(p.pending_compaction_bytes(&shape(&v)), 2000);
        let task = p.pick(&shape(&v)).expect("leveling");
        assert_eq!(task.input_bytes(), 2000);
        // Only the level-1 files the runs overlap count.
        let mut v = Version::empty();
        v.files[0] = vec![file(1, "a", "c", 300), file(2, "b", "d", 300)];
        v.files[1] = vec![file(50, "a", "m", 400), file(51, "n", "z", 400)];
        assert_eq!(p.pending_compaction_bytes(&shape(&v)), 1000);
        assert_eq!(p.pick(&shape(&v)).expect("leveling").input_bytes(), 1000);
    }

    #[test]
    fn manual_takes_all_runs_and_flushes_stay_in_level0() {
        let v = level0(&[10, 20]);
        let task = policy()
            .pick_manual(&shape(&v), 0, None, None)
            .expect("manual");
        assert_eq!(task.kind, TaskKind::Merge);
        assert_eq!(numbers(&task), vec![1, 2]);
        assert!(policy().pick_manual(&shape(&v), 1, None, None).is_none());
        assert_eq!(policy().flush_level(&shape(&v), b"a", b"b"), 0);
    }
}
