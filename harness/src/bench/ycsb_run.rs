//! YCSB workloads (`ycsba` … `ycsbf`) in `strata bench`: their names are
//! taken out of `--benchmarks` while the plan is made, their
//! flags validated, and each workload run on every engine after the
//! db_bench benchmarks, with one CSV row for the workload and one per
//! operation type (`ycsba.read`, `ycsba.update`, …).

use super::args::{at_least, BenchArgs};
use super::plan::{EnginePlan, RunPlan};
use super::row::{engine_row, fill_engine_counters, fill_latency, per_s};
use super::{EngineAt, Sinks};
use crate::csv_row::ResultRow;
use crate::machine::Machine;
use std::io::Write;
use strata_workloads::{EngineHost, RunError};
use strata_workloads::ycsb::record::RECORD_BYTES;
use strata_workloads::ycsb::{run_workload, OpType, Workload, YcsbConfig, YcsbResult};

/// The YCSB part of a `strata bench` invocation.
#[derive(Debug, Clone)]
pub struct YcsbPart {
    /// The workloads, in the order given.
    pub workloads: Vec<Workload>,
    /// Their settings.
    pub config: YcsbConfig,
}

/// Splits the YCSB names out of the comma-separated `list`: the rest of
/// the list, and the YCSB part (empty workloads when none were named);
/// the settings come from `args`.
///
/// # Errors
/// A YCSB flag out of range, as `--flag: why`.
pub fn split(args: &BenchArgs, list: &str) -> Result<(String, YcsbPart), String> {
    let config = YcsbConfig {
        records: at_least("--ycsb_records", args.ycsb_records, 1)?,
        operations: at_least("--ycsb_ops", args.ycsb_ops, 0)?,
        zipf_constant: args.ycsb_zipf,
        seed: args.seed,
        histogram: args.histogram,
    };
    config.validate().map_err(|e| e.to_string())?;
    let mut workloads = Vec::new();
    let mut rest = Vec::new();
    for name in list.split(',').map(str::trim) {
        match Workload::from_name(name) {
            Some(w) => workloads.push(w),
            None if !name.is_empty() => rest.push(name),
            None => {}
        }
    }
    Ok((rest.join(","), YcsbPart { workloads, config }))
}

/// The block printed before an engine's YCSB workloads.
pub fn header(config: &YcsbConfig) -> String {
    format!(
        "YCSB:       {} records of 10 fields x 100 bytes, {} operations per workload, \
         zipfian constant {}, seed {} (xoshiro), 1 client thread\n",
        config.records, config.operations, config.zipf_constant, config.seed
    )
}

/// The rows of one workload: first the workload's own (`ycsba`: all
/// operations, engine counters, found count, space amplification), then
/// one per operation type that occurred (`ycsba.read`: its count, mean
/// latency as micros/op, its percentiles; engine counters left empty so
/// sums over rows do not count them twice). `num` holds the record count
/// and `reads` the operation count.
pub fn make_rows(
    plan: &RunPlan,
    machine: &Machine,
    engine: &EnginePlan,
    repetition: u32,
    config: &YcsbConfig,
    result: &YcsbResult,
) -> Vec<ResultRow> {
    let report = &result.report;
    let mut base = engine_row(plan, machine, engine, repetition);
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
    base.elapsed_us = (report.elapsed_s * 1e6).round() as u64;
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

/// Runs the YCSB workloads on one engine after its db_bench part, each on
/// a fresh database; `position` is the next summary position. Returns the
/// position after them.
///
/// # Errors
/// An engine error, a failed write to `out` or to the CSV.
pub(super) fn run_on_engine(
    at: &EngineAt<'_>,
    ycsb: &YcsbPart,
    host: &mut dyn EngineHost,
    out: &mut dyn Write,
    sinks: &mut Sinks<'_>,
    mut position: usize,
) -> Result<usize, RunError> {
    if ycsb.workloads.is_empty() {
        return Ok(position);
    }
    write!(out, "{}", header(&ycsb.config))?;
    for &workload in &ycsb.workloads {
        position += 1;
        if at.plan.config.use_existing_db {
            // Each workload loads its own fresh database.
            writeln!(
                out,
                "{:<12} : skipped (--use_existing_db is true)",
                workload.name()
            )?;
            continue;
        }
        let result = run_workload(workload, &ycsb.config, host, out)?;
        let rows = make_rows(
            at.plan,
            at.machine,
            at.engine,
            at.repetition,
            &ycsb.config,
            &result,
        );
        for (i, row) in rows.iter().enumerate() {
            // The workload's own row goes into the summary, not its
            // per-operation-type rows.
            at.record(sinks, row, (i == 0).then_some(position - 1))?;
        }
    }
    Ok(position)
}
