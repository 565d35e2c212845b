//! What the FUSE mount tests (`fs_mount.rs`, `fs_mount_crash.rs`) share:
//! why this machine cannot mount, if it cannot; the skip that
//! `STRATA_CI_STRICT=1` (set by `.ci/run` once fuse3 is installed) turns
//! into a failure; and starting `strata fs mount` until it has mounted or
//! refused.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// `Some(why)` when `/dev/fuse` cannot be opened for reading and writing.
fn no_fuse_device() -> Option<String> {
    File::options()
        .read(true)
        .write(true)
        .open("/dev/fuse")
        .err()
        .map(|e| format!("/dev/fuse not available ({e})"))
}

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(bin).is_file()))
}

/// Why this machine cannot mount, if it cannot: no `/dev/fuse`, or not
/// root and no `fusermount3` or `fusermount` on `PATH`.
pub fn cannot_mount() -> Option<String> {
    no_fuse_device().or_else(|| {
        (!nix::unistd::geteuid().is_root() && !on_path("fusermount3") && !on_path("fusermount"))
            .then(|| "not root and no fusermount3 or fusermount on PATH".into())
    })
}

/// Why this machine cannot mount and clean up after a killed mount, if it
/// cannot: no `/dev/fuse`, or not root (only root can `umount -l` a mount
/// whose process was killed).
pub fn cannot_mount_as_root() -> Option<String> {
    no_fuse_device().or_else(|| {
        (!nix::unistd::geteuid().is_root())
            .then(|| "not root: a killed mount could not be cleaned up with umount -l".into())
    })
}

/// Prints `skipped: <why>` and gives `None`, for a test that cannot run
/// here.
///
/// # Panics
/// Under `STRATA_CI_STRICT=1`, where the mount must be possible.
pub fn skip<T>(why: &str) -> Option<T> {
    assert!(
        std::env::var_os("STRATA_CI_STRICT").is_none_or(|v| v != "1"),
        "STRATA_CI_STRICT=1 (CI installed fuse3), yet the mount cannot be made: {why}"
    );
    eprintln!("skipped: {why}");
    None
}

/// True when `mp` is a mount point now.
pub fn is_mounted(mp: &Path) -> bool {
    let mp = mp.to_string_lossy().replace(' ', "\\040");
    std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(mp.as_str()))
}

/// Where [`spawn_mount`] puts the mount's stderr.
pub fn mount_stderr(logs: &Path) -> PathBuf {
    logs.join("mount.stderr")
}

/// Starts `strata fs --store STORE mount MP`, its stdout in
/// `logs/mount.stdout` and its stderr in [`mount_stderr`]; see
/// [`wait_mounted`].
pub fn spawn_mount(store: &Path, mp: &Path, logs: &Path) -> Child {
    spawn_mount_with(store, mp, logs, &[])
}

/// As [`spawn_mount`], with `options` after `mount` (`--max-inodes N`).
pub fn spawn_mount_with(store: &Path, mp: &Path, logs: &Path, options: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("fs")
        .arg("--store")
        .arg(store)
        .arg("mount")
        .args(options)
        .arg(mp)
        .stdin(Stdio::null())
        .stdout(File::create(logs.join("mount.stdout")).expect("stdout file"))
        .stderr(File::create(mount_stderr(logs)).expect("stderr file"))
        .spawn()
        .expect("spawn strata fs mount")
}

/// Waits for the mount that `child` (from [`spawn_mount`] with `logs`)
/// makes at `mp`; `Err` with its stderr when it refused to mount
/// (`cannot mount`: the reason to skip).
///
/// # Panics
/// If it exits otherwise before mounting, or has not mounted after
/// `limit`.
pub fn wait_mounted(
    child: &mut Child,
    mp: &Path,
    logs: &Path,
    limit: Duration,
) -> Result<(), String> {
    let start = Instant::now();
    while !is_mounted(mp) {
        if let Some(status) = child.try_wait().expect("try_wait") {
            let err = std::fs::read_to_string(mount_stderr(logs)).unwrap_or_default();
            if err.contains("cannot mount") {
                return Err(err.trim().to_string());
            }
            panic!("strata fs mount exited with {status} before mounting: {err}");
        }
        assert!(start.elapsed() < limit, "mount timed out");
        sleep(Duration::from_millis(20));
    }
    Ok(())
}
