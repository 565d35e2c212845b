//! Hand-checked scenarios for each rule of the fault model.

use super::*;
use crate::env::{write_file, MemEnv, PosixEnv};
use std::path::PathBuf;

fn mem_env() -> (FaultEnv, PathBuf) {
    let env = FaultEnv::new(Arc::new(MemEnv::new()));
    let dir = PathBuf::from("/db");
    env.create_dir_all(&dir).expect("mkdir");
    (env, dir)
}

fn read(env: &dyn Env, path: &Path) -> Vec<u8> {
    read_file_to_vec(env, path).expect("read")
}

fn crash_and_restart(env: &FaultEnv) {
    env.crash().expect("crash");
    env.restart();
}

/// Creates `path` holding `data`, synced, and makes its name durable.
fn durable_file(env: &FaultEnv, dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    write_file(env, &path, data, true).expect("write");
    env.sync_dir(dir).expect("sync dir");
    path
}

fn is_errno(e: &Error, code: i32) -> bool {
    matches!(e, Error::Io { source, .. } if source.raw_os_error() == Some(code))
}

#[test]
fn unsynced_bytes_are_dropped_synced_ones_kept() {
    let (env, dir) = mem_env();
    let path = dir.join("000003.log");
    let mut w = env.new_writable_file(&path).expect("create");
    env.sync_dir(&dir).expect("sync dir");
    w.append(b"one").expect("append");
    w.sync().expect("sync");
    w.append(b"two").expect("append");
    w.flush().expect("flush: still not durable");
    crash_and_restart(&env);
    assert_eq!(read(&env, &path), b"one");
    assert!(
        w.append(b"x").is_err(),
        "a handle from before the crash is dead"
    );
}

#[test]
fn a_file_never_synced_whose_name_is_durable_comes_back_empty() {
    let (env, dir) = mem_env();
    let path = dir.join("LOG");
    let mut w = env.new_writable_file(&path).expect("create");
    w.append(b"never synced").expect("append");
    env.sync_dir(&dir).expect("sync dir");
    crash_and_restart(&env);
    assert!(env.file_exists(&path));
    assert_eq!(read(&env, &path), b"");
}

#[test]
fn a_creation_vanishes_without_a_directory_sync_even_if_synced() {
    let (env, dir) = mem_env();
    let table = dir.join("000005.ldb");
    write_file(&env, &table, b"table bytes", true).expect("write synced");
    crash_and_restart(&env);
    assert!(
        !env.file_exists(&table),
        "fsync of a file does not make its directory entry durable"
    );
    let table = durable_file(&env, &dir, "000006.ldb", b"table bytes");
    crash_and_restart(&env);
    assert_eq!(
        read(&env, &table),
        b"table bytes",
        "sync_dir makes it stick"
    );
}

#[test]
fn a_directory_sync_of_another_directory_does_not_help() {
    let (env, dir) = mem_env();
    let other = PathBuf::from("/other");
    env.create_dir_all(&other).expect("mkdir");
    let f = dir.join("f");
    write_file(&env, &f, b"x", true).expect("write");
    env.sync_dir(&other).expect("sync other");
    crash_and_restart(&env);
    assert!(!env.file_exists(&f));
}

#[test]
fn an_unsynced_rename_is_undone_and_the_overwritten_target_restored() {
    let (env, dir) = mem_env();
    let current = durable_file(&env, &dir, "CURRENT", b"MANIFEST-000001\n");
    let tmp = durable_file(&env, &dir, "000002.dbtmp", b"MANIFEST-000002\n");
    env.rename(&tmp, &current).expect("rename");
    assert_eq!(read(&env, &current), b"MANIFEST-000002\n");
    crash_and_restart(&env);
    assert_eq!(
        read(&env, &current),
        b"MANIFEST-000001\n",
        "target restored"
    );
    assert_eq!(read(&env, &tmp), b"MANIFEST-000002\n", "old name is back");

    env.rename(&tmp, &current).expect("rename");
    env.sync_dir(&dir).expect("sync dir");
    crash_and_restart(&env);
    assert_eq!(
        read(&env, &current),
        b"MANIFEST-000002\n",
        "sync_dir keeps it"
    );
    assert!(!env.file_exists(&tmp));
}

#[test]
fn a_rename_of_a_file_created_since_the_last_directory_sync_vanishes_both_names() {
    let (env, dir) = mem_env();
    let current = durable_file(&env, &dir, "CURRENT", b"old\n");
    let tmp = dir.join("000009.dbtmp");
    write_file(&env, &tmp, b"new\n", true).expect("write");
    env.rename(&tmp, &current).expect("rename");
    crash_and_restart(&env);
    assert_eq!(read(&env, &current), b"old\n");
    assert!(!env.file_exists(&tmp), "its creation is undone too");
}

#[test]
fn a_renamed_file_keeps_only_its_durable_bytes() {
    let (env, dir) = mem_env();
    let a = durable_file(&env, &dir, "a", b"durable");
    let mut w = env.new_appendable_file(&a).expect("append open");
    w.append(b" unsynced").expect("append");
    w.close().expect("close");
    let b = dir.join("b");
    env.rename(&a, &b).expect("rename");
    env.sync_dir(&dir).expect("sync dir");
    crash_and_restart(&env);
    assert!(!env.file_exists(&a));
    assert_eq!(read(&env, &b), b"durable");
}

#[test]
fn an_unsynced_removal_comes_back_with_its_durable_content() {
    let (env, dir) = mem_env();
    let path = durable_file(&env, &dir, "000007.log", b"synced");
    let mut w = env.new_appendable_file(&path).expect("append open");
    w.append(b" not synced").expect("append");
    w.close().expect("close");
    env.remove_file(&path).expect("remove");
    assert!(!env.file_exists(&path));
    crash_and_restart(&env);
    assert_eq!(
        read(&env, &path),
        b"synced",
        "deletion undone, durable bytes only"
    );

    env.remove_file(&path).expect("remove");
    env.sync_dir(&dir).expect("sync dir");
    crash_and_restart(&env);
    assert!(!env.file_exists(&path), "sync_dir makes the removal stick");
}

#[test]
fn undo_runs_newest_first_through_remove_recreate_and_rename() {
    let (env, dir) = mem_env();
    let a = durable_file(&env, &dir, "a", b"A1");
    env.remove_file(&a).expect("remove");
    write_file(&env, &a, b"A2", true).expect("recreate");
    let b = dir.join("b");
    env.rename(&a, &b).expect("rename");
    crash_and_restart(&env);
    assert_eq!(read(&env, &a), b"A1");
    assert!(!env.file_exists(&b));
    assert_eq!(env.children(&dir).expect("ls"), vec!["a".to_string()]);
}

#[test]
fn torn_tails_keep_a_prefix_then_garbage_or_zeros_within_the_unsynced_range() {
    let durable: Vec<u8> = (0..100u32).map(|i| i as u8).collect();
    let unsynced: Vec<u8> = (0..400u32).map(|i| (i % 200) as u8 + 50).collect();
    let (mut zero_tails, mut garbage_tails, mut kept_some, mut kept_all) = (0, 0, 0, 0);
    let mut lengths = std::collections::BTreeSet::new();
    for seed in 0..200u64 {
        let env = FaultEnv::with_seed(Arc::new(MemEnv::new()), seed);
        env.set_crash_mode(CrashMode::TornTail);
        let dir = PathBuf::from("/db");
        let path = dir.join("000003.log");
        let mut w = env.new_writable_file(&path).expect("create");
        env.sync_dir(&dir).expect("sync dir");
        w.append(&durable).expect("append");
        w.sync().expect("sync");
        w.append(&unsynced).expect("append");
        crash_and_restart(&env);
        let got = read(&env, &path);
        assert!(
            (durable.len()..=durable.len() + unsynced.len()).contains(&got.len()),
            "seed {seed}: length {} out of range",
            got.len()
        );
        assert_eq!(&got[..durable.len()], &durable[..], "seed {seed}");
        // The longest prefix of the unsynced bytes kept, then the tail.
        let rest = &got[durable.len()..];
        let same = rest
            .iter()
            .zip(&unsynced)
            .take_while(|(a, b)| a == b)
            .count();
        let tail = &rest[same..];
        if same > 0 {
            kept_some += 1;
        }
        if got.len() == durable.len() + unsynced.len() && same == unsynced.len() {
            kept_all += 1;
        }
        if !tail.is_empty() {
            if tail.iter().all(|&b| b == 0) {
                zero_tails += 1;
            } else {
                garbage_tails += 1;
            }
        }
        lengths.insert(got.len());
        // Deterministic given the seed.
        let again = FaultEnv::with_seed(Arc::new(MemEnv::new()), seed);
        again.set_crash_mode(CrashMode::TornTail);
        let mut w = again.new_writable_file(&path).expect("create");
        again.sync_dir(&dir).expect("sync dir");
        w.append(&durable).expect("append");
        w.sync().expect("sync");
        w.append(&unsynced).expect("append");
        crash_and_restart(&again);
        assert_eq!(read(&again, &path), got, "seed {seed} reproduces");
    }
    assert!(zero_tails > 20, "zero tails: {zero_tails}");
    assert!(garbage_tails > 20, "garbage tails: {garbage_tails}");
    assert!(
        kept_some > 100,
        "kept a prefix of the unsynced bytes: {kept_some}"
    );
    assert!(lengths.len() > 50, "lengths vary: {}", lengths.len());
    assert!(kept_all > 30, "all unsynced bytes written back: {kept_all}");
}

#[test]
fn torn_tail_mode_leaves_fully_synced_files_alone() {
    let env = FaultEnv::with_seed(Arc::new(MemEnv::new()), 7);
    env.set_crash_mode(CrashMode::TornTail);
    let dir = PathBuf::from("/db");
    let path = durable_file(&env, &dir, "000005.ldb", b"all synced");
    crash_and_restart(&env);
    assert_eq!(read(&env, &path), b"all synced");
}

#[test]
fn a_failed_sync_poisons_the_unsynced_bytes_for_good() {
    let (env, dir) = mem_env();
    let path = dir.join("MANIFEST-000002");
    let mut w = env.new_writable_file(&path).expect("create");
    env.sync_dir(&dir).expect("sync dir");
    w.append(b"a").expect("append");
    w.sync().expect("sync");
    w.append(b"b").expect("append");
    env.add_fault(FaultRule::nth(FaultOp::Sync, FaultKind::Eio, 1));
    let err = w.sync().expect_err("injected");
    assert!(is_errno(&err, libc::EIO), "{err}");
    w.append(b"c").expect("append");
    w.sync().expect("the retried sync 'succeeds'");
    crash_and_restart(&env);
    assert_eq!(
        read(&env, &path),
        b"a",
        "bytes not durable when a sync failed never become durable"
    );
}

/// Performs one call of kind `op`, returning its result.
fn perform(env: &FaultEnv, dir: &Path, op: FaultOp, w: &mut Box<dyn WritableFile>) -> Result<()> {
    let file = dir.join("data");
    match op {
        FaultOp::Append => w.append(b"x"),
        FaultOp::Flush => w.flush(),
        FaultOp::Sync => w.sync(),
        FaultOp::Close => w.close(),
        FaultOp::SyncDir => env.sync_dir(dir),
        FaultOp::Create => env.new_writable_file(&dir.join("new")).map(drop),
        FaultOp::Rename => {
            write_file(env, &dir.join("from"), b"r", false)?;
            env.rename(&dir.join("from"), &dir.join("to"))
        }
        FaultOp::Remove => {
            write_file(env, &dir.join("doomed"), b"d", false)?;
            env.remove_file(&dir.join("doomed"))
        }
        FaultOp::CreateDir => env.create_dir_all(&dir.join("sub")),
        FaultOp::Lock => env.lock_file(&dir.join("LOCK")).map(drop),
        FaultOp::Read => {
            let mut s = env.new_sequential_file(&file)?;
            let mut buf = [0u8; 4];
            s.read(&mut buf)?;
            s.skip(1)?;
            let r = env.new_random_access_file(&file)?;
            r.read_at(0, &mut buf)?;
            r.read_at_into(0, 2, &mut Vec::new()).map(drop)
        }
        FaultOp::OpenRead => env.new_random_access_file(&file).map(drop),
        FaultOp::Children => env.children(dir).map(drop),
        FaultOp::AnyWrite => w.append(b"y"),
    }
}

const EVERY_OP: [FaultOp; 14] = [
    FaultOp::Append,
    FaultOp::Flush,
    FaultOp::Sync,
    FaultOp::Close,
    FaultOp::SyncDir,
    FaultOp::Create,
    FaultOp::Rename,
    FaultOp::Remove,
    FaultOp::CreateDir,
    FaultOp::Lock,
    FaultOp::Read,
    FaultOp::OpenRead,
    FaultOp::Children,
    FaultOp::AnyWrite,
];

#[test]
fn every_injectable_op_fails_as_asked_and_only_then() {
    for op in EVERY_OP {
        for (kind, code) in [
            (FaultKind::Eio, libc::EIO),
            (FaultKind::NoSpace, libc::ENOSPC),
        ] {
            let (env, dir) = mem_env();
            write_file(&env, &dir.join("data"), b"some data", true).expect("data");
            let mut w = env.new_writable_file(&dir.join("w")).expect("w");
            perform(&env, &dir, op, &mut w).expect("no fault yet");
            let mut w = env.new_writable_file(&dir.join("w2")).expect("w2");
            env.add_fault(FaultRule::nth(op, kind, 1));
            let err = perform(&env, &dir, op, &mut w).expect_err("fault fires");
            assert!(is_errno(&err, code), "{op:?} {kind:?}: {err}");
            let injected = env.injected();
            assert_eq!(injected.len(), 1, "{op:?}: {injected:?}");
            assert!(
                op == FaultOp::AnyWrite || injected[0].op == op,
                "{op:?}: {injected:?}"
            );
            let mut w = env.new_writable_file(&dir.join("w3")).expect("w3");
            perform(&env, &dir, op, &mut w).expect("one-shot: later calls pass");
        }
    }
}

#[test]
fn injected_errors_leave_the_inner_env_untouched() {
    let mem = MemEnv::new();
    let env = FaultEnv::new(Arc::new(mem.clone()));
    let dir = PathBuf::from("/db");
    let a = durable_file(&env, &dir, "a", b"a");
    env.add_fault(FaultRule::from_nth(FaultOp::AnyWrite, FaultKind::Eio, 1));
    assert!(env.rename(&a, &dir.join("b")).is_err());
    assert!(env.remove_file(&a).is_err());
    assert!(env.new_writable_file(&dir.join("c")).is_err());
    assert_eq!(mem.children(&dir).expect("ls"), vec!["a".to_string()]);
}

#[test]
fn nth_and_from_nth_count_matching_calls_from_when_added() {
    let (env, dir) = mem_env();
    let mut w = env.new_writable_file(&dir.join("f")).expect("create");
    w.append(b"before").expect("not counted by the rule");
    env.add_fault(FaultRule::nth(FaultOp::Append, FaultKind::Eio, 3));
    let got: Vec<bool> = (0..5).map(|_| w.append(b"x").is_ok()).collect();
    assert_eq!(got, [true, true, false, true, true]);
    env.clear_fault();
    env.add_fault(FaultRule::from_nth(FaultOp::Append, FaultKind::NoSpace, 2));
    w.sync().expect("another kind of call is not counted");
    let got: Vec<bool> = (0..4).map(|_| w.append(b"x").is_ok()).collect();
    assert_eq!(got, [true, false, false, false]);
    env.clear_fault();
    w.append(b"x").expect("cleared");
}

#[test]
fn set_fault_keeps_its_meaning() {
    let (env, dir) = mem_env();
    let mut w = env.new_writable_file(&dir.join("f")).expect("create");
    env.set_fault(FaultOp::Sync, FaultKind::Eio, 2);
    let got: Vec<bool> = (0..4).map(|_| w.sync().is_ok()).collect();
    assert_eq!(got, [true, true, false, false]);
}

fn probability_pattern(seed: u64, p: f64) -> Vec<bool> {
    let env = FaultEnv::with_seed(Arc::new(MemEnv::new()), seed);
    let mut w = env.new_writable_file(Path::new("/f")).expect("create");
    env.add_fault(FaultRule::probability(FaultOp::Append, FaultKind::Eio, p));
    (0..1000).map(|_| w.append(b"x").is_err()).collect()
}

#[test]
fn probability_faults_fire_at_the_rate_and_reproduce_from_the_seed() {
    let a = probability_pattern(42, 0.3);
    let failures = a.iter().filter(|&&f| f).count();
    assert!(
        (220..=380).contains(&failures),
        "{failures} of 1000 at p=0.3"
    );
    assert_eq!(
        a,
        probability_pattern(42, 0.3),
        "same seed, same calls fail"
    );
    assert_ne!(a, probability_pattern(43, 0.3), "another seed differs");
    assert!(probability_pattern(1, 0.0).iter().all(|&f| !f));
    assert!(probability_pattern(1, 1.0).iter().all(|&f| f));
}

#[test]
fn mutating_calls_are_counted_and_reads_are_not() {
    let (env, dir) = mem_env();
    let base = env.mutating_calls();
    assert_eq!(base, 1, "create_dir_all");
    env.record_calls(true);
    let path = dir.join("f");
    let mut w = env.new_writable_file(&path).expect("create"); // 2
    w.append(b"a").expect("append"); // 3
    w.flush().expect("flush"); // 4
    w.sync().expect("sync"); // 5
    w.close().expect("close"); // 6
    env.sync_dir(&dir).expect("sync dir"); // 7
    env.rename(&path, &dir.join("g")).expect("rename"); // 8
    read(&env, &dir.join("g"));
    env.children(&dir).expect("ls");
    env.remove_file(&dir.join("g")).expect("remove"); // 9
    drop(env.lock_file(&dir.join("LOCK")).expect("lock")); // 10
    assert_eq!(env.mutating_calls(), 10);
    let ops: Vec<(u64, FaultOp)> = env.calls().iter().map(|c| (c.index, c.op)).collect();
    assert_eq!(
        ops,
        [
            (2, FaultOp::Create),
            (3, FaultOp::Append),
            (4, FaultOp::Flush),
            (5, FaultOp::Sync),
            (6, FaultOp::Close),
            (7, FaultOp::SyncDir),
            (8, FaultOp::Rename),
            (9, FaultOp::Remove),
            (10, FaultOp::Lock),
        ]
    );
}

#[test]
fn crash_after_call_k_freezes_the_env_after_that_call() {
    let mem = MemEnv::new();
    let env = FaultEnv::new(Arc::new(mem.clone()));
    let dir = PathBuf::from("/db");
    env.create_dir_all(&dir).expect("mkdir"); // 1
    let path = dir.join("000003.log");
    let mut w = env.new_writable_file(&path).expect("create"); // 2
    env.sync_dir(&dir).expect("sync dir"); // 3
    env.crash_after_call(5);
    w.append(b"one").expect("call 4"); // 4
    w.sync().expect("call 5 is the last to run"); // 5
    assert!(env.is_down());
    assert!(w.append(b"two").is_err(), "frozen");
    assert!(env.new_writable_file(&dir.join("x")).is_err(), "frozen");
    assert!(env.children(&dir).is_err(), "reads fail too");
    assert_eq!(env.mutating_calls(), 5, "calls while down are not counted");
    assert_eq!(read(&mem, &path), b"one", "nothing reached the inner env");
    assert!(!mem.file_exists(&dir.join("x")));
    crash_and_restart(&env);
    assert!(!env.is_down());
    assert_eq!(read(&env, &path), b"one", "the sync of call 5 counted");
}

#[test]
fn crash_after_a_call_that_was_not_a_sync_loses_its_bytes() {
    let (env, dir) = mem_env();
    let path = dir.join("000003.log");
    let mut w = env.new_writable_file(&path).expect("create");
    env.sync_dir(&dir).expect("sync dir");
    env.crash_after_call(env.mutating_calls() + 1);
    w.append(b"lost").expect("the crash point runs");
    assert!(w.sync().is_err());
    crash_and_restart(&env);
    assert_eq!(read(&env, &path), b"");
}

#[test]
fn fail_call_k_fails_only_that_call() {
    let (env, dir) = mem_env();
    let mut w = env.new_writable_file(&dir.join("f")).expect("create");
    let k = env.mutating_calls() + 3;
    env.fail_call(k, FaultKind::Eio);
    let got: Vec<bool> = (0..5).map(|_| w.append(b"x").is_ok()).collect();
    assert_eq!(got, [true, true, false, true, true]);
    let injected = env.injected();
    assert_eq!(injected.len(), 1);
    assert_eq!((injected[0].index, injected[0].op), (k, FaultOp::Append));
}

#[test]
fn mapped_reads_are_declined_while_reads_may_fail() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let env = FaultEnv::new(Arc::new(PosixEnv::new()));
    let data = vec![7u8; 8192];
    let path = durable_file(&env, tmp.path(), "000005.ldb", &data);
    let r = env.new_random_access_file(&path).expect("open");
    let mapped_before = r.read_mapped(0, 4096).is_some();
    env.add_fault(FaultRule::nth(FaultOp::Read, FaultKind::Eio, 1));
    assert!(
        r.read_mapped(0, 4096).is_none(),
        "a mapped read cannot fail"
    );
    let mut buf = Vec::new();
    assert!(
        r.read_at_into(0, 16, &mut buf).is_err(),
        "the fault fires here"
    );
    r.read_at_into(0, 16, &mut buf).expect("one-shot");
    env.clear_fault();
    assert_eq!(r.read_mapped(0, 4096).is_some(), mapped_before);
}

#[test]
fn read_handles_from_before_a_crash_stay_dead() {
    let (env, dir) = mem_env();
    let path = durable_file(&env, &dir, "000005.ldb", b"table");
    let r = env.new_random_access_file(&path).expect("open");
    crash_and_restart(&env);
    let mut buf = [0u8; 5];
    assert!(r.read_at(0, &mut buf).is_err());
    let r = env.new_random_access_file(&path).expect("reopen");
    assert_eq!(r.read_at(0, &mut buf).expect("read"), 5);
}

#[test]
fn a_buffered_file_dropped_while_frozen_does_not_reach_the_disk() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let env = FaultEnv::new(Arc::new(PosixEnv::new()));
    let path = tmp.path().join("000003.log");
    let mut w = env.new_writable_file(&path).expect("create");
    env.sync_dir(tmp.path()).expect("sync dir");
    w.append(b"durable").expect("append");
    w.sync().expect("sync");
    env.crash_after_call(env.mutating_calls() + 1);
    w.append(b" buffered in the process").expect("crash point");
    drop(w);
    let on_disk = std::fs::read(&path).expect("read");
    assert_eq!(on_disk, b"durable", "the drop's flush was held back");
    crash_and_restart(&env);
    assert_eq!(std::fs::read(&path).expect("read"), b"durable");
}

#[test]
fn the_directory_model_works_over_the_real_file_system() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let env = FaultEnv::new(Arc::new(PosixEnv::new()));
    let dir = tmp.path();
    let current = durable_file(&env, dir, "CURRENT", b"MANIFEST-000001\n");
    let old = durable_file(&env, dir, "000004.ldb", b"old table");
    write_file(&env, &dir.join("000009.dbtmp"), b"MANIFEST-000009\n", true).expect("tmp");
    env.rename(&dir.join("000009.dbtmp"), &current)
        .expect("rename");
    env.remove_file(&old).expect("remove");
    write_file(&env, &dir.join("000010.ldb"), b"new table", true).expect("new");
    crash_and_restart(&env);
    assert_eq!(std::fs::read(&current).expect("read"), b"MANIFEST-000001\n");
    assert_eq!(std::fs::read(&old).expect("read"), b"old table");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["000004.ldb", "CURRENT"]);
}

#[test]
fn remove_dir_all_is_durable_at_once() {
    let (env, dir) = mem_env();
    write_file(&env, &dir.join("f"), b"x", true).expect("write");
    env.remove_dir_all(&dir).expect("rm -r");
    crash_and_restart(&env);
    assert!(!env.file_exists(&dir.join("f")));
}
