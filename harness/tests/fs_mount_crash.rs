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

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};

mod common;
use common::strata_fs_ok as ok;

const STRATA: &str = env!("CARGO_BIN_EXE_strata");

/// splitmix64 (the harness has no `rand`).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn cannot_mount() -> Option<String> {
    if let Err(e) = File::options().read(true).write(true).open("/dev/fuse") {
        return Some(format!("/dev/fuse not available ({e})"));
    }
    if !nix::unistd::geteuid().is_root() {
        return Some("not root: a killed mount could not be cleaned up with umount -l".into());
    }
    None
}

fn skip(why: &str) {
    assert!(
        std::env::var_os("STRATA_CI_STRICT").is_none_or(|v| v != "1"),
        "STRATA_CI_STRICT=1 (CI installed fuse3), yet the mount cannot be made: {why}"
    );
    eprintln!("skipped: {why}");
}

fn is_mounted(mp: &Path) -> bool {
    let mp = mp.to_string_lossy().replace(' ', "\\040");
    std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(mp.as_str()))
}

/// Starts `strata fs mount`; `Err` with the reason when mounting is refused.
fn mount(store: &Path, mp: &Path, logs: &Path) -> Result<Child, String> {
    let stderr = logs.join("mount.stderr");
    let mut child = Command::new(STRATA)
        .arg("fs")
        .arg("--store")
        .arg(store)
        .arg("mount")
        .arg(mp)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&stderr).expect("stderr file"))
        .spawn()
        .expect("spawn strata fs mount");
    let start = Instant::now();
    while !is_mounted(mp) {
        if let Some(status) = child.try_wait().expect("try_wait") {
            let err = std::fs::read_to_string(&stderr).unwrap_or_default();
            if err.contains("cannot mount") {
                return Err(err.trim().to_string());
            }
            panic!("strata fs mount exited with {status} before mounting: {err}");
        }
        assert!(start.elapsed() < Duration::from_secs(20), "mount timed out");
        sleep(Duration::from_millis(20));
    }
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

fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let e = e.expect("entry");
            let name = format!("{prefix}{}", e.file_name().to_str().expect("utf8"));
            if e.file_type().expect("type").is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            } else {
                out.insert(name, std::fs::read(e.path()).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, "", &mut out);
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
    if let Some(why) = cannot_mount() {
        skip(&why);
        return None;
    }
    let mut rng = Rng(seed);
    let mut committed: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let (mut synced_total, mut killed_writes) = (0usize, 0usize);
    for round in 0..rounds {
        let mut child = match mount(&store, &mp, dir.path()) {
            Ok(child) => child,
            Err(why) => {
                skip(&format!("mounting is not permitted here ({why})"));
                return None;
            }
        };
        // New files, and rewrites of earlier ones.
        let plan: Vec<(String, Vec<u8>)> = (0..400)
            .map(|i| {
                let path = if round > 0 && rng.below(3) == 0 {
                    format!(
                        "d{}/r{}-{}",
                        rng.below(3),
                        rng.below(round as u64),
                        rng.below(40)
                    )
                } else {
                    format!("d{}/r{round}-{i}", rng.below(3))
                };
                let len = if rng.below(5) == 0 {
                    100_000 + rng.below(300_000)
                } else {
                    rng.below(5_000)
                };
                (path, (0..len).map(|_| rng.next() as u8).collect())
            })
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (mp, stop) = (mp.clone(), Arc::clone(&stop));
            std::thread::spawn(move || writer(mp, plan, stop))
        };
        let delay = Duration::from_millis(20 + rng.below(600));
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

        let verified = ok(&store, &["verify"], seed);
        assert!(
            verified.trim_end().ends_with(": ok"),
            "seed {seed} round {round} (killed after {delay:?}): {verified}"
        );
        let out = dir.path().join(format!("out{round}"));
        ok(&store, &["export", "/", out.to_str().expect("utf8")], seed);
        let seen = read_tree(&out);
        for w in &written {
            let now = seen.get(&w.path);
            let old = committed.get(&w.path);
            assert!(
                now == Some(&w.data) || now == old,
                "seed {seed} round {round}: {} is neither its old version nor all of its new one",
                w.path
            );
            if w.synced {
                assert_eq!(
                    now,
                    Some(&w.data),
                    "seed {seed} round {round}: {} was fsynced before the kill but lost",
                    w.path
                );
                synced_total += 1;
            }
        }
        for (path, data) in &committed {
            if !written.iter().any(|w| &w.path == path) {
                assert_eq!(seen.get(path), Some(data), "seed {seed}: {path} changed");
            }
        }
        committed = seen;
    }
    eprintln!(
        "mount kill rounds: seed {seed}: {rounds} rounds, {synced_total} files fsynced and kept, \
         {killed_writes} writes cut by the kill"
    );
    Some((synced_total, killed_writes))
}

fn seed() -> u64 {
    std::env::var("STRATA_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(18)
}

#[test]
fn writes_through_a_killed_mount_leave_a_verifiable_store() {
    mount_kill_rounds(seed(), 3);
}

#[test]
#[ignore = "long: 100 rounds by default; run with --release --features fuse -- --ignored"]
fn mount_kill_rounds_long() {
    let rounds = std::env::var("STRATA_KILL_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    if let Some((_, cut)) = mount_kill_rounds(seed(), rounds) {
        assert!(cut > 0, "no kill landed during a write");
    }
}
