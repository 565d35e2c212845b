//! Loading result rows and shaping them for charts: engines and benchmarks
//! in order of first appearance, repeated benchmark names told apart (as
//! [`crate::analysis::groups`] groups them), and median/min/max over
//! repetitions from [`Spread`]. Pure apart from [`read_rows`] and
//! [`load_csv`].

use crate::analysis::{groups, Grid, Spread};
use crate::csv_row::ResultRow;
use crate::error::HarnessError;
use std::collections::BTreeSet;
use std::path::Path;

/// Legend entries longer than this use the short label with a number
/// instead of the full spec (the index page then carries the key).
const LEGEND_FULL_SPEC_MAX_CHARS: usize = 90;

/// Short labels longer than this are cut with an ellipsis.
const SHORT_LABEL_MAX_CHARS: usize = 48;

/// Reads every row of a results CSV by column name (columns added at the
/// end by later versions are ignored); a file with a header and no rows
/// gives no rows.
///
/// # Errors
/// [`HarnessError::Io`] when the file cannot be opened;
/// [`HarnessError::Input`] when a row does not parse as a [`ResultRow`]
/// (the reason names the record).
pub fn read_rows(path: &Path) -> Result<Vec<ResultRow>, HarnessError> {
    let file = std::fs::File::open(path).map_err(|e| HarnessError::io("read", path, e))?;
    csv::Reader::from_reader(file)
        .deserialize::<ResultRow>()
        .map(|row| {
            row.map_err(|e| HarnessError::input(path, format!("malformed results row: {e}")))
        })
        .collect()
}

/// Reads every row of a results CSV to plot.
///
/// # Errors
/// As [`read_rows`], and [`HarnessError::Input`] when there are no rows.
pub fn load_csv(path: &Path) -> Result<Vec<ResultRow>, HarnessError> {
    let rows = read_rows(path)?;
    if rows.is_empty() {
        return Err(HarnessError::input(path, "no result rows to plot"));
    }
    Ok(rows)
}

/// One engine of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Engine {
    /// The full engine spec as in the CSV.
    pub spec: String,
    /// The spec without the settings every engine of the run shares.
    pub short: String,
    /// 1-based number, the key used in legends when full specs are too long.
    pub number: usize,
    /// What the chart legends show for this engine.
    pub legend: String,
}

/// Where, when and from what the rows came (distinct values, in order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunInfo {
    /// Distinct run ids.
    pub run_ids: Vec<String>,
    /// Distinct start times.
    pub start_times: Vec<String>,
    /// Distinct git revisions.
    pub git_revs: Vec<String>,
    /// Distinct machines as `cpu model (N cores)`.
    pub machines: Vec<String>,
}

/// The rows of a results file arranged as benchmark × engine cells.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Provenance of the rows.
    pub run: RunInfo,
    /// Engines in order of first appearance.
    pub engines: Vec<Engine>,
    /// Benchmark display names (`readrandom`, `readrandom#2`, …) in order
    /// of first appearance.
    pub benchmarks: Vec<String>,
    /// `cells[benchmark][engine]`: that pair's rows, one per repetition.
    cells: Vec<Vec<Vec<ResultRow>>>,
}

impl Dataset {
    /// Arranges `rows` (in file order) as [`crate::analysis::groups`]
    /// groups them; `None` when there are no rows.
    pub fn from_rows(rows: &[ResultRow]) -> Option<Dataset> {
        if rows.is_empty() {
            return None;
        }
        let grid = Grid::new(groups(rows));
        let cells = (0..grid.benchmarks.len())
            .map(|b| {
                (0..grid.engines.len())
                    .map(|e| grid.rows(b, e).iter().map(|r| (*r).clone()).collect())
                    .collect()
            })
            .collect();
        Some(Dataset {
            run: run_info(rows),
            engines: engines_for(&grid.engines),
            benchmarks: grid.benchmarks,
            cells,
        })
    }

    /// The rows (repetitions) of benchmark `bench` on engine `engine`;
    /// empty when that engine did not run it.
    pub fn rows(&self, bench: usize, engine: usize) -> &[ResultRow] {
        self.cells
            .get(bench)
            .and_then(|per_engine| per_engine.get(engine))
            .map_or(&[], Vec::as_slice)
    }

    /// Median/min/max of `metric` over the repetitions of one cell.
    pub fn stat(
        &self,
        bench: usize,
        engine: usize,
        metric: impl Fn(&ResultRow) -> Option<f64>,
    ) -> Option<Spread> {
        Spread::of(self.rows(bench, engine).iter().filter_map(metric))
    }

    /// Median/min/max of `metric` in every cell: `[benchmark][engine]`.
    pub fn stats(&self, metric: impl Fn(&ResultRow) -> Option<f64>) -> Vec<Vec<Option<Spread>>> {
        (0..self.benchmarks.len())
            .map(|b| {
                (0..self.engines.len())
                    .map(|e| self.stat(b, e, &metric))
                    .collect()
            })
            .collect()
    }

    /// The most repetitions any cell has.
    pub fn max_repetitions(&self) -> usize {
        self.cells.iter().flatten().map(Vec::len).max().unwrap_or(0)
    }
}

/// Short labels for engine specs `KIND[:K=V,...]`: the kind plus only the
/// settings not shared by every spec, so that `lsm:compression=none,bloom_bits=10`
/// and `lsm:compression=snappy,bloom_bits=10` become `lsm:compression=none`
/// and `lsm:compression=snappy`. Labels stay distinct (`#n` is appended to
/// any that would collide).
pub fn short_labels(specs: &[String]) -> Vec<String> {
    let parsed: Vec<(&str, Vec<&str>)> = specs.iter().map(|s| split_spec(s)).collect();
    let shared: BTreeSet<&str> = match parsed.split_first() {
        Some(((_, first), rest)) if !rest.is_empty() => first
            .iter()
            .copied()
            .filter(|pair| rest.iter().all(|(_, pairs)| pairs.contains(pair)))
            .collect(),
        // One engine: its settings say nothing to compare, show its kind
        // and settings unchanged.
        _ => BTreeSet::new(),
    };
    let mut labels: Vec<String> = parsed
        .iter()
        .map(|(kind, pairs)| {
            let differing: Vec<&str> = pairs
                .iter()
                .copied()
                .filter(|p| !shared.contains(p))
                .collect();
            let label = if differing.is_empty() {
                (*kind).to_string()
            } else {
                format!("{kind}:{}", differing.join(","))
            };
            truncate_chars(&label, SHORT_LABEL_MAX_CHARS)
        })
        .collect();
    for i in 0..labels.len() {
        let duplicates = labels[..i].iter().filter(|l| **l == labels[i]).count();
        if duplicates > 0 {
            labels[i] = format!("{}#{}", labels[i], duplicates + 1);
        }
    }
    labels
}

fn engines_for(specs: &[String]) -> Vec<Engine> {
    let shorts = short_labels(specs);
    let full_fits = specs
        .iter()
        .all(|s| s.chars().count() <= LEGEND_FULL_SPEC_MAX_CHARS);
    specs
        .iter()
        .zip(shorts)
        .enumerate()
        .map(|(i, (spec, short))| {
            let number = i + 1;
            let legend = if full_fits {
                spec.clone()
            } else {
                format!("[{number}] {short}")
            };
            Engine {
                spec: spec.clone(),
                short,
                number,
                legend,
            }
        })
        .collect()
}

fn split_spec(spec: &str) -> (&str, Vec<&str>) {
    match spec.split_once(':') {
        Some((kind, rest)) => (
            kind.trim(),
            rest.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect(),
        ),
        None => (spec.trim(), Vec::new()),
    }
}

fn truncate_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{kept}…")
}

fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    values.filter(|v| seen.insert(v.clone())).collect()
}

fn run_info(rows: &[ResultRow]) -> RunInfo {
    RunInfo {
        run_ids: distinct(rows.iter().map(|r| r.run_id.clone())),
        start_times: distinct(rows.iter().map(|r| r.start_time.clone())),
        git_revs: distinct(rows.iter().map(|r| r.git_rev.clone())),
        machines: distinct(
            rows.iter()
                .map(|r| format!("{} ({} cores)", r.cpu_model, r.cpu_cores)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_row::occurrence_names;

    fn row(engine: &str, benchmark: &str, repetition: u32, ops_per_s: f64) -> ResultRow {
        ResultRow {
            run_id: "run1".to_string(),
            engine_spec: engine.to_string(),
            benchmark: benchmark.to_string(),
            repetition,
            ops_per_s,
            ..ResultRow::default()
        }
    }

    #[test]
    fn repeated_benchmarks_are_numbered_per_engine_and_repetition() {
        let rows = vec![
            row("a", "fillseq", 0, 1.0),
            row("a", "readrandom", 0, 1.0),
            row("a", "readrandom", 0, 1.0),
            row("a", "readseq", 0, 1.0),
            row("a", "readrandom", 0, 1.0),
            row("b", "readrandom", 0, 1.0),
            row("a", "readrandom", 1, 1.0),
            row("a", "readrandom", 1, 1.0),
        ];
        let names = occurrence_names(&rows);
        assert_eq!(
            names,
            [
                "fillseq",
                "readrandom",
                "readrandom#2",
                "readseq",
                "readrandom#3",
                "readrandom",
                "readrandom",
                "readrandom#2"
            ]
        );
    }

    #[test]
    fn dataset_keeps_each_cells_rows_and_the_engines_labels() {
        // Grouping itself is tested in crate::analysis.
        let rows = vec![
            row("lsm:x=1", "fillseq", 0, 100.0),
            row("leveldb", "fillseq", 0, 50.0),
            row("lsm:x=1", "fillseq", 1, 300.0),
        ];
        let data = Dataset::from_rows(&rows).expect("rows");
        assert_eq!(data.benchmarks, ["fillseq"]);
        let engines: Vec<(&str, &str, usize)> = data
            .engines
            .iter()
            .map(|e| (e.spec.as_str(), e.legend.as_str(), e.number))
            .collect();
        assert_eq!(
            engines,
            [("lsm:x=1", "lsm:x=1", 1), ("leveldb", "leveldb", 2)]
        );
        assert_eq!(data.rows(0, 0), [rows[0].clone(), rows[2].clone()]);
        let leveldb = data.stat(0, 1, |r| Some(r.ops_per_s)).expect("one rep");
        assert_eq!((leveldb.median, leveldb.count), (50.0, 1));
        assert_eq!(data.max_repetitions(), 2);
        assert!(data.rows(1, 0).is_empty() && data.rows(0, 9).is_empty());
        assert_eq!(data.run.run_ids, ["run1"]);
    }

    #[test]
    fn empty_rows_are_an_error() {
        assert!(Dataset::from_rows(&[]).is_none());
    }

    #[test]
    fn short_labels_keep_only_differing_settings() {
        let specs = [
            "lsm:memtable=skiplist,compression=snappy,bloom_bits=10".to_string(),
            "lsm:memtable=skiplist,compression=none,bloom_bits=10".to_string(),
            "leveldb:compression=snappy,bloom_bits=10".to_string(),
        ];
        assert_eq!(
            short_labels(&specs),
            [
                "lsm:memtable=skiplist,compression=snappy",
                "lsm:memtable=skiplist,compression=none",
                "leveldb:compression=snappy"
            ]
        );
        assert_eq!(
            short_labels(&["lsm:bloom_bits=10".to_string()]),
            ["lsm:bloom_bits=10"]
        );
        assert_eq!(
            short_labels(&["lsm".to_string(), "lsm ".to_string()]),
            ["lsm", "lsm#2"]
        );
    }

    #[test]
    fn long_specs_get_numbered_legends() {
        let long = format!("lsm:{}", ["write_buffer_size=4194304"; 4].join(","));
        let data = Dataset::from_rows(&[
            row(&long, "fillseq", 0, 1.0),
            row("leveldb", "fillseq", 0, 1.0),
        ])
        .expect("rows");
        assert!(data.engines[0].legend.starts_with("[1] "));
        assert_eq!(data.engines[1].legend, "[2] leveldb");
        let short = Dataset::from_rows(&[row("lsm:a=1", "f", 0, 1.0)]).expect("rows");
        assert_eq!(short.engines[0].legend, "lsm:a=1");
    }
}
