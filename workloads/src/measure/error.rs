//! Why a workload run stopped.

use std::fmt;
use std::io;

/// Why a run stopped.
#[derive(Debug)]
pub enum RunError {
    /// The engine failed during `benchmark` (or while opening, `"open"`).
    Engine {
        /// The benchmark that was running.
        benchmark: String,
        /// The engine's error.
        source: strata_api::Error,
    },
    /// Writing the report failed.
    Output(io::Error),
    /// The caller's result handler failed.
    Handler(String),
    /// A workload found the store in a state it did not write, or could
    /// not do its own work (reading a local directory, say).
    Workload {
        /// The benchmark that was running.
        benchmark: String,
        /// What went wrong.
        reason: String,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Engine { benchmark, source } => write!(f, "{benchmark}: {source}"),
            RunError::Output(e) => write!(f, "writing the report: {e}"),
            RunError::Handler(e) => f.write_str(e),
            RunError::Workload { benchmark, reason } => write!(f, "{benchmark}: {reason}"),
        }
    }
}

impl std::error::Error for RunError {}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> Self {
        RunError::Output(e)
    }
}
