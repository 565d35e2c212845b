//! `strata fs`: the blobfs filesystem's own commands.
//!
//! A store is a directory:
//! - `engine/`: the key/value database (blobs under `b:`, index under `i:`);
//! - `signer.key`: the owner's ed25519 secret key, 64 hex digits, mode 0600,
//!   created by `init`;
//! - `config.json`: `{"engine": "<spec>"}`, the engine spec given to `init`,
//!   used by every later command.
//!
//! Errors print one line on stderr. Exit status: 0 on success; 1 when
//! something is not found, a time is bad or would go backwards, stored data
//! fails verification, or the operation is refused by the tree's state
//! (exists, not a directory, not empty); 2 for bad usage (a malformed path,
//! an unknown engine, a store that does not match `--engine`).

use crate::engines::open_engine;
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use strata_api::{EngineSpec, Env, PosixEnv};
use strata_blobfs::export::{self, ExportReport};
use strata_blobfs::time::{self, ClaimTime};
use strata_blobfs::{
    mirror, reindex, stats, verify, BlobFs, FsConfig, FsError, NodeKind, Signer, Stat, VersionState,
};

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

#[derive(Serialize, Deserialize)]
struct StoreConfig {
    engine: String,
}

const CONFIG_FILE: &str = "config.json";
const SIGNER_FILE: &str = "signer.key";
const ENGINE_DIR: &str = "engine";

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

fn fs_config() -> FsConfig {
    FsConfig {
        sync: true,
        ..FsConfig::default()
    }
}

fn env() -> Arc<dyn Env> {
    Arc::new(PosixEnv::new())
}

fn parse_spec(text: &str) -> Result<EngineSpec, FsError> {
    EngineSpec::parse(text).map_err(|e| FsError::Usage(e.to_string()))
}

fn init(args: &FsArgs) -> Result<(), FsError> {
    let spec = parse_spec(&args.engine)?;
    let config_path = args.store.join(CONFIG_FILE);
    if config_path.exists() {
        return Err(FsError::AlreadyExists(format!(
            "a store at {}",
            args.store.display()
        )));
    }
    std::fs::create_dir_all(&args.store).map_err(|e| FsError::io(&args.store, e))?;
    let signer = Signer::create_file(&args.store.join(SIGNER_FILE))?;
    let signer_ref = signer.public_key_ref();
    let engine = open_engine(&spec, &args.store.join(ENGINE_DIR), env())?;
    BlobFs::init(engine, signer, fs_config())?;
    let config = serde_json::to_vec_pretty(&StoreConfig {
        engine: spec.to_string(),
    })
    .map_err(|e| FsError::Usage(format!("cannot encode {CONFIG_FILE}: {e}")))?;
    std::fs::write(&config_path, config).map_err(|e| FsError::io(&config_path, e))?;
    println!(
        "initialised {} (engine {spec}, signer {signer_ref})",
        args.store.display()
    );
    Ok(())
}

/// The engine spec recorded in the store, checked against `--engine`.
fn store_spec(args: &FsArgs) -> Result<EngineSpec, FsError> {
    let path = args.store.join(CONFIG_FILE);
    let text = std::fs::read(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            FsError::NotFound(format!(
                "no store at {} (run `strata fs --store {} init`)",
                args.store.display(),
                args.store.display()
            ))
        } else {
            FsError::io(&path, e)
        }
    })?;
    let config: StoreConfig = serde_json::from_slice(&text)
        .map_err(|e| FsError::corruption(path.display().to_string(), e.to_string()))?;
    let spec = parse_spec(&config.engine)?;
    let asked = parse_spec(&args.engine)?;
    if args.engine != "lsm" && asked != spec {
        return Err(FsError::Usage(format!(
            "the store was created with engine '{spec}', not '{asked}'"
        )));
    }
    Ok(spec)
}

fn open_parts(args: &FsArgs) -> Result<(Arc<dyn strata_api::Engine>, Signer), FsError> {
    let spec = store_spec(args)?;
    let signer = Signer::load_file(&args.store.join(SIGNER_FILE))?;
    let engine = open_engine(&spec, &args.store.join(ENGINE_DIR), env())?;
    Ok((engine, signer))
}

fn open(args: &FsArgs) -> Result<BlobFs, FsError> {
    let (engine, signer) = open_parts(args)?;
    BlobFs::open(engine, signer, fs_config())
}

/// Runs the command; `Ok` carries the exit status (1 when `verify` finds
/// problems).
fn execute(args: &FsArgs) -> Result<u8, FsError> {
    match &args.command {
        FsCommand::Init => init(args)?,
        FsCommand::Put { src, dest, time } => {
            let at = parse_time(time.as_ref())?;
            let fs = open(args)?;
            let r = mirror::put(&fs, src, dest, at)?;
            for skipped in &r.skipped {
                eprintln!(
                    "strata fs: skipped {} (not a regular file or directory, or a non-UTF-8 name)",
                    skipped.display()
                );
            }
            let w = &r.write;
            println!(
                "put {} -> {dest}: {} added, {} changed, {} removed, {} unchanged; {} chunks read, {} new ({} bytes), {} deduplicated; {} claims",
                src.display(),
                r.added,
                r.changed,
                r.removed,
                r.unchanged,
                w.chunks_total,
                w.chunks_new,
                w.bytes_new,
                w.chunks_total - w.chunks_new,
                w.claims
            );
        }
        FsCommand::Cat { path, at } => {
            let at = parse_time(at.as_ref())?;
            let data = open(args)?.read(path, at)?;
            let mut out = std::io::stdout().lock();
            out.write_all(&data)
                .and_then(|()| out.flush())
                .map_err(|e| FsError::io("stdout", e))?;
        }
        FsCommand::Ls {
            long,
            recursive,
            path,
            at,
        } => {
            let at = parse_time(at.as_ref())?;
            let fs = open(args)?;
            let stat = fs.stat(path, at)?;
            if stat.kind == NodeKind::File {
                print_entry(&stat, path, *long);
            } else {
                list(&fs, path, "", *long, *recursive, at)?;
            }
        }
        FsCommand::Log { path } => {
            let history = open(args)?.history(path)?;
            if history.is_empty() {
                return Err(FsError::NotFound(format!("{path} never existed")));
            }
            for v in history {
                let when = time::to_rfc3339(v.time);
                match v.state {
                    VersionState::Absent => println!("{when}  deleted"),
                    VersionState::File {
                        permanode,
                        content,
                        size_bytes,
                    } => println!(
                        "{when}  file {size_bytes} bytes  content {content}  permanode {permanode}"
                    ),
                    VersionState::Directory { permanode, entries } => println!(
                        "{when}  dir  {} entries: {}  permanode {permanode}",
                        entries.len(),
                        entries.join(" ")
                    ),
                }
            }
        }
        FsCommand::Mkdir {
            path,
            parents,
            time,
        } => {
            let at = parse_time(time.as_ref())?;
            let fs = open(args)?;
            if *parents {
                fs.mkdir_all(path, at)?;
            } else {
                fs.mkdir(path, at)?;
            }
        }
        FsCommand::Mv { from, to, time } => {
            let at = parse_time(time.as_ref())?;
            open(args)?.rename(from, to, at)?;
        }
        FsCommand::Rm {
            path,
            recursive,
            time,
        } => {
            let at = parse_time(time.as_ref())?;
            open(args)?.remove(path, *recursive, at)?;
        }
        FsCommand::Export {
            path,
            out_dir,
            at,
            snapshot,
        } => {
            let at = parse_time(at.as_ref())?;
            let fs = open(args)?;
            let ExportReport {
                files,
                directories,
                bytes,
            } = export::export(&fs, path, out_dir, at)?;
            println!(
                "exported {path} to {}: {files} files, {directories} directories, {bytes} bytes",
                out_dir.display()
            );
            if *snapshot {
                println!("snapshot {}", export::snapshot(&fs, path, at)?);
            }
        }
        FsCommand::Verify => {
            let (engine, signer) = open_parts(args)?;
            let report = verify::verify(engine.as_ref(), &signer.public_key_ref())?;
            for p in report.problems() {
                println!("{p}");
            }
            let summary = format!(
                "{} blobs ({} bytes) re-hashed, {} permanodes and {} claims verified",
                report.blobs, report.blob_bytes, report.permanodes, report.claims
            );
            if report.is_ok() {
                println!("{summary}: ok");
            } else {
                let n = report.blob_problems.len() + report.index_problems.len();
                println!("{summary}: {n} problems");
                eprintln!("strata fs: verification failed: {n} problems");
                return Ok(1);
            }
        }
        FsCommand::Reindex => {
            let (engine, signer) = open_parts(args)?;
            let r = reindex::reindex(engine.as_ref(), &signer.public_key_ref(), true)?;
            for p in &r.problems {
                println!("{p}");
            }
            println!(
                "reindexed {} blobs: {} permanodes, {} claims; {} entries written, {} deleted",
                r.blobs, r.permanodes, r.claims, r.entries_written, r.entries_deleted
            );
        }
        #[cfg(feature = "fuse")]
        FsCommand::Mount { mountpoint } => {
            return Ok(crate::fs_mount::run(open(args)?, &args.store, mountpoint));
        }
        FsCommand::Stats => {
            let (engine, _signer) = open_parts(args)?;
            let s = stats::stats(engine.as_ref())?;
            println!("blobs          {:>12}  {:>14} bytes", s.blobs, s.blob_bytes);
            println!(
                "  data chunks  {:>12}  {:>14} bytes",
                s.chunk_blobs, s.chunk_bytes
            );
            println!(
                "  schema blobs {:>12}  {:>14} bytes",
                s.schema_blobs, s.schema_bytes
            );
            println!("claims         {:>12}", s.claims);
            println!("file versions  {:>12}", s.file_versions);
            println!("logical bytes  {:>12}", s.logical_bytes);
            println!("dedupe ratio   {:>12.2}", s.dedupe_ratio());
        }
    }
    Ok(0)
}

fn print_entry(stat: &Stat, name: &str, long: bool) {
    let suffix = if stat.kind == NodeKind::Directory {
        "/"
    } else {
        ""
    };
    if long {
        let kind = if stat.kind == NodeKind::Directory {
            'd'
        } else {
            '-'
        };
        let modified = stat
            .modified
            .map_or_else(|| "-".to_string(), time::to_rfc3339);
        println!(
            "{kind} {:04o} {:>12} {modified:<30} {name}{suffix}",
            stat.mode, stat.size_bytes
        );
    } else {
        println!("{name}{suffix}");
    }
}

fn list(
    fs: &BlobFs,
    path: &str,
    prefix: &str,
    long: bool,
    recursive: bool,
    at: Option<ClaimTime>,
) -> Result<(), FsError> {
    for entry in fs.readdir(path, at)? {
        let child = format!("{}/{}", path.trim_end_matches('/'), entry.name);
        let shown = format!("{prefix}{}", entry.name);
        if long {
            print_entry(&fs.stat(&child, at)?, &shown, true);
        } else {
            let suffix = if entry.kind == NodeKind::Directory {
                "/"
            } else {
                ""
            };
            println!("{shown}{suffix}");
        }
        if recursive && entry.kind == NodeKind::Directory {
            list(fs, &child, &format!("{shown}/"), long, recursive, at)?;
        }
    }
    Ok(())
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
