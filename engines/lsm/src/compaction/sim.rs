//! A compaction simulator: runs a pure policy over a synthetic stream of
//! memtable flushes, with no disk, and measures the amplification the
//! policy's tasks would cause (after mini-lsm's compaction simulator).
//!
//! # The data model
//! Users write `flush_bytes / entry_bytes` entries of `entry_bytes` each
//! between flushes, to keys drawn uniformly from `key_space` keys. A file
//! is described by its key range `[lo, hi]` and its bytes, and is assumed
//! to hold a uniform random subset of its range with density
//! `d = bytes / ((hi − lo + 1) × entry_bytes)`.
//! - A flush of `n` writes holds `K (1 − (1 − 1/K)^n)` distinct keys (the
//!   expected number of distinct keys among `n` uniform draws), over the
//!   whole key space.
//! - A merge splits the inputs' key ranges at every file boundary; on each
//!   piece the output density is `1 − Π (1 − dᵢ)` over the inputs covering
//!   it (independent subsets: a key is present unless every input lacks
//!   it), so duplicates across inputs are dropped. The output is cut into
//!   files of the task's `max_output_file_bytes` (the grandparent-overlap
//!   cut is not modelled). A trivial move rewrites nothing.
//! - Live bytes are the distinct keys written so far × `entry_bytes`.
//! - Deletions and snapshots are not modelled.
//!
//! # The measures
//! - Write amplification: bytes written by flushes and compactions / bytes
//!   the user wrote.
//! - Space amplification: bytes of all files / live bytes.
//! - Read amplification: sorted runs a point lookup may probe: level-0
//!   files plus non-empty deeper levels.

use super::{CompactionPolicy, CompactionTask, TaskKind, TreeShape};
use crate::format::internal_key::{InternalKey, ValueType};
use crate::version::edit::{FileMetaData, NUM_LEVELS};
use crate::version::{FileEntry, Version};
use std::sync::Arc;
use strata_api::{Error, Result};

/// Tasks a policy may run after one flush before the simulator calls it
/// stuck (a policy that never settles would loop forever).
pub const MAX_TASKS_PER_FLUSH: usize = 10_000;

/// What to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    /// Memtable flushes to simulate.
    pub flushes: u64,
    /// Bytes the user writes between flushes (the write buffer).
    pub flush_bytes: u64,
    /// Bytes of one entry (key, value and overhead).
    pub entry_bytes: u64,
    /// Distinct keys writes are drawn from, uniformly.
    pub key_space: u64,
    /// `DbOptions::max_file_size` the policies see.
    pub max_file_size: u64,
    /// `DbOptions::max_bytes_for_level_base` the policies see.
    pub level_base_bytes: u64,
    /// A sample is taken every this many flushes (and after the last).
    pub sample_every: u64,
}

impl Default for SimConfig {
    /// 1000 flushes of 4 MiB, 128-byte entries over 4 M keys (so each key
    /// is written about 8 times), LevelDB's 2 MiB files and 10 MiB level 1.
    fn default() -> Self {
        SimConfig {
            flushes: 1000,
            flush_bytes: 4 << 20,
            entry_bytes: 128,
            key_space: 4_000_000,
            max_file_size: 2 << 20,
            level_base_bytes: 10 << 20,
            sample_every: 10,
        }
    }
}

impl SimConfig {
    /// Checks that every field is usable.
    ///
    /// # Errors
    /// `InvalidArgument` naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str| Err(Error::InvalidArgument(what.to_string()));
        if self.flushes == 0 {
            return bad("flushes must be at least 1");
        }
        if self.entry_bytes == 0 {
            return bad("entry bytes must be at least 1");
        }
        if self.flush_bytes < self.entry_bytes {
            return bad("flush bytes must hold at least one entry");
        }
        if self.key_space == 0 {
            return bad("key space must be at least 1 key");
        }
        if self.max_file_size == 0 || self.level_base_bytes == 0 {
            return bad("file size and level base must be positive");
        }
        if self.sample_every == 0 {
            return bad("sample interval must be at least 1 flush");
        }
        Ok(())
    }
}

/// The tree and the counters after some flush.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimSample {
    /// Flushes so far.
    pub flush: u64,
    /// Bytes the user wrote so far.
    pub user_bytes: u64,
    /// Bytes flushes and compactions wrote so far.
    pub written_bytes: u64,
    /// Bytes of every file in the tree.
    pub total_bytes: u64,
    /// Bytes of the distinct keys written so far.
    pub live_bytes: u64,
    /// Files in level 0.
    pub l0_files: usize,
    /// Levels below 0 that hold files.
    pub deeper_levels: usize,
    /// Tasks run so far (merges and moves).
    pub compactions: u64,
}

impl SimSample {
    /// Bytes written / user bytes.
    pub fn write_amp(&self) -> f64 {
        self.written_bytes as f64 / self.user_bytes.max(1) as f64
    }

    /// Tree bytes / live bytes.
    pub fn space_amp(&self) -> f64 {
        self.total_bytes as f64 / self.live_bytes.max(1) as f64
    }

    /// Sorted runs a point lookup may probe.
    pub fn read_amp(&self) -> usize {
        self.l0_files + self.deeper_levels
    }
}

/// The simulated tree.
struct Tree {
    version: Version,
    compact_pointers: Vec<Vec<u8>>,
    next_number: u64,
    config: SimConfig,
}

fn key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

fn key_id(user_key: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = user_key.len().min(8);
    b[..n].copy_from_slice(&user_key[..n]);
    u64::from_be_bytes(b)
}

/// `[lo, hi]` and density of a file.
fn extent(f: &FileEntry, entry_bytes: u64) -> (u64, u64, f64) {
    let lo = key_id(f.smallest_user_key());
    let hi = key_id(f.largest_user_key());
    let keys = (hi - lo + 1) as f64;
    let density = f.meta.file_size_bytes as f64 / (keys * entry_bytes as f64);
    (lo, hi, density.min(1.0))
}

/// Merges `inputs` (`lo`, `hi`, density) into output files `(lo, hi,
/// bytes)` of at most about `max_file_bytes` each.
fn merge_extents(
    inputs: &[(u64, u64, f64)],
    entry_bytes: u64,
    max_file_bytes: u64,
) -> Vec<(u64, u64, u64)> {
    let mut bounds: Vec<u64> = inputs
        .iter()
        .flat_map(|&(lo, hi, _)| [lo, hi.saturating_add(1)])
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let max_bytes = max_file_bytes as f64;
    let mut out = Vec::new();
    // (lo, last key, bytes) of the file being cut.
    let mut current: Option<(u64, u64, f64)> = None;
    for pair in bounds.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let absent: f64 = inputs
            .iter()
            .filter(|&&(lo, hi, _)| lo <= a && b - 1 <= hi)
            .map(|&(_, _, d)| 1.0 - d)
            .product();
        let per_key = (1.0 - absent) * entry_bytes as f64;
        if per_key <= 0.0 {
            continue;
        }
        let mut start = a;
        while start < b {
            let file = current.get_or_insert((start, start, 0.0));
            let room_keys = ((max_bytes - file.2) / per_key).ceil().max(1.0);
            let end = if room_keys >= (b - start) as f64 {
                b
            } else {
                start + room_keys as u64
            };
            file.1 = end - 1;
            file.2 += (end - start) as f64 * per_key;
            if file.2 >= max_bytes {
                out.push((file.0, file.1, file.2.round() as u64));
                current = None;
            }
            start = end;
        }
    }
    if let Some(file) = current {
        out.push((file.0, file.1, file.2.round() as u64));
    }
    out.retain(|f| f.2 > 0);
    out
}

impl Tree {
    fn new(config: SimConfig) -> Self {
        Tree {
            version: Version::empty(),
            compact_pointers: vec![Vec::new(); NUM_LEVELS],
            next_number: 1,
            config,
        }
    }

    fn shape(&self) -> TreeShape<'_> {
        TreeShape {
            version: &self.version,
            compact_pointers: &self.compact_pointers,
            seek_candidate: None,
            max_file_size: self.config.max_file_size,
            level_base_bytes: self.config.level_base_bytes,
        }
    }

    fn new_file(&mut self, lo: u64, hi: u64, bytes: u64) -> FileMetaData {
        let number = self.next_number;
        self.next_number += 1;
        FileMetaData {
            number,
            file_size_bytes: bytes,
            smallest: InternalKey::new(&key(lo), number, ValueType::Value),
            largest: InternalKey::new(&key(hi), number, ValueType::Value),
        }
    }

    /// Replaces the files numbered in `removed` by `added`, keeping each
    /// level in its order.
    fn install(&mut self, removed: &[u64], added: Vec<(usize, FileMetaData)>) -> Result<()> {
        let mut files = self.version.files.clone();
        for level in &mut files {
            level.retain(|f| !removed.contains(&f.meta.number));
        }
        for (level, meta) in added {
            files[level].push(Arc::new(FileEntry::new(meta)));
        }
        files[0].sort_by_key(|f| f.meta.number);
        for (level, level_files) in files.iter_mut().enumerate().skip(1) {
            level_files.sort_by_key(|f| key_id(f.smallest_user_key()));
            for pair in level_files.windows(2) {
                if pair[0].largest_user_key() >= pair[1].smallest_user_key() {
                    return Err(Error::corruption(
                        "simulated tree",
                        level as u64,
                        format!(
                            "files {} and {} overlap at level {level}",
                            pair[0].meta.number, pair[1].meta.number
                        ),
                    ));
                }
            }
        }
        self.version = Version { files };
        Ok(())
    }

    /// Flushes `writes` uniform writes; returns the bytes written.
    fn flush(&mut self, policy: &dyn CompactionPolicy, writes: u64) -> Result<u64> {
        let k = self.config.key_space as f64;
        let distinct = k * -((writes as f64) * (-1.0 / k).ln_1p()).exp_m1();
        let bytes = (distinct * self.config.entry_bytes as f64).round() as u64;
        let hi = self.config.key_space - 1;
        let level = policy.flush_level(&self.shape(), &key(0), &key(hi));
        let meta = self.new_file(0, hi, bytes);
        self.install(&[], vec![(level.min(NUM_LEVELS - 1), meta)])?;
        Ok(bytes)
    }

    /// Applies `task`; returns the bytes written.
    fn apply(&mut self, task: &CompactionTask) -> Result<u64> {
        let removed: Vec<u64> = task
            .inputs
            .iter()
            .flat_map(|l| l.files.iter().map(|f| f.meta.number))
            .collect();
        if let Some(pointer) = &task.compact_pointer {
            if let Some(slot) = self.compact_pointers.get_mut(task.level) {
                slot.clone_from(pointer);
            }
        }
        let (added, written) = match task.kind {
            TaskKind::Drop => (Vec::new(), 0),
            TaskKind::TrivialMove => {
                let moved = task
                    .inputs
                    .iter()
                    .flat_map(|l| l.files.iter())
                    .map(|f| (task.output_level, f.meta.clone()))
                    .collect();
                (moved, 0)
            }
            TaskKind::Merge => {
                let extents: Vec<(u64, u64, f64)> = task
                    .inputs
                    .iter()
                    .flat_map(|l| l.files.iter())
                    .map(|f| extent(f, self.config.entry_bytes))
                    .collect();
                let outputs = merge_extents(
                    &extents,
                    self.config.entry_bytes,
                    task.max_output_file_bytes,
                );
                let written = outputs.iter().map(|o| o.2).sum();
                let metas = outputs
                    .into_iter()
                    .map(|(lo, hi, bytes)| (task.output_level, self.new_file(lo, hi, bytes)))
                    .collect();
                (metas, written)
            }
        };
        self.install(&removed, added)?;
        Ok(written)
    }
}

/// Runs `policy` over `config`'s flushes; returns a sample every
/// `sample_every` flushes and after the last.
///
/// # Errors
/// `InvalidArgument` for a bad config; `Corruption` if the policy's tasks
/// make files overlap at a level >= 1 or it runs more than
/// [`MAX_TASKS_PER_FLUSH`] tasks after one flush.
pub fn simulate(policy: &dyn CompactionPolicy, config: &SimConfig) -> Result<Vec<SimSample>> {
    config.validate()?;
    let mut tree = Tree::new(*config);
    let writes_per_flush = config.flush_bytes / config.entry_bytes;
    let user_per_flush = writes_per_flush * config.entry_bytes;
    let k = config.key_space as f64;
    let mut samples = Vec::new();
    let mut written = 0u64;
    let mut compactions = 0u64;
    for flush in 1..=config.flushes {
        written += tree.flush(policy, writes_per_flush)?;
        let mut tasks = 0;
        while let Some(task) = policy.pick(&tree.shape()) {
            tasks += 1;
            if tasks > MAX_TASKS_PER_FLUSH {
                return Err(Error::corruption(
                    "simulated tree",
                    flush,
                    format!(
                        "policy {} ran {MAX_TASKS_PER_FLUSH} tasks after one flush without settling",
                        policy.name()
                    ),
                ));
            }
            written += tree.apply(&task)?;
            compactions += 1;
        }
        if flush % config.sample_every == 0 || flush == config.flushes {
            let writes = (flush * writes_per_flush) as f64;
            let distinct = k * -(writes * (-1.0 / k).ln_1p()).exp_m1();
            let version = &tree.version;
            samples.push(SimSample {
                flush,
                user_bytes: flush * user_per_flush,
                written_bytes: written,
                total_bytes: version.total_bytes(),
                live_bytes: (distinct * config.entry_bytes as f64).round() as u64,
                l0_files: version.num_files(0),
                deeper_levels: (1..NUM_LEVELS)
                    .filter(|&l| version.num_files(l) > 0)
                    .count(),
                compactions,
            });
        }
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::CompactionKind;

    fn small() -> SimConfig {
        SimConfig {
            flushes: 200,
            flush_bytes: 64 << 10,
            entry_bytes: 100,
            key_space: 20_000,
            max_file_size: 32 << 10,
            level_base_bytes: 256 << 10,
            sample_every: 50,
        }
    }

    #[test]
    fn merging_drops_duplicates_by_the_density_model() {
        // Two half-full files over the same 100 keys: 1 - 0.5² = 75 % full.
        let out = merge_extents(&[(0, 99, 0.5), (0, 99, 0.5)], 10, u64::MAX);
        assert_eq!(out, vec![(0, 99, 750)]);
        // Disjoint ranges keep their bytes and are cut by size.
        let out = merge_extents(&[(0, 9, 1.0), (10, 19, 1.0)], 10, 100);
        assert_eq!(out, vec![(0, 9, 100), (10, 19, 100)]);
        // A gap holds nothing.
        let out = merge_extents(&[(0, 4, 1.0), (10, 14, 1.0)], 1, u64::MAX);
        assert_eq!(out, vec![(0, 14, 10)]);
    }

    #[test]
    fn every_policy_settles_and_reports_sane_amplification() {
        for &kind in CompactionKind::ALL {
            let samples = simulate(kind.create().as_ref(), &small()).expect("simulate");
            assert_eq!(samples.len(), 4, "{}", kind.name());
            let last = samples.last().expect("sample");
            assert_eq!(last.flush, 200);
            assert!(last.compactions > 0, "{}", kind.name());
            // Flushes alone write about the user bytes: at least ~1x.
            assert!(last.write_amp() > 0.9, "{} {last:?}", kind.name());
            assert!(last.space_amp() >= 0.99, "{} {last:?}", kind.name());
            assert!(last.read_amp() >= 1, "{} {last:?}", kind.name());
        }
    }

    #[test]
    fn policies_trade_write_for_read_amplification() {
        let run = |kind: CompactionKind| {
            *simulate(kind.create().as_ref(), &small())
                .expect("simulate")
                .last()
                .expect("sample")
        };
        let leveled = run(CompactionKind::Leveled);
        let tiered = run(CompactionKind::ALL[1]);
        assert!(
            tiered.write_amp() < leveled.write_amp(),
            "tiered {tiered:?} leveled {leveled:?}"
        );
        assert_eq!(tiered.deeper_levels, 0);
        assert!(leveled.deeper_levels >= 2, "{leveled:?}");
    }

    #[test]
    fn bad_configs_are_rejected() {
        let policy = CompactionKind::Leveled.create();
        for bad in [
            SimConfig {
                flushes: 0,
                ..small()
            },
            SimConfig {
                key_space: 0,
                ..small()
            },
            SimConfig {
                flush_bytes: 10,
                ..small()
            },
        ] {
            assert!(matches!(
                simulate(policy.as_ref(), &bad),
                Err(Error::InvalidArgument(_))
            ));
        }
    }
}
