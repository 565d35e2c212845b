//! The runs the server knows: every `<stem>.csv` of the results folder
//! that reads as results rows (time series `*.intervals.csv` belong to
//! their run; other CSVs, such as `strata sim`'s, are listed as skipped
//! with the reason). A run's URL id is its file stem (`strata bench`
//! names the file after the run id); its charts are in the reports folder
//! under its run id. Summaries are cached until the file changes.

use super::error::PageError;
use super::paths;
use crate::csv_row::ResultRow;
use crate::plot::read_rows;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Most CSV files one listing reads (a limit on everything).
pub const MAX_RUNS: usize = 5000;

/// What the run list shows of one results file.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// The file stem: the run's id in URLs.
    pub id: String,
    /// The results CSV (canonical).
    pub csv: PathBuf,
    /// Its time series, when the run has one.
    pub intervals: Option<PathBuf>,
    /// Distinct `run_id` values of the rows (one, unless merged by hand).
    pub run_ids: Vec<String>,
    /// The earliest `start_time` (RFC 3339 UTC, sorts as text).
    pub start_time: String,
    /// Distinct git revisions.
    pub git_revs: Vec<String>,
    /// Distinct machines as `cpu model (N cores)`.
    pub machines: Vec<String>,
    /// Engine specs in order of first appearance.
    pub engines: Vec<String>,
    /// Engine kinds in order of first appearance.
    pub kinds: Vec<String>,
    /// Benchmark names in order of first appearance.
    pub benchmarks: Vec<String>,
    /// Rows in the file.
    pub rows: usize,
    /// Repetitions (the largest repetition index plus one).
    pub repetitions: u32,
    /// The run's charts folder, when it exists.
    pub report_dir: Option<PathBuf>,
}

impl RunSummary {
    /// Whether the run ran engine `engine` (a full spec or a kind).
    pub fn has_engine(&self, engine: &str) -> bool {
        self.engines.iter().any(|e| e == engine) || self.kinds.iter().any(|k| k == engine)
    }

    /// Whether the run ran benchmark `name`.
    pub fn has_benchmark(&self, name: &str) -> bool {
        self.benchmarks.iter().any(|b| b == name)
    }
}

/// The run list, newest first, and the files that are not runs.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Runs, newest first (by start time, then id).
    pub runs: Vec<Arc<RunSummary>>,
    /// `(file name, why it is not listed)`.
    pub skipped: Vec<(String, String)>,
}

/// Size and modification time: when either changes, a file is read again.
type Stamp = (u64, Option<SystemTime>);

/// A file's summary, or why it is not a run, as of its stamp.
type Cached = (Stamp, Result<Arc<RunSummary>, String>);

/// Results and reports folders, with a cache of summaries.
#[derive(Debug)]
pub struct RunIndex {
    results: PathBuf,
    reports: PathBuf,
    cache: Mutex<HashMap<PathBuf, Cached>>,
}

impl RunIndex {
    /// The runs of `results`, with charts under `reports`.
    pub fn new(results: PathBuf, reports: PathBuf) -> Self {
        RunIndex {
            results,
            reports,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The results folder.
    pub fn results_dir(&self) -> &Path {
        &self.results
    }

    /// The reports folder.
    pub fn reports_dir(&self) -> &Path {
        &self.reports
    }

    /// Every run, newest first.
    pub fn list(&self) -> Listing {
        let mut listing = Listing::default();
        let Ok(entries) = std::fs::read_dir(&self.results) else {
            return listing;
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".csv") && !n.ends_with(".intervals.csv"))
            .collect();
        names.sort();
        if names.len() > MAX_RUNS {
            listing.skipped.push((
                format!("{} files", names.len() - MAX_RUNS),
                format!("more than {MAX_RUNS} results files: only the first {MAX_RUNS} by name are read"),
            ));
            names.truncate(MAX_RUNS);
        }
        for name in names {
            match self.summary_of_file(&name) {
                Ok(summary) => listing.runs.push(summary),
                Err(reason) => listing.skipped.push((name, reason)),
            }
        }
        listing.runs.sort_by(|a, b| {
            b.start_time
                .cmp(&a.start_time)
                .then_with(|| b.id.cmp(&a.id))
        });
        listing
    }

    /// The run whose file stem is `id`.
    ///
    /// # Errors
    /// 400 for an id that is not a plain name; 404 when there is no such
    /// run (or its file is not results rows); 403 for a symlink out of the
    /// results folder.
    pub fn get(&self, id: &str) -> Result<Arc<RunSummary>, PageError> {
        paths::plain_name("run", id)?;
        let name = format!("{id}.csv");
        if id.ends_with(".intervals") {
            return Err(PageError::not_found(format!(
                "{name} is a time series, not a run"
            )));
        }
        paths::resolve_file(&self.results, &name).map_err(|e| match e.status.as_u16() {
            403 => e,
            _ => PageError::not_found(format!("no run '{id}' in {}", self.results.display())),
        })?;
        self.summary_of_file(&name)
            .map_err(|reason| PageError::not_found(format!("run '{id}': {reason}")))
    }

    /// Every row of `run`'s file.
    ///
    /// # Errors
    /// 500 when the file can no longer be read.
    pub fn rows(&self, run: &RunSummary) -> Result<Vec<ResultRow>, PageError> {
        read_rows(&run.csv).map_err(|e| PageError::internal(e.to_string()))
    }

    fn summary_of_file(&self, name: &str) -> Result<Arc<RunSummary>, String> {
        let csv = paths::resolve_file(&self.results, name).map_err(|e| e.reason)?;
        let meta = std::fs::metadata(&csv).map_err(|e| e.to_string())?;
        let stamp = (meta.len(), meta.modified().ok());
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached, summary)) = cache.get(&csv) {
            if *cached == stamp {
                return summary.clone();
            }
        }
        let summary = self.summarize(name, &csv).map(Arc::new);
        cache.insert(csv, (stamp, summary.clone()));
        summary
    }

    fn summarize(&self, name: &str, csv: &Path) -> Result<RunSummary, String> {
        let rows = read_rows(csv).map_err(|e| match e {
            crate::error::HarnessError::Input { reason, .. } => reason,
            other => other.to_string(),
        })?;
        if rows.is_empty() {
            return Err("no result rows".to_string());
        }
        let id = name.trim_end_matches(".csv").to_string();
        let intervals = paths::resolve_file(&self.results, &format!("{id}.intervals.csv")).ok();
        let run_ids = distinct(rows.iter().map(|r| r.run_id.clone()));
        let report_dir = match run_ids.as_slice() {
            [one] => self.report_dir(one),
            _ => None,
        }
        .or_else(|| self.report_dir(&id));
        Ok(RunSummary {
            id,
            csv: csv.to_path_buf(),
            intervals,
            start_time: rows
                .iter()
                .map(|r| r.start_time.clone())
                .min()
                .unwrap_or_default(),
            git_revs: distinct(rows.iter().map(|r| r.git_rev.clone())),
            machines: distinct(
                rows.iter()
                    .map(|r| format!("{} ({} cores)", r.cpu_model, r.cpu_cores)),
            ),
            engines: distinct(rows.iter().map(|r| r.engine_spec.clone())),
            kinds: distinct(rows.iter().map(|r| r.engine_kind.clone())),
            benchmarks: distinct(rows.iter().map(|r| r.benchmark.clone())),
            rows: rows.len(),
            repetitions: rows.iter().map(|r| r.repetition + 1).max().unwrap_or(1),
            run_ids,
            report_dir,
        })
    }

    /// `reports/<run_id>/`, when `run_id` is a plain name and the folder
    /// exists inside the reports folder.
    fn report_dir(&self, run_id: &str) -> Option<PathBuf> {
        paths::plain_name("run", run_id).ok()?;
        paths::resolve_dir(&self.reports, &[run_id], run_id).ok()
    }
}

/// The distinct values, in order of first appearance.
fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_run(dir: &Path, stem: &str, start: &str, specs: &[&str]) {
        let mut w = csv::Writer::from_path(dir.join(format!("{stem}.csv"))).expect("create");
        for spec in specs {
            w.serialize(ResultRow {
                run_id: stem.to_string(),
                start_time: start.to_string(),
                engine_spec: spec.to_string(),
                engine_kind: spec.split(':').next().unwrap_or("").to_string(),
                benchmark: "fillseq".to_string(),
                ..ResultRow::default()
            })
            .expect("row");
        }
        w.flush().expect("flush");
    }

    #[test]
    fn runs_are_listed_newest_first_and_other_files_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let results = dir.path().join("results");
        std::fs::create_dir(&results).expect("mkdir");
        write_run(&results, "old", "2026-01-01T00:00:00Z", &["lsm"]);
        write_run(&results, "new", "2026-02-01T00:00:00Z", &["lsm", "leveldb"]);
        std::fs::write(results.join("sim-1.csv"), "step,x\n1,2\n").expect("write");
        std::fs::write(results.join("new.intervals.csv"), "run_id\n").expect("write");
        let index = RunIndex::new(results.clone(), dir.path().join("reports"));
        let listing = index.list();
        let ids: Vec<&str> = listing.runs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["new", "old"]);
        assert_eq!(listing.skipped.len(), 1);
        assert_eq!(listing.skipped[0].0, "sim-1.csv");
        let new = index.get("new").expect("run");
        assert_eq!(new.engines, ["lsm", "leveldb"]);
        assert!(new.has_engine("leveldb") && !new.has_engine("rusty-leveldb"));
        assert!(new.intervals.is_some());
        assert_eq!(index.get("nope").expect_err("none").status.as_u16(), 404);
        assert_eq!(index.get("../x").expect_err("bad").status.as_u16(), 400);
        assert_eq!(
            index.get("sim-1").expect_err("not rows").status.as_u16(),
            404
        );
    }
}
