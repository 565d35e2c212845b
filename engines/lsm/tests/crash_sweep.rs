//! The crash-point sweep: a deterministic workload on `Db` over
//! `FaultEnv(MemEnv)` makes N mutating Env calls; then, for EVERY k in
//! 1..=N (not a sample):
//! - **crash after call k** (`crash_sweep_every_call`): the env freezes
//!   once call k has run, the machine crashes (unsynced bytes dropped,
//!   directory changes never synced undone), the database reopens;
//! - the same with **torn tails** (`torn_tail_sweep_every_call`): a random
//!   prefix of each file's unsynced bytes survives, then garbage or zeros;
//! - **fail call k** (`failed_call_sweep_every_call`): only call k fails
//!   (EIO), the workload goes on (errors expected; after a failed log or
//!   MANIFEST sync every write must fail until reopen), then the database
//!   is closed and reopened; and the same with a machine crash before the
//!   reopen (`failed_call_then_crash_sweep_every_call`).
//!
//! After each, the database MUST open, and hold exactly the state after
//! some prefix of the attempted writes that includes every write known
//! durable (acknowledged with `sync`, or followed by an acknowledged empty
//! `sync` batch, a successful `flush`/`compact_range`, or a successful
//! open); a write whose call failed may or may not be in it; nothing else.
//! Without a crash, every acknowledged write must be in it.
//!
//! The workload waits for background work after each step and flushes
//! explicitly (the write buffer never fills), so the order of Env calls is
//! the same in every run: call k is the same call in the recording and in
//! the sweep (checked). So no write runs while a flush is in progress: the
//! window between a memtable switch and the flush's MANIFEST commit is
//! left to `concurrency_faults.rs`.
//!
//! `STRATA_CRASH_SWEEP_SEED=<n>` picks another workload.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use strata_api::env::{CallRecord, CrashMode, FaultEnv, FaultKind, FaultOp, MemEnv};
use strata_api::{Engine, ReadOptions, WriteBatch, WriteOptions};
use strata_lsm::{Db, DbOptions};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;
type Ops = Vec<(Vec<u8>, Option<Vec<u8>>)>;

const DEFAULT_SEED: u64 = 14;
/// Writes in the workload; sized so the sweep has over 1,000 crash points
/// and the three sweeps fit the test budget.
const WRITES: usize = 150;

#[derive(Clone, Debug)]
enum Step {
    Write {
        ops: Ops,
        sync: bool,
    },
    Flush,
    Compact {
        begin: Option<Vec<u8>>,
        end: Option<Vec<u8>>,
    },
    Reopen,
}

fn seed() -> u64 {
    std::env::var("STRATA_CRASH_SWEEP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

fn key(i: u32) -> Vec<u8> {
    format!("key{i:04}").into_bytes()
}

/// The workload: opens, then writes (puts, deletes, batches, empty sync
/// batches; a quarter synced) with a flush every dozen writes, a
/// `compact_range` every 40 and a reopen (a new MANIFEST) at each
/// quarter.
fn workload(seed: u64) -> Vec<Step> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut steps = vec![Step::Reopen];
    let mut serial = 0u32;
    for i in 1..=WRITES {
        let ops: Ops = if rng.gen_bool(0.04) {
            Vec::new()
        } else {
            let n = if rng.gen_bool(0.2) {
                rng.gen_range(2..6)
            } else {
                1
            };
            (0..n)
                .map(|_| {
                    serial += 1;
                    let k = key(rng.gen_range(0..120));
                    if rng.gen_bool(0.15) {
                        (k, None)
                    } else {
                        let len = rng.gen_range(8..60);
                        let mut v = format!("v{serial}:").into_bytes();
                        v.extend((0..len).map(|_| rng.gen_range(b'a'..=b'z')));
                        (k, Some(v))
                    }
                })
                .collect()
        };
        let sync = ops.is_empty() || rng.gen_bool(0.25);
        steps.push(Step::Write { ops, sync });
        if i % 12 == 0 {
            steps.push(Step::Flush);
        }
        if i % 40 == 0 {
            let a = rng.gen_range(0..120);
            let b = rng.gen_range(a..120);
            steps.push(Step::Compact {
                begin: Some(key(a)),
                end: Some(key(b)),
            });
        }
        if i % (WRITES / 4) == 0 && i < WRITES {
            steps.push(Step::Reopen);
        }
    }
    steps.push(Step::Compact {
        begin: None,
        end: None,
    });
    steps
}

fn options(env: &FaultEnv) -> DbOptions {
    DbOptions {
        env: Arc::new(env.clone()),
        create_if_missing: true,
        // Never filled: memtables switch only at `flush`, so that no
        // background flush runs concurrently with a write.
        write_buffer_size: 1 << 20,
        max_file_size: 1 << 10,
        max_bytes_for_level_base: 2 << 10,
        block_size: 256,
        // The sweep replays one recorded sequence of Env calls, so it must
        // be deterministic: merges split across threads interleave their
        // calls at random. Subcompactions meet crashes and failed calls in
        // concurrency_faults.rs and the model test instead.
        max_subcompactions: 1,
        // Likewise the purge thread's deletes interleave with the
        // background thread's calls; it meets crashes in
        // concurrency_faults.rs and the model test.
        background_file_deletes: false,
        ..DbOptions::default()
    }
}

fn batch(ops: &Ops) -> WriteBatch {
    let mut b = WriteBatch::new();
    for (k, v) in ops {
        match v {
            Some(v) => b.put(k, v),
            None => b.delete(k),
        }
    }
    b
}

fn scan(db: &Db) -> Result<Model, String> {
    let mut it = db
        .iter(&ReadOptions::default())
        .map_err(|e| format!("iter: {e}"))?;
    let mut out = Model::new();
    it.seek_to_first();
    while it.valid() {
        out.insert(it.key().to_vec(), it.value().to_vec());
        it.next();
    }
    it.status().map_err(|e| format!("scan: {e}"))?;
    Ok(out)
}

fn apply(model: &mut Model, ops: &Ops) {
    for (k, v) in ops {
        match v {
            Some(v) => model.insert(k.clone(), v.clone()),
            None => model.remove(k),
        };
    }
}

/// One write attempted since the last verified open.
struct Attempt {
    step: usize,
    ops: Ops,
    acked: bool,
}

/// What the database may hold: the state verified at the last open, the
/// writes attempted since, and how many of them must be in.
#[derive(Default)]
struct Ledger {
    base: Model,
    writes: Vec<Attempt>,
    /// `writes[..durable]` must be in (failed ones among them may not).
    durable: usize,
}

/// A candidate state while checking, with its number of keys that differ
/// from the state found.
#[derive(Clone)]
struct Candidate {
    model: Model,
    mismatches: usize,
}

impl Candidate {
    fn apply(&mut self, ops: &Ops, got: &Model) {
        for (k, v) in ops {
            let before = self.model.get(k) != got.get(k);
            match v {
                Some(v) => self.model.insert(k.clone(), v.clone()),
                None => self.model.remove(k),
            };
            let after = self.model.get(k) != got.get(k);
            match (before, after) {
                (true, false) => self.mismatches -= 1,
                (false, true) => self.mismatches += 1,
                _ => {}
            }
        }
    }
}

impl Ledger {
    fn attempted(&mut self, step: usize, ops: &Ops, acked: bool, sync: bool) {
        self.writes.push(Attempt {
            step,
            ops: ops.clone(),
            acked,
        });
        if acked && sync {
            self.durable = self.writes.len();
        }
    }

    /// Everything attempted so far is durable (a flush or compaction
    /// succeeded).
    fn barrier(&mut self) {
        self.durable = self.writes.len();
    }

    /// How many writes must be in without a crash: up to the last
    /// acknowledged one.
    fn all_acked(&self) -> usize {
        self.writes
            .iter()
            .rposition(|w| w.acked)
            .map_or(self.durable, |i| (i + 1).max(self.durable))
    }

    fn rebase(&mut self, got: Model) {
        *self = Ledger {
            base: got,
            ..Ledger::default()
        };
    }

    /// Checks that `got` is the state after `writes[..p]` for some
    /// `p >= must`, each failed write in or out; returns `p`.
    ///
    /// Candidates branch at each failed write; a candidate is dropped as
    /// soon as a key no later write touches differs from `got`.
    fn check(&self, got: &Model, must: usize) -> Result<usize, String> {
        let mut last_touch: HashMap<&[u8], usize> = HashMap::new();
        for (i, w) in self.writes.iter().enumerate() {
            for (k, _) in &w.ops {
                last_touch.insert(k, i);
            }
        }
        let keys: BTreeSet<&Vec<u8>> = self.base.keys().chain(got.keys()).collect();
        let mismatches = keys
            .iter()
            .filter(|k| self.base.get(**k) != got.get(**k))
            .count();
        if let Some(k) = keys
            .iter()
            .find(|k| !last_touch.contains_key(k.as_slice()) && self.base.get(**k) != got.get(**k))
        {
            return Err(format!(
                "key {} (written by none of the {} writes since the last open) is {:?}, was {:?}",
                String::from_utf8_lossy(k),
                self.writes.len(),
                got.get(*k).map(|v| String::from_utf8_lossy(v).into_owned()),
                self.base
                    .get(*k)
                    .map(|v| String::from_utf8_lossy(v).into_owned()),
            ));
        }
        let mut finalized: Vec<Vec<&[u8]>> = vec![Vec::new(); self.writes.len()];
        for (k, &i) in &last_touch {
            finalized[i].push(k);
        }
        let mut candidates = vec![Candidate {
            model: self.base.clone(),
            mismatches,
        }];
        let fits = |p: usize, candidates: &[Candidate]| {
            p >= must && candidates.iter().any(|c| c.mismatches == 0)
        };
        for (p, (w, done)) in self.writes.iter().zip(&finalized).enumerate() {
            if fits(p, &candidates) {
                return Ok(p);
            }
            let mut next = Vec::with_capacity(candidates.len() * 2);
            for c in candidates {
                if !w.acked {
                    next.push(c.clone());
                }
                let mut applied = c;
                applied.apply(&w.ops, got);
                next.push(applied);
            }
            next.retain(|c| done.iter().all(|k| c.model.get(*k) == got.get(*k)));
            let mut unique: Vec<Candidate> = Vec::new();
            for c in next {
                if !unique.iter().any(|u| u.model == c.model) {
                    unique.push(c);
                }
            }
            assert!(unique.len() <= 256, "too many candidate states");
            candidates = unique;
            if candidates.is_empty() {
                return Err(self.explain(got, must, p));
            }
        }
        if fits(self.writes.len(), &candidates) {
            return Ok(self.writes.len());
        }
        Err(self.explain(got, must, self.writes.len()))
    }

    /// Describes how `got` differs from the state with every write up to
    /// `must` applied.
    fn explain(&self, got: &Model, must: usize, dead_at: usize) -> String {
        let mut expect = self.base.clone();
        for w in &self.writes[..must.min(self.writes.len())] {
            apply(&mut expect, &w.ops);
        }
        let keys: BTreeSet<&Vec<u8>> = expect.keys().chain(got.keys()).collect();
        let diffs: Vec<String> = keys
            .into_iter()
            .filter(|k| expect.get(*k) != got.get(*k))
            .take(5)
            .map(|k| {
                let show = |v: Option<&Vec<u8>>| {
                    v.map_or("<absent>".to_string(), |v| {
                        String::from_utf8_lossy(&v[..v.len().min(12)]).into_owned()
                    })
                };
                format!(
                    "{}: found {} expected {}",
                    String::from_utf8_lossy(k),
                    show(got.get(k)),
                    show(expect.get(k))
                )
            })
            .collect();
        let failed = self.writes.iter().filter(|w| !w.acked).count();
        format!(
            "state is no prefix of the {} writes since the last open that holds the first {must} \
             ({failed} failed; no candidate left after write {dead_at}, step {}); vs the first {must}: {}",
            self.writes.len(),
            self.writes.get(dead_at).map_or(0, |w| w.step),
            diffs.join("; ")
        )
    }
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    None,
    CrashAfter(u64, CrashMode),
    Fail { call: u64, crash: bool },
}

/// What a fault-free run saw (the recording).
#[derive(Default)]
struct Recording {
    calls: Vec<CallRecord>,
    max_level: usize,
    levels_with_files: BTreeSet<usize>,
    manifests: usize,
    writes: usize,
    synced_writes: usize,
}

fn is_log_or_manifest(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.ends_with(".log") || name.starts_with("MANIFEST-")
}

fn open(env: &FaultEnv) -> strata_api::Result<Db> {
    let db = Db::open(options(env), "/db")?;
    db.wait_for_background()?;
    Ok(db)
}

/// Runs the workload under `fault`, then closes, crashes as `fault` says,
/// reopens and checks.
fn run(
    steps: &[Step],
    fault: Fault,
    expected: Option<&[CallRecord]>,
    record: Option<&mut Recording>,
) -> Result<(), String> {
    let env_seed = match fault {
        Fault::CrashAfter(k, _) => k,
        _ => 0,
    };
    let env = FaultEnv::with_seed(Arc::new(MemEnv::new()), env_seed);
    let recording = record.is_some();
    env.record_calls(true);
    match fault {
        Fault::None => {}
        Fault::CrashAfter(k, mode) => {
            env.set_crash_mode(mode);
            env.crash_after_call(k);
        }
        Fault::Fail { call, .. } => env.fail_call(call, FaultKind::Eio),
    }
    let mut ledger = Ledger::default();
    let mut db: Option<Db> = None;
    // A log or MANIFEST sync failed in this incarnation: writes must fail.
    let mut sync_failed = false;
    let mut injected_seen = 0;
    let mut stats = Recording::default();
    let failed_sync_since = |seen: &mut usize| {
        let injected = env.injected();
        let hit = injected[*seen..]
            .iter()
            .any(|c| c.op == FaultOp::Sync && is_log_or_manifest(&c.path));
        *seen = injected.len();
        hit
    };
    for (i, step) in steps.iter().enumerate() {
        if env.is_down() {
            break;
        }
        match step {
            Step::Reopen => {
                drop(db.take());
                failed_sync_since(&mut injected_seen);
                sync_failed = false;
                match open(&env) {
                    Ok(d) if !env.is_down() => {
                        let got = scan(&d).map_err(|e| format!("step {i}: after open: {e}"))?;
                        ledger
                            .check(&got, ledger.all_acked())
                            .map_err(|e| format!("step {i}: reopen without a crash: {e}"))?;
                        ledger.rebase(got);
                        db = Some(d);
                    }
                    Ok(_) => break,
                    Err(_) if env.is_down() => break,
                    Err(e) if matches!(fault, Fault::None) => {
                        return Err(format!("step {i}: open failed without a fault: {e}"))
                    }
                    Err(_) => {}
                }
            }
            Step::Write { ops, sync } => {
                let Some(d) = &db else { continue };
                let r = d.write(&WriteOptions { sync: *sync }, &batch(ops));
                let _ = d.wait_for_background();
                if r.is_ok() && sync_failed && (*sync || !ops.is_empty()) {
                    return Err(format!(
                        "step {i}: a write was acknowledged after a log or MANIFEST sync failed"
                    ));
                }
                ledger.attempted(i, ops, r.is_ok(), *sync);
                stats.writes += 1;
                stats.synced_writes += usize::from(*sync && r.is_ok());
            }
            Step::Flush => {
                let Some(d) = &db else { continue };
                let r = d.flush();
                let _ = d.wait_for_background();
                if r.is_ok() {
                    ledger.barrier();
                }
            }
            Step::Compact { begin, end } => {
                let Some(d) = &db else { continue };
                let r = d.compact_range(begin.as_deref(), end.as_deref());
                let _ = d.wait_for_background();
                if r.is_ok() {
                    ledger.barrier();
                }
            }
        }
        if failed_sync_since(&mut injected_seen) {
            sync_failed = true;
        }
        if let (Some(d), true) = (&db, recording) {
            for level in 0..7 {
                let n: usize = d
                    .property(&format!("leveldb.num-files-at-level{level}"))
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                if n > 0 {
                    stats.levels_with_files.insert(level);
                    stats.max_level = stats.max_level.max(level);
                }
            }
        }
    }
    drop(db.take());
    if let Some(expected) = expected {
        same_calls_up_to_fault(&env.calls(), expected, fault)?;
    }
    let crashed = match fault {
        Fault::None => false,
        Fault::CrashAfter(k, _) => {
            if !env.is_down() {
                return Err(format!(
                    "the crash point {k} was not reached ({} calls made): the workload's calls are not deterministic",
                    env.mutating_calls()
                ));
            }
            true
        }
        Fault::Fail { call, crash } => {
            let injected = env.injected();
            if injected.len() != 1 || injected[0].index != call {
                return Err(format!(
                    "call {call} was to fail once; injected: {injected:?} (the workload's calls are not deterministic?)"
                ));
            }
            crash
        }
    };
    if crashed {
        env.crash().map_err(|e| format!("crash: {e}"))?;
    }
    env.restart();
    env.clear_fault();
    if let Some(rec) = record {
        stats.calls = env.calls();
        stats.manifests = stats
            .calls
            .iter()
            .filter(|c| c.op == FaultOp::Create && c.path.to_string_lossy().contains("MANIFEST-"))
            .count();
        *rec = stats;
    }
    let db = open(&env).map_err(|e| format!("the database must open: {e}"))?;
    let got = scan(&db)?;
    let must = if crashed {
        ledger.durable
    } else {
        ledger.all_acked()
    };
    ledger.check(&got, must)?;
    // Still usable: a synced write goes through and reads back.
    db.put(&WriteOptions { sync: true }, b"zz-after", b"reopened")
        .map_err(|e| format!("write after reopen: {e}"))?;
    match db.get(&ReadOptions::default(), b"zz-after") {
        Ok(Some(v)) if v == b"reopened" => Ok(()),
        other => Err(format!("read after reopen: {other:?}")),
    }
}

/// Checks that the calls up to the faulty one are those of the recording
/// (so that call k is the same call in both).
fn same_calls_up_to_fault(
    calls: &[CallRecord],
    expected: &[CallRecord],
    fault: Fault,
) -> Result<(), String> {
    let upto = match fault {
        Fault::None => 0,
        Fault::CrashAfter(k, _) => k,
        Fault::Fail { call, .. } => call,
    } as usize;
    let same =
        |a: &CallRecord, b: &CallRecord| a.index == b.index && a.op == b.op && a.path == b.path;
    let first_difference = calls
        .iter()
        .zip(expected)
        .take(upto)
        .position(|(a, b)| !same(a, b));
    if calls.len() < upto || first_difference.is_some() {
        return Err(format!(
            "the Env calls before the fault differ from the recording ({} made, first difference at {first_difference:?}): the workload is not deterministic",
            calls.len()
        ));
    }
    Ok(())
}

fn record(steps: &[Step]) -> Recording {
    let mut rec = Recording::default();
    run(steps, Fault::None, None, Some(&mut rec))
        .expect("the fault-free run passes its own checks");
    rec
}

fn describe(rec: &Recording, k: u64) -> String {
    rec.calls
        .iter()
        .find(|c| c.index == k)
        .map_or(format!("call {k}"), |c| {
            format!("call {k} ({:?} {})", c.op, c.path.display())
        })
}

/// Runs `fault_at(k)` for every k in 1..=N; prints the tally and panics
/// listing the failures, if any.
fn sweep(name: &str, fault_at: impl Fn(u64) -> Fault) {
    let seed = seed();
    let steps = workload(seed);
    let start = Instant::now();
    let rec = record(&steps);
    let n = rec.calls.last().map_or(0, |c| c.index);
    assert_eq!(
        n as usize,
        rec.calls.len(),
        "every mutating call is recorded"
    );
    assert!(
        rec.levels_with_files.len() >= 3 && rec.max_level >= 2,
        "the workload must compact into at least three levels (saw {:?})",
        rec.levels_with_files
    );
    assert!(
        rec.manifests >= 3,
        "the MANIFEST must roll (saw {})",
        rec.manifests
    );
    let mut by_op: BTreeMap<String, usize> = BTreeMap::new();
    for c in &rec.calls {
        *by_op.entry(format!("{:?}", c.op)).or_default() += 1;
    }
    let mut failures = Vec::new();
    for k in 1..=n {
        if let Err(e) = run(&steps, fault_at(k), Some(&rec.calls), None) {
            failures.push(format!("{name} at {}: {e}", describe(&rec, k)));
        }
    }
    eprintln!(
        "{name}: {n} points, {} failures (seed {seed}; workload: {} writes, {} synced, {} MANIFESTs, levels {:?}; calls {by_op:?}; {:.1} s)",
        failures.len(),
        rec.writes,
        rec.synced_writes,
        rec.manifests,
        rec.levels_with_files,
        start.elapsed().as_secs_f64()
    );
    for f in failures.iter().take(12) {
        eprintln!("  {f}");
    }
    assert!(
        failures.is_empty(),
        "{name}: {} of {n} points failed (seed {seed}); first: {}",
        failures.len(),
        failures[0]
    );
}

#[test]
fn crash_sweep_every_call() {
    sweep("crash sweep", |k| {
        Fault::CrashAfter(k, CrashMode::DropUnsynced)
    });
}

#[test]
fn torn_tail_sweep_every_call() {
    sweep("torn-tail crash sweep", |k| {
        Fault::CrashAfter(k, CrashMode::TornTail)
    });
}

#[test]
fn failed_call_sweep_every_call() {
    sweep("failed-call sweep", |k| Fault::Fail {
        call: k,
        crash: false,
    });
}

#[test]
fn failed_call_then_crash_sweep_every_call() {
    sweep("failed-call-then-crash sweep", |k| Fault::Fail {
        call: k,
        crash: true,
    });
}

#[test]
fn the_checker_rejects_lost_synced_and_invented_writes() {
    let w = |k: &str, v: &str| vec![(k.as_bytes().to_vec(), Some(v.as_bytes().to_vec()))];
    let mut l = Ledger::default();
    l.attempted(1, &w("a", "1"), true, false);
    l.attempted(2, &w("b", "1"), true, true);
    l.attempted(3, &w("a", "2"), false, false);
    l.attempted(4, &w("c", "1"), true, false);
    let state = |pairs: &[(&str, &str)]| -> Model {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    };
    assert_eq!(l.check(&state(&[("a", "1"), ("b", "1")]), l.durable), Ok(2));
    assert_eq!(
        l.check(&state(&[("a", "1"), ("b", "1"), ("c", "1")]), l.durable),
        Ok(4),
        "the failed write may be out"
    );
    assert_eq!(
        l.check(&state(&[("a", "2"), ("b", "1")]), l.durable),
        Ok(3),
        "or in"
    );
    assert!(
        l.check(&state(&[("a", "1")]), l.durable).is_err(),
        "synced b lost"
    );
    assert!(
        l.check(&state(&[("a", "1"), ("c", "1")]), 0).is_err(),
        "c without b is no prefix"
    );
    assert!(
        l.check(&state(&[("a", "1"), ("b", "1"), ("d", "9")]), l.durable)
            .is_err(),
        "d was never written"
    );
    assert!(
        l.check(&state(&[("a", "1"), ("b", "1")]), l.all_acked())
            .is_err(),
        "without a crash c must be in"
    );
}
