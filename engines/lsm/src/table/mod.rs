//! LevelDB's sorted table (`.ldb`) format.
pub mod block;
pub mod block_builder;
pub mod hash;
