//! A store mounted by the calling process on a background thread, for
//! programs that use the mount themselves through ordinary system calls
//! (the filesystem benchmarks' `--fs_via mount`), and the check of
//! whether this machine can mount at all.

use super::bound::{counts, serve_bounded, InodeCounts, MountOptions, Sweeper};
use super::mount_fs::{MountFs, State};
use super::session::mount_config;
use fuser::{BackgroundSession, Filesystem};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use strata_blobfs::BlobFs;

/// A mounted store, served by a background thread of this process.
/// Unmounting commits every unsaved buffer; dropping it unmounts too (and
/// waits for the session to end).
#[derive(Debug)]
pub struct BackgroundMount {
    session: Option<BackgroundSession>,
    sweeper: Option<Sweeper>,
    state: Arc<Mutex<State>>,
    mountpoint: PathBuf,
}

impl BackgroundMount {
    /// Mounts `fs` (whose store lives in `store_dir`, which `statfs`
    /// reports) at `mountpoint`, an existing empty directory, with the
    /// default [`MountOptions`].
    ///
    /// # Errors
    /// One line saying why the mount was refused.
    pub fn mount(fs: BlobFs, store_dir: &Path, mountpoint: &Path) -> Result<Self, String> {
        Self::mount_with(fs, store_dir, mountpoint, &MountOptions::default())
    }

    /// As [`BackgroundMount::mount`], with `options`.
    ///
    /// # Errors
    /// One line saying why the mount was refused.
    pub fn mount_with(
        fs: BlobFs,
        store_dir: &Path,
        mountpoint: &Path,
        options: &MountOptions,
    ) -> Result<Self, String> {
        let uid = nix::unistd::getuid().as_raw();
        let gid = nix::unistd::getgid().as_raw();
        let mount_fs = MountFs::new(fs, store_dir.to_path_buf(), uid, gid, options.max_inodes);
        let served = serve_bounded(mount_fs, mountpoint, &mount_config())
            .map_err(|e| format!("cannot mount {}: {e}", mountpoint.display()))?;
        Ok(BackgroundMount {
            session: Some(served.session),
            sweeper: served.sweeper,
            state: served.state,
            mountpoint: mountpoint.to_path_buf(),
        })
    }

    /// Where the store is mounted.
    pub fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    /// The inode table's size now, its peak and the entries the kernel
    /// was asked to drop.
    pub fn inodes(&self) -> InodeCounts {
        counts(&self.state)
    }

    /// Starts a new peak of [`BackgroundMount::inodes`] from the inodes
    /// held now (as before a benchmark).
    pub fn reset_inode_peak(&self) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .inodes
            .reset_peak();
    }

    /// Unmounts (every file must be closed) and waits for the session to
    /// end; unsaved buffers are committed first.
    ///
    /// # Errors
    /// One line saying why unmounting failed.
    pub fn unmount(mut self) -> Result<(), String> {
        self.end()
    }

    fn end(&mut self) -> Result<(), String> {
        // The sweeper first, while the session still answers the
        // requests a notification may wait for.
        if let Some(sweeper) = self.sweeper.take() {
            sweeper.stop();
        }
        match self.session.take() {
            Some(session) => session
                .umount_and_join()
                .map_err(|e| format!("cannot unmount {}: {e}", self.mountpoint.display())),
            None => Ok(()),
        }
    }
}

impl Drop for BackgroundMount {
    fn drop(&mut self) {
        if let Err(e) = self.end() {
            eprintln!("strata fs: {e}");
        }
    }
}

/// A filesystem that answers nothing: what [`check_mount`] mounts.
struct Nothing;

impl Filesystem for Nothing {}

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(bin).is_file()))
}

/// Checks that this process can mount with FUSE: `/dev/fuse` opens, a
/// non-root user has `fusermount3` (or `fusermount`), and a trial mount
/// of an empty filesystem on a fresh directory under `scratch` succeeds
/// (and unmounts).
///
/// # Errors
/// One line saying why mounting is impossible here.
pub fn check_mount(scratch: &Path) -> Result<(), String> {
    if let Err(e) = File::options().read(true).write(true).open("/dev/fuse") {
        return Err(format!("/dev/fuse is not available ({e})"));
    }
    if !nix::unistd::geteuid().is_root() && !on_path("fusermount3") && !on_path("fusermount") {
        return Err("not root, and no fusermount3 or fusermount on PATH (Debian: fuse3)".into());
    }
    let dir = scratch.join(format!("strata-mount-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let result = fuser::spawn_mount(Nothing, &dir, &mount_config())
        .map_err(|e| format!("a trial mount was refused ({e})"))
        .and_then(|s| {
            s.umount_and_join()
                .map_err(|e| format!("a trial mount did not unmount ({e})"))
        });
    let _ = std::fs::remove_dir(&dir);
    result
}
