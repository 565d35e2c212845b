//! Chart 3: write, read and space amplification per engine, one chart per
//! kind that has any value, grouped by the benchmarks that report it (write
//! amplification exists only where the benchmark wrote).

use super::bars::GroupedBars;
use super::data::Dataset;
use super::legend::LegendEntry;
use crate::csv_row::ResultRow;

/// One kind of amplification.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// File stem of its chart.
    pub stem: &'static str,
    /// Chart title.
    pub title: &'static str,
    /// Y axis description with units.
    pub y_desc: &'static str,
    /// Reads the metric from a row.
    pub metric: fn(&ResultRow) -> Option<f64>,
}

/// The kinds, in the order their charts appear.
pub const KINDS: [Kind; 3] = [
    Kind {
        stem: "amplification_write",
        title: "Write amplification per engine — lower is better",
        y_desc: "write amplification (disk bytes / user bytes, ×)",
        metric: |r| r.write_amplification,
    },
    Kind {
        stem: "amplification_read",
        title: "Read amplification per engine — lower is better",
        y_desc: "read amplification (tables probed per get)",
        metric: |r| r.read_amplification,
    },
    Kind {
        stem: "amplification_space",
        title: "Space amplification per engine — lower is better",
        y_desc: "space amplification (bytes on disk / live bytes, ×)",
        metric: |r| r.space_amplification,
    },
];

/// The chart of `kind` for `data`; `None` when no row has that metric.
pub fn chart(data: &Dataset, kind: &Kind) -> Option<GroupedBars> {
    let values = data.stats(kind.metric);
    let reps = data.max_repetitions();
    let subtitle = if reps > 1 {
        format!(
            "Bar: median of up to {reps} repetitions (whisker: min–max where they differ); benchmarks that report it. Run {}.",
            data.run.run_ids.join(", ")
        )
    } else {
        format!(
            "Only benchmarks that report it. Run {}.",
            data.run.run_ids.join(", ")
        )
    };
    let bars = GroupedBars {
        title: kind.title.to_string(),
        subtitle,
        y_desc: kind.y_desc.to_string(),
        x_desc: "benchmark (db_bench name; #n = n-th run of that name)".to_string(),
        groups: data.benchmarks.clone(),
        series: LegendEntry::for_engines(&data.engines),
        values,
        // Ratios near 1 read best on a linear axis starting at zero.
        allow_log: false,
    }
    .without_empty_groups();
    bars.has_values().then_some(bars)
}
