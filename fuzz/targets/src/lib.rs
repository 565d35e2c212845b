//! Bodies of strata's decoder fuzz targets.
//!
//! Each public function takes one fuzzer input and feeds it to a decoder of
//! the engine's on-disk or in-store formats. It panics (which libFuzzer
//! and the corpus replay test report as a failure) if the decoder panics,
//! or if a property breaks that holds for any input the decoder accepted:
//! mostly a round trip, re-encoding what decoded and decoding it again must
//! give back the same thing. Rejecting an input is never a failure.
//!
//! The same functions run under libFuzzer (`fuzz/fuzz_targets/*.rs`, nightly
//! `cargo fuzz`) and in stable `cargo test`, which replays the committed
//! corpus `fuzz/corpus/<target>/` through them (`tests/corpus.rs`).

mod index_engine;
mod lsm_targets;
pub mod seeds;
mod store_targets;

pub use lsm_targets::{block, format, log, table, version_edit, write_batch};
pub use store_targets::{claim, claim_index, schema};

/// A fuzz target body: one input, panics on a failure.
pub type TargetFn = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` and its
/// corpus folder `fuzz/corpus/<name>/`.
pub const TARGETS: &[(&str, TargetFn)] = &[
    ("block", block),
    ("format", format),
    ("table", table),
    ("log", log),
    ("version_edit", version_edit),
    ("write_batch", write_batch),
    ("schema", schema),
    ("claim", claim),
    ("claim_index", claim_index),
];

/// The target named `name`, if any.
pub fn target(name: &str) -> Option<TargetFn> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
