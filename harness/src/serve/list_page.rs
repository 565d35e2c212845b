//! `/`: every run, newest first, filterable by engine (a full spec or a
//! kind) and benchmark, with check boxes to compare runs.

use super::error::PageError;
use super::html::{self, enc, esc, Nav};
use super::query::Params;
use super::runs::{Listing, RunSummary};
use super::state::{blocking, AppState};
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use std::fmt::Write as _;
use std::sync::Arc;

/// Benchmarks named in a row of the list before "… and N more".
const BENCHMARKS_SHOWN: usize = 12;

/// `/?engine=…&benchmark=…`.
///
/// # Errors
/// 400 for an unknown or repeated parameter.
pub async fn handler(State(state): State<Arc<AppState>>, uri: Uri) -> Result<Response, PageError> {
    let params = Params::from_uri(&uri, &["engine", "benchmark"])?;
    let engine = params.one("engine")?.map(str::to_string);
    let benchmark = params.one("benchmark")?.map(str::to_string);
    blocking(move || {
        let listing = state.runs.list();
        let body = body(
            &listing,
            engine.as_deref(),
            benchmark.as_deref(),
            &state.runs.results_dir().display().to_string(),
        );
        Ok(html::page("Runs", Nav::Runs, state.shell(), &body))
    })
    .await
}

fn body(listing: &Listing, engine: Option<&str>, benchmark: Option<&str>, results: &str) -> String {
    let shown: Vec<Arc<RunSummary>> = listing
        .runs
        .iter()
        .filter(|r| engine.is_none_or(|e| r.has_engine(e)))
        .filter(|r| benchmark.is_none_or(|b| r.has_benchmark(b)))
        .cloned()
        .collect();
    let mut out = filters(listing, engine, benchmark);
    let _ = writeln!(
        out,
        "<p id=\"run-count\">{} run{} in <code>{}</code>{}.</p>",
        listing.runs.len(),
        if listing.runs.len() == 1 { "" } else { "s" },
        esc(results),
        if shown.len() == listing.runs.len() {
            String::new()
        } else {
            format!(", {} shown", shown.len())
        }
    );
    if listing.runs.is_empty() {
        out.push_str(
            "<p>No results yet: <code>strata bench</code> writes \
             <code>results/&lt;run-id&gt;.csv</code>.</p>\n",
        );
    } else {
        out.push_str(&runs_table(&shown));
    }
    if !listing.skipped.is_empty() {
        out.push_str("<h2>Not listed</h2>\n<ul class=\"note\">\n");
        for (file, why) in &listing.skipped {
            let _ = writeln!(out, "<li><code>{}</code>: {}</li>", esc(file), esc(why));
        }
        out.push_str("</ul>\n");
    }
    out
}

/// The filter form: engines (kinds, then full specs) and benchmarks that
/// occur in any run.
fn filters(listing: &Listing, engine: Option<&str>, benchmark: Option<&str>) -> String {
    let mut engines: Vec<&str> = Vec::new();
    let mut specs: Vec<&str> = Vec::new();
    let mut benchmarks: Vec<&str> = Vec::new();
    for run in &listing.runs {
        engines.extend(run.kinds.iter().map(String::as_str));
        specs.extend(run.engines.iter().map(String::as_str));
        benchmarks.extend(run.benchmarks.iter().map(String::as_str));
    }
    for list in [&mut engines, &mut specs, &mut benchmarks] {
        list.sort_unstable();
        list.dedup();
    }
    engines.retain(|e| !specs.contains(e));
    engines.extend(specs);
    let select = |name: &str, options: &[&str], chosen: Option<&str>| {
        let mut s =
            format!("<select name=\"{name}\" id=\"filter-{name}\"><option value=\"\">any</option>");
        for o in options {
            let selected = if Some(*o) == chosen { " selected" } else { "" };
            let _ = write!(
                s,
                "<option value=\"{}\"{selected}>{}</option>",
                esc(o),
                esc(o)
            );
        }
        s.push_str("</select>");
        s
    };
    let mut out = format!(
        "<form class=\"filters\" method=\"get\" action=\"/\">\
         <label>engine {}</label><label>benchmark {}</label>\
         <button type=\"submit\">Filter</button>",
        select("engine", &engines, engine),
        select("benchmark", &benchmarks, benchmark)
    );
    if engine.is_some() || benchmark.is_some() {
        out.push_str(" <a href=\"/\">clear</a>");
    }
    out.push_str("</form>\n");
    out
}

/// The table of `runs` inside a form that compares the checked ones.
pub fn runs_table(runs: &[Arc<RunSummary>]) -> String {
    let rows: Vec<Vec<String>> = runs.iter().map(|r| run_row(r)).collect();
    format!(
        "<form method=\"get\" action=\"/compare\">\n{}<button type=\"submit\">Compare the checked runs</button>\n\
         <span class=\"note\">(one run with several engines, or several runs)</span></form>\n",
        html::table(
            "runs",
            &["", "run", "date", "git rev", "engines", "benchmarks", "machine", "rows"],
            &rows,
            &[7]
        )
    )
}

fn run_row(run: &RunSummary) -> Vec<String> {
    let id = esc(&run.id);
    let benchmarks = if run.benchmarks.len() > BENCHMARKS_SHOWN {
        format!(
            "{} … and {} more",
            esc(&run.benchmarks[..BENCHMARKS_SHOWN].join(", ")),
            run.benchmarks.len() - BENCHMARKS_SHOWN
        )
    } else {
        esc(&run.benchmarks.join(", "))
    };
    vec![
        format!(
            "<input type=\"checkbox\" name=\"runs\" value=\"{id}\" aria-label=\"compare {id}\">"
        ),
        format!(
            "<a class=\"run-id\" href=\"/runs/{}\">{id}</a>",
            enc(&run.id)
        ),
        esc(&run.start_time),
        esc(&run.git_revs.join(", ")),
        run.engines
            .iter()
            .map(|e| format!("<code>{}</code>", esc(e)))
            .collect::<Vec<_>>()
            .join("<br>"),
        benchmarks,
        esc(&run.machines.join("; ")),
        run.rows.to_string(),
    ]
}
