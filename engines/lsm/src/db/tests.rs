//! Unit tests of the database through the `Engine` trait.

use super::*;
use strata_api::{MemEnv, ReadOptions, WriteOptions};

fn small_options(env: &MemEnv) -> DbOptions {
    DbOptions {
        env: Arc::new(env.clone()),
        create_if_missing: true,
        write_buffer_size: 16 << 10,
        max_file_size: 16 << 10,
        block_size: 1024,
        ..DbOptions::default()
    }
}

fn key(i: u32) -> Vec<u8> {
    format!("{i:016}").into_bytes()
}

#[test]
fn put_get_delete_reopen() {
    let env = MemEnv::new();
    let w = WriteOptions::default();
    let r = ReadOptions::default();
    {
        let db = Db::open(small_options(&env), "/db").expect("open");
        db.put(&w, b"a", b"1").expect("put");
        db.put(&w, b"b", b"2").expect("put");
        db.delete(&w, b"a").expect("delete");
        assert_eq!(db.get(&r, b"a").expect("get"), None);
        assert_eq!(db.get(&r, b"b").expect("get"), Some(b"2".to_vec()));
    }
    let db = Db::open(small_options(&env), "/db").expect("reopen");
    assert_eq!(db.get(&r, b"a").expect("get"), None);
    assert_eq!(db.get(&r, b"b").expect("get"), Some(b"2".to_vec()));
}

#[test]
fn second_open_of_same_directory_fails_clearly() {
    let env = MemEnv::new();
    let _db = Db::open(small_options(&env), "/db").expect("open");
    let err = Db::open(small_options(&env), "/db")
        .err()
        .expect("must fail");
    assert!(err.to_string().contains("LOCK"), "{err}");
}

#[test]
fn missing_database_without_create_is_an_error() {
    let env = MemEnv::new();
    let mut o = small_options(&env);
    o.create_if_missing = false;
    assert!(matches!(
        Db::open(o, "/nope"),
        Err(strata_api::Error::InvalidArgument(_))
    ));
}

#[test]
fn many_writes_reach_deeper_levels_and_survive_reopen() {
    let env = MemEnv::new();
    let w = WriteOptions::default();
    let r = ReadOptions::default();
    let n = 20_000u32;
    {
        let db = Db::open(small_options(&env), "/db").expect("open");
        for i in 0..n {
            let k = key((i * 7919) % n);
            db.put(&w, &k, &[b'v'; 100]).expect("put");
        }
        db.wait_for_background().expect("settle");
        let deep: usize = (1..NUM_LEVELS_FOR_TEST)
            .map(|l| {
                db.property(&format!("leveldb.num-files-at-level{l}"))
                    .and_then(|s| s.parse::<usize>().ok())
                    .unwrap_or(0)
            })
            .sum();
        assert!(
            deep > 0,
            "{}",
            db.property("leveldb.stats").unwrap_or_default()
        );
        let m = db.metrics();
        assert!(m.compactions > 0 && m.flushes > 0, "{m:?}");
        assert!(m.write_amplification() > 1.0);
    }
    let db = Db::open(small_options(&env), "/db").expect("reopen");
    let mut it = db.iter(&r).expect("iter");
    it.seek_to_first();
    let mut count = 0;
    let mut prev: Vec<u8> = Vec::new();
    while it.valid() {
        assert!(it.key() > prev.as_slice());
        prev = it.key().to_vec();
        count += 1;
        it.next();
    }
    it.status().expect("status");
    assert_eq!(count, n);
    for i in (0..n).step_by(97) {
        assert!(db.get(&r, &key(i)).expect("get").is_some(), "key {i}");
    }
}

const NUM_LEVELS_FOR_TEST: usize = crate::version::edit::NUM_LEVELS;

#[test]
fn snapshots_see_old_values_through_compaction() {
    let env = MemEnv::new();
    let w = WriteOptions::default();
    let db = Db::open(small_options(&env), "/db").expect("open");
    db.put(&w, b"k", b"old").expect("put");
    let snap = db.snapshot();
    db.put(&w, b"k", b"new").expect("put");
    db.delete(&w, b"gone").expect("delete");
    db.compact_range(None, None).expect("compact");
    let at = ReadOptions {
        snapshot: Some(snap.clone()),
        ..ReadOptions::default()
    };
    assert_eq!(db.get(&at, b"k").expect("get"), Some(b"old".to_vec()));
    assert_eq!(
        db.get(&ReadOptions::default(), b"k").expect("get"),
        Some(b"new".to_vec())
    );
    let mut it = db.iter(&at).expect("iter");
    it.seek_to_first();
    assert_eq!(it.value(), b"old");
}

#[test]
fn compact_range_drops_deleted_keys() {
    let env = MemEnv::new();
    let w = WriteOptions::default();
    let db = Db::open(small_options(&env), "/db").expect("open");
    for i in 0..2000 {
        db.put(&w, &key(i), &[b'x'; 100]).expect("put");
    }
    for i in 0..2000 {
        db.delete(&w, &key(i)).expect("delete");
    }
    db.compact_range(None, None).expect("compact");
    let total: u64 = db.metrics().live_table_bytes;
    assert!(
        total < 4096,
        "deleted data should be gone, {total} bytes left"
    );
    let mut it = db.iter(&ReadOptions::default()).expect("iter");
    it.seek_to_first();
    assert!(!it.valid());
}

#[test]
fn compaction_deletes_the_tables_it_replaced() {
    use strata_api::Env;
    let env = MemEnv::new();
    let w = WriteOptions::default();
    for round in 0..3u32 {
        let db = Db::open(small_options(&env), "/db").expect("open");
        db.put(&w, &key(round), b"v").expect("put");
    }
    let db = Db::open(small_options(&env), "/db").expect("open");
    db.compact_range(None, None).expect("compact");
    let tables: Vec<String> = env
        .children(std::path::Path::new("/db"))
        .expect("children")
        .into_iter()
        .filter(|n| n.ends_with(".ldb"))
        .collect();
    let live: usize = (0..7)
        .map(|l| {
            db.property(&format!("leveldb.num-files-at-level{l}"))
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(tables.len(), live, "only live tables stay: {tables:?}");
}

#[test]
fn concurrent_writers_and_readers() {
    let env = MemEnv::new();
    let db = Arc::new(Db::open(small_options(&env), "/db").expect("open"));
    let threads: Vec<_> = (0..4u32)
        .map(|t| {
            let db = Arc::clone(&db);
            std::thread::spawn(move || {
                let w = WriteOptions::default();
                for i in 0..2000u32 {
                    let k = format!("t{t}-{i:08}");
                    db.put(&w, k.as_bytes(), k.as_bytes()).expect("put");
                    if i % 100 == 0 {
                        let back = db.get(&ReadOptions::default(), k.as_bytes()).expect("get");
                        assert_eq!(back.as_deref(), Some(k.as_bytes()));
                    }
                }
            })
        })
        .collect();
    let reader = {
        let db = Arc::clone(&db);
        std::thread::spawn(move || {
            for _ in 0..20 {
                let mut it = db.iter(&ReadOptions::default()).expect("iter");
                it.seek_to_first();
                let mut prev = Vec::new();
                while it.valid() {
                    assert!(it.key() > prev.as_slice());
                    assert_eq!(it.key(), it.value());
                    prev = it.key().to_vec();
                    it.next();
                }
            }
        })
    };
    for t in threads {
        t.join().expect("writer");
    }
    reader.join().expect("reader");
    for t in 0..4u32 {
        for i in 0..2000u32 {
            let k = format!("t{t}-{i:08}");
            assert_eq!(
                db.get(&ReadOptions::default(), k.as_bytes())
                    .expect("get")
                    .as_deref(),
                Some(k.as_bytes())
            );
        }
    }
}

/// A crash can leave files whose numbers the MANIFEST never recorded as
/// used. Obsolete at the next open, they are deleted on the purge thread,
/// later: their numbers must not be handed out again meanwhile, or that
/// deletion would remove a new, live file of the same name.
#[test]
fn numbers_of_files_left_by_a_crash_are_not_reused() {
    use strata_api::Env;
    let env = MemEnv::new();
    let w = WriteOptions::default();
    let next = {
        let db = Db::open(small_options(&env), "/db").expect("open");
        db.put(&w, b"a", b"1").expect("put");
        let next = db.inner.state.lock().versions.next_file_number;
        next
    };
    // What a crashed compaction leaves: outputs numbered from the counter
    // the MANIFEST holds, a log and a temp file above it.
    let left = [next, next + 1, next + 5];
    for (n, ext) in left.iter().zip(["ldb", "log", "dbtmp"]) {
        strata_api::env::write_file(
            &env,
            std::path::Path::new(&format!("/db/{n:06}.{ext}")),
            b"left by a crash",
            false,
        )
        .expect("write");
    }
    let db = Db::open(small_options(&env), "/db").expect("reopen");
    let after_open = db.inner.state.lock().versions.next_file_number;
    assert!(after_open > next + 5, "{after_open} <= {}", next + 5);
    db.put(&w, b"b", b"2").expect("put");
    db.flush().expect("flush");
    drop(db);
    let names = env.children(std::path::Path::new("/db")).expect("children");
    for n in left {
        assert!(
            !names
                .iter()
                .any(|name| name.starts_with(&format!("{n:06}."))),
            "{n} is gone, and no new file took its number: {names:?}"
        );
    }
    let db = Db::open(small_options(&env), "/db").expect("reopen");
    let r = ReadOptions::default();
    assert_eq!(db.get(&r, b"b").expect("get"), Some(b"2".to_vec()));
}
