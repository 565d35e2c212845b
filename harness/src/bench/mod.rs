//! `strata bench`: db_bench over a matrix of engines.
//!
//! Flags are validated into a [`plan::RunPlan`] before anything touches the
//! disk (bad input: one line on stderr, exit 2). Then for each repetition,
//! for each engine, the whole benchmark list runs as one db_bench
//! invocation would; each result is printed as db_bench prints it and
//! written as a CSV row at once (flushed, so a crash leaves whole rows).
//! At the end: the `--repeat` summary, temporary databases removed, charts.
//!
//! YCSB workloads (`ycsba` … `ycsbf`) and filesystem benchmarks
//! (`fs_create` … `fs_import`) in `--benchmarks` are planned apart
//! ([`ycsb_run`], [`fs_run`]) and run on each engine after the db_bench
//! benchmarks: each YCSB workload on a fresh database, the filesystem
//! benchmarks together on one fresh blobfs store.

pub mod args;
mod fs_run;
pub mod plan;
pub(crate) mod row;
mod summary;
mod ycsb_run;

pub use args::BenchArgs;

use crate::csv_row::ResultRow;
use crate::engines::EngineColumns;
use crate::host::DirHost;
use crate::machine::Machine;
use plan::RunPlan;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use strata_workloads::db_bench::{RngKind, Suite};
use strata_workloads::RunError;
use summary::Summary;

/// Runs `strata bench`: exit 0 on success, 2 for bad flags, 1 when the
/// run itself fails (one line on stderr either way).
pub fn run(args: BenchArgs) -> ExitCode {
    let plan = match plan::plan(&args, chrono::Utc::now()) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("strata bench: {e}");
            return ExitCode::from(2);
        }
    };
    match execute(&plan) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("strata bench: {e}");
            ExitCode::from(1)
        }
    }
}

fn execute(plan: &RunPlan) -> Result<(), String> {
    let machine = Machine::probe();
    print_environment(plan, &machine);
    let suite =
        Suite::new(plan.config.clone(), plan.benchmarks.clone()).map_err(|e| e.to_string())?;
    if let Some(parent) = plan.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let mut csv = csv::Writer::from_path(&plan.out)
        .map_err(|e| format!("cannot create {}: {e}", plan.out.display()))?;
    let mut summary = Summary::default();
    let mut rows = 0u64;
    let mut sinks = Sinks {
        csv: &mut csv,
        summary: &mut summary,
        rows: &mut rows,
    };
    let outcome = run_matrix(plan, &machine, &suite, &mut sinks);
    if plan.db_root_is_temp {
        // Ours alone (a fresh per-process path): remove it, failed run or not.
        let _ = std::fs::remove_dir_all(&plan.db_root);
    }
    outcome.map_err(|e| e.to_string())?;
    if plan.repeat > 1 {
        print!("{}", summary.render(plan.repeat));
    }
    eprintln!("results:    {} ({rows} rows)", plan.out.display());
    if plan.plot && rows > 0 {
        let dir = PathBuf::from("reports").join(&plan.run_id);
        let files = crate::plot::plot_results(&plan.out, &dir).map_err(|e| format!("plot: {e}"))?;
        eprintln!(
            "charts:     {} files in {} (open {})",
            files.len(),
            dir.display(),
            dir.join("index.html").display()
        );
    }
    Ok(())
}

/// One engine of the matrix in one repetition: what its rows share.
struct EngineAt<'a> {
    plan: &'a RunPlan,
    machine: &'a Machine,
    engine: &'a plan::EnginePlan,
    /// Position of the engine in the matrix.
    index: usize,
    repetition: u32,
}

impl EngineAt<'_> {
    /// Writes `row` and, unless it is a per-operation-type row, adds its
    /// micros/op to the `--repeat` summary at `position`.
    fn record(
        &self,
        sinks: &mut Sinks<'_>,
        row: &ResultRow,
        summary_position: Option<usize>,
    ) -> Result<(), RunError> {
        sinks.write(self.plan, row)?;
        if let Some(position) = summary_position {
            sinks.summary.add(
                self.index,
                &row.engine_spec,
                position,
                &row.benchmark,
                row.micros_per_op,
            );
        }
        Ok(())
    }
}

/// Where results go: the CSV, the `--repeat` summary, the row count.
struct Sinks<'a> {
    csv: &'a mut csv::Writer<std::fs::File>,
    summary: &'a mut Summary,
    rows: &'a mut u64,
}

impl Sinks<'_> {
    /// Writes `row` and flushes, so a crash leaves whole rows.
    fn write(&mut self, plan: &RunPlan, row: &ResultRow) -> Result<(), RunError> {
        self.csv
            .serialize(row)
            .and_then(|()| self.csv.flush().map_err(csv::Error::from))
            .map_err(|e| RunError::Handler(format!("writing {}: {e}", plan.out.display())))?;
        *self.rows += 1;
        Ok(())
    }
}

fn run_matrix(
    plan: &RunPlan,
    machine: &Machine,
    suite: &Suite,
    sinks: &mut Sinks<'_>,
) -> Result<(), RunError> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for repetition in 0..plan.repeat {
        for (index, engine) in plan.engines.iter().enumerate() {
            eprintln!(
                "Engine:     {} (repetition {} of {}) in {}",
                engine.spec,
                repetition + 1,
                plan.repeat,
                engine.dir.display()
            );
            let mut host = DirHost::new(engine.spec.clone(), engine.dir.clone());
            let at = EngineAt {
                plan,
                machine,
                engine,
                index,
                repetition,
            };
            if !suite.benchmarks().is_empty() {
                let snappy = EngineColumns::of(&engine.spec).compression == "snappy";
                write!(out, "{}", suite.header(snappy))?;
                suite.run(&mut host, &mut out, &mut |result| {
                    let row = row::make_row(plan, machine, engine, repetition, result);
                    // Property printers (stats, sstables) time nothing.
                    let timed = result.plan.benchmark.prints_property().is_none();
                    at.record(sinks, &row, timed.then_some(result.position))
                })?;
            }
            let position = suite.benchmarks().len();
            let position =
                ycsb_run::run_on_engine(&at, &plan.ycsb, &mut host, &mut out, sinks, position)?;
            fs_run::run_on_engine(&at, &plan.fs, &mut host, &mut out, sinks, position)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// db_bench's environment block (stderr), plus strata's run facts.
fn print_environment(plan: &RunPlan, machine: &Machine) {
    eprintln!(
        "strata:     version {} (git {})",
        env!("CARGO_PKG_VERSION"),
        machine.git_rev
    );
    eprintln!("Date:       {}", plan.start_time);
    eprintln!("CPU:        {} * {}", machine.cpu_cores, machine.cpu_model);
    eprintln!("CPUCache:   {}", machine.cpu_cache);
    let seed_note = match plan.config.rng {
        // Without db_bench benchmarks only the YCSB and filesystem parts
        // draw, always from xoshiro streams (their headers say so too).
        _ if plan.benchmarks.is_empty() => "xoshiro streams for YCSB and fs workloads".to_string(),
        RngKind::LevelDb => format!(
            "leveldb rng: thread state n seeded {} + n{}",
            plan.config.seed,
            if plan.config.seed == 1000 {
                ", db_bench's keys"
            } else {
                ""
            }
        ),
        RngKind::Xoshiro => "xoshiro rng: not db_bench's keys".to_string(),
    };
    eprintln!("Seed:       {} ({seed_note})", plan.config.seed);
    eprintln!("Run:        {}", plan.run_id);
}
