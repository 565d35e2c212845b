//! Per-call options of reads and writes (LevelDB's `ReadOptions`,
//! `WriteOptions`).

use crate::snapshot::Snapshot;

/// Options of one read (`get` or `iter`).
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Verify the checksum of every block read from disk for this call.
    /// Default `false` (LevelDB's default).
    pub verify_checksums: bool,
    /// Put blocks read for this call into the block cache. Default `true`;
    /// bulk scans set it `false` so they do not evict the working set.
    pub fill_cache: bool,
    /// Read as of this snapshot; `None` reads the latest state.
    pub snapshot: Option<Snapshot>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            verify_checksums: false,
            fill_cache: true,
            snapshot: None,
        }
    }
}

/// Options of one write (`put`, `delete` or `write`).
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// Sync the log to stable storage before acknowledging. Default `false`:
    /// a machine crash may then lose the most recent writes (never reorder
    /// them), while a process crash loses nothing.
    pub sync: bool,
}

impl WriteOptions {
    /// Options with `sync` set as given.
    pub fn with_sync(sync: bool) -> Self {
        WriteOptions { sync }
    }
}
