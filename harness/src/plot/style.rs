//! The look shared by every chart: the embedded font, the palette, sizes,
//! number formatting, and the one function that renders a chart as both SVG
//! and PNG.

use crate::error::HarnessError;
use plotters::chart::{MeshStyle, SeriesLabelStyle};
use plotters::coord::ranged1d::Ranged;
use plotters::coord::CoordTranslate;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE-DejaVu.txt`).
/// Shipped because `ab_glyph` never looks at system fonts: without a
/// registered font every text draw fails.
const FONT_TTF: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// The family name charts ask for; registered with the embedded font.
pub const FONT_FAMILY: &str = "sans-serif";

/// Default chart size in pixels (width, height).
pub const CHART_SIZE_PX: (u32, u32) = (1200, 700);
/// Chart title size in pixels.
pub const TITLE_PX: u32 = 26;
/// Subtitle (what the marks mean) size in pixels.
pub const SUBTITLE_PX: u32 = 16;
/// Axis description size in pixels.
pub const AXIS_DESC_PX: u32 = 18;
/// Tick label size in pixels.
pub const TICK_PX: u32 = 15;
/// Legend entry size in pixels.
pub const LEGEND_PX: u32 = 15;
/// Height of the title strip above the plot, pixels.
pub const HEADER_PX: u32 = 72;

/// Colour-blind-safe categorical palette (Okabe–Ito, then a few more);
/// engines beyond its length cycle through it again, darker then lighter,
/// and lines also change marker shape.
const PALETTE_RGB: &[(u8, u8, u8)] = &[
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (240, 228, 66),
    (0, 0, 0),
    (127, 60, 141),
    (140, 86, 75),
];

/// Why a chart could not be drawn, before the file it was for is known:
/// the drawing backend's message. [`render_svg_and_png`] turns it into
/// [`HarnessError::Chart`] with the file's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawError(String);

impl DrawError {
    /// A drawing error saying `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        DrawError(reason.into())
    }
}

impl fmt::Display for DrawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Registers the embedded font once per process.
///
/// # Errors
/// When the embedded bytes are not a font `ab_glyph` can parse.
pub fn ensure_font() -> Result<(), DrawError> {
    static REGISTERED: OnceLock<Result<(), DrawError>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT_FAMILY, FontStyle::Normal, FONT_TTF).map_err(|_| {
                DrawError::new("embedded chart font DejaVuSans.ttf is not a valid font")
            })
        })
        .clone()
}

/// The colour of series `index`: the palette, then the palette darkened,
/// then lightened, then again from the start.
pub fn series_color(index: usize) -> RGBColor {
    let (r, g, b) = PALETTE_RGB[index % PALETTE_RGB.len()];
    let shade = |c: u8| match palette_cycle(index) % 3 {
        0 => c,
        1 => c / 2,
        // Halfway to white; the sum of two u8 halves fits a u8.
        _ => c / 2 + 128,
    };
    RGBColor(shade(r), shade(g), shade(b))
}

/// How many times the palette has wrapped at series `index` (0 for the
/// first cycle); lines use it to pick a distinct marker shape.
pub fn palette_cycle(index: usize) -> usize {
    index / PALETTE_RGB.len()
}

/// A text style of the embedded font at `size_px`.
pub fn text(size_px: u32) -> TextStyle<'static> {
    (FONT_FAMILY, size_px).into_font().color(&BLACK)
}

/// Width in pixels of `label` set at `size_px`, as every backend lays it
/// out (the embedded font's advances). Falls back to an average glyph
/// width if the font cannot measure (it always can once registered).
pub fn text_width_px(label: &str, size_px: u32) -> u32 {
    let measured = ensure_font()
        .ok()
        .and_then(|()| (FONT_FAMILY, size_px).into_font().box_size(label).ok());
    measured.map_or_else(
        || {
            u32::try_from(label.chars().count())
                .unwrap_or(u32::MAX / 2)
                .saturating_mul(size_px)
                * 3
                / 5
        },
        |(width, _)| width,
    )
}

/// Formats a positive quantity compactly for tick labels: `950`, `1.2k`,
/// `35k`, `4.1M`, `0.25`.
pub fn compact_number(value: f64) -> String {
    let magnitude = value.abs();
    let (scaled, suffix) = if magnitude >= 1e9 {
        (value / 1e9, "G")
    } else if magnitude >= 1e6 {
        (value / 1e6, "M")
    } else if magnitude >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let digits = if scaled.abs() >= 100.0 || scaled == scaled.trunc() {
        0
    } else if scaled.abs() >= 10.0 {
        1
    } else if scaled.abs() >= 0.1 {
        2
    } else {
        3
    };
    let text = format!("{scaled:.digits$}");
    // `{:.2}` of 1.50 is "1.50": drop zeros that carry no information.
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{suffix}")
}

/// Something that draws itself on any plotters backend.
pub trait Chart {
    /// Canvas size in pixels (width, height).
    fn size_px(&self) -> (u32, u32);
    /// Draws the whole chart on `root`.
    ///
    /// # Errors
    /// Any drawing error.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), DrawError>;
}

/// Grey of the major grid lines.
const GRID_RGB: RGBColor = RGBColor(225, 225, 225);

/// Gives a chart's mesh the common look: tick labels at [`TICK_PX`] and
/// axis descriptions at [`AXIS_DESC_PX`] in the embedded font, light grey
/// major grid lines and no minor ones. Returns `mesh` for `.draw()`.
pub fn style_mesh<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    let (tick, axis_desc): (TextStyle<'b>, TextStyle<'b>) = (text(TICK_PX), text(AXIS_DESC_PX));
    mesh.label_style(tick)
        .axis_desc_style(axis_desc)
        .light_line_style(WHITE)
        .bold_line_style(GRID_RGB)
}

/// Gives a chart's series legend the common look: entries at
/// [`LEGEND_PX`] in the embedded font on a mostly opaque white box with a
/// black border. Returns `legend` for `.draw()`.
pub fn style_legend<'m, 'a, 'b, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    legend: &'m mut SeriesLabelStyle<'a, 'b, DB, CT>,
) -> &'m mut SeriesLabelStyle<'a, 'b, DB, CT> {
    legend
        .label_font(text(LEGEND_PX))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
}

/// Draws the title and, below it, the subtitle saying what the marks mean.
///
/// # Errors
/// Any drawing error.
pub fn draw_header<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    subtitle: &str,
) -> Result<(), DrawError> {
    area.draw_text(title, &text(TITLE_PX), (20, 12))
        .map_err(draw_err)?;
    area.draw_text(
        subtitle,
        &text(SUBTITLE_PX).color(&RGBColor(80, 80, 80)),
        (20, 46),
    )
    .map_err(draw_err)?;
    Ok(())
}

/// Turns a plotters error into a [`DrawError`].
pub fn draw_err<E: fmt::Display>(error: E) -> DrawError {
    DrawError(format!("drawing failed: {error}"))
}

/// Renders `chart` to `<out_dir>/<stem>.svg` and `<out_dir>/<stem>.png`:
/// the one way every chart of the harness becomes files.
///
/// # Errors
/// [`HarnessError::Chart`] naming the file, for drawing errors and I/O
/// errors writing either file.
pub fn render_svg_and_png(
    chart: &impl Chart,
    out_dir: &Path,
    stem: &str,
) -> Result<Vec<PathBuf>, HarnessError> {
    let size = chart.size_px();
    let svg_path = out_dir.join(format!("{stem}.svg"));
    render(chart, &SVGBackend::new(&svg_path, size).into_drawing_area())
        .map_err(|e| HarnessError::chart(&svg_path, e))?;
    let png_path = out_dir.join(format!("{stem}.png"));
    render(
        chart,
        &BitMapBackend::new(&png_path, size).into_drawing_area(),
    )
    .map_err(|e| HarnessError::chart(&png_path, e))?;
    Ok(vec![svg_path, png_path])
}

/// Draws `chart` on a white `root` and writes it out.
pub(crate) fn render<DB: DrawingBackend>(
    chart: &impl Chart,
    root: &DrawingArea<DB, plotters::coord::Shift>,
) -> Result<(), DrawError> {
    ensure_font()?;
    root.fill(&WHITE).map_err(draw_err)?;
    chart.draw(root)?;
    root.present()
        .map_err(|e| DrawError(format!("cannot write: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_numbers_are_short_and_exact_enough() {
        assert_eq!(compact_number(950.0), "950");
        assert_eq!(compact_number(1_200.0), "1.2k");
        assert_eq!(compact_number(35_000.0), "35k");
        assert_eq!(compact_number(4_100_000.0), "4.1M");
        assert_eq!(compact_number(0.25), "0.25");
        assert_eq!(compact_number(1.5), "1.5");
        assert_eq!(compact_number(12.34), "12.3");
        assert_eq!(compact_number(0.0123), "0.012");
    }

    #[test]
    fn palette_cycles() {
        let len = PALETTE_RGB.len();
        assert_eq!(series_color(0), series_color(3 * len));
        assert_ne!(series_color(0), series_color(1));
        assert_ne!(series_color(0), series_color(len), "second cycle is darker");
        assert_ne!(
            series_color(len),
            series_color(2 * len),
            "third cycle is lighter"
        );
        assert_eq!(palette_cycle(PALETTE_RGB.len() - 1), 0);
        assert_eq!(palette_cycle(PALETTE_RGB.len()), 1);
    }

    #[test]
    fn embedded_font_registers_and_measures() {
        ensure_font().expect("embedded font parses");
        let short = text_width_px("ab", 15);
        let long = text_width_px("abababab", 15);
        assert!(short > 5 && long > 3 * short, "{short} {long}");
    }
}
