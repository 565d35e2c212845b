//! `strata plot`: charts and an index page drawn from a results CSV.
//! Charts read CSV only, never measure.
//!
//! Files: `throughput`, `latency_<benchmark>` (one per benchmark with
//! latency columns), `amplification_{write,read,space}` (when present),
//! each as `.svg` and `.png`, plus `index.md` and `index.html`.

mod amplification;
mod axis;
mod bars;
mod data;
mod index_page;
mod latency;
mod legend;
mod style;
mod throughput;

use index_page::ChartRef;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `strata plot RESULTS.csv [--out DIR]`: draw the charts of a results file.
#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// The results CSV written by `strata bench`.
    pub results: PathBuf,
    /// Output folder (default: `reports/<csv file stem>/`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Draws every chart for the rows in `csv_path` into `out_dir` (created),
/// plus an index page. Returns the files written.
///
/// # Errors
/// When the CSV is missing, malformed or has no rows, when `out_dir`
/// cannot be created, or when a file cannot be written.
pub fn plot_results(csv_path: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, String> {
    let rows = data::load_csv(csv_path)?;
    let data = data::Dataset::from_rows(rows)?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
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
    for (name, page) in [
        ("index.md", index_page::markdown(&data, &charts)),
        ("index.html", index_page::html(&data, &charts)),
    ] {
        let path = out_dir.join(name);
        std::fs::write(&path, page).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Runs `strata plot`: errors are one line on stderr and exit status 1.
pub fn run(args: PlotArgs) -> ExitCode {
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.results));
    match plot_results(&args.results, &out_dir) {
        Ok(files) => {
            println!(
                "wrote {} files to {} (open {})",
                files.len(),
                out_dir.display(),
                out_dir.join("index.html").display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("strata plot: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `reports/<csv file stem>/`.
fn default_out_dir(results: &Path) -> PathBuf {
    let stem = results.file_stem().map_or_else(
        || "results".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    Path::new("reports").join(stem)
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
