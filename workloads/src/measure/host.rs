//! The seam between a workload and the database it measures.

use std::sync::Arc;
use strata_api::Engine;

/// What the suite needs from its caller: a way to (re)open the database
/// under test and to measure it on disk.
pub trait EngineHost: Send {
    /// Opens the database. With `fresh`, destroys whatever is there first
    /// and creates it anew (`DestroyDB` + `Open`); otherwise opens what is
    /// there. The suite drops its previous handle before calling.
    ///
    /// # Errors
    /// Whatever the engine reports while destroying or opening.
    fn open(&mut self, fresh: bool) -> strata_api::Result<Arc<dyn Engine>>;

    /// Bytes of all files of the database now.
    fn db_size_bytes(&self) -> u64;
}
