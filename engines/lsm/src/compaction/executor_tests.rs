//! Executor tests for tasks that write into level 0 (tiered policies):
//! a deletion marker survives while an older level-0 run outside the task
//! may hold its key, and no memtable flush interleaves with such a task.

use super::executor::{flush_memtable, run_task, ExecContext};
use super::runs::merge_newest_into_level0;
use super::{LevelInputs, TaskReason};
use crate::format::internal_key::{parse_internal_key, ValueType};
use crate::memtable::MemTableKind;
use crate::table_cache::TableCache;
use crate::version::edit::FileMetaData;
use crate::version::{FileEntry, Version};
use crate::DbOptions;
use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use strata_api::{Env, MemEnv};

type Entry<'a> = (u64, ValueType, &'a str, &'a str);

struct Fixture {
    env: Arc<dyn Env>,
    cache: Arc<TableCache>,
    next_number: Cell<u64>,
    flushes_requested: Cell<usize>,
    shutting_down: AtomicBool,
}

impl Fixture {
    fn new() -> Self {
        let env: Arc<dyn Env> = Arc::new(MemEnv::new());
        let options = DbOptions {
            env: Arc::clone(&env),
            ..DbOptions::default()
        };
        Fixture {
            cache: Arc::new(TableCache::new(Path::new("/db"), &options, None)),
            env,
            next_number: Cell::new(1),
            flushes_requested: Cell::new(0),
            shutting_down: AtomicBool::new(false),
        }
    }

    fn with_ctx<R>(&self, version: &Version, f: impl FnOnce(&ExecContext<'_>) -> R) -> R {
        let number = || {
            let n = self.next_number.get();
            self.next_number.set(n + 1);
            n
        };
        let between = || self.flushes_requested.set(self.flushes_requested.get() + 1);
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
        };
        f(&ctx)
    }

    fn table(&self, entries: &[Entry<'_>]) -> Arc<FileEntry> {
        let mem = MemTableKind::SkipList.create();
        for &(seq, t, k, v) in entries {
            mem.add(seq, t, k.as_bytes(), v.as_bytes());
        }
        let empty = Version::empty();
        let meta: FileMetaData = self
            .with_ctx(&empty, |ctx| flush_memtable(ctx, mem.iter().as_mut()))
            .expect("flush")
            .expect("non-empty");
        Arc::new(FileEntry::new(meta))
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
        fx.flushes_requested.get(),
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
    assert_eq!(fx.flushes_requested.get(), 0);
    // The same inputs written to level 1 (lazy leveling) may let a flush in.
    let mut down = all.clone();
    down.output_level = 1;
    down.inputs.push(LevelInputs {
        level: 1,
        files: Vec::new(),
    });
    fx.with_ctx(&version, |ctx| run_task(ctx, &down))
        .expect("merge down");
    assert!(fx.flushes_requested.get() > 0);
}
