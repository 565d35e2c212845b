//! Run-phase measurements of one workload: per-operation-type latency
//! histograms (hdrhistogram, nanoseconds) and the report with its
//! `db_bench`-style line.

use super::workload::OpType;
use crate::measure::{CpuTime, LatencySummary};
use hdrhistogram::Histogram;
use std::fmt::Write as _;

fn new_histogram() -> Histogram<u64> {
    // Three significant figures with auto-resize is always constructible.
    Histogram::new(3).expect("3 significant figures is a valid precision")
}

/// Latencies of the operations done, one histogram per [`OpType`].
#[derive(Debug)]
pub struct Latencies {
    histograms: Vec<Histogram<u64>>,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            histograms: OpType::ALL.iter().map(|_| new_histogram()).collect(),
        }
    }
}

impl Latencies {
    /// Records one operation of type `op` that took `nanos`.
    pub fn record(&mut self, op: OpType, nanos: u64) {
        let hist = &mut self.histograms[op.index()];
        // `record` grows the auto-resizing histogram; `saturating_record`
        // alone would clamp to its initial highest trackable value (2 ns).
        if hist.record(nanos).is_err() {
            hist.saturating_record(nanos);
        }
    }

    /// Operations recorded of type `op`.
    pub fn count(&self, op: OpType) -> u64 {
        self.histograms[op.index()].len()
    }

    /// Summaries of the types that occurred, in [`OpType::ALL`] order, and
    /// of all of them together.
    pub fn summaries(&self) -> (Vec<(OpType, LatencySummary)>, Option<LatencySummary>) {
        let mut per_type = Vec::new();
        let mut all: Option<Histogram<u64>> = None;
        for (op, hist) in OpType::ALL.iter().zip(&self.histograms) {
            if hist.is_empty() {
                continue;
            }
            per_type.push((*op, LatencySummary::of(hist)));
            // Same precision, auto-resizing: adding cannot fail.
            let _ = all.get_or_insert_with(new_histogram).add(hist);
        }
        (per_type, all.as_ref().map(LatencySummary::of))
    }
}

/// One workload's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct YcsbReport {
    /// Workload name (`ycsba` …).
    pub name: String,
    /// Records inserted by the load phase.
    pub records_loaded: u64,
    /// Wall time of the load phase (not part of the figures below).
    pub load_elapsed_s: f64,
    /// Operations of the run phase.
    pub ops: u64,
    /// Operations per type, in [`OpType::ALL`] order.
    pub counts: [u64; 5],
    /// Wall time of the run phase.
    pub elapsed_s: f64,
    /// Run-phase wall time × 10^6 / operations (at least 1).
    pub micros_per_op: f64,
    /// Reads and read-modify-writes that found their record.
    pub found: u64,
    /// Records returned by all scans.
    pub scanned: u64,
    /// Key + value bytes of all records after the run.
    pub logical_bytes: u64,
    /// Latencies per operation type that occurred.
    pub latencies: Vec<(OpType, LatencySummary)>,
    /// Latencies of all operations together.
    pub all_latency: Option<LatencySummary>,
    /// The process's CPU time during the run phase (every thread,
    /// background work included).
    pub cpu: Option<CpuTime>,
}

impl YcsbReport {
    /// Operations of type `op`.
    pub fn count(&self, op: OpType) -> u64 {
        self.counts[op.index()]
    }

    /// The `(reads R, updates U)` message: the types that occurred.
    pub fn message(&self) -> String {
        let parts: Vec<String> = OpType::ALL
            .iter()
            .filter(|op| self.count(**op) > 0)
            .map(|op| format!("{} {}", op.plural(), self.count(*op)))
            .collect();
        format!("({})", parts.join(", "))
    }

    /// The line: `ycsba        :       X micros/op; (reads R, updates U)`.
    pub fn line(&self) -> String {
        format!(
            "{:<12} : {:>11.3} micros/op; {}",
            self.name,
            self.micros_per_op,
            self.message()
        )
    }

    /// One latency block per operation type, as `db_bench`'s
    /// `--histogram=1` prints them.
    pub fn histogram_text(&self) -> String {
        let mut out = String::new();
        for (op, s) in &self.latencies {
            let _ = writeln!(out, "Microseconds per op ({}):", op.label());
            s.render(&mut out);
        }
        out
    }
}
