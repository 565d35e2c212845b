//! Per-thread measurements (`db_bench`'s `Stats`): operations done, bytes,
//! time, latency histograms per operation type; merged across threads into
//! one [`Report`] with `db_bench`'s formulas and line.

use super::cpu::CpuTime;
use super::interval::{IntervalProbe, IntervalSample};
use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

/// Kinds of operation whose latencies are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// A put (alone or in a batch).
    Write,
    /// A delete.
    Delete,
    /// A point lookup.
    Get,
    /// An iterator seek.
    Seek,
    /// One step of a scan.
    Scan,
    /// Anything else: checksums, compression, reopening.
    Other,
}

impl OpKind {
    const ALL: [OpKind; 6] = [
        OpKind::Write,
        OpKind::Delete,
        OpKind::Get,
        OpKind::Seek,
        OpKind::Scan,
        OpKind::Other,
    ];

    /// Lower-case label for reports.
    pub fn label(self) -> &'static str {
        match self {
            OpKind::Write => "write",
            OpKind::Delete => "delete",
            OpKind::Get => "get",
            OpKind::Seek => "seek",
            OpKind::Scan => "scan",
            OpKind::Other => "op",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Ops between two progress-bar updates (keeps the shared bar off the hot
/// path).
const PROGRESS_STEP: u64 = 1024;

fn new_histogram() -> Histogram<u64> {
    // Three significant figures with auto-resize is always constructible.
    Histogram::new(3).expect("3 significant figures is a valid precision")
}

/// One thread's measurements of one benchmark.
#[derive(Debug)]
pub struct Stats {
    start: Instant,
    finish: Instant,
    seconds: f64,
    done: u64,
    bytes: u64,
    last_op_finish: Instant,
    histograms: Option<Vec<Histogram<u64>>>,
    message: String,
    found: Option<u64>,
    progress: Option<ProgressBar>,
    progress_pending: u64,
    probe: Option<Arc<IntervalProbe>>,
    intervals: Vec<IntervalSample>,
    cpu: Option<CpuTime>,
}

impl Stats {
    /// Fresh stats, timing from now; latencies are recorded when
    /// `histogram` is set; `progress` is advanced as operations finish.
    pub fn new(histogram: bool, progress: Option<ProgressBar>) -> Self {
        let now = Instant::now();
        Stats {
            start: now,
            finish: now,
            seconds: 0.0,
            done: 0,
            bytes: 0,
            last_op_finish: now,
            histograms: histogram.then(|| OpKind::ALL.iter().map(|_| new_histogram()).collect()),
            message: String::new(),
            found: None,
            progress,
            progress_pending: 0,
            probe: None,
            intervals: Vec::new(),
            cpu: None,
        }
    }

    /// Attaches the process's CPU time over the benchmark (all threads,
    /// background ones included) to these (merged) stats.
    pub fn set_cpu(&mut self, cpu: CpuTime) {
        self.cpu = Some(cpu);
    }

    /// Attaches the benchmark's time series (the sampler's output) to
    /// these (merged) stats; [`Stats::report`] carries it.
    pub fn set_intervals(&mut self, intervals: Vec<IntervalSample>) {
        self.intervals = intervals;
    }

    /// These stats, also reporting to `probe` for the time series.
    pub fn with_probe(mut self, probe: Arc<IntervalProbe>) -> Self {
        self.probe = Some(probe);
        self
    }

    /// Restarts the clock and clears every count (`Stats::Start`).
    pub fn start(&mut self) {
        self.restart_keeping_latencies();
        if let Some(hists) = &mut self.histograms {
            hists.iter_mut().for_each(Histogram::reset);
        }
    }

    /// Restarts the clock and clears counts but keeps recorded latencies:
    /// `readwhilewriting`'s writer uses it so its write latencies are
    /// reported while its time and ops are not (as in `db_bench`).
    pub fn restart_keeping_latencies(&mut self) {
        let now = Instant::now();
        self.start = now;
        self.finish = now;
        self.last_op_finish = now;
        self.seconds = 0.0;
        self.done = 0;
        if let Some(probe) = &self.probe {
            probe.set_done(0);
        }
        self.bytes = 0;
        self.message.clear();
        self.found = None;
    }

    /// Stops the clock (`Stats::Stop`).
    pub fn stop(&mut self) {
        self.finish = Instant::now();
        self.seconds = (self.finish - self.start).as_secs_f64();
        if let Some(bar) = &self.progress {
            bar.inc(self.progress_pending);
            self.progress_pending = 0;
        }
    }

    /// Records the latency of an operation of `kind` (time since the last
    /// one finished, as `db_bench` measures) without counting it as done.
    pub fn record_latency(&mut self, kind: OpKind) {
        if let Some(hists) = &mut self.histograms {
            let now = Instant::now();
            let nanos = (now - self.last_op_finish).as_nanos();
            let nanos = u64::try_from(nanos).unwrap_or(u64::MAX);
            // `record` grows the auto-resizing histogram; `saturating_record`
            // would clamp to its current (initially tiny) range instead.
            let hist = &mut hists[kind.index()];
            if hist.record(nanos).is_err() {
                hist.saturating_record(nanos);
            }
            if let Some(probe) = &self.probe {
                probe.add_latency(nanos);
            }
            self.last_op_finish = now;
        }
    }

    /// Counts one finished operation of `kind` (`FinishedSingleOp`).
    #[inline]
    pub fn finished_single_op(&mut self, kind: OpKind) {
        self.record_latency(kind);
        self.done += 1;
        if let Some(probe) = &self.probe {
            probe.set_done(self.done);
        }
        if self.progress.is_some() {
            self.progress_pending += 1;
            if self.progress_pending >= PROGRESS_STEP {
                if let Some(bar) = &self.progress {
                    bar.inc(self.progress_pending);
                }
                self.progress_pending = 0;
            }
        }
    }

    /// Adds `n` bytes processed.
    pub fn add_bytes(&mut self, n: u64) {
        self.bytes += n;
    }

    /// Appends `msg` to the message, space-separated (`AddMessage`).
    pub fn add_message(&mut self, msg: &str) {
        append_with_space(&mut self.message, msg);
    }

    /// Adds `n` keys found (summed across threads on merge).
    pub fn add_found(&mut self, n: u64) {
        self.found = Some(self.found.unwrap_or(0) + n);
    }

    /// Folds another thread's stats in (`Stats::Merge`): counts, bytes and
    /// per-thread seconds add up, the interval widens to cover both, and the
    /// first non-empty message is kept.
    pub fn merge(&mut self, other: &Stats) {
        if let (Some(mine), Some(theirs)) = (&mut self.histograms, &other.histograms) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                // Same precision on both sides, auto-resizing: cannot fail.
                let _ = m.add(t);
            }
        }
        self.done += other.done;
        self.bytes += other.bytes;
        self.seconds += other.seconds;
        self.start = self.start.min(other.start);
        self.finish = self.finish.max(other.finish);
        if self.message.is_empty() {
            self.message = other.message.clone();
        }
        if let Some(n) = other.found {
            self.add_found(n);
        }
    }

    /// The report of `name` (`Stats::Report`'s arithmetic).
    pub fn report(&self, name: &str) -> Report {
        // db_bench pretends one op was done for benchmarks that count none.
        let done_for_rate = self.done.max(1);
        let elapsed_s = (self.finish - self.start).as_secs_f64();
        let mb_per_s = (self.bytes > 0).then(|| (self.bytes as f64 / 1_048_576.0) / elapsed_s);
        let mut latencies = Vec::new();
        let mut all: Option<Histogram<u64>> = None;
        if let Some(hists) = &self.histograms {
            for (kind, hist) in OpKind::ALL.iter().zip(hists) {
                if hist.is_empty() {
                    continue;
                }
                latencies.push((*kind, LatencySummary::of(hist)));
                let total = all.get_or_insert_with(new_histogram);
                let _ = total.add(hist);
            }
        }
        Report {
            name: name.to_string(),
            ops: self.done,
            micros_per_op: self.seconds * 1e6 / done_for_rate as f64,
            elapsed_s,
            bytes: self.bytes,
            mb_per_s,
            message: self.message.clone(),
            found: self.found,
            latencies,
            all_latency: all.as_ref().map(LatencySummary::of),
            intervals: self.intervals.clone(),
            cpu: self.cpu,
        }
    }
}

fn append_with_space(text: &mut String, msg: &str) {
    if msg.is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(msg);
}

/// Latency figures of one histogram, microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencySummary {
    /// Operations recorded.
    pub count: u64,
    /// Mean.
    pub mean_us: f64,
    /// Standard deviation.
    pub stddev_us: f64,
    /// Minimum.
    pub min_us: f64,
    /// Median.
    pub p50_us: f64,
    /// 75th percentile.
    pub p75_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// 99.99th percentile.
    pub p9999_us: f64,
    /// Maximum.
    pub max_us: f64,
}

impl LatencySummary {
    /// The figures of `hist`, whose values are nanoseconds.
    pub fn of(hist: &Histogram<u64>) -> Self {
        let us = |nanos: u64| nanos as f64 / 1000.0;
        LatencySummary {
            count: hist.len(),
            mean_us: hist.mean() / 1000.0,
            stddev_us: hist.stdev() / 1000.0,
            min_us: us(hist.min()),
            p50_us: us(hist.value_at_quantile(0.50)),
            p75_us: us(hist.value_at_quantile(0.75)),
            p90_us: us(hist.value_at_quantile(0.90)),
            p99_us: us(hist.value_at_quantile(0.99)),
            p999_us: us(hist.value_at_quantile(0.999)),
            p9999_us: us(hist.value_at_quantile(0.9999)),
            max_us: us(hist.max()),
        }
    }

    /// Appends db_bench's latency block (count, average, stddev, min,
    /// median, max, percentiles, a rule) to `out`.
    pub fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "Count: {}  Average: {:.4}  StdDev: {:.2}",
            self.count, self.mean_us, self.stddev_us
        );
        let _ = writeln!(
            out,
            "Min: {:.4}  Median: {:.4}  Max: {:.4}",
            self.min_us, self.p50_us, self.max_us
        );
        let _ = writeln!(
            out,
            "Percentiles: P50: {:.2} P75: {:.2} P90: {:.2} P99: {:.2} P99.9: {:.2} P99.99: {:.2}",
            self.p50_us, self.p75_us, self.p90_us, self.p99_us, self.p999_us, self.p9999_us
        );
        out.push_str("------------------------------------------------------\n");
    }
}

/// One benchmark's merged result.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Benchmark name.
    pub name: String,
    /// Operations done by all threads (0 for benchmarks that count none).
    pub ops: u64,
    /// `db_bench`'s micros/op: the sum of per-thread seconds × 10^6 over the
    /// ops done (at least 1), i.e. the mean per-thread time per op.
    pub micros_per_op: f64,
    /// Wall time from the first thread's start to the last one's finish.
    pub elapsed_s: f64,
    /// Bytes processed.
    pub bytes: u64,
    /// bytes / 1,048,576 / `elapsed_s`, when bytes were processed.
    pub mb_per_s: Option<f64>,
    /// `db_bench`'s message (one thread's, as there).
    pub message: String,
    /// Keys found by all threads, for benchmarks that count them.
    pub found: Option<u64>,
    /// Latencies per operation type (with `--histogram=1`).
    pub latencies: Vec<(OpKind, LatencySummary)>,
    /// Latencies of all operation types together.
    pub all_latency: Option<LatencySummary>,
    /// The time series (`--stats_interval_seconds`): one sample per
    /// interval; empty when not sampled or when the benchmark ended
    /// before the first interval did.
    pub intervals: Vec<IntervalSample>,
    /// The process's CPU time during the benchmark (every thread,
    /// background work included); `None` where not measured.
    pub cpu: Option<CpuTime>,
}

impl Report {
    /// `db_bench`'s line: `name : X micros/op; Y MB/s (message)`.
    pub fn line(&self) -> String {
        let mut extra = String::new();
        if let Some(rate) = self.mb_per_s {
            extra = format!("{rate:>6.1} MB/s");
        }
        append_with_space(&mut extra, &self.message);
        format!(
            "{:<12} : {:>11.3} micros/op;{}{}",
            self.name,
            self.micros_per_op,
            if extra.is_empty() { "" } else { " " },
            extra
        )
    }

    /// The `--histogram=1` block: one section per operation type.
    pub fn histogram_text(&self) -> String {
        let mut out = String::new();
        for (kind, summary) in &self.latencies {
            if self.latencies.len() == 1 {
                out.push_str("Microseconds per op:\n");
            } else {
                let _ = writeln!(out, "Microseconds per op ({}):", kind.label());
            }
            summary.render(&mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_matches_db_bench_format() {
        let r = Report {
            name: "readrandom".into(),
            ops: 10,
            micros_per_op: 2.868,
            elapsed_s: 1.0,
            bytes: 0,
            mb_per_s: None,
            message: "(864322 of 1000000 found)".into(),
            found: Some(864_322),
            latencies: Vec::new(),
            all_latency: None,
            intervals: Vec::new(),
            cpu: None,
        };
        assert_eq!(
            r.line(),
            "readrandom   :       2.868 micros/op; (864322 of 1000000 found)"
        );
        let w = Report {
            name: "fillseq".into(),
            mb_per_s: Some(48.8),
            message: String::new(),
            micros_per_op: 2.267,
            ..r.clone()
        };
        assert_eq!(
            w.line(),
            "fillseq      :       2.267 micros/op;   48.8 MB/s"
        );
        let c = Report {
            name: "compact".into(),
            message: String::new(),
            micros_per_op: 427550.0,
            ..r
        };
        assert_eq!(c.line(), "compact      :  427550.000 micros/op;");
    }

    #[test]
    fn merge_sums_seconds_and_widens_interval() {
        let mut a = Stats::new(true, None);
        let mut b = Stats::new(true, None);
        a.start();
        b.start();
        for _ in 0..3 {
            a.finished_single_op(OpKind::Get);
        }
        b.finished_single_op(OpKind::Write);
        a.add_found(2);
        b.add_found(1);
        a.add_bytes(10);
        a.stop();
        b.stop();
        let (sa, sb) = (a.seconds, b.seconds);
        a.merge(&b);
        let r = a.report("x");
        assert_eq!(r.ops, 4);
        assert_eq!(r.found, Some(3));
        assert!((r.micros_per_op - (sa + sb) * 1e6 / 4.0).abs() < 1e-9);
        assert_eq!(r.latencies.len(), 2);
        assert_eq!(r.all_latency.map(|l| l.count), Some(4));
        assert!(r.histogram_text().contains("Microseconds per op (get):"));
        assert!(r.mb_per_s.is_some());
    }

    #[test]
    fn no_ops_counts_as_one() {
        let mut s = Stats::new(false, None);
        s.start();
        s.stop();
        let r = s.report("compact");
        assert_eq!(r.ops, 0);
        assert!((r.micros_per_op - s.seconds * 1e6).abs() < 1e-9);
        assert!(r.latencies.is_empty());
    }
}
