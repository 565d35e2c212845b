//! `dump FILE`: picks the decoder by the file's name, as `leveldbutil dump`
//! does, and reads log-format files record by record.

use super::failure::Failure;
use super::{dump_log, dump_manifest, dump_table};
use std::io::Write;
use std::path::{Path, PathBuf};
use strata_api::{Env, Error, PosixEnv};
use strata_lsm::format::filename::{parse_file_name, FileType};
use strata_lsm::wal::{CollectingReporter, LogReader};

/// Decodes `file` (looked up in `db_dir` if it is relative and not found
/// as given) onto `out`.
///
/// # Errors
/// Exit 2 if the name is not a `.log`, `.ldb`/`.sst` or `MANIFEST-*`
/// file's; exit 1 if it cannot be read or is corrupt (the first corruption,
/// naming the file and the byte offset, after everything readable is
/// printed).
pub fn dump(db_dir: &Path, file: &Path, out: &mut dyn Write) -> Result<(), Failure> {
    let path = resolve(db_dir, file);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(parse_file_name);
    let shown = path.display().to_string();
    match name {
        Some((_, FileType::Log)) => dump_log::dump(&path, &shown, out),
        Some((_, FileType::Table)) => dump_table::dump(&path, &shown, out),
        Some((_, FileType::Descriptor)) => dump_manifest::dump(&path, &shown, out),
        _ => Err(Failure::usage(format!(
            "{shown}: not a .log, .ldb, .sst or MANIFEST-* file"
        ))),
    }
}

/// `file` as given if it exists or is absolute, else `db_dir/file`.
fn resolve(db_dir: &Path, file: &Path) -> PathBuf {
    if file.is_absolute() || file.exists() {
        file.to_path_buf()
    } else {
        db_dir.join(file)
    }
}

/// Calls `each(offset, record)` for every logical record of the log-format
/// file at `path` (named `shown` in errors), checksums verified. Corrupt
/// stretches are skipped, as LevelDB's reader skips them; `each` reports a
/// record it cannot decode by returning its error and the walk goes on.
///
/// # Errors
/// `Io` if the file cannot be read; otherwise the earliest corruption met
/// (skipped by the reader or returned by `each`), once the walk is done.
pub fn for_each_record(
    path: &Path,
    shown: &str,
    mut each: impl FnMut(u64, &[u8]) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let file = PosixEnv::new().new_sequential_file(path)?;
    let reporter = CollectingReporter::new(shown);
    let mut reader = LogReader::new(
        file,
        shown.to_string(),
        Some(Box::new(reporter.clone())),
        true,
        0,
    );
    let mut record = Vec::new();
    let mut first_bad: Option<(u64, Failure)> = None;
    while reader.read_record(&mut record)? {
        let offset = reader.last_record_offset();
        if let Err(failure) = each(offset, &record) {
            first_bad.get_or_insert((offset, failure));
        }
    }
    let skipped = reporter
        .first()
        .map(|e| (corruption_offset(&e), Failure::from(e)));
    match (skipped, first_bad) {
        (Some(a), Some(b)) => Err(if a.0 <= b.0 { a.1 } else { b.1 }),
        (Some((_, f)), None) | (None, Some((_, f))) => Err(f),
        (None, None) => Ok(()),
    }
}

fn corruption_offset(e: &Error) -> u64 {
    match e {
        Error::Corruption { offset_bytes, .. } => *offset_bytes,
        _ => 0,
    }
}
