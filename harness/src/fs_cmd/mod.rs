//! `strata fs`: the blobfs filesystem's own commands: flags in, one
//! function per command ([`ops`]) over a store opened by
//! [`strata_blobfs::store_dir`] (which documents the store's files); the
//! mount is `strata-blobfs-fuse`'s.
//!
//! Errors print one line on stderr. Exit status: 0 on success; 1 when
//! something is not found, a time is bad or would go backwards, stored data
//! fails verification, or the operation is refused by the tree's state
//! (exists, not a directory, not empty); 2 for bad usage (a malformed path,
//! an unknown engine, a store that does not match `--engine`).

mod ops;

use crate::engines::open_engine;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use strata_api::{Engine, EngineSpec, PosixEnv};
use strata_blobfs::time::{self, ClaimTime};
use strata_blobfs::{BlobFs, FsError, Signer, StoreDir};

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
    /// deletions, one claim time for all.
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
    /// Mount the tree at MOUNTPOINT with FUSE (read-write, plus read-only
    /// views as of any time under MOUNTPOINT/.at/<RFC 3339 time>/); runs
    /// in the foreground until Ctrl-C, SIGTERM or `umount MOUNTPOINT`.
    #[cfg(feature = "fuse")]
    Mount {
        /// An existing (empty) directory.
        mountpoint: PathBuf,
    },
}

/// Runs `strata fs`; prints one line on stderr for an error.
pub fn run(args: FsArgs) -> ExitCode {
    match execute(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("strata fs: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

fn exit_code(e: &FsError) -> u8 {
    match e {
        FsError::Usage(_) | FsError::Engine(strata_api::Error::InvalidArgument(_)) => 2,
        _ => 1,
    }
}

fn parse_time(text: Option<&String>) -> Result<Option<ClaimTime>, FsError> {
    text.map(|t| time::parse_rfc3339(t)).transpose()
}

/// Opens an engine of the store with the POSIX `Env`.
fn open_store_engine(spec: &EngineSpec, dir: &Path) -> strata_api::Result<Arc<dyn Engine>> {
    open_engine(spec, dir, Arc::new(PosixEnv::new()))
}

/// The store named by `--store`, and `--engine` as a spec to check the
/// store's against (`None` for the default, which accepts any store).
fn store(args: &FsArgs) -> (StoreDir, Option<&str>) {
    let asked = (args.engine != "lsm").then_some(args.engine.as_str());
    (StoreDir::new(&args.store), asked)
}

fn open(args: &FsArgs) -> Result<BlobFs, FsError> {
    let (store, asked) = store(args);
    store.open(asked, &open_store_engine)
}

fn open_parts(args: &FsArgs) -> Result<(Arc<dyn Engine>, Signer), FsError> {
    let (store, asked) = store(args);
    store.open_parts(asked, &open_store_engine)
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
        #[cfg(feature = "fuse")]
        FsCommand::Mount { mountpoint } => return ops::mount(args, mountpoint),
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_error_kind() {
        assert_eq!(exit_code(&FsError::Usage("x".into())), 2);
        assert_eq!(exit_code(&FsError::NotFound("x".into())), 1);
        assert_eq!(exit_code(&FsError::BadTime("x".into())), 1);
        assert_eq!(exit_code(&FsError::corruption("blob", "bad")), 1);
        assert!(matches!(
            parse_time(Some(&"nope".to_string())),
            Err(FsError::BadTime(_))
        ));
        assert_eq!(parse_time(None).expect("none"), None);
    }
}
