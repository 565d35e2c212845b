//! The results CSV: one row per record, flushed at once so that a crash
//! leaves whole rows.

use super::Reporter;
use crate::error::HarnessError;
use crate::record::Record;
use std::path::{Path, PathBuf};

/// A results CSV being written.
pub struct CsvFile {
    path: PathBuf,
    writer: csv::Writer<std::fs::File>,
    rows: u64,
}

impl CsvFile {
    /// Creates `path` (and its parent folders).
    ///
    /// # Errors
    /// The folder or the file cannot be created.
    pub fn create(path: &Path) -> Result<Self, HarnessError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| HarnessError::io("create", parent, e))?;
        }
        let writer = csv::Writer::from_path(path).map_err(|e| HarnessError::csv(path, e))?;
        Ok(CsvFile {
            path: path.to_path_buf(),
            writer,
            rows: 0,
        })
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }
}

impl Reporter for CsvFile {
    fn record(&mut self, record: &Record) -> Result<(), HarnessError> {
        self.writer
            .serialize(&record.row)
            .and_then(|()| self.writer.flush().map_err(csv::Error::from))
            .map_err(|e| HarnessError::csv(&self.path, e))?;
        self.rows += 1;
        Ok(())
    }
}
