//! One db_bench invocation on one engine, a benchmark at a time: the
//! database is opened before the first benchmark (fresh unless
//! `use_existing_db`), kept open between them as db_bench keeps it, and
//! closed when the session is dropped.

use super::{engine_error, seed_schedule, BenchResult, Suite};
use crate::measure::{EngineHost, RunError};
use parking_lot::Mutex;
use std::io::Write;
use std::sync::Arc;
use strata_api::Engine;

/// A [`Suite`] running on one database.
pub struct Session<'s> {
    suite: &'s Suite,
    host: Mutex<&'s mut dyn EngineHost>,
    db: Mutex<Option<Arc<dyn Engine>>>,
    schedule: Vec<Vec<u64>>,
    next: usize,
}

impl<'s> Session<'s> {
    /// A session of `suite` on the database `host` opens; nothing is
    /// opened until the first benchmark runs.
    pub fn new(suite: &'s Suite, host: &'s mut dyn EngineHost) -> Self {
        Session {
            suite,
            host: Mutex::new(host),
            db: Mutex::new(None),
            schedule: seed_schedule(suite.benchmarks(), suite.config()),
            next: 0,
        }
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
        let result = self.suite.run_at(
            position,
            &self.schedule[position],
            &self.db,
            &self.host,
            out,
        )?;
        if self.next == self.suite.benchmarks().len() {
            // Closed as soon as the list is done, as db_bench closes it.
            drop(self.db.lock().take());
        }
        Ok(Some(result))
    }
}
