//! LevelDB 1.23 through its C API (feature `leveldb`).

mod engine;
mod error;
mod ffi;
mod handle;
mod iter;

pub use engine::{open_leveldb, LevelDb};
pub use iter::LevelDbIter;
