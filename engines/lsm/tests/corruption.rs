//! Damaged files and a full disk: corruption is detected by checksum and
//! reported with the file and offset (or skipped, as LevelDB does, when
//! `paranoid_checks` is off), never returned as data; ENOSPC fails the
//! write that hit it and loses nothing acknowledged.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use strata_api::env::{FaultEnv, FaultKind, FaultOp, MemEnv};
use strata_api::{Engine, Error, PosixEnv, ReadOptions, WriteOptions};
use strata_lsm::{Db, DbOptions};

fn options(paranoid: bool) -> DbOptions {
    DbOptions {
        env: Arc::new(PosixEnv::new()),
        create_if_missing: true,
        write_buffer_size: 32 << 10,
        max_file_size: 32 << 10,
        block_size: 1024,
        paranoid_checks: paranoid,
        ..DbOptions::default()
    }
}

fn key(i: u32) -> Vec<u8> {
    format!("{i:016}").into_bytes()
}

fn value(i: u32) -> Vec<u8> {
    format!("value-{i:08}-{}", "x".repeat(80)).into_bytes()
}

fn files_with(dir: &Path, pred: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read_dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&pred))
        .collect();
    out.sort();
    out
}

/// Flips one byte of `path` at `offset` (XOR 0x40, so it always changes).
fn flip(path: &Path, offset: usize) {
    let mut bytes = std::fs::read(path).expect("read");
    assert!(
        offset < bytes.len(),
        "{} has {} bytes",
        path.display(),
        bytes.len()
    );
    bytes[offset] ^= 0x40;
    std::fs::write(path, bytes).expect("write");
}

fn corruption_parts(err: &Error) -> (String, u64) {
    match err {
        Error::Corruption {
            file, offset_bytes, ..
        } => (file.clone(), *offset_bytes),
        other => panic!("expected a corruption, got {other}"),
    }
}

#[test]
fn a_flipped_table_byte_is_reported_with_file_and_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 3000;
    {
        let db = Db::open(options(false), dir.path()).expect("open");
        for i in 0..n {
            db.put(&WriteOptions::default(), &key(i), &value(i))
                .expect("put");
        }
        db.compact_range(None, None).expect("compact");
    }
    let tables = files_with(dir.path(), |n| n.ends_with(".ldb"));
    assert!(!tables.is_empty(), "compaction wrote tables");
    let victim = &tables[tables.len() / 2];
    let size = std::fs::metadata(victim).expect("meta").len() as usize;
    // Early in the file: inside a data block, far from the index and footer.
    flip(victim, size / 4);

    let db = Db::open(options(false), dir.path()).expect("reopen");
    let verify = ReadOptions {
        verify_checksums: true,
        ..ReadOptions::default()
    };
    let mut it = db.iter(&verify).expect("iter");
    it.seek_to_first();
    let mut seen = 0u32;
    while it.valid() {
        // Whatever is returned must be exactly what was written.
        assert_eq!(it.key(), key(seen).as_slice(), "no wrong or skipped keys");
        assert_eq!(it.value(), value(seen).as_slice());
        seen += 1;
        it.next();
    }
    let err = it
        .status()
        .expect_err("the damaged block must fail the scan");
    let (file, offset) = corruption_parts(&err);
    let name = victim.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(file.ends_with(name), "error names {file}, expected {name}");
    assert!(
        offset as usize <= size / 4,
        "block offset {offset} starts at or before the flipped byte {}",
        size / 4
    );
    assert!(seen < n, "the scan stopped at the damage");
    // Point reads with checksums: a value is right or the read fails.
    let mut failures = 0;
    for i in 0..n {
        match db.get(&verify, &key(i)) {
            Ok(v) => assert_eq!(v, Some(value(i)), "key {i}"),
            Err(e) => {
                assert!(e.is_corruption(), "{e}");
                failures += 1;
            }
        }
    }
    assert!(failures > 0, "some key lived in the damaged block");
}

/// Writes `n` keys with a clean close, leaving them in the WAL only (the
/// write buffer is larger than the data), and returns the WAL's path.
fn db_with_wal_only(dir: &Path, n: u32) -> PathBuf {
    let mut o = options(false);
    o.write_buffer_size = 4 << 20;
    let db = Db::open(o, dir).expect("open");
    for i in 0..n {
        db.put(&WriteOptions::default(), &key(i), &value(i))
            .expect("put");
    }
    drop(db);
    let logs = files_with(dir, |n| n.ends_with(".log"));
    let wal = logs.last().expect("a WAL").clone();
    assert!(std::fs::metadata(&wal).expect("meta").len() > 10_000);
    wal
}

#[test]
fn a_damaged_wal_record_is_skipped_or_fatal_with_paranoid_checks() {
    let n = 200;
    let dir = tempfile::tempdir().expect("tempdir");
    let wal = db_with_wal_only(dir.path(), n);
    let len = std::fs::metadata(&wal).expect("meta").len() as usize;
    flip(&wal, len / 2);

    // Paranoid: open refuses, naming the WAL and an offset.
    let err = Db::open(options(true), dir.path())
        .err()
        .expect("must fail");
    let (file, offset) = corruption_parts(&err);
    let name = wal.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(file.ends_with(name), "error names {file}, expected {name}");
    assert!(offset as usize <= len, "offset {offset} within the file");

    // Default: the damaged block is dropped, everything else recovered,
    // and nothing recovered is wrong.
    let db = Db::open(options(false), dir.path()).expect("open skips damage");
    let mut present = 0;
    for i in 0..n {
        if let Some(v) = db.get(&ReadOptions::default(), &key(i)).expect("get") {
            assert_eq!(v, value(i), "key {i}");
            present += 1;
        }
    }
    assert!(
        present > 0 && present < n,
        "{present} of {n} keys recovered"
    );
    assert!(db
        .get(&ReadOptions::default(), &key(0))
        .expect("get")
        .is_some());
    let log = std::fs::read_to_string(dir.path().join("LOG")).expect("info LOG");
    assert!(
        log.contains("skipped"),
        "the LOG says what was skipped:\n{log}"
    );
}

#[test]
fn a_damaged_manifest_fails_open_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = Db::open(options(false), dir.path()).expect("open");
        for i in 0..2000 {
            db.put(&WriteOptions::default(), &key(i), &value(i))
                .expect("put");
        }
        db.compact_range(None, None).expect("compact");
    }
    let manifest = files_with(dir.path(), |n| n.starts_with("MANIFEST-"))
        .pop()
        .expect("a MANIFEST");
    let len = std::fs::metadata(&manifest).expect("meta").len() as usize;
    flip(&manifest, len / 2);
    let err = Db::open(options(false), dir.path())
        .err()
        .expect("must fail");
    let (file, _) = corruption_parts(&err);
    assert!(file.contains("MANIFEST-"), "error names {file}");
}

#[test]
fn a_full_disk_fails_the_write_and_loses_nothing_acknowledged() {
    let env = FaultEnv::new(Arc::new(MemEnv::new()));
    let o = || DbOptions {
        env: Arc::new(env.clone()),
        create_if_missing: true,
        write_buffer_size: 16 << 10,
        max_file_size: 16 << 10,
        ..DbOptions::default()
    };
    let db = Db::open(o(), "/db").expect("open");
    let mut acked = 0u32;
    for i in 0..200 {
        db.put(&WriteOptions::default(), &key(i), &value(i))
            .expect("put");
        acked += 1;
    }
    // The disk fills after 50 more appends.
    env.set_fault(FaultOp::Append, FaultKind::NoSpace, 50);
    let mut failed = None;
    for i in 200..2000 {
        match db.put(&WriteOptions::default(), &key(i), &value(i)) {
            Ok(()) => acked += 1,
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    let err = failed.expect("a write must fail once the disk is full");
    assert!(err.is_no_space(), "ENOSPC is reported as such: {err}");
    // Later writes keep failing rather than being silently dropped.
    assert!(db.put(&WriteOptions::default(), b"after", b"full").is_err());
    drop(db);
    env.clear_fault();
    let db = Db::open(o(), "/db").expect("reopen after space is freed");
    for i in 0..acked {
        assert_eq!(
            db.get(&ReadOptions::default(), &key(i)).expect("get"),
            Some(value(i)),
            "acknowledged key {i} survives"
        );
    }
    db.put(&WriteOptions::default(), b"after", b"space")
        .expect("writes work again");
}
