//! The compaction simulator's chart: write, space and read amplification
//! against flushes, one panel each, one line per policy, in the common
//! style (`amplification.svg` and `amplification.png`).

use super::style::{
    draw_err, draw_header, render_svg_and_png, series_color, style_legend, style_mesh, text, Chart,
    DrawError, HEADER_PX,
};
use crate::error::HarnessError;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use strata_lsm::compaction::sim::{SimConfig, SimSample};

/// Chart size in pixels: three panels stacked.
const SIZE_PX: (u32, u32) = (1200, 1260);
/// Panel title size in pixels.
const PANEL_TITLE_PX: u32 = 22;

/// One policy's line: its label and its samples over time.
#[derive(Debug, Clone, Copy)]
pub struct PolicySeries<'a> {
    /// The policy's label (`NAME` or `NAME:KEY=VALUE,...`).
    pub policy: &'a str,
    /// Its samples, in flush order.
    pub samples: &'a [SimSample],
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

/// The three panels, ready to draw.
struct AmplificationChart<'a> {
    series: &'a [PolicySeries<'a>],
    config: &'a SimConfig,
}

impl Chart for AmplificationChart<'_> {
    fn size_px(&self) -> (u32, u32) {
        SIZE_PX
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let c = self.config;
        let subtitle = format!(
            "Simulated: {} flushes of {} bytes, {}-byte entries over {} keys (uniform); no disk.",
            c.flushes, c.flush_bytes, c.entry_bytes, c.key_space
        );
        let (header, body) = root.split_vertically(HEADER_PX);
        draw_header(
            &header,
            "Compaction policies: amplification against flushes",
            &subtitle,
        )?;
        let max_flush = self
            .series
            .iter()
            .flat_map(|s| s.samples.iter().map(|sample| sample.flush))
            .max()
            .unwrap_or(1);
        for (area, panel) in body.split_evenly((3, 1)).iter().zip(PANELS.iter()) {
            draw_panel(area, panel, self.series, max_flush)?;
        }
        Ok(())
    }
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    series: &[PolicySeries<'_>],
    max_flush: u64,
) -> Result<(), DrawError> {
    let y_max = series
        .iter()
        .flat_map(|s| s.samples.iter().map(panel.value))
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, text(PANEL_TITLE_PX))
        .margin(12)
        .margin_right(40)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0u64..max_flush.max(1), 0.0..y_max)
        .map_err(draw_err)?;
    style_mesh(
        chart
            .configure_mesh()
            .x_desc("flushes")
            .y_desc(panel.y_desc),
    )
    .draw()
    .map_err(draw_err)?;
    for (i, line) in series.iter().enumerate() {
        let color = series_color(i);
        let points = line.samples.iter().map(|s| (s.flush, (panel.value)(s)));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(3)))
            .map_err(draw_err)?
            .label(line.policy)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
    }
    style_legend(
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft),
    )
    .draw()
    .map_err(draw_err)
}

/// Draws `amplification.svg` and `amplification.png` into `dir` (which
/// must exist); returns the files.
///
/// # Errors
/// [`HarnessError::Chart`] naming the file that could not be drawn or
/// written.
pub fn draw_amplification(
    series: &[PolicySeries<'_>],
    config: &SimConfig,
    dir: &Path,
) -> Result<Vec<PathBuf>, HarnessError> {
    render_svg_and_png(&AmplificationChart { series, config }, dir, "amplification")
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_lsm::compaction::sim::simulate;
    use strata_lsm::compaction::CompactionKind;

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
        let runs: Vec<(&str, Vec<SimSample>)> = CompactionKind::ALL
            .iter()
            .map(|k| {
                let samples = simulate(k.create().as_ref(), &config).expect("simulate");
                (k.name(), samples)
            })
            .collect();
        let series: Vec<PolicySeries<'_>> = runs
            .iter()
            .map(|(policy, samples)| PolicySeries { policy, samples })
            .collect();
        let files = draw_amplification(&series, &config, dir.path()).expect("draw");
        assert_eq!(files.len(), 2);
        for f in files {
            let bytes = std::fs::metadata(&f).expect("written").len();
            assert!(bytes > 1000, "{} is {bytes} bytes", f.display());
        }
        let svg = std::fs::read_to_string(dir.path().join("amplification.svg")).expect("svg");
        assert!(svg.contains("lazy_leveled") && svg.contains("Write amplification"));
    }

    #[test]
    fn a_missing_folder_names_the_chart_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("no-such-dir");
        let config = SimConfig {
            flushes: 2,
            flush_bytes: 1000,
            entry_bytes: 100,
            key_space: 100,
            max_file_size: 1000,
            level_base_bytes: 10_000,
            sample_every: 1,
        };
        let error = draw_amplification(&[], &config, &missing).expect_err("no folder");
        assert!(
            matches!(&error, HarnessError::Chart { path, .. }
                if path.starts_with(&missing) && path.ends_with("amplification.svg")),
            "{error}"
        );
    }
}
