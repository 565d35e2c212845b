//! The randomized model test: every memtable × compaction policy against a
//! `BTreeMap`, with snapshots, `compact_range`, reopens and simulated
//! machine crashes (`FaultEnv`) in the loop.
//!
//! After a crash, every write acknowledged with `sync = true` must be
//! present and the database must equal the model after some prefix of the
//! writes (no reordering, no half batch).
//!
//! A failure prints its case; rerun one case with
//! `STRATA_MODEL_SEED=<seed> cargo test -p strata-lsm --test model`.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BTreeMap;
use std::sync::Arc;
use strata_api::env::{FaultEnv, MemEnv, PosixEnv};
use strata_api::{Engine, KvIterator, ReadOptions, Snapshot, WriteBatch, WriteOptions};
use strata_lsm::compaction::CompactionKind;
use strata_lsm::memtable::MemTableKind;
use strata_lsm::{Db, DbOptions};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// One acknowledged write: the ops of a batch.
#[derive(Clone)]
struct Write {
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

fn apply(model: &mut Model, w: &Write) {
    for (k, v) in &w.ops {
        match v {
            Some(v) => {
                model.insert(k.clone(), v.clone());
            }
            None => {
                model.remove(k);
            }
        }
    }
}

fn options(env: &FaultEnv, case: &Case) -> DbOptions {
    let (memtable, compaction) = (case.memtable, case.compaction);
    DbOptions {
        partition_prefix_bytes: case.partition_prefix_bytes,
        env: Arc::new(env.clone()),
        create_if_missing: true,
        write_buffer_size: 4 << 10,
        max_file_size: 4 << 10,
        max_bytes_for_level_base: 16 << 10,
        block_size: 512,
        memtable,
        compaction,
        bloom_bits_per_key: Some(10),
        ..DbOptions::default()
    }
}

fn scan(db: &Db, snapshot: Option<&Snapshot>) -> Model {
    let opts = ReadOptions {
        snapshot: snapshot.cloned(),
        ..ReadOptions::default()
    };
    let mut it = db.iter(&opts).expect("iter");
    let mut out = Model::new();
    it.seek_to_first();
    while it.valid() {
        out.insert(it.key().to_vec(), it.value().to_vec());
        it.next();
    }
    it.status().expect("scan status");
    out
}

fn scan_backward(it: &mut dyn KvIterator) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    it.seek_to_last();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.prev();
    }
    out
}

fn random_key(rng: &mut Xoshiro256PlusPlus) -> Vec<u8> {
    format!("{:016}", rng.gen_range(0..600u32)).into_bytes()
}

fn random_value(rng: &mut Xoshiro256PlusPlus, serial: u64) -> Vec<u8> {
    let mut v = format!("v{serial}-").into_bytes();
    if rng.gen_range(0..16u32) == 0 {
        // Larger than a block, Snappy-compressible: alone in its block,
        // which compactions copy as stored.
        let len = rng.gen_range(520..1500usize);
        let letter = rng.gen_range(b'a'..=b'z');
        v.extend((0..len).map(|i| letter + (i % 7) as u8));
        return v;
    }
    let len = rng.gen_range(0..120usize);
    v.extend((0..len).map(|_| rng.gen_range(b'a'..=b'z')));
    v
}

struct Case {
    memtable: MemTableKind,
    compaction: CompactionKind,
    seed: u64,
    ops: usize,
    /// Run on the real file system (`PosixEnv` in a temporary directory:
    /// memory-mapped tables) instead of `MemEnv`.
    posix: bool,
    /// `DbOptions::partition_prefix_bytes` (0: cut tables by size only).
    partition_prefix_bytes: usize,
}

fn run_case(case: &Case) {
    eprintln!(
        "model case: memtable={} compaction={} seed={} ops={} env={} partition_prefix_bytes={}",
        case.memtable.name(),
        case.compaction.name(),
        case.seed,
        case.ops,
        if case.posix { "posix" } else { "mem" },
        case.partition_prefix_bytes
    );
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(case.seed);
    let tmp = tempfile::tempdir().expect("tempdir");
    let (env, dir) = if case.posix {
        (
            FaultEnv::new(Arc::new(PosixEnv::new())),
            tmp.path().join("db"),
        )
    } else {
        (FaultEnv::new(Arc::new(MemEnv::new())), "/db".into())
    };
    let open = || Db::open(options(&env, case), &dir).expect("open");
    let mut db = open();
    let mut model = Model::new();
    // Writes since the last point known durable, and the model there.
    let mut durable_model = Model::new();
    let mut since_durable: Vec<Write> = Vec::new();
    let mut synced_upto = 0usize;
    let mut snapshots: Vec<(Snapshot, Model)> = Vec::new();
    let mut serial = 0u64;
    let mut max_level_seen = 0usize;
    // Compactions over every incarnation of the database (counters restart
    // at each open).
    let mut compactions = 0u64;
    let mut buf = Vec::new();

    for step in 0..case.ops {
        let roll = rng.gen_range(0..1000u32);
        if std::env::var_os("STRATA_MODEL_TRACE").is_some() {
            eprintln!("step {step} roll {roll}");
        }
        match roll {
            0..=549 => {
                // A write: put, delete or batch.
                serial += 1;
                let n = if rng.gen_bool(0.2) {
                    rng.gen_range(1..8)
                } else {
                    1
                };
                let mut w = Write { ops: Vec::new() };
                let mut batch = WriteBatch::new();
                for _ in 0..n {
                    let k = random_key(&mut rng);
                    if rng.gen_bool(0.25) {
                        batch.delete(&k);
                        w.ops.push((k, None));
                    } else {
                        let v = random_value(&mut rng, serial);
                        batch.put(&k, &v);
                        w.ops.push((k, Some(v)));
                    }
                }
                let sync = rng.gen_bool(0.1);
                db.write(&WriteOptions { sync }, &batch).expect("write");
                apply(&mut model, &w);
                since_durable.push(w);
                if sync {
                    synced_upto = since_durable.len();
                }
            }
            550..=799 => {
                let k = random_key(&mut rng);
                let found = db
                    .get_into(&ReadOptions::default(), &k, &mut buf)
                    .expect("get");
                assert_eq!(
                    found.then_some(&buf),
                    model.get(&k),
                    "get {k:?} at step {step}"
                );
            }
            800..=839 => {
                let k = random_key(&mut rng);
                let mut it = db.iter(&ReadOptions::default()).expect("iter");
                it.seek(&k);
                let expect = model.range(k.clone()..).next();
                match expect {
                    Some((ek, ev)) => {
                        assert!(it.valid(), "seek {k:?} step {step}");
                        assert_eq!((it.key(), it.value()), (ek.as_slice(), ev.as_slice()));
                        it.prev();
                        let before = model.range(..k.clone()).next_back();
                        match before {
                            Some((bk, _)) => assert_eq!(it.key(), bk.as_slice(), "prev after seek"),
                            None => assert!(!it.valid()),
                        }
                    }
                    None => assert!(!it.valid(), "seek past end {k:?}"),
                }
            }
            840..=859 => {
                assert_eq!(scan(&db, None), model, "forward scan at step {step}");
                let mut it = db.iter(&ReadOptions::default()).expect("iter");
                let back = scan_backward(it.as_mut());
                let expect: Vec<_> = model
                    .iter()
                    .rev()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                assert_eq!(back, expect, "backward scan at step {step}");
            }
            860..=889 => {
                if snapshots.len() < 4 {
                    snapshots.push((db.snapshot(), model.clone()));
                } else {
                    let i = rng.gen_range(0..snapshots.len());
                    let (snap, m) = snapshots.swap_remove(i);
                    assert_eq!(&scan(&db, Some(&snap)), &m, "snapshot read at step {step}");
                    let k = random_key(&mut rng);
                    let at = ReadOptions {
                        snapshot: Some(snap),
                        ..ReadOptions::default()
                    };
                    assert_eq!(db.get(&at, &k).expect("get").as_ref(), m.get(&k));
                }
            }
            890..=909 => {
                let a = random_key(&mut rng);
                let b = random_key(&mut rng);
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                db.compact_range(Some(&lo), Some(&hi))
                    .expect("compact_range");
            }
            910..=929 => {
                // Clean reopen: everything acknowledged survives.
                snapshots.clear();
                compactions += db.metrics().compactions;
                drop(db);
                db = open();
                assert_eq!(scan(&db, None), model, "after reopen at step {step}");
                durable_model = model.clone();
                since_durable.clear();
                synced_upto = 0;
            }
            _ => {
                // Machine crash.
                snapshots.clear();
                env.crash().expect("crash");
                compactions += db.metrics().compactions;
                drop(db);
                env.restart();
                db = open();
                let recovered = scan(&db, None);
                let mut candidate = durable_model.clone();
                let mut matched = None;
                for (p, w) in since_durable.iter().enumerate() {
                    if p >= synced_upto && candidate == recovered {
                        matched = Some(p);
                        break;
                    }
                    apply(&mut candidate, w);
                }
                if matched.is_none() && candidate == recovered {
                    matched = Some(since_durable.len());
                }
                let Some(p) = matched else {
                    panic!(
                        "after crash at step {step}: state is no prefix of the writes with all {synced_upto} synced ones (of {})",
                        since_durable.len()
                    );
                };
                // Writes after the prefix are lost; continue from there.
                model = recovered;
                durable_model = model.clone();
                since_durable.clear();
                synced_upto = 0;
                let _ = p;
            }
        }
        for level in (1..7).rev() {
            let n: usize = db
                .property(&format!("leveldb.num-files-at-level{level}"))
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if n > 0 {
                max_level_seen = max_level_seen.max(level);
                break;
            }
        }
    }
    db.wait_for_background().expect("background");
    assert_eq!(scan(&db, None), model, "final scan");
    compactions += db.metrics().compactions;
    let stats = db.property("leveldb.stats").unwrap_or_default();
    if case.compaction.keeps_runs_in_level0() {
        // Tiered policies keep runs in level 0 (lazy leveling adds one
        // leveled level 1): the run must have merged runs repeatedly and
        // never gone below level 1.
        assert!(
            compactions >= 3 && max_level_seen <= 1,
            "{}: expected >= 3 compactions and no level beyond 1 (got {compactions}, level {max_level_seen}):\n{stats}",
            case.compaction.name()
        );
        if case.compaction.name() == "lazy_leveled" {
            assert_eq!(max_level_seen, 1, "lazy leveling fills level 1:\n{stats}");
        }
    } else {
        assert!(
            max_level_seen >= 2,
            "the run should reach level 2 (reached {max_level_seen}):\n{stats}"
        );
    }
}

fn cases() -> Vec<Case> {
    let only: Option<u64> = std::env::var("STRATA_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok());
    let seeds: Vec<u64> = match only {
        Some(s) => vec![s],
        None => vec![1, 2, 3],
    };
    let mut out = Vec::new();
    for &memtable in MemTableKind::ALL {
        for &compaction in CompactionKind::ALL {
            for &seed in &seeds {
                out.push(Case {
                    memtable,
                    compaction,
                    seed,
                    ops: 4000,
                    posix: false,
                    partition_prefix_bytes: 0,
                });
            }
            // One case per pair on the real file system, where tables are
            // memory-mapped and crashes cut files on disk.
            out.push(Case {
                memtable,
                compaction,
                seed: seeds[0] + 100,
                ops: 4000,
                posix: true,
                partition_prefix_bytes: 0,
            });
        }
    }
    // Tables cut where the key's first 14 bytes change (keys are 16
    // digits below 600: six families of 100 keys); leveled only, the one
    // policy that takes a partition prefix.
    for (seed, posix) in [(seeds[0] + 200, false), (seeds[0] + 300, true)] {
        out.push(Case {
            memtable: MemTableKind::ALL[0],
            compaction: CompactionKind::Leveled,
            seed,
            ops: 4000,
            posix,
            partition_prefix_bytes: 14,
        });
    }
    out
}

#[test]
fn model_every_memtable_and_policy_with_crashes() {
    for case in cases() {
        run_case(&case);
    }
}
