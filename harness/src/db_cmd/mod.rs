//! `strata db`: the inspection tool RocksDB users know as `ldb` and LevelDB
//! users as `leveldbutil`, over any engine spec.
//!
//! Output formats:
//! - `scan`: one pair a line, `KEY : VALUE` (raw bytes); with `--hex`,
//!   `0x<KEY> : 0x<VALUE>` in uppercase hex, byte for byte as
//!   `ldb scan --hex` prints. `--to` is exclusive, as in `ldb`.
//! - `get`: the value and a newline (`0x…` with `--hex`); `put`, `delete`
//!   and `load` print `OK`, as `ldb` does.
//! - `dump FILE`: a `.log`, `.ldb`/`.sst` or `MANIFEST-*` file decoded
//!   record by record in `leveldbutil dump`'s format (non-printable bytes
//!   as `\xNN`); the WAL's record line also gives the batch's count.
//!
//! With `--hex`, key arguments (`--from`, `--to`, `KEY`, `VALUE`, and both
//! sides of `load` lines) that start with `0x` are decoded as hex, as
//! `ldb --key_hex` reads them; arguments without the prefix are literal.
//!
//! `scan`, `get` and `stats` change nothing in the directory: strata's
//! engine opens it read-only (no `LOCK`, no new log or MANIFEST, no
//! compaction); a peer (LevelDB, rusty-leveldb), whose open always
//! writes, opens a scratch copy.
//!
//! The flags are [`crate::cli::db`]'s. Errors ([`DbError`]) print one line,
//! `strata: <message>`, on stderr. Exit status: 0 on success; 1 when a key
//! is not found, data is corrupt (the message names the file and the byte
//! offset), a load file line is malformed (naming the file and the line;
//! nothing is written), or the database cannot be opened or is missing
//! (`scan`, `get`, `delete`, `stats` and `compact` never create one; `put`
//! and `load` do); 2 for bad usage (a malformed engine spec or option, bad
//! hex, a file `dump` does not recognise).

mod bytes;
pub mod dump;
pub mod error;
pub mod load;
pub mod point;
pub mod scan;

use crate::engines::{open_engine, open_engine_read_only, Inspected};
pub use error::DbError;
use std::path::Path;
use std::sync::Arc;
use strata_api::{Engine, EngineSpec, PosixEnv};

/// Parses `--engine`.
///
/// # Errors
/// [`DbError::BadSpec`] (exit 2).
pub fn parse_spec(text: &str) -> Result<EngineSpec, DbError> {
    crate::engines::parse_spec(text).map_err(|source| DbError::BadSpec {
        spec: text.to_string(),
        source,
    })
}

/// Opens an existing database for `scan`, `get` and `stats`, which never
/// create or change one.
///
/// # Errors
/// [`DbError::NoDatabase`] without a `CURRENT` file;
/// [`DbError::OpenReadOnly`] if the engine cannot open it (exit 1).
pub fn open_read_only(spec: &EngineSpec, dir: &Path) -> Result<Inspected, DbError> {
    if !dir.join("CURRENT").is_file() {
        return Err(DbError::NoDatabase {
            dir: dir.to_path_buf(),
        });
    }
    open_engine_read_only(spec, dir, Arc::new(PosixEnv::new())).map_err(|source| {
        DbError::OpenReadOnly {
            dir: dir.to_path_buf(),
            source,
        }
    })
}

/// Opens the database; only commands that write may create it.
///
/// # Errors
/// [`DbError::NoDatabase`] when `creates` is false and there is no
/// `CURRENT` file; [`DbError::Open`] if the engine cannot open it (exit 2
/// when it rejects the spec's options).
pub fn open(spec: &EngineSpec, dir: &Path, creates: bool) -> Result<Arc<dyn Engine>, DbError> {
    if !creates && !dir.join("CURRENT").is_file() {
        return Err(DbError::NoDatabase {
            dir: dir.to_path_buf(),
        });
    }
    open_engine(spec, dir, Arc::new(PosixEnv::new())).map_err(|source| DbError::Open {
        dir: dir.to_path_buf(),
        source,
    })
}
