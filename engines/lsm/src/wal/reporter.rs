//! Where a log reader reports the bytes it had to skip.

use parking_lot::Mutex;
use std::sync::Arc;
use strata_api::Error;

/// Receives the corruption a [`LogReader`](super::LogReader) skips over.
pub trait Reporter {
    /// `bytes_dropped` bytes starting near `offset_bytes` in the log were
    /// skipped because of `reason` (LevelDB's wording, e.g. "checksum
    /// mismatch").
    fn corruption(&mut self, bytes_dropped: u64, reason: &str, offset_bytes: u64);
}

/// One report received by a [`CollectingReporter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedBytes {
    /// How many bytes were skipped.
    pub bytes_dropped: u64,
    /// Why.
    pub reason: String,
    /// Where in the log the skipped bytes start.
    pub offset_bytes: u64,
}

/// A [`Reporter`] that keeps every report; clones share the list, so the
/// engine keeps one clone and hands another to the reader (for
/// `paranoid_checks`, where any dropped byte fails recovery).
#[derive(Debug, Clone)]
pub struct CollectingReporter {
    file: Arc<str>,
    drops: Arc<Mutex<Vec<DroppedBytes>>>,
}

impl CollectingReporter {
    /// A reporter for the log named `file` (used in the errors it builds).
    pub fn new(file: impl Into<String>) -> Self {
        CollectingReporter {
            file: Arc::from(file.into()),
            drops: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Every report so far, oldest first.
    pub fn drops(&self) -> Vec<DroppedBytes> {
        self.drops.lock().clone()
    }

    /// True if nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.drops.lock().is_empty()
    }

    /// Total bytes reported dropped.
    pub fn bytes_dropped(&self) -> u64 {
        self.drops.lock().iter().map(|d| d.bytes_dropped).sum()
    }

    /// The first report as an [`Error::Corruption`] naming the file, the
    /// offset, the reason and the bytes dropped; `None` if nothing was
    /// reported.
    pub fn first(&self) -> Option<Error> {
        self.drops.lock().first().map(|d| {
            Error::corruption(
                self.file.to_string(),
                d.offset_bytes,
                format!("{} ({} bytes dropped)", d.reason, d.bytes_dropped),
            )
        })
    }
}

impl Reporter for CollectingReporter {
    fn corruption(&mut self, bytes_dropped: u64, reason: &str, offset_bytes: u64) {
        self.drops.lock().push(DroppedBytes {
            bytes_dropped,
            reason: reason.to_string(),
            offset_bytes,
        });
    }
}
