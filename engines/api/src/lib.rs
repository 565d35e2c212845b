//! The seams of strata.
//!
//! Everything an engine offers to workloads and the harness goes through the
//! [`Engine`] trait; every file operation an engine performs goes through an
//! [`Env`]. Nothing here knows about a particular engine.

pub mod batch;
pub mod codecs;
pub mod coding;
pub mod engine;
pub mod env;
pub mod error;
pub mod iter;
pub mod metrics;
pub mod options;
pub mod snapshot;
pub mod spec;
pub mod state;

pub use batch::{BatchOp, WriteBatch};
pub use codecs::Codecs;
pub use engine::Engine;
pub use env::{Env, FileLock, MemEnv, PosixEnv, RandomAccessFile, SequentialFile, WritableFile};
pub use error::{Error, Result};
pub use iter::KvIterator;
pub use metrics::EngineMetrics;
pub use options::{ReadOptions, WriteOptions};
pub use snapshot::Snapshot;
pub use spec::{EngineSpec, KeySchema, SpecSchema, ValueKind};
pub use state::EngineState;
