//! One benchmark result → one CSV row, and the columns every row shares.

use super::plan::{EnginePlan, RunPlan};
use crate::csv_row::ResultRow;
use crate::engines::EngineColumns;
use crate::machine::{peak_rss_bytes, Machine};
use strata_api::EngineMetrics;
use strata_workloads::db_bench::keys::KEY_BYTES;
use strata_workloads::db_bench::BenchResult;
use strata_workloads::measure::LatencySummary;

/// The row of `result`, measured on `engine` in repetition `repetition`.
pub fn make_row(
    plan: &RunPlan,
    machine: &Machine,
    engine: &EnginePlan,
    repetition: u32,
    result: &BenchResult,
) -> ResultRow {
    let report = &result.report;
    let mut row = ResultRow {
        benchmark: report.name.clone(),
        num: u64::from(plan.config.num),
        reads: u64::from(plan.config.resolved_reads()),
        threads: plan.config.threads,
        key_size_bytes: KEY_BYTES as u32,
        value_size_bytes: result.plan.value_size as u32,
        rng: plan.config.rng.name().to_string(),
        ops: report.ops,
        elapsed_us: (report.elapsed_s * 1e6).round() as u64,
        micros_per_op: report.micros_per_op,
        ops_per_s: per_s(report.ops, report.elapsed_s),
        mb_per_s: report.mb_per_s,
        found: report.found,
        // Files on disk (tables, WAL, MANIFEST) per key + value byte live,
        // measured after benchmarks that change the data.
        space_amplification: result.space_amplification(),
        db_size_bytes: result.db_size_bytes,
        message: report.message.clone(),
        ..engine_row(plan, machine, engine, repetition)
    };
    fill_latency(&mut row, report.all_latency);
    if let Some(metrics) = &result.metrics {
        fill_engine_counters(&mut row, metrics);
    }
    row
}

/// The columns every row of `engine` in repetition `repetition` shares
/// (run, machine, engine, seed, peak RSS); the measured columns are left
/// empty for the caller to fill.
pub fn engine_row(
    plan: &RunPlan,
    machine: &Machine,
    engine: &EnginePlan,
    repetition: u32,
) -> ResultRow {
    let spec = &engine.spec;
    let columns = EngineColumns::of(spec);
    ResultRow {
        run_id: plan.run_id.clone(),
        start_time: plan.start_time.clone(),
        git_rev: machine.git_rev.clone(),
        cpu_model: machine.cpu_model.clone(),
        cpu_cores: machine.cpu_cores,
        engine_spec: spec.to_string(),
        engine_kind: spec.kind().to_string(),
        memtable: columns.memtable,
        compaction: columns.compaction,
        compression: columns.compression,
        bloom_bits: columns.bloom_bits,
        repetition,
        seed: plan.config.seed,
        peak_rss_bytes: peak_rss_bytes(),
        ..ResultRow::default()
    }
}

/// Copies `latency`'s percentiles into `row` (all empty for `None`).
pub fn fill_latency(row: &mut ResultRow, latency: Option<LatencySummary>) {
    row.latency_us_p50 = latency.map(|l| l.p50_us);
    row.latency_us_p75 = latency.map(|l| l.p75_us);
    row.latency_us_p90 = latency.map(|l| l.p90_us);
    row.latency_us_p99 = latency.map(|l| l.p99_us);
    row.latency_us_p999 = latency.map(|l| l.p999_us);
    row.latency_us_p9999 = latency.map(|l| l.p9999_us);
    row.latency_us_max = latency.map(|l| l.max_us);
}

/// `n` operations over `elapsed_s` seconds, per second (0 without time).
pub fn per_s(n: u64, elapsed_s: f64) -> f64 {
    if elapsed_s > 0.0 {
        n as f64 / elapsed_s
    } else {
        0.0
    }
}

/// Copies a benchmark's engine counters into `row`: bytes written by the
/// user and to disk, write amplification (empty when the user wrote
/// nothing) and read amplification (empty without gets); the last three
/// stay empty for engines that do not count their own I/O, whose zeros
/// mean "unknown".
pub fn fill_engine_counters(row: &mut ResultRow, metrics: &EngineMetrics) {
    row.user_bytes_written = metrics.user_bytes_written;
    let counted = metrics.internal_io_counted;
    row.disk_bytes_written = counted.then_some(metrics.disk_bytes_written);
    row.write_amplification = (counted && metrics.user_bytes_written > 0)
        .then(|| metrics.disk_bytes_written as f64 / metrics.user_bytes_written as f64);
    row.read_amplification = (counted && metrics.gets > 0).then(|| metrics.read_amplification());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(internal_io_counted: bool) -> EngineMetrics {
        EngineMetrics {
            internal_io_counted,
            user_bytes_written: 1000,
            disk_bytes_written: 2500,
            gets: 10,
            tables_probed: 15,
            ..EngineMetrics::default()
        }
    }

    #[test]
    fn amplification_is_filled_only_when_the_engine_counts_it() {
        let mut row = ResultRow::default();
        fill_engine_counters(&mut row, &metrics(true));
        assert_eq!(row.user_bytes_written, 1000);
        assert_eq!(row.disk_bytes_written, Some(2500));
        assert_eq!(row.write_amplification, Some(2.5));
        assert_eq!(row.read_amplification, Some(1.5));

        // A wrapped peer (LevelDB's C API): user bytes and gets pass
        // through strata, its own I/O does not; zeros there are unknowns.
        let mut row = ResultRow::default();
        fill_engine_counters(
            &mut row,
            &EngineMetrics {
                disk_bytes_written: 0,
                tables_probed: 0,
                ..metrics(false)
            },
        );
        assert_eq!(row.user_bytes_written, 1000);
        assert_eq!(row.disk_bytes_written, None);
        assert_eq!(row.write_amplification, None);
        assert_eq!(row.read_amplification, None);

        let mut idle = ResultRow::default();
        fill_engine_counters(
            &mut idle,
            &EngineMetrics {
                internal_io_counted: true,
                ..EngineMetrics::default()
            },
        );
        assert_eq!(
            (idle.write_amplification, idle.read_amplification),
            (None, None)
        );
    }
}
