//! Where results go as they are measured: a [`Reporter`] receives every
//! record of a run, in run order. The console (db_bench's lines, written
//! live by the workloads, and the engine lines between them), the CSV
//! file, the `--repeat` summary and the in-memory collection that
//! `strata reproduce` builds its table from are reporters.

mod collect;
mod console;
mod csv_file;
mod intervals_file;
mod progress;
mod summary;

pub use collect::Collected;
pub use console::Console;
pub use csv_file::CsvFile;
pub use intervals_file::{path_beside as intervals_path, IntervalsFile};
pub use progress::Progress;
pub use summary::Summary;

use crate::error::HarnessError;
use crate::plan::{Block, Plan};
use crate::record::Record;

/// A destination of a run's results.
pub trait Reporter {
    /// Block `block` (one engine in one repetition) is about to run.
    ///
    /// # Errors
    /// The destination could not be written.
    fn block_started(&mut self, _plan: &Plan, _block: &Block) -> Result<(), HarnessError> {
        Ok(())
    }

    /// One result, as soon as it is measured.
    ///
    /// # Errors
    /// The destination could not be written.
    fn record(&mut self, record: &Record) -> Result<(), HarnessError>;
}
