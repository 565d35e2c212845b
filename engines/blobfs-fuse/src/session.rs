//! Mounting, waiting in the foreground, unmounting.
//!
//! The FUSE session runs on fuser's background thread. The main thread
//! polls twice: for SIGINT/SIGTERM/SIGHUP (a flag set by the handler), and
//! for the session ending by itself (someone ran `umount` or `fusermount3
//! -u`). On a signal it unmounts: `umount(2)` when permitted (root),
//! `fusermount3 -u` (or `fusermount -u`) otherwise; a busy mount point
//! (an open file or a shell's working directory inside) is detached lazily
//! — it leaves the tree at once and the session ends when the last user
//! goes; a second signal then exits without waiting. When the session
//! ends, every unsaved buffer is committed (fuser calls `destroy`).

use super::bound::{serve_bounded, Served};
use super::mount_fs::MountFs;
use fuser::{BackgroundSession, Config, MountOption};
use nix::errno::Errno;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// How often the main thread looks for a signal or an ended session.
const POLL: Duration = Duration::from_millis(50);

/// Why the foreground wait ended.
enum Ended {
    /// A termination signal arrived.
    Signal,
    /// The session ended: unmounted from outside.
    Unmounted,
}

/// Sets `flag` on SIGINT, SIGTERM and SIGHUP.
fn catch_signals(flag: &Arc<AtomicBool>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        signal_hook::flag::register(sig, Arc::clone(flag))?;
    }
    Ok(())
}

fn wait(session: &BackgroundSession, stop: &AtomicBool) -> Ended {
    loop {
        if stop.swap(false, Ordering::SeqCst) {
            return Ended::Signal;
        }
        if session.guard.is_finished() {
            return Ended::Unmounted;
        }
        thread::sleep(POLL);
    }
}

/// Runs `fusermount3` (or `fusermount`) with `args`.
fn fusermount(args: &[&str], mountpoint: &Path) -> Result<(), String> {
    let mut last = String::new();
    for bin in ["fusermount3", "fusermount"] {
        match Command::new(bin).args(args).arg(mountpoint).output() {
            Ok(out) if out.status.success() => return Ok(()),
            Ok(out) => {
                return Err(format!(
                    "{bin} {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
            Err(e) => last = format!("{bin}: {e}"),
        }
    }
    Err(last)
}

/// Unmounts `mountpoint`; returns true if it had to be detached lazily.
fn unmount(mountpoint: &Path) -> Result<bool, String> {
    match nix::mount::umount(mountpoint) {
        // EINVAL: not a mount point any more (unmounted meanwhile).
        Ok(()) | Err(Errno::EINVAL) => Ok(false),
        Err(Errno::EPERM) => match fusermount(&["-u"], mountpoint) {
            Ok(()) => Ok(false),
            Err(e) if e.contains("busy") => fusermount(&["-u", "-z"], mountpoint).map(|()| true),
            Err(e) => Err(e),
        },
        Err(Errno::EBUSY) => nix::mount::umount2(mountpoint, nix::mount::MntFlags::MNT_DETACH)
            .map(|()| true)
            .map_err(|e| format!("umount -l: {e}")),
        Err(e) => Err(format!("umount: {e}")),
    }
}

/// The mount options of every strata mount.
pub(crate) fn mount_config() -> Config {
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::FSName("strata".into()),
        MountOption::Subtype("strata".into()),
        MountOption::NoAtime,
    ];
    config
}

/// Mounts `fs` at `mountpoint` (its inode table bounded by its sweeper,
/// see [`super::bound`]) and serves it until a signal or an outside
/// unmount; returns the exit status (0 after a clean unmount). Errors are
/// printed on stderr, the mount's as `strata fs: cannot mount ...`.
pub(crate) fn serve(fs: MountFs, store: &Path, mountpoint: &Path) -> u8 {
    let stop = Arc::new(AtomicBool::new(false));
    if let Err(e) = catch_signals(&stop) {
        eprintln!("strata fs: cannot catch signals: {e}");
        return 1;
    }
    let Served {
        session, sweeper, ..
    } = match serve_bounded(fs, mountpoint, &mount_config()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("strata fs: cannot mount {}: {e}", mountpoint.display());
            return 1;
        }
    };
    println!(
        "mounted {} at {} (Ctrl-C or `umount {}` to unmount)",
        store.display(),
        mountpoint.display(),
        mountpoint.display()
    );
    let ended = wait(&session, &stop);
    // Stopped while the session still answers the requests a
    // notification may wait for.
    if let Some(sweeper) = sweeper {
        sweeper.stop();
    }
    if let Ended::Signal = ended {
        match unmount(mountpoint) {
            Ok(false) => {}
            Ok(true) => eprintln!(
                "strata fs: {} is busy; detached it: the store closes when its last user leaves (signal again to quit now)",
                mountpoint.display()
            ),
            Err(e) => {
                eprintln!("strata fs: cannot unmount {}: {e}", mountpoint.display());
                return 1;
            }
        }
        if let Ended::Signal = wait(&session, &stop) {
            eprintln!(
                "strata fs: quitting with {} still in use",
                mountpoint.display()
            );
            return 1;
        }
    }
    match session.join() {
        Ok(()) => {
            println!("unmounted {}", mountpoint.display());
            0
        }
        Err(e) => {
            eprintln!("strata fs: the FUSE session failed: {e}");
            1
        }
    }
}
