//! Crash safety of writes through the mount: files are written through
//! `strata fs mount` (create, write, fsync, close) while the mount's
//! process is killed with SIGKILL at a seeded random moment. After each
//! kill the store verifies clean, every file written is absent or at its
//! old version or whole at its new one, and every file whose `fsync`
//! returned before the kill has its new version (fsync commits it, and the
//! store's commits are synced).
//!
//! Where mounting is impossible (no /dev/fuse, no permission) the test
//! prints `skipped: <why>` and returns, except under `STRATA_CI_STRICT=1`
//! (set by `.ci/run` once fuse3 is installed), where that is a failure.
#![cfg(feature = "fuse")]

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::sleep;
use std::time::Duration;

mod common;
use common::fuse::{cannot_mount_as_root, is_mounted, skip, spawn_mount, wait_mounted};
use common::kill::{self, assert_verifies, Rng};
use common::strata_fs_ok as ok;
use common::trees::{assert_old_or_new, read_tree, Tree};

/// Starts `strata fs mount`; `Err` with the reason when mounting is refused.
fn mount(store: &Path, mp: &Path, logs: &Path) -> Result<Child, String> {
    let mut child = spawn_mount(store, mp, logs);
    wait_mounted(&mut child, mp, logs, Duration::from_secs(20))?;
    Ok(child)
}

/// Leaves no dead mount behind, whatever happened.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if is_mounted(&self.0) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// One file written through the mount in a round.
struct Written {
    path: String,
    data: Vec<u8>,
    synced: bool,
}

/// Writes files into `mp` until `stop` or the first error (the mount
/// died); returns what it wrote and whether each fsync returned.
fn writer(mp: PathBuf, plan: Vec<(String, Vec<u8>)>, stop: Arc<AtomicBool>) -> Vec<Written> {
    let mut out = Vec::new();
    for (path, data) in plan {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let full = mp.join(&path);
        let result = (|| -> std::io::Result<()> {
            std::fs::create_dir_all(full.parent().expect("parent"))?;
            let mut f = File::create(&full)?;
            for piece in data.chunks(8192) {
                f.write_all(piece)?;
            }
            f.sync_all()
        })();
        let synced = result.is_ok();
        out.push(Written { path, data, synced });
        if !synced {
            break;
        }
    }
    out
}

fn mount_kill_rounds(seed: u64, rounds: usize) -> Option<(usize, usize)> {
    eprintln!("mount kill rounds: seed {seed}, {rounds} rounds");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let mp = dir.path().join("mp");
    std::fs::create_dir(&mp).expect("mkdir mp");
    let mp = mp.canonicalize().expect("canonical mp");
    let _cleanup = Cleanup(mp.clone());
    ok(&store, &["init"], seed);
    if let Some(why) = cannot_mount_as_root() {
        return skip(&why);
    }
    let mut rng = Rng(seed);
    let mut committed = Tree::new();
    let (mut synced_total, mut killed_writes) = (0usize, 0usize);
    for round in 0..rounds {
        let mut child = match mount(&store, &mp, dir.path()) {
            Ok(child) => child,
            Err(why) => return skip(&format!("mounting is not permitted here ({why})")),
        };
        // New files, and rewrites of earlier ones.
        let plan: Vec<(String, Vec<u8>)> = (0..400)
            .map(|i| {
                let path = if round > 0 && rng.below(0..3) == 0 {
                    format!(
                        "d{}/r{}-{}",
                        rng.below(0..3),
                        rng.below(0..round as u64),
                        rng.below(0..40)
                    )
                } else {
                    format!("d{}/r{round}-{i}", rng.below(0..3))
                };
                let len = if rng.below(0..5) == 0 {
                    100_000 + rng.below(0..300_000)
                } else {
                    rng.below(0..5_000)
                };
                (path, (0..len).map(|_| rng.next() as u8).collect())
            })
            .collect::<Tree>()
            .into_iter()
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (mp, stop) = (mp.clone(), Arc::clone(&stop));
            std::thread::spawn(move || writer(mp, plan, stop))
        };
        let delay = Duration::from_millis(20 + rng.below(0..600));
        sleep(delay);
        child.kill().expect("SIGKILL the mount");
        child.wait().expect("reap");
        stop.store(true, Ordering::Relaxed);
        let status = Command::new("umount")
            .arg("-l")
            .arg(&mp)
            .status()
            .expect("umount");
        assert!(status.success(), "seed {seed}: umount -l after the kill");
        let written = thread.join().expect("writer");
        killed_writes += written.iter().filter(|w| !w.synced).count();

        assert_verifies(
            &store,
            seed,
            &format!("seed {seed} round {round} (killed after {delay:?})"),
        );
        let out = dir.path().join(format!("out{round}"));
        ok(&store, &["export", "/", out.to_str().expect("utf8")], seed);
        let seen = read_tree(&out);
        // Each file written is at its old version (absent if it is new) or
        // whole at its new one; every other file is as it was.
        let mut new = committed.clone();
        new.extend(written.iter().map(|w| (w.path.clone(), w.data.clone())));
        assert_old_or_new(
            &seen,
            &committed,
            &new,
            &format!("seed {seed} round {round}"),
        );
        for w in written.iter().filter(|w| w.synced) {
            assert_eq!(
                seen.get(&w.path),
                Some(&w.data),
                "seed {seed} round {round}: {} was fsynced before the kill but lost",
                w.path
            );
            synced_total += 1;
        }
        committed = seen;
    }
    eprintln!(
        "mount kill rounds: seed {seed}: {rounds} rounds, {synced_total} files fsynced and kept, \
         {killed_writes} writes cut by the kill"
    );
    Some((synced_total, killed_writes))
}

#[test]
fn writes_through_a_killed_mount_leave_a_verifiable_store() {
    mount_kill_rounds(kill::seed(), 3);
}

#[test]
#[ignore = "long: 100 rounds by default; run with --release --features fuse -- --ignored"]
fn mount_kill_rounds_long() {
    if let Some((_, cut)) = mount_kill_rounds(kill::seed(), kill::long_rounds()) {
        assert!(cut > 0, "no kill landed during a write");
    }
}
