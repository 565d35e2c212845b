//! LevelDB's basic encodings: integers, checksums, internal keys, key
//! comparators and file names. Everything above (log, tables, MANIFEST)
//! is built from these pieces.

pub mod coding;
pub mod comparator;
pub mod crc;
pub mod filename;
pub mod internal_key;
