//! compaction (being written).
