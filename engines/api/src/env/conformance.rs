//! One suite run against every env, so they agree on semantics.

use super::*;
use crate::env::{read_file_to_vec, write_file};
use std::path::PathBuf;

fn exercise(env: &dyn Env, root: &Path) {
    let dir = root.join("db");
    env.create_dir_all(&dir).expect("mkdir");
    let a = dir.join("a.log");
    let mut w = env.new_writable_file(&a).expect("create");
    w.append(b"hello ").expect("append");
    w.append(b"world").expect("append");
    w.sync().expect("sync");
    w.close().expect("close");
    assert_eq!(env.file_size(&a).expect("size"), 11);
    assert_eq!(read_file_to_vec(env, &a).expect("read"), b"hello world");

    let r = env.new_random_access_file(&a).expect("open");
    let mut buf = [0u8; 5];
    assert_eq!(r.read_at(6, &mut buf).expect("pread"), 5);
    assert_eq!(&buf, b"world");
    assert_eq!(r.read_at(9, &mut buf).expect("short pread"), 2);
    // Appends after what the buffer holds; short only at end of file.
    let mut v = b"xy".to_vec();
    assert_eq!(r.read_at_into(6, 5, &mut v).expect("pread into"), 5);
    assert_eq!(v, b"xyworld");
    assert_eq!(r.read_at_into(9, 10, &mut v).expect("short into"), 2);
    assert_eq!(v, b"xyworldld");
    assert_eq!(r.read_at_into(50, 4, &mut v).expect("past the end"), 0);
    assert_eq!(v, b"xyworldld");

    // Vectored appends: small parts (buffered), then parts larger than any
    // buffer after buffered bytes, then more than a writev's worth.
    let v = dir.join("v.ldb");
    let mut w = env.new_writable_file(&v).expect("create");
    let big: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
    let mut expected = Vec::new();
    let calls: [Vec<&[u8]>; 4] = [
        vec![b"ab", b"", b"cde"],
        vec![b"head", &big[..70_000], b"tail"],
        vec![&big[..3], &big[3..100_000], b"x", &big[100_000..]],
        vec![
            b"1",
            b"2",
            b"3",
            b"4",
            b"5",
            b"6",
            b"7",
            b"8",
            &big[..],
            b"9",
        ],
    ];
    for parts in &calls {
        w.append_vectored(parts).expect("append_vectored");
        for p in parts {
            expected.extend_from_slice(p);
        }
    }
    // Plain appends that fill the buffer across its end, one exactly a
    // buffer's size, one larger.
    for len in [40_000usize, 40_000, 65_536, 3, 70_000, 24_000] {
        w.append(&big[..len]).expect("append");
        expected.extend_from_slice(&big[..len]);
    }
    w.append(b"!").expect("append");
    w.close().expect("close");
    assert!(
        read_file_to_vec(env, &v).expect("read")
            == expected.iter().chain(b"!").copied().collect::<Vec<u8>>()
    );
    env.remove_file(&v).expect("remove");

    let mut s = env.new_sequential_file(&a).expect("seq");
    s.skip(6).expect("skip");
    let mut buf = [0u8; 16];
    assert_eq!(s.read(&mut buf).expect("read"), 5);

    let mut ap = env.new_appendable_file(&a).expect("append open");
    ap.append(b"!").expect("append");
    ap.close().expect("close");
    drop(ap);
    assert_eq!(read_file_to_vec(env, &a).expect("read"), b"hello world!");

    let b = dir.join("b");
    env.rename(&a, &b).expect("rename");
    assert!(!env.file_exists(&a));
    assert!(env.file_exists(&b));
    write_file(env, &dir.join("c"), b"x", true).expect("write");
    assert_eq!(
        env.children(&dir).expect("ls"),
        vec!["b".to_string(), "c".to_string()]
    );
    env.remove_file(&b).expect("rm");
    assert!(env.remove_file(&b).is_err());
    assert!(env.new_sequential_file(&b).is_err());

    let lock = env.lock_file(&dir.join("LOCK")).expect("lock");
    assert!(
        env.lock_file(&dir.join("LOCK")).is_err(),
        "second lock must fail"
    );
    drop(lock);
    let _again = env
        .lock_file(&dir.join("LOCK"))
        .expect("relock after release");
    env.sync_dir(&dir).expect("sync dir");
}

#[test]
fn posix_env_conformance() {
    let tmp = tempfile::tempdir().expect("tempdir");
    exercise(&PosixEnv::new(), tmp.path());
}

#[test]
fn mem_env_conformance() {
    exercise(&MemEnv::new(), &PathBuf::from("/mem"));
}

#[test]
fn fault_env_conformance() {
    exercise(
        &FaultEnv::new(Arc::new(MemEnv::new())),
        &PathBuf::from("/mem"),
    );
}

#[test]
fn crash_drops_unsynced_bytes_and_unsynced_files() {
    let env = FaultEnv::new(Arc::new(MemEnv::new()));
    let dir = PathBuf::from("/db");
    env.create_dir_all(&dir).expect("mkdir");
    let mut w = env.new_writable_file(&dir.join("wal")).expect("create");
    // Its name is durable; `never`'s creation is not.
    env.sync_dir(&dir).expect("sync dir");
    w.append(b"durable").expect("append");
    w.sync().expect("sync");
    w.append(b" lost").expect("append");
    let mut never = env.new_writable_file(&dir.join("never")).expect("create");
    never.append(b"gone").expect("append");
    env.crash().expect("crash");
    assert!(w.append(b"after").is_err(), "calls fail while down");
    env.restart();
    assert_eq!(
        read_file_to_vec(&env, &dir.join("wal")).expect("read"),
        b"durable"
    );
    assert!(!env.file_exists(&dir.join("never")));
}

#[test]
fn injected_no_space_fires_after_count() {
    let env = FaultEnv::new(Arc::new(MemEnv::new()));
    let mut w = env.new_writable_file(Path::new("/f")).expect("create");
    env.set_fault(FaultOp::Append, FaultKind::NoSpace, 1);
    w.append(b"ok").expect("first append passes");
    let err = w.append(b"no").expect_err("second fails");
    assert!(err.is_no_space());
    env.clear_fault();
    w.append(b"ok").expect("cleared");
}

#[test]
fn crash_over_posix_keeps_a_mapped_synced_file_readable() {
    // A table is synced before it is read; a crash must not truncate it
    // under a reader that holds it memory-mapped (that would be SIGBUS).
    let tmp = tempfile::tempdir().expect("tempdir");
    let env = FaultEnv::new(Arc::new(PosixEnv::new()));
    let table = tmp.path().join("000005.ldb");
    let data: Vec<u8> = (0..8192u32).map(|i| (i % 253) as u8).collect();
    let mut w = env.new_writable_file(&table).expect("create");
    w.append(&data).expect("append");
    w.sync().expect("sync");
    w.close().expect("close");
    let r = env.new_random_access_file(&table).expect("open");
    // A reader of the old incarnation keeps the pages it mapped.
    let mapped = r.read_mapped(4096, 4096);
    let mut wal = env.new_writable_file(&tmp.path().join("wal")).expect("wal");
    // Both names are durable (a creation not synced in its directory would
    // vanish).
    env.sync_dir(tmp.path()).expect("sync dir");
    wal.append(b"durable").expect("append");
    wal.sync().expect("sync");
    wal.append(b" lost").expect("append");
    wal.close().expect("close");
    let modified = || {
        std::fs::metadata(&table)
            .and_then(|m| m.modified())
            .expect("mtime")
    };
    let before = modified();
    // Past the file system's timestamp granularity, so a rewrite would show.
    std::thread::sleep(std::time::Duration::from_millis(30));
    env.crash().expect("crash");
    env.restart();
    assert_eq!(modified(), before, "the synced table was not rewritten");
    if let Some(m) = mapped {
        assert_eq!(m.as_slice(), &data[4096..], "the mapping is intact");
    }
    let mut buf = vec![0u8; data.len()];
    assert!(
        r.read_at(0, &mut buf).is_err(),
        "a handle opened before the crash is dead"
    );
    let r = env.new_random_access_file(&table).expect("reopen");
    assert_eq!(r.read_at(0, &mut buf).expect("read"), data.len());
    assert_eq!(buf, data);
    assert_eq!(
        read_file_to_vec(&env, &tmp.path().join("wal")).expect("read"),
        b"durable",
        "the unsynced tail is still dropped"
    );
}
