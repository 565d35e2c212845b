//! Write stalls (issue 15): every slowdown and every stop is counted once
//! and timed, under every memtable and compaction policy; and
//! `Engine::state` agrees with the `leveldb.*` properties.
//!
//! The background thread is held back through `DbInner::hold`, so each
//! stall is forced, not hoped for: with flushes held a second full
//! memtable must stop; with compactions held, explicit flushes stack level
//! 0 up to the slowdown and then the stop trigger.

use super::*;
use crate::compaction::CompactionKind;
use crate::memtable::MemTableKind;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use strata_api::{MemEnv, WriteOptions};

const DEADLINE: Duration = Duration::from_secs(60);

fn options(env: &MemEnv, memtable: MemTableKind, compaction: CompactionKind) -> DbOptions {
    DbOptions {
        env: Arc::new(env.clone()),
        create_if_missing: true,
        write_buffer_size: 8 << 10,
        max_file_size: 16 << 10,
        block_size: 1024,
        memtable,
        compaction,
        ..DbOptions::default()
    }
}

fn variants() -> impl Iterator<Item = (MemTableKind, CompactionKind)> {
    MemTableKind::ALL
        .iter()
        .flat_map(|&m| CompactionKind::ALL.iter().map(move |&c| (m, c)))
}

fn what(memtable: MemTableKind, compaction: CompactionKind) -> String {
    format!(
        "memtable={} compaction={}",
        memtable.name(),
        compaction.name()
    )
}

/// Polls `done` until it holds; a test failure (not a stuck CI) after
/// [`DEADLINE`].
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < DEADLINE,
            "{what}: not within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `f` on its own thread; the receiver yields its result.
fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx
}

fn put(db: &Db, key: &[u8], value: &[u8]) {
    db.put(&WriteOptions::default(), key, value).expect("put");
}

fn level0_property(db: &Db) -> u64 {
    db.property("leveldb.num-files-at-level0")
        .expect("property")
        .parse()
        .expect("a count")
}

/// `leveldb.sstables` parsed: per level, (file number, size) of each file.
fn sstables(db: &Db) -> Vec<Vec<(u64, u64)>> {
    let text = db.property("leveldb.sstables").expect("property");
    let mut levels: Vec<Vec<(u64, u64)>> = Vec::new();
    for line in text.lines() {
        if line.starts_with("--- level") {
            levels.push(Vec::new());
            continue;
        }
        let (number, rest) = line.trim().split_once(':').expect("number:size");
        let size = rest.split('[').next().expect("size");
        levels.last_mut().expect("a level header first").push((
            number.parse().expect("file number"),
            size.parse().expect("file size"),
        ));
    }
    levels
}

/// Checks `db.state()` against the properties; returns it.
fn state_matches_properties(db: &Db, compaction: CompactionKind, what: &str) -> EngineState {
    let state = db.state();
    let levels = sstables(db);
    assert_eq!(state.level0_files, Some(level0_property(db)), "{what}");
    assert_eq!(state.level0_files, Some(levels[0].len() as u64), "{what}");
    let expected: Vec<u64> = if compaction.keeps_runs_in_level0() {
        let mut runs = levels[0].clone();
        runs.sort_by_key(|&(number, _)| std::cmp::Reverse(number));
        let mut bytes: Vec<u64> = runs.iter().map(|&(_, size)| size).collect();
        bytes.extend(
            levels[1..]
                .iter()
                .map(|l| l.iter().map(|&(_, size)| size).sum::<u64>())
                .filter(|&b| b > 0),
        );
        bytes
    } else {
        levels
            .iter()
            .map(|l| l.iter().map(|&(_, size)| size).sum())
            .collect()
    };
    assert_eq!(state.level_bytes, expected, "{what}");
    assert_eq!(
        state.level_bytes.iter().sum::<u64>(),
        db.metrics().live_table_bytes,
        "{what}"
    );
    state
}

#[test]
fn a_full_memtable_behind_an_unflushed_one_is_one_stop() {
    for (memtable, compaction) in variants() {
        let what = what(memtable, compaction);
        let test_start = Instant::now();
        let env = MemEnv::new();
        let db = Arc::new(Db::open(options(&env, memtable, compaction), "/db").expect("open"));
        db.inner.hold.flushes.store(true, Ordering::Release);
        // 200 × 116 bytes fill an 8 KiB memtable more than twice: the
        // first switch leaves an immutable memtable nobody flushes, the
        // second full memtable must wait for it.
        let writer = {
            let db = Arc::clone(&db);
            spawn(move || {
                for i in 0..200u32 {
                    put(&db, format!("{i:016}").as_bytes(), &[b'v'; 100]);
                }
            })
        };
        wait_until(&what, || db.metrics().stall_stops > 0);
        // The writer is woken again and again meanwhile (each time the
        // background thread finds nothing it may do): still one stop.
        std::thread::sleep(Duration::from_millis(5));
        let during = db.metrics();
        assert_eq!((during.stalls, during.stall_stops), (1, 1), "{what}");
        assert!(during.stall_stop_time_us > 0, "{what}: {during:?}");
        let state = db.state();
        assert_eq!(state.compactions_running, Some(0), "{what}");
        let held = state.memtable_bytes.expect("memtable bytes");
        assert!(held > 2 * (8 << 10), "{what}: two full memtables, {held}");
        assert_eq!(state.level0_files, Some(0), "{what}");

        db.inner.hold.flushes.store(false, Ordering::Release);
        db.inner.maybe_schedule();
        writer
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|e| panic!("{what}: the stopped writer never finished: {e}"));
        let after = db.metrics();
        let wall_us = test_start.elapsed().as_micros() as u64;
        assert!(after.stall_stops >= 1, "{what}: {after:?}");
        assert!(
            after.stall_stop_time_us >= during.stall_stop_time_us,
            "{what}: {after:?}"
        );
        assert!(
            after.stall_time_us < wall_us,
            "{what}: {after:?} in {wall_us} us"
        );
        // No level-0 trigger was near: no slowdown.
        assert_eq!(after.stall_slowdowns(), 0, "{what}: {after:?}");
        assert_eq!(after.stall_slowdown_time_us(), 0, "{what}: {after:?}");
        db.wait_for_background().expect("settle");
        state_matches_properties(&db, compaction, &what);
    }
}

/// Puts the first and last key and flushes, until level 0 holds `files`.
fn stack_level0(db: &Db, files: u64, what: &str) {
    let mut rounds = 0;
    while db.state().level0_files.expect("level 0") < files {
        put(db, b"a", b"first");
        put(db, b"z", b"last");
        db.flush().expect("flush");
        rounds += 1;
        // Leveled puts its first two flushes deeper (nothing overlaps).
        assert!(rounds <= files + 2, "{what}: level 0 does not grow");
    }
    assert_eq!(db.state().level0_files, Some(files), "{what}");
}

#[test]
fn level0_triggers_slow_writes_down_then_stop_them() {
    for (memtable, compaction) in variants() {
        let what = what(memtable, compaction);
        let test_start = Instant::now();
        let env = MemEnv::new();
        let mut o = options(&env, memtable, compaction);
        o.write_buffer_size = 64 << 10;
        let db = Arc::new(Db::open(o, "/db").expect("open"));
        db.inner.hold.compactions.store(true, Ordering::Release);
        let slowdown = db.inner.policy.l0_slowdown_trigger() as u64;
        let stop = db.inner.policy.l0_stop_trigger() as u64;

        // Below the slowdown trigger nothing stalls (forced flushes are
        // not writes).
        stack_level0(&db, slowdown, &what);
        assert_eq!(db.metrics().stalls, 0, "{what}");
        state_matches_properties(&db, compaction, &what);
        // At the trigger every write sleeps once.
        put(&db, b"m", b"slow");
        let slowed = db.metrics();
        assert_eq!((slowed.stalls, slowed.stall_stops), (1, 0), "{what}");
        assert!(slowed.stall_time_us > 0, "{what}: {slowed:?}");
        assert_eq!(slowed.stall_stop_time_us, 0, "{what}: {slowed:?}");
        put(&db, b"n", b"slow");
        assert_eq!(db.metrics().stall_slowdowns(), 2, "{what}");

        // Up to the stop trigger: two slowed puts per flush.
        stack_level0(&db, stop, &what);
        let stacked = state_matches_properties(&db, compaction, &what);
        assert!(
            stacked.pending_compaction_bytes.expect("pending") > 0,
            "{what}: a level 0 at the stop trigger is a backlog: {stacked:?}"
        );
        let before = db.metrics();
        assert_eq!(before.stall_stops, 0, "{what}: {before:?}");
        // A memtable over its buffer at the stop trigger: the next write
        // (after its slowdown) stops until compaction drains level 0.
        put(&db, b"big", &vec![b'v'; 70 << 10]);
        let writer = {
            let db = Arc::clone(&db);
            spawn(move || put(&db, b"c", b"stopped"))
        };
        wait_until(&what, || db.metrics().stall_stops > 0);
        std::thread::sleep(Duration::from_millis(5));
        let during = db.metrics();
        assert_eq!(during.stall_stops, 1, "{what}: {during:?}");
        assert_eq!(
            during.stall_slowdowns(),
            before.stall_slowdowns() + 2,
            "{what}: {during:?}"
        );
        assert!(during.stall_stop_time_us > 0, "{what}: {during:?}");

        db.inner.hold.compactions.store(false, Ordering::Release);
        db.inner.maybe_schedule();
        writer
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|e| panic!("{what}: the stopped writer never finished: {e}"));
        let after = db.metrics();
        let wall_us = test_start.elapsed().as_micros() as u64;
        assert_eq!(after.stall_stops, 1, "{what}: {after:?}");
        assert!(
            after.stall_stop_time_us >= during.stall_stop_time_us,
            "{what}: {after:?}"
        );
        assert!(
            after.stall_time_us < wall_us,
            "{what}: {after:?} in {wall_us} us"
        );
        assert_eq!(
            after.stall_time_us,
            after.stall_slowdown_time_us() + after.stall_stop_time_us,
            "{what}"
        );
        db.wait_for_background().expect("settle");
        let settled = state_matches_properties(&db, compaction, &what);
        assert!(
            settled.level0_files.expect("level 0") < slowdown,
            "{what}: {settled:?}"
        );
        assert_eq!(settled.compactions_running, Some(0), "{what}");
        assert_eq!(settled.pending_compaction_bytes, Some(0), "{what}");
    }
}

#[test]
fn state_follows_a_tree_built_by_many_small_memtables() {
    for &compaction in CompactionKind::ALL {
        let what = format!("compaction={}", compaction.name());
        let env = MemEnv::new();
        let db = Db::open(options(&env, MemTableKind::SkipList, compaction), "/db").expect("open");
        let empty = state_matches_properties(&db, compaction, &what);
        assert_eq!(empty.level0_files, Some(0), "{what}");
        assert_eq!(empty.compactions_running, Some(0), "{what}");
        let mem_empty = empty.memtable_bytes.expect("memtable bytes");
        // One write into the empty memtable is always taken, whatever its
        // size: the memtable holds at least its bytes more.
        put(&db, b"big", &[b'v'; 5000]);
        let one = db.state().memtable_bytes.expect("memtable bytes");
        assert!(one >= mem_empty + 5000, "{what}: {mem_empty} then {one}");
        for i in 0..3000u32 {
            let k = format!("{:016}", (i * 7919) % 3000);
            put(&db, k.as_bytes(), &[b'v'; 100]);
        }
        db.wait_for_background().expect("settle");
        let settled = state_matches_properties(&db, compaction, &what);
        assert!(settled.level_bytes.iter().sum::<u64>() > 0, "{what}");
        assert_eq!(settled.compactions_running, Some(0), "{what}");
        // A settled tree has no backlog the policy would act on.
        assert_eq!(settled.pending_compaction_bytes, Some(0), "{what}");
    }
}
