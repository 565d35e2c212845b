//! `strata bench`: db_bench over a matrix of engines.
//!
//! Flags are validated into a [`plan::RunPlan`] before anything touches the
//! disk (bad input: one line on stderr, exit 2). Then for each repetition,
//! for each engine, the whole benchmark list runs as one db_bench
//! invocation would; each result is printed as db_bench prints it and
//! written as a CSV row at once (flushed, so a crash leaves whole rows).
//! At the end: the `--repeat` summary, temporary databases removed, charts.

pub mod args;
mod host;
pub mod plan;
mod row;
mod summary;

pub use args::BenchArgs;

use crate::csv_row::ResultRow;
use crate::machine::Machine;
use host::DirHost;
use plan::RunPlan;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use strata_workloads::db_bench::{RngKind, RunError, Suite};
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
    let outcome = run_matrix(plan, &machine, &suite, &mut csv, &mut summary, &mut rows);
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

fn run_matrix(
    plan: &RunPlan,
    machine: &Machine,
    suite: &Suite,
    csv: &mut csv::Writer<std::fs::File>,
    summary: &mut Summary,
    rows: &mut u64,
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
            let snappy = engine.spec.get_or("compression", "snappy") == "snappy";
            write!(out, "{}", suite.header(snappy))?;
            let mut host = DirHost::new(engine.spec.clone(), engine.dir.clone());
            let spec_text = engine.spec.to_string();
            suite.run(&mut host, &mut out, &mut |result| {
                let row: ResultRow = row::make_row(plan, machine, engine, repetition, result);
                csv.serialize(&row)
                    .and_then(|()| csv.flush().map_err(csv::Error::from))
                    .map_err(|e| {
                        RunError::Handler(format!("writing {}: {e}", plan.out.display()))
                    })?;
                *rows += 1;
                if result.plan.benchmark.prints_property().is_none() {
                    summary.add(
                        index,
                        &spec_text,
                        result.position,
                        &result.report.name,
                        result.report.micros_per_op,
                    );
                }
                Ok(())
            })?;
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
