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
    /// Bytes of table files per level (a leveled tree: every level, level 0
    /// first, empty levels as 0) or per sorted run (a tree keeping runs:
    /// newest run first); empty when not known. strata's engine reports
    /// levels under `compaction=leveled` and runs under `tiered` and
    /// `lazy_leveled` (each level-0 file, then each non-empty deeper
    /// level as one run).
    pub level_bytes: Vec<u64>,
    /// Memory held by the memtables (the mutable one and one waiting for
    /// or in its flush), as the write buffer size counts it.
    pub memtable_bytes: Option<u64>,
    /// Bytes that compactions must still rewrite to bring the tree within
    /// its policy's targets (RocksDB's "estimate-pending-compaction-bytes");
    /// each engine and policy documents its estimate.
    pub pending_compaction_bytes: Option<u64>,
    /// Flushes and compactions running at this moment.
    pub compactions_running: Option<u64>,
}
