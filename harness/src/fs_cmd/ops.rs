//! One function per `strata fs` command: parse the times, open the store,
//! call blobfs, print.

use super::{open, open_parts, open_store_engine, parse_time};
use crate::cli::fs::FsArgs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use strata_api::Engine;
use strata_blobfs::export::{self, ExportReport};
use strata_blobfs::store_dir::parse_spec;
use strata_blobfs::time::{self, ClaimTime};
use strata_blobfs::{
    mirror, reindex, stats, upgrade, verify, BlobFs, FsError, NodeKind, Signer, Stat, StoreDir,
    VersionState,
};

type Result<T> = std::result::Result<T, FsError>;

/// `init`: creates the store with `--engine`.
pub fn init(args: &FsArgs) -> Result<()> {
    let spec = parse_spec(&args.engine)?;
    let signer_ref = StoreDir::new(&args.store).init(&spec, &open_store_engine)?;
    println!(
        "initialised {} (engine {spec}, signer {signer_ref})",
        args.store.display()
    );
    Ok(())
}

/// `put SRC DEST`: mirrors a local tree into the store.
pub fn put(args: &FsArgs, src: &Path, dest: &str, time: Option<&String>) -> Result<()> {
    let at = parse_time(time)?;
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
    Ok(())
}

/// `cat PATH`: a file's bytes on stdout.
pub fn cat(args: &FsArgs, path: &str, at: Option<&String>) -> Result<()> {
    let at = parse_time(at)?;
    let data = open(args)?.read(path, at)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&data)
        .and_then(|()| out.flush())
        .map_err(|e| FsError::io("stdout", e))
}

/// `ls PATH`: a file's entry, or a directory's listing.
pub fn ls(
    args: &FsArgs,
    path: &str,
    at: Option<&String>,
    long: bool,
    recursive: bool,
) -> Result<()> {
    let at = parse_time(at)?;
    let fs = open(args)?;
    let stat = fs.stat(path, at)?;
    if stat.kind == NodeKind::File {
        print_entry(&stat, path, long);
        Ok(())
    } else {
        list(&fs, path, "", long, recursive, at)
    }
}

/// `log PATH`: every version, oldest first.
pub fn log(args: &FsArgs, path: &str) -> Result<()> {
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
    Ok(())
}

/// `mkdir [-p] PATH`.
pub fn mkdir(args: &FsArgs, path: &str, parents: bool, time: Option<&String>) -> Result<()> {
    let at = parse_time(time)?;
    let fs = open(args)?;
    if parents {
        fs.mkdir_all(path, at)?;
    } else {
        fs.mkdir(path, at)?;
    }
    Ok(())
}

/// `mv FROM TO`.
pub fn mv(args: &FsArgs, from: &str, to: &str, time: Option<&String>) -> Result<()> {
    let at = parse_time(time)?;
    open(args)?.rename(from, to, at)?;
    Ok(())
}

/// `rm [-r] PATH`.
pub fn rm(args: &FsArgs, path: &str, recursive: bool, time: Option<&String>) -> Result<()> {
    let at = parse_time(time)?;
    open(args)?.remove(path, recursive, at)?;
    Ok(())
}

/// `export PATH OUT_DIR [--snapshot]`.
pub fn export(
    args: &FsArgs,
    path: &str,
    out_dir: &Path,
    at: Option<&String>,
    snapshot: bool,
) -> Result<()> {
    let at = parse_time(at)?;
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
    if snapshot {
        println!("snapshot {}", export::snapshot(&fs, path, at)?);
    }
    Ok(())
}

/// The store's engine and signer for a whole-store scan (verify, reindex):
/// tables read with `pread`, so that the scan's resident memory is its own
/// and not the mapped pages of every table it passes.
fn open_parts_for_scan(args: &FsArgs) -> Result<(Arc<dyn Engine>, Signer)> {
    let (store, asked) = super::store(args);
    store.open_parts(asked, &|spec, dir| {
        crate::engines::open_engine(
            spec,
            dir,
            Arc::new(strata_blobfs::pread_env::PreadEnv::new()),
        )
    })
}

/// `verify`: the exit status is 1 when problems were found.
pub fn verify(args: &FsArgs) -> Result<u8> {
    let (engine, signer) = open_parts_for_scan(args)?;
    let report = verify::verify(engine.as_ref(), &signer.public_key_ref())?;
    for p in report.problems() {
        println!("{p}");
    }
    let mut summary = format!(
        "{} blobs ({} bytes) re-hashed, {} permanodes and {} claims verified",
        report.blobs, report.blob_bytes, report.permanodes, report.claims
    );
    if report.duplicate_copies > 0 {
        summary.push_str(&format!(
            " ({} duplicate copies of blobs, harmless)",
            report.duplicate_copies
        ));
    }
    if report.is_ok() {
        println!("{summary}: ok");
        Ok(0)
    } else {
        let n = report.blob_problems.len() + report.index_problems.len();
        println!("{summary}: {n} problems");
        eprintln!("strata fs: verification failed: {n} problems");
        Ok(1)
    }
}

/// `reindex`: rebuilds the index from the blobs.
pub fn reindex(args: &FsArgs) -> Result<()> {
    let (engine, signer) = open_parts_for_scan(args)?;
    let r = reindex::reindex(engine.as_ref(), &signer.public_key_ref(), true)?;
    for p in &r.problems {
        println!("{p}");
    }
    println!(
        "reindexed {} blobs: {} permanodes, {} claims; {} entries written, {} deleted",
        r.blobs, r.permanodes, r.claims, r.entries_written, r.entries_deleted
    );
    Ok(())
}

/// `upgrade`: converts an older store to this build's format.
pub fn upgrade(args: &FsArgs) -> Result<()> {
    let (engine, signer) = open_parts(args)?;
    let r = upgrade::upgrade(&engine, &signer.public_key_ref(), true)?;
    if r.from_format == upgrade::FORMAT_VERSION {
        println!("store is already format {}", r.from_format);
    } else {
        println!(
            "upgraded format {} to {}: {} blobs moved; {} index entries written, {} deleted",
            r.from_format,
            upgrade::FORMAT_VERSION,
            r.blobs_moved,
            r.entries_written,
            r.entries_deleted
        );
    }
    Ok(())
}

/// `stats`: blob counts, bytes, dedupe ratio.
pub fn stats(args: &FsArgs) -> Result<()> {
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
    Ok(())
}

/// `mount MOUNTPOINT`: serves the store with FUSE until unmounted; the
/// exit status is the mount's. The engine reads its tables with `pread`
/// ([`strata_blobfs_fuse::PreadEnv`]), so that the mount's resident memory
/// does not grow with the data stored; its inode table holds at most
/// `max_inodes` (0: no cap).
#[cfg(feature = "fuse")]
pub fn mount(args: &FsArgs, mountpoint: &Path, max_inodes: u64) -> Result<u8> {
    let (store, asked) = super::store(args);
    let fs = store.open(asked, &|spec, dir| {
        crate::engines::open_engine(
            spec,
            dir,
            std::sync::Arc::new(strata_blobfs_fuse::PreadEnv::new()),
        )
    })?;
    let options = strata_blobfs_fuse::MountOptions::default().max_inodes(max_inodes);
    Ok(strata_blobfs_fuse::run(
        fs,
        &args.store,
        mountpoint,
        &options,
    ))
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
) -> Result<()> {
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
