//! The strata command: `strata bench` (LevelDB's db_bench over a matrix of
//! engines, CSV and charts), `strata plot` (charts from a results CSV),
//! `strata fs` (the blobfs filesystem's commands) and `strata serve` (web
//! pages).

mod analysis;
mod cli;
mod compare;
mod csv_row;
mod db_cmd;
mod engines;
mod error;
mod fs_cmd;
mod host;
mod machine;
mod merge;
mod plan;
mod plot;
mod record;
mod report;
mod reproduce;
mod runner;
mod serve;
mod sim;
mod stress;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// strata: a research harness for log-structured storage engines.
#[derive(Parser, Debug)]
#[command(name = "strata", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run LevelDB 1.23 db_bench's benchmarks over one or more engines.
    Bench(Box<cli::bench::BenchArgs>),
    /// Ratio tables (Markdown) of a results CSV's engines against a baseline.
    Compare(cli::compare::CompareArgs),
    /// Draw charts from a results CSV.
    Plot(cli::plot::PlotArgs),
    /// Simulate compaction policies on synthetic flushes (no disk): write, space and read amplification.
    Sim(cli::sim::SimArgs),
    /// The blobfs filesystem's commands.
    Fs(cli::fs::FsArgs),
    /// Inspect a database: scan, get, put, delete, load, dump files, stats, compact.
    Db(cli::db::DbArgs),
    /// Regenerate the seed's published db_bench table: strata against LevelDB 1.23.
    Reproduce(cli::reproduce::ReproduceArgs),
    /// Crash test (db_stress): SIGKILL a writing child at random moments, reopen, verify.
    Stress(Box<cli::stress::StressArgs>),
    /// Merge the CSVs of a sharded run (`strata bench --shard I/N`) into one, checking they are one plan's shards.
    Merge(cli::merge::MergeArgs),
    /// Web pages (read-only): the runs, a run's charts, comparisons, a live run, a blobfs store through time.
    Serve(cli::serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    match cli.command {
        Command::Bench(args) => cli::bench::run(*args),
        Command::Compare(args) => cli::compare::run(args),
        Command::Plot(args) => cli::plot::run(args),
        Command::Sim(args) => cli::sim::run(args),
        Command::Fs(args) => cli::fs::run(args),
        Command::Db(args) => cli::db::run(args),
        Command::Reproduce(args) => cli::reproduce::run(args),
        Command::Stress(args) => cli::stress::run(*args),
        Command::Merge(args) => cli::merge::run(args),
        Command::Serve(args) => cli::serve::run(args),
    }
}

/// `--help` and `--version` print as clap prints them (exit 0); any other
/// parse error is one line on stderr and exit 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let rendered = e.render().to_string();
    let first = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("bad arguments");
    let line = first.strip_prefix("error: ").unwrap_or(first);
    eprintln!("strata: {line}");
    ExitCode::from(2)
}
