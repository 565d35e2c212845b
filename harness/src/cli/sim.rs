//! `strata sim [flags]`: the compaction simulator's flags, turned into a
//! [`SimPlan`] and run by [`crate::sim`].

use crate::error::HarnessError;
use crate::sim::{self, parse_policy, PolicySpec, SimPlan};
use std::process::ExitCode;
use strata_lsm::compaction::sim::SimConfig;
use strata_lsm::compaction::CompactionKind;

/// `strata sim [flags]`: simulate compaction policies.
#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// Memtable flushes to simulate.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub flushes: u64,
    /// User bytes written between flushes (K, M, G suffixes).
    #[arg(long, default_value = "4M", value_parser = parse_bytes)]
    pub flush_bytes: u64,
    /// Bytes of one entry: key, value and per-entry overhead.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..))]
    pub entry_bytes: u64,
    /// Distinct keys the writes are drawn from, uniformly (fewer keys, more
    /// overwrites).
    #[arg(long, default_value_t = 4_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub key_space: u64,
    /// Target table file size the policies see.
    #[arg(long, default_value = "2M", value_parser = parse_bytes)]
    pub max_file_size: u64,
    /// Level-1 size target the leveled policy sees.
    #[arg(long, default_value = "10M", value_parser = parse_bytes)]
    pub level_base: u64,
    /// Take a sample every this many flushes (and after the last).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub sample_every: u64,
    /// Policies to simulate, comma-separated, each with its default
    /// parameters [default: all].
    #[arg(long, value_delimiter = ',', value_parser = parse_policy)]
    pub policies: Vec<CompactionKind>,
    /// A policy with parameters, as `NAME:KEY=VALUE,...` with the `lsm`
    /// spec keys (e.g. `tiered:tiered_run_trigger=8,max_space_amp=300`);
    /// repeatable, simulated after `--policies`.
    #[arg(long = "policy", value_parser = PolicySpec::parse)]
    pub policy_specs: Vec<PolicySpec>,
    /// Run id used in file names [default: UTC time, YYYYMMDD-HHMMSS].
    #[arg(long)]
    pub id: Option<String>,
    /// Skip the chart.
    #[arg(long)]
    pub no_chart: bool,
}

fn parse_bytes(text: &str) -> Result<u64, String> {
    match strata_api::spec::parse_size(text) {
        Some(v) if v > 0 => Ok(v),
        _ => Err(format!(
            "'{text}' is not a positive size (e.g. 4096, 64K, 4M)"
        )),
    }
}

/// Runs `strata sim`: an error is one line on stderr; exit 2 for flags
/// that do not make a run, 1 for a failed run or file.
pub fn run(args: SimArgs) -> ExitCode {
    match plan(args).and_then(|plan| sim::run(&plan)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report("sim"),
    }
}

/// The flags as a validated plan.
///
/// # Errors
/// [`HarnessError::Flag`] for `--flush-bytes` smaller than
/// `--entry-bytes` and for an `--id` that is empty or has a slash.
fn plan(args: SimArgs) -> Result<SimPlan, HarnessError> {
    if args.flush_bytes < args.entry_bytes {
        return Err(HarnessError::flag(
            "--flush-bytes",
            format!(
                "{} bytes must hold at least one entry of --entry-bytes {}",
                args.flush_bytes, args.entry_bytes
            ),
        ));
    }
    let config = SimConfig {
        flushes: args.flushes,
        flush_bytes: args.flush_bytes,
        entry_bytes: args.entry_bytes,
        key_space: args.key_space,
        max_file_size: args.max_file_size,
        level_base_bytes: args.level_base,
        sample_every: args.sample_every,
    };
    let mut policies: Vec<PolicySpec> = args.policies.into_iter().map(PolicySpec::of).collect();
    policies.extend(args.policy_specs);
    if policies.is_empty() {
        policies = CompactionKind::ALL
            .iter()
            .copied()
            .map(PolicySpec::of)
            .collect();
    }
    let id = args
        .id
        .unwrap_or_else(|| chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string());
    if id.is_empty() || id.contains(['/', '\\']) {
        return Err(HarnessError::flag(
            "--id",
            format!("run id '{id}' must be non-empty and without slashes"),
        ));
    }
    Ok(SimPlan {
        config,
        policies,
        id,
        chart: !args.no_chart,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }

    fn plan_of(argv: &[&str]) -> Result<SimPlan, HarnessError> {
        let cli = Cli::try_parse_from(std::iter::once("sim").chain(argv.iter().copied()))
            .expect("flags parse");
        plan(cli.sim)
    }

    #[test]
    fn defaults_simulate_every_policy() {
        let plan = plan_of(&["--id", "x"]).expect("plan");
        let labels: Vec<&str> = plan.policies.iter().map(|p| p.label.as_str()).collect();
        let all: Vec<&str> = CompactionKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(labels, all);
        assert_eq!(plan.config.flush_bytes, 4 << 20);
        assert!(plan.chart);
        assert_eq!(plan.csv_path(), std::path::Path::new("results/sim-x.csv"));
    }

    #[test]
    fn policies_then_parameterised_policies_in_order() {
        let plan = plan_of(&[
            "--policies",
            "tiered,leveled",
            "--policy",
            "tiered:tiered_run_trigger=8",
            "--no-chart",
        ])
        .expect("plan");
        let labels: Vec<&str> = plan.policies.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["tiered", "leveled", "tiered:tiered_run_trigger=8"]);
        assert!(!plan.chart);
    }

    #[test]
    fn bad_combinations_name_their_flag() {
        let e = plan_of(&["--flush-bytes", "100", "--entry-bytes", "128"]).expect_err("small");
        assert!(
            matches!(&e, HarnessError::Flag { flag, .. } if flag == "--flush-bytes"),
            "{e}"
        );
        let e = plan_of(&["--id", "a/b"]).expect_err("slash");
        assert!(
            matches!(&e, HarnessError::Flag { flag, .. } if flag == "--id"),
            "{e}"
        );
        assert_eq!(e.exit_status(), crate::error::EXIT_USAGE);
    }
}
