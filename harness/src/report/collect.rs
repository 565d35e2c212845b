//! Every record of a run, kept in memory for what is computed at the end
//! (`strata reproduce`'s table).

use super::Reporter;
use crate::error::HarnessError;
use crate::record::Record;

/// The records of a run, in run order.
#[derive(Debug, Default)]
pub struct Collected {
    /// The records.
    pub records: Vec<Record>,
}

impl Reporter for Collected {
    fn record(&mut self, record: &Record) -> Result<(), HarnessError> {
        self.records.push(record.clone());
        Ok(())
    }
}
