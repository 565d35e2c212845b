//! Cursors composed over memtables and tables: a two-level cursor (index →
//! block, file list → table), a merging cursor over many sources, and the
//! database cursor that hides sequence numbers and tombstones.

pub mod db_iter;
pub mod merging;
pub mod two_level;
