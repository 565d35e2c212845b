//! `strata sim`: the compaction simulator. Runs every chosen policy's pure
//! `pick` over the same synthetic stream of flushes (no disk; the model is
//! documented in `strata_lsm::compaction::sim`) and writes:
//!
//! - `results/sim-<id>.csv`, one row per policy and sample (columns in
//!   [`csv::HEADER`]);
//! - a Markdown table of the final values per policy on stdout;
//! - `reports/sim-<id>/amplification.{svg,png}`: write, space and read
//!   amplification over time, one line per policy.

mod chart;
mod csv;

use std::path::PathBuf;
use std::process::ExitCode;
use strata_lsm::compaction::sim::{simulate, SimConfig, SimSample};
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
    #[arg(long = "policy", value_parser = parse_policy_spec)]
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

fn parse_policy(text: &str) -> Result<CompactionKind, String> {
    CompactionKind::parse(text).ok_or_else(|| {
        let names: Vec<&str> = CompactionKind::ALL.iter().map(|k| k.name()).collect();
        format!("unknown policy '{text}'; allowed: {}", names.join(", "))
    })
}

/// A policy and the label its rows carry.
#[derive(Debug, Clone)]
pub struct PolicySpec {
    /// `NAME` or `NAME:KEY=VALUE,...` as given.
    pub label: String,
    /// The policy with its parameters.
    pub kind: CompactionKind,
}

fn parse_policy_spec(text: &str) -> Result<PolicySpec, String> {
    let (name, params) = text.split_once(':').unwrap_or((text, ""));
    parse_policy(name)?;
    let spec_text = if params.is_empty() {
        format!("lsm:compaction={name}")
    } else {
        format!("lsm:compaction={name},{params}")
    };
    let spec = strata_api::EngineSpec::parse(&spec_text).map_err(|e| e.to_string())?;
    let env: std::sync::Arc<dyn strata_api::Env> = std::sync::Arc::new(strata_api::MemEnv::new());
    let options = strata_lsm::DbOptions::from_spec(&spec, env).map_err(|e| e.to_string())?;
    Ok(PolicySpec {
        label: text.to_string(),
        kind: options.compaction,
    })
}

/// One policy's samples.
pub struct PolicyRun {
    /// The policy's label (`NAME` or `NAME:KEY=VALUE,...`).
    pub policy: String,
    /// Its samples over time.
    pub samples: Vec<SimSample>,
}

/// Runs `strata sim`.
pub fn run(args: SimArgs) -> ExitCode {
    match run_inner(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("strata sim: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: &SimArgs) -> Result<(), String> {
    let config = SimConfig {
        flushes: args.flushes,
        flush_bytes: args.flush_bytes,
        entry_bytes: args.entry_bytes,
        key_space: args.key_space,
        max_file_size: args.max_file_size,
        level_base_bytes: args.level_base,
        sample_every: args.sample_every,
    };
    config.validate().map_err(|e| e.to_string())?;
    let mut specs: Vec<PolicySpec> = args
        .policies
        .iter()
        .map(|&kind| PolicySpec {
            label: kind.name().to_string(),
            kind,
        })
        .collect();
    specs.extend(args.policy_specs.iter().cloned());
    if specs.is_empty() {
        specs = CompactionKind::ALL
            .iter()
            .map(|&kind| PolicySpec {
                label: kind.name().to_string(),
                kind,
            })
            .collect();
    }
    let id = args
        .id
        .clone()
        .unwrap_or_else(|| chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string());
    if id.is_empty() || id.contains(['/', '\\']) {
        return Err(format!(
            "run id '{id}' must be non-empty and without slashes"
        ));
    }
    let mut runs = Vec::new();
    for spec in specs {
        let policy = spec.kind.create();
        let samples = simulate(policy.as_ref(), &config)
            .map_err(|e| format!("policy {}: {e}", spec.label))?;
        runs.push(PolicyRun {
            policy: spec.label,
            samples,
        });
    }
    let csv_path = PathBuf::from("results").join(format!("sim-{id}.csv"));
    csv::write(&csv_path, &runs)?;
    print!("{}", csv::markdown_table(&config, &runs));
    eprintln!("results: {}", csv_path.display());
    if !args.no_chart {
        let dir = PathBuf::from("reports").join(format!("sim-{id}"));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        for file in chart::draw(&runs, &config, &dir)? {
            eprintln!("chart:   {}", file.display());
        }
    }
    Ok(())
}
