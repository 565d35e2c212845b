//! `strata compare`'s tables: per benchmark, every engine's median
//! micros/op and ops/s over the repetitions (from [`crate::analysis`]),
//! its ratio to the baseline engine, and its write amplification where the
//! rows have one. The flags are in `cli/compare.rs`.

mod table;

pub use table::{compare, render, CompareError};
