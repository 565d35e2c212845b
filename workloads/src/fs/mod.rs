//! Filesystem workloads on blobfs: `fs_create`, `fs_read`, `fs_stat`,
//! `fs_readdir`, `fs_overwrite`, `fs_rename`, `fs_history`, `fs_unlink`,
//! `fs_bigfile`, `fs_import`, run on a blobfs store over any
//! [`strata_api::Engine`] through a [`crate::measure::EngineHost`].
//!
//! A run ([`FsRun`]) opens a fresh database, initialises a store in it and
//! runs the benchmarks in order on that store: `fs_create` makes a tree
//! whose shape is documented in [`shape`] (contents from [`content`]),
//! the next benchmarks read, change, move and remove it, and every read
//! is checked against a [`model`] of what was written (a mismatch stops
//! the run with an error instead of a fast wrong number). Mutations take
//! explicit claim times from a [`model::Clock`] (1 ms apart from
//! 2024-01-01), so `fs_history` knows what each file was at any instant.
//! The store's commits are not synced (`FsConfig::sync` false), as
//! db_bench's writes are not by default.
//!
//! Each benchmark runs [`via`] blobfs's API (the default) or through a
//! FUSE mount of the store with ordinary system calls (rows named
//! `fs_create@mount` …), each way on a store of its own ([`FsVia`]).

pub mod benchmark;
mod bigfile;
pub mod config;
pub mod content;
mod import;
pub mod model;
pub mod run;
pub mod shape;
mod target;
mod tree_ops;
pub mod via;

pub use benchmark::{check_order, is_fs_name, FsBenchmark, DEFAULT_SUITE};
pub use bigfile::{BIGFILE_PATH, EDIT_BYTES, READ_PIECE_BYTES};
pub use config::FsWorkloadConfig;
pub use import::IMPORT_PATH;
pub use run::{FsResult, FsRun};
pub use tree_ops::{LARGE_FILE_BYTES, MAX_EDIT_BYTES};
pub use via::{parse_vias, FsVia};

/// The block printed before an engine's filesystem benchmarks.
pub fn header(config: &FsWorkloadConfig) -> String {
    format!(
        "Filesystem: blobfs; {} files (1 directory per {}), sizes log-normal median {} KiB \
         sigma {}, {} ops per benchmark, big file {} MiB with {} edits, seed {} (xoshiro)\n",
        config.files,
        shape::FILES_PER_DIRECTORY,
        shape::MEDIAN_FILE_BYTES / 1024.0,
        shape::SIZE_SIGMA,
        config.ops,
        config.bigfile_bytes >> 20,
        config.bigfile_edits,
        config.seed
    )
}
