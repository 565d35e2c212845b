//! The measurement: strata's default engine and LevelDB 1.23, both with
//! compression off, run the seed's list in turn (rep 1 lsm, rep 1 leveldb,
//! rep 2 lsm, …) so that machine noise falls on both alike. Every result
//! is a CSV row written and flushed at once.

use super::stats::Samples;
use crate::bench::row::{fill_engine_counters, fill_latency, per_s};
use crate::csv_row::ResultRow;
use crate::engines::{parse_spec, EngineColumns};
use crate::host::DirHost;
use crate::machine::{peak_rss_bytes, Machine};
use std::io::Write;
use std::path::Path;
use strata_api::EngineSpec;
use strata_workloads::db_bench::keys::KEY_BYTES;
use strata_workloads::db_bench::{BenchResult, Suite};
use strata_workloads::RunError;

/// strata's engine with Snappy off, as in the seed's run.
pub const STRATA_SPEC: &str = "lsm:compression=none";
/// LevelDB 1.23 with Snappy off.
pub const LEVELDB_SPEC: &str = "leveldb:compression=none";

/// What the rows of a run share.
pub struct RunFacts<'a> {
    /// The run id.
    pub run_id: &'a str,
    /// RFC 3339 start time.
    pub start_time: &'a str,
    /// The machine.
    pub machine: &'a Machine,
}

/// micros/op per benchmark position, per engine.
#[derive(Debug, Default)]
pub struct Measured {
    /// strata's samples.
    pub strata: Samples,
    /// LevelDB's samples.
    pub leveldb: Samples,
}

/// Runs `repeat` interleaved repetitions of `suite` on both engines in
/// subfolders of `db_root`; db_bench's lines go to `log`.
///
/// # Errors
/// The first engine, output or CSV error.
pub fn run_interleaved(
    suite: &Suite,
    repeat: u32,
    db_root: &Path,
    facts: &RunFacts<'_>,
    csv: &mut csv::Writer<std::fs::File>,
    log: &mut dyn Write,
) -> Result<Measured, String> {
    let parse = |text: &str| parse_spec(text).map_err(|e| format!("{text}: {e}"));
    let engines = [
        (parse(STRATA_SPEC)?, "0-lsm"),
        (parse(LEVELDB_SPEC)?, "1-leveldb"),
    ];
    let mut measured = Measured::default();
    for repetition in 0..repeat {
        for (spec, folder) in &engines {
            eprintln!(
                "Engine:     {spec} (repetition {} of {repeat})",
                repetition + 1
            );
            write!(log, "{}", suite.header(false)).map_err(|e| e.to_string())?;
            let mut host = DirHost::new(spec.clone(), db_root.join(folder));
            let samples = if spec.kind() == "lsm" {
                &mut measured.strata
            } else {
                &mut measured.leveldb
            };
            suite
                .run(&mut host, log, &mut |result| {
                    let row = make_row(facts, suite, spec, repetition, result);
                    csv.serialize(&row)
                        .and_then(|()| csv.flush().map_err(csv::Error::from))
                        .map_err(|e| RunError::Handler(format!("writing the results CSV: {e}")))?;
                    samples.add(result.position, result.report.micros_per_op);
                    Ok(())
                })
                .map_err(|e| format!("{spec}: {e}"))?;
        }
    }
    Ok(measured)
}

/// The CSV row of one result (the `strata bench` schema).
fn make_row(
    facts: &RunFacts<'_>,
    suite: &Suite,
    spec: &EngineSpec,
    repetition: u32,
    result: &BenchResult,
) -> ResultRow {
    let config = suite.config();
    let report = &result.report;
    let columns = EngineColumns::of(spec);
    let mut row = ResultRow {
        run_id: facts.run_id.to_string(),
        start_time: facts.start_time.to_string(),
        git_rev: facts.machine.git_rev.clone(),
        cpu_model: facts.machine.cpu_model.clone(),
        cpu_cores: facts.machine.cpu_cores,
        engine_spec: spec.to_string(),
        engine_kind: spec.kind().to_string(),
        memtable: columns.memtable,
        compaction: columns.compaction,
        compression: columns.compression,
        bloom_bits: columns.bloom_bits,
        benchmark: report.name.clone(),
        repetition,
        num: u64::from(config.num),
        reads: u64::from(config.resolved_reads()),
        threads: config.threads,
        key_size_bytes: u32::try_from(KEY_BYTES).unwrap_or(u32::MAX),
        value_size_bytes: u32::try_from(result.plan.value_size).unwrap_or(u32::MAX),
        seed: config.seed,
        rng: config.rng.name().to_string(),
        ops: report.ops,
        elapsed_us: (report.elapsed_s * 1e6).round() as u64,
        micros_per_op: report.micros_per_op,
        ops_per_s: per_s(report.ops, report.elapsed_s),
        mb_per_s: report.mb_per_s,
        found: report.found,
        db_size_bytes: result.db_size_bytes,
        peak_rss_bytes: peak_rss_bytes(),
        message: report.message.clone(),
        ..ResultRow::default()
    };
    fill_latency(&mut row, report.all_latency);
    if let Some(metrics) = &result.metrics {
        fill_engine_counters(&mut row, metrics);
    }
    row
}
