//! The ratios chart: per benchmark, the published Zig/LevelDB ratio beside
//! the strata/LevelDB ratio measured here, as grouped bars with a line at
//! 1.0 (as fast as LevelDB). SVG and PNG.

use super::table::ComparisonRow;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The harness's chart font (plotters' `ab_glyph` sees no system fonts).
const FONT_TTF: &[u8] = include_bytes!("../plot/fonts/DejaVuSans.ttf");
const FONT_FAMILY: &str = "sans-serif";
const SIZE_PX: (u32, u32) = (1200, 720);
/// Above this max/min spread of the ratios the axis turns logarithmic.
const LOG_SPAN: f64 = 10.0;
const PUBLISHED_COLOR: RGBColor = RGBColor(230, 159, 0);
const MEASURED_COLOR: RGBColor = RGBColor(0, 114, 178);

fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT_FAMILY, FontStyle::Normal, FONT_TTF)
                .map_err(|_| "embedded chart font is not a valid font".to_string())
        })
        .clone()
}

fn font(size_px: u32) -> TextStyle<'static> {
    (FONT_FAMILY, size_px).into_font().color(&BLACK)
}

fn draw_err<E: std::fmt::Display>(e: E) -> String {
    format!("drawing the ratios chart: {e}")
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
    /// An axis for the ratios of `rows`, `None` when there is none.
    fn fit(rows: &[ComparisonRow]) -> Option<Axis> {
        let ratios: Vec<f64> = rows
            .iter()
            .flat_map(|r| [r.published_ratio(), r.measured_ratio()])
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

/// Draws `<dir>/ratios.svg` and `<dir>/ratios.png`; returns their paths.
///
/// # Errors
/// No ratio to draw, a drawing error, or a file that cannot be written.
pub fn draw_ratios(rows: &[ComparisonRow], dir: &Path) -> Result<Vec<PathBuf>, String> {
    ensure_font()?;
    let svg = dir.join("ratios.svg");
    let png = dir.join("ratios.png");
    draw_on(&SVGBackend::new(&svg, SIZE_PX).into_drawing_area(), rows)?;
    draw_on(&BitMapBackend::new(&png, SIZE_PX).into_drawing_area(), rows)?;
    Ok(vec![svg, png])
}

fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: &[ComparisonRow],
) -> Result<(), String> {
    let axis = Axis::fit(rows).ok_or("no ratio to draw")?;
    root.fill(&WHITE).map_err(draw_err)?;
    let mut chart = ChartBuilder::on(root)
        .caption(
            "Speed against LevelDB 1.23: Zig port (published) and strata (measured here)",
            font(24),
        )
        .margin(16)
        .x_label_area_size(150)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..rows.len() as f64, axis.lo..axis.hi)
        .map_err(draw_err)?;
    let y_desc = if axis.log {
        "micros/op ÷ LevelDB's micros/op (×, log scale; below 1 is faster)"
    } else {
        "micros/op ÷ LevelDB's micros/op (×; below 1 is faster)"
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_label_formatter(&|v| axis.label(*v))
        .y_desc(y_desc)
        .label_style(font(14))
        .axis_desc_style(font(16))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .map_err(draw_err)?;
    let base = axis.base();
    let series = [
        ("published: Zig port / LevelDB", PUBLISHED_COLOR, 0.12),
        (
            "measured here: strata / LevelDB (medians)",
            MEASURED_COLOR,
            0.5,
        ),
    ];
    for (index, (label, color, offset)) in series.into_iter().enumerate() {
        let bars = rows.iter().enumerate().filter_map(move |(g, row)| {
            let value = if index == 0 {
                row.published_ratio()
            } else {
                row.measured_ratio()
            }?;
            let left = g as f64 + offset;
            Some(Rectangle::new(
                [(left, base), (left + 0.38, axis.to_axis(value))],
                color.filled(),
            ))
        });
        chart
            .draw_series(bars)
            .map_err(draw_err)?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    let end = rows.len() as f64;
    let one = axis.to_axis(1.0);
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, one), (end, one)],
            BLACK.stroke_width(2),
        )))
        .map_err(draw_err)?
        .label("1.0: as fast as LevelDB")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], BLACK.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(font(14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(draw_err)?;
    // Category labels, rotated to read bottom to top under each group.
    for (g, row) in rows.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(g as f64 + 0.5, axis.lo));
        let style = font(14)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Right, VPos::Center));
        let label = format!("{} {}", row.position + 1, row.benchmark);
        root.draw_text(&label, &style, (x, y + 8))
            .map_err(draw_err)?;
    }
    let (x, y) = chart.backend_coord(&(end / 2.0, axis.lo));
    root.draw_text(
        "benchmark (position in db_bench's list)",
        &font(16).pos(Pos::new(HPos::Center, VPos::Top)),
        (x, y + 118),
    )
    .map_err(draw_err)?;
    root.present().map_err(draw_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reproduce::stats::Spread;

    fn row(published: (f64, f64), measured: (f64, f64)) -> ComparisonRow {
        let at = |v: f64| {
            Some(Spread {
                median: v,
                min: v,
                max: v,
            })
        };
        ComparisonRow {
            position: 0,
            benchmark: "fillseq".to_string(),
            published_leveldb_us: Some(published.0),
            published_zig_us: Some(published.1),
            leveldb_us: at(measured.0),
            strata_us: at(measured.1),
        }
    }

    #[test]
    fn axis_turns_log_only_for_a_wide_spread() {
        let narrow = Axis::fit(&[row((2.0, 1.0), (1.0, 3.0))]).expect("ratios");
        assert!(!narrow.log);
        assert_eq!((narrow.lo, narrow.base()), (0.0, 0.0));
        assert!(narrow.hi > 3.0 && narrow.to_axis(3.0) == 3.0);
        let wide = Axis::fit(&[row((4000.0, 23.0), (1.0, 8.0))]).expect("ratios");
        assert!(wide.log);
        assert_eq!(wide.to_axis(1.0), 0.0, "bars start at 1.0");
        assert!(wide.lo < wide.to_axis(23.0 / 4000.0) && wide.hi > wide.to_axis(8.0));
        assert_eq!(wide.label(1.0), "10");
        assert_eq!(wide.label(-1.0), "0.10");
        let none = ComparisonRow {
            published_zig_us: None,
            strata_us: None,
            ..row((1.0, 1.0), (1.0, 1.0))
        };
        assert!(Axis::fit(&[none]).is_none());
    }

    #[test]
    fn chart_files_are_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = draw_ratios(&[row((2.0, 1.0), (1.0, 3.0))], dir.path()).expect("draws");
        assert_eq!(files.len(), 2);
        for file in files {
            let bytes = std::fs::metadata(&file).expect("written").len();
            assert!(bytes > 1000, "{}: {bytes}", file.display());
        }
    }
}
