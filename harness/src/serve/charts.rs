//! Charts as inline SVG, all drawn by [`crate::plot`] in its one style: a
//! run's charts are the SVG files `strata bench` (or `strata plot`) drew
//! into its reports folder, in the order of its `index.md`; a run without
//! them is drawn once by [`crate::plot::plot_results`] into the server's
//! own scratch folder (the given folders are never written). The compare
//! page's ratio chart is [`crate::plot::bars::GroupedBars`] drawn to a
//! string.

use super::error::PageError;
use super::paths;
use super::runs::RunSummary;
use crate::analysis::Spread;
use crate::compare::{Cell, Comparison};
use crate::plot::bars::GroupedBars;
use crate::plot::data::short_labels;
use crate::plot::legend::LegendEntry;
use crate::plot::style::{self, Chart, DrawError};
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Largest chart file inlined, bytes.
const MAX_SVG_BYTES: u64 = 16 << 20;

/// One chart for a page.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSvg {
    /// The caption.
    pub title: String,
    /// The `<svg …>…</svg>` element.
    pub svg: String,
}

/// Where a run's charts came from.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartSource {
    /// The run's reports folder.
    Reports(PathBuf),
    /// Drawn by the server from the CSV (the run has no reports folder).
    Drawn,
}

/// The server's scratch folder for charts of runs without a reports
/// folder (removed when the server stops).
#[derive(Debug)]
pub struct ChartCache {
    dir: tempfile::TempDir,
    drawing: Mutex<()>,
}

impl ChartCache {
    /// A new scratch folder.
    ///
    /// # Errors
    /// The folder cannot be created.
    pub fn new() -> std::io::Result<Self> {
        Ok(ChartCache {
            dir: tempfile::Builder::new().prefix("strata-serve-").tempdir()?,
            drawing: Mutex::new(()),
        })
    }
}

/// Every chart of `run`.
///
/// # Errors
/// 500 when the charts cannot be read or drawn.
pub fn run_charts(
    run: &RunSummary,
    cache: &ChartCache,
) -> Result<(Vec<ChartSvg>, ChartSource), PageError> {
    if let Some(dir) = &run.report_dir {
        let charts = read_charts(dir)?;
        if !charts.is_empty() {
            return Ok((charts, ChartSource::Reports(dir.clone())));
        }
    }
    let meta = std::fs::metadata(&run.csv).map_err(|e| PageError::internal(e.to_string()))?;
    let modified_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let dir = cache
        .dir
        .path()
        .join(format!("{}-{}-{modified_ns}", run.id, meta.len()));
    let _drawing = cache.drawing.lock().unwrap_or_else(|p| p.into_inner());
    if !dir.join("index.md").exists() {
        crate::plot::plot_results(&run.csv, &dir)
            .map_err(|e| PageError::internal(e.to_string()))?;
    }
    Ok((read_charts(&dir)?, ChartSource::Drawn))
}

/// The charts of a folder drawn by `plot_results`, in its `index.md`'s
/// order (every `*.svg` by name when there is no index).
fn read_charts(dir: &Path) -> Result<Vec<ChartSvg>, PageError> {
    let listed = match std::fs::read_to_string(dir.join("index.md")) {
        Ok(index) => charts_in_index(&index),
        Err(_) => {
            let mut stems: Vec<String> = std::fs::read_dir(dir)
                .map_err(|e| PageError::internal(format!("{}: {e}", dir.display())))?
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix(".svg").map(str::to_string))
                .collect();
            stems.sort();
            stems.into_iter().map(|s| (s.clone(), s)).collect()
        }
    };
    let mut charts = Vec::new();
    for (title, stem) in listed {
        if paths::plain_name("chart", &stem).is_err() {
            continue;
        }
        let Ok(path) = paths::resolve_file(dir, &format!("{stem}.svg")) else {
            continue;
        };
        let too_big = std::fs::metadata(&path).map_or(true, |m| m.len() > MAX_SVG_BYTES);
        if too_big {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| PageError::internal(format!("{}: {e}", path.display())))?;
        if let Some(svg) = inlinable(&text) {
            charts.push(ChartSvg { title, svg });
        }
    }
    Ok(charts)
}

/// `(title, stem)` of each chart of an `index.md` written by
/// `plot_results`: a `### title` heading, then `![title](stem.png)`.
fn charts_in_index(index: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut title = None;
    for line in index.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            title = Some(md_unescape(heading));
        } else if line.starts_with("![") {
            let stem = line
                .rsplit_once("](")
                .and_then(|(_, rest)| rest.strip_suffix(".png)"));
            if let (Some(stem), Some(title)) = (stem, title.take()) {
                out.push((title, stem.to_string()));
            }
        }
    }
    out
}

/// Undoes `index.md`'s backslash escapes.
fn md_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// The `<svg>` element of a chart file, if it is one that may be inlined
/// (plotters never writes scripts or foreign content; a file that has
/// them was not drawn by strata and is left out).
fn inlinable(text: &str) -> Option<String> {
    let start = text.find("<svg")?;
    let svg = text[start..].trim_end();
    let lower = svg.to_ascii_lowercase();
    let unsafe_content = [
        "<script",
        "<foreignobject",
        "javascript:",
        " onload",
        " onclick",
    ]
    .iter()
    .any(|bad| lower.contains(bad));
    (svg.ends_with("</svg>") && !unsafe_content).then(|| svg.to_string())
}

/// `chart` drawn as an SVG string, in the common style.
///
/// # Errors
/// The drawing's error.
pub fn svg_string(chart: &impl Chart) -> Result<String, DrawError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, chart.size_px()).into_drawing_area();
        style::render(chart, &root)?;
    }
    Ok(out)
}

/// The ratio chart of a comparison: per benchmark, each engine's ratio of
/// medians to the baseline as a bar, its 95 % interval as the whisker
/// where there is one. `None` when no engine but the baseline has a
/// ratio.
///
/// # Errors
/// 500 when the chart cannot be drawn.
pub fn ratio_chart(c: &Comparison) -> Result<Option<String>, PageError> {
    let mut specs: Vec<String> = Vec::new();
    for line in c.tables.iter().flat_map(|t| &t.lines) {
        if !specs.contains(&line.spec) {
            specs.push(line.spec.clone());
        }
    }
    let labels = short_labels(&specs);
    let series: Vec<LegendEntry> = specs
        .iter()
        .zip(&labels)
        .enumerate()
        .filter(|(_, (spec, _))| **spec != c.baseline)
        .map(|(index, (_, label))| LegendEntry {
            index,
            label: label.clone(),
        })
        .collect();
    if series.is_empty() {
        return Ok(None);
    }
    let values = c
        .tables
        .iter()
        .map(|t| {
            series
                .iter()
                .map(|entry| {
                    let line = t.lines.iter().find(|l| l.spec == specs[entry.index])?;
                    let ratio = line.ratio?;
                    Some(match &line.interval {
                        Cell::Interval(r) => Spread {
                            median: ratio,
                            min: r.low,
                            max: r.high,
                            count: line.repetitions,
                        },
                        _ => Spread {
                            median: ratio,
                            min: ratio,
                            max: ratio,
                            count: 1,
                        },
                    })
                })
                .collect()
        })
        .collect();
    let baseline_label = specs
        .iter()
        .position(|s| *s == c.baseline)
        .map_or(c.baseline.clone(), |i| labels[i].clone());
    let bars = GroupedBars {
        title: "Speed against the baseline — micros/op ÷ the baseline's, below 1 is faster"
            .to_string(),
        subtitle: format!(
            "Bar: ratio of medians; whisker: 95 % bootstrap interval (where both sides have ≥ 3 repetitions). Baseline: {baseline_label}."
        ),
        y_desc: "micros/op ÷ baseline's micros/op (1 = as fast)".to_string(),
        x_desc: "benchmark (#n = n-th run of that name)".to_string(),
        groups: c.tables.iter().map(|t| t.name.clone()).collect(),
        series,
        values,
        allow_log: true,
    }
    .without_empty_groups();
    if !bars.has_values() {
        return Ok(None);
    }
    svg_string(&bars)
        .map(Some)
        .map_err(|e| PageError::internal(format!("ratio chart: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_lists_charts_in_order_with_titles_unescaped() {
        let index = "# x\n\n## Charts\n\n### Throughput per benchmark (ops/s)\n\n\
                     ![Throughput per benchmark (ops/s)](throughput.png)\n\n[SVG](throughput.svg)\n\n\
                     ### Latency percentiles: fill\\_seq\n\n![x](latency_fill_seq.png)\n";
        assert_eq!(
            charts_in_index(index),
            [
                (
                    "Throughput per benchmark (ops/s)".to_string(),
                    "throughput".to_string()
                ),
                (
                    "Latency percentiles: fill_seq".to_string(),
                    "latency_fill_seq".to_string()
                ),
            ]
        );
    }

    #[test]
    fn only_plain_svg_is_inlined() {
        assert_eq!(
            inlinable("<?xml version=\"1.0\"?>\n<svg a=\"1\"><rect/></svg>\n").as_deref(),
            Some("<svg a=\"1\"><rect/></svg>")
        );
        assert!(inlinable("<svg><script>alert(1)</script></svg>").is_none());
        assert!(inlinable("<svg onload=\"x()\"></svg>").is_none());
        assert!(inlinable("<html></html>").is_none());
    }
}
