//! Dumps a write-ahead log: each record is a write batch, printed as
//! `leveldbutil dump` prints it, with the batch's count added.
//!
//! ```text
//! --- offset 0; sequence 1; count 2
//!   put 'k1' 'v1'
//!   del 'k2'
//! ```

use super::{escape, for_each_record, DumpError};
use std::io::Write;
use std::path::Path;
use strata_api::batch::BATCH_HEADER_BYTES;
use strata_api::coding::{decode_fixed32, decode_fixed64};
use strata_api::{BatchOp, Env, Error, WriteBatch};

/// Prints every batch of the log at `path`.
///
/// # Errors
/// As [`for_each_record`]: a record shorter than a batch header or whose
/// updates do not parse is a corruption at the record's offset.
pub(super) fn dump(
    env: &dyn Env,
    path: &Path,
    shown: &str,
    out: &mut dyn Write,
) -> Result<(), DumpError> {
    for_each_record(env, path, shown, |offset, record| {
        print_batch(offset, record, out).map_err(|e| match e {
            BatchError::Output(io) => DumpError::Output(io),
            BatchError::Bad(reason) => DumpError::File(Error::corruption(shown, offset, reason)),
        })
    })
}

enum BatchError {
    Output(std::io::Error),
    Bad(String),
}

impl From<std::io::Error> for BatchError {
    fn from(e: std::io::Error) -> Self {
        BatchError::Output(e)
    }
}

fn print_batch(offset: u64, record: &[u8], out: &mut dyn Write) -> Result<(), BatchError> {
    write!(out, "--- offset {offset}; ")?;
    if record.len() < BATCH_HEADER_BYTES {
        let reason = format!("log record length {} is too small", record.len());
        writeln!(out, "{reason}")?;
        return Err(BatchError::Bad(reason));
    }
    let sequence = decode_fixed64(&record[..8]);
    let count = decode_fixed32(&record[8..BATCH_HEADER_BYTES]);
    writeln!(out, "sequence {sequence}; count {count}")?;
    // Parsed whole first, so a bad batch prints no half of itself.
    let batch = match WriteBatch::from_bytes(record.to_vec()) {
        Ok(batch) => batch,
        Err(e) => {
            let reason = match e {
                Error::Corruption {
                    offset_bytes,
                    reason,
                    ..
                } => format!("{reason} (byte {offset_bytes} of the batch)"),
                other => other.to_string(),
            };
            writeln!(out, "  error: {reason}")?;
            return Err(BatchError::Bad(reason));
        }
    };
    for op in batch.iter() {
        match op {
            Ok(BatchOp::Put { key, value }) => {
                writeln!(out, "  put '{}' '{}'", escape(key), escape(value))?
            }
            Ok(BatchOp::Delete { key }) => writeln!(out, "  del '{}'", escape(key))?,
            // from_bytes has walked every update already.
            Err(e) => return Err(BatchError::Bad(e.to_string())),
        }
    }
    Ok(())
}
