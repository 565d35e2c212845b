//! The YCSB core workloads A–F (Cooper et al., "Benchmarking cloud serving
//! systems with YCSB", SoCC 2010; the `workloada` … `workloadf` property
//! files), run against any [`strata_api::Engine`] through a
//! [`crate::measure::EngineHost`].
//!
//! Each workload opens a fresh database, loads [`YcsbConfig::records`]
//! records (keys `user<FNV-1a hash of the insertion index>`, values of
//! 10 fields × 100 bytes stored as one 1000-byte value), then runs
//! [`YcsbConfig::operations`] operations on one client thread, drawing
//! operation types from the workload's mix and records from a scrambled
//! zipfian (θ = [`YcsbConfig::zipf_constant`]) or, for D, `latest`.
//! Randomness comes from xoshiro streams of [`YcsbConfig::seed`].

pub mod config;
pub mod generator;
pub mod hash;
pub mod latest;
pub mod record;
pub mod report;
pub mod run;
pub mod scrambled;
pub mod workload;
pub mod zipfian;

pub use config::{YcsbConfig, YcsbConfigError};
pub use generator::{OpGenerator, Operation};
pub use report::YcsbReport;
pub use run::{run_workload, YcsbResult};
pub use workload::{is_workload_name, OpType, Workload};

/// The block printed before an engine's YCSB workloads.
pub fn header(config: &YcsbConfig) -> String {
    format!(
        "YCSB:       {} records of 10 fields x 100 bytes, {} operations per workload, \
         zipfian constant {}, seed {} (xoshiro), 1 client thread\n",
        config.records, config.operations, config.zipf_constant, config.seed
    )
}
