//! Decoders that print a database's files record by record, as LevelDB's
//! `DumpFile` (`db/dumpfile.cc`) does for `leveldbutil dump`: the CLI's
//! `strata db dump` is a thin wrapper over [`dump_file`].
//!
//! The file's kind is chosen by its name: a write-ahead log ([`log`]), a
//! sorted table ([`table`]) or a MANIFEST ([`manifest`]). Keys and values
//! are printed with [`escape`]. Damage does not stop a dump early: every
//! readable record is printed first, then the earliest damage is returned
//! as a [`Error::Corruption`] naming the file and the byte offset.

mod log;
mod manifest;
mod table;

use crate::format::filename::{parse_file_name, FileType};
use crate::wal::{CollectingReporter, LogReader};
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use strata_api::{Env, Error};

/// What [`dump_file`] did with a file that gave no error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpOutcome {
    /// The file was decoded whole as a file of this kind
    /// ([`FileType::Log`], [`FileType::Table`] or [`FileType::Descriptor`]).
    Dumped(FileType),
    /// The name is not a `.log`, `.ldb`/`.sst` or `MANIFEST-*` file's:
    /// nothing was read or written.
    NotRecognised,
}

/// Why [`dump_file`] failed.
#[derive(Debug)]
pub enum DumpError {
    /// The file cannot be read (`Io`), or is damaged (`Corruption`, naming
    /// the file and the byte offset of the earliest damage).
    File(Error),
    /// Writing the dump to the output failed.
    Output(std::io::Error),
}

impl std::fmt::Display for DumpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DumpError::File(e) => write!(f, "{e}"),
            DumpError::Output(e) => write!(f, "cannot write output: {e}"),
        }
    }
}

impl std::error::Error for DumpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DumpError::File(e) => Some(e),
            DumpError::Output(e) => Some(e),
        }
    }
}

impl From<Error> for DumpError {
    fn from(e: Error) -> Self {
        DumpError::File(e)
    }
}

impl From<std::io::Error> for DumpError {
    fn from(e: std::io::Error) -> Self {
        DumpError::Output(e)
    }
}

/// Decodes the file at `path` (read through `env`, named by
/// `path.display()` in errors) onto `out`, choosing the decoder by the
/// file's name as `leveldbutil dump` does.
///
/// # Errors
/// [`DumpError::File`] if the file cannot be read or is damaged: the
/// earliest damage, after everything readable is printed;
/// [`DumpError::Output`] if writing to `out` fails.
pub fn dump_file(
    env: &dyn Env,
    path: &Path,
    out: &mut dyn Write,
) -> Result<DumpOutcome, DumpError> {
    let Some((_, kind)) = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(parse_file_name)
    else {
        return Ok(DumpOutcome::NotRecognised);
    };
    let shown = path.display().to_string();
    match kind {
        FileType::Log => log::dump(env, path, &shown, out)?,
        FileType::Table => table::dump(env, path, &shown, out)?,
        FileType::Descriptor => manifest::dump(env, path, &shown, out)?,
        _ => return Ok(DumpOutcome::NotRecognised),
    }
    Ok(DumpOutcome::Dumped(kind))
}

/// `leveldbutil`'s `EscapeString`: printable ASCII (`' '..='~'`) as is,
/// every other byte as `\x` and two lowercase hex digits.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (b' '..=b'~').contains(&b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Calls `each(offset, record)` for every logical record of the log-format
/// file at `path` (named `shown` in errors), checksums verified. Corrupt
/// stretches are skipped, as LevelDB's reader skips them; `each` reports a
/// record it cannot decode by returning its error and the walk goes on.
///
/// # Errors
/// `File(Io)` if the file cannot be read; otherwise the earliest error met
/// (a corruption skipped by the reader or an error returned by `each`),
/// once the walk is done.
fn for_each_record(
    env: &dyn Env,
    path: &Path,
    shown: &str,
    mut each: impl FnMut(u64, &[u8]) -> Result<(), DumpError>,
) -> Result<(), DumpError> {
    let file = env.new_sequential_file(path)?;
    let reporter = CollectingReporter::new(shown);
    let mut reader = LogReader::new(
        file,
        shown.to_string(),
        Some(Box::new(reporter.clone())),
        true,
        0,
    );
    let mut record = Vec::new();
    let mut first_bad: Option<(u64, DumpError)> = None;
    while reader.read_record(&mut record)? {
        let offset = reader.last_record_offset();
        if let Err(e) = each(offset, &record) {
            first_bad.get_or_insert((offset, e));
        }
    }
    let skipped = reporter
        .first()
        .map(|e| (corruption_offset(&e), DumpError::File(e)));
    match (skipped, first_bad) {
        (Some(a), Some(b)) => Err(if a.0 <= b.0 { a.1 } else { b.1 }),
        (Some((_, e)), None) | (None, Some((_, e))) => Err(e),
        (None, None) => Ok(()),
    }
}

fn corruption_offset(e: &Error) -> u64 {
    match e {
        Error::Corruption { offset_bytes, .. } => *offset_bytes,
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
