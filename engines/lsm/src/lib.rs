//! strata's LSM engine, faithful to LevelDB 1.23's on-disk formats.
//!
//! Layers, bottom up: [`format`] (integers, internal keys, checksums),
//! [`wal`] (the log format of WAL and MANIFEST), [`table`] (sorted tables),
//! [`memtable`] (the in-memory write buffer), [`iter`] (merging and
//! snapshot-aware cursors), [`version`] (the set of live files and its
//! MANIFEST), [`compaction`] (pure policies plus one executor), and the
//! database itself ([`Db`]); [`spec`] holds the keys of an `lsm:` spec, the
//! options one gives and the canonical spec string.

pub mod compaction;
pub mod db;
pub mod dump;
pub mod format;
pub mod iter;
pub mod memtable;
pub mod options;
pub mod spec;
pub mod table;
pub mod table_cache;
pub mod version;
pub mod wal;

pub use db::{destroy_db, Db};
pub use options::DbOptions;
