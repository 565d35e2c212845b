//! `fs_import`: a real local directory (`--fs_source`) mirrored into
//! `/import` (row `fs_import`), then a copy of it changed and mirrored
//! again onto the same path (row `fs_import.update`).
//!
//! The source is never modified: the copy goes to the scratch directory
//! (untimed) and is removed afterwards. Its changes, by position in the
//! sorted list of regular files: every 10th file gets 1 KiB appended,
//! every 20th (offset 5) is deleted, every 20th (offset 3) gets a new
//! 4 KiB sibling. Both imports read every local file (hashing is how a
//! mirror finds what changed), so their time includes the local reads;
//! run twice, the page cache usually holds the source. Latencies are not
//! recorded: a mirror is one call.
//!
//! Through the mount (`fs_import@mount`) the mirror is what a program
//! would do with system calls: walk the source, remove what it lacks,
//! compare each file with the mount's copy and rewrite it if it differs.

use super::content::{content_rng, fill_text};
use super::run::{fs_error, mismatch, FsResult, FsRun};
use super::target::write_and_close;
use super::FsBenchmark;
use crate::measure::{OpKind, RunError};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use strata_blobfs::mirror::{self, MirrorReport};

/// Where the source is mirrored to.
pub const IMPORT_PATH: &str = "/import";
/// Bytes appended to each changed file.
pub const APPEND_BYTES: usize = 1024;
/// Bytes of each added file.
pub const ADDED_FILE_BYTES: usize = 4096;
/// Content stream of the import changes.
const IMPORT_ID: u64 = u64::MAX - 1;

const MB: f64 = 1_048_576.0;

fn io_error(benchmark: &str, path: &Path, e: std::io::Error) -> RunError {
    RunError::Workload {
        benchmark: benchmark.to_string(),
        reason: format!("{}: {e}", path.display()),
    }
}

/// Copies the regular files and directories below `src` into `dst`
/// (symbolic links and special files are left out, as the mirror skips
/// them); returns the regular files' paths relative to `dst`, sorted.
fn copy_tree(src: &Path, dst: &Path, benchmark: &str) -> Result<Vec<PathBuf>, RunError> {
    let mut files = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let from = src.join(&rel);
        std::fs::create_dir_all(dst.join(&rel))
            .map_err(|e| io_error(benchmark, &dst.join(&rel), e))?;
        for entry in std::fs::read_dir(&from).map_err(|e| io_error(benchmark, &from, e))? {
            let entry = entry.map_err(|e| io_error(benchmark, &from, e))?;
            let kind = entry
                .file_type()
                .map_err(|e| io_error(benchmark, &entry.path(), e))?;
            let child = rel.join(entry.file_name());
            if kind.is_dir() {
                stack.push(child);
            } else if kind.is_file() {
                std::fs::copy(entry.path(), dst.join(&child))
                    .map_err(|e| io_error(benchmark, &entry.path(), e))?;
                files.push(child);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The changes described in the module docs; returns the relative paths
/// changed (appended or added) and removed.
fn change_copy(
    copy: &Path,
    files: &[PathBuf],
    seed: u64,
    benchmark: &str,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), RunError> {
    let mut changed = Vec::new();
    let mut removed = Vec::new();
    let mut buf = Vec::new();
    for (k, rel) in files.iter().enumerate() {
        let path = copy.join(rel);
        if k % 10 == 0 {
            fill_text(
                &mut buf,
                APPEND_BYTES,
                &mut content_rng(seed, IMPORT_ID, k as u64),
            );
            std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .and_then(|mut f| f.write_all(&buf))
                .map_err(|e| io_error(benchmark, &path, e))?;
            changed.push(rel.clone());
        } else if k % 20 == 5 {
            std::fs::remove_file(&path).map_err(|e| io_error(benchmark, &path, e))?;
            removed.push(rel.clone());
        } else if k % 20 == 3 {
            let added = rel.with_file_name(format!("strata-new-{k}.txt"));
            fill_text(
                &mut buf,
                ADDED_FILE_BYTES,
                &mut content_rng(seed, IMPORT_ID, k as u64),
            );
            std::fs::write(copy.join(&added), &buf).map_err(|e| io_error(benchmark, &added, e))?;
            changed.push(added);
        }
    }
    Ok((changed, removed))
}

fn store_path(rel: &Path) -> Option<String> {
    let mut out = String::from(IMPORT_PATH);
    for part in rel.components() {
        out.push('/');
        out.push_str(part.as_os_str().to_str()?);
    }
    Some(out)
}

fn describe(r: &MirrorReport) -> String {
    format!(
        "({} added, {} changed, {} removed, {} unchanged; {:.1} MB read, {:.1} MB new{})",
        r.added,
        r.changed,
        r.removed,
        r.unchanged,
        r.write.bytes_total as f64 / MB,
        r.write.bytes_new as f64 / MB,
        if r.skipped.is_empty() {
            String::new()
        } else {
            format!("; {} skipped", r.skipped.len())
        }
    )
}

/// What mirroring a local tree through the mount did.
#[derive(Debug, Default)]
struct CopyReport {
    added: u64,
    changed: u64,
    removed: u64,
    unchanged: u64,
    skipped: u64,
    bytes_read: u64,
    bytes_written: u64,
}

impl CopyReport {
    fn describe(&self) -> String {
        format!(
            "({} added, {} changed, {} removed, {} unchanged; {:.1} MB read, {:.1} MB written{})",
            self.added,
            self.changed,
            self.removed,
            self.unchanged,
            self.bytes_read as f64 / MB,
            self.bytes_written as f64 / MB,
            if self.skipped == 0 {
                String::new()
            } else {
                format!("; {} skipped", self.skipped)
            }
        )
    }
}

type IoAt = (PathBuf, std::io::Error);

fn at<T>(path: &Path, r: std::io::Result<T>) -> Result<T, IoAt> {
    r.map_err(|e| (path.to_path_buf(), e))
}

/// Mirrors the local tree `src` into `dst` on the mount with system
/// calls, as `rsync -r --delete --checksum` would: entries `src` lacks
/// are removed, a file is rewritten (open, write, close) unless the
/// mount's copy already holds the same bytes (both are read to compare:
/// the mount has no other way to know), directories are made. Symbolic
/// links and special files are skipped, as the API's mirror skips them.
fn mirror_through_mount(src: &Path, dst: &Path, r: &mut CopyReport) -> Result<(), IoAt> {
    match std::fs::symlink_metadata(dst) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            at(dst, std::fs::remove_file(dst))?;
            at(dst, std::fs::create_dir(dst))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => at(dst, std::fs::create_dir(dst))?,
        Err(e) => return Err((dst.to_path_buf(), e)),
    }
    let mut local = std::collections::BTreeMap::new();
    for entry in at(src, std::fs::read_dir(src))? {
        let entry = at(src, entry)?;
        let kind = at(&entry.path(), entry.file_type())?;
        if kind.is_dir() || kind.is_file() {
            local.insert(entry.file_name(), kind.is_dir());
        } else {
            r.skipped += 1;
        }
    }
    for entry in at(dst, std::fs::read_dir(dst))? {
        let entry = at(dst, entry)?;
        let is_dir = at(&entry.path(), entry.file_type())?.is_dir();
        if local.get(&entry.file_name()) != Some(&is_dir) {
            let path = entry.path();
            if is_dir {
                at(&path, std::fs::remove_dir_all(&path))?;
            } else {
                at(&path, std::fs::remove_file(&path))?;
            }
            r.removed += 1;
        }
    }
    for (name, is_dir) in local {
        let (from, to) = (src.join(&name), dst.join(&name));
        if is_dir {
            mirror_through_mount(&from, &to, r)?;
            continue;
        }
        let data = at(&from, std::fs::read(&from))?;
        r.bytes_read += data.len() as u64;
        match std::fs::read(&to) {
            Ok(old) if old == data => {
                r.unchanged += 1;
                continue;
            }
            Ok(_) => r.changed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => r.added += 1,
            Err(e) => return Err((to, e)),
        }
        at(&to, write_and_close(&to, &data))?;
        r.bytes_written += data.len() as u64;
    }
    Ok(())
}

impl FsRun<'_> {
    fn mirror_into(
        &mut self,
        name: &str,
        src: &Path,
        rng: &mut rand_xoshiro::Xoshiro256PlusPlus,
    ) -> Result<FsResult, RunError> {
        let local = self.target.local(IMPORT_PATH, None);
        self.measure(FsBenchmark::Import, name, false, rng, &mut |r, s, _| {
            let (ops, bytes, message) = match &local {
                None => {
                    let t = r.target.clock.tick();
                    let report = mirror::put(&r.fs, src, IMPORT_PATH, Some(t))
                        .map_err(|e| fs_error(name, e))?;
                    let ops = report.added + report.changed + report.removed + report.unchanged;
                    (ops, report.write.bytes_total, describe(&report))
                }
                Some(dst) => {
                    let mut report = CopyReport::default();
                    mirror_through_mount(src, dst, &mut report)
                        .map_err(|(path, e)| io_error(name, &path, e))?;
                    let ops = report.added + report.changed + report.removed + report.unchanged;
                    (ops, report.bytes_read, report.describe())
                }
            };
            for _ in 0..ops {
                s.finished_single_op(OpKind::Other);
            }
            s.add_bytes(bytes);
            s.add_message(&message);
            Ok(())
        })
    }

    pub(crate) fn import(&mut self) -> Result<Vec<FsResult>, RunError> {
        const NAME: &str = "fs_import";
        const UPDATE: &str = "fs_import.update";
        let Some(src) = self.config.source.clone() else {
            return Err(mismatch(NAME, "fs_import needs --fs_source DIR".into()));
        };
        let mut rng = crate::ycsb::generator::stream(self.config.seed, 99);
        let first = self.mirror_into(NAME, &src, &mut rng)?;
        let copy = self.config.scratch_dir.clone();
        if copy.exists() {
            // Never delete what this run did not make.
            return Err(mismatch(
                UPDATE,
                format!(
                    "{} exists; fs_import copies its source there (remove it first)",
                    copy.display()
                ),
            ));
        }
        let outcome = (|| -> Result<FsResult, RunError> {
            let files = copy_tree(&src, &copy, UPDATE)?;
            let (changed, removed) = change_copy(&copy, &files, self.config.seed, UPDATE)?;
            let second = self.mirror_into(UPDATE, &copy, &mut rng)?;
            self.check_update(UPDATE, &copy, &changed, &removed)?;
            Ok(second)
        })();
        let _ = std::fs::remove_dir_all(&copy);
        Ok(vec![first, outcome?])
    }

    /// Untimed: the store holds the changed copy's sizes, and not the
    /// removed files.
    fn check_update(
        &self,
        name: &str,
        copy: &Path,
        changed: &[PathBuf],
        removed: &[PathBuf],
    ) -> Result<(), RunError> {
        for rel in changed {
            let Some(path) = store_path(rel) else {
                continue;
            };
            let local = std::fs::metadata(copy.join(rel)).map_err(|e| io_error(name, rel, e))?;
            let stat = self.fs.stat(&path, None).map_err(|e| fs_error(name, e))?;
            if stat.size_bytes != local.len() {
                return Err(mismatch(
                    name,
                    format!(
                        "{path}: {} bytes in the store, {} in the copy",
                        stat.size_bytes,
                        local.len()
                    ),
                ));
            }
        }
        for rel in removed {
            let Some(path) = store_path(rel) else {
                continue;
            };
            if self.fs.exists(&path, None).map_err(|e| fs_error(name, e))? {
                return Err(mismatch(
                    name,
                    format!("{path} is still in the store after its removal"),
                ));
            }
        }
        Ok(())
    }
}
