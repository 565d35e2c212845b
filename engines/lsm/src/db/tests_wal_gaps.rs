//! Recovery keeps a prefix of the writes when a crash broke the chain of
//! WALs. A memtable switch syncs neither the old WAL nor the directory,
//! so a machine crash can keep writes of a later WAL while the earlier
//! one lost its unsynced tail (or all of it). The WALs here are built by
//! hand, byte for byte as the engine writes them, after a database whose
//! MANIFEST records last sequence 3 (three flushed writes).

use super::*;
use crate::format::filename::{log_file_name, parse_file_name};
use crate::wal::writer::LogWriter;
use strata_api::{Engine, Env, MemEnv, ReadOptions, WriteBatch, WriteOptions};

const DIR: &str = "/db";

fn options(env: &MemEnv) -> DbOptions {
    DbOptions {
        env: Arc::new(env.clone()),
        create_if_missing: true,
        ..DbOptions::default()
    }
}

/// A database holding `a`, `b`, `c` (sequences 1–3) in a table, closed;
/// returns the first file number above every file in it.
fn flushed_three(env: &MemEnv) -> u64 {
    let db = Db::open(options(env), DIR).expect("open");
    for key in [b"a", b"b", b"c"] {
        db.put(&WriteOptions::default(), key, b"v").expect("put");
    }
    db.flush().expect("flush");
    drop(db);
    env.children(Path::new(DIR))
        .expect("children")
        .iter()
        .filter_map(|n| parse_file_name(n))
        .map(|(n, _)| n)
        .max()
        .expect("files")
        + 1
}

/// Writes WAL `number` holding one batch per `(sequence, key)`.
fn wal(env: &MemEnv, number: u64, batches: &[(u64, &[u8])]) {
    let path = log_file_name(Path::new(DIR), number);
    let mut log = LogWriter::new(env.new_writable_file(&path).expect("create"));
    for &(sequence, key) in batches {
        let mut batch = WriteBatch::new();
        batch.put(key, b"w");
        batch.set_sequence(sequence);
        log.add_record(batch.as_bytes()).expect("append");
    }
    log.close().expect("close");
}

/// Which of `keys` the reopened database holds.
fn present(env: &MemEnv, keys: &[&[u8]]) -> Vec<String> {
    let db = Db::open(options(env), DIR).expect("reopen");
    let mut value = Vec::new();
    keys.iter()
        .filter(|k| {
            db.get_into(&ReadOptions::default(), k, &mut value)
                .expect("get")
        })
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect()
}

fn log_text(env: &MemEnv) -> String {
    let bytes =
        strata_api::env::read_file_to_vec(env, &Path::new(DIR).join("LOG")).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn a_chain_without_breaks_is_replayed_whole() {
    let env = MemEnv::new();
    let n = flushed_three(&env);
    wal(&env, n, &[(4, b"d"), (5, b"e")]);
    wal(&env, n + 1, &[(6, b"f")]);
    assert_eq!(present(&env, &[b"d", b"e", b"f"]), ["d", "e", "f"]);
    assert!(!log_text(&env).contains("dropped"), "{}", log_text(&env));
}

#[test]
fn a_wal_after_a_lost_tail_is_dropped_with_every_later_one() {
    let env = MemEnv::new();
    let n = flushed_three(&env);
    // Sequence 6, the old WAL's last write, was lost in the crash.
    wal(&env, n, &[(4, b"d"), (5, b"e")]);
    wal(&env, n + 1, &[(7, b"g")]);
    wal(&env, n + 2, &[(8, b"h")]);
    assert_eq!(present(&env, &[b"d", b"e", b"g", b"h"]), ["d", "e"]);
    let log = log_text(&env);
    assert!(
        log.contains(&format!("{:06}.log and later WALs dropped", n + 1)),
        "{log}"
    );
    // The dropped writes never come back, and new ones are kept.
    let db = Db::open(options(&env), DIR).expect("reopen");
    db.put(&WriteOptions { sync: true }, b"i", b"x")
        .expect("put");
    drop(db);
    assert_eq!(
        present(&env, &[b"d", b"e", b"g", b"h", b"i"]),
        ["d", "e", "i"]
    );
}

#[test]
fn a_wal_after_one_that_lost_every_write_is_dropped() {
    let env = MemEnv::new();
    let n = flushed_three(&env);
    // The old WAL held sequences 4 and 5; the crash kept none of them.
    wal(&env, n, &[]);
    wal(&env, n + 1, &[(6, b"f")]);
    assert!(present(&env, &[b"f"]).is_empty());
    assert!(log_text(&env).contains("the MANIFEST's last sequence is 3"));
}

#[test]
fn an_empty_wal_before_the_next_write_breaks_nothing() {
    // LevelDB switches even an empty memtable when compacting it: its
    // WAL is empty and the next one starts right after the MANIFEST's
    // last sequence.
    let env = MemEnv::new();
    let n = flushed_three(&env);
    wal(&env, n, &[]);
    wal(&env, n + 1, &[(4, b"d")]);
    assert_eq!(present(&env, &[b"d"]), ["d"]);
}

#[test]
fn a_switch_syncs_nothing_and_a_synced_write_syncs_both_wals() {
    // Through the engine: fill a memtable so that it switches while the
    // flush is held back, then a synced write; a crash dropping every
    // unsynced byte keeps every write, in both WALs.
    use strata_api::env::FaultEnv;
    let mem = MemEnv::new();
    let env = FaultEnv::new(Arc::new(mem));
    let options = DbOptions {
        env: Arc::new(env.clone()),
        create_if_missing: true,
        write_buffer_size: 64 << 10,
        ..DbOptions::default()
    };
    let db = Db::open(options.clone(), DIR).expect("open");
    db.inner.hold.flushes.store(true, Ordering::Release);
    let mut written = 0u32;
    while db.inner.state.lock().imm.is_none() {
        db.put(
            &WriteOptions::default(),
            format!("k{written:05}").as_bytes(),
            &[b'v'; 100],
        )
        .expect("put");
        written += 1;
    }
    // One more write to the new WAL, then a synced one.
    db.put(&WriteOptions::default(), b"late", b"1")
        .expect("put");
    db.put(&WriteOptions { sync: true }, b"synced", b"1")
        .expect("synced put");
    env.crash().expect("crash");
    db.inner.hold.flushes.store(false, Ordering::Release);
    drop(db);
    env.restart();
    let db = Db::open(options, DIR).expect("reopen");
    let mut value = Vec::new();
    for i in 0..written {
        let key = format!("k{i:05}");
        assert!(
            db.get_into(&ReadOptions::default(), key.as_bytes(), &mut value)
                .expect("get"),
            "{key} lost"
        );
    }
    for key in [&b"late"[..], b"synced"] {
        assert!(db
            .get_into(&ReadOptions::default(), key, &mut value)
            .expect("get"));
    }
}
