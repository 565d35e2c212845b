//! Size-tiered compaction in the style of RocksDB's universal compaction
//! (RocksDB wiki, "Universal Compaction"; the size-tiered scheme goes back
//! to Bigtable/Cassandra and is analysed as "tiering" by Luo & Carey, "LSM
//! based storage techniques: a survey", VLDB Journal 2020).
//!
//! Every sorted run is one file in level 0; nothing ever goes deeper. When
//! there are at least `run_trigger` runs, the first rule that fires wins:
//!
//! 1. Space amplification: if the bytes of all runs but the oldest are at
//!    least `max_space_amp_percent` % of the oldest run's bytes, merge all
//!    runs into one.
//! 2. Size ratio: starting at the newest run, add the next older run while
//!    it is no larger than the accumulated bytes × (100 +
//!    `size_ratio_percent`) / 100, up to `max_merge_width` runs; merge them
//!    if there are at least `min_merge_width`.
//! 3. Run count: merge the newest `runs − run_trigger + 1` runs (capped by
//!    `max_merge_width`) if that is at least `min_merge_width`.
//!
//! Unlike RocksDB, rule 2 only ever starts at the newest run: level-0 files
//! are read newest first by file number, so a merge staying in level 0 must
//! take a prefix of the newest runs (see `runs`).

use super::runs::{merge_newest_into_level0, newest_first, run_bytes};
use super::{CompactionPolicy, CompactionTask, TaskReason, TreeShape};
use crate::version::FileEntry;
use std::sync::Arc;

/// Parameters of [`TieredPolicy`] (RocksDB's
/// `CompactionOptionsUniversal` names in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TieredParams {
    /// A run joins a size-ratio merge if it is at most this percent larger
    /// than the runs already chosen (`size_ratio`). Default 1.
    pub size_ratio_percent: u64,
    /// Merge everything when the newer runs reach this percent of the
    /// oldest run (`max_size_amplification_percent`). Default 200.
    pub max_space_amp_percent: u64,
    /// Fewest runs a size-ratio or run-count merge takes (`min_merge_width`).
    /// Default 2; at least 2.
    pub min_merge_width: usize,
    /// Most runs a size-ratio or run-count merge takes (`max_merge_width`).
    /// Default `usize::MAX` (unlimited).
    pub max_merge_width: usize,
    /// Runs at which compaction starts
    /// (`level0_file_num_compaction_trigger`). Default 4; at least 2.
    pub run_trigger: usize,
}

impl TieredParams {
    /// RocksDB's defaults.
    pub const DEFAULT: TieredParams = TieredParams {
        size_ratio_percent: 1,
        max_space_amp_percent: 200,
        min_merge_width: 2,
        max_merge_width: usize::MAX,
        run_trigger: 4,
    };
}

impl Default for TieredParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The size-tiered (universal) policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct TieredPolicy {
    /// Its parameters.
    pub params: TieredParams,
}

impl TieredPolicy {
    /// How many of the newest runs rule 1, 2 or 3 merges, or `None`.
    /// There are `n` runs; `bytes(i)` is the size of the `i`-th newest.
    fn choose(&self, n: usize, bytes: impl Fn(usize) -> u64) -> Option<usize> {
        let p = &self.params;
        if n < p.run_trigger.max(2) {
            return None;
        }
        let bytes = |i| u128::from(bytes(i));
        let min_width = p.min_merge_width.max(2);
        let max_width = p.max_merge_width.max(min_width);
        // Rule 1: space amplification, all runs.
        let oldest = bytes(n - 1);
        let newer: u128 = (0..n - 1).map(bytes).sum();
        if newer * 100 >= oldest * p.max_space_amp_percent as u128 {
            return Some(n);
        }
        // Rule 2: size ratio from the newest run.
        let mut accumulated = bytes(0);
        let mut count = 1;
        while count < n && count < max_width {
            let next = bytes(count);
            if accumulated * (100 + p.size_ratio_percent as u128) < next * 100 {
                break;
            }
            accumulated += next;
            count += 1;
        }
        if count >= min_width {
            return Some(count);
        }
        // Rule 3: bring the run count back under the trigger.
        let reduce = (n + 1 - p.run_trigger.max(2)).min(max_width);
        (reduce >= min_width).then_some(reduce)
    }

    /// [`TieredPolicy::choose`] over the runs of a list newest first.
    fn choose_newest(&self, newest: &[Arc<FileEntry>]) -> Option<usize> {
        self.choose(newest.len(), |i| run_bytes(&newest[i]))
    }
}

impl CompactionPolicy for TieredPolicy {
    fn name(&self) -> &'static str {
        "tiered"
    }

    fn pick(&self, shape: &TreeShape<'_>) -> Option<CompactionTask> {
        let newest = newest_first(shape.version);
        let count = self.choose_newest(&newest)?;
        Some(merge_newest_into_level0(&newest, count, TaskReason::Size))
    }

    /// At level 0, merges every run into one (dropping what no reader can
    /// see); deeper levels are always empty.
    fn pick_manual(
        &self,
        shape: &TreeShape<'_>,
        level: usize,
        _begin: Option<&[u8]>,
        _end: Option<&[u8]>,
    ) -> Option<CompactionTask> {
        let newest = newest_first(shape.version);
        if level != 0 || newest.is_empty() {
            return None;
        }
        Some(merge_newest_into_level0(
            &newest,
            newest.len(),
            TaskReason::Manual,
        ))
    }

    /// Every flush is a new run in level 0.
    fn flush_level(&self, _shape: &TreeShape<'_>, _smallest: &[u8], _largest: &[u8]) -> usize {
        0
    }

    /// The bytes of the runs the next merge takes (the merge rule 1, 2 or
    /// 3 would start now), 0 below the trigger. Counted without
    /// allocating: it is sampled while a benchmark runs.
    fn pending_compaction_bytes(&self, shape: &TreeShape<'_>) -> u64 {
        let runs = &shape.version.files[0];
        let n = runs.len();
        let newest = |i: usize| run_bytes(&runs[n - 1 - i]);
        self.choose(n, newest)
            .map_or(0, |count| (0..count).map(newest).sum())
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
        let ratio = newest.len() as f64 / self.params.run_trigger.max(2) as f64;
        if self.choose_newest(&newest).is_some() {
            ratio.max(1.0)
        } else {
            ratio.min(0.99)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::test_shapes::{level0, numbers, shape};
    use crate::compaction::TaskKind;

    fn policy() -> TieredPolicy {
        TieredPolicy::default()
    }

    #[test]
    fn below_the_trigger_nothing_happens() {
        let v = level0(&[100, 100, 100]);
        assert!(policy().pick(&shape(&v)).is_none());
        assert!(policy().score(&shape(&v)) < 1.0);
    }

    #[test]
    fn equal_runs_merge_by_size_ratio_from_the_newest() {
        // Oldest first: one big run, then four equal small ones.
        let v = level0(&[10_000, 100, 100, 100, 100]);
        let task = policy().pick(&shape(&v)).expect("size ratio");
        assert_eq!(task.kind, TaskKind::Merge);
        assert_eq!(task.output_level, 0);
        assert_eq!(task.max_output_file_bytes, u64::MAX);
        // The four newest runs (files 2..=5), not the old big one.
        assert_eq!(numbers(&task), vec![2, 3, 4, 5]);
        assert!(policy().score(&shape(&v)) >= 1.0);
    }

    #[test]
    fn space_amplification_merges_everything() {
        // Newer runs 300 >= 200 % of the oldest 100.
        let v = level0(&[100, 100, 100, 100]);
        let task = policy().pick(&shape(&v)).expect("space amp");
        assert_eq!(numbers(&task), vec![1, 2, 3, 4]);
        let strict = TieredPolicy {
            params: TieredParams {
                max_space_amp_percent: 1000,
                ..TieredParams::DEFAULT
            },
        };
        // Without rule 1 the size ratio still takes all four equal runs.
        assert_eq!(
            numbers(&strict.pick(&shape(&v)).expect("ratio")),
            vec![1, 2, 3, 4]
        );
    }

    #[test]
    fn size_ratio_stops_at_a_much_larger_run() {
        // Newest first: 10, 10, 1000, 100000 — 10+10 = 20 < 1000.
        let v = level0(&[100_000, 1000, 10, 10]);
        let task = policy().pick(&shape(&v)).expect("ratio");
        assert_eq!(numbers(&task), vec![3, 4]);
    }

    #[test]
    fn merge_width_limits_apply() {
        let v = level0(&[100_000, 10, 10, 10, 10, 10]);
        let narrow = TieredPolicy {
            params: TieredParams {
                max_merge_width: 3,
                ..TieredParams::DEFAULT
            },
        };
        assert_eq!(
            numbers(&narrow.pick(&shape(&v)).expect("task")),
            vec![4, 5, 6]
        );
        let wide = TieredPolicy {
            params: TieredParams {
                min_merge_width: 6,
                run_trigger: 6,
                ..TieredParams::DEFAULT
            },
        };
        // Five small runs < min width 6 and rule 3 takes only 1: nothing.
        assert!(wide.pick(&shape(&v)).is_none());
    }

    #[test]
    fn run_count_rule_takes_the_newest_runs() {
        // Strictly growing runs defeat the size ratio; 6 runs, trigger 4:
        // merge the newest 6 - 4 + 1 = 3.
        let v = level0(&[1_000_000, 100_000, 10_000, 1000, 100, 10]);
        let task = policy().pick(&shape(&v)).expect("run count");
        assert_eq!(numbers(&task), vec![4, 5, 6]);
    }

    #[test]
    fn pending_bytes_are_the_runs_of_the_next_merge() {
        let p = policy();
        // Below the trigger: nothing waits.
        assert_eq!(
            p.pending_compaction_bytes(&shape(&level0(&[100, 100, 100]))),
            0
        );
        // Size ratio takes the four newest runs of 100 (not the big one).
        let v = level0(&[10_000, 100, 100, 100, 100]);
        assert_eq!(p.pending_compaction_bytes(&shape(&v)), 400);
        // Space amplification takes everything.
        let v = level0(&[100, 100, 100, 100]);
        assert_eq!(p.pending_compaction_bytes(&shape(&v)), 400);
        // Run count: the newest three of six growing runs.
        let v = level0(&[1_000_000, 100_000, 10_000, 1000, 100, 10]);
        assert_eq!(p.pending_compaction_bytes(&shape(&v)), 1110);
        // It agrees with what pick would merge.
        let task = p.pick(&shape(&v)).expect("run count");
        assert_eq!(task.input_bytes(), p.pending_compaction_bytes(&shape(&v)));
    }

    #[test]
    fn manual_merges_all_runs_and_flushes_stay_in_level0() {
        let v = level0(&[5, 7]);
        let task = policy()
            .pick_manual(&shape(&v), 0, None, None)
            .expect("manual");
        assert_eq!(task.reason, TaskReason::Manual);
        assert_eq!(numbers(&task), vec![1, 2]);
        assert!(policy().pick_manual(&shape(&v), 1, None, None).is_none());
        assert_eq!(policy().flush_level(&shape(&v), b"a", b"z"), 0);
        assert!(policy().l0_stop_trigger() > policy().l0_slowdown_trigger());
    }
}
