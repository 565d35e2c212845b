//! The one loop that runs a plan: block by block (one engine in one
//! repetition), each block's steps in list order, each step in its cell's
//! database; every result becomes records ([`crate::record`]) handed to
//! every reporter at once. Only the cells of the given shard run.

use crate::engines::{is_peer, peer_of, EngineColumns};
use crate::error::HarnessError;
use crate::host::DirHost;
use crate::plan::{scratch_dir, Block, Plan, Shard, Step};
use crate::record::{records, RunFacts};
use crate::report::{Console, Reporter};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use strata_api::EngineSpec;
use strata_workloads::external::PeerWorkload;
use strata_workloads::{BenchmarkId, Family, Part, Workload};

/// Runs the cells of `plan` that belong to `shard`: db_bench's lines to
/// `console`, each record to `console` and every reporter.
///
/// # Errors
/// The first engine or workload error (benchmarks after it do not run),
/// or a reporter that could not write.
pub fn run(
    plan: &Plan,
    shard: Shard,
    facts: &RunFacts,
    console: &mut Console,
    reporters: &mut [&mut dyn Reporter],
) -> Result<(), HarnessError> {
    for block in plan.blocks.iter().filter(|b| plan.block_runs_in(b, shard)) {
        console.block_started(plan, block)?;
        for reporter in reporters.iter_mut() {
            reporter.block_started(plan, block)?;
        }
        run_block(plan, shard, facts, block, console, reporters)?;
    }
    console
        .out()
        .flush()
        .map_err(|e| HarnessError::io("write", "the console", e))
}

/// A workload's error on the engine `engine`.
fn run_error(engine: &str, source: strata_workloads::RunError) -> HarnessError {
    HarnessError::Run {
        engine: engine.to_string(),
        source,
    }
}

/// The host of `cell`. A filesystem store's engine reads its tables with
/// `pread`, as the mount's and `strata fs verify`'s do: through mapped
/// tables every page the store's reads touch counts in the process's
/// resident set (at 1,000,000 files 7.9 GB of the 8.8 GB peak, beside
/// 0.8 GB of the process's own memory), so `peak_rss_bytes` of the fs rows
/// would measure the database's size instead of the process.
fn host_of(spec: EngineSpec, cell: &crate::plan::Cell) -> DirHost {
    match cell.part {
        Part::Fs | Part::FsMount => DirHost::with_env(
            spec,
            cell.dir.clone(),
            Arc::new(strata_blobfs::pread_env::PreadEnv::new()),
        ),
        _ => DirHost::new(spec, cell.dir.clone()),
    }
}

/// One block: a host and a workload per cell of the shard (nothing is
/// opened before its first benchmark), then the steps in order.
fn run_block(
    plan: &Plan,
    shard: Shard,
    facts: &RunFacts,
    block: &Block,
    console: &mut Console,
    reporters: &mut [&mut dyn Reporter],
) -> Result<(), HarnessError> {
    let engine = &plan.engines[block.engine];
    let spec_text = engine.spec.to_string();
    let mut cell_ids: Vec<usize> = block.steps.iter().filter_map(|s| s.cell).collect();
    cell_ids.sort_unstable();
    cell_ids.dedup();
    cell_ids.retain(|&c| shard.runs(c));
    let mut hosts: Vec<DirHost> = cell_ids
        .iter()
        .map(|&c| host_of(engine.spec.clone(), &plan.cells[c]))
        .collect();
    let mut workloads: BTreeMap<usize, Box<dyn Workload + '_>> = BTreeMap::new();
    let peer = is_peer(&engine.spec);
    for (host, &c) in hosts.iter_mut().zip(&cell_ids) {
        let cell = &plan.cells[c];
        let workload: Box<dyn Workload + '_> = if peer {
            Box::new(peer_workload(plan, &engine.spec, &cell.dir)?)
        } else {
            plan.settings.open(cell.part, host, &scratch_dir(&cell.dir))
        };
        workloads.insert(c, workload);
    }
    let snappy = EngineColumns::of(&engine.spec).compression == "snappy";
    let mut headed: Vec<Family> = Vec::new();
    for step in &block.steps {
        let Some(c) = step.cell else {
            print_skipped(plan, step, &mut headed, snappy, console.out())
                .map_err(|e| run_error(&spec_text, e.into()))?;
            continue;
        };
        let Some(workload) = workloads.get_mut(&c) else {
            continue; // another shard's cell
        };
        let family = step.benchmark.family();
        // A peer prints its own header.
        if !peer && !headed.contains(&family) {
            headed.push(family);
            write!(console.out(), "{}", plan.settings.header(family, snappy))
                .map_err(|e| run_error(&spec_text, e.into()))?;
        }
        let outcomes = workload
            .run_next(console.out())
            .map_err(|e| run_error(&spec_text, e))?;
        for (line, outcome) in outcomes.iter().enumerate() {
            let cell = &plan.cells[c];
            for record in records(facts, plan, shard, cell, step.position, line, outcome) {
                console.record(&record)?;
                for reporter in reporters.iter_mut() {
                    reporter.record(&record)?;
                }
            }
        }
    }
    Ok(())
}

/// The peer process that runs the db_bench part of the list for the
/// `db_bench:` engine `spec`, in `dir`.
fn peer_workload(
    plan: &Plan,
    spec: &strata_api::EngineSpec,
    dir: &std::path::Path,
) -> Result<PeerWorkload, HarnessError> {
    let (peer, options) = peer_of(spec).map_err(|source| HarnessError::Engine {
        engine: spec.to_string(),
        source,
    })?;
    let suite = &plan.settings.db_bench;
    PeerWorkload::new(
        peer,
        suite.config().clone(),
        &options,
        suite.benchmarks().to_vec(),
        dir.to_path_buf(),
    )
    .map_err(|e| HarnessError::flag("--engine", e))
}

/// The line of a step skipped because the database must be kept
/// (db_bench's own words for its fills; the filesystem benchmarks, which
/// make a fresh store, say so once).
fn print_skipped(
    plan: &Plan,
    step: &Step,
    headed: &mut Vec<Family>,
    snappy: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let family = step.benchmark.family();
    let first = !headed.contains(&family);
    if first {
        headed.push(family);
    }
    match step.benchmark {
        BenchmarkId::Fs(_) | BenchmarkId::FsMount(_) => {
            if first {
                writeln!(
                    out,
                    "{:<12} : skipped (--use_existing_db is true; the fs benchmarks make a fresh store)",
                    strata_workloads::registry::FS_SUITE_NAME
                )?;
            }
        }
        benchmark => {
            if first {
                write!(out, "{}", plan.settings.header(family, snappy))?;
            }
            writeln!(
                out,
                "{:<12} : skipped (--use_existing_db is true)",
                benchmark.name()
            )?;
        }
    }
    Ok(())
}
