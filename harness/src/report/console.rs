//! The console: db_bench's lines (the workloads write them here as they
//! run: header, one line per benchmark, histograms) and strata's engine
//! line before each block, on stderr as db_bench's environment block is.

use super::Reporter;
use crate::error::HarnessError;
use crate::plan::{Block, Plan};
use crate::record::Record;
use std::io::Write;

/// The stream db_bench's lines go to (stdout for `strata bench`, stderr
/// for `strata reproduce`, whose stdout is its table).
pub struct Console {
    out: Box<dyn Write>,
}

impl Console {
    /// A console writing db_bench's lines to `out`.
    pub fn new(out: Box<dyn Write>) -> Self {
        Console { out }
    }

    /// Where the workloads write their lines.
    pub fn out(&mut self) -> &mut dyn Write {
        self.out.as_mut()
    }
}

impl Reporter for Console {
    fn block_started(&mut self, plan: &Plan, block: &Block) -> Result<(), HarnessError> {
        let engine = &plan.engines[block.engine];
        eprintln!(
            "Engine:     {} (repetition {} of {}) in {}",
            engine.spec,
            block.repetition + 1,
            plan.repeat,
            engine.dir.display()
        );
        Ok(())
    }

    fn record(&mut self, _record: &Record) -> Result<(), HarnessError> {
        // The workloads printed the result's line when it was measured.
        Ok(())
    }
}
