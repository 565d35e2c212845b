//! The simulator's chart: write, space and read amplification against
//! flushes, one panel each, one line per policy, as SVG and PNG.

use super::PolicyRun;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use strata_lsm::compaction::sim::{SimConfig, SimSample};

/// The embedded font of `strata plot` (`plot/fonts`, Bitstream Vera
/// licence): plotters' text backend never reads system fonts.
const FONT_TTF: &[u8] = include_bytes!("../plot/fonts/DejaVuSans.ttf");
/// The family `strata plot` registers the font under.
const FONT_FAMILY: &str = "sans-serif";
/// Chart size in pixels.
const SIZE_PX: (u32, u32) = (1200, 1200);
/// Okabe–Ito colours (colour-blind safe); policies beyond them cycle.
const PALETTE_RGB: &[(u8, u8, u8)] = &[
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (213, 94, 0),
    (86, 180, 233),
    (0, 0, 0),
];

fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT_FAMILY, FontStyle::Normal, FONT_TTF)
                .map_err(|_| "embedded chart font DejaVuSans.ttf is not a valid font".to_string())
        })
        .clone()
}

fn color(index: usize) -> RGBColor {
    let (r, g, b) = PALETTE_RGB[index % PALETTE_RGB.len()];
    RGBColor(r, g, b)
}

fn draw_err<E: std::fmt::Display>(e: E) -> String {
    format!("drawing failed: {e}")
}

/// One panel: a measure and its axis text.
struct Panel {
    title: &'static str,
    y_desc: &'static str,
    value: fn(&SimSample) -> f64,
}

const PANELS: [Panel; 3] = [
    Panel {
        title: "Write amplification — lower is better",
        y_desc: "bytes written / user bytes (×)",
        value: SimSample::write_amp,
    },
    Panel {
        title: "Space amplification — lower is better",
        y_desc: "tree bytes / live bytes (×)",
        value: SimSample::space_amp,
    },
    Panel {
        title: "Read amplification — lower is better",
        y_desc: "sorted runs a lookup may probe",
        value: |s| s.read_amp() as f64,
    },
];

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    runs: &[PolicyRun],
    max_flush: u64,
) -> Result<(), String> {
    let y_max = runs
        .iter()
        .flat_map(|r| r.samples.iter().map(panel.value))
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, (FONT_FAMILY, 22))
        .margin(12)
        .margin_right(40)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0u64..max_flush.max(1), 0.0..y_max)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc("flushes")
        .y_desc(panel.y_desc)
        .label_style((FONT_FAMILY, 15))
        .axis_desc_style((FONT_FAMILY, 17))
        .draw()
        .map_err(draw_err)?;
    for (i, run) in runs.iter().enumerate() {
        let c = color(i);
        let points = run.samples.iter().map(|s| (s.flush, (panel.value)(s)));
        chart
            .draw_series(LineSeries::new(points, c.stroke_width(3)))
            .map_err(draw_err)?
            .label(run.policy.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT_FAMILY, 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(draw_err)
}

fn draw_all<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    runs: &[PolicyRun],
    config: &SimConfig,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(draw_err)?;
    let subtitle = format!(
        "Simulated: {} flushes of {} bytes, {}-byte entries over {} keys (uniform); no disk.",
        config.flushes, config.flush_bytes, config.entry_bytes, config.key_space
    );
    let root = root
        .titled(&subtitle, (FONT_FAMILY, 18))
        .map_err(draw_err)?;
    let max_flush = runs
        .iter()
        .flat_map(|r| r.samples.iter().map(|s| s.flush))
        .max()
        .unwrap_or(1);
    for (area, panel) in root.split_evenly((3, 1)).iter().zip(PANELS.iter()) {
        draw_panel(area, panel, runs, max_flush)?;
    }
    root.present().map_err(draw_err)
}

/// Draws `amplification.svg` and `amplification.png` into `dir`; returns
/// the files.
///
/// # Errors
/// Drawing or I/O errors, as one line.
pub fn draw(runs: &[PolicyRun], config: &SimConfig, dir: &Path) -> Result<Vec<PathBuf>, String> {
    ensure_font()?;
    let svg = dir.join("amplification.svg");
    draw_all(
        &SVGBackend::new(&svg, SIZE_PX).into_drawing_area(),
        runs,
        config,
    )
    .map_err(|e| format!("{}: {e}", svg.display()))?;
    let png = dir.join("amplification.png");
    draw_all(
        &BitMapBackend::new(&png, SIZE_PX).into_drawing_area(),
        runs,
        config,
    )
    .map_err(|e| format!("{}: {e}", png.display()))?;
    Ok(vec![svg, png])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_files_are_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = SimConfig {
            flushes: 20,
            flush_bytes: 64 << 10,
            entry_bytes: 100,
            key_space: 10_000,
            max_file_size: 32 << 10,
            level_base_bytes: 256 << 10,
            sample_every: 5,
        };
        let runs: Vec<PolicyRun> = strata_lsm::compaction::CompactionKind::ALL
            .iter()
            .map(|k| PolicyRun {
                policy: k.name().to_string(),
                samples: strata_lsm::compaction::sim::simulate(k.create().as_ref(), &config)
                    .expect("simulate"),
            })
            .collect();
        let files = draw(&runs, &config, dir.path()).expect("draw");
        assert_eq!(files.len(), 2);
        for f in files {
            let bytes = std::fs::metadata(&f).expect("written").len();
            assert!(bytes > 1000, "{} is {bytes} bytes", f.display());
        }
        let svg = std::fs::read_to_string(dir.path().join("amplification.svg")).expect("svg");
        assert!(svg.contains("lazy_leveled") && svg.contains("Write amplification"));
    }
}
