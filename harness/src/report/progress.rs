//! A run's progress as it goes, for `strata bench --serve` and
//! `--progress-port`: which benchmark runs on which engine, how many of
//! the run's benchmarks are done, each result as it is measured, and,
//! from the interval sampler (`--stats_interval_seconds`), the operations
//! done and the throughput of the running benchmark, second by second.
//! All of it goes to a [`LiveHub`], which `/live` streams as server-sent
//! events.

use super::Reporter;
use crate::error::HarnessError;
use crate::plan::{Block, Plan, Shard};
use crate::record::Record;
use crate::serve::live::FinishedStep;
use crate::serve::LiveHub;
use std::sync::Arc;

/// Feeds a run's progress to a [`LiveHub`].
pub struct Progress {
    hub: Arc<LiveHub>,
    shard: Shard,
    engine: String,
    repetition: u32,
    /// The block's steps this process runs: list position, benchmark name.
    steps: Vec<(usize, String)>,
    /// The list position of the latest result.
    last_position: Option<usize>,
}

impl Progress {
    /// Announces run `run_id` (the blocks of `plan` that `shard` runs) and
    /// makes the interval sampler report to `hub` too (once per process;
    /// the sampler's samples cost the benchmark threads nothing).
    pub fn new(hub: Arc<LiveHub>, plan: &Plan, shard: Shard, run_id: &str) -> Self {
        let total = plan
            .blocks
            .iter()
            .filter(|b| plan.block_runs_in(b, shard))
            .map(|b| steps_run(b, shard).len())
            .sum();
        hub.start_run(
            run_id,
            plan.engines.iter().map(|e| e.spec.to_string()).collect(),
            total,
        );
        let sink = Arc::clone(&hub);
        strata_workloads::measure::interval::observe_samples(Box::new(move |sample| {
            sink.sample(sample);
        }));
        Progress {
            hub,
            shard,
            engine: String::new(),
            repetition: 0,
            steps: Vec::new(),
            last_position: None,
        }
    }

    /// Announces the first step of the block after list position `after`.
    fn announce_after(&self, after: Option<usize>) {
        let next = self
            .steps
            .iter()
            .find(|(position, _)| after.is_none_or(|a| *position > a));
        self.hub.step_started(next.map(|(position, name)| {
            (
                self.engine.as_str(),
                self.repetition,
                name.as_str(),
                *position,
            )
        }));
    }
}

/// `(position, name)` of the steps of `block` that `shard` runs.
fn steps_run(block: &Block, shard: Shard) -> Vec<(usize, String)> {
    block
        .steps
        .iter()
        .filter(|s| s.cell.is_some_and(|c| shard.runs(c)))
        .map(|s| (s.position, s.benchmark.name().to_string()))
        .collect()
}

impl Reporter for Progress {
    fn block_started(&mut self, plan: &Plan, block: &Block) -> Result<(), HarnessError> {
        self.engine = plan.engines[block.engine].spec.to_string();
        self.repetition = block.repetition;
        self.steps = steps_run(block, self.shard);
        self.last_position = None;
        self.announce_after(None);
        Ok(())
    }

    fn record(&mut self, record: &Record) -> Result<(), HarnessError> {
        let new_step = self.last_position != Some(record.position);
        if new_step || record.timed {
            self.hub.step_finished(
                FinishedStep {
                    engine: record.row.engine_spec.clone(),
                    repetition: record.row.repetition,
                    benchmark: record.row.benchmark.clone(),
                    ops: record.row.ops,
                    micros_per_op: record.row.micros_per_op,
                    ops_per_s: record.row.ops_per_s,
                },
                new_step,
            );
        }
        if new_step {
            self.last_position = Some(record.position);
            self.announce_after(Some(record.position));
        }
        Ok(())
    }
}
