//! The child: opens the database with its round's spec and writes as fast
//! as one thread can until the parent kills it. One writer thread, so the
//! side file's order is the order of the writes.
//!
//! Ops: 40% single puts, 15% single deletes, 44% batches of 2 to 8 updates
//! (75% puts; a key may repeat within a batch, the later update wins), 1%
//! empty batches (with sync, a sync barrier); each op is synced with
//! probability `--sync_percent`.

use super::oplog::{LoggedOp, OpLogWriter, Update};
use super::record::{fill_value, key, WriteId, MAX_BATCH_OPS};
use super::rng::Rng;
use crate::cli::stress::{InjectFault, StressArgs};
use crate::engines::open_engine;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_api::{Engine, PosixEnv, WriteBatch, WriteOptions};

/// Ops between checks that the parent is still alive.
const PARENT_CHECK_EVERY: u64 = 256;
/// Largest op number a value header can hold.
const MAX_SEQ: u64 = 99_999_999_999;

/// Why a child stopped before its kill (its stderr, which the parent
/// reports; the child exits 1).
#[derive(Debug)]
pub enum ChildError {
    /// The parent did not pass `--db`.
    NoDb,
    /// The parent did not pass exactly one `--engine`.
    EngineCount {
        /// How many it passed.
        given: usize,
    },
    /// The `--engine` is not a valid spec.
    BadSpec {
        /// The spec as given.
        spec: String,
        /// Why it does not parse.
        source: strata_api::Error,
    },
    /// The side file could not be created or written.
    SideFile {
        /// The side file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The database did not open.
    Open {
        /// The database directory.
        db: PathBuf,
        /// The spec it was opened with.
        spec: String,
        /// The engine's error.
        source: strata_api::Error,
    },
    /// A write failed.
    Write {
        /// The round.
        round: u64,
        /// The op's number in the round.
        seq: u64,
        /// The engine's error.
        source: strata_api::Error,
    },
    /// The round ran out of op numbers before its kill.
    TooManyOps,
}

impl fmt::Display for ChildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChildError::NoDb => write!(f, "--db is required"),
            ChildError::EngineCount { given } => {
                write!(f, "a child takes exactly one --engine (given {given})")
            }
            ChildError::BadSpec { spec, source } => {
                write!(f, "bad engine spec '{spec}': {source}")
            }
            ChildError::SideFile { path, source } => {
                write!(f, "side file {}: {source}", path.display())
            }
            ChildError::Open { db, spec, source } => {
                write!(f, "open {} with {spec}: {source}", db.display())
            }
            ChildError::Write { round, seq, source } => {
                write!(f, "op {seq} of round {round}: {source}")
            }
            ChildError::TooManyOps => write!(f, "more than {MAX_SEQ} ops in one round"),
        }
    }
}

impl std::error::Error for ChildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ChildError::BadSpec { source, .. }
            | ChildError::Open { source, .. }
            | ChildError::Write { source, .. } => Some(source),
            ChildError::SideFile { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Runs the child of round `round`: writes until the parent kills it (or
/// is gone).
///
/// # Errors
/// A [`ChildError`] for whatever stopped it before the kill.
pub fn write_until_killed(
    args: &StressArgs,
    round: u64,
    side_log: &Path,
) -> Result<(), ChildError> {
    let db_dir = args.db.as_deref().ok_or(ChildError::NoDb)?;
    let [spec] = args.engine.as_slice() else {
        return Err(ChildError::EngineCount {
            given: args.engine.len(),
        });
    };
    let spec = crate::engines::parse_spec(spec).map_err(|source| ChildError::BadSpec {
        spec: spec.clone(),
        source,
    })?;
    let value_size = args.value_size as usize;
    let side_file = |source| ChildError::SideFile {
        path: side_log.to_path_buf(),
        source,
    };
    let mut log = OpLogWriter::create(side_log, round, value_size).map_err(side_file)?;
    let started = Instant::now();
    let db = open_engine(&spec, db_dir, Arc::new(PosixEnv::new())).map_err(|source| {
        ChildError::Open {
            db: db_dir.to_path_buf(),
            spec: spec.to_string(),
            source,
        }
    })?;
    log.opened(started.elapsed().as_millis() as u64)
        .map_err(side_file)?;
    let mut writer = Writer {
        db: db.as_ref(),
        log: &mut log,
        side_log,
        round,
        value_size,
        value: Vec::with_capacity(value_size),
    };
    let mut rng = Rng::derived(args.seed, round);
    let parent = std::os::unix::process::parent_id();
    if let Some(fault) = args.inject_fault {
        return writer.inject(fault, &mut rng, args.keys, parent);
    }
    for seq in 1..=MAX_SEQ {
        if seq % PARENT_CHECK_EVERY == 0 && std::os::unix::process::parent_id() != parent {
            return Ok(());
        }
        let op = choose_op(&mut rng, seq, args.keys, args.sync_percent);
        writer.issue(&op)?;
    }
    Err(ChildError::TooManyOps)
}

/// One op drawn from the mix.
fn choose_op(rng: &mut Rng, seq: u64, keys: u64, sync_percent: u64) -> LoggedOp {
    let sync = rng.percent(sync_percent);
    let draw = rng.below(100);
    let updates = if draw < 40 {
        vec![Update {
            key: rng.below(keys),
            put: true,
        }]
    } else if draw < 55 {
        vec![Update {
            key: rng.below(keys),
            put: false,
        }]
    } else if draw < 99 {
        let n = rng.between(2, MAX_BATCH_OPS as u64);
        (0..n)
            .map(|_| Update {
                key: rng.below(keys),
                put: rng.percent(75),
            })
            .collect()
    } else {
        Vec::new()
    };
    LoggedOp { seq, sync, updates }
}

struct Writer<'a> {
    db: &'a dyn Engine,
    log: &'a mut OpLogWriter,
    side_log: &'a Path,
    round: u64,
    value_size: usize,
    value: Vec<u8>,
}

impl Writer<'_> {
    /// Logs the intent, issues the op, logs the ack (fsync'd if synced).
    fn issue(&mut self, op: &LoggedOp) -> Result<(), ChildError> {
        self.log.intent(op).map_err(|e| self.side_file(e))?;
        let batch = self.batch(op);
        self.write(op.seq, op.sync, &batch)?;
        self.log.ack(op.seq, op.sync).map_err(|e| self.side_file(e))
    }

    /// Writes `batch`, the op numbered `seq`.
    fn write(&self, seq: u64, sync: bool, batch: &WriteBatch) -> Result<(), ChildError> {
        self.db
            .write(&WriteOptions::with_sync(sync), batch)
            .map_err(|source| ChildError::Write {
                round: self.round,
                seq,
                source,
            })
    }

    fn side_file(&self, source: std::io::Error) -> ChildError {
        ChildError::SideFile {
            path: self.side_log.to_path_buf(),
            source,
        }
    }

    fn batch(&mut self, op: &LoggedOp) -> WriteBatch {
        let mut batch = WriteBatch::new();
        for (slot, u) in op.updates.iter().enumerate() {
            let k = key(u.key);
            if u.put {
                let id = WriteId {
                    round: self.round as u32,
                    seq: op.seq,
                    slot: slot as u8,
                };
                fill_value(u.key, id, self.value_size, &mut self.value);
                batch.put(k.as_bytes(), &self.value);
            } else {
                batch.delete(k.as_bytes());
            }
        }
        batch
    }

    /// Puts the fault in place, then idles until killed (so the fault is
    /// the last thing the round did and verification must see it).
    fn inject(
        &mut self,
        fault: InjectFault,
        rng: &mut Rng,
        keys: u64,
        parent: u32,
    ) -> Result<(), ChildError> {
        let target = rng.below(keys);
        let synced_put = |seq| LoggedOp {
            seq,
            sync: true,
            updates: vec![Update {
                key: target,
                put: true,
            }],
        };
        match fault {
            InjectFault::ClaimUnwritten => {
                // The side file claims a synced put the engine never saw.
                let op = synced_put(1);
                self.log.intent(&op).map_err(|e| self.side_file(e))?;
                self.log.ack(1, true).map_err(|e| self.side_file(e))?;
            }
            InjectFault::Invent => {
                // A put the side file never hears of, naming an op that was
                // never attempted; then a logged (empty, synced) op, so the
                // parent knows the put is in place.
                let ghost = synced_put(1_000_000);
                let batch = self.batch(&ghost);
                self.write(ghost.seq, true, &batch)?;
                self.issue(&LoggedOp {
                    updates: Vec::new(),
                    ..synced_put(1)
                })?;
            }
            InjectFault::DropFiles => {
                for seq in 1..=64 {
                    self.issue(&synced_put(seq))?;
                }
            }
        }
        while std::os::unix::process::parent_id() == parent {
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_their_file_round_and_op() {
        let write = ChildError::Write {
            round: 3,
            seq: 17,
            source: strata_api::Error::Unavailable("read-only".into()),
        };
        assert!(
            write.to_string().starts_with("op 17 of round 3: "),
            "{write}"
        );
        let side = ChildError::SideFile {
            path: "/t/acknowledged.log".into(),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        assert!(
            side.to_string()
                .starts_with("side file /t/acknowledged.log: "),
            "{side}"
        );
        assert_eq!(
            ChildError::EngineCount { given: 2 }.to_string(),
            "a child takes exactly one --engine (given 2)"
        );
    }
}
