//! The settings of a YCSB run, with YCSB's defaults.

use super::zipfian::DEFAULT_ZIPF_CONSTANT;
use std::fmt;

/// YCSB's default `recordcount`.
pub const DEFAULT_RECORDS: u64 = 1000;
/// YCSB's default `operationcount`.
pub const DEFAULT_OPERATIONS: u64 = 1000;
/// Most records (or operations) one run may ask for.
pub const MAX_COUNT: u64 = 1_000_000_000;

/// Settings shared by every workload of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct YcsbConfig {
    /// Records inserted by the load phase (`recordcount`).
    pub records: u64,
    /// Operations of the run phase (`operationcount`).
    pub operations: u64,
    /// Zipfian constant θ of the request distributions.
    pub zipf_constant: f64,
    /// Seed of the xoshiro streams (operation choice, keys, values).
    pub seed: u64,
    /// Print the per-operation-type latency block after each line.
    pub histogram: bool,
}

impl Default for YcsbConfig {
    fn default() -> Self {
        YcsbConfig {
            records: DEFAULT_RECORDS,
            operations: DEFAULT_OPERATIONS,
            zipf_constant: DEFAULT_ZIPF_CONSTANT,
            seed: 1000,
            histogram: false,
        }
    }
}

/// A setting out of range: the flag and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YcsbConfigError(pub String);

impl fmt::Display for YcsbConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for YcsbConfigError {}

impl YcsbConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// The first one out of range, naming its flag.
    pub fn validate(&self) -> Result<(), YcsbConfigError> {
        if self.records == 0 || self.records > MAX_COUNT {
            return Err(YcsbConfigError(format!(
                "--ycsb_records: must be between 1 and {MAX_COUNT}, got {}",
                self.records
            )));
        }
        if self.operations > MAX_COUNT {
            return Err(YcsbConfigError(format!(
                "--ycsb_ops: must be between 0 and {MAX_COUNT}, got {}",
                self.operations
            )));
        }
        // Gray et al.'s inversion divides by 1 − θ and needs θ > 0.
        if !(self.zipf_constant > 0.0 && self.zipf_constant < 1.0) {
            return Err(YcsbConfigError(format!(
                "--ycsb_zipf: must be strictly between 0 and 1, got {}",
                self.zipf_constant
            )));
        }
        Ok(())
    }
}
