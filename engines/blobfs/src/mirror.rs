//! `put SRC DEST`: mirror a local file or tree into the filesystem as of a
//! time, in one mutation: new paths are added, files whose bytes or mode
//! differ get a new version, paths missing from SRC are removed, and
//! unchanged files get no claim at all.
//!
//! A tree too large for one engine batch is committed in batches of about
//! [`crate::fs::txn::CLAIM_FLUSH_BYTES`] of claims, each holding whole
//! files and directories after the blobs they name: memory stays bounded
//! whatever the tree's size, and a put killed half way leaves every file at
//! its old or its new version (running it again finishes the mirror).
//!
//! Symbolic links and special files are skipped (and listed in the report);
//! so are names that are not UTF-8. Missing parents of DEST are created.
//! Without an explicit time the clock is used, moved past the latest claim
//! of DEST and its parent; a deeper node with a claim later than that makes
//! the put fail with `BadTime`.

use crate::blob::BlobRef;
use crate::chunk::ReaderSource;
use crate::error::{FsError, Result};
use crate::fs::content::{stage_file_blob, stage_source};
use crate::fs::path::components;
use crate::fs::txn::Txn;
use crate::fs::write::{new_directory, path_attr, set_file, Existing};
use crate::fs::{BlobFs, NodeKind, WriteReport, ATTR_CONTENT, DEFAULT_FILE_MODE};
use crate::schema::ClaimType;
use crate::time::ClaimTime;
use std::collections::BTreeMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use strata_api::ReadOptions;

/// What a mirror did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MirrorReport {
    /// Files and directories created.
    pub added: u64,
    /// Files given a new version (or a path whose kind changed).
    pub changed: u64,
    /// Paths removed because SRC no longer has them.
    pub removed: u64,
    /// Files left as they were.
    pub unchanged: u64,
    /// Local paths skipped (symbolic links, special files, non-UTF-8 names).
    pub skipped: Vec<PathBuf>,
    /// Chunks and bytes read, stored and deduplicated; claims made.
    pub write: WriteReport,
}

/// Mirrors local `src` into `dest` at `at` (`None`: now).
///
/// # Errors
/// `NotFound` if `src` does not exist; `Usage` for a file onto the root or
/// a bad path; `NotADirectory` if a file is in the way of DEST's parents;
/// `BadTime` (see the module docs); `Io` reading `src`.
pub fn put(fs: &BlobFs, src: &Path, dest: &str, at: Option<ClaimTime>) -> Result<MirrorReport> {
    let _guard = fs.write_lock.lock();
    let ro = ReadOptions::default();
    let names = components(dest)?;
    let meta = std::fs::symlink_metadata(src).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            FsError::NotFound(format!("local path {}", src.display()))
        } else {
            FsError::io(src, e)
        }
    })?;
    let mut report = MirrorReport::default();
    let Some((name, parent_names)) = names.split_last() else {
        if !meta.is_dir() {
            return Err(FsError::Usage(
                "only a directory can be put onto the root".into(),
            ));
        }
        let mut txn = Txn::begin(fs, at, &[fs.root], Vec::new())?;
        mirror_dir(fs, &ro, &mut txn, src, fs.root, false, &mut report)?;
        report.write = txn.commit()?;
        return Ok(report);
    };
    let (mut parent, done) = fs.existing_prefix(&ro, parent_names)?;
    let existing = if done == parent_names.len() {
        fs.child_now(&ro, &parent, name)?
    } else {
        None
    };
    let mut touched = vec![parent];
    touched.extend(existing.map(|e| e.pn));
    let mut txn = Txn::begin(fs, at, &touched, Vec::new())?;
    for missing in &parent_names[done..] {
        parent = new_directory(&mut txn, parent, missing)?;
        report.added += 1;
    }
    mirror_entry(
        fs,
        &ro,
        &mut txn,
        src,
        &meta,
        parent,
        name,
        existing,
        &mut report,
    )?;
    report.write = txn.commit()?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn mirror_entry(
    fs: &BlobFs,
    ro: &ReadOptions,
    txn: &mut Txn<'_>,
    src: &Path,
    meta: &Metadata,
    parent: BlobRef,
    name: &str,
    existing: Option<Existing>,
    report: &mut MirrorReport,
) -> Result<()> {
    if meta.is_dir() {
        let (pn, fresh) = match existing {
            Some(Existing {
                pn,
                kind: Some(NodeKind::Directory),
            }) => (pn, false),
            other => {
                if other.is_some() {
                    report.changed += 1;
                } else {
                    report.added += 1;
                }
                (new_directory(txn, parent, name)?, true)
            }
        };
        mirror_dir(fs, ro, txn, src, pn, fresh, report)
    } else if meta.is_file() {
        mirror_file(fs, ro, txn, src, meta, parent, name, existing, report)
    } else {
        report.skipped.push(src.to_path_buf());
        Ok(())
    }
}

fn mirror_dir(
    fs: &BlobFs,
    ro: &ReadOptions,
    txn: &mut Txn<'_>,
    src: &Path,
    pn: BlobRef,
    fresh: bool,
    report: &mut MirrorReport,
) -> Result<()> {
    let mut local = BTreeMap::new();
    let entries = std::fs::read_dir(src).map_err(|e| FsError::io(src, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| FsError::io(src, e))?;
        let path = entry.path();
        match entry.file_name().into_string() {
            Ok(name) if components(&name).map(|c| c.len() == 1).unwrap_or(false) => {
                let meta = std::fs::symlink_metadata(&path).map_err(|e| FsError::io(&path, e))?;
                local.insert(name, (path, meta));
            }
            _ => report.skipped.push(path),
        }
    }
    let current: Vec<(String, BlobRef)> = if fresh {
        Vec::new()
    } else {
        fs.entries_now(ro, &pn)?
    };
    let current: BTreeMap<String, BlobRef> = current.into_iter().collect();
    for (name, (path, meta)) in &local {
        let existing = match current.get(name) {
            Some(child) => Some(Existing {
                pn: *child,
                kind: fs.kind_now(ro, child)?,
            }),
            None => None,
        };
        mirror_entry(fs, ro, txn, path, meta, pn, name, existing, report)?;
        txn.maybe_flush()?;
    }
    for name in current.keys().filter(|n| !local.contains_key(*n)) {
        txn.claim(pn, ClaimType::DelAttribute, &path_attr(name), None)?;
        report.removed += 1;
        txn.maybe_flush()?;
    }
    Ok(())
}

#[cfg(unix)]
fn mode_of(meta: &Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(meta: &Metadata) -> u32 {
    if meta.permissions().readonly() {
        0o444
    } else {
        DEFAULT_FILE_MODE
    }
}

#[allow(clippy::too_many_arguments)]
fn mirror_file(
    fs: &BlobFs,
    ro: &ReadOptions,
    txn: &mut Txn<'_>,
    src: &Path,
    meta: &Metadata,
    parent: BlobRef,
    name: &str,
    existing: Option<Existing>,
    report: &mut MirrorReport,
) -> Result<()> {
    let mode = mode_of(meta);
    let file = std::fs::File::open(src).map_err(|e| FsError::io(src, e))?;
    let parts = stage_source(
        txn,
        ReaderSource::new(std::io::BufReader::new(file), src.to_path_buf()),
        fs.config.chunker,
    )?;
    let same_kind = match existing {
        Some(Existing {
            pn,
            kind: Some(NodeKind::File),
        }) => Some(pn),
        _ => None,
    };
    if let Some(pn) = same_kind {
        let node = fs.node_now(ro, &pn)?;
        if let Some(content) = node.get(ATTR_CONTENT).and_then(BlobRef::parse) {
            let (old, old_parts) = fs.load_file(ro, &content)?;
            if old_parts.parts == parts && old.mode().unwrap_or(DEFAULT_FILE_MODE) == mode {
                report.unchanged += 1;
                return Ok(());
            }
        }
    }
    let mtime = meta
        .modified()
        .ok()
        .map(chrono::DateTime::<chrono::Utc>::from);
    let file_ref = stage_file_blob(txn, name, mode, mtime, &parts)?;
    match (existing, same_kind) {
        (_, Some(pn)) => {
            set_file(txn, parent, name, Some(pn), file_ref)?;
            report.changed += 1;
        }
        (Some(_), None) => {
            set_file(txn, parent, name, None, file_ref)?;
            report.changed += 1;
        }
        (None, None) => {
            set_file(txn, parent, name, None, file_ref)?;
            report.added += 1;
        }
    }
    Ok(())
}
