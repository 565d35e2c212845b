//! `/runs/<id>`: one run. Its provenance, its engines, the medians table
//! of `index.html` (the same rows and columns, from
//! [`crate::plot::index_page`]), every chart inline as SVG (the time
//! series ones too, when the run has them), and links to its files.

use super::charts::{run_charts, ChartSource};
use super::error::PageError;
use super::html::{self, enc, esc, Nav};
use super::query::Params;
use super::runs::RunSummary;
use super::state::{blocking, AppState};
use crate::plot::data::Dataset;
use crate::plot::index_page;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use std::fmt::Write as _;
use std::sync::Arc;

/// `/runs/<id>`.
///
/// # Errors
/// 404 for an unknown run; 400 for a bad id or any query.
pub async fn handler(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Result<Response, PageError> {
    let Path(id) = id.map_err(|e| PageError::bad_request(e.body_text()))?;
    Params::from_uri(&uri, &[])?;
    blocking(move || {
        let run = state.runs.get(&id)?;
        let rows = state.runs.rows(&run)?;
        let data = Dataset::from_rows(&rows)
            .ok_or_else(|| PageError::not_found(format!("run '{id}' has no rows")))?;
        let (charts, source) = run_charts(&run, &state.charts)?;
        let mut body = facts(&run, &source);
        body.push_str(&links(&run, state.runs.reports_dir()));
        body.push_str("<h2>Engines</h2>\n");
        let engines: Vec<Vec<String>> = data
            .engines
            .iter()
            .map(|e| {
                vec![
                    e.number.to_string(),
                    esc(&e.short),
                    format!("<code>{}</code>", esc(&e.spec)),
                ]
            })
            .collect();
        body.push_str(&html::table(
            "engines",
            &["#", "label", "full spec"],
            &engines,
            &[0],
        ));
        body.push_str("<h2>Results (medians over repetitions)</h2>\n");
        let cells: Vec<Vec<String>> = index_page::table_rows(&data)
            .iter()
            .map(|row| row.iter().map(|c| esc(c)).collect())
            .collect();
        let headers = index_page::headers();
        let numeric: Vec<usize> = (2..headers.len()).collect();
        body.push_str(&html::table("medians", &headers, &cells, &numeric));
        body.push_str("<h2>Charts</h2>\n");
        if charts.is_empty() {
            body.push_str("<p class=\"note\">No chart: nothing measurable to draw.</p>\n");
        }
        for chart in &charts {
            let _ = writeln!(
                body,
                "<figure class=\"chart\"><figcaption>{}</figcaption>\n{}\n</figure>",
                esc(&chart.title),
                chart.svg
            );
        }
        Ok(html::page(
            &format!("Run {}", run.id),
            Nav::Runs,
            state.shell(),
            &body,
        ))
    })
    .await
}

fn facts(run: &RunSummary, source: &ChartSource) -> String {
    let charts = match source {
        ChartSource::Reports(dir) => {
            format!("from <code>{}</code>", esc(&dir.display().to_string()))
        }
        ChartSource::Drawn => {
            "drawn by the server from the CSV (the run has no reports folder)".to_string()
        }
    };
    let facts = [
        ("run id", esc(&run.run_ids.join(", "))),
        ("start time", esc(&run.start_time)),
        ("git revision", esc(&run.git_revs.join(", "))),
        ("machine", esc(&run.machines.join("; "))),
        ("engines", run.engines.len().to_string()),
        ("benchmarks", esc(&run.benchmarks.join(", "))),
        ("repetitions", run.repetitions.to_string()),
        ("rows", run.rows.to_string()),
        (
            "results file",
            format!("<code>{}</code>", esc(&run.csv.display().to_string())),
        ),
        ("charts", charts),
    ];
    let mut out = String::from("<dl class=\"facts\">\n");
    for (name, value) in facts {
        let _ = writeln!(
            out,
            "<dt>{name}</dt><dd class=\"fact-{}\">{value}</dd>",
            name.replace(' ', "-")
        );
    }
    out.push_str("</dl>\n");
    out
}

fn links(run: &RunSummary, reports: &std::path::Path) -> String {
    let mut items = vec![format!(
        "<a class=\"csv\" href=\"/results/{}.csv\">results CSV</a>",
        enc(&run.id)
    )];
    if run.intervals.is_some() {
        items.push(format!(
            "<a class=\"csv\" href=\"/results/{}.intervals.csv\">time series CSV</a>",
            enc(&run.id)
        ));
    }
    let report_name = run.report_dir.as_ref().and_then(|dir| {
        let root = reports.canonicalize().ok()?;
        let rel = dir.strip_prefix(root).ok()?;
        Some(rel.to_string_lossy().into_owned())
    });
    if let Some(name) = report_name {
        items.push(format!(
            "<a href=\"/reports/{}/index.html\">the run's index.html (PNG charts)</a>",
            html::enc_path(&name)
        ));
    }
    if run.engines.len() > 1 {
        items.push(format!(
            "<a href=\"/compare?runs={}\">compare its engines</a>",
            enc(&run.id)
        ));
    }
    format!("<p class=\"links\">{}</p>\n", items.join(" · "))
}
