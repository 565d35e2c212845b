//! The set of live files: `VersionEdit` records, the MANIFEST that logs
//! them, `CURRENT`, and recovery.

pub mod edit;
pub mod level_files;
pub mod set;

pub use level_files::{FileEntry, GetStats, TableGet, Version};
pub use set::VersionSet;
