//! `strata bench`: db_bench's benchmarks (and YCSB's, and the filesystem
//! workloads) over a matrix of engines.
//!
//! Flags are validated into a [`crate::plan::Plan`] before anything
//! touches the disk (bad input: one line on stderr, exit 2). The runner
//! then runs the plan's cells (those of `--shard`), printing each result
//! as db_bench prints it and writing it as a CSV row at once (flushed, so
//! a crash leaves whole rows). At the end: the `--repeat` summary,
//! temporary databases removed, charts.

pub mod args;
pub mod flags;

pub use args::BenchArgs;

use crate::error::HarnessError;
use crate::machine::Machine;
use crate::record::RunFacts;
use crate::report::{Console, CsvFile, IntervalsFile, Progress, Reporter, Summary};
use crate::serve::BenchServer;
use flags::BenchRun;
use std::path::PathBuf;
use std::process::ExitCode;
use strata_workloads::db_bench::RngKind;
use strata_workloads::Family;

/// Runs `strata bench`: exit 0 on success, 2 for bad flags, 1 when the
/// run itself fails (one line on stderr either way).
pub fn run(args: BenchArgs) -> ExitCode {
    let outcome = flags::plan(&args, chrono::Utc::now()).and_then(|run| {
        let results = run
            .out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), PathBuf::from);
        let live = BenchServer::start(args.serve.as_deref(), args.progress_port, results)?;
        let progress = live
            .as_ref()
            .map(|l| Progress::new(l.hub(), &run.plan, run.shard, &run.run_id));
        let outcome = execute(&run, progress);
        if let Some(live) = live {
            let shown = match &outcome {
                Ok(()) => Ok(run.out.display().to_string()),
                Err(e) => Err(e.to_string()),
            };
            live.finish(shown);
        }
        outcome
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report("bench"),
    }
}

fn execute(run: &BenchRun, mut progress: Option<Progress>) -> Result<(), HarnessError> {
    let facts = RunFacts {
        run_id: run.run_id.clone(),
        start_time: run.start_time.clone(),
        machine: Machine::probe(),
    };
    print_environment(run, &facts.machine);
    let mut csv = CsvFile::create(&run.out)?;
    let mut intervals = IntervalsFile::beside(&run.out);
    let mut summary = Summary::default();
    let mut console = Console::new(Box::new(std::io::stdout()));
    let mut reporters: Vec<&mut dyn Reporter> = vec![&mut csv, &mut intervals, &mut summary];
    if let Some(progress) = progress.as_mut() {
        reporters.push(progress);
    }
    let outcome = crate::runner::run(&run.plan, run.shard, &facts, &mut console, &mut reporters);
    if run.db_root_is_temp {
        // Ours alone (a fresh per-process path): remove it, failed run or not.
        let _ = std::fs::remove_dir_all(&run.db_root);
        for cell in &run.plan.cells {
            let _ = std::fs::remove_dir_all(crate::plan::scratch_dir(&cell.dir));
        }
    }
    outcome?;
    if run.plan.repeat > 1 {
        print!("{}", summary.render(run.plan.repeat));
    }
    eprintln!("results:    {} ({} rows)", run.out.display(), csv.rows());
    if intervals.rows() > 0 {
        eprintln!(
            "intervals:  {} ({} rows)",
            intervals.path().display(),
            intervals.rows()
        );
    }
    if run.plot && csv.rows() > 0 {
        let dir = PathBuf::from("reports").join(&run.run_id);
        let files = crate::plot::plot_results(&run.out, &dir)?;
        eprintln!(
            "charts:     {} files in {} (open {})",
            files.len(),
            dir.display(),
            dir.join("index.html").display()
        );
    }
    Ok(())
}

/// db_bench's environment block (stderr), plus strata's run facts.
fn print_environment(run: &BenchRun, machine: &Machine) {
    let config = run.plan.settings.db_bench.config();
    eprintln!(
        "strata:     version {} (git {})",
        env!("CARGO_PKG_VERSION"),
        machine.git_rev
    );
    eprintln!("Date:       {}", run.start_time);
    eprintln!("CPU:        {} * {}", machine.cpu_cores, machine.cpu_model);
    eprintln!("CPUCache:   {}", machine.cpu_cache);
    let has_db_bench = run.plan.list.iter().any(|b| b.family() == Family::DbBench);
    let seed_note = match config.rng {
        // Without db_bench benchmarks only the YCSB and filesystem parts
        // draw, always from xoshiro streams (their headers say so too).
        _ if !has_db_bench => "xoshiro streams for YCSB and fs workloads".to_string(),
        RngKind::LevelDb => format!(
            "leveldb rng: thread state n seeded {} + n{}",
            config.seed,
            if config.seed == 1000 {
                ", db_bench's keys"
            } else {
                ""
            }
        ),
        RngKind::Xoshiro => "xoshiro rng: not db_bench's keys".to_string(),
    };
    eprintln!("Seed:       {} ({seed_note})", config.seed);
    eprintln!("Run:        {}", run.run_id);
    if run.shard.count > 1 {
        let mine = run
            .plan
            .cells
            .iter()
            .filter(|c| run.shard.runs(c.index))
            .count();
        eprintln!(
            "Shard:      {} ({mine} of {} cells; plan {})",
            run.shard,
            run.plan.cells.len(),
            run.plan.hash
        );
    }
}
