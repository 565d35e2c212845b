//! Compaction: pure policies that choose what to compact from the tree's
//! shape, and one executor that does the I/O for every policy.
//!
//! A policy never touches disk: [`CompactionPolicy::pick`] looks at a
//! [`TreeShape`] and returns a [`CompactionTask`] (a trivial move, a merge,
//! or a drop) or nothing. [`executor`] merges the task's inputs, discards
//! what no reader can see, and writes the output tables.

pub mod executor;
#[cfg(test)]
mod executor_tests;
pub mod lazy_leveled;
pub mod leveled;
mod runs;
pub mod sim;
pub mod subcompact;
#[cfg(test)]
mod test_shapes;
pub mod tiered;

use crate::version::{FileEntry, Version};
use std::sync::Arc;

/// What a task does with its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// Move the single input file to the output level without rewriting it.
    TrivialMove,
    /// Merge the inputs into new files at the output level.
    Merge,
    /// Delete the inputs outright (for policies that expire data).
    Drop,
}

/// Why a task was chosen (reported in stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskReason {
    /// A level (or run count) exceeded its size target.
    Size,
    /// A file ran out of its seek budget.
    Seek,
    /// `compact_range` asked for it.
    Manual,
}

/// Input files of one level.
#[derive(Debug, Clone)]
pub struct LevelInputs {
    /// The level the files live at.
    pub level: usize,
    /// The files, in the level's order.
    pub files: Vec<Arc<FileEntry>>,
}

/// One unit of compaction work chosen by a policy.
#[derive(Debug, Clone)]
pub struct CompactionTask {
    /// Move, merge or drop.
    pub kind: TaskKind,
    /// Why it was chosen.
    pub reason: TaskReason,
    /// The level whose shape triggered the task (for stats and pointers).
    pub level: usize,
    /// Inputs, newest data first (lower levels before higher ones).
    pub inputs: Vec<LevelInputs>,
    /// Where the output files go.
    pub output_level: usize,
    /// Files at the level after the output level that overlap the task's
    /// range: an output file is cut early when it would overlap too many
    /// bytes of them (LevelDB's grandparent limit).
    pub grandparents: Vec<Arc<FileEntry>>,
    /// Target size of each output file, bytes.
    pub max_output_file_bytes: u64,
    /// Grandparent bytes one output file may overlap, bytes.
    pub max_grandparent_overlap_bytes: u64,
    /// New compact pointer for `level` (largest internal key compacted).
    pub compact_pointer: Option<Vec<u8>>,
}

impl CompactionTask {
    /// Total bytes of all input files.
    pub fn input_bytes(&self) -> u64 {
        self.inputs
            .iter()
            .flat_map(|l| l.files.iter())
            .map(|f| f.meta.file_size_bytes)
            .sum()
    }

    /// Number of input files.
    pub fn input_files(&self) -> usize {
        self.inputs.iter().map(|l| l.files.len()).sum()
    }
}

/// What a policy sees: the current version plus the state LevelDB keeps
/// beside it.
pub struct TreeShape<'a> {
    /// The files of every level.
    pub version: &'a Version,
    /// Per level, the largest internal key of the last compaction there
    /// (empty if none).
    pub compact_pointers: &'a [Vec<u8>],
    /// A file that ran out of seeks, if any, with its level.
    pub seek_candidate: Option<(usize, Arc<FileEntry>)>,
    /// `DbOptions::max_file_size`.
    pub max_file_size: u64,
    /// `DbOptions::max_bytes_for_level_base`: the size target of level 1.
    pub level_base_bytes: u64,
}

/// A compaction policy: a name and pure choices over the tree's shape.
pub trait CompactionPolicy: Send + Sync {
    /// The name used in specs (`compaction=NAME`).
    fn name(&self) -> &'static str;

    /// The most urgent task, or `None` if the tree needs no work.
    fn pick(&self, shape: &TreeShape<'_>) -> Option<CompactionTask>;

    /// A task compacting user keys `[begin, end]` of `level` (for
    /// `compact_range`), or `None` if the level has no file there.
    fn pick_manual(
        &self,
        shape: &TreeShape<'_>,
        level: usize,
        begin: Option<&[u8]>,
        end: Option<&[u8]>,
    ) -> Option<CompactionTask>;

    /// The level a flushed memtable covering `[smallest, largest]` (user
    /// keys) goes to.
    fn flush_level(&self, shape: &TreeShape<'_>, smallest: &[u8], largest: &[u8]) -> usize;

    /// Bytes compactions must still rewrite to bring the tree within the
    /// policy's targets (RocksDB's `estimate-pending-compaction-bytes`);
    /// each policy documents its estimate. Pure and cheap: no allocation,
    /// it is sampled every second while a benchmark runs.
    fn pending_compaction_bytes(&self, shape: &TreeShape<'_>) -> u64;

    /// Level-0 file count at which each write is delayed by 1 ms.
    fn l0_slowdown_trigger(&self) -> usize {
        8
    }

    /// Level-0 file count at which writes stop until compaction catches up.
    fn l0_stop_trigger(&self) -> usize {
        12
    }

    /// A score >= 1 means the tree wants compaction (for stats and tests).
    fn score(&self, shape: &TreeShape<'_>) -> f64;
}

/// The compaction policies strata has, each with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompactionKind {
    /// LevelDB 1.23's leveled compaction ([`leveled`]).
    Leveled,
    /// Size-tiered compaction, RocksDB universal style ([`tiered`]).
    Tiered(tiered::TieredParams),
    /// Dostoevsky's lazy leveling ([`lazy_leveled`]).
    LazyLeveled(lazy_leveled::LazyLeveledParams),
}

impl CompactionKind {
    /// Every policy, with default parameters.
    pub const ALL: &'static [CompactionKind] = &[
        CompactionKind::Leveled,
        CompactionKind::Tiered(tiered::TieredParams::DEFAULT),
        CompactionKind::LazyLeveled(lazy_leveled::LazyLeveledParams::DEFAULT),
    ];

    /// The spec name.
    pub const fn name(self) -> &'static str {
        match self {
            CompactionKind::Leveled => "leveled",
            CompactionKind::Tiered(_) => "tiered",
            CompactionKind::LazyLeveled(_) => "lazy_leveled",
        }
    }

    /// Parses a spec name; the policy gets its default parameters.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// A new policy of this kind.
    pub fn create(self) -> Box<dyn CompactionPolicy> {
        match self {
            CompactionKind::Leveled => Box::new(leveled::LeveledPolicy),
            CompactionKind::Tiered(params) => Box::new(tiered::TieredPolicy { params }),
            CompactionKind::LazyLeveled(params) => {
                Box::new(lazy_leveled::LazyLeveledPolicy { params })
            }
        }
    }

    /// True if the policy keeps its sorted runs in level 0 and never fills
    /// level 2 (the model test checks merges instead of depth for these).
    pub fn keeps_runs_in_level0(self) -> bool {
        !matches!(self, CompactionKind::Leveled)
    }
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn names_round_trip_and_create_matching_policies() {
        for &kind in CompactionKind::ALL {
            assert_eq!(CompactionKind::parse(kind.name()), Some(kind));
            assert_eq!(kind.create().name(), kind.name());
        }
        assert_eq!(CompactionKind::parse("universal"), None);
    }
}
