//! Behaviour over time, from the time series (`<run>.intervals.csv`): one
//! chart per benchmark occurrence, throughput per interval as one solid
//! line per engine (left axis), level-0 files as a dashed line per engine
//! (right axis), and the intervals in which writers stalled shaded in the
//! engine's colour. Each engine's first repetition is drawn.

use super::data::short_labels;
use super::style::{
    compact_number, draw_err, draw_header, series_color, style_legend, style_mesh, text, Chart,
    DrawError, CHART_SIZE_PX, HEADER_PX,
};
use crate::csv_row::IntervalRow;
use crate::error::HarnessError;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// One engine's first repetition of one benchmark occurrence.
#[derive(Debug, Clone)]
struct Line {
    label: String,
    rows: Vec<IntervalRow>,
}

/// The chart of one benchmark occurrence.
#[derive(Debug, Clone)]
pub struct TimelineChart {
    /// The benchmark's name.
    pub benchmark: String,
    /// Its position in the list (names repeat).
    pub position: u64,
    lines: Vec<Line>,
}

/// Reads a time series file.
///
/// # Errors
/// [`HarnessError::Csv`] naming the file and line.
pub fn read(path: &Path) -> Result<Vec<IntervalRow>, HarnessError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| HarnessError::csv(path, e))?;
    reader
        .deserialize()
        .map(|row| row.map_err(|e| HarnessError::csv(path, e)))
        .collect()
}

/// One chart per benchmark occurrence (in list order) with at least two
/// intervals for some engine.
pub fn charts(rows: &[IntervalRow]) -> Vec<TimelineChart> {
    let mut specs: Vec<String> = Vec::new();
    for r in rows {
        if !specs.contains(&r.engine_spec) {
            specs.push(r.engine_spec.clone());
        }
    }
    let labels = short_labels(&specs);
    let mut positions: Vec<(u64, String)> = rows
        .iter()
        .map(|r| (r.position, r.benchmark.clone()))
        .collect();
    positions.sort();
    positions.dedup();
    let mut charts = Vec::new();
    for (position, benchmark) in positions {
        let lines: Vec<Line> = specs
            .iter()
            .zip(&labels)
            .filter_map(|(spec, label)| {
                let of_engine = |r: &&IntervalRow| {
                    r.position == position && r.benchmark == benchmark && &r.engine_spec == spec
                };
                let first = rows.iter().filter(of_engine).map(|r| r.repetition).min()?;
                let mut line: Vec<IntervalRow> = rows
                    .iter()
                    .filter(of_engine)
                    .filter(|r| r.repetition == first)
                    .cloned()
                    .collect();
                line.sort_by_key(|r| r.interval);
                Some(Line {
                    label: label.clone(),
                    rows: line,
                })
            })
            .filter(|l| l.rows.len() >= 2)
            .collect();
        if !lines.is_empty() {
            charts.push(TimelineChart {
                benchmark,
                position,
                lines,
            });
        }
    }
    charts
}

/// The intervals of `rows` in which writers stalled: (start, end) in
/// seconds (the cumulative stall time grew during them).
fn stalled_spans(rows: &[IntervalRow]) -> Vec<(f64, f64)> {
    let mut before = 0u64;
    let mut spans = Vec::new();
    for r in rows {
        if let Some(now) = r.stall_us {
            if now > before {
                spans.push((r.start_s, r.end_s));
            }
            before = now;
        }
    }
    spans
}

impl Chart for TimelineChart {
    fn size_px(&self) -> (u32, u32) {
        CHART_SIZE_PX
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let (header, body) = root.split_vertically(HEADER_PX);
        draw_header(
            &header,
            &format!(
                "{} (#{}): throughput over time",
                self.benchmark,
                self.position + 1
            ),
            "ops/s per interval (solid, left axis); level-0 files (dots, dashed, right axis); \
             shaded: intervals with write stalls. First repetition of each engine.",
        )?;
        let all = || self.lines.iter().flat_map(|l| l.rows.iter());
        let x_max = all().map(|r| r.end_s).fold(0.0f64, f64::max).max(1e-3);
        let y_max = all().map(|r| r.ops_per_s).fold(0.0f64, f64::max).max(1.0) * 1.1;
        let l0_max = all()
            .filter_map(|r| r.level0_files)
            .max()
            .unwrap_or(0)
            .max(4) as f64
            * 1.15;
        let mut chart = ChartBuilder::on(&body)
            .margin(12)
            .margin_right(20)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .right_y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)
            .map_err(draw_err)?
            .set_secondary_coord(0.0..x_max, 0.0..l0_max);
        style_mesh(
            chart
                .configure_mesh()
                .x_desc("seconds since the benchmark started")
                .y_desc("operations per second")
                .y_label_formatter(&|v| compact_number(*v)),
        )
        .draw()
        .map_err(draw_err)?;
        chart
            .configure_secondary_axes()
            .y_desc("level-0 files")
            .label_style(text(super::style::TICK_PX))
            .axis_desc_style(text(super::style::AXIS_DESC_PX))
            .draw()
            .map_err(draw_err)?;
        for (i, line) in self.lines.iter().enumerate() {
            let color = series_color(i);
            chart
                .draw_series(
                    stalled_spans(&line.rows).into_iter().map(|(a, b)| {
                        Rectangle::new([(a, 0.0), (b, y_max)], color.mix(0.12).filled())
                    }),
                )
                .map_err(draw_err)?;
        }
        for (i, line) in self.lines.iter().enumerate() {
            let color = series_color(i);
            // Each interval's rate drawn at its midpoint.
            let points = line
                .rows
                .iter()
                .map(|r| ((r.start_s + r.end_s) / 2.0, r.ops_per_s));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(3)))
                .map_err(draw_err)?
                .label(line.label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                });
            let l0: Vec<(f64, f64)> = line
                .rows
                .iter()
                .filter_map(|r| r.level0_files.map(|n| (r.end_s, n as f64)))
                .collect();
            chart
                .draw_secondary_series(
                    l0.iter()
                        .map(|&(x, y)| Circle::new((x, y), 4, color.filled())),
                )
                .map_err(draw_err)?;
            if l0.len() >= 2 {
                chart
                    .draw_secondary_series(DashedLineSeries::new(l0, 8, 5, color.stroke_width(2)))
                    .map_err(draw_err)?;
            }
        }
        style_legend(
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight),
        )
        .draw()
        .map_err(draw_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(spec: &str, repetition: u32, interval: u32, stall_us: u64) -> IntervalRow {
        IntervalRow {
            engine_spec: spec.to_string(),
            benchmark: "fillrandom".to_string(),
            repetition,
            interval,
            start_s: f64::from(interval),
            end_s: f64::from(interval + 1),
            ops: 1000,
            ops_per_s: 1000.0 * f64::from(interval + 1),
            level0_files: Some(u64::from(interval)),
            stall_us: Some(stall_us),
            ..IntervalRow::default()
        }
    }

    #[test]
    fn one_chart_per_occurrence_with_each_engines_first_repetition() {
        let mut rows = vec![
            row("lsm", 1, 0, 0),
            row("lsm", 1, 1, 0),
            row("lsm", 0, 1, 5),
            row("lsm", 0, 0, 0),
            row("lsm:compaction=tiered", 0, 0, 0),
        ];
        rows.push(IntervalRow {
            position: 2,
            benchmark: "overwrite".to_string(),
            ..row("lsm", 0, 0, 0)
        });
        let charts = charts(&rows);
        assert_eq!(charts.len(), 1, "tiered has one interval, overwrite one");
        let c = &charts[0];
        assert_eq!(c.lines.len(), 1);
        let intervals: Vec<(u32, u32)> = c.lines[0]
            .rows
            .iter()
            .map(|r| (r.repetition, r.interval))
            .collect();
        assert_eq!(intervals, [(0, 0), (0, 1)], "first repetition, in order");
    }

    #[test]
    fn stalls_shade_the_intervals_whose_stall_time_grew() {
        let rows = vec![
            row("a", 0, 0, 0),
            row("a", 0, 1, 7),
            row("a", 0, 2, 7),
            row("a", 0, 3, 9),
        ];
        assert_eq!(stalled_spans(&rows), [(1.0, 2.0), (3.0, 4.0)]);
    }

    #[test]
    fn the_chart_draws() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rows = vec![
            row("lsm", 0, 0, 0),
            row("lsm", 0, 1, 40),
            row("lsm", 0, 2, 40),
        ];
        let chart = charts(&rows).pop().expect("chart");
        let files =
            super::super::style::render_svg_and_png(&chart, dir.path(), "timeline").expect("draw");
        let svg = std::fs::read_to_string(&files[0]).expect("svg");
        assert!(svg.contains("throughput over time") && svg.contains("level-0 files"));
    }
}
