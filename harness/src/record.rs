//! The one place a CSV row is built: from what a benchmark measured (an
//! [`Outcome`] of any family), the cell it ran in, and the run's facts.
//! The columns describing the engine are its spec resolved against its
//! crate's defaults ([`EngineColumns`]), the same string `Engine::spec()`
//! returns.

use crate::csv_row::{IntervalRow, ResultRow};
use crate::engines::EngineColumns;
use crate::machine::{peak_rss_bytes, Machine};
use crate::plan::{Cell, Plan, Shard};
use strata_api::EngineMetrics;
use strata_workloads::db_bench::keys::KEY_BYTES;
use strata_workloads::db_bench::BenchResult;
use strata_workloads::fs::FsResult;
use strata_workloads::measure::{IntervalSample, LatencySummary, Report};
use strata_workloads::ycsb::record::RECORD_BYTES;
use strata_workloads::ycsb::{OpType, YcsbResult};
use strata_workloads::Outcome;

/// What every row of a run shares.
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// The run's identifier (also the CSV file stem).
    pub run_id: String,
    /// When the run started, RFC 3339 UTC.
    pub start_time: String,
    /// The machine and source tree.
    pub machine: Machine,
}

/// One row and what the console summary needs to know of it.
#[derive(Debug, Clone)]
pub struct Record {
    /// The CSV row.
    pub row: ResultRow,
    /// Index of the engine in the plan.
    pub engine: usize,
    /// Position of the benchmark in the list.
    pub position: usize,
    /// Which of the benchmark's lines (`fs_bigfile` prints three).
    pub line: usize,
    /// True for a timed result that belongs in the `--repeat` summary
    /// (not a property print, not a YCSB per-operation-type row).
    pub timed: bool,
    /// The benchmark's time series (on its first row only).
    pub intervals: Vec<IntervalRow>,
}

/// The rows of `outcome`, measured in `cell` at list position `position`.
pub fn records(
    facts: &RunFacts,
    plan: &Plan,
    shard: Shard,
    cell: &Cell,
    position: usize,
    line: usize,
    outcome: &Outcome,
) -> Vec<Record> {
    let base = engine_row(facts, plan, shard, cell);
    let record = |row: ResultRow, timed: bool, line: usize| Record {
        row,
        engine: cell.engine,
        position,
        line,
        timed,
        intervals: Vec::new(),
    };
    match outcome {
        Outcome::DbBench(result) => {
            // Property printers (stats, sstables) time nothing.
            let timed = result.plan.benchmark.prints_property().is_none();
            let mut one = record(db_bench_row(plan, base, result), timed, line);
            one.intervals = interval_rows(&one.row, position, &result.report.intervals);
            vec![one]
        }
        Outcome::Ycsb(result) => ycsb_rows(plan, base, result)
            .into_iter()
            .enumerate()
            .map(|(i, row)| record(row, i == 0, i))
            .collect(),
        Outcome::Fs(result) => vec![record(fs_row(plan, base, result), true, line)],
        Outcome::Peer(peer) => {
            let result = &peer.result;
            let timed = result.plan.benchmark.prints_property().is_none();
            let row = ResultRow {
                peer_binary: peer.binary.display().to_string(),
                peer_version: peer.version.clone(),
                peer_header: peer.header.join(" | "),
                // The peer's own memory, not the harness's (0: unreadable).
                peak_rss_bytes: peer.peak_rss_bytes.unwrap_or(0),
                ..db_bench_row(plan, base, result)
            };
            vec![record(row, timed, line)]
        }
    }
}

/// The columns every row of `cell` shares (run, machine, engine, seed,
/// plan and shard, peak RSS); the measured columns are left empty.
fn engine_row(facts: &RunFacts, plan: &Plan, shard: Shard, cell: &Cell) -> ResultRow {
    let spec = &plan.engines[cell.engine].spec;
    let columns = EngineColumns::of(spec);
    ResultRow {
        run_id: facts.run_id.clone(),
        start_time: facts.start_time.clone(),
        git_rev: facts.machine.git_rev.clone(),
        cpu_model: facts.machine.cpu_model.clone(),
        cpu_cores: facts.machine.cpu_cores,
        engine_spec: spec.to_string(),
        engine_kind: spec.kind().to_string(),
        memtable: columns.memtable,
        compaction: columns.compaction,
        compression: columns.compression,
        bloom_bits: columns.bloom_bits,
        repetition: cell.repetition,
        seed: plan.settings.db_bench.config().seed,
        peak_rss_bytes: peak_rss_bytes(),
        plan_hash: plan.hash.clone(),
        cell: cell.index as u64,
        cells: plan.cells.len() as u64,
        shard: shard.to_string(),
        ..ResultRow::default()
    }
}

/// A db_bench result's row.
fn db_bench_row(plan: &Plan, base: ResultRow, result: &BenchResult) -> ResultRow {
    let config = plan.settings.db_bench.config();
    let mut row = ResultRow {
        num: u64::from(config.num),
        reads: u64::from(config.resolved_reads()),
        threads: config.threads,
        key_size_bytes: KEY_BYTES as u32,
        value_size_bytes: result.plan.value_size as u32,
        rng: config.rng.name().to_string(),
        // Files on disk (tables, WAL, MANIFEST) per key + value byte live,
        // measured after benchmarks that change the data.
        space_amplification: result.space_amplification(),
        db_size_bytes: result.db_size_bytes,
        ..report_row(base, &result.report)
    };
    if let Some(metrics) = &result.metrics {
        fill_engine_counters(&mut row, metrics);
    }
    row
}

/// The measured columns of a db_bench-style report (db_bench's and the
/// filesystem benchmarks'): name, ops, time, rates, found, message,
/// latency percentiles.
fn report_row(base: ResultRow, report: &Report) -> ResultRow {
    let mut row = ResultRow {
        benchmark: report.name.clone(),
        ops: report.ops,
        elapsed_us: elapsed_us(report.elapsed_s),
        micros_per_op: report.micros_per_op,
        ops_per_s: per_s(report.ops, report.elapsed_s),
        mb_per_s: report.mb_per_s,
        found: report.found,
        message: report.message.clone(),
        cpu_user_s: report.cpu.map(|c| c.user_s),
        cpu_system_s: report.cpu.map(|c| c.system_s),
        ..base
    };
    fill_latency(&mut row, report.all_latency);
    row
}

/// The time series of the benchmark whose row is `row`.
fn interval_rows(row: &ResultRow, position: usize, samples: &[IntervalSample]) -> Vec<IntervalRow> {
    samples
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let state = s.state.as_ref();
            IntervalRow {
                run_id: row.run_id.clone(),
                engine_spec: row.engine_spec.clone(),
                benchmark: row.benchmark.clone(),
                repetition: row.repetition,
                cell: row.cell,
                position: position as u64,
                interval: i as u32,
                start_s: s.start_s,
                end_s: s.end_s,
                ops: s.ops,
                ops_per_s: s.ops_per_s(),
                latency_us_p50: s.p50_us,
                latency_us_p99: s.p99_us,
                latency_us_max: s.max_us,
                level0_files: state.and_then(|st| st.level0_files),
                level_bytes: state.map_or_else(String::new, |st| {
                    st.level_bytes
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(";")
                }),
                memtable_bytes: state.and_then(|st| st.memtable_bytes),
                pending_compaction_bytes: state.and_then(|st| st.pending_compaction_bytes),
                compactions_running: state.and_then(|st| st.compactions_running),
                stall_count: s.stalls,
                stall_us: s.stall_us,
            }
        })
        .collect()
}

/// The rows of one YCSB workload: first the workload's own (all
/// operations, engine counters, found count, space amplification), then
/// one per operation type that occurred (`ycsba.read`: its count, mean
/// latency as micros/op, its percentiles; engine counters left empty so
/// sums over rows do not count them twice). `num` holds the record count
/// and `reads` the operation count.
fn ycsb_rows(plan: &Plan, mut base: ResultRow, result: &YcsbResult) -> Vec<ResultRow> {
    let config = &plan.settings.ycsb;
    let report = &result.report;
    let records_now = report.records_loaded + report.count(OpType::Insert);
    base.num = config.records;
    base.reads = config.operations;
    base.threads = 1;
    // Keys vary in length (`user` + up to 19 digits): their mean.
    base.key_size_bytes = report
        .logical_bytes
        .checked_div(records_now)
        .map_or(0, |per| per.saturating_sub(RECORD_BYTES as u64) as u32);
    base.value_size_bytes = RECORD_BYTES as u32;
    base.rng = "xoshiro".to_string();
    base.elapsed_us = elapsed_us(report.elapsed_s);
    base.db_size_bytes = result.db_size_bytes;
    let per_s = |n: u64| per_s(n, report.elapsed_s);
    let mut overall = ResultRow {
        benchmark: report.name.clone(),
        ops: report.ops,
        micros_per_op: report.micros_per_op,
        ops_per_s: per_s(report.ops),
        found: (report.count(OpType::Read) + report.count(OpType::ReadModifyWrite) > 0)
            .then_some(report.found),
        space_amplification: result.space_amplification(),
        message: report.message(),
        cpu_user_s: report.cpu.map(|c| c.user_s),
        cpu_system_s: report.cpu.map(|c| c.system_s),
        ..base.clone()
    };
    fill_latency(&mut overall, report.all_latency);
    fill_engine_counters(&mut overall, &result.metrics);
    let mut rows = vec![overall];
    for (op, latency) in &report.latencies {
        let mut row = ResultRow {
            benchmark: format!("{}.{}", report.name, op.label()),
            ops: latency.count,
            micros_per_op: latency.mean_us,
            ops_per_s: per_s(latency.count),
            message: format!(
                "({} latencies of {}: {} of {} ops)",
                op.label(),
                report.name,
                latency.count,
                report.ops
            ),
            ..base.clone()
        };
        fill_latency(&mut row, Some(*latency));
        rows.push(row);
    }
    rows
}

/// A filesystem result's row. `num` holds `--fs_files` and `reads`
/// `--fs_ops`; key and value sizes are 0 (files have their own sizes);
/// `mb_per_s` counts file bytes read or written; `logical_bytes`,
/// `stored_bytes` and `dedupe_ratio` describe the whole store after the
/// benchmark; `space_amplification` is the database's size over the
/// bytes of blobs stored.
fn fs_row(plan: &Plan, base: ResultRow, result: &FsResult) -> ResultRow {
    let config = &plan.settings.fs;
    let mut row = ResultRow {
        num: config.files,
        reads: config.ops,
        threads: 1,
        key_size_bytes: 0,
        value_size_bytes: 0,
        rng: "xoshiro".to_string(),
        space_amplification: result.space_amplification(),
        db_size_bytes: result.db_size_bytes,
        logical_bytes: Some(result.store.logical_bytes),
        stored_bytes: Some(result.store.blob_bytes),
        dedupe_ratio: Some(result.store.dedupe_ratio()),
        fs_via: result.via.name().to_string(),
        ..report_row(base, &result.report)
    };
    fill_engine_counters(&mut row, &result.metrics);
    row
}

/// Seconds as whole microseconds.
fn elapsed_us(elapsed_s: f64) -> u64 {
    (elapsed_s * 1e6).round() as u64
}

/// Copies `latency`'s percentiles into `row` (all empty for `None`).
fn fill_latency(row: &mut ResultRow, latency: Option<LatencySummary>) {
    row.latency_us_p50 = latency.map(|l| l.p50_us);
    row.latency_us_p75 = latency.map(|l| l.p75_us);
    row.latency_us_p90 = latency.map(|l| l.p90_us);
    row.latency_us_p99 = latency.map(|l| l.p99_us);
    row.latency_us_p999 = latency.map(|l| l.p999_us);
    row.latency_us_p9999 = latency.map(|l| l.p9999_us);
    row.latency_us_max = latency.map(|l| l.max_us);
}

/// `n` operations over `elapsed_s` seconds, per second (0 without time).
fn per_s(n: u64, elapsed_s: f64) -> f64 {
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
fn fill_engine_counters(row: &mut ResultRow, metrics: &EngineMetrics) {
    row.user_bytes_written = metrics.user_bytes_written;
    let counted = metrics.internal_io_counted;
    row.disk_bytes_written = counted.then_some(metrics.disk_bytes_written);
    row.write_amplification = (counted && metrics.user_bytes_written > 0)
        .then(|| metrics.disk_bytes_written as f64 / metrics.user_bytes_written as f64);
    row.read_amplification = (counted && metrics.gets > 0).then(|| metrics.read_amplification());
    row.stall_count = counted.then_some(metrics.stalls);
    row.stall_us = counted.then_some(metrics.stall_time_us);
    row.stall_percent = (counted && row.elapsed_us > 0)
        .then(|| metrics.stall_time_us as f64 * 100.0 / row.elapsed_us as f64);
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
