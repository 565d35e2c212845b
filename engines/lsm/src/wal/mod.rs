//! The log format shared by write-ahead logs and MANIFESTs
//! (`doc/log_format.md`, `db/log_format.h`).
//!
//! A log is a sequence of 32 KiB blocks. Each block holds physical records:
//!
//! ```text
//! masked crc32c (fixed32) | length (fixed16) | type (u8) | payload
//! ```
//!
//! The checksum covers the type byte and the payload. A logical record too
//! large for the rest of its block is split into FIRST, MIDDLE... and LAST
//! fragments; one that fits is a single FULL record. A block tail shorter
//! than a header is filled with zeros and skipped by readers.

pub mod reader;
mod reporter;
pub mod writer;

pub use reader::{CollectingReporter, DroppedBytes, LogReader, Reporter};
pub use writer::LogWriter;

/// Size of a log block; records never straddle a block boundary.
pub const BLOCK_SIZE_BYTES: usize = 32768;

/// Size of a physical record's header: checksum (4), length (2), type (1).
pub const HEADER_SIZE_BYTES: usize = 7;

/// The type byte of a physical record. Stored on disk: the values are
/// fixed.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordType {
    /// Reserved for preallocated files (zero-filled); a zero-length ZERO
    /// record is skipped silently.
    Zero = 0,
    /// A whole logical record.
    Full = 1,
    /// The first fragment of a logical record.
    First = 2,
    /// An inner fragment of a logical record.
    Middle = 3,
    /// The last fragment of a logical record.
    Last = 4,
}

impl RecordType {
    /// Largest valid type value.
    pub const MAX: u8 = RecordType::Last as u8;

    /// The type stored as `b`, or `None` for an unknown byte.
    pub fn from_u8(b: u8) -> Option<RecordType> {
        match b {
            0 => Some(RecordType::Zero),
            1 => Some(RecordType::Full),
            2 => Some(RecordType::First),
            3 => Some(RecordType::Middle),
            4 => Some(RecordType::Last),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
