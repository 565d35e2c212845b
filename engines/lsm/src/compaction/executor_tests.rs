//! Executor tests for tasks that write into level 0 (tiered policies):
//! a deletion marker survives while an older level-0 run outside the task
//! may hold its key, and no memtable flush interleaves with such a task;
//! for merges split into subcompactions: the same entries as one merge;
//! and for partitioned outputs: no table holds two key prefixes.

use super::executor::{flush_memtable, run_task, ExecContext};
use super::runs::merge_newest_into_level0;
use super::subcompact::split_points;
use super::{CompactionTask, LevelInputs, TaskKind, TaskReason};
use crate::format::filename::table_file_name;
use crate::format::internal_key::{parse_internal_key, ValueType};
use crate::memtable::MemTableKind;
use crate::table_cache::TableCache;
use crate::version::edit::FileMetaData;
use crate::version::{FileEntry, Version};
use crate::DbOptions;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use strata_api::{Env, MemEnv};

type Entry<'a> = (u64, ValueType, &'a str, &'a str);

struct Fixture {
    env: Arc<dyn Env>,
    cache: Arc<TableCache>,
    next_number: AtomicU64,
    flushes_requested: AtomicUsize,
    subcompactions: usize,
    partition_prefix_bytes: usize,
    shutting_down: AtomicBool,
    copy_stored_blocks: bool,
    stored_blocks_copied: AtomicU64,
}

impl Fixture {
    fn new() -> Self {
        Fixture::with_bloom(None)
    }

    /// Tables with a bloom filter of `bloom_bits_per_key`, if any.
    fn with_bloom(bloom_bits_per_key: Option<u32>) -> Self {
        let env: Arc<dyn Env> = Arc::new(MemEnv::new());
        let options = DbOptions {
            env: Arc::clone(&env),
            bloom_bits_per_key,
            ..DbOptions::default()
        };
        Fixture {
            cache: Arc::new(TableCache::new(Path::new("/db"), &options, None)),
            env,
            next_number: AtomicU64::new(1),
            flushes_requested: AtomicUsize::new(0),
            subcompactions: 1,
            partition_prefix_bytes: 0,
            shutting_down: AtomicBool::new(false),
            copy_stored_blocks: true,
            stored_blocks_copied: AtomicU64::new(0),
        }
    }

    fn with_ctx<R>(&self, version: &Version, f: impl FnOnce(&ExecContext<'_>) -> R) -> R {
        let number = || self.next_number.fetch_add(1, Ordering::Relaxed);
        let between = || {
            self.flushes_requested.fetch_add(1, Ordering::Relaxed);
        };
        let ctx = ExecContext {
            env: &self.env,
            dir: Path::new("/db"),
            table_cache: &self.cache,
            table_options: self.cache.table_options(),
            version,
            smallest_snapshot: u64::MAX >> 8,
            new_file_number: &number,
            paranoid_checks: true,
            shutting_down: &self.shutting_down,
            between_entries: &between,
            subcompactions: self.subcompactions,
            partition_prefix_bytes: self.partition_prefix_bytes,
            copy_stored_blocks: self.copy_stored_blocks,
            stored_blocks_copied: &self.stored_blocks_copied,
        };
        f(&ctx)
    }

    fn table(&self, entries: &[Entry<'_>]) -> Arc<FileEntry> {
        let mem = MemTableKind::SkipList.create();
        for &(seq, t, k, v) in entries {
            mem.add(seq, t, k.as_bytes(), v.as_bytes());
        }
        let empty = Version::empty();
        let mut outputs: Vec<FileMetaData> = self
            .with_ctx(&empty, |ctx| flush_memtable(ctx, mem.iter().as_mut()))
            .expect("flush");
        assert_eq!(outputs.len(), 1, "one table without a partition prefix");
        Arc::new(FileEntry::new(outputs.remove(0)))
    }

    fn entries(&self, meta: &FileMetaData) -> Vec<(String, ValueType)> {
        let mut it = self
            .cache
            .iter(meta.number, meta.file_size_bytes, true, false)
            .expect("open output");
        let mut out = Vec::new();
        it.seek_to_first();
        while it.valid() {
            let k = parse_internal_key(it.key()).expect("internal key");
            out.push((
                String::from_utf8_lossy(k.user_key).into_owned(),
                k.value_type,
            ));
            it.next();
        }
        out
    }
}

#[test]
fn level0_merge_keeps_a_deletion_an_older_run_needs() {
    let fx = Fixture::new();
    let oldest = fx.table(&[(1, ValueType::Value, "k", "old")]);
    let middle = fx.table(&[(2, ValueType::Deletion, "k", "")]);
    let newest = fx.table(&[(3, ValueType::Value, "x", "y")]);
    let mut version = Version::empty();
    version.files[0] = vec![oldest, Arc::clone(&middle), Arc::clone(&newest)];
    let task = merge_newest_into_level0(&[newest, middle], 2, TaskReason::Size);
    let outcome = fx
        .with_ctx(&version, |ctx| run_task(ctx, &task))
        .expect("merge");
    assert_eq!(outcome.outputs.len(), 1);
    assert_eq!(
        fx.entries(&outcome.outputs[0]),
        vec![
            ("k".to_string(), ValueType::Deletion),
            ("x".to_string(), ValueType::Value)
        ]
    );
    assert_eq!(
        fx.flushes_requested.load(Ordering::Relaxed),
        0,
        "no flush during a level-0 merge"
    );
}

#[test]
fn merging_every_run_drops_the_deletion_and_deeper_outputs_let_flushes_in() {
    let fx = Fixture::new();
    let older = fx.table(&[(1, ValueType::Value, "k", "old")]);
    let newer = fx.table(&[
        (2, ValueType::Deletion, "k", ""),
        (3, ValueType::Value, "x", "y"),
    ]);
    let mut version = Version::empty();
    version.files[0] = vec![Arc::clone(&older), Arc::clone(&newer)];
    let all = merge_newest_into_level0(
        &[Arc::clone(&newer), Arc::clone(&older)],
        2,
        TaskReason::Size,
    );
    let outcome = fx
        .with_ctx(&version, |ctx| run_task(ctx, &all))
        .expect("merge");
    assert_eq!(
        fx.entries(&outcome.outputs[0]),
        vec![("x".to_string(), ValueType::Value)]
    );
    assert_eq!(fx.flushes_requested.load(Ordering::Relaxed), 0);
    // The same inputs written to level 1 (lazy leveling) may let a flush in.
    let mut down = all.clone();
    down.output_level = 1;
    down.inputs.push(LevelInputs {
        level: 1,
        files: Vec::new(),
    });
    fx.with_ctx(&version, |ctx| run_task(ctx, &down))
        .expect("merge down");
    assert!(fx.flushes_requested.load(Ordering::Relaxed) > 0);
}

/// Every entry (internal key, value) of `outputs`, in key order.
fn all_entries(fx: &Fixture, outputs: &[FileMetaData]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut sorted: Vec<&FileMetaData> = outputs.iter().collect();
    sorted.sort_by(|a, b| a.smallest.encoded().cmp(b.smallest.encoded()));
    let mut out = Vec::new();
    for meta in sorted {
        let mut it = fx
            .cache
            .iter(meta.number, meta.file_size_bytes, true, false)
            .expect("open output");
        it.seek_to_first();
        while it.valid() {
            out.push((it.key().to_vec(), it.value().to_vec()));
            it.next();
        }
    }
    out
}

/// Level-0 tables of overlapping keys (puts, overwrites, deletions) over a
/// level-1 run of disjoint tables, merged into level 1 with 1, 2, 3 and 4
/// subcompactions: the same entries survive, in order, whatever the split.
#[test]
fn subcompactions_keep_exactly_the_entries_of_one_merge() {
    let mut fx = Fixture::new();
    let value = |i: u64, seq: u64| format!("v{seq}-{}", "x".repeat((i % 97) as usize));
    let key = |i: u64| format!("{:08}", (i * 7919) % 5000);
    let mut seq = 1u64;
    let mut level1 = Vec::new();
    for chunk in 0..6u64 {
        // Disjoint, ascending ranges for level 1.
        let keys: Vec<String> = (chunk * 800..(chunk + 1) * 800)
            .step_by(2)
            .map(|i| format!("{i:08}"))
            .collect();
        let values: Vec<String> = (0..keys.len() as u64).map(|i| value(i, 0)).collect();
        let entries: Vec<Entry<'_>> = keys
            .iter()
            .zip(&values)
            .map(|(k, v)| {
                seq += 1;
                (seq, ValueType::Value, k.as_str(), v.as_str())
            })
            .collect();
        level1.push(fx.table(&entries));
    }
    let mut level0 = Vec::new();
    for run in 0..4u64 {
        let mut rows: Vec<(u64, ValueType, String, String)> = (run * 700..run * 700 + 1500)
            .map(|i| {
                seq += 1;
                let t = if i % 11 == 0 {
                    ValueType::Deletion
                } else {
                    ValueType::Value
                };
                (seq, t, key(i), value(i, seq))
            })
            .collect();
        rows.sort_by(|a, b| a.2.cmp(&b.2));
        rows.dedup_by(|a, b| a.2 == b.2);
        let entries: Vec<Entry<'_>> = rows
            .iter()
            .map(|(s, t, k, v)| (*s, *t, k.as_str(), v.as_str()))
            .collect();
        level0.insert(0, fx.table(&entries));
    }
    let mut version = Version::empty();
    version.files[0] = level0.clone();
    version.files[1] = level1.clone();
    let task = CompactionTask {
        kind: TaskKind::Merge,
        reason: TaskReason::Size,
        level: 0,
        inputs: vec![
            LevelInputs {
                level: 0,
                files: level0,
            },
            LevelInputs {
                level: 1,
                files: level1,
            },
        ],
        output_level: 1,
        grandparents: Vec::new(),
        max_output_file_bytes: 16 << 10,
        max_grandparent_overlap_bytes: u64::MAX,
        compact_pointer: None,
    };
    let mut results = Vec::new();
    for ways in 1..=4usize {
        fx.subcompactions = ways;
        let points = split_points(&task, ways);
        assert_eq!(points.len(), ways - 1, "{ways} ways: {points:?}");
        assert!(points.windows(2).all(|w| w[0] < w[1]), "{points:?}");
        let outcome = fx
            .with_ctx(&version, |ctx| run_task(ctx, &task))
            .expect("merge");
        let entries = all_entries(&fx, &outcome.outputs);
        assert!(
            outcome.outputs.len() >= ways,
            "{ways} ways wrote {} files",
            outcome.outputs.len()
        );
        // Output ranges never overlap (a level-1 run).
        let mut ranges: Vec<(&[u8], &[u8])> = outcome
            .outputs
            .iter()
            .map(|m| (m.smallest.user_key(), m.largest.user_key()))
            .collect();
        ranges.sort();
        assert!(ranges.windows(2).all(|w| w[0].1 < w[1].0), "{ranges:?}");
        results.push(entries);
    }
    assert!(results[0].len() > 3000, "{} entries", results[0].len());
    for (ways, entries) in results.iter().enumerate().skip(1) {
        assert_eq!(
            entries.len(),
            results[0].len(),
            "{} ways: entry count",
            ways + 1
        );
        assert!(entries == &results[0], "{} ways: entries differ", ways + 1);
    }
}

/// A merge of level-0 `files` into level 1, cutting outputs at
/// `max_output_file_bytes`.
fn level0_merge(files: Vec<Arc<FileEntry>>, max_output_file_bytes: u64) -> CompactionTask {
    CompactionTask {
        kind: TaskKind::Merge,
        reason: TaskReason::Size,
        level: 0,
        inputs: vec![LevelInputs { level: 0, files }],
        output_level: 1,
        grandparents: Vec::new(),
        max_output_file_bytes,
        max_grandparent_overlap_bytes: u64::MAX,
        compact_pointer: None,
    }
}

#[test]
fn small_and_level0_tasks_are_not_split() {
    let fx = Fixture::new();
    let a = fx.table(&[
        (1, ValueType::Value, "a", "1"),
        (2, ValueType::Value, "m", "2"),
    ]);
    let b = fx.table(&[
        (3, ValueType::Value, "c", "3"),
        (4, ValueType::Value, "z", "4"),
    ]);
    let mut task = level0_merge(vec![a, b], 2 << 20);
    assert!(
        split_points(&task, 2).is_empty(),
        "below two output targets"
    );
    task.max_output_file_bytes = 1;
    assert_eq!(split_points(&task, 2), vec![b"m".to_vec()]);
    assert!(split_points(&task, 1).is_empty(), "one way");
    task.output_level = 0;
    assert!(split_points(&task, 2).is_empty(), "level-0 output");
}

/// The user-key prefixes (first `n` bytes) of each output, and the
/// entries of all outputs in order.
fn prefixes_and_entries(
    fx: &Fixture,
    outputs: &[FileMetaData],
    n: usize,
) -> (Vec<Vec<String>>, Vec<(String, ValueType)>) {
    let mut prefixes = Vec::new();
    let mut all = Vec::new();
    for meta in outputs {
        let entries = fx.entries(meta);
        let mut p: Vec<String> = entries
            .iter()
            .map(|(k, _)| k[..n.min(k.len())].to_string())
            .collect();
        p.dedup();
        prefixes.push(p);
        all.extend(entries);
    }
    (prefixes, all)
}

#[test]
fn a_partitioned_flush_writes_one_table_per_prefix() {
    let mut fx = Fixture::new();
    fx.partition_prefix_bytes = 2;
    let mem = MemTableKind::SkipList.create();
    // Three families and a key shorter than the prefix; two versions of
    // one key at a family's edge stay together.
    let keys = ["d:0001", "d:0002", "i:zz", "i:aa", "l:x", "l:y", "z", "l:y"];
    for (seq, k) in keys.iter().enumerate() {
        mem.add(seq as u64 + 1, ValueType::Value, k.as_bytes(), b"v");
    }
    let empty = Version::empty();
    let outputs = fx
        .with_ctx(&empty, |ctx| flush_memtable(ctx, mem.iter().as_mut()))
        .expect("flush");
    let (prefixes, entries) = prefixes_and_entries(&fx, &outputs, 2);
    assert_eq!(
        prefixes,
        vec![vec!["d:"], vec!["i:"], vec!["l:"], vec!["z"]]
    );
    assert_eq!(entries.len(), keys.len(), "nothing dropped: {entries:?}");
    for meta in &outputs {
        assert_eq!(
            meta.smallest.user_key()[..1],
            meta.largest.user_key()[..1],
            "bounds within one family"
        );
    }

    fx.partition_prefix_bytes = 0;
    let outputs = fx
        .with_ctx(&empty, |ctx| flush_memtable(ctx, mem.iter().as_mut()))
        .expect("flush");
    assert_eq!(outputs.len(), 1, "without a prefix: one table");
}

#[test]
fn a_partitioned_merge_cuts_at_prefixes_and_keeps_every_entry() {
    let mut fx = Fixture::new();
    let value = "x".repeat(100);
    let rows: Vec<(String, u64)> = (0..600u64)
        .map(|i| {
            (
                format!("{}{:05}", ["a:", "b:", "c:"][(i % 3) as usize], i),
                i + 1,
            )
        })
        .collect();
    let mut sorted = rows.clone();
    sorted.sort();
    let (low, high) = sorted.split_at(300);
    let to_entries = |part: &[(String, u64)]| -> Vec<(u64, ValueType, String)> {
        part.iter()
            .map(|(k, s)| (*s, ValueType::Value, k.clone()))
            .collect()
    };
    let low = to_entries(low);
    let high = to_entries(high);
    let table = |fx: &Fixture, rows: &[(u64, ValueType, String)]| {
        let entries: Vec<Entry<'_>> = rows
            .iter()
            .map(|(s, t, k)| (*s, *t, k.as_str(), value.as_str()))
            .collect();
        fx.table(&entries)
    };
    let inputs = vec![table(&fx, &low), table(&fx, &high)];
    let mut version = Version::empty();
    version.files[1] = inputs.clone();
    let task = CompactionTask {
        kind: TaskKind::Merge,
        reason: TaskReason::Size,
        level: 1,
        inputs: vec![LevelInputs {
            level: 1,
            files: inputs,
        }],
        output_level: 2,
        grandparents: Vec::new(),
        max_output_file_bytes: 16 << 10,
        max_grandparent_overlap_bytes: u64::MAX,
        compact_pointer: None,
    };
    let plain = fx
        .with_ctx(&version, |ctx| run_task(ctx, &task))
        .expect("merge");
    let (plain_prefixes, plain_entries) = prefixes_and_entries(&fx, &plain.outputs, 2);
    assert!(
        plain_prefixes.iter().any(|p| p.len() > 1),
        "the sizes alone put two prefixes in one table: {plain_prefixes:?}"
    );
    fx.partition_prefix_bytes = 2;
    let cut = fx
        .with_ctx(&version, |ctx| run_task(ctx, &task))
        .expect("merge");
    let (prefixes, entries) = prefixes_and_entries(&fx, &cut.outputs, 2);
    assert!(prefixes.iter().all(|p| p.len() == 1), "{prefixes:?}");
    assert_eq!(entries, plain_entries, "the same entries either way");
    assert_eq!(entries.len(), 600);
}

/// Level-0 files that each span the whole key space: counting whole files
/// leaves one range with everything, an estimator that sees inside the
/// files splits where the bytes divide.
#[test]
fn overlapping_level0_inputs_split_where_their_bytes_divide() {
    use super::subcompact::{split_points_with, SplitEstimator};
    let fx = Fixture::new();
    let a = fx.table(&[
        (1, ValueType::Value, "a", "1"),
        (2, ValueType::Value, "z", "2"),
    ]);
    let b = fx.table(&[
        (3, ValueType::Value, "b", "3"),
        (4, ValueType::Value, "y", "4"),
    ]);
    let task = level0_merge(vec![a, b], 1);
    // Whole files: the only candidate below the last key is "y", whose
    // side holds file b entire.
    assert_eq!(split_points(&task, 2), vec![b"y".to_vec()]);

    /// Bytes spread evenly over the letters a..z in every file.
    struct Even;
    impl SplitEstimator for Even {
        fn sample_user_keys(&self, _file: &FileEntry) -> Vec<Vec<u8>> {
            [b"f", b"m", b"t"].iter().map(|k| k.to_vec()).collect()
        }
        fn bytes_through(&self, file: &FileEntry, user_key: &[u8]) -> u64 {
            let letters = u64::from(user_key[0] - b'a' + 1);
            file.meta.file_size_bytes * letters / 26
        }
    }
    assert_eq!(split_points_with(&task, 2, &Even), vec![b"m".to_vec()]);
    assert_eq!(
        split_points_with(&task, 4, &Even),
        vec![b"f".to_vec(), b"m".to_vec(), b"t".to_vec()]
    );
}

/// Level-0 runs of values that fill a block alone (Snappy-compressible and
/// not), small ones, overwrites and deletions, merged into level 1 with
/// outputs cut small, with and without a bloom filter: copying the stored
/// blocks of entries alone in theirs writes byte for byte the tables that
/// rebuilding and re-compressing every block writes, and blocks were
/// copied (only where the input stored them compressed, as the output's
/// options ask).
#[test]
fn copied_stored_blocks_write_the_same_tables_as_rebuilt_ones() {
    let pattern = |i: u64, len: usize| -> String {
        // Compressible: a short phrase repeated.
        format!("value {i} ").repeat(len / 8 + 1)[..len].to_string()
    };
    let noise = |i: u64, len: usize| -> String {
        // Not compressible by Snappy: alphanumerics without repeats.
        let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(
                    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        [(x % 62) as usize],
                )
            })
            .collect()
    };
    for bloom in [None, Some(10)] {
        let mut runs = Vec::new();
        for copy in [false, true] {
            let mut fx = Fixture::with_bloom(bloom);
            fx.copy_stored_blocks = copy;
            let mut seq = 0u64;
            let mut level0 = Vec::new();
            for run in 0..3u64 {
                let rows: Vec<(u64, ValueType, String, String)> = (0..60u64)
                    .filter(|i| (i + run) % 4 != 0)
                    .map(|i| {
                        seq += 1;
                        let key = format!("k{i:03}");
                        match (i + run * 5) % 7 {
                            0 => (seq, ValueType::Deletion, key, String::new()),
                            1 | 2 => (
                                seq,
                                ValueType::Value,
                                key,
                                pattern(seq, 4_000 + 37 * i as usize),
                            ),
                            3 => (seq, ValueType::Value, key, noise(seq, 5_000)),
                            4 => (seq, ValueType::Value, key, pattern(seq, 4_090)),
                            _ => (seq, ValueType::Value, key, format!("small {seq}")),
                        }
                    })
                    .collect();
                let entries: Vec<Entry<'_>> = rows
                    .iter()
                    .map(|(s, t, k, v)| (*s, *t, k.as_str(), v.as_str()))
                    .collect();
                level0.insert(0, fx.table(&entries));
            }
            let mut version = Version::empty();
            version.files[0] = level0.clone();
            let task = level0_merge(level0, 12 << 10);
            let outcome = fx
                .with_ctx(&version, |ctx| run_task(ctx, &task))
                .expect("merge");
            assert!(outcome.outputs.len() > 2, "{}", outcome.outputs.len());
            let files: Vec<Vec<u8>> = outcome
                .outputs
                .iter()
                .map(|m| {
                    strata_api::env::read_file_to_vec(
                        fx.env.as_ref(),
                        &table_file_name(Path::new("/db"), m.number),
                    )
                    .expect("read output")
                })
                .collect();
            let entries = all_entries(&fx, &outcome.outputs);
            runs.push((
                files,
                entries,
                fx.stored_blocks_copied.load(Ordering::Relaxed),
            ));
        }
        let (rebuilt, copied) = (&runs[0], &runs[1]);
        assert_eq!(rebuilt.2, 0, "nothing copied when told not to");
        assert!(copied.2 > 10, "bloom {bloom:?}: {} blocks copied", copied.2);
        assert_eq!(rebuilt.1, copied.1, "bloom {bloom:?}: entries");
        assert_eq!(rebuilt.0.len(), copied.0.len());
        for (i, (a, b)) in rebuilt.0.iter().zip(&copied.0).enumerate() {
            assert!(a == b, "bloom {bloom:?}: output {i} differs");
        }
    }
}

/// A seek compaction merges on one thread whatever the setting; a size or
/// manual one uses the subcompactions allowed.
#[test]
fn seek_compactions_are_not_split() {
    let mut fx = Fixture::new();
    fx.subcompactions = 2;
    let a = fx.table(&[(1, ValueType::Value, "a", "1")]);
    let mut task = level0_merge(vec![a], 1);
    let version = Version::empty();
    for (reason, threads) in [
        (TaskReason::Size, 2),
        (TaskReason::Manual, 2),
        (TaskReason::Seek, 1),
    ] {
        task.reason = reason;
        let got = fx.with_ctx(&version, |ctx| super::executor::threads_for(ctx, &task));
        assert_eq!(got, threads, "{reason:?}");
    }
}
