//! The WAL written through a memory mapping (`wal_writes=mmap`, the
//! default) against what a process crash leaves: the database directory as
//! the page cache holds it while the engine is still running, its log
//! longer than the records (the preallocated region, zero-filled). A copy
//! of the directory taken then is exactly what survives a `SIGKILL`, so
//! every acknowledged write, synced or not, must be read back from it, and
//! with `paranoid_checks` on the zeros must not count as corruption.

use std::path::Path;
use std::sync::Arc;
use strata_api::{Engine, PosixEnv, ReadOptions, WriteBatch, WriteOptions};
use strata_lsm::{Db, DbOptions};

fn options(wal_mmap: bool) -> DbOptions {
    DbOptions {
        env: Arc::new(PosixEnv::new()),
        create_if_missing: true,
        paranoid_checks: true,
        wal_mmap,
        ..DbOptions::default()
    }
}

fn key(i: u32) -> Vec<u8> {
    format!("{i:016}").into_bytes()
}

fn value(i: u32, round: u32) -> Vec<u8> {
    format!("v{round}-{i:08}-{}", "y".repeat(i as usize % 300)).into_bytes()
}

/// Copies every file of `from` into `to` (the crash image).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        if entry.file_name() == "LOCK" {
            continue;
        }
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

fn log_files(dir: &Path) -> Vec<(String, u64)> {
    let mut logs: Vec<(String, u64)> = std::fs::read_dir(dir)
        .expect("read_dir")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let len = e.metadata().ok()?.len();
            name.ends_with(".log").then_some((name, len))
        })
        .collect();
    logs.sort();
    logs
}

fn write_rounds(db: &Db, n: u32) -> u64 {
    let mut wal_payload_bytes = 0u64;
    for round in 0..2u32 {
        for i in 0..n {
            let mut batch = WriteBatch::new();
            batch.put(&key(i), &value(i, round));
            if i % 7 == 3 {
                batch.delete(&key(i.wrapping_sub(1)));
            }
            wal_payload_bytes += batch.as_bytes().len() as u64;
            let sync = i % 1000 == 999;
            db.write(&WriteOptions { sync }, &batch).expect("write");
        }
    }
    wal_payload_bytes
}

fn expected(n: u32, i: u32) -> Option<Vec<u8>> {
    // Round 1 rewrote every key; key i is deleted by the batch of i + 1
    // when (i + 1) % 7 == 3, after its own put of that round.
    if i + 1 < n && (i + 1) % 7 == 3 {
        None
    } else {
        Some(value(i, 1))
    }
}

fn check(db: &Db, n: u32) {
    for i in 0..n {
        let got = db.get(&ReadOptions::default(), &key(i)).expect("get");
        assert_eq!(got, expected(n, i), "key {i}");
    }
}

#[test]
fn a_crash_image_of_a_mapped_wal_recovers_every_acknowledged_write() {
    let n = 6_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let live = dir.path().join("live");
    let db = Db::open(options(true), &live).expect("open");
    let payload = write_rounds(&db, n);
    // The writes fit one memtable: they live only in the WAL.
    let logs = log_files(&live);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(
        logs[0].1 > payload,
        "the open log is preallocated past its {payload} bytes of records: {logs:?}"
    );
    let image = dir.path().join("image");
    copy_dir(&live, &image);
    let reopened = Db::open(options(true), &image).expect("the crash image opens, zeros and all");
    check(&reopened, n);
    drop(reopened);
    drop(db);
    // A clean close trims the log to its records.
    let closed = log_files(&live);
    assert!(
        closed.iter().all(|(_, len)| *len <= payload + payload / 10),
        "{closed:?}"
    );
    let again = Db::open(options(true), &live).expect("reopen");
    check(&again, n);
}

#[test]
fn mapped_and_written_wals_hold_the_same_bytes() {
    let n = 2_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut logs = Vec::new();
    for wal_mmap in [true, false] {
        let path = dir.path().join(format!("mmap-{wal_mmap}"));
        let db = Db::open(options(wal_mmap), &path).expect("open");
        write_rounds(&db, n);
        let image = dir.path().join(format!("image-{wal_mmap}"));
        copy_dir(&path, &image);
        drop(db);
        let files = log_files(&image);
        assert_eq!(files.len(), 1, "{files:?}");
        let bytes = std::fs::read(image.join(&files[0].0)).expect("read");
        logs.push(bytes);
    }
    let (mapped, written) = (&logs[0], &logs[1]);
    assert!(mapped.len() >= written.len());
    assert_eq!(&mapped[..written.len()], &written[..], "same records");
    assert!(
        mapped[written.len()..].iter().all(|&b| b == 0),
        "then zeros"
    );
}
