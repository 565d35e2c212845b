//! Grouped bar charts: one group per x category, one bar per series,
//! bar = median over repetitions, whisker = min–max when there are several.
//! Throughput and amplification charts are both drawn with this.

use super::axis::{TickedRange, ValueAxis};
use super::legend::{self, LegendEntry, Swatch};
use super::style::{
    draw_err, draw_header, series_color, style_mesh, text, text_width_px, Chart, DrawError,
    CHART_SIZE_PX, HEADER_PX, TICK_PX,
};
use crate::analysis::Spread;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Fraction of a group's width left empty on each side, so groups separate.
const GROUP_PAD: f64 = 0.12;
const Y_LABEL_AREA_PX: u32 = 96;
const X_DESC_PX: u32 = 34;
const SIDE_MARGIN_PX: u32 = 20;
/// Below this many pixels per bar the canvas widens.
const MIN_BAR_PX: u32 = 7;

/// A grouped bar chart, ready to draw.
#[derive(Debug, Clone)]
pub struct GroupedBars {
    /// Chart title.
    pub title: String,
    /// What the marks mean.
    pub subtitle: String,
    /// Y axis description with units (the scale note is appended).
    pub y_desc: String,
    /// X axis description.
    pub x_desc: String,
    /// X categories.
    pub groups: Vec<String>,
    /// Legend entries, one per series (their `index` picks the colour).
    pub series: Vec<LegendEntry>,
    /// `values[group][series]`; `None` leaves the slot empty.
    pub values: Vec<Vec<Option<Spread>>>,
    /// Whether a wide value range may switch the axis to log scale.
    pub allow_log: bool,
}

impl GroupedBars {
    /// The value axis, `None` when no bar has a value.
    pub fn axis(&self) -> Option<ValueAxis> {
        let all: Vec<f64> = self
            .values
            .iter()
            .flatten()
            .flatten()
            .flat_map(|s| [s.median, s.min, s.max])
            .collect();
        ValueAxis::fit(&all, self.allow_log, false)
    }

    /// Whether any bar has a value.
    pub fn has_values(&self) -> bool {
        self.values.iter().flatten().any(Option::is_some)
    }

    /// Drops x categories in which no series has a value.
    #[must_use]
    pub fn without_empty_groups(self) -> GroupedBars {
        let (groups, values) = self
            .groups
            .into_iter()
            .zip(self.values)
            .filter(|(_, per_series)| per_series.iter().any(Option::is_some))
            .unzip();
        GroupedBars {
            groups,
            values,
            ..self
        }
    }
}

impl Chart for GroupedBars {
    fn size_px(&self) -> (u32, u32) {
        let bars = u32::try_from(self.groups.len() * self.series.len().max(1)).unwrap_or(u32::MAX);
        // Bars get 1 - 2·GROUP_PAD of the width; widen rather than draw slivers.
        let needed = bars.saturating_mul(MIN_BAR_PX).saturating_mul(4) / 3
            + Y_LABEL_AREA_PX
            + 2 * SIDE_MARGIN_PX;
        let width = CHART_SIZE_PX.0.max(needed);
        (
            width,
            CHART_SIZE_PX.1 + legend::extra_rows_px(width, &self.series),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let axis = self
            .axis()
            .ok_or_else(|| DrawError::new(format!("{}: nothing to draw", self.title)))?;
        let (header, rest) = root.split_vertically(HEADER_PX);
        draw_header(&header, &self.title, &self.subtitle)?;
        let legend_px = legend::height_px(rest.dim_in_pixel().0, &self.series);
        let (width_px, rest_px) = rest.dim_in_pixel();
        let (body, footer) = rest.split_vertically(rest_px.saturating_sub(legend_px));
        legend::draw(&footer, &self.series, Swatch::Box)?;

        let plot_width_px = width_px.saturating_sub(Y_LABEL_AREA_PX + 2 * SIDE_MARGIN_PX);
        let labels = XLabels::layout(&self.groups, plot_width_px);
        let group_count = self.groups.len() as f64;
        let mut chart = ChartBuilder::on(&body)
            .margin_left(SIDE_MARGIN_PX)
            .margin_right(SIDE_MARGIN_PX)
            .margin_top(8)
            .x_label_area_size(labels.area_px + X_DESC_PX)
            .y_label_area_size(Y_LABEL_AREA_PX)
            .build_cartesian_2d(
                TickedRange::new(0.0..group_count, Vec::new()),
                TickedRange::new(axis.lo..axis.hi, axis.ticks.clone()),
            )
            .map_err(draw_err)?;
        let y_desc = format!("{}{}", self.y_desc, axis.scale_note());
        style_mesh(
            chart
                .configure_mesh()
                .disable_x_mesh()
                .y_label_formatter(&|v| axis.label(*v))
                .y_desc(y_desc)
                .x_desc(self.x_desc.as_str()),
        )
        .draw()
        .map_err(draw_err)?;

        let series_count = self.series.len().max(1) as f64;
        let bar_width = (1.0 - 2.0 * GROUP_PAD) / series_count;
        for (g, per_series) in self.values.iter().enumerate() {
            for (s, stat) in per_series.iter().enumerate() {
                let (Some(stat), Some(entry)) = (stat, self.series.get(s)) else {
                    continue;
                };
                let Some(top) = axis.to_axis(stat.median) else {
                    continue;
                };
                let color = series_color(entry.index);
                let x0 = g as f64 + GROUP_PAD + s as f64 * bar_width;
                let (left, right) = (x0 + bar_width * 0.06, x0 + bar_width * 0.94);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(left, axis.lo), (right, top)],
                        color.filled(),
                    )))
                    .map_err(draw_err)?;
                // Identical repetitions have no spread worth a whisker.
                if stat.count > 1 && stat.max > stat.min {
                    draw_whisker(
                        &mut chart,
                        &axis,
                        stat,
                        x0 + bar_width / 2.0,
                        bar_width * 0.3,
                    )?;
                }
            }
        }
        let centers: Vec<(i32, i32)> = (0..self.groups.len())
            .map(|g| chart.backend_coord(&(g as f64 + 0.5, axis.lo)))
            .collect();
        labels.draw(root, &self.groups, &centers)
    }
}

type BarChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<TickedRange, TickedRange>>;

fn draw_whisker<DB: DrawingBackend>(
    chart: &mut BarChart<'_, DB>,
    axis: &ValueAxis,
    stat: &Spread,
    x: f64,
    cap_width: f64,
) -> Result<(), DrawError> {
    let (Some(low), Some(high)) = (axis.to_axis(stat.min), axis.to_axis(stat.max)) else {
        return Ok(());
    };
    let style = BLACK.stroke_width(2);
    let half = cap_width / 2.0;
    let lines = [
        vec![(x, low), (x, high)],
        vec![(x - half, low), (x + half, low)],
        vec![(x - half, high), (x + half, high)],
    ];
    chart
        .draw_series(
            lines
                .into_iter()
                .map(|points| PathElement::new(points, style)),
        )
        .map_err(draw_err)?;
    Ok(())
}

/// Category labels under the x axis: horizontal when they fit their slot,
/// otherwise rotated to read bottom to top.
struct XLabels {
    rotated: bool,
    /// Height the labels need below the axis, pixels.
    area_px: u32,
}

impl XLabels {
    fn layout(labels: &[String], plot_width_px: u32) -> XLabels {
        let widest_px = labels
            .iter()
            .map(|l| text_width_px(l, TICK_PX))
            .max()
            .unwrap_or(0);
        let slot_px = plot_width_px / u32::try_from(labels.len().max(1)).unwrap_or(u32::MAX);
        let rotated = widest_px + 10 > slot_px;
        let area_px = if rotated {
            widest_px + 18
        } else {
            TICK_PX + 16
        };
        XLabels { rotated, area_px }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        labels: &[String],
        centers: &[(i32, i32)],
    ) -> Result<(), DrawError> {
        for (label, &(x, y)) in labels.iter().zip(centers) {
            let (style, position) = if self.rotated {
                // Rotate270 turns the text about its anchor: anchoring the
                // text's right end puts the end just under the axis.
                (
                    text(TICK_PX)
                        .transform(FontTransform::Rotate270)
                        .pos(Pos::new(HPos::Right, VPos::Center)),
                    (x, y + 8),
                )
            } else {
                (
                    text(TICK_PX).pos(Pos::new(HPos::Center, VPos::Top)),
                    (x, y + 8),
                )
            };
            root.draw_text(label, &style, position).map_err(draw_err)?;
        }
        Ok(())
    }
}
