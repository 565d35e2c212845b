//! The crates.io `rusty-leveldb` port (feature `rusty-leveldb`).

mod codecs;
mod engine;
mod env;
mod iter;
mod options;
mod shared;

pub use engine::{open_rusty_leveldb, RustyLevelDb};
