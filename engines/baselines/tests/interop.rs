//! On-disk compatibility with LevelDB 1.23, both ways: a database written by
//! strata's engine opens and reads back exactly in the real LevelDB (through
//! the FFI of this crate), and one written by LevelDB opens and reads back
//! exactly in strata. Each direction spans several levels, overwrites and
//! deletes, and checks every model key by point read, absent keys, and full
//! forward and backward scans against a `BTreeMap` model.
#![cfg(feature = "leveldb")]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use strata_api::{Engine, EngineSpec, PosixEnv, ReadOptions, WriteBatch, WriteOptions};
use strata_lsm::table::CompressionType;
use strata_lsm::{Db, DbOptions};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn key(i: u32) -> Vec<u8> {
    format!("key{i:013}").into_bytes()
}

/// A value of 40..400 bytes: half a repeated pattern (compressible), half
/// random bytes, so Snappy has real work and a misread shows.
fn value(rng: &mut StdRng, i: u32, round: u32) -> Vec<u8> {
    let len = rng.gen_range(40..400usize);
    let mut v = format!("{round}:{i}:").repeat(len / 2 / 8 + 1).into_bytes();
    v.truncate(len / 2);
    v.extend((0..len - v.len()).map(|_| rng.gen::<u8>()));
    v
}

/// Writes `n` keys in rounds of batches, with overwrites and deletes, into
/// `db` and `model`. Keys ascend in round 0 (so that LevelDB places early
/// flushes deep), then are hit at random.
fn load(db: &dyn Engine, model: &mut Model, rng: &mut StdRng, n: u32, rounds: u32) {
    let w = WriteOptions::default();
    let mut batch = WriteBatch::new();
    for round in 0..rounds {
        for j in 0..n {
            let i = if round == 0 {
                j
            } else {
                rng.gen_range(0..n + n / 10)
            };
            let k = key(i);
            if round > 0 && rng.gen_ratio(1, 4) {
                batch.delete(&k);
                model.remove(&k);
            } else {
                let v = value(rng, i, round);
                batch.put(&k, &v);
                model.insert(k, v);
            }
            if batch.count() >= 50 {
                db.write(&w, &batch).expect("write batch");
                batch.clear();
            }
        }
    }
    db.write(&w, &batch).expect("write batch");
}

/// Every model key by point read, absent keys, and full scans both ways.
fn verify(db: &dyn Engine, model: &Model, n: u32, who: &str) {
    let r = ReadOptions::default();
    let mut buf = Vec::new();
    for (k, v) in model {
        let found = db.get_into(&r, k, &mut buf).expect("get");
        assert!(found, "{who}: {} missing", String::from_utf8_lossy(k));
        assert!(
            buf == *v,
            "{who}: {} has a wrong value",
            String::from_utf8_lossy(k)
        );
    }
    let absent = (0..n + n / 10 + 50)
        .map(key)
        .filter(|k| !model.contains_key(k))
        .chain([
            b"".to_vec(),
            b"kex".to_vec(),
            b"key9".to_vec(),
            b"zzz".to_vec(),
        ]);
    for k in absent {
        assert!(
            db.get(&r, &k).expect("get absent").is_none(),
            "{who}: deleted or never-written {} is visible",
            String::from_utf8_lossy(&k)
        );
    }
    let mut it = db.iter(&r).expect("iter");
    it.seek_to_first();
    let mut expected = model.iter();
    while it.valid() {
        let (k, v) = expected.next().unwrap_or_else(|| {
            panic!(
                "{who}: scan has extra {}",
                String::from_utf8_lossy(it.key())
            )
        });
        assert_eq!(it.key(), &k[..], "{who}: forward scan key");
        assert!(it.value() == &v[..], "{who}: forward scan value of {k:?}");
        it.next();
    }
    it.status().expect("forward scan status");
    assert!(expected.next().is_none(), "{who}: forward scan ended early");
    it.seek_to_last();
    let mut expected = model.iter().rev();
    while it.valid() {
        let (k, _) = expected.next().expect("backward scan has extra keys");
        assert_eq!(it.key(), &k[..], "{who}: backward scan key");
        it.prev();
    }
    it.status().expect("backward scan status");
    assert!(
        expected.next().is_none(),
        "{who}: backward scan ended early"
    );
}

fn files_per_level(db: &dyn Engine) -> Vec<u64> {
    (0..7)
        .map(|l| {
            db.property(&format!("leveldb.num-files-at-level{l}"))
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0)
        })
        .collect()
}

fn strata_options(compression: CompressionType, bloom: Option<u32>) -> DbOptions {
    DbOptions {
        env: Arc::new(PosixEnv::new()),
        create_if_missing: true,
        compression,
        bloom_bits_per_key: bloom,
        write_buffer_size: 64 << 10,
        max_file_size: 64 << 10,
        max_bytes_for_level_base: 256 << 10,
        ..DbOptions::default()
    }
}

fn open_leveldb(spec: &str, dir: &Path) -> Arc<dyn Engine> {
    let spec = EngineSpec::parse(spec).expect("spec");
    strata_baselines::open_leveldb(&spec, dir).expect("LevelDB 1.23 opens the database")
}

fn strata_to_leveldb(compression: CompressionType, bloom: Option<u32>, seed: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model = Model::new();
    let n = 6000;
    {
        let db = Db::open(strata_options(compression, bloom), dir.path()).expect("strata opens");
        load(&db, &mut model, &mut rng, n, 3);
        db.wait_for_background().expect("settle");
        let levels = files_per_level(&db);
        assert!(
            levels[2..].iter().sum::<u64>() > 0 && levels.iter().filter(|&&f| f > 0).count() >= 2,
            "strata should have filled several levels, down to level 2 or deeper: {levels:?}"
        );
        // More updates after the last flush stay in strata's WAL, which
        // LevelDB must replay.
        load(&db, &mut model, &mut rng, 300, 2);
        verify(&db, &model, n, "strata before handing over");
    }
    let spec = match bloom {
        Some(bits) => format!("leveldb:bloom_bits={bits}"),
        None => "leveldb".to_string(),
    };
    let db = open_leveldb(&spec, dir.path());
    verify(db.as_ref(), &model, n, "LevelDB reading strata's database");
    // LevelDB can keep working on it: compact everything and read again.
    db.compact_range(None, None).expect("compact");
    verify(
        db.as_ref(),
        &model,
        n,
        "LevelDB after compacting strata's tables",
    );
}

#[test]
fn strata_database_with_snappy_reads_back_in_leveldb() {
    strata_to_leveldb(CompressionType::Snappy, None, 1);
}

#[test]
fn strata_database_without_compression_reads_back_in_leveldb() {
    strata_to_leveldb(CompressionType::None, None, 2);
}

#[test]
fn strata_bloom_filters_are_read_by_leveldb() {
    strata_to_leveldb(CompressionType::Snappy, Some(10), 3);
}

fn leveldb_to_strata(spec: &str, seed: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model = Model::new();
    let n = 6000;
    {
        let db = open_leveldb(spec, dir.path());
        // Round 0 ascends: flushes that overlap nothing go straight to level 2;
        // later rounds overwrite and delete at random into levels 0 and 1.
        load(db.as_ref(), &mut model, &mut rng, n, 1);
        load(db.as_ref(), &mut model, &mut rng, n, 2);
        db.compact_range(Some(&key(0)), Some(&key(n / 4)))
            .expect("compact part");
        load(db.as_ref(), &mut model, &mut rng, n / 3, 2);
        let levels = files_per_level(db.as_ref());
        assert!(
            levels[2..].iter().sum::<u64>() > 0 && levels.iter().filter(|&&f| f > 0).count() >= 2,
            "LevelDB should have filled several levels: {levels:?}"
        );
        // Unflushed updates stay in LevelDB's log for strata to replay.
        load(db.as_ref(), &mut model, &mut rng, 200, 2);
        verify(db.as_ref(), &model, n, "LevelDB before handing over");
    }
    let options = DbOptions {
        env: Arc::new(PosixEnv::new()),
        paranoid_checks: true,
        ..DbOptions::default()
    };
    let db = Db::open(options, dir.path()).expect("strata opens LevelDB's database");
    verify(&db, &model, n, "strata reading LevelDB's database");
    db.compact_range(None, None).expect("compact");
    verify(&db, &model, n, "strata after compacting LevelDB's tables");
}

#[test]
fn leveldb_database_with_snappy_reads_back_in_strata() {
    leveldb_to_strata(
        "leveldb:write_buffer_size=64K,compression=snappy,bloom_bits=10",
        4,
    );
}

#[test]
fn leveldb_database_without_compression_reads_back_in_strata() {
    leveldb_to_strata("leveldb:write_buffer_size=64K,compression=none", 5);
}

/// Copies every file of `from` but its LOCK into `to`: what a process
/// crash of the engine running in `from` leaves on disk.
fn crash_image(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        if entry.file_name() != "LOCK" {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

#[test]
fn a_crash_image_of_strata_with_its_mapped_wal_reads_back_in_leveldb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let live = dir.path().join("live");
    let image = dir.path().join("image");
    let mut rng = StdRng::seed_from_u64(4);
    let mut model = Model::new();
    let n = 3000;
    let db = Db::open(strata_options(CompressionType::Snappy, None), &live).expect("strata opens");
    load(&db, &mut model, &mut rng, n, 2);
    db.wait_for_background().expect("settle");
    // The last updates live only in the WAL, whose mapped region runs past
    // them in zeros until the log is closed.
    load(&db, &mut model, &mut rng, 300, 1);
    // Those writes may have filled the memtable: let its flush (which deletes
    // the old log) finish, so the copy below sees a directory at rest rather
    // than racing a file's deletion.
    db.wait_for_background().expect("settle after the tail");
    let log_tail_zeros = std::fs::read_dir(&live)
        .expect("read_dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
        .any(|e| std::fs::read(e.path()).is_ok_and(|b| b.last() == Some(&0)));
    assert!(
        log_tail_zeros,
        "the open WAL should end in its preallocated zeros"
    );
    crash_image(&live, &image);
    let leveldb = open_leveldb("leveldb", &image);
    verify(
        leveldb.as_ref(),
        &model,
        n,
        "LevelDB reading strata's crash image",
    );
    drop(leveldb);
    drop(db);
}
