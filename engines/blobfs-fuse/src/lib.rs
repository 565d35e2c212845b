//! strata-blobfs-fuse: a blobfs store's tree mounted with FUSE (fuser's
//! pure-Rust mount: no libfuse), in the foreground until Ctrl-C, SIGTERM or
//! an outside `umount`. `strata fs --store DIR mount MOUNTPOINT` (the
//! harness's feature `fuse`) opens the store and calls [`run`].
//!
//! - **The live tree** is read-write: lookup, getattr, readdir, open, read,
//!   create, write, truncate, mkdir, rename, unlink, rmdir, statfs map to
//!   blobfs reads and mutations ([`write_ops`]); each mutation is one batch
//!   of signed claims at one time.
//! - **Streaming writes**: a file's writes are chunked and stored as they
//!   arrive (about two chunks in memory per open file, whatever its size)
//!   and committed as one version on the first flush (a `close`) after a
//!   write, on fsync, or on the last release ([`buffer`]), so `cp`,
//!   `echo > f` or `dd` make one version per close; a crash before the
//!   commit leaves the previous version.
//! - **Views**: `MOUNTPOINT/.at/<RFC 3339 time>/` is the whole tree as of
//!   that instant, read-only (`EROFS`) ([`views`]). `.at` is hidden from
//!   the root's listing but always found by name.
//! - **The engine** of a mounted store should run on [`PreadEnv`]: tables
//!   read with `pread`, not mapped, so that the mount's resident memory
//!   does not grow with the data stored.
//! - **Inodes**: numbers stand for paths (of the live tree or of a view),
//!   kept in memory and moved along by renames ([`inodes`]). The table is
//!   bounded ([`MountOptions::max_inodes`]): past the cap the mount asks
//!   the kernel to forget the least recently used entries ([`bound`]).

mod adapter;
mod background;
mod bound;
mod buffer;
mod env;
mod errno;
mod inodes;
mod mount_fs;
mod read_ops;
mod session;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
mod views;
mod write_ops;

pub use background::{check_mount, BackgroundMount};
pub use bound::{InodeCounts, MountOptions, DEFAULT_MAX_INODES};
pub use env::PreadEnv;
use mount_fs::MountFs;
use std::path::Path;
use strata_blobfs::BlobFs;

/// Mounts `fs` (opened from `store`) at `mountpoint` with `options` and
/// serves it until a signal or an outside unmount. Returns the exit
/// status: 0 after a clean unmount, 1 if mounting or unmounting failed
/// (printed on stderr).
pub fn run(fs: BlobFs, store: &Path, mountpoint: &Path, options: &MountOptions) -> u8 {
    let uid = nix::unistd::getuid().as_raw();
    let gid = nix::unistd::getgid().as_raw();
    let mount_fs = MountFs::new(fs, store.to_path_buf(), uid, gid, options.max_inodes);
    session::serve(mount_fs, store, mountpoint)
}
