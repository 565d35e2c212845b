//! `/compare?runs=A,B&baseline=…`: `strata compare`'s tables for any runs
//! ([`crate::compare::compare`] over their rows: medians, ratios to the
//! baseline, 95 % bootstrap intervals and verdicts where both sides have
//! repetitions) and a ratio chart. One run compares its engines; several
//! runs compare every engine of every run, each named `spec @ run`.
//! `format=md` gives the Markdown `strata compare` prints.

use super::charts::ratio_chart;
use super::error::PageError;
use super::html::{self, enc, esc, Nav};
use super::list_page::runs_table;
use super::query::Params;
use super::state::{blocking, AppState};
use crate::analysis::{BOOTSTRAP_RESAMPLES, MIN_REPETITIONS};
use crate::compare::{compare, render, Cell, CompareError, Comparison};
use crate::csv_row::ResultRow;
use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;
use std::sync::Arc;

/// Most runs one comparison reads.
pub const MAX_RUNS_COMPARED: usize = 16;

/// `/compare`.
///
/// # Errors
/// 400 for an unknown run, a baseline that is in none of them, too many
/// runs, or a bad parameter.
pub async fn handler(State(state): State<Arc<AppState>>, uri: Uri) -> Result<Response, PageError> {
    let params = Params::from_uri(&uri, &["runs", "baseline", "format"])?;
    let mut ids: Vec<String> = Vec::new();
    for id in params.all("runs").flat_map(|v| v.split(',')).map(str::trim) {
        if !id.is_empty() && !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    }
    if ids.len() > MAX_RUNS_COMPARED {
        return Err(PageError::bad_request(format!(
            "runs: {} runs; at most {MAX_RUNS_COMPARED}",
            ids.len()
        )));
    }
    let baseline = params.one("baseline")?.map(str::to_string);
    let markdown = match params.one("format")? {
        None | Some("html") => false,
        Some("md") => true,
        Some(other) => {
            return Err(PageError::bad_request(format!(
                "format: '{other}' is neither html nor md"
            )))
        }
    };
    blocking(move || {
        if ids.is_empty() {
            let listing = state.runs.list();
            let body = format!(
                "<p>Check two or more runs (or one run with several engines) and compare them; \
                 the first engine is the baseline unless another is chosen.</p>\n{}",
                runs_table(&listing.runs)
            );
            return Ok(html::page("Compare", Nav::Compare, state.shell(), &body));
        }
        let rows = rows_of(&state, &ids)?;
        let comparison = compare(&rows, baseline.as_deref()).map_err(|e| match e {
            CompareError::MissingBaseline { .. } => {
                PageError::bad_request(format!("baseline: {e}"))
            }
            CompareError::NoRows => PageError::bad_request(format!("runs: {e}")),
        })?;
        if markdown {
            return Ok((
                [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
                render(&comparison),
            )
                .into_response());
        }
        let chart = ratio_chart(&comparison)?;
        let body = body(&ids, &comparison, chart.as_deref());
        Ok(html::page(
            &format!("Compare {}", ids.join(", ")),
            Nav::Compare,
            state.shell(),
            &body,
        ))
    })
    .await
}

/// The rows of every run, each engine named `spec @ run` when there are
/// several runs.
fn rows_of(state: &AppState, ids: &[String]) -> Result<Vec<ResultRow>, PageError> {
    let mut rows = Vec::new();
    for id in ids {
        let run = state.runs.get(id).map_err(|e| match e.status.as_u16() {
            404 | 400 => PageError::bad_request(format!("runs: {}", e.reason)),
            _ => e,
        })?;
        let mut run_rows = state.runs.rows(&run)?;
        if ids.len() > 1 {
            for row in &mut run_rows {
                row.engine_spec = format!("{} @ {id}", canonical(&row.engine_spec));
            }
        }
        rows.extend(run_rows);
    }
    Ok(rows)
}

/// A spec in canonical form when it parses, as `strata compare` groups
/// them.
fn canonical(spec: &str) -> String {
    crate::engines::parse_spec(spec).map_or_else(|_| spec.trim().to_string(), |s| s.to_string())
}

fn body(ids: &[String], c: &Comparison, chart: Option<&str>) -> String {
    let runs_query: String = enc(&ids.join(","));
    let mut out = String::new();
    let most = c.most_repetitions();
    let _ = writeln!(
        out,
        "<p>Baseline: <code id=\"baseline\">{}</code>. Values are medians over {most} \
         repetition{}. Ratio = engine micros/op ÷ baseline micros/op: below 1 is faster than \
         the baseline, above 1 slower. Interval: 95 % percentile bootstrap of the ratio of \
         medians ({BOOTSTRAP_RESAMPLES} resamples, fixed seed); the verdict is faster or slower \
         only when the whole interval is below or above 1, and needs at least \
         {MIN_REPETITIONS} repetitions on each side.</p>",
        esc(&c.baseline),
        if most == 1 { "" } else { "s (at most)" }
    );
    out.push_str(&baseline_form(ids, c));
    let _ =
        writeln!(
        out,
        "<p class=\"links\"><a href=\"/compare?runs={runs_query}&amp;baseline={}&amp;format=md\">\
         as Markdown (what <code>strata compare</code> prints)</a> · runs: {}</p>",
        enc(&c.baseline),
        ids.iter()
            .map(|id| format!("<a class=\"run-id\" href=\"/runs/{}\">{}</a>", enc(id), esc(id)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(svg) = chart {
        let _ = writeln!(
            out,
            "<figure class=\"chart\"><figcaption>Ratio to the baseline</figcaption>\n{svg}\n</figure>"
        );
    }
    for t in &c.tables {
        let _ = writeln!(out, "<h3>{}</h3>", esc(&t.name));
        let with_wa = t.lines.iter().any(|l| l.write_amplification.is_some());
        let mut headers = vec!["engine", "micros/op (median)", "ops/s", "reps", "ratio"];
        if with_wa {
            headers.push("write amp");
        }
        headers.extend(["95 % interval", "verdict"]);
        let rows: Vec<Vec<String>> = t
            .lines
            .iter()
            .map(|l| {
                let marker = if l.spec == c.baseline {
                    " (baseline)"
                } else {
                    ""
                };
                let mut row = vec![
                    format!("<code>{}</code>{marker}", esc(&l.spec)),
                    format!("{:.3}", l.micros_per_op),
                    if l.ops_per_s > 0.0 {
                        format!("{:.0}", l.ops_per_s)
                    } else {
                        "–".to_string()
                    },
                    l.repetitions.to_string(),
                    l.ratio.map_or("–".to_string(), |r| format!("{r:.3}")),
                ];
                if with_wa {
                    row.push(
                        l.write_amplification
                            .map_or("–".to_string(), |w| format!("{w:.2}")),
                    );
                }
                let (interval, verdict) = match &l.interval {
                    Cell::Interval(r) => (
                        format!("[{:.3}, {:.3}]", r.low, r.high),
                        format!(
                            "<span class=\"verdict-{}\">{}</span>",
                            r.verdict.to_string().replace(' ', "-"),
                            esc(&r.verdict.to_string())
                        ),
                    ),
                    other => ("–".to_string(), esc(&other.to_string())),
                };
                row.extend([interval, verdict]);
                row
            })
            .collect();
        let numeric: Vec<usize> = (1..headers.len() - 1).collect();
        out.push_str(&html::table("compare", &headers, &rows, &numeric));
    }
    if !c.untimed.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"note\">Not compared (no timed operations): {}</p>",
            esc(&c.untimed.join(", "))
        );
    }
    out
}

/// A form choosing another baseline among the engines compared.
fn baseline_form(ids: &[String], c: &Comparison) -> String {
    let mut specs: Vec<&str> = Vec::new();
    for l in c.tables.iter().flat_map(|t| &t.lines) {
        if !specs.contains(&l.spec.as_str()) {
            specs.push(&l.spec);
        }
    }
    let mut out = format!(
        "<form class=\"filters\" method=\"get\" action=\"/compare\">\
         <input type=\"hidden\" name=\"runs\" value=\"{}\"><label>baseline <select name=\"baseline\">",
        esc(&ids.join(","))
    );
    for spec in specs {
        let selected = if spec == c.baseline { " selected" } else { "" };
        let _ = write!(
            out,
            "<option value=\"{}\"{selected}>{}</option>",
            esc(spec),
            esc(spec)
        );
    }
    out.push_str("</select></label><button type=\"submit\">Compare</button></form>\n");
    out
}
