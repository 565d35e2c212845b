//! Workloads for strata.
//!
//! [`db_bench`] is LevelDB 1.23's `db_bench` suite: the same benchmark names,
//! defaults and order, the same key and value generation (LevelDB's own
//! Park–Miller generator and seeding, so the keys match `db_bench`'s to the
//! unit), the same report lines. It drives any [`strata_api::Engine`]
//! through an [`EngineHost`] that the caller provides.

pub mod db_bench;
pub mod external;
pub mod fs;
pub mod measure;
pub mod registry;
mod workload;
pub mod ycsb;

pub use measure::{EngineHost, RunError};
pub use registry::{BenchmarkId, Family, UnknownBenchmark};
pub use workload::{Outcome, Part, Settings, Workload};
