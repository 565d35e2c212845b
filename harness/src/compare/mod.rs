//! `strata compare`'s tables. One file: per benchmark, every engine's
//! median micros/op and ops/s over the repetitions, its ratio to the
//! baseline engine with a 95 % interval and a verdict, and its write
//! amplification where the rows have one ([`compare`], [`render`]). Two
//! files: per engine spec in both, each benchmark's NEW / OLD ratio with
//! its interval, and which benchmarks regressed beyond a threshold
//! ([`regressions`], [`render_regressions`]). The statistics are in
//! [`crate::analysis`]; the flags in `cli/compare.rs`.

mod regress;
mod table;

pub use regress::{regressions, render_regressions, Outcome};
pub use table::{compare, render, CompareError, Comparison};

use crate::analysis::{RatioInterval, Refusal};
use std::fmt;

/// What a table prints in its interval and verdict columns.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// The ratio's interval and verdict.
    Interval(RatioInterval),
    /// No interval, and why (too few repetitions).
    Refused(Refusal),
    /// The baseline's own line.
    Baseline,
    /// The baseline did not run this benchmark.
    Missing,
    /// The two sides ran with different settings (`num 1000 against
    /// 2000`): their times are not comparable.
    DifferentSettings(String),
}

impl Cell {
    /// The interval, when there is one.
    pub fn interval(&self) -> Option<&RatioInterval> {
        match self {
            Cell::Interval(r) => Some(r),
            _ => None,
        }
    }
}

impl From<Result<RatioInterval, Refusal>> for Cell {
    fn from(result: Result<RatioInterval, Refusal>) -> Self {
        result.map_or_else(Cell::Refused, Cell::Interval)
    }
}

/// The verdict column: the verdict, or why there is none.
impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Interval(r) => write!(f, "{}", r.verdict),
            Cell::Refused(why) => write!(f, "{why}"),
            Cell::Baseline => f.write_str("baseline"),
            Cell::Missing => f.write_str("no baseline run"),
            Cell::DifferentSettings(what) => write!(f, "not comparable: {what}"),
        }
    }
}

/// `[low, high]` to three decimals, as the ratio column.
fn interval_text(r: &RatioInterval) -> String {
    format!("[{:.3}, {:.3}]", r.low, r.high)
}

/// A spec in canonical form when it parses (so key order and spacing do
/// not matter), else as given: a file may name kinds this build lacks.
fn canonical(spec: &str) -> String {
    crate::engines::parse_spec(spec).map_or_else(|_| spec.trim().to_string(), |s| s.to_string())
}

/// Whether every row of a benchmark times nothing (`stats`, `sstables`
/// print a property; db_bench's `compact` counts no operations but is
/// timed, so it is compared).
fn times_nothing<'a>(mut rows: impl Iterator<Item = &'a crate::csv_row::ResultRow>) -> bool {
    rows.all(|r| r.ops == 0 && r.micros_per_op <= 0.0)
}
