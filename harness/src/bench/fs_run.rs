//! Filesystem benchmarks (`fs_create` … `fs_import`, or `fs` for the
//! suite) in `strata bench`: their names are taken out of `--benchmarks`
//! while the plan is made, their order and flags validated, and they
//! run on each engine after everything else, on one fresh blobfs store
//! per engine, one CSV row per printed line.

use super::args::{at_least, BenchArgs};
use super::plan::{EnginePlan, RunPlan};
use super::row::{engine_row, fill_engine_counters, fill_latency, per_s};
use super::{EngineAt, Sinks};
use crate::csv_row::ResultRow;
use crate::machine::Machine;
use std::io::Write;
use std::path::{Path, PathBuf};
use strata_workloads::{EngineHost, RunError};
use strata_workloads::fs::{
    check_order, FsBenchmark, FsResult, FsRun, FsWorkloadConfig, DEFAULT_SUITE,
};

/// Largest `--fs_bigfile_mb`.
const MAX_BIGFILE_MB: u64 = 16 << 10;

/// The name that stands for [`DEFAULT_SUITE`] in `--benchmarks`.
pub const SUITE_NAME: &str = "fs";

/// The filesystem part of a `strata bench` invocation.
#[derive(Debug, Clone)]
pub struct FsPart {
    /// The benchmarks, in the order given (empty: none named).
    pub benchmarks: Vec<FsBenchmark>,
    /// Their settings (`scratch_dir` is set per engine).
    pub config: FsWorkloadConfig,
}

/// Splits the filesystem names out of `args.benchmarks`: the rest of the
/// list, and the filesystem part.
///
/// # Errors
/// A flag out of range or a benchmark out of order, as `--flag: why`.
pub fn split(args: &BenchArgs) -> Result<(String, FsPart), String> {
    let files = at_least("--fs_files", args.fs_files, 1)?;
    let ops = if args.fs_ops < 0 {
        files
    } else {
        at_least("--fs_ops", args.fs_ops, 0)?
    };
    let bigfile_mb = at_least("--fs_bigfile_mb", args.fs_bigfile_mb, 1)?;
    if bigfile_mb > MAX_BIGFILE_MB {
        // fs_bigfile writes its file from one buffer.
        return Err(format!(
            "--fs_bigfile_mb: at most {MAX_BIGFILE_MB} (the file is held in memory), got {bigfile_mb}"
        ));
    }
    let config = FsWorkloadConfig {
        files,
        ops,
        bigfile_bytes: bigfile_mb << 20,
        bigfile_edits: at_least("--fs_bigfile_edits", args.fs_bigfile_edits, 1)?,
        source: args.fs_source.clone(),
        scratch_dir: PathBuf::new(),
        seed: args.seed,
        histogram: args.histogram,
    };
    config.validate()?;
    let mut benchmarks = Vec::new();
    let mut rest = Vec::new();
    for name in args.benchmarks.split(',').map(str::trim) {
        if name == SUITE_NAME {
            benchmarks.extend(DEFAULT_SUITE);
        } else if let Some(b) = FsBenchmark::from_name(name) {
            benchmarks.push(b);
        } else if !name.is_empty() {
            rest.push(name);
        }
    }
    check_order(&benchmarks, config.source.is_some()).map_err(|e| format!("--benchmarks: {e}"))?;
    Ok((rest.join(","), FsPart { benchmarks, config }))
}

/// Where `fs_import` of the engine in `engine_dir` puts its changed copy:
/// beside the database, never inside it.
pub fn scratch_dir(engine_dir: &Path) -> PathBuf {
    let mut name = engine_dir.as_os_str().to_owned();
    name.push(".fs_import");
    PathBuf::from(name)
}

/// The row of one filesystem result. `num` holds `--fs_files` and `reads`
/// `--fs_ops`; key and value sizes are 0 (files have their own sizes);
/// `mb_per_s` counts file bytes read or written; `logical_bytes`,
/// `stored_bytes` and `dedupe_ratio` describe the whole store after the
/// benchmark; `space_amplification` is the database's size over the
/// bytes of blobs stored.
pub fn make_row(
    plan: &RunPlan,
    machine: &Machine,
    engine: &EnginePlan,
    repetition: u32,
    config: &FsWorkloadConfig,
    result: &FsResult,
) -> ResultRow {
    let report = &result.report;
    let mut row = ResultRow {
        benchmark: report.name.clone(),
        num: config.files,
        reads: config.ops,
        threads: 1,
        key_size_bytes: 0,
        value_size_bytes: 0,
        rng: "xoshiro".to_string(),
        ops: report.ops,
        elapsed_us: (report.elapsed_s * 1e6).round() as u64,
        micros_per_op: report.micros_per_op,
        ops_per_s: per_s(report.ops, report.elapsed_s),
        mb_per_s: report.mb_per_s,
        found: report.found,
        space_amplification: result.space_amplification(),
        db_size_bytes: result.db_size_bytes,
        message: report.message.clone(),
        logical_bytes: Some(result.store.logical_bytes),
        stored_bytes: Some(result.store.blob_bytes),
        dedupe_ratio: Some(result.store.dedupe_ratio()),
        ..engine_row(plan, machine, engine, repetition)
    };
    fill_latency(&mut row, report.all_latency);
    fill_engine_counters(&mut row, &result.metrics);
    row
}

/// Runs the filesystem benchmarks on one engine, last, on one fresh store;
/// `position` is the next summary position.
///
/// # Errors
/// An engine or blobfs error, a read that disagrees with what was
/// written, a failed write to `out` or to the CSV.
pub(super) fn run_on_engine(
    at: &EngineAt<'_>,
    fs: &FsPart,
    host: &mut dyn EngineHost,
    out: &mut dyn Write,
    sinks: &mut Sinks<'_>,
    mut position: usize,
) -> Result<(), RunError> {
    if fs.benchmarks.is_empty() {
        return Ok(());
    }
    if at.plan.config.use_existing_db {
        writeln!(
            out,
            "{:<12} : skipped (--use_existing_db is true; the fs benchmarks make a fresh store)",
            SUITE_NAME
        )?;
        return Ok(());
    }
    let config = FsWorkloadConfig {
        scratch_dir: scratch_dir(&at.engine.dir),
        ..fs.config.clone()
    };
    write!(out, "{}", strata_workloads::fs::header(&config))?;
    let mut run = FsRun::start(&config, host)?;
    for &benchmark in &fs.benchmarks {
        for result in run.run(benchmark, out)? {
            let row = make_row(
                at.plan,
                at.machine,
                at.engine,
                at.repetition,
                &config,
                &result,
            );
            at.record(sinks, &row, Some(position))?;
            position += 1;
        }
    }
    Ok(())
}
