//! Chart 1: throughput (ops/s) per benchmark, one bar per engine.

use super::bars::GroupedBars;
use super::data::Dataset;
use super::legend::LegendEntry;

/// The throughput chart of `data`; `None` when no row has a positive
/// ops/s (nothing to draw).
pub fn chart(data: &Dataset) -> Option<GroupedBars> {
    // Zero ops/s means the benchmark did nothing measurable (it cannot be
    // a bar on a log axis either).
    let values = data.stats(|r| (r.ops_per_s > 0.0).then_some(r.ops_per_s));
    let reps = data.max_repetitions();
    let mut subtitle = if reps > 1 {
        format!(
            "Bar: median of up to {reps} repetitions (whisker: min–max where they differ). Run {}.",
            data.run.run_ids.join(", ")
        )
    } else {
        format!("One run per bar. Run {}.", data.run.run_ids.join(", "))
    };
    let left_out: Vec<&str> = data
        .benchmarks
        .iter()
        .zip(&values)
        .filter(|(_, per_engine)| per_engine.iter().all(Option::is_none))
        .map(|(name, _)| name.as_str())
        .collect();
    if !left_out.is_empty() {
        subtitle.push_str(&format!(
            " Not drawn (no operations counted; see micros/op): {}.",
            left_out.join(", ")
        ));
    }
    let bars = GroupedBars {
        title: "Throughput per benchmark — operations/s, higher is better".to_string(),
        subtitle,
        y_desc: "throughput (operations/s)".to_string(),
        x_desc: "benchmark (db_bench name; #n = n-th run of that name)".to_string(),
        groups: data.benchmarks.clone(),
        series: LegendEntry::for_engines(&data.engines),
        values,
        allow_log: true,
    };
    let bars = bars.without_empty_groups();
    bars.has_values().then_some(bars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_row::ResultRow;

    fn row(benchmark: &str, ops: u64, micros_per_op: f64) -> ResultRow {
        ResultRow {
            run_id: "r".to_string(),
            engine_spec: "lsm".to_string(),
            benchmark: benchmark.to_string(),
            ops,
            micros_per_op,
            ops_per_s: if ops > 0 { 1e6 / micros_per_op } else { 0.0 },
            ..ResultRow::default()
        }
    }

    #[test]
    fn benchmarks_without_operations_are_named_not_drawn() {
        let rows = vec![
            row("fillseq", 1000, 2.0),
            row("compact", 0, 600_000.0),
            row("readseq", 1000, 0.2),
        ];
        let data = Dataset::from_rows(&rows).expect("rows");
        let bars = chart(&data).expect("two bars");
        assert_eq!(bars.groups, ["fillseq", "readseq"]);
        assert!(
            bars.subtitle
                .ends_with(" Not drawn (no operations counted; see micros/op): compact."),
            "{}",
            bars.subtitle
        );
        let all_drawn = Dataset::from_rows(&[row("fillseq", 1000, 2.0)]).expect("rows");
        assert!(!chart(&all_drawn)
            .expect("bar")
            .subtitle
            .contains("Not drawn"));
    }
}
