//! `dump FILE`: finds the file and maps the outcome to an exit status; the
//! decoding is the engine's ([`strata_lsm::dump`]), as `leveldbutil dump`
//! wraps LevelDB's `DumpFile`.

use super::error::DbError;
use std::io::Write;
use std::path::{Path, PathBuf};
use strata_api::PosixEnv;
use strata_lsm::dump::{dump_file, DumpError, DumpOutcome};

/// Decodes `file` (looked up in `db_dir` if it is relative and not found
/// as given) onto `out`.
///
/// # Errors
/// Exit 2 if the name is not a `.log`, `.ldb`/`.sst` or `MANIFEST-*`
/// file's; exit 1 if it cannot be read or is corrupt (the first corruption,
/// naming the file and the byte offset, after everything readable is
/// printed).
pub fn dump(db_dir: &Path, file: &Path, out: &mut dyn Write) -> Result<(), DbError> {
    let path = resolve(db_dir, file);
    match dump_file(&PosixEnv::new(), &path, out) {
        Ok(DumpOutcome::Dumped(_)) => Ok(()),
        Ok(DumpOutcome::NotRecognised) => Err(DbError::NotDumpable { path }),
        Err(DumpError::File(e)) => Err(DbError::Engine(e)),
        Err(DumpError::Output(e)) => Err(DbError::Output(e)),
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
