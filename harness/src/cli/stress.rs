//! `strata stress`'s flags (spelled as db_stress spells its own) and entry
//! point. Nothing here is trusted: [`crate::stress::plan`] validates the
//! flags into a plan; the run is in [`crate::stress`].

use crate::error::{EXIT_FAILED, EXIT_USAGE};
use crate::stress::{child, parent, plan::Plan, record};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// A fault the checker must catch (hidden: for the tests that prove the
/// checker can fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum InjectFault {
    /// The child records a synced put as acknowledged without issuing it:
    /// verification must report a lost synced write.
    ClaimUnwritten,
    /// The child puts a value it never records: verification must report
    /// an invented value.
    Invent,
    /// The parent deletes every log and table file after the kill:
    /// verification must report lost writes or a failed open.
    DropFiles,
}

/// `strata stress`: db_stress / db_crashtest.py for strata. Each round a
/// child process writes to the database (sync and non-sync puts, deletes,
/// batches) with that round's options and is killed with SIGKILL at a
/// random moment; the parent reopens the database and checks that every
/// acknowledged write is there and every value was written by someone.
#[derive(Args, Debug, Clone)]
pub struct StressArgs {
    /// The database directory (must be new or empty; kept at the end).
    /// Default: a temporary directory, removed at the end of a run that
    /// passes.
    #[arg(long = "db", value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Rounds: child processes started and killed.
    #[arg(long = "rounds", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..=record::MAX_ROUNDS))]
    pub rounds: u64,
    /// Seed of the option sequence, the kill delays and every child's key
    /// and op choices.
    #[arg(long = "seed", default_value_t = 42)]
    pub seed: u64,
    /// Engine spec to use, as given (repeatable: every spec once per pass,
    /// passes in a seeded order). Default: every memtable x compaction x
    /// compression variant of `lsm` with tiny write buffers and files, plus
    /// the default `lsm`.
    #[arg(long = "engine", value_name = "SPEC")]
    pub engine: Vec<String>,
    /// Size of the key space.
    #[arg(long = "keys", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub keys: u64,
    /// Bytes of every value (at least 42: the header naming its write).
    #[arg(long = "value_size", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(record::HEADER_BYTES as u64..=1 << 20))]
    pub value_size: u64,
    /// Percent of writes issued with sync = true.
    #[arg(long = "sync_percent", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=100))]
    pub sync_percent: u64,
    /// Fewest milliseconds from a child's start to its SIGKILL.
    #[arg(long = "kill_min_ms", default_value_t = 50)]
    pub kill_min_ms: u64,
    /// Most milliseconds from a child's start to its SIGKILL.
    #[arg(long = "kill_max_ms", default_value_t = 800)]
    pub kill_max_ms: u64,
    /// Print a progress line every this many rounds (0: never).
    #[arg(long = "progress_every", default_value_t = 50)]
    pub progress_every: u64,
    /// Longest the parent's open (and then its read, and its close) of the
    /// database may take before the run fails as hung.
    #[arg(long = "open_timeout_ms", default_value_t = 60_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub open_timeout_ms: u64,
    /// Child mode: the round this process writes for (set by the parent).
    #[arg(long = "child_round", hide = true)]
    pub child_round: Option<u64>,
    /// Child mode: the side file of acknowledged writes.
    #[arg(long = "child_log", hide = true)]
    pub child_log: Option<PathBuf>,
    /// A fault the checker must catch (testing only).
    #[arg(long = "inject_fault", hide = true, value_enum)]
    pub inject_fault: Option<InjectFault>,
}

/// Runs `strata stress` (parent, or child with `--child_round`); a bad flag
/// is one line on stderr and exit 2.
pub fn run(args: StressArgs) -> ExitCode {
    if let Some(round) = args.child_round {
        let Some(side_log) = args.child_log.clone() else {
            eprintln!("strata: stress: --child_round needs --child_log");
            return ExitCode::from(EXIT_USAGE);
        };
        return match child::write_until_killed(&args, round, &side_log) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("strata: stress child of round {round}: {e}");
                ExitCode::from(EXIT_FAILED)
            }
        };
    }
    match Plan::from_args(&args) {
        Ok(plan) => parent::run(&plan),
        Err(e) => {
            eprintln!("strata: stress: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
