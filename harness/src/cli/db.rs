//! `strata db`'s flags and entry point; the commands are in
//! [`crate::db_cmd`], whose documentation gives the output formats and the
//! exit statuses.

use crate::db_cmd::{self, dump, load, point, scan, DbError};
use crate::error::one_line;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

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
    Scan(ScanArgs),
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

/// Options of `scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Start at this key (inclusive).
    #[arg(long)]
    pub from: Option<String>,
    /// Stop before this key (exclusive, as in `ldb`).
    #[arg(long)]
    pub to: Option<String>,
    /// Print at most this many pairs.
    #[arg(long)]
    pub max: Option<u64>,
    /// Print `0x<KEY> : 0x<VALUE>` in uppercase hex; `--from`/`--to` may
    /// then be 0x-prefixed hex.
    #[arg(long)]
    pub hex: bool,
}

/// Runs `strata db` and returns the exit status; an error is one line,
/// `strata: <error>`, on stderr.
pub fn run(args: DbArgs) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = execute(&args, &mut out).and_then(|()| out.flush().map_err(DbError::Output));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // What was printed before the failure stays printed.
            let _ = out.flush();
            eprintln!("strata: {}", one_line(&e.to_string()));
            ExitCode::from(e.exit_status())
        }
    }
}

fn execute(args: &DbArgs, out: &mut dyn Write) -> Result<(), DbError> {
    let spec = db_cmd::parse_spec(&args.engine)?;
    let db = |creates: bool| db_cmd::open(&spec, &args.db, creates);
    let inspect = || db_cmd::open_read_only(&spec, &args.db);
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
