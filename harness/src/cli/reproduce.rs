//! `strata reproduce`: flags → the seed's plan (its list on strata and
//! LevelDB 1.23, interleaved, repeated), run by the common runner.

use crate::engines::peers_dir;
use crate::error::HarnessError;
use crate::reproduce::{self, LevelDbPeer, ReproduceRun, SEED_NUM};
use std::path::PathBuf;
use std::process::ExitCode;
use strata_workloads::db_bench::config::MAX_NUM;
use strata_workloads::db_bench::Config;

/// Most repetitions a run may ask for.
const MAX_REPEAT: i64 = 100;

/// `strata reproduce`: regenerate the seed's table on this machine.
#[derive(clap::Args, Debug, Clone)]
pub struct ReproduceArgs {
    /// Entries (db_bench's --num); lower it for a quick look. crc32c's
    /// 500 MiB shrink in proportion (not against the native LevelDB, whose is fixed).
    #[arg(long, default_value_t = i64::from(SEED_NUM), allow_negative_numbers = true)]
    pub num: i64,
    /// Repetitions per engine, interleaved (rep 1 strata, rep 1 LevelDB,
    /// rep 2 strata, ...); at least 1.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true)]
    pub repeat: i64,
    /// Folder with the published CSVs [default: the copies of
    /// results/published/ built into strata].
    #[arg(long, value_name = "DIR")]
    pub published: Option<PathBuf>,
    /// Database folder (gets 0-lsm/ and 1-leveldb/) [default: a new
    /// /tmp/strata-reproduce-<pid>, removed at the end].
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Which LevelDB: `native` (LevelDB 1.23's own db_bench, built without
    /// Snappy by scripts/install-peers.sh), `c-api` (through its C API in
    /// strata's process; needs `--features leveldb`), `auto` (native when
    /// installed, else the C API).
    #[arg(long, value_enum, default_value_t = LevelDbArg::Auto)]
    pub leveldb: LevelDbArg,
}

/// `--leveldb`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelDbArg {
    /// Native when installed, else the C API.
    Auto,
    /// LevelDB 1.23's own db_bench binary.
    Native,
    /// LevelDB through its C API, in strata's process.
    CApi,
}

/// The LevelDB `choice` names, or why there is none.
fn leveldb_of(choice: LevelDbArg) -> Result<LevelDbPeer, HarnessError> {
    let native = peers_dir().join("leveldb-1.23").join("db_bench_nosnappy");
    let compiled = cfg!(feature = "leveldb");
    match choice {
        LevelDbArg::Native | LevelDbArg::Auto if native.is_file() => Ok(LevelDbPeer::Native(native)),
        LevelDbArg::Native => Err(HarnessError::flag(
            "--leveldb",
            format!(
                "native: no {} (run scripts/install-peers.sh)",
                native.display()
            ),
        )),
        LevelDbArg::CApi | LevelDbArg::Auto if compiled => Ok(LevelDbPeer::CApi),
        LevelDbArg::CApi => Err(HarnessError::flag(
            "--leveldb",
            "c-api: LevelDB 1.23 is not compiled in: build with `--features leveldb` (needs libleveldb-dev)",
        )),
        LevelDbArg::Auto => Err(HarnessError::flag(
            "--leveldb",
            format!(
                "no LevelDB: neither {} (scripts/install-peers.sh) nor the C API \
                 (`--features leveldb`, needs libleveldb-dev)",
                native.display()
            ),
        )),
    }
}

/// Runs `strata reproduce`: exit 0 on success, 2 for bad flags or when no
/// LevelDB is at hand, 1 when the run fails.
pub fn run(args: ReproduceArgs) -> ExitCode {
    match plan(&args).and_then(|run| reproduce::execute(&run)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report("reproduce"),
    }
}

/// Validates the flags into the run.
fn plan(args: &ReproduceArgs) -> Result<ReproduceRun, HarnessError> {
    if args.num < 1 || args.num > i64::from(MAX_NUM) {
        return Err(HarnessError::flag(
            "--num",
            format!("must be between 1 and {MAX_NUM}, got {}", args.num),
        ));
    }
    if args.repeat < 1 || args.repeat > MAX_REPEAT {
        return Err(HarnessError::flag(
            "--repeat",
            format!("must be between 1 and {MAX_REPEAT}, got {}", args.repeat),
        ));
    }
    let num = u32::try_from(args.num).map_err(|e| HarnessError::flag("--num", e))?;
    let repeat = u32::try_from(args.repeat).map_err(|e| HarnessError::flag("--repeat", e))?;
    let defaults = Config::default();
    let leveldb = leveldb_of(args.leveldb)?;
    // 500 MiB at the seed's size, never below one 4 KiB block; LevelDB's
    // own db_bench always checksums 500 MiB (it has no flag), so against it
    // strata does too (micros/op is per 4 KiB block either way).
    let crc32c_total_bytes = match leveldb {
        LevelDbPeer::Native(_) => defaults.crc32c_total_bytes,
        LevelDbPeer::CApi => {
            (defaults.crc32c_total_bytes * u64::from(num) / u64::from(SEED_NUM)).max(4096)
        }
    };
    let config = Config {
        num,
        crc32c_total_bytes,
        progress: true,
        ..defaults
    };
    config
        .validate()
        .map_err(|e| HarnessError::flag(e.flag, e.reason))?;
    // A published file that does not load is a bad --published (exit 2).
    let published = reproduce::load_published(args.published.as_deref())
        .map_err(|e| HarnessError::flag("--published", e))?;
    let db_root = match &args.db {
        Some(dir) => (dir.clone(), false),
        None => (
            std::env::temp_dir().join(format!("strata-reproduce-{}", std::process::id())),
            true,
        ),
    };
    ReproduceRun::new(
        config,
        repeat,
        published,
        leveldb,
        db_root,
        chrono::Utc::now(),
    )
}
