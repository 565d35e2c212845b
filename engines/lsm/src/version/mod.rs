//! The set of live files: `VersionEdit` records, the MANIFEST that logs
//! them, `CURRENT`, and recovery.

pub mod edit;
