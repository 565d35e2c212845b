//! The ratios chart of `strata reproduce`: per benchmark, the published
//! ratio (the Zig port / LevelDB) beside the one measured here (strata /
//! LevelDB), as grouped bars with a line at 1.0 (as fast as LevelDB), in
//! the common style (`ratios.svg` and `ratios.png`).

use super::style::{
    draw_err, render_svg_and_png, series_color, style_legend, style_mesh, text, Chart, DrawError,
    AXIS_DESC_PX, CHART_SIZE_PX, TICK_PX, TITLE_PX,
};
use crate::error::HarnessError;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

/// Above this max/min spread of the ratios the axis turns logarithmic.
const LOG_SPAN: f64 = 10.0;
/// Room under the plot for the rotated benchmark names.
const X_LABEL_AREA_PX: u32 = 150;

/// One benchmark's pair of bars.
#[derive(Debug, Clone, PartialEq)]
pub struct RatioBar {
    /// 0-based position of the benchmark in the list (labels show it
    /// 1-based: names repeat).
    pub position: usize,
    /// The benchmark's name.
    pub benchmark: String,
    /// The published ratio; `None` leaves its bar out.
    pub published: Option<f64>,
    /// The ratio measured here; `None` leaves its bar out.
    pub measured: Option<f64>,
}

impl RatioBar {
    fn values(&self) -> [Option<f64>; 2] {
        [self.published, self.measured]
    }
}

/// The value axis: linear from zero, or log10 of the ratio drawn on a
/// linear coordinate (bars then start at 1.0 and point up or down).
#[derive(Debug, Clone, Copy)]
struct Axis {
    log: bool,
    /// Lower end, axis units.
    lo: f64,
    /// Upper end, axis units.
    hi: f64,
}

impl Axis {
    /// An axis for the ratios of `bars`, `None` when there is none.
    fn fit(bars: &[RatioBar]) -> Option<Axis> {
        let ratios: Vec<f64> = bars
            .iter()
            .flat_map(RatioBar::values)
            .flatten()
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        if ratios.is_empty() {
            return None;
        }
        let lo = ratios.iter().copied().fold(1.0, f64::min);
        let hi = ratios.iter().copied().fold(1.0, f64::max);
        Some(if hi / lo > LOG_SPAN {
            Axis {
                log: true,
                lo: (lo / 1.5).log10(),
                hi: (hi * 1.5).log10(),
            }
        } else {
            Axis {
                log: false,
                lo: 0.0,
                hi: hi * 1.1,
            }
        })
    }

    /// `ratio` in axis units.
    fn to_axis(self, ratio: f64) -> f64 {
        if self.log {
            ratio.log10()
        } else {
            ratio
        }
    }

    /// Where bars start: 1.0 on a log axis, 0 on a linear one.
    fn base(self) -> f64 {
        if self.log {
            0.0
        } else {
            self.lo
        }
    }

    fn label(self, axis_value: f64) -> String {
        let v = if self.log {
            10f64.powf(axis_value)
        } else {
            axis_value
        };
        if v >= 10.0 {
            format!("{v:.0}")
        } else if v >= 0.1 {
            format!("{v:.2}")
        } else {
            format!("{v:.3}")
        }
    }
}

/// The chart, with its axis fitted.
struct RatioChart<'a> {
    bars: &'a [RatioBar],
    axis: Axis,
}

impl Chart for RatioChart<'_> {
    fn size_px(&self) -> (u32, u32) {
        CHART_SIZE_PX
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let (bars, axis) = (self.bars, self.axis);
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Speed against LevelDB 1.23: Zig port (published) and strata (measured here)",
                text(TITLE_PX),
            )
            .margin(16)
            .x_label_area_size(X_LABEL_AREA_PX)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..bars.len() as f64, axis.lo..axis.hi)
            .map_err(draw_err)?;
        let y_desc = if axis.log {
            "micros/op ÷ LevelDB's micros/op (×, log scale; below 1 is faster)"
        } else {
            "micros/op ÷ LevelDB's micros/op (×; below 1 is faster)"
        };
        style_mesh(
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(0)
                .y_label_formatter(&|v| axis.label(*v))
                .y_desc(y_desc),
        )
        .draw()
        .map_err(draw_err)?;
        let base = axis.base();
        // Measured here takes the palette's first colour, as the first
        // engine does in every other chart.
        let series = [
            ("published: Zig port / LevelDB", series_color(1), 0.12),
            (
                "measured here: strata / LevelDB (medians)",
                series_color(0),
                0.5,
            ),
        ];
        for (index, (label, color, offset)) in series.into_iter().enumerate() {
            let rects = bars.iter().enumerate().filter_map(move |(g, bar)| {
                let value = bar.values()[index]?;
                let left = g as f64 + offset;
                Some(Rectangle::new(
                    [(left, base), (left + 0.38, axis.to_axis(value))],
                    color.filled(),
                ))
            });
            chart
                .draw_series(rects)
                .map_err(draw_err)?
                .label(label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled())
                });
        }
        let end = bars.len() as f64;
        let one = axis.to_axis(1.0);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, one), (end, one)],
                BLACK.stroke_width(2),
            )))
            .map_err(draw_err)?
            .label("1.0: as fast as LevelDB")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], BLACK.stroke_width(2)));
        style_legend(
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight),
        )
        .draw()
        .map_err(draw_err)?;
        // Category labels, rotated to read bottom to top under each group.
        for (g, bar) in bars.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(g as f64 + 0.5, axis.lo));
            let style = text(TICK_PX)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Right, VPos::Center));
            let label = format!("{} {}", bar.position + 1, bar.benchmark);
            root.draw_text(&label, &style, (x, y + 8))
                .map_err(draw_err)?;
        }
        let (x, y) = chart.backend_coord(&(end / 2.0, axis.lo));
        root.draw_text(
            "benchmark (position in db_bench's list)",
            &text(AXIS_DESC_PX).pos(Pos::new(HPos::Center, VPos::Top)),
            (x, y + 118),
        )
        .map_err(draw_err)
    }
}

/// Draws `<dir>/ratios.svg` and `<dir>/ratios.png` (`dir` must exist);
/// returns their paths.
///
/// # Errors
/// [`HarnessError::Chart`] naming `ratios.svg` when no bar has a ratio, or
/// the file that could not be drawn or written.
pub fn draw_ratios(bars: &[RatioBar], dir: &Path) -> Result<Vec<PathBuf>, HarnessError> {
    let axis = Axis::fit(bars)
        .ok_or_else(|| HarnessError::chart(dir.join("ratios.svg"), "no ratio to draw"))?;
    render_svg_and_png(&RatioChart { bars, axis }, dir, "ratios")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(published: f64, measured: f64) -> RatioBar {
        RatioBar {
            position: 0,
            benchmark: "fillseq".to_string(),
            published: Some(published),
            measured: Some(measured),
        }
    }

    #[test]
    fn axis_turns_log_only_for_a_wide_spread() {
        let narrow = Axis::fit(&[bar(0.5, 3.0)]).expect("ratios");
        assert!(!narrow.log);
        assert_eq!((narrow.lo, narrow.base()), (0.0, 0.0));
        assert!(narrow.hi > 3.0 && narrow.to_axis(3.0) == 3.0);
        let wide = Axis::fit(&[bar(23.0 / 4000.0, 8.0)]).expect("ratios");
        assert!(wide.log);
        assert_eq!(wide.to_axis(1.0), 0.0, "bars start at 1.0");
        assert!(wide.lo < wide.to_axis(23.0 / 4000.0) && wide.hi > wide.to_axis(8.0));
        assert_eq!(wide.label(1.0), "10");
        assert_eq!(wide.label(-1.0), "0.10");
        let none = RatioBar {
            published: None,
            measured: None,
            ..bar(1.0, 1.0)
        };
        assert!(Axis::fit(&[none]).is_none());
        let not_positive = RatioBar {
            published: Some(0.0),
            measured: Some(f64::NAN),
            ..bar(1.0, 1.0)
        };
        assert!(Axis::fit(&[not_positive]).is_none());
    }

    #[test]
    fn chart_files_are_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = draw_ratios(&[bar(0.5, 3.0)], dir.path()).expect("draws");
        assert_eq!(files.len(), 2);
        for file in &files {
            let bytes = std::fs::metadata(file).expect("written").len();
            assert!(bytes > 1000, "{}: {bytes}", file.display());
        }
        assert!(files[0].ends_with("ratios.svg") && files[1].ends_with("ratios.png"));
        let svg = std::fs::read_to_string(&files[0]).expect("svg");
        assert!(svg.contains("1 fillseq") && svg.contains("as fast as LevelDB"));
    }

    #[test]
    fn no_ratio_is_an_error_naming_the_chart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let none = RatioBar {
            published: None,
            measured: None,
            ..bar(1.0, 1.0)
        };
        let error = draw_ratios(&[none], dir.path()).expect_err("nothing to draw");
        assert!(error.to_string().contains("no ratio to draw"), "{error}");
        assert!(!dir.path().join("ratios.svg").exists());
    }
}
