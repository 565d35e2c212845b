//! Chart 2: latency percentile curves, one chart per benchmark with
//! latency columns, one line per engine, log-scale latency.

use super::axis::{TickedRange, ValueAxis};
use super::data::Dataset;
use super::legend::{self, LegendEntry, Swatch};
use super::style::{
    draw_err, draw_header, palette_cycle, series_color, style_mesh, Chart, DrawError,
    CHART_SIZE_PX, HEADER_PX,
};
use crate::csv_row::ResultRow;
use plotters::coord::Shift;
use plotters::prelude::*;

const MARKER_PX: i32 = 5;

/// Reads one latency column from a row.
pub type Metric = fn(&ResultRow) -> Option<f64>;

/// The percentile columns, in x order, with their axis labels. Equal
/// spacing is roughly logarithmic in 1/(1 − p), which is what matters.
pub const PERCENTILES: [(&str, Metric); 7] = [
    ("p50", |r| r.latency_us_p50),
    ("p75", |r| r.latency_us_p75),
    ("p90", |r| r.latency_us_p90),
    ("p99", |r| r.latency_us_p99),
    ("p99.9", |r| r.latency_us_p999),
    ("p99.99", |r| r.latency_us_p9999),
    ("max", |r| r.latency_us_max),
];

/// One engine's curve: (percentile index, median latency µs) where present.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Legend entry (its index picks colour and marker).
    pub entry: LegendEntry,
    /// Points, percentile index ascending.
    pub points: Vec<(usize, f64)>,
}

/// The latency chart of one benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyChart {
    /// Benchmark display name.
    pub benchmark: String,
    /// One curve per engine that has latencies for it.
    pub curves: Vec<Curve>,
    /// Most repetitions behind a point.
    pub repetitions: usize,
}

/// Latency charts for every benchmark that has latency cells, in
/// benchmark order.
pub fn charts(data: &Dataset) -> Vec<LatencyChart> {
    (0..data.benchmarks.len())
        .filter_map(|b| {
            let curves: Vec<Curve> = data
                .engines
                .iter()
                .enumerate()
                .filter_map(|(e, engine)| {
                    let points: Vec<(usize, f64)> = PERCENTILES
                        .iter()
                        .enumerate()
                        .filter_map(|(p, (_, metric))| {
                            // Latency 0 µs cannot sit on a log axis; it
                            // only appears for empty histograms anyway.
                            data.stat(b, e, |r| metric(r).filter(|v| *v > 0.0))
                                .map(|s| (p, s.median))
                        })
                        .collect();
                    (!points.is_empty()).then(|| Curve {
                        entry: LegendEntry {
                            index: e,
                            label: engine.legend.clone(),
                        },
                        points,
                    })
                })
                .collect();
            let repetitions = (0..data.engines.len())
                .map(|e| data.rows(b, e).len())
                .max()
                .unwrap_or(0);
            (!curves.is_empty()).then(|| LatencyChart {
                benchmark: data.benchmarks[b].clone(),
                curves,
                repetitions,
            })
        })
        .collect()
}

/// Draws series `index`'s marker centred at `center` (pixels of `area`):
/// circles, then triangles, then crosses once the palette has wrapped.
///
/// # Errors
/// Any drawing error.
pub fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    index: usize,
    center: (i32, i32),
) -> Result<(), DrawError> {
    let color = series_color(index);
    match palette_cycle(index) % 3 {
        0 => area.draw(&Circle::new(center, MARKER_PX, color.filled())),
        1 => area.draw(&TriangleMarker::new(center, MARKER_PX + 2, color.filled())),
        _ => area.draw(&Cross::new(center, MARKER_PX, color.stroke_width(3))),
    }
    .map_err(draw_err)
}

impl Chart for LatencyChart {
    fn size_px(&self) -> (u32, u32) {
        let entries: Vec<LegendEntry> = self.curves.iter().map(|c| c.entry.clone()).collect();
        (
            CHART_SIZE_PX.0,
            CHART_SIZE_PX.1 + legend::extra_rows_px(CHART_SIZE_PX.0, &entries),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let values: Vec<f64> = self
            .curves
            .iter()
            .flat_map(|c| c.points.iter().map(|(_, v)| *v))
            .collect();
        let axis = ValueAxis::fit(&values, true, true).ok_or_else(|| {
            DrawError::new(format!("latency of {}: nothing to draw", self.benchmark))
        })?;
        let (header, rest) = root.split_vertically(HEADER_PX);
        let summary = if self.repetitions > 1 {
            format!(
                "Point: median over up to {} repetitions. Lower is better.",
                self.repetitions
            )
        } else {
            "Per-operation latency from the run's histogram. Lower is better.".to_string()
        };
        draw_header(
            &header,
            &format!("Latency percentiles — {}", self.benchmark),
            &summary,
        )?;
        let entries: Vec<LegendEntry> = self.curves.iter().map(|c| c.entry.clone()).collect();
        let legend_px = legend::height_px(rest.dim_in_pixel().0, &entries);
        let rest_px = rest.dim_in_pixel().1;
        let (body, footer) = rest.split_vertically(rest_px.saturating_sub(legend_px));
        legend::draw(&footer, &entries, Swatch::Line)?;

        let last = (PERCENTILES.len() - 1) as f64;
        let x_ticks: Vec<f64> = (0..PERCENTILES.len()).map(|p| p as f64).collect();
        let mut chart = ChartBuilder::on(&body)
            .margin_left(20)
            .margin_right(30)
            .margin_top(8)
            .x_label_area_size(64)
            .y_label_area_size(96)
            .build_cartesian_2d(
                TickedRange::new(-0.3..last + 0.3, x_ticks),
                TickedRange::new(axis.lo..axis.hi, axis.ticks.clone()),
            )
            .map_err(draw_err)?;
        let percentile_label = |x: &f64| {
            let index = x.round();
            PERCENTILES
                .get(if index >= 0.0 {
                    index as usize
                } else {
                    usize::MAX
                })
                .map_or_else(String::new, |(name, _)| (*name).to_string())
        };
        style_mesh(
            chart
                .configure_mesh()
                .x_label_formatter(&percentile_label)
                .y_label_formatter(&|v| axis.label(*v))
                .x_desc("percentile of per-operation latency")
                .y_desc(format!("latency per operation (µs{})", axis.scale_note())),
        )
        .draw()
        .map_err(draw_err)?;
        for curve in &self.curves {
            let points: Vec<(f64, f64)> = curve
                .points
                .iter()
                .filter_map(|(p, v)| axis.to_axis(*v).map(|y| (*p as f64, y)))
                .collect();
            let color = series_color(curve.entry.index);
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(draw_err)?;
            for point in &points {
                draw_marker(root, curve.entry.index, chart.backend_coord(point))?;
            }
        }
        Ok(())
    }
}
