//! Export: write a path's tree as of a time to a local directory, or record
//! it as immutable `directory` / `static-set` / `file` snapshot blobs (and
//! materialise such a snapshot again).

use crate::blob::BlobRef;
use crate::error::{FsError, Result};
use crate::fs::path::{components, join};
use crate::fs::read::describe;
use crate::fs::{BlobFs, NodeKind};
use crate::schema::{
    self, check_header, parse_json, DirectoryBlob, FileBlob, Parts, StaticSet, CAMLI_VERSION,
    TYPE_DIRECTORY, TYPE_FILE, TYPE_STATIC_SET,
};
use crate::time::ClaimTime;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use strata_api::{ReadOptions, WriteBatch, WriteOptions};

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// Files written.
    pub files: u64,
    /// Directories created (the top one included).
    pub directories: u64,
    /// File bytes written.
    pub bytes: u64,
}

/// Writes `path` as of `at` into `out_dir`: a directory's contents go into
/// `out_dir` itself; a file is written as `out_dir/<its name>`. `out_dir` is
/// created if missing and must otherwise be empty. Files get their stored
/// permission bits (on Unix); directories get the process's default.
///
/// # Errors
/// `NotFound` if `path` does not exist then; `AlreadyExists` if `out_dir`
/// is not empty; `Corruption` naming a blob that fails verification; `Io`.
pub fn export(
    fs: &BlobFs,
    path: &str,
    out_dir: &Path,
    at: Option<ClaimTime>,
) -> Result<ExportReport> {
    let names = components(path)?;
    let ro = fs.read_view();
    let chain = fs.resolve(&ro, &names, at)?;
    let pn = chain[chain.len() - 1];
    let stat = fs.stat_node(&ro, &pn, at, &join(&names))?;
    prepare_out_dir(out_dir)?;
    let mut report = ExportReport {
        directories: 1,
        ..ExportReport::default()
    };
    match stat.kind {
        NodeKind::Directory => export_dir(fs, &ro, &pn, at, out_dir, &join(&names), &mut report)?,
        NodeKind::File => {
            let name = names.last().map_or("file", String::as_str);
            export_file(
                fs,
                &ro,
                &pn,
                at,
                &out_dir.join(name),
                &join(&names),
                &mut report,
            )?;
        }
    }
    Ok(report)
}

fn prepare_out_dir(out_dir: &Path) -> Result<()> {
    match std::fs::read_dir(out_dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(FsError::AlreadyExists(format!(
                    "{} is not empty",
                    out_dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(out_dir).map_err(|e| FsError::io(out_dir, e))
        }
        Err(e) => Err(FsError::io(out_dir, e)),
    }
}

fn export_dir(
    fs: &BlobFs,
    ro: &ReadOptions,
    pn: &BlobRef,
    at: Option<ClaimTime>,
    dir: &Path,
    path: &str,
    report: &mut ExportReport,
) -> Result<()> {
    for entry in fs.readdir_node(ro, pn, at, path)? {
        let local = dir.join(&entry.name);
        let child_path = format!("{}/{}", path.trim_end_matches('/'), entry.name);
        match entry.kind {
            NodeKind::Directory => {
                std::fs::create_dir(&local).map_err(|e| FsError::io(&local, e))?;
                report.directories += 1;
                export_dir(fs, ro, &entry.permanode, at, &local, &child_path, report)?;
            }
            NodeKind::File => {
                export_file(fs, ro, &entry.permanode, at, &local, &child_path, report)?
            }
        }
    }
    Ok(())
}

fn export_file(
    fs: &BlobFs,
    ro: &ReadOptions,
    pn: &BlobRef,
    at: Option<ClaimTime>,
    local: &Path,
    path: &str,
    report: &mut ExportReport,
) -> Result<()> {
    let stat = fs.stat_node(ro, pn, at, path)?;
    let content = stat
        .content
        .ok_or_else(|| FsError::NotFound(describe(path, at)))?;
    let (_, parts) = fs.load_file(ro, &content)?;
    write_parts(fs, ro, &parts, stat.mode, local)?;
    report.files += 1;
    report.bytes += parts.size_bytes;
    Ok(())
}

fn write_parts(
    fs: &BlobFs,
    ro: &ReadOptions,
    parts: &Parts,
    mode: u32,
    local: &Path,
) -> Result<()> {
    let mut file = std::fs::File::create(local).map_err(|e| FsError::io(local, e))?;
    for (r, size) in &parts.parts {
        let chunk = fs.fetch_chunk(ro, r, *size)?;
        file.write_all(&chunk).map_err(|e| FsError::io(local, e))?;
    }
    file.sync_all().map_err(|e| FsError::io(local, e))?;
    set_mode(local, mode)
}

#[cfg(unix)]
fn set_mode(local: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(local, std::fs::Permissions::from_mode(mode))
        .map_err(|e| FsError::io(local, e))
}

#[cfg(not(unix))]
fn set_mode(_local: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

/// Records `path` as of `at` as snapshot blobs: a `directory` blob (whose
/// `entries` is a `static-set` of its members' blobs, sorted by name) or a
/// `file` blob named after the entry. Returns the top blob's ref. Chunks
/// are shared with the live files; only schema blobs are new.
///
/// # Errors
/// As [`export`] (without the local I/O), and the engine's write errors.
pub fn snapshot(fs: &BlobFs, path: &str, at: Option<ClaimTime>) -> Result<BlobRef> {
    let names = components(path)?;
    let ro = fs.read_view();
    let chain = fs.resolve(&ro, &names, at)?;
    let mut batch = WriteBatch::new();
    let mut staged = HashSet::new();
    let name = names.last().map_or("", String::as_str);
    let top = snapshot_node(
        fs,
        &ro,
        &chain[chain.len() - 1],
        name,
        at,
        &join(&names),
        &mut batch,
        &mut staged,
    )?;
    fs.blobs
        .engine()
        .write(&WriteOptions::with_sync(fs.config.sync), &batch)?;
    Ok(top)
}

#[allow(clippy::too_many_arguments)]
fn snapshot_node(
    fs: &BlobFs,
    ro: &ReadOptions,
    pn: &BlobRef,
    name: &str,
    at: Option<ClaimTime>,
    path: &str,
    batch: &mut WriteBatch,
    staged: &mut HashSet<BlobRef>,
) -> Result<BlobRef> {
    let stat = fs.stat_node(ro, pn, at, path)?;
    let blob = match stat.content {
        Some(content) => {
            let (file, parts) = fs.load_file(ro, &content)?;
            let mtime = file.unix_mtime.clone();
            let mut named = FileBlob::new(name, stat.mode, None, &parts.parts);
            named.unix_mtime = mtime;
            schema::to_canonical(&named)?
        }
        None => {
            let mut members = Vec::new();
            for entry in fs.readdir_node(ro, pn, at, path)? {
                let child_path = format!("{}/{}", path.trim_end_matches('/'), entry.name);
                members.push(
                    snapshot_node(
                        fs,
                        ro,
                        &entry.permanode,
                        &entry.name,
                        at,
                        &child_path,
                        batch,
                        staged,
                    )?
                    .to_string(),
                );
            }
            let set = StaticSet {
                camli_version: CAMLI_VERSION,
                camli_type: TYPE_STATIC_SET.to_string(),
                members,
            };
            let (set_ref, _) = fs
                .blobs
                .stage(batch, staged, &schema::to_canonical(&set)?)?;
            schema::to_canonical(&DirectoryBlob {
                camli_version: CAMLI_VERSION,
                camli_type: TYPE_DIRECTORY.to_string(),
                file_name: name.to_string(),
                entries: set_ref.to_string(),
            })?
        }
    };
    Ok(fs.blobs.stage(batch, staged, &blob)?.0)
}

/// Writes snapshot `top` (a `directory` or `file` blob from [`snapshot`])
/// into `out_dir`, as [`export`] would.
///
/// # Errors
/// `Corruption` naming a blob that is missing, fails verification or is not
/// a snapshot blob; `AlreadyExists` if `out_dir` is not empty; `Io`.
pub fn export_snapshot(fs: &BlobFs, top: &BlobRef, out_dir: &Path) -> Result<ExportReport> {
    prepare_out_dir(out_dir)?;
    let ro = ReadOptions::default();
    let mut report = ExportReport {
        directories: 1,
        ..ExportReport::default()
    };
    let data = fs.blobs.fetch(&ro, top)?;
    match schema::camli_type(&data).as_deref() {
        Some(TYPE_DIRECTORY) => export_snapshot_dir(fs, &ro, top, &data, out_dir, &mut report)?,
        Some(TYPE_FILE) => {
            let file = FileBlob::parse(top, &data)?;
            let local = out_dir.join(checked_name(top, &file.file_name)?);
            export_snapshot_file(fs, &ro, top, &file, &local, &mut report)?;
        }
        _ => {
            return Err(FsError::corruption(
                format!("blob {top}"),
                "not a snapshot blob",
            ))
        }
    }
    Ok(report)
}

fn checked_name<'a>(r: &BlobRef, name: &'a str) -> Result<&'a str> {
    match components(name) {
        Ok(c) if c.len() == 1 && c[0] == name => Ok(name),
        _ => Err(FsError::corruption(
            format!("blob {r}"),
            format!("bad fileName {name:?}"),
        )),
    }
}

fn export_snapshot_file(
    fs: &BlobFs,
    ro: &ReadOptions,
    r: &BlobRef,
    file: &FileBlob,
    local: &Path,
    report: &mut ExportReport,
) -> Result<()> {
    let parts = file.checked_parts(r)?;
    write_parts(
        fs,
        ro,
        &parts,
        file.mode().unwrap_or(crate::fs::DEFAULT_FILE_MODE),
        local,
    )?;
    report.files += 1;
    report.bytes += parts.size_bytes;
    Ok(())
}

fn export_snapshot_dir(
    fs: &BlobFs,
    ro: &ReadOptions,
    r: &BlobRef,
    data: &[u8],
    dir: &Path,
    report: &mut ExportReport,
) -> Result<()> {
    let d: DirectoryBlob = parse_json(r, data)?;
    check_header(r, d.camli_version, &d.camli_type, TYPE_DIRECTORY)?;
    let set_ref = BlobRef::parse(&d.entries)
        .ok_or_else(|| FsError::corruption(format!("blob {r}"), "entries is not a ref"))?;
    let set_data = fs.blobs.fetch(ro, &set_ref)?;
    let set: StaticSet = parse_json(&set_ref, &set_data)?;
    check_header(
        &set_ref,
        set.camli_version,
        &set.camli_type,
        TYPE_STATIC_SET,
    )?;
    for member in &set.members {
        let m = BlobRef::parse(member)
            .ok_or_else(|| FsError::corruption(format!("blob {set_ref}"), "member is not a ref"))?;
        let m_data = fs.blobs.fetch(ro, &m)?;
        match schema::camli_type(&m_data).as_deref() {
            Some(TYPE_DIRECTORY) => {
                let child: DirectoryBlob = parse_json(&m, &m_data)?;
                let local = dir.join(checked_name(&m, &child.file_name)?);
                std::fs::create_dir(&local).map_err(|e| FsError::io(&local, e))?;
                report.directories += 1;
                export_snapshot_dir(fs, ro, &m, &m_data, &local, report)?;
            }
            Some(TYPE_FILE) => {
                let file = FileBlob::parse(&m, &m_data)?;
                let local = dir.join(checked_name(&m, &file.file_name)?);
                export_snapshot_file(fs, ro, &m, &file, &local, report)?;
            }
            _ => {
                return Err(FsError::corruption(
                    format!("blob {m}"),
                    "not a snapshot member",
                ))
            }
        }
    }
    Ok(())
}
