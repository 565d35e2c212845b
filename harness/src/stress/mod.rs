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
//! Files: [`crate::cli::stress`] (flags), [`plan`] (validated schedule),
//! [`child`] (writer), [`oplog`] (side file), [`record`] (keys and
//! self-identifying values), [`parent`] (the loop), [`reopen`] (bounded
//! open and read), [`model`] (expected state and verification),
//! [`interrupted`] (what a kill interrupted), [`summary`] (counters and
//! lines).
//!
//! Exit status: 0 when every round passed; 1 at the first violation (the
//! message names the round, seed, key, expected and found values); 2 for
//! bad flags ([`plan::PlanError`]).

pub mod child;
mod interrupted;
mod model;
mod oplog;
pub mod parent;
pub mod plan;
pub mod record;
mod reopen;
mod rng;
mod summary;
