//! LevelDB 1.23 through its C API (feature `leveldb`).

mod batch;
mod codecs;
mod engine;
mod error;
mod ffi;
mod handle;
mod iter;
mod stats;

pub use codecs::LevelDbCodecs;
pub use engine::{open_leveldb, LevelDb};
pub use iter::LevelDbIter;
