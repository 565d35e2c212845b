//! `strata sim`: the compaction simulator. Runs every chosen policy's pure
//! `pick` over the same synthetic stream of flushes (no disk; the model is
//! documented in `strata_lsm::compaction::sim`) and writes:
//!
//! - `results/sim-<id>.csv`, one row per policy and sample (columns in
//!   [`csv::HEADER`]);
//! - a Markdown table of the final values per policy on stdout;
//! - `reports/sim-<id>/amplification.{svg,png}`: write, space and read
//!   amplification over time, one line per policy (drawn by
//!   [`crate::plot::sim`]).
//!
//! The flags are in `cli/sim.rs`; this module runs a validated [`SimPlan`].

mod csv;

use crate::error::HarnessError;
use crate::plot::sim::{draw_amplification, PolicySeries};
use std::path::PathBuf;
use strata_lsm::compaction::sim::{simulate, SimConfig, SimSample};
use strata_lsm::compaction::CompactionKind;

/// A policy and the label its rows carry.
#[derive(Debug, Clone)]
pub struct PolicySpec {
    /// `NAME` or `NAME:KEY=VALUE,...` as given.
    pub label: String,
    /// The policy with its parameters.
    pub kind: CompactionKind,
}

impl PolicySpec {
    /// A policy with its default parameters, labelled by its name.
    pub fn of(kind: CompactionKind) -> PolicySpec {
        PolicySpec {
            label: kind.name().to_string(),
            kind,
        }
    }

    /// Parses `NAME` or `NAME:KEY=VALUE,...` with the `lsm` spec keys
    /// (e.g. `tiered:tiered_run_trigger=8,max_space_amp=300`).
    ///
    /// # Errors
    /// An unknown policy name (the message lists the names) or a parameter
    /// the `lsm` spec rejects, as the one line clap prints for the flag.
    pub fn parse(text: &str) -> Result<PolicySpec, String> {
        let (name, params) = text.split_once(':').unwrap_or((text, ""));
        parse_policy(name)?;
        let spec_text = if params.is_empty() {
            format!("lsm:compaction={name}")
        } else {
            format!("lsm:compaction={name},{params}")
        };
        let spec = strata_api::EngineSpec::parse(&spec_text).map_err(|e| e.to_string())?;
        let env: std::sync::Arc<dyn strata_api::Env> =
            std::sync::Arc::new(strata_api::MemEnv::new());
        let options = strata_lsm::DbOptions::from_spec(&spec, env).map_err(|e| e.to_string())?;
        Ok(PolicySpec {
            label: text.to_string(),
            kind: options.compaction,
        })
    }
}

/// A policy by name, with its default parameters.
///
/// # Errors
/// An unknown name; the message lists the known ones.
pub fn parse_policy(text: &str) -> Result<CompactionKind, String> {
    CompactionKind::parse(text).ok_or_else(|| {
        let names: Vec<&str> = CompactionKind::ALL.iter().map(|k| k.name()).collect();
        format!("unknown policy '{text}'; allowed: {}", names.join(", "))
    })
}

/// One policy's samples.
pub struct PolicyRun {
    /// The policy's label (`NAME` or `NAME:KEY=VALUE,...`).
    pub policy: String,
    /// Its samples over time.
    pub samples: Vec<SimSample>,
}

/// A validated simulation: what to simulate and where the files go.
#[derive(Debug, Clone)]
pub struct SimPlan {
    /// The synthetic workload and tree shape.
    pub config: SimConfig,
    /// Policies, in the order their rows and lines appear (not empty).
    pub policies: Vec<PolicySpec>,
    /// Run id used in file names (non-empty, no slashes).
    pub id: String,
    /// Whether to draw the chart.
    pub chart: bool,
}

impl SimPlan {
    /// `results/sim-<id>.csv`.
    pub fn csv_path(&self) -> PathBuf {
        PathBuf::from("results").join(format!("sim-{}.csv", self.id))
    }

    /// `reports/sim-<id>/`.
    pub fn report_dir(&self) -> PathBuf {
        PathBuf::from("reports").join(format!("sim-{}", self.id))
    }
}

/// Simulates every policy of `plan`, writes the CSV, prints the table on
/// stdout and the files written on stderr, and draws the chart.
///
/// # Errors
/// [`HarnessError::Engine`] (the engine named `policy <label>`) when a
/// policy fails in the simulation; the I/O and chart errors of writing the
/// files, naming the path.
pub fn run(plan: &SimPlan) -> Result<(), HarnessError> {
    let mut runs = Vec::new();
    for spec in &plan.policies {
        let policy = spec.kind.create();
        let samples =
            simulate(policy.as_ref(), &plan.config).map_err(|source| HarnessError::Engine {
                engine: format!("policy {}", spec.label),
                source,
            })?;
        runs.push(PolicyRun {
            policy: spec.label.clone(),
            samples,
        });
    }
    let csv_path = plan.csv_path();
    csv::write(&csv_path, &runs)?;
    print!("{}", csv::markdown_table(&plan.config, &runs));
    eprintln!("results: {}", csv_path.display());
    if plan.chart {
        let dir = plan.report_dir();
        std::fs::create_dir_all(&dir).map_err(|e| HarnessError::io("create", &dir, e))?;
        let series: Vec<PolicySeries<'_>> = runs
            .iter()
            .map(|r| PolicySeries {
                policy: &r.policy,
                samples: &r.samples,
            })
            .collect();
        for file in draw_amplification(&series, &plan.config, &dir)? {
            eprintln!("chart:   {}", file.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_specs_parse_names_and_parameters() {
        let plain = PolicySpec::parse("tiered").expect("a policy");
        assert_eq!(plain.label, "tiered");
        assert_eq!(plain.kind.name(), "tiered");
        let tuned = PolicySpec::parse("tiered:tiered_run_trigger=8").expect("parameters");
        assert_eq!(tuned.label, "tiered:tiered_run_trigger=8");
        let e = PolicySpec::parse("nope").expect_err("unknown");
        assert!(e.contains("unknown policy 'nope'; allowed: "), "{e}");
        assert!(PolicySpec::parse("tiered:no_such_key=1").is_err());
    }
}
