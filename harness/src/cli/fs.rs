//! `strata fs`'s flags and entry point; the commands are in
//! [`crate::fs_cmd`], which documents the exit statuses.

use crate::fs_cmd::{self, ops};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use strata_blobfs::FsError;

/// Options of `strata fs`.
#[derive(Args, Debug)]
pub struct FsArgs {
    /// The store directory.
    #[arg(long)]
    pub store: PathBuf,
    /// Engine spec of a new store (`init`); later commands use the spec
    /// recorded in the store and refuse a different one.
    #[arg(long, default_value = "lsm")]
    pub engine: String,
    /// What to do.
    #[command(subcommand)]
    pub command: FsCommand,
}

/// The commands of `strata fs`. Times are RFC 3339 (for example
/// `2024-05-01T12:00:00Z`); without one, mutations happen now and reads see
/// the latest state.
#[derive(Subcommand, Debug)]
pub enum FsCommand {
    /// Create a new store: the engine, the signer key and the root.
    Init,
    /// Mirror a local file or tree into DEST as of a time: adds, changes and
    /// deletions, one claim time for all (`import` is another name for it).
    #[command(alias = "import")]
    Put {
        /// Local file or directory.
        src: PathBuf,
        /// Path in the store that becomes a mirror of SRC.
        dest: String,
        /// Claim time (RFC 3339); default now.
        #[arg(long)]
        time: Option<String>,
    },
    /// Print a file's bytes.
    Cat {
        /// Path in the store.
        path: String,
        /// Read as of this time.
        #[arg(long)]
        at: Option<String>,
    },
    /// List a directory.
    Ls {
        /// Long format: kind, mode, size, last change, name.
        #[arg(short = 'l')]
        long: bool,
        /// List subdirectories too.
        #[arg(short = 'R')]
        recursive: bool,
        /// Path in the store.
        #[arg(default_value = "/")]
        path: String,
        /// List as of this time.
        #[arg(long)]
        at: Option<String>,
    },
    /// Every version of a path, oldest first.
    Log {
        /// Path in the store.
        path: String,
    },
    /// Create a directory.
    Mkdir {
        /// Path in the store.
        path: String,
        /// Create missing parents; no error if it exists.
        #[arg(short = 'p', long)]
        parents: bool,
        /// Claim time; default now.
        #[arg(long)]
        time: Option<String>,
    },
    /// Move or rename.
    Mv {
        /// Existing path.
        from: String,
        /// New path.
        to: String,
        /// Claim time; default now.
        #[arg(long)]
        time: Option<String>,
    },
    /// Remove a file or an (empty, or with -r any) directory.
    Rm {
        /// Path in the store.
        path: String,
        /// Remove a directory with everything in it.
        #[arg(short = 'r', long)]
        recursive: bool,
        /// Claim time; default now.
        #[arg(long)]
        time: Option<String>,
    },
    /// Write a path's tree as of a time into a local directory.
    Export {
        /// Path in the store.
        path: String,
        /// Local directory (created; must be empty if it exists).
        out_dir: PathBuf,
        /// Export as of this time.
        #[arg(long)]
        at: Option<String>,
        /// Also record the tree as directory/static-set snapshot blobs and
        /// print the top ref.
        #[arg(long)]
        snapshot: bool,
    },
    /// Re-hash every blob, check every claim's signature and the index.
    Verify,
    /// Rebuild the index from the blobs alone.
    Reindex,
    /// Blobs, bytes, logical bytes, dedupe ratio.
    Stats,
    /// Convert a store of an older format to this build's.
    Upgrade,
    /// Mount the tree at MOUNTPOINT with FUSE (read-write, plus read-only
    /// views as of any time under MOUNTPOINT/.at/<RFC 3339 time>/); runs
    /// in the foreground until Ctrl-C, SIGTERM or `umount MOUNTPOINT`.
    #[cfg(feature = "fuse")]
    Mount {
        /// An existing (empty) directory.
        mountpoint: PathBuf,
        /// The most inodes the mount keeps before it asks the kernel to
        /// forget the least recently used (0: no cap; the kernel then
        /// forgets only under memory pressure).
        #[arg(long, value_name = "N", default_value_t = strata_blobfs_fuse::DEFAULT_MAX_INODES)]
        max_inodes: u64,
    },
}

/// Runs `strata fs`; prints one line on stderr for an error.
pub fn run(args: FsArgs) -> ExitCode {
    match execute(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("strata fs: {e}");
            ExitCode::from(fs_cmd::exit_code(&e))
        }
    }
}

/// Runs the command; `Ok` carries the exit status (1 when `verify` finds
/// problems; the mount's own status).
fn execute(args: &FsArgs) -> Result<u8, FsError> {
    match &args.command {
        FsCommand::Init => ops::init(args)?,
        FsCommand::Put { src, dest, time } => ops::put(args, src, dest, time.as_ref())?,
        FsCommand::Cat { path, at } => ops::cat(args, path, at.as_ref())?,
        FsCommand::Ls {
            long,
            recursive,
            path,
            at,
        } => ops::ls(args, path, at.as_ref(), *long, *recursive)?,
        FsCommand::Log { path } => ops::log(args, path)?,
        FsCommand::Mkdir {
            path,
            parents,
            time,
        } => ops::mkdir(args, path, *parents, time.as_ref())?,
        FsCommand::Mv { from, to, time } => ops::mv(args, from, to, time.as_ref())?,
        FsCommand::Rm {
            path,
            recursive,
            time,
        } => ops::rm(args, path, *recursive, time.as_ref())?,
        FsCommand::Export {
            path,
            out_dir,
            at,
            snapshot,
        } => ops::export(args, path, out_dir, at.as_ref(), *snapshot)?,
        FsCommand::Verify => return ops::verify(args),
        FsCommand::Reindex => ops::reindex(args)?,
        FsCommand::Stats => ops::stats(args)?,
        FsCommand::Upgrade => ops::upgrade(args)?,
        #[cfg(feature = "fuse")]
        FsCommand::Mount {
            mountpoint,
            max_inodes,
        } => return ops::mount(args, mountpoint, *max_inodes),
    }
    Ok(0)
}
