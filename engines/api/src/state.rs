//! The engine's shape at one moment, sampled during a benchmark for the
//! time series (`--stats_interval_seconds`): what explains a throughput
//! curve (a growing level 0, a compaction backlog, a full memtable).

/// A snapshot of an engine's tree. Every field is optional: an engine
/// reports what it knows (a peer behind a C API knows less), and `None` or
/// an empty list means "not known", never zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineState {
    /// Files in level 0 (for a tiered tree: sorted runs not yet merged).
    pub level0_files: Option<u64>,
    /// Bytes of table files per level (leveled) or per sorted run (tiered),
    /// level 0 first; empty when not known.
    pub level_bytes: Vec<u64>,
    /// Bytes in the memtables (the mutable one and one being flushed).
    pub memtable_bytes: Option<u64>,
    /// Bytes that compactions must still rewrite to bring the tree within
    /// its policy's targets (RocksDB's "estimate-pending-compaction-bytes").
    pub pending_compaction_bytes: Option<u64>,
    /// Flushes and compactions running at this moment.
    pub compactions_running: Option<u64>,
}
