//! VersionEdit (being written).
