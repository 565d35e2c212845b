//! What every workload family measures with: the [`EngineHost`] seam that
//! opens the database under test, the [`RunError`] a run stops with, and
//! [`stats`] (per-operation timing, db_bench's report line, latency
//! percentiles from an HDR histogram).

pub mod cpu;
mod error;
mod host;
pub mod interval;
pub mod rss;
pub mod stats;

pub use cpu::CpuTime;
pub use error::RunError;
pub use host::EngineHost;
pub use interval::{IntervalProbe, IntervalSample};
pub use stats::{LatencySummary, OpKind, Report, Stats};
