//! Concurrency under faults: writer threads (mixed sync, multi-op batches,
//! empty batches including empty sync batches), reader threads (snapshots,
//! forward and backward iterators, point reads) and a thread calling
//! `flush` and `compact_range`, all on one `Db` over `FaultEnv(MemEnv)`
//! that crashes after a random number of Env calls. Then the database is
//! reopened and checked, and the next cycle begins on it.
//!
//! Each writer writes only its own keys, with a version that grows with
//! every batch, so each writer's history is a sequence and these hold:
//! - a snapshot shows, per writer, the state after some prefix of its
//!   batches (a "cut"), at least up to the batches acknowledged before the
//!   snapshot and at most up to those begun before it; forward and backward
//!   iteration and point reads agree;
//! - after a crash, each writer's keys show a cut at least up to every
//!   batch known durable (acknowledged with `sync`; or acknowledged before
//!   a `sync` write, an empty `sync` batch, a `flush` or a `compact_range`
//!   that began later and succeeded) and at most up to the last begun;
//! - every value read is exactly one that was written.
//!
//! Every other crash is a torn-tail crash (a random prefix of each file's
//! unsynced bytes survives, then garbage or zeros).
//!
//! A watchdog fails the test (printing the seed and the stuck operation,
//! then aborting) if any operation takes longer than 30 s: a hang is a
//! failure, not a stuck CI. `STRATA_CONCURRENCY_SEED=<n>` picks the seed.

use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_api::env::{CrashMode, FaultEnv, MemEnv};
use strata_api::{Engine, ReadOptions, Snapshot, WriteBatch, WriteOptions};
use strata_lsm::{Db, DbOptions};

const DEFAULT_SEED: u64 = 20_514;
const WRITERS: usize = 4;
const READERS: usize = 2;
const KEYS_PER_WRITER: u32 = 24;
const CYCLES: usize = 200;
/// Batches each writer attempts per cycle at most (the crash usually
/// comes first).
const BATCHES_PER_CYCLE: u64 = 800;
/// Longest any single operation may take before the watchdog fires.
const HANG_BOUND: Duration = Duration::from_secs(30);

fn seed() -> u64 {
    std::env::var("STRATA_CONCURRENCY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

fn key(writer: usize, i: u32) -> Vec<u8> {
    format!("w{writer}k{i:03}").into_bytes()
}

/// The value writer `writer` puts at key `i` in its batch `version`.
fn value(writer: usize, version: u64, i: u32) -> Vec<u8> {
    let mut v = format!("w{writer}.v{version}.k{i}.").into_bytes();
    let pad = ((version * 7 + u64::from(i) * 13) % 48) as usize;
    v.resize(v.len() + pad, b'a' + (version % 26) as u8);
    v
}

/// The writer, key and version a stored entry claims, if it is exactly a
/// value that was written at that key.
fn decode(k: &[u8], v: &[u8]) -> Result<(usize, u32, u64), String> {
    let bad = || {
        format!(
            "{} = {}: not a value this test wrote",
            String::from_utf8_lossy(k),
            String::from_utf8_lossy(v)
        )
    };
    let text = std::str::from_utf8(k).map_err(|_| bad())?;
    let (w, i) = text
        .strip_prefix('w')
        .and_then(|t| t.split_once('k'))
        .ok_or_else(bad)?;
    let (w, i): (usize, u32) = (w.parse().map_err(|_| bad())?, i.parse().map_err(|_| bad())?);
    let version: u64 = std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.split('.').nth(1))
        .and_then(|s| s.strip_prefix('v'))
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    if w >= WRITERS || i >= KEYS_PER_WRITER || value(w, version, i) != v {
        return Err(bad());
    }
    Ok((w, i, version))
}

/// Per writer: key index → the version it holds (`None`: absent).
type Versions = Vec<BTreeMap<u32, Option<u64>>>;

/// One writer's batches in this cycle: at each version, the keys put
/// (`true`) or deleted (`false`).
#[derive(Default)]
struct History {
    /// The version each key holds at the cycle's start (`None`: absent).
    initial: BTreeMap<u32, Option<u64>>,
    /// The last version of the previous cycles.
    base: u64,
    batches: Vec<(u64, Vec<(u32, bool)>)>,
}

impl History {
    /// The state of key `i` after every batch up to `cut`, as change
    /// points: (first cut with this state, state).
    fn changes(&self, i: u32) -> Vec<(u64, Option<u64>)> {
        let mut out = vec![(0, self.initial.get(&i).copied().flatten())];
        for (version, ops) in &self.batches {
            for &(k, put) in ops {
                if k == i {
                    out.push((*version, put.then_some(*version)));
                }
            }
        }
        out
    }

    /// Checks that `found` (key → version, absent keys `None`) is the state
    /// after every batch up to some cut in `lo..=hi`.
    fn check_cut(
        &self,
        found: &BTreeMap<u32, Option<u64>>,
        lo: u64,
        hi: u64,
    ) -> Result<(), String> {
        let mut allowed = vec![(lo, hi)];
        for i in 0..KEYS_PER_WRITER {
            let f = found.get(&i).copied().flatten();
            let changes = self.changes(i);
            let mut mine = Vec::new();
            for (n, &(start, state)) in changes.iter().enumerate() {
                let end = changes.get(n + 1).map_or(u64::MAX, |c| c.0 - 1);
                if state == f {
                    mine.push((start, end));
                }
            }
            allowed = intersect(&allowed, &mine);
            if allowed.is_empty() {
                return Err(format!(
                    "key {i} holds version {f:?}: no cut in {lo}..={hi} fits it and the keys before it (its changes: {:?})",
                    &changes[changes.len().saturating_sub(6)..]
                ));
            }
        }
        Ok(())
    }
}

fn intersect(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for &(a0, a1) in a {
        for &(b0, b1) in b {
            let (lo, hi) = (a0.max(b0), a1.min(b1));
            if lo <= hi {
                out.push((lo, hi));
            }
        }
    }
    out
}

/// What the other threads know about one writer.
#[derive(Default)]
struct WriterState {
    /// Last version begun (its batch is in the history first).
    started: AtomicU64,
    /// Last version acknowledged.
    acked: AtomicU64,
    /// Every version up to here is durable.
    durable: AtomicU64,
    history: Mutex<History>,
}

/// Per-thread "what am I doing since when", for the watchdog.
struct Watchdog {
    seed: u64,
    slots: Vec<Mutex<Option<(Instant, String)>>>,
    done: AtomicBool,
}

impl Watchdog {
    fn new(seed: u64, threads: usize) -> Self {
        Watchdog {
            seed,
            slots: (0..threads).map(|_| Mutex::new(None)).collect(),
            done: AtomicBool::new(false),
        }
    }

    /// Runs `f` as operation `what` of thread `slot`.
    fn op<T>(&self, slot: usize, what: impl FnOnce() -> String, f: impl FnOnce() -> T) -> T {
        *self.slots[slot].lock() = Some((Instant::now(), what()));
        let out = f();
        *self.slots[slot].lock() = None;
        out
    }

    fn watch(&self) {
        while !self.done.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(200));
            for (n, slot) in self.slots.iter().enumerate() {
                if let Some((since, what)) = &*slot.lock() {
                    if since.elapsed() > HANG_BOUND {
                        eprintln!(
                            "HANG: thread {n} has been in `{what}` for {:.0} s (bound {} s); \
                             reproduce with STRATA_CONCURRENCY_SEED={}",
                            since.elapsed().as_secs_f64(),
                            HANG_BOUND.as_secs(),
                            self.seed
                        );
                        std::process::abort();
                    }
                }
            }
        }
    }
}

struct Shared {
    db: Db,
    env: FaultEnv,
    writers: Vec<WriterState>,
    stop: AtomicBool,
    failures: Mutex<Vec<String>>,
    watchdog: Arc<Watchdog>,
    /// Counts for the summary.
    batches_acked: AtomicU64,
    snapshots_checked: AtomicU64,
    flushes: AtomicU64,
    writers_done: AtomicUsize,
}

impl Shared {
    fn fail(&self, what: String) {
        self.failures.lock().push(what);
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Every writer's acknowledged version now.
    fn acked_now(&self) -> Vec<u64> {
        self.writers
            .iter()
            .map(|w| w.acked.load(Ordering::SeqCst))
            .collect()
    }

    /// An operation that began when `acked` were acknowledged succeeded
    /// and made them durable.
    fn made_durable(&self, acked: &[u64]) {
        for (w, &v) in self.writers.iter().zip(acked) {
            w.durable.fetch_max(v, Ordering::SeqCst);
        }
    }

    /// An error is expected only once the env is down.
    fn unexpected(&self, what: &str, e: &strata_api::Error) -> bool {
        if self.env.is_down() {
            return false;
        }
        self.fail(format!("{what} failed without a fault: {e}"));
        true
    }
}

fn writer_thread(sh: &Shared, w: usize, seed: u64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut batches = 0;
    while !sh.stop.load(Ordering::SeqCst) && batches < BATCHES_PER_CYCLE {
        batches += 1;
        let me = &sh.writers[w];
        let version = me.started.load(Ordering::SeqCst) + 1;
        let mut ops = Vec::new();
        if !rng.gen_bool(0.06) {
            let n = rng.gen_range(1..=5);
            while ops.len() < n {
                let i = rng.gen_range(0..KEYS_PER_WRITER);
                if !ops.iter().any(|&(k, _)| k == i) {
                    ops.push((i, !rng.gen_bool(0.15)));
                }
            }
        }
        let sync = if ops.is_empty() {
            rng.gen_bool(0.5)
        } else {
            rng.gen_bool(0.2)
        };
        let mut batch = WriteBatch::new();
        for &(i, put) in &ops {
            if put {
                batch.put(&key(w, i), &value(w, version, i));
            } else {
                batch.delete(&key(w, i));
            }
        }
        if !ops.is_empty() {
            me.history.lock().batches.push((version, ops.clone()));
            me.started.store(version, Ordering::SeqCst);
        }
        let before = sh.acked_now();
        let r = sh.watchdog.op(
            w,
            || {
                format!(
                    "writer {w}: write v{version} ({} ops, sync={sync})",
                    ops.len()
                )
            },
            || sh.db.write(&WriteOptions { sync }, &batch),
        );
        match r {
            Ok(()) => {
                if !ops.is_empty() {
                    me.acked.store(version, Ordering::SeqCst);
                }
                sh.batches_acked.fetch_add(1, Ordering::Relaxed);
                if sync {
                    let mut upto = before;
                    upto[w] = me.acked.load(Ordering::SeqCst);
                    sh.made_durable(&upto);
                }
            }
            Err(e) => {
                sh.unexpected(&format!("writer {w} v{version}"), &e);
                break;
            }
        }
        // Read your own write.
        if let Some(&(i, put)) = ops.first() {
            let got = sh.watchdog.op(
                w,
                || format!("writer {w}: get own key {i}"),
                || sh.db.get(&ReadOptions::default(), &key(w, i)),
            );
            match got {
                Ok(v) if v == put.then(|| value(w, version, i)) => {}
                Ok(v) => {
                    sh.fail(format!(
                        "writer {w}: read its v{version} at key {i} back as {:?}",
                        v.map(|v| String::from_utf8_lossy(&v).into_owned())
                    ));
                    break;
                }
                Err(e) => {
                    sh.unexpected(&format!("writer {w}: get"), &e);
                    break;
                }
            }
        }
    }
    sh.writers_done.fetch_add(1, Ordering::SeqCst);
}

/// Reads every key under `snapshot` forward, backward and with a point
/// read; returns per writer: key → version.
fn read_all(
    db: &Db,
    snapshot: &Snapshot,
    probe: (usize, u32),
) -> strata_api::Result<Result<Versions, String>> {
    let opts = ReadOptions {
        snapshot: Some(snapshot.clone()),
        ..ReadOptions::default()
    };
    let mut forward = Vec::new();
    let mut it = db.iter(&opts)?;
    it.seek_to_first();
    while it.valid() {
        forward.push((it.key().to_vec(), it.value().to_vec()));
        it.next();
    }
    it.status()?;
    let mut backward = Vec::new();
    it.seek_to_last();
    while it.valid() {
        backward.push((it.key().to_vec(), it.value().to_vec()));
        it.prev();
    }
    it.status()?;
    backward.reverse();
    if backward != forward {
        return Ok(Err(format!(
            "backward iteration ({} entries) differs from forward ({})",
            backward.len(),
            forward.len()
        )));
    }
    let probe_key = key(probe.0, probe.1);
    let point = db.get(&opts, &probe_key)?;
    let in_scan = forward
        .iter()
        .find(|(k, _)| *k == probe_key)
        .map(|(_, v)| v.clone());
    if point != in_scan {
        return Ok(Err(format!(
            "get {} under the snapshot disagrees with its iterator",
            String::from_utf8_lossy(&probe_key)
        )));
    }
    let mut out = vec![BTreeMap::new(); WRITERS];
    for (k, v) in &forward {
        match decode(k, v) {
            Ok((w, i, version)) => {
                out[w].insert(i, Some(version));
            }
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(Ok(out))
}

fn reader_thread(sh: &Shared, slot: usize, seed: u64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    while !sh.stop.load(Ordering::SeqCst) {
        let probe = (rng.gen_range(0..WRITERS), rng.gen_range(0..KEYS_PER_WRITER));
        let (lo, hi, read) = sh.watchdog.op(
            slot,
            || format!("reader {slot}: snapshot scan"),
            || {
                let lo = sh.acked_now();
                let snapshot = sh.db.snapshot();
                let hi: Vec<u64> = sh
                    .writers
                    .iter()
                    .map(|w| w.started.load(Ordering::SeqCst))
                    .collect();
                (lo, hi, read_all(&sh.db, &snapshot, probe))
            },
        );
        let found = match read {
            Ok(Ok(found)) => found,
            Ok(Err(e)) => {
                sh.fail(format!("reader {slot}: {e}"));
                return;
            }
            Err(e) => {
                if sh.unexpected(&format!("reader {slot}"), &e) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(2));
                continue;
            }
        };
        for (w, state) in sh.writers.iter().enumerate() {
            let history = state.history.lock();
            if let Err(e) = history.check_cut(&found[w], lo[w], hi[w]) {
                sh.fail(format!(
                    "reader {slot}: snapshot is inconsistent for writer {w}: {e}"
                ));
                return;
            }
        }
        sh.snapshots_checked.fetch_add(1, Ordering::Relaxed);
    }
}

fn maintenance_thread(sh: &Shared, slot: usize, seed: u64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    while !sh.stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..6)));
        let before = sh.acked_now();
        let r = if rng.gen_bool(0.5) {
            sh.watchdog.op(slot, || "flush".into(), || sh.db.flush())
        } else {
            let w = rng.gen_range(0..WRITERS);
            let a = rng.gen_range(0..KEYS_PER_WRITER);
            let b = rng.gen_range(a..KEYS_PER_WRITER);
            let (begin, end) = if rng.gen_bool(0.1) {
                (None, None)
            } else {
                (Some(key(w, a)), Some(key(w, b)))
            };
            sh.watchdog.op(
                slot,
                || "compact_range".into(),
                || sh.db.compact_range(begin.as_deref(), end.as_deref()),
            )
        };
        match r {
            Ok(()) => {
                sh.made_durable(&before);
                sh.flushes.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                if sh.unexpected("flush/compact_range", &e) {
                    return;
                }
                // The env is down: nothing more will succeed.
                return;
            }
        }
    }
}

/// The options of cycle `cycle`: cycles 2, 3, 6, 7, ... cut tables per
/// writer (`partition_prefix_bytes=2`, keys `w<writer>k...`), so that
/// flushes write several tables, under both crash modes.
fn options(env: &FaultEnv, cycle: usize) -> DbOptions {
    DbOptions {
        partition_prefix_bytes: if cycle / 2 % 2 == 1 { 2 } else { 0 },
        env: Arc::new(env.clone()),
        create_if_missing: true,
        write_buffer_size: 8 << 10,
        max_file_size: 4 << 10,
        max_bytes_for_level_base: 16 << 10,
        block_size: 512,
        ..DbOptions::default()
    }
}

/// Checks that each writer's keys hold a cut of its history between what
/// was durable and what was begun before the crash; a failure is added to
/// `failures`, labelled with `when`.
fn check_after_crash(
    writers: &[WriterState],
    found: &Versions,
    when: &str,
    failures: &mut Vec<String>,
) {
    for (w, state) in writers.iter().enumerate() {
        let history = state.history.lock();
        let lo = state.durable.load(Ordering::SeqCst).max(history.base);
        let hi = state.started.load(Ordering::SeqCst);
        if let Err(e) = history.check_cut(&found[w], lo, hi) {
            failures.push(format!(
                "{when}: after the crash, writer {w} (durable v{lo}, begun v{hi}): {e}"
            ));
        }
    }
}

/// Reads the whole database: per writer, key → version.
fn scan_versions(db: &Db) -> Result<Versions, String> {
    let snapshot = db.snapshot();
    match read_all(db, &snapshot, (0, 0)) {
        Ok(r) => r,
        Err(e) => Err(format!("scan after reopen: {e}")),
    }
}

#[test]
fn writers_readers_and_compactions_survive_random_crashes() {
    let seed = seed();
    eprintln!("concurrency under faults: seed {seed} (STRATA_CONCURRENCY_SEED={seed} reproduces the choices; thread timing varies)");
    let start = Instant::now();
    let main_slot = WRITERS + READERS + 1;
    let watchdog = Arc::new(Watchdog::new(seed, main_slot + 1));
    let dog = Arc::clone(&watchdog);
    let dog_thread = std::thread::spawn(move || dog.watch());
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let env = FaultEnv::with_seed(Arc::new(MemEnv::new()), seed);
    let mut writers: Vec<WriterState> = (0..WRITERS).map(|_| WriterState::default()).collect();
    let (mut crashes, mut acked, mut snapshots, mut flushes, mut calls) = (0, 0, 0, 0, 0);
    let mut failures: Vec<String> = Vec::new();
    for cycle in 0..CYCLES {
        let db = watchdog
            .op(
                main_slot,
                || format!("cycle {cycle}: open"),
                || Db::open(options(&env, cycle), "/db"),
            )
            .unwrap_or_else(|e| panic!("seed {seed} cycle {cycle}: open: {e}"));
        let found = watchdog
            .op(
                main_slot,
                || format!("cycle {cycle}: scan"),
                || scan_versions(&db),
            )
            .unwrap_or_else(|e| panic!("seed {seed} cycle {cycle}: {e}"));
        // Verify what the crash left (nothing to check before the first).
        check_after_crash(&writers, &found, &format!("cycle {cycle}"), &mut failures);
        if !failures.is_empty() {
            break;
        }
        // What was found is durable now (open flushed the logs): the base
        // of the next cycle.
        for (w, state) in writers.iter_mut().enumerate() {
            let started = state.started.load(Ordering::SeqCst);
            let mut history = state.history.lock();
            history.initial = (0..KEYS_PER_WRITER)
                .map(|i| (i, found[w].get(&i).copied().flatten()))
                .collect();
            history.base = started;
            history.batches.clear();
            state.acked.store(started, Ordering::SeqCst);
            state.durable.store(started, Ordering::SeqCst);
        }
        let crash_at = env.mutating_calls() + rng.gen_range(200..10_000);
        env.crash_after_call(crash_at);
        // Every other crash keeps a random prefix of each file's unsynced
        // bytes: the old WAL may lose its tail while the new one keeps
        // later records (a switch syncs neither).
        env.set_crash_mode(if cycle % 2 == 1 {
            CrashMode::TornTail
        } else {
            CrashMode::DropUnsynced
        });
        let shared = Shared {
            db,
            env: env.clone(),
            writers: std::mem::take(&mut writers),
            stop: AtomicBool::new(false),
            failures: Mutex::new(Vec::new()),
            watchdog: Arc::clone(&watchdog),
            batches_acked: AtomicU64::new(0),
            snapshots_checked: AtomicU64::new(0),
            flushes: AtomicU64::new(0),
            writers_done: AtomicUsize::new(0),
        };
        let thread_seed = rng.gen::<u64>();
        std::thread::scope(|s| {
            let sh = &shared;
            for w in 0..WRITERS {
                s.spawn(move || writer_thread(sh, w, thread_seed ^ w as u64));
            }
            for r in 0..READERS {
                let slot = WRITERS + r;
                s.spawn(move || reader_thread(sh, slot, thread_seed ^ ((slot as u64) << 8)));
            }
            s.spawn(move || maintenance_thread(sh, WRITERS + READERS, thread_seed ^ 0xff));
            while !sh.env.is_down()
                && sh.writers_done.load(Ordering::SeqCst) < WRITERS
                && !sh.stop.load(Ordering::SeqCst)
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            sh.stop.store(true, Ordering::SeqCst);
        });
        let Shared {
            db,
            writers: w,
            failures: f,
            batches_acked,
            snapshots_checked,
            flushes: fl,
            ..
        } = shared;
        writers = w;
        failures.extend(f.into_inner());
        acked += batches_acked.into_inner();
        snapshots += snapshots_checked.into_inner();
        flushes += fl.into_inner();
        calls = env.mutating_calls();
        if !failures.is_empty() {
            break;
        }
        // The machine crashes (at the crash point, or now if the writers
        // finished first); the process dies with it.
        crashes += 1;
        watchdog
            .op(
                main_slot,
                || format!("cycle {cycle}: crash"),
                || env.crash(),
            )
            .unwrap_or_else(|e| panic!("seed {seed}: crash: {e}"));
        watchdog.op(
            main_slot,
            || format!("cycle {cycle}: drop the crashed db"),
            || drop(db),
        );
        env.restart();
    }
    if failures.is_empty() {
        // A last reopen checks the last crash (done at the top of a cycle).
        let db = watchdog
            .op(
                main_slot,
                || "final open".into(),
                || Db::open(options(&env, CYCLES), "/db"),
            )
            .unwrap_or_else(|e| panic!("seed {seed}: final open: {e}"));
        let found = watchdog
            .op(main_slot, || "final scan".into(), || scan_versions(&db))
            .unwrap_or_else(|e| panic!("seed {seed}: final scan: {e}"));
        check_after_crash(&writers, &found, "final", &mut failures);
    }
    watchdog.done.store(true, Ordering::SeqCst);
    dog_thread.join().expect("watchdog");
    eprintln!(
        "concurrency under faults: seed {seed}: {crashes} crashes, {acked} batches acknowledged, \
         {snapshots} snapshots checked, {flushes} flushes/compactions, {calls} Env calls, \
         {} failures ({:.1} s)",
        failures.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "seed {seed} (STRATA_CONCURRENCY_SEED={seed}): {}",
        failures.join("\n")
    );
    assert!(crashes >= CYCLES, "every cycle crashed");
    assert!(snapshots > 0 && flushes > 0, "readers and flushes ran");
}

#[test]
fn the_cut_checker_rejects_reordering_and_lost_writes() {
    let mut h = History::default();
    h.batches.push((1, vec![(0, true), (1, true)]));
    h.batches.push((2, vec![(1, false)]));
    h.batches.push((3, vec![(0, true)]));
    let state = |pairs: &[(u32, u64)]| -> BTreeMap<u32, Option<u64>> {
        pairs.iter().map(|&(k, v)| (k, Some(v))).collect()
    };
    assert!(h.check_cut(&state(&[]), 0, 3).is_ok(), "nothing yet");
    assert!(h.check_cut(&state(&[(0, 1), (1, 1)]), 0, 3).is_ok());
    assert!(h.check_cut(&state(&[(0, 1)]), 0, 3).is_ok(), "after v2");
    assert!(h.check_cut(&state(&[(0, 3)]), 0, 3).is_ok(), "after v3");
    assert!(
        h.check_cut(&state(&[(0, 3), (1, 1)]), 0, 3).is_err(),
        "v3 without v2 is a reordering"
    );
    assert!(
        h.check_cut(&state(&[(0, 1)]), 3, 3).is_err(),
        "v3 was durable"
    );
    assert!(
        h.check_cut(&state(&[(0, 3)]), 0, 2).is_err(),
        "v3 never began"
    );
    assert!(
        h.check_cut(&state(&[(0, 2)]), 0, 3).is_err(),
        "v2 never put key 0"
    );
    assert!(decode(b"w1k002", &value(1, 9, 2)).is_ok());
    assert!(
        decode(b"w1k002", &value(1, 9, 3)).is_err(),
        "value of another key"
    );
    assert!(decode(b"w1k002", b"w1.v9.k2.").is_err(), "wrong padding");
}
