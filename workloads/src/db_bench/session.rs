//! One db_bench invocation on one engine, a benchmark at a time: the
//! database is opened before the first benchmark (fresh unless
//! `use_existing_db`), kept open between them as db_bench keeps it, and
//! closed when the session is dropped.
//!
//! Between two benchmarks the session does what `db_bench` does and no
//! more: it reopens the database for the benchmarks that start fresh and
//! prints; it snapshots the engine's counters ([`Engine::metrics`]) to
//! attribute them to a benchmark, and asks the host for the database's
//! size on disk. It never reads, writes or compacts there: the live bytes
//! are worked out before the first benchmark ([`live_bytes_after`]).

use super::live::live_bytes_after;
use super::{engine_error, seed_schedule, BenchResult, Suite};
use crate::measure::{EngineHost, RunError};
use parking_lot::Mutex;
use std::io::Write;
use std::sync::Arc;
use strata_api::Engine;

/// An edge of one benchmark's own work: its threads (from just before
/// they start to just after the last one finishes), or for `stats` and
/// `sstables` the property read. Everything a session does to the engine
/// outside these edges is what it does between two benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// The benchmark at this position (0-based) is about to start.
    Begin(usize),
    /// The benchmark at this position has finished (or failed).
    End(usize),
}

/// A [`Suite`] running on one database.
pub struct Session<'s> {
    suite: &'s Suite,
    host: Mutex<&'s mut dyn EngineHost>,
    db: Mutex<Option<Arc<dyn Engine>>>,
    schedule: Vec<Vec<u64>>,
    /// Key + value bytes live after each benchmark (`None`: unknown).
    live_bytes: Vec<Option<u64>>,
    observer: Option<Box<dyn FnMut(Boundary) + Send + 's>>,
    next: usize,
}

impl<'s> Session<'s> {
    /// A session of `suite` on the database `host` opens; nothing is
    /// opened until the first benchmark runs. The live bytes after each
    /// benchmark are worked out here, before any runs (about the cost of
    /// drawing the list's write keys once).
    pub fn new(suite: &'s Suite, host: &'s mut dyn EngineHost) -> Self {
        let schedule = seed_schedule(suite.benchmarks(), suite.config());
        let live_bytes = live_bytes_after(suite.benchmarks(), suite.config(), &schedule);
        Session {
            suite,
            host: Mutex::new(host),
            db: Mutex::new(None),
            schedule,
            live_bytes,
            observer: None,
            next: 0,
        }
    }

    /// Calls `observer` at each [`Boundary`] of the benchmarks run from now
    /// on (for tests and instruments that must tell a benchmark's own work
    /// from what happens between benchmarks).
    pub fn observe(&mut self, observer: impl FnMut(Boundary) + Send + 's) {
        self.observer = Some(Box::new(observer));
    }

    /// Runs the next benchmark of the list, writing db_bench's lines to
    /// `out`: `None` when the list is done, `Some(None)` for a benchmark
    /// skipped because the database must be kept (`use_existing_db`).
    ///
    /// # Errors
    /// An engine error (the session is then unusable) or a failed write.
    pub fn run_next(
        &mut self,
        out: &mut dyn Write,
    ) -> Result<Option<Option<BenchResult>>, RunError> {
        let position = self.next;
        if position >= self.suite.benchmarks().len() {
            drop(self.db.lock().take());
            return Ok(None);
        }
        self.next += 1;
        if position == 0 {
            let fresh = !self.suite.config().use_existing_db;
            let first = self.host.lock().open(fresh).map_err(engine_error("open"))?;
            *self.db.lock() = Some(first);
        }
        let mut observe = |b: Boundary| {
            if let Some(observer) = self.observer.as_mut() {
                observer(b);
            }
        };
        let mut result = self.suite.run_at(
            position,
            &self.schedule[position],
            &self.db,
            &self.host,
            out,
            &mut observe,
        )?;
        if let Some(result) = result.as_mut() {
            if result.plan.benchmark.changes_data() {
                result.logical_bytes = self.live_bytes[position];
            }
        }
        if self.next == self.suite.benchmarks().len() {
            // Closed as soon as the list is done, as db_bench closes it.
            drop(self.db.lock().take());
        }
        Ok(Some(result))
    }
}
