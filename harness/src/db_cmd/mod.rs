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
//! Errors print one line, `strata: <message>`, on stderr. Exit status: 0 on
//! success; 1 when a key is not found, data is corrupt (the message names
//! the file and the byte offset), a load file line is malformed (naming the
//! file and the line; nothing is written), or the database cannot be opened
//! or is missing (`scan`, `get`, `delete`, `stats` and `compact` never
//! create one; `put` and `load` do); 2 for bad usage (a malformed engine
//! spec or option, bad hex, a file `dump` does not recognise).

mod bytes;
mod dump;
mod failure;
mod load;
mod point;
mod scan;

use crate::engines::{open_engine, open_engine_read_only, Inspected};
use clap::{Args, Subcommand};
use failure::Failure;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use strata_api::{Engine, EngineSpec, Error, PosixEnv};

/// Options of `strata db`.
#[derive(Args, Debug)]
pub struct DbArgs {
    /// The database directory.
    #[arg(long)]
    pub db: PathBuf,
    /// Engine spec the database is opened with (e.g. `lsm`,
    /// `lsm:compression=none`, `leveldb`).
    #[arg(long, default_value = "lsm")]
    pub engine: String,
    /// What to do.
    #[command(subcommand)]
    pub command: DbCommand,
}

/// The commands of `strata db`.
#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Print every pair in key order, one `KEY : VALUE` a line.
    Scan(scan::ScanArgs),
    /// Print the value of KEY (exit 1 if absent).
    Get {
        /// The key.
        key: String,
        /// KEY may be 0x-prefixed hex; print the value as 0x-prefixed hex.
        #[arg(long)]
        hex: bool,
    },
    /// Set KEY to VALUE.
    Put {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// KEY and VALUE may be 0x-prefixed hex.
        #[arg(long)]
        hex: bool,
    },
    /// Remove KEY.
    Delete {
        /// The key.
        key: String,
        /// KEY may be 0x-prefixed hex.
        #[arg(long)]
        hex: bool,
    },
    /// Write every `KEY ==> VALUE` line of FILE, all in one batch.
    Load {
        /// The file to load.
        file: PathBuf,
        /// Keys and values may be 0x-prefixed hex.
        #[arg(long)]
        hex: bool,
    },
    /// Decode a `.log`, `.ldb`/`.sst` or `MANIFEST-*` file record by record
    /// (a relative name not found as given is looked up in the database
    /// directory; the database is not opened).
    Dump {
        /// The file to decode.
        file: PathBuf,
    },
    /// Print the engine's `leveldb.stats` property.
    Stats,
    /// Compact the whole key range.
    Compact,
}

/// Runs `strata db` and returns the exit status.
pub fn run(args: DbArgs) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = execute(&args, &mut out).and_then(|()| out.flush().map_err(Failure::from));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // What was printed before the failure stays printed.
            let _ = out.flush();
            eprintln!("strata: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn execute(args: &DbArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let spec = crate::engines::parse_spec(&args.engine)
        .map_err(|e| Failure::usage(format!("bad engine spec '{}': {e}", args.engine)))?;
    let db = |creates: bool| open(&spec, &args.db, creates);
    let inspect = || open_read_only(&spec, &args.db);
    match &args.command {
        DbCommand::Scan(scan_args) => scan::scan(inspect()?.engine.as_ref(), scan_args, out),
        DbCommand::Get { key, hex } => point::get(inspect()?.engine.as_ref(), key, *hex, out),
        DbCommand::Put { key, value, hex } => point::put(db(true)?.as_ref(), key, value, *hex, out),
        DbCommand::Delete { key, hex } => point::delete(db(false)?.as_ref(), key, *hex, out),
        DbCommand::Load { file, hex } => load::load(db(true)?.as_ref(), file, *hex, out),
        DbCommand::Stats => point::stats(inspect()?.engine.as_ref(), out),
        DbCommand::Compact => point::compact(db(false)?.as_ref()),
        // Reads the file alone: opening the database would recover (and
        // so rewrite) the very logs being dumped.
        DbCommand::Dump { file } => dump::dump(&args.db, file, out),
    }
}

/// Opens an existing database for `scan`, `get` and `stats`, which never
/// create or change one.
fn open_read_only(spec: &EngineSpec, dir: &Path) -> Result<Inspected, Failure> {
    if !dir.join("CURRENT").is_file() {
        return Err(Failure::failed(format!("no database at {}", dir.display())));
    }
    open_engine_read_only(spec, dir, Arc::new(PosixEnv::new()))
        .map_err(|e| Failure::failed(format!("cannot open {}: {e}", dir.display())))
}

/// Opens the database; only commands that write may create it.
fn open(spec: &EngineSpec, dir: &Path, creates: bool) -> Result<Arc<dyn Engine>, Failure> {
    if !creates && !dir.join("CURRENT").is_file() {
        return Err(Failure::failed(format!("no database at {}", dir.display())));
    }
    open_engine(spec, dir, Arc::new(PosixEnv::new())).map_err(|e| match e {
        Error::InvalidArgument(_) => Failure::usage(format!("cannot open {}: {e}", dir.display())),
        other => Failure::failed(format!("cannot open {}: {other}", dir.display())),
    })
}
