//! Every chart of the harness, in one style (`style.rs`: one font, one
//! palette, one SVG + PNG render path). Charts read data, never measure.
//!
//! `strata plot` draws from a results CSV: `throughput`,
//! `latency_<benchmark>` (one per benchmark with latency columns),
//! `amplification_{write,read,space}` (when present), `timeline_<n>_<benchmark>`
//! (throughput over time from `<results stem>.intervals.csv`, when it
//! exists), each as `.svg` and `.png`, plus `index.md` and `index.html`. `strata sim` draws
//! [`sim::draw_amplification`], `strata reproduce` [`ratios::draw_ratios`].

mod amplification;
mod axis;
pub(crate) mod bars;
pub(crate) mod data;
pub(crate) mod index_page;
mod latency;
pub(crate) mod legend;
pub mod ratios;
pub mod sim;
pub(crate) mod style;
mod throughput;
pub(crate) mod timeline;

use crate::error::HarnessError;
use index_page::ChartRef;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use data::read_rows;

/// Draws every chart for the rows in `csv_path` into `out_dir` (created),
/// plus an index page. Returns the files written.
///
/// # Errors
/// [`HarnessError::Io`] when the CSV cannot be read, `out_dir` cannot be
/// created or a page cannot be written; [`HarnessError::Input`] when the
/// CSV is malformed or has no rows; [`HarnessError::Chart`] when a chart
/// cannot be drawn.
pub fn plot_results(csv_path: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, HarnessError> {
    let rows = data::load_csv(csv_path)?;
    let data = data::Dataset::from_rows(&rows)
        .ok_or_else(|| HarnessError::input(csv_path, "no result rows to plot"))?;
    std::fs::create_dir_all(out_dir).map_err(|e| HarnessError::io("create", out_dir, e))?;
    let mut written = Vec::new();
    let mut charts = Vec::new();
    if let Some(chart) = throughput::chart(&data) {
        written.extend(style::render_svg_and_png(&chart, out_dir, "throughput")?);
        charts.push(ChartRef {
            title: "Throughput per benchmark (ops/s)".to_string(),
            stem: "throughput".to_string(),
        });
    }
    let mut stems = BTreeSet::new();
    for chart in latency::charts(&data) {
        let stem = unique_stem(
            &mut stems,
            &format!("latency_{}", file_safe(&chart.benchmark)),
        );
        written.extend(style::render_svg_and_png(&chart, out_dir, &stem)?);
        charts.push(ChartRef {
            title: format!("Latency percentiles: {}", chart.benchmark),
            stem,
        });
    }
    for kind in &amplification::KINDS {
        if let Some(chart) = amplification::chart(&data, kind) {
            written.extend(style::render_svg_and_png(&chart, out_dir, kind.stem)?);
            charts.push(ChartRef {
                title: chart.title.clone(),
                stem: kind.stem.to_string(),
            });
        }
    }
    let series = crate::report::intervals_path(csv_path);
    if series.exists() {
        for chart in timeline::charts(&timeline::read(&series)?) {
            let stem = unique_stem(
                &mut stems,
                &format!(
                    "timeline_{}_{}",
                    chart.position + 1,
                    file_safe(&chart.benchmark)
                ),
            );
            written.extend(style::render_svg_and_png(&chart, out_dir, &stem)?);
            charts.push(ChartRef {
                title: format!(
                    "Throughput over time: {} (#{})",
                    chart.benchmark,
                    chart.position + 1
                ),
                stem,
            });
        }
    }
    for (name, page) in [
        ("index.md", index_page::markdown(&data, &charts)),
        ("index.html", index_page::html(&data, &charts)),
    ] {
        let path = out_dir.join(name);
        std::fs::write(&path, page).map_err(|e| HarnessError::io("write", &path, e))?;
        written.push(path);
    }
    Ok(written)
}

/// A benchmark name as a file-name part: letters, digits, `_` and `-`.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `stem`, or `stem-2`, `stem-3`, … if taken (file_safe can merge names).
fn unique_stem(taken: &mut BTreeSet<String>, stem: &str) -> String {
    let mut candidate = stem.to_string();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{stem}-{n}");
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests;
