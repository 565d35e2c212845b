//! Behaviour tests every baseline wrapper must pass, run against LevelDB
//! 1.23 (feature `leveldb`) and `rusty-leveldb` (feature `rusty-leveldb`).
#![cfg(any(feature = "leveldb", feature = "rusty-leveldb"))]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use strata_api::{Engine, EngineSpec, KvIterator, ReadOptions, Result, WriteBatch, WriteOptions};

type Opener = fn(&EngineSpec, &Path) -> Result<Arc<dyn Engine>>;

fn open(opener: Opener, spec: &str, dir: &Path) -> Arc<dyn Engine> {
    let spec = EngineSpec::parse(spec).expect("valid spec");
    opener(&spec, dir).expect("opens")
}

fn get(db: &dyn Engine, key: &[u8]) -> Option<Vec<u8>> {
    db.get(&ReadOptions::default(), key).expect("get")
}

fn scan_forward(it: &mut dyn KvIterator) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    it.seek_to_first();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
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
    it.status().expect("scan status");
    out
}

fn point_ops(opener: Opener, kind: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(opener, kind, dir.path());
    assert_eq!(db.spec(), kind);
    let w = WriteOptions::default();
    db.put(&w, b"apple", b"red").expect("put");
    db.put(&WriteOptions::with_sync(true), b"banana", b"yellow")
        .expect("sync put");
    db.put(&w, b"empty", b"").expect("empty value");
    assert_eq!(get(db.as_ref(), b"apple"), Some(b"red".to_vec()));
    assert_eq!(get(db.as_ref(), b"empty"), Some(Vec::new()));
    assert_eq!(get(db.as_ref(), b"cherry"), None);
    db.put(&w, b"apple", b"green").expect("overwrite");
    assert_eq!(get(db.as_ref(), b"apple"), Some(b"green".to_vec()));
    db.delete(&w, b"apple").expect("delete");
    db.delete(&w, b"never-there").expect("delete absent");
    assert_eq!(get(db.as_ref(), b"apple"), None);

    let mut buf = b"stale".to_vec();
    assert!(db
        .get_into(&ReadOptions::default(), b"banana", &mut buf)
        .expect("get_into"));
    assert_eq!(buf, b"yellow");
    assert!(!db
        .get_into(&ReadOptions::default(), b"apple", &mut buf)
        .expect("get_into absent"));
    assert!(buf.is_empty(), "buffer is cleared on a miss");

    let mut batch = WriteBatch::new();
    batch.put(b"k1", b"v1");
    batch.put(b"k2", b"v2");
    batch.delete(b"k1");
    batch.put(b"k3", b"v3");
    db.write(&w, &batch).expect("batch");
    assert_eq!(get(db.as_ref(), b"k1"), None);
    assert_eq!(get(db.as_ref(), b"k2"), Some(b"v2".to_vec()));
    assert_eq!(get(db.as_ref(), b"k3"), Some(b"v3".to_vec()));

    let m = db.metrics();
    let written = (5 + 3) + (6 + 6) + 5 + (5 + 5) + 5 + 11 + batch.user_bytes();
    assert_eq!(m.user_bytes_written, written);
    assert_eq!(m.gets, 10);

    // Reopen: everything written is durable across a clean close.
    drop(db);
    let db = open(opener, kind, dir.path());
    assert_eq!(get(db.as_ref(), b"banana"), Some(b"yellow".to_vec()));
    assert_eq!(get(db.as_ref(), b"k2"), Some(b"v2".to_vec()));
    assert_eq!(get(db.as_ref(), b"apple"), None);
}

/// Asserts two scans are equal, naming the first difference (not printing
/// thousands of pairs).
fn assert_same(got: &[(Vec<u8>, Vec<u8>)], want: &[(Vec<u8>, Vec<u8>)], what: &str) {
    if let Some(i) = (0..got.len().min(want.len())).find(|&i| got[i] != want[i]) {
        panic!(
            "{what}: entry {i} differs: got {:?} want {:?}",
            String::from_utf8_lossy(&got[i].0),
            String::from_utf8_lossy(&want[i].0)
        );
    }
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
}

/// `exact_backward` is false for rusty-leveldb 3.0.3, whose backward
/// iteration also returns deleted keys (an upstream bug, see the crate
/// docs); then the backward scan must still hold every live entry in order,
/// and everything extra must be a deleted key.
fn iteration(opener: Opener, kind: &str, exact_backward: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(opener, kind, dir.path());
    let w = WriteOptions::default();
    let mut model = BTreeMap::new();
    for i in (0..200u32).rev() {
        let (k, v) = (format!("key{i:05}"), format!("value{i}"));
        db.put(&w, k.as_bytes(), v.as_bytes()).expect("put");
        model.insert(k.into_bytes(), v.into_bytes());
    }
    for i in (0..200u32).step_by(7) {
        let k = format!("key{i:05}");
        db.delete(&w, k.as_bytes()).expect("delete");
        model.remove(k.as_bytes());
    }
    let expected: Vec<_> = model.clone().into_iter().collect();
    let mut it = db.iter(&ReadOptions::default()).expect("iter");
    assert!(!it.valid(), "a fresh cursor is not positioned");
    assert_same(&scan_forward(it.as_mut()), &expected, "forward scan");
    let mut backward = scan_backward(it.as_mut());
    backward.reverse();
    if exact_backward {
        assert_same(&backward, &expected, "backward scan");
    } else {
        let live: Vec<_> = backward
            .iter()
            .filter(|(k, _)| model.contains_key(k))
            .cloned()
            .collect();
        assert_same(&live, &expected, "live part of the backward scan");
        for (k, _) in backward.iter().filter(|(k, _)| !model.contains_key(k)) {
            assert_eq!(get(db.as_ref(), k), None, "extra backward key is deleted");
        }
    }

    it.seek(b"key00007"); // deleted: lands on the next live key
    assert!(it.valid());
    assert_eq!(it.key(), b"key00008");
    if exact_backward {
        it.prev();
        assert_eq!(it.key(), b"key00006");
        it.next();
    }
    it.next();
    assert_eq!(it.key(), b"key00009");
    it.seek(b"key00199z");
    assert!(!it.valid(), "seek past the end");
    it.seek(b"key00001");
    assert_eq!(it.key(), b"key00001");
    if exact_backward {
        it.prev();
        assert!(!it.valid(), "prev from the first entry");
    }
    it.seek_to_last();
    assert_eq!(it.key(), b"key00199");
    assert_eq!(it.value(), b"value199");
    it.status().expect("status");

    let empty_dir = tempfile::tempdir().expect("tempdir");
    let empty = open(opener, kind, empty_dir.path());
    let mut it = empty.iter(&ReadOptions::default()).expect("iter");
    it.seek_to_first();
    assert!(!it.valid());
    it.seek_to_last();
    assert!(!it.valid());
}

fn snapshot_isolation(opener: Opener, kind: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    // A small write buffer so that flushes happen while the snapshot lives.
    let db = open(opener, &format!("{kind}:write_buffer_size=64K"), dir.path());
    let w = WriteOptions::default();
    for i in 0..100u32 {
        db.put(&w, format!("k{i:03}").as_bytes(), b"old")
            .expect("put");
    }
    let snap = db.snapshot();
    let at_snap = ReadOptions {
        snapshot: Some(snap.clone()),
        ..ReadOptions::default()
    };
    let filler = vec![b'x'; 1000];
    for i in 0..100u32 {
        let k = format!("k{i:03}");
        if i % 2 == 0 {
            db.put(&w, k.as_bytes(), b"new").expect("overwrite");
        } else {
            db.delete(&w, k.as_bytes()).expect("delete");
        }
        db.put(&w, format!("z{i:03}").as_bytes(), &filler)
            .expect("filler");
    }
    assert_eq!(
        db.get(&at_snap, b"k000").expect("get"),
        Some(b"old".to_vec())
    );
    assert_eq!(
        db.get(&at_snap, b"k001").expect("get"),
        Some(b"old".to_vec())
    );
    assert_eq!(db.get(&at_snap, b"z000").expect("get"), None);
    assert_eq!(get(db.as_ref(), b"k000"), Some(b"new".to_vec()));
    assert_eq!(get(db.as_ref(), b"k001"), None);
    let mut it = db.iter(&at_snap).expect("iter at snapshot");
    let seen = scan_forward(it.as_mut());
    assert_eq!(seen.len(), 100);
    assert!(seen.iter().all(|(_, v)| v == b"old"));
    let mut now = db.iter(&ReadOptions::default()).expect("iter now");
    assert_eq!(scan_forward(now.as_mut()).len(), 150);

    // The cursor keeps its view after the snapshot handle is gone.
    drop(at_snap);
    drop(snap);
    it.seek(b"k001");
    assert_eq!(it.value(), b"old");
    drop(it);
    db.compact_range(None, None).expect("compact");
    assert_eq!(get(db.as_ref(), b"k001"), None);
    assert_eq!(get(db.as_ref(), b"k002"), Some(b"new".to_vec()));

    // A snapshot of another engine is refused, not dereferenced.
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = open(opener, kind, other_dir.path());
    let foreign = ReadOptions {
        snapshot: Some(other.snapshot()),
        ..ReadOptions::default()
    };
    let e = db.get(&foreign, b"k000").expect_err("foreign snapshot");
    assert!(matches!(e, strata_api::Error::InvalidArgument(_)), "{e}");
}

fn many_keys_and_compaction(opener: Opener, kind: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(
        opener,
        &format!("{kind}:write_buffer_size=64K,max_file_size=64K"),
        dir.path(),
    );
    let w = WriteOptions::default();
    let mut model = BTreeMap::new();
    let value = |i: u32, round: u32| format!("{round}-{i}-").repeat(20).into_bytes();
    for round in 0..3u32 {
        let mut batch = WriteBatch::new();
        for i in 0..3000u32 {
            let k = format!("{:08}", (i * 7919) % 5000).into_bytes();
            if (i + round) % 11 == 0 {
                batch.delete(&k);
                model.remove(&k);
            } else {
                batch.put(&k, &value(i, round));
                model.insert(k, value(i, round));
            }
            if batch.count() == 100 {
                db.write(&w, &batch).expect("batch");
                batch.clear();
            }
        }
        db.write(&w, &batch).expect("batch");
    }
    db.compact_range(None, None).expect("compact all");
    db.compact_range(Some(b"00001000"), Some(b"00002000"))
        .expect("compact range");
    for (k, v) in &model {
        assert_eq!(get(db.as_ref(), k).as_ref(), Some(v), "key {k:?}");
    }
    for i in 5000..5050u32 {
        assert_eq!(get(db.as_ref(), format!("{i:08}").as_bytes()), None);
    }
    let mut it = db.iter(&ReadOptions::default()).expect("iter");
    let expected: Vec<_> = model.into_iter().collect();
    assert_same(&scan_forward(it.as_mut()), &expected, "forward scan");
}

fn second_open_is_an_error(opener: Opener, kind: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(opener, kind, dir.path());
    db.put(&WriteOptions::default(), b"k", b"v").expect("put");
    let spec = EngineSpec::parse(kind).expect("spec");
    let e = opener(&spec, dir.path())
        .err()
        .expect("a second open of a locked directory fails");
    assert!(matches!(e, strata_api::Error::Io { .. }), "{e}");
    drop(db);
    let again = opener(&spec, dir.path()).expect("opens once released");
    assert_eq!(get(again.as_ref(), b"k"), Some(b"v".to_vec()));
}

fn corrupt_manifest_is_an_error(opener: Opener, kind: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = open(opener, kind, dir.path());
        db.put(&WriteOptions::default(), b"k", b"v").expect("put");
    }
    let current = std::fs::read_to_string(dir.path().join("CURRENT")).expect("CURRENT");
    let manifest = dir.path().join(current.trim());
    let len = std::fs::metadata(&manifest).expect("manifest").len() as usize;
    std::fs::write(&manifest, vec![0xA5u8; len.max(64)]).expect("clobber manifest");
    let spec = EngineSpec::parse(kind).expect("spec");
    let e = opener(&spec, dir.path())
        .err()
        .expect("a clobbered MANIFEST does not open");
    assert!(e.is_corruption(), "{e}");
}

fn spec_options_reach_the_files(opener: Opener, kind: &str, bloom_meta: &str) {
    let value = b"a distinctive uncompressed value ".repeat(8);
    let table_bytes = |spec: &str| -> Vec<u8> {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let db = open(opener, spec, dir.path());
            for i in 0..400u32 {
                db.put(
                    &WriteOptions::default(),
                    format!("{i:06}").as_bytes(),
                    &value,
                )
                .expect("put");
            }
            db.compact_range(None, None).expect("compact");
        }
        let mut all = Vec::new();
        for entry in std::fs::read_dir(dir.path()).expect("list") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "ldb" || e == "sst") {
                all.extend(std::fs::read(&path).expect("table"));
            }
        }
        assert!(!all.is_empty(), "{spec} wrote no table");
        all
    };
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    let plain = table_bytes(&format!("{kind}:compression=none,bloom_bits=10"));
    assert!(
        contains(&plain, &value),
        "compression=none stores values raw"
    );
    assert!(
        contains(&plain, bloom_meta.as_bytes()),
        "bloom_bits=10 writes a bloom filter"
    );
    let packed = table_bytes(&format!("{kind}:compression=snappy"));
    assert!(!contains(&packed, &value), "compression=snappy compresses");
    assert!(
        !contains(&packed, bloom_meta.as_bytes()),
        "bloom_bits=0: no bloom filter"
    );
    assert!(packed.len() < plain.len() / 2);
}

macro_rules! wrapper_tests {
    ($module:ident, $feature:literal, $opener:path, $kind:literal, $bloom:literal, $exact_backward:literal) => {
        #[cfg(feature = $feature)]
        mod $module {
            use super::*;

            #[test]
            fn point_ops_batches_and_reopen() {
                point_ops($opener, $kind);
            }

            #[test]
            fn forward_backward_and_seek() {
                iteration($opener, $kind, $exact_backward);
            }

            #[test]
            fn snapshots_isolate_reads() {
                snapshot_isolation($opener, $kind);
            }

            #[test]
            fn many_keys_through_flushes_and_compactions() {
                many_keys_and_compaction($opener, $kind);
            }

            #[test]
            fn locked_directory_is_an_error() {
                second_open_is_an_error($opener, $kind);
            }

            #[test]
            fn corrupt_manifest_is_an_error() {
                super::corrupt_manifest_is_an_error($opener, $kind);
            }

            #[test]
            fn spec_options_are_applied() {
                spec_options_reach_the_files($opener, $kind, $bloom);
            }
        }
    };
}

wrapper_tests!(
    leveldb,
    "leveldb",
    strata_baselines::open_leveldb,
    "leveldb",
    "filter.leveldb.BuiltinBloomFilter2",
    true
);
wrapper_tests!(
    rusty_leveldb,
    "rusty-leveldb",
    strata_baselines::open_rusty_leveldb,
    "rusty-leveldb",
    "filter.leveldb.BuiltinBloomFilter2",
    false
);

#[cfg(feature = "leveldb")]
#[test]
fn leveldb_is_1_23_and_answers_properties() {
    assert_eq!(strata_baselines::LevelDb::library_version(), (1, 23));
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(strata_baselines::open_leveldb, "leveldb", dir.path());
    for i in 0..1000u32 {
        db.put(
            &WriteOptions::default(),
            format!("{i:06}").as_bytes(),
            &[7u8; 100],
        )
        .expect("put");
    }
    db.compact_range(None, None).expect("compact");
    let stats = db.property("leveldb.stats").expect("stats");
    assert!(stats.contains("Compactions"), "{stats}");
    let files: u64 = (0..7)
        .map(|l| {
            db.property(&format!("leveldb.num-files-at-level{l}"))
                .expect("level count")
                .parse::<u64>()
                .expect("number")
        })
        .sum();
    assert!(files >= 1);
    assert!(db.property("leveldb.no-such-thing").is_none());
    let m = db.metrics();
    assert!(m.live_table_bytes > 1000, "{m:?}");
    assert_eq!(m.user_bytes_written, 1000 * 106);
}
