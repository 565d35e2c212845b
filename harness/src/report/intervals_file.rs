//! The time series CSV (`<results stem>.intervals.csv`): one row per
//! interval of every benchmark that lasted longer than one interval,
//! created with its first row (a run without a series writes no file).

use super::Reporter;
use crate::error::HarnessError;
use crate::record::Record;
use std::path::{Path, PathBuf};

/// The time series file of a run.
pub struct IntervalsFile {
    path: PathBuf,
    writer: Option<csv::Writer<std::fs::File>>,
    rows: u64,
}

impl IntervalsFile {
    /// The series of the results CSV `results` (not created yet).
    pub fn beside(results: &Path) -> Self {
        IntervalsFile {
            path: path_beside(results),
            writer: None,
            rows: 0,
        }
    }

    /// Rows written.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `results/x.csv` → `results/x.intervals.csv`.
pub fn path_beside(results: &Path) -> PathBuf {
    let stem = results
        .file_stem()
        .map_or_else(|| "results".into(), |s| s.to_string_lossy().into_owned());
    results.with_file_name(format!("{stem}.intervals.csv"))
}

impl Reporter for IntervalsFile {
    fn record(&mut self, record: &Record) -> Result<(), HarnessError> {
        if record.intervals.is_empty() {
            return Ok(());
        }
        if self.writer.is_none() {
            let writer =
                csv::Writer::from_path(&self.path).map_err(|e| HarnessError::csv(&self.path, e))?;
            self.writer = Some(writer);
        }
        let Some(writer) = self.writer.as_mut() else {
            return Ok(());
        };
        for row in &record.intervals {
            writer
                .serialize(row)
                .map_err(|e| HarnessError::csv(&self.path, e))?;
            self.rows += 1;
        }
        writer
            .flush()
            .map_err(|e| HarnessError::csv(&self.path, csv::Error::from(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_goes_beside_the_results() {
        assert_eq!(
            path_beside(Path::new("results/20261204-1e.csv")),
            Path::new("results/20261204-1e.intervals.csv")
        );
        assert_eq!(path_beside(Path::new("x")), Path::new("x.intervals.csv"));
    }
}
