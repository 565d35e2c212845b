//! Chart 1: throughput (ops/s) per benchmark, one bar per engine.

use super::bars::GroupedBars;
use super::data::{Dataset, Stat};
use super::legend::LegendEntry;

/// The throughput chart of `data`; `None` when no row has a positive
/// ops/s (nothing to draw).
pub fn chart(data: &Dataset) -> Option<GroupedBars> {
    let values: Vec<Vec<Option<Stat>>> = (0..data.benchmarks.len())
        .map(|b| {
            (0..data.engines.len())
                // Zero ops/s means the benchmark did nothing measurable
                // (it cannot be a bar on a log axis either).
                .map(|e| data.stat(b, e, |r| (r.ops_per_s > 0.0).then_some(r.ops_per_s)))
                .collect()
        })
        .collect();
    let reps = data.max_repetitions();
    let subtitle = if reps > 1 {
        format!(
            "Bar: median of up to {reps} repetitions (whisker: min–max where they differ). Run {}.",
            data.run.run_ids.join(", ")
        )
    } else {
        format!("One run per bar. Run {}.", data.run.run_ids.join(", "))
    };
    let bars = GroupedBars {
        title: "Throughput per benchmark — operations/s, higher is better".to_string(),
        subtitle,
        y_desc: "throughput (operations/s)".to_string(),
        x_desc: "benchmark (db_bench name; #n = n-th run of that name)".to_string(),
        groups: data.benchmarks.clone(),
        series: data
            .engines
            .iter()
            .enumerate()
            .map(|(index, e)| LegendEntry {
                index,
                label: e.legend.clone(),
            })
            .collect(),
        values,
        allow_log: true,
    };
    let bars = bars.without_empty_groups();
    bars.has_values().then_some(bars)
}
