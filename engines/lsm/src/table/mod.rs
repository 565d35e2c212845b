//! LevelDB's sorted table (`.ldb`) format.
pub mod block;
pub mod block_builder;
pub mod bloom;
pub mod cache;
pub mod filter_block;
pub mod format;
pub mod hash;
