//! `strata stress`: real process crashes, as RocksDB's db_stress and
//! db_crashtest.py make them.
//!
//! Each round the parent re-executes this binary as a child
//! (`strata stress --child_round N …`, hidden flags) that opens the one
//! database of the run with the round's engine spec and writes with one
//! thread (puts, deletes, batches; synced or not) until the parent kills it
//! with SIGKILL after a random delay. The child records every op in a side
//! file before issuing it and every acknowledgement after (fsync'd after
//! synced ops). The parent then reopens the database with the next round's
//! spec (so every variant reads what another wrote), within a time bound,
//! and checks that it holds exactly the state after the acknowledged ops,
//! with or without the one op in flight ([`model`]).
//!
//! Files: [`args`] (flags), [`plan`] (validated schedule), [`child`]
//! (writer), [`oplog`] (side file), [`record`] (keys and self-identifying
//! values), [`parent`] (the loop), [`reopen`] (bounded open and read),
//! [`model`] (expected state and verification), [`interrupted`] (what a
//! kill interrupted), [`summary`] (counters and lines).
//!
//! Exit status: 0 when every round passed; 1 at the first violation (the
//! message names the round, seed, key, expected and found values); 2 for
//! bad flags.

mod args;
mod child;
mod interrupted;
mod model;
mod oplog;
mod parent;
mod plan;
mod record;
mod reopen;
mod rng;
mod summary;

pub use args::StressArgs;
use std::process::ExitCode;

/// Runs `strata stress` (parent, or child with `--child_round`).
pub fn run(args: StressArgs) -> ExitCode {
    if let Some(round) = args.child_round {
        let Some(side_log) = args.child_log.clone() else {
            eprintln!("strata: stress: --child_round needs --child_log");
            return ExitCode::from(2);
        };
        return child::run(&args, round, &side_log);
    }
    match plan::Plan::from_args(&args) {
        Ok(plan) => parent::run(&plan),
        Err(message) => {
            eprintln!("strata: stress: {message}");
            ExitCode::from(2)
        }
    }
}
