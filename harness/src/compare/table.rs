//! The pure part of `strata compare RESULTS.csv`: rows → per-benchmark
//! medians, ratios and their bootstrap intervals (from
//! [`crate::analysis`]) → Markdown.

use super::{canonical, interval_text, times_nothing, Cell};
use crate::analysis::{
    groups_by, ratio, ratio_interval, Grid, BOOTSTRAP_RESAMPLES, MIN_REPETITIONS,
};
use crate::csv_row::ResultRow;
use std::fmt::{self, Write as _};

/// Why no comparison can be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompareError {
    /// The file has no result rows.
    NoRows,
    /// The baseline spec is not among the file's engines.
    MissingBaseline {
        /// The baseline asked for.
        wanted: String,
        /// The specs the file has, in order of first appearance.
        present: Vec<String>,
    },
}

impl fmt::Display for CompareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompareError::NoRows => f.write_str("no result rows"),
            CompareError::MissingBaseline { wanted, present } => write!(
                f,
                "no engine {wanted} in the results; present: {}",
                present.join(" ; ")
            ),
        }
    }
}

/// One engine's line in a benchmark's table.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineLine {
    /// The engine spec (canonical form).
    pub spec: String,
    /// Median micros/op over the repetitions.
    pub micros_per_op: f64,
    /// Median ops/s over the repetitions (0 when the rows count no
    /// operations, as db_bench's `compact`, timed as one).
    pub ops_per_s: f64,
    /// `micros_per_op / baseline micros_per_op`; `None` when the baseline
    /// did not run this benchmark or its median is 0.
    pub ratio: Option<f64>,
    /// Median write amplification of the repetitions that have one.
    pub write_amplification: Option<f64>,
    /// Repetitions the medians are taken over.
    pub repetitions: usize,
    /// The ratio's 95 % interval and verdict, or why there is none
    /// ([`Cell::Baseline`] on the baseline's own line, [`Cell::Missing`]
    /// when the baseline did not run this benchmark).
    pub interval: Cell,
}

/// One benchmark's table.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkTable {
    /// The benchmark; its k-th run (k ≥ 2) in one list is `name#k`, as in
    /// the charts (db_bench's default list runs `readrandom` three times).
    pub name: String,
    /// One line per engine, in order of first appearance in the file.
    pub lines: Vec<EngineLine>,
}

/// Everything `strata compare` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The baseline spec (canonical form).
    pub baseline: String,
    /// Tables in order of first appearance of their benchmark.
    pub tables: Vec<BenchmarkTable>,
    /// Benchmarks left out because they time no operations (`stats`,
    /// `sstables` print a property instead).
    pub untimed: Vec<String>,
}

impl Comparison {
    /// The most repetitions any engine of any benchmark has.
    pub fn most_repetitions(&self) -> usize {
        self.tables
            .iter()
            .flat_map(|t| t.lines.iter().map(|l| l.repetitions))
            .max()
            .unwrap_or(0)
    }
}

/// Groups `rows` by benchmark and engine (specs in canonical form) and
/// compares every engine to `baseline` (default: the file's first engine).
///
/// # Errors
/// [`CompareError::NoRows`] for no rows; [`CompareError::MissingBaseline`]
/// when no row has the baseline spec.
pub fn compare(rows: &[ResultRow], baseline: Option<&str>) -> Result<Comparison, CompareError> {
    let first = rows.first().ok_or(CompareError::NoRows)?;
    let baseline = canonical(baseline.unwrap_or(&first.engine_spec));
    let grid = Grid::new(groups_by(rows, |row| canonical(&row.engine_spec)));
    let Some(base) = grid.engines.iter().position(|s| *s == baseline) else {
        return Err(CompareError::MissingBaseline {
            wanted: baseline,
            present: grid.engines,
        });
    };
    let micros = |row: &ResultRow| Some(row.micros_per_op);
    let mut tables = Vec::new();
    let mut untimed = Vec::new();
    for (b, name) in grid.benchmarks.iter().enumerate() {
        let engines = 0..grid.engines.len();
        if times_nothing(
            engines
                .clone()
                .flat_map(|e| grid.rows(b, e).iter().copied()),
        ) {
            untimed.push(name.clone());
            continue;
        }
        let base_micros = grid.spread(b, base, micros).map(|s| s.median);
        let base_values = grid.cell(b, base).map(micros_of);
        let lines = engines
            .filter_map(|e| {
                let group = grid.cell(b, e)?;
                let micros_per_op = group.spread(micros)?.median;
                let median_of = |measure: fn(&ResultRow) -> Option<f64>| {
                    group.spread(measure).map(|s| s.median)
                };
                Some(EngineLine {
                    spec: grid.engines[e].clone(),
                    micros_per_op,
                    ops_per_s: median_of(|r| Some(r.ops_per_s)).unwrap_or(0.0),
                    ratio: base_micros.and_then(|base| ratio(micros_per_op, base)),
                    write_amplification: median_of(|r| r.write_amplification),
                    repetitions: group.rows.len(),
                    interval: match &base_values {
                        _ if e == base => Cell::Baseline,
                        None => Cell::Missing,
                        Some(base) => Cell::from(ratio_interval(&micros_of(group), base)),
                    },
                })
            })
            .collect();
        tables.push(BenchmarkTable {
            name: name.clone(),
            lines,
        });
    }
    Ok(Comparison {
        baseline,
        tables,
        untimed,
    })
}

/// Micros/op of every repetition of a group, in file order.
fn micros_of(group: &crate::analysis::Group<'_>) -> Vec<f64> {
    group.rows.iter().map(|r| r.micros_per_op).collect()
}

/// The comparison as Markdown: one explanatory paragraph, then a
/// `### benchmark` heading and a table per benchmark.
pub fn render(c: &Comparison) -> String {
    let mut out = String::new();
    let most_repetitions = c.most_repetitions();
    let _ = writeln!(
        out,
        "Baseline: `{}`. Values are medians over {most_repetitions} repetition{}. \
         Ratio = engine micros/op / baseline micros/op: below 1 is faster than \
         the baseline, above 1 slower. Interval: 95 % percentile bootstrap of the \
         ratio of medians ({BOOTSTRAP_RESAMPLES} resamples of each side's \
         repetitions, fixed seed); the verdict is faster or slower only when the \
         whole interval is below or above 1, and needs at least {MIN_REPETITIONS} \
         repetitions on each side.",
        c.baseline,
        if most_repetitions == 1 {
            ""
        } else {
            "s (at most)"
        }
    );
    for t in &c.tables {
        let with_wa = t.lines.iter().any(|l| l.write_amplification.is_some());
        let _ = writeln!(out, "\n### {}\n", t.name);
        out.push_str("| engine | micros/op (median) | ops/s | ratio |");
        out.push_str(if with_wa { " write amp |" } else { "" });
        out.push_str(" 95 % interval | verdict |\n");
        out.push_str("|---|---:|---:|---:|");
        out.push_str(if with_wa { "---:|" } else { "" });
        out.push_str("---:|---|\n");
        for l in &t.lines {
            let marker = if l.spec == c.baseline {
                " (baseline)"
            } else {
                ""
            };
            let ratio = l.ratio.map_or("–".to_string(), |r| format!("{r:.3}"));
            let ops_per_s = if l.ops_per_s > 0.0 {
                format!("{:.0}", l.ops_per_s)
            } else {
                "–".to_string()
            };
            let _ = write!(
                out,
                "| `{}`{marker} | {:.3} | {ops_per_s} | {ratio} |",
                l.spec, l.micros_per_op
            );
            if with_wa {
                let wa = l
                    .write_amplification
                    .map_or("–".to_string(), |w| format!("{w:.2}"));
                let _ = write!(out, " {wa} |");
            }
            let (interval, verdict) = match &l.interval {
                Cell::Interval(r) => (interval_text(r), r.verdict.to_string()),
                other => ("–".to_string(), other.to_string()),
            };
            let _ = writeln!(out, " {interval} | {verdict} |");
        }
    }
    if !c.untimed.is_empty() {
        let _ = writeln!(
            out,
            "\nNot compared (no timed operations): {}",
            c.untimed.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(spec: &str, bench: &str, repetition: u32, micros: f64) -> ResultRow {
        ResultRow {
            run_id: "r1".into(),
            engine_spec: spec.into(),
            benchmark: bench.into(),
            repetition,
            ops: 100,
            micros_per_op: micros,
            ops_per_s: 1e6 / micros,
            ..ResultRow::default()
        }
    }

    #[test]
    fn ratio_is_median_over_baseline_median() {
        let rows = vec![
            row("lsm", "fillseq", 0, 2.0),
            row("lsm:memtable=btree", "fillseq", 0, 3.0),
            row("lsm", "fillseq", 1, 4.0),
            row("lsm:memtable=btree", "fillseq", 1, 9.0),
            row("lsm", "fillseq", 2, 100.0),
            row("lsm:memtable=btree", "fillseq", 2, 1.0),
        ];
        let c = compare(&rows, Some("lsm")).expect("compare");
        assert_eq!(c.baseline, "lsm");
        let t = &c.tables[0];
        assert_eq!(t.name, "fillseq");
        assert_eq!(t.lines[0].micros_per_op, 4.0);
        assert_eq!(t.lines[0].ratio, Some(1.0));
        assert_eq!(t.lines[1].micros_per_op, 3.0);
        assert_eq!(t.lines[1].ratio, Some(0.75));
        assert_eq!(t.lines[1].repetitions, 3);
        // The other way round: the btree engine is the baseline.
        let c = compare(&rows, Some("lsm:memtable=btree")).expect("compare");
        assert_eq!(c.tables[0].lines[0].ratio, Some(4.0 / 3.0));
    }

    #[test]
    fn benchmarks_keep_file_order_and_repeats_are_told_apart() {
        let rows = vec![
            row("lsm", "fillrandom", 0, 1.0),
            row("lsm", "readrandom", 0, 2.0),
            row("lsm", "compact", 0, 3.0),
            row("lsm", "readrandom", 0, 4.0),
            row("leveldb", "fillrandom", 0, 2.0),
            row("leveldb", "readrandom", 0, 1.0),
            row("leveldb", "compact", 0, 3.0),
            row("leveldb", "readrandom", 0, 2.0),
        ];
        let c = compare(&rows, None).expect("compare");
        let names: Vec<&str> = c.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["fillrandom", "readrandom", "compact", "readrandom#2"]
        );
        assert_eq!(c.baseline, "lsm");
        assert_eq!(c.tables[1].lines[1].ratio, Some(0.5));
        assert_eq!(c.tables[3].lines[1].ratio, Some(0.5));
    }

    #[test]
    fn lines_carry_interval_and_verdict_or_why_not() {
        let mut rows = Vec::new();
        for (rep, noise) in [1.0, 1.04, 0.97, 1.02, 0.99].into_iter().enumerate() {
            let rep = rep as u32;
            rows.push(row("lsm", "fillseq", rep, 10.0 * noise));
            rows.push(row("lsm:memtable=btree", "fillseq", rep, 20.0 * noise));
            rows.push(row("lsm:memtable=vector", "fillseq", rep, 5.0 * noise));
            rows.push(row("lsm:compression=none", "fillseq", rep, 10.0 / noise));
            if rep < 2 {
                rows.push(row("lsm:bloom_bits=0", "fillseq", rep, 10.0));
            }
        }
        let c = compare(&rows, None).expect("compare");
        let verdicts: Vec<String> = c.tables[0]
            .lines
            .iter()
            .map(|l| l.interval.to_string())
            .collect();
        assert_eq!(
            verdicts,
            [
                "baseline",
                "slower",
                "faster",
                "no significant difference",
                "needs ≥ 3 repetitions (has 2 against 5)",
            ]
        );
        let slow = c.tables[0].lines[1].interval.interval().expect("interval");
        assert_eq!(Some(slow.ratio), c.tables[0].lines[1].ratio);
        assert!(slow.low > 1.0, "{slow:?}");
        let text = render(&c);
        assert!(
            text.contains(&format!(
                "| `lsm:memtable=btree` | 20.000 | 50000 | 2.000 | [{:.3}, {:.3}] | slower |",
                slow.low, slow.high
            )),
            "{text}"
        );
        assert!(
            text.contains("| 0.500 | [") && text.contains("] | faster |\n"),
            "{text}"
        );
        assert!(text.contains("| – | needs ≥ 3 repetitions (has 2 against 5) |"));
        assert_eq!(render(&compare(&rows, None).expect("again")), text);
    }

    #[test]
    fn missing_baseline_lists_the_specs_present() {
        let rows = vec![
            row("lsm", "fillseq", 0, 1.0),
            row("lsm:memtable=vector", "fillseq", 0, 1.0),
        ];
        let e = compare(&rows, Some("lsm:memtable=btree")).expect_err("missing");
        assert_eq!(
            e,
            CompareError::MissingBaseline {
                wanted: "lsm:memtable=btree".into(),
                present: vec!["lsm".into(), "lsm:memtable=vector".into()],
            }
        );
        let text = e.to_string();
        assert!(text.contains("lsm ; lsm:memtable=vector"), "{text}");
        assert_eq!(compare(&[], None), Err(CompareError::NoRows));
    }

    #[test]
    fn baseline_spelling_does_not_matter() {
        let rows = vec![
            row("lsm:bloom_bits=10,memtable=btree", "fillseq", 0, 2.0),
            row("lsm", "fillseq", 0, 1.0),
        ];
        let c = compare(&rows, Some(" lsm:memtable=btree,bloom_bits=10")).expect("found");
        assert_eq!(c.baseline, "lsm:bloom_bits=10,memtable=btree");
        assert_eq!(c.tables[0].lines[1].ratio, Some(0.5));
    }

    #[test]
    fn baseline_without_a_benchmark_gives_no_ratio() {
        let rows = vec![
            row("lsm", "fillseq", 0, 2.0),
            row("leveldb", "fillseq", 0, 1.0),
            row("leveldb", "readseq", 0, 1.0),
        ];
        let c = compare(&rows, None).expect("compare");
        assert_eq!(c.tables[1].name, "readseq");
        assert_eq!(c.tables[1].lines.len(), 1);
        assert_eq!(c.tables[1].lines[0].ratio, None);
        assert!(render(&c).contains("| `leveldb` | 1.000 | 1000000 | – |"));
    }

    #[test]
    fn markdown_has_ratio_note_write_amp_and_leaves_out_untimed() {
        let mut a = row("lsm", "fillrandom", 0, 2.0);
        a.write_amplification = Some(2.5);
        let b = row("lsm:compression=none", "fillrandom", 0, 5.0);
        let mut stats = row("lsm", "stats", 0, 0.0);
        stats.ops = 0;
        stats.ops_per_s = 0.0;
        // db_bench's compact counts no operations but is timed as one.
        let mut compact = row("lsm", "compact", 0, 800.0);
        compact.ops = 0;
        compact.ops_per_s = 0.0;
        let c = compare(&[a, b, stats, compact], None).expect("compare");
        let text = render(&c);
        assert!(text.contains("below 1 is faster"), "{text}");
        assert!(
            text.contains("| engine | micros/op (median) | ops/s | ratio | write amp |"),
            "{text}"
        );
        assert!(
            text.contains("| `lsm` (baseline) | 2.000 | 500000 | 1.000 | 2.50 |"),
            "{text}"
        );
        assert!(
            text.contains("| `lsm:compression=none` | 5.000 | 200000 | 2.500 | – |"),
            "{text}"
        );
        assert!(
            text.contains("Not compared (no timed operations): stats"),
            "{text}"
        );
        assert!(!text.contains("### stats"), "{text}");
        assert!(
            text.contains(
                "### compact\n\n| engine | micros/op (median) | ops/s | ratio | 95 % interval \
                 | verdict |\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("| `lsm` (baseline) | 800.000 | – | 1.000 |"),
            "{text}"
        );
    }
}
