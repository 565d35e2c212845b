//! The child: opens the database with its round's spec and writes as fast
//! as one thread can until the parent kills it. One writer thread, so the
//! side file's order is the order of the writes.
//!
//! Ops: 40% single puts, 15% single deletes, 44% batches of 2 to 8 updates
//! (75% puts; a key may repeat within a batch, the later update wins), 1%
//! empty batches (with sync, a sync barrier); each op is synced with
//! probability `--sync_percent`.

use super::args::{InjectFault, StressArgs};
use super::oplog::{LoggedOp, OpLogWriter, Update};
use super::record::{fill_value, key, WriteId, MAX_BATCH_OPS};
use super::rng::Rng;
use crate::engines::open_engine;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_api::{Engine, PosixEnv, WriteBatch, WriteOptions};

/// Ops between checks that the parent is still alive.
const PARENT_CHECK_EVERY: u64 = 256;
/// Largest op number a value header can hold.
const MAX_SEQ: u64 = 99_999_999_999;

/// Runs the child of round `round`; returns only on failure (or when the
/// parent has gone).
pub fn run(args: &StressArgs, round: u64, side_log: &Path) -> ExitCode {
    match write_until_killed(args, round, side_log) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("strata: stress child of round {round}: {message}");
            ExitCode::from(1)
        }
    }
}

fn write_until_killed(args: &StressArgs, round: u64, side_log: &Path) -> Result<(), String> {
    let db_dir = args.db.as_deref().ok_or("--db is required")?;
    let [spec] = args.engine.as_slice() else {
        return Err("a child takes exactly one --engine".into());
    };
    let spec =
        crate::engines::parse_spec(spec).map_err(|e| format!("bad engine spec '{spec}': {e}"))?;
    let value_size = args.value_size as usize;
    let mut log = OpLogWriter::create(side_log, round, value_size)
        .map_err(|e| format!("{}: {e}", side_log.display()))?;
    let started = Instant::now();
    let db = open_engine(&spec, db_dir, Arc::new(PosixEnv::new()))
        .map_err(|e| format!("open {} with {spec}: {e}", db_dir.display()))?;
    let io = |e: std::io::Error| format!("{}: {e}", side_log.display());
    log.opened(started.elapsed().as_millis() as u64)
        .map_err(io)?;
    let mut writer = Writer {
        db: db.as_ref(),
        log: &mut log,
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
    Err(format!("more than {MAX_SEQ} ops in one round"))
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
    round: u64,
    value_size: usize,
    value: Vec<u8>,
}

impl Writer<'_> {
    /// Logs the intent, issues the op, logs the ack (fsync'd if synced).
    fn issue(&mut self, op: &LoggedOp) -> Result<(), String> {
        self.log.intent(op).map_err(|e| format!("side file: {e}"))?;
        let batch = self.batch(op);
        self.db
            .write(&WriteOptions::with_sync(op.sync), &batch)
            .map_err(|e| format!("op {} of round {}: {e}", op.seq, self.round))?;
        self.log
            .ack(op.seq, op.sync)
            .map_err(|e| format!("side file: {e}"))
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
    ) -> Result<(), String> {
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
                self.log.intent(&op).map_err(|e| e.to_string())?;
                self.log.ack(1, true).map_err(|e| e.to_string())?;
            }
            InjectFault::Invent => {
                // A put the side file never hears of, naming an op that was
                // never attempted; then a logged (empty, synced) op, so the
                // parent knows the put is in place.
                let ghost = synced_put(1_000_000);
                let batch = self.batch(&ghost);
                self.db
                    .write(&WriteOptions::with_sync(true), &batch)
                    .map_err(|e| e.to_string())?;
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
