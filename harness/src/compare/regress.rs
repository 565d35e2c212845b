//! The pure part of `strata compare OLD.csv NEW.csv`: the same engine spec
//! in two results files (typically two git revisions) → per benchmark the
//! NEW / OLD ratio of median micros/op with its bootstrap interval →
//! which benchmarks are significantly slower by more than a threshold →
//! Markdown and an [`Outcome`] the command turns into its exit status.

use super::{canonical, interval_text, times_nothing, Cell};
use crate::analysis::{
    groups_by, ratio_interval, Group, Spread, Verdict, BOOTSTRAP_RESAMPLES, MIN_REPETITIONS,
};
use crate::csv_row::ResultRow;
use std::fmt::Write as _;

/// One benchmark occurrence of one engine spec, in both files.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The benchmark occurrence (`name#k` for the k-th run of a name).
    pub benchmark: String,
    /// Median micros/op in OLD.
    pub old_micros_per_op: f64,
    /// Median micros/op in NEW.
    pub new_micros_per_op: f64,
    /// Repetitions in OLD.
    pub old_repetitions: usize,
    /// Repetitions in NEW.
    pub new_repetitions: usize,
    /// NEW / OLD with its interval, or why there is none.
    pub cell: Cell,
}

/// One engine spec present in both files.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineChanges {
    /// The spec, canonical.
    pub spec: String,
    /// Benchmarks both files ran, in NEW's order.
    pub changes: Vec<Change>,
    /// Benchmarks only OLD ran.
    pub only_in_old: Vec<String>,
    /// Benchmarks only NEW ran.
    pub only_in_new: Vec<String>,
}

/// Everything `strata compare OLD.csv NEW.csv` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Regressions {
    /// A regression is a change whose interval's lower end is above
    /// `1 + threshold_percent / 100`.
    pub threshold_percent: f64,
    /// OLD's `git_rev` values, in order of first appearance.
    pub old_revs: Vec<String>,
    /// NEW's `git_rev` values, in order of first appearance.
    pub new_revs: Vec<String>,
    /// Specs in both files, in NEW's order.
    pub engines: Vec<EngineChanges>,
    /// Specs only OLD ran.
    pub only_in_old: Vec<String>,
    /// Specs only NEW ran.
    pub only_in_new: Vec<String>,
    /// Benchmarks left out because no row of either file times them.
    pub untimed: Vec<String>,
}

/// What the comparison found, for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// At least one benchmark is significantly slower by more than the
    /// threshold (exit 1).
    Regressed,
    /// At least one benchmark got an interval and none regressed (exit 0).
    Clean,
    /// No benchmark got an interval: no spec in both files, or too few
    /// repetitions everywhere (exit 125, `git bisect run`'s "skip").
    NothingCompared,
}

impl Regressions {
    /// The changes beyond the threshold, with their spec, in print order.
    pub fn regressed(&self) -> impl Iterator<Item = (&str, &Change)> {
        self.engines.iter().flat_map(move |e| {
            e.changes
                .iter()
                .filter(move |c| self.is_regression(c))
                .map(move |c| (e.spec.as_str(), c))
        })
    }

    /// How many changes got an interval.
    pub fn compared(&self) -> usize {
        self.engines
            .iter()
            .flat_map(|e| &e.changes)
            .filter(|c| c.cell.interval().is_some())
            .count()
    }

    /// Regressed, clean, or nothing compared.
    pub fn outcome(&self) -> Outcome {
        if self.regressed().next().is_some() {
            Outcome::Regressed
        } else if self.compared() == 0 {
            Outcome::NothingCompared
        } else {
            Outcome::Clean
        }
    }

    fn is_regression(&self, change: &Change) -> bool {
        change
            .cell
            .interval()
            .is_some_and(|r| r.exceeds(self.threshold_percent))
    }
}

/// Compares every engine spec (canonical, so spellings merge) that both
/// `old` and `new` ran, benchmark occurrence by occurrence, NEW over OLD.
pub fn regressions(old: &[ResultRow], new: &[ResultRow], threshold_percent: f64) -> Regressions {
    let spec_of = |row: &ResultRow| canonical(&row.engine_spec);
    let (old_groups, new_groups) = (groups_by(old, spec_of), groups_by(new, spec_of));
    let old_specs = first_appearances(old_groups.iter().map(|g| g.engine.as_str()));
    let new_specs = first_appearances(new_groups.iter().map(|g| g.engine.as_str()));
    let mut untimed_names = Vec::new();
    let mut timed = |groups: &[&Group<'_>]| {
        let name = &groups[0].benchmark;
        let none = times_nothing(groups.iter().flat_map(|g| g.rows.iter().copied()));
        if none && !untimed_names.contains(name) {
            untimed_names.push(name.clone());
        }
        !none
    };
    let mut engines = Vec::new();
    for spec in new_specs.iter().filter(|s| old_specs.contains(s)) {
        let old_of: Vec<&Group<'_>> = old_groups.iter().filter(|g| g.engine == *spec).collect();
        let new_of: Vec<&Group<'_>> = new_groups.iter().filter(|g| g.engine == *spec).collect();
        let mut line = EngineChanges {
            spec: spec.clone(),
            changes: Vec::new(),
            only_in_old: Vec::new(),
            only_in_new: Vec::new(),
        };
        for &new_group in &new_of {
            match old_of.iter().find(|g| g.benchmark == new_group.benchmark) {
                Some(&old_group) if timed(&[old_group, new_group]) => {
                    line.changes.push(change(old_group, new_group));
                }
                Some(_) => {}
                None if timed(&[new_group]) => line.only_in_new.push(new_group.benchmark.clone()),
                None => {}
            }
        }
        for &old_group in &old_of {
            if !new_of.iter().any(|g| g.benchmark == old_group.benchmark) && timed(&[old_group]) {
                line.only_in_old.push(old_group.benchmark.clone());
            }
        }
        engines.push(line);
    }
    let revs = |rows: &[ResultRow]| first_appearances(rows.iter().map(|r| r.git_rev.as_str()));
    Regressions {
        threshold_percent,
        old_revs: revs(old),
        new_revs: revs(new),
        engines,
        only_in_old: missing_from(&old_specs, &new_specs),
        only_in_new: missing_from(&new_specs, &old_specs),
        untimed: untimed_names,
    }
}

/// NEW over OLD for one benchmark occurrence of one spec; no interval
/// when the two ran with different settings.
fn change(old: &Group<'_>, new: &Group<'_>) -> Change {
    let micros = |g: &Group<'_>| -> Vec<f64> { g.rows.iter().map(|r| r.micros_per_op).collect() };
    let (old_micros, new_micros) = (micros(old), micros(new));
    let median = |v: &[f64]| Spread::of(v.iter().copied()).map_or(f64::NAN, |s| s.median);
    let cell = match different_settings(old, new) {
        Some(what) => Cell::DifferentSettings(what),
        None => Cell::from(ratio_interval(&new_micros, &old_micros)),
    };
    Change {
        benchmark: new.benchmark.clone(),
        old_micros_per_op: median(&old_micros),
        new_micros_per_op: median(&new_micros),
        old_repetitions: old.rows.len(),
        new_repetitions: new.rows.len(),
        cell,
    }
}

/// The first workload setting (`num`, `reads`, `threads`, key and value
/// size, `rng`) whose values differ between the two groups, as `name OLD
/// against NEW`; `None` when every setting agrees.
fn different_settings(old: &Group<'_>, new: &Group<'_>) -> Option<String> {
    type Setting = (&'static str, fn(&ResultRow) -> String);
    const SETTINGS: [Setting; 6] = [
        ("num", |r| r.num.to_string()),
        ("reads", |r| r.reads.to_string()),
        ("threads", |r| r.threads.to_string()),
        ("key_size_bytes", |r| r.key_size_bytes.to_string()),
        ("value_size_bytes", |r| r.value_size_bytes.to_string()),
        ("rng", |r| r.rng.clone()),
    ];
    SETTINGS.iter().find_map(|(name, value)| {
        let values = |g: &Group<'_>| first_appearances_owned(g.rows.iter().map(|r| value(r)));
        let (o, n) = (values(old), values(new));
        (o != n).then(|| format!("{name} {} against {}", o.join("/"), n.join("/")))
    })
}

/// Distinct owned items in order of first appearance.
fn first_appearances_owned(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// Distinct items in order of first appearance.
fn first_appearances<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    first_appearances_owned(items.map(str::to_string))
}

/// Items of `from` not in `other`.
fn missing_from(from: &[String], other: &[String]) -> Vec<String> {
    from.iter()
        .filter(|s| !other.contains(s))
        .cloned()
        .collect()
}

/// The comparison as Markdown: a paragraph naming the revisions and the
/// method, a table per spec, what was not compared, and the finding
/// (regressions, none, or nothing compared) as the last line.
pub fn render_regressions(r: &Regressions, old_name: &str, new_name: &str) -> String {
    let mut out = String::new();
    let threshold = r.threshold_percent;
    let _ = writeln!(
        out,
        "OLD: `{old_name}` (git {}). NEW: `{new_name}` (git {}). Change = NEW median \
         micros/op / OLD median micros/op: above 1 is slower. Interval: 95 % \
         percentile bootstrap of the ratio of medians ({BOOTSTRAP_RESAMPLES} resamples \
         of each side's repetitions, fixed seed), at least {MIN_REPETITIONS} repetitions \
         on each side. A regression is a benchmark whose whole interval is above \
         {:.3} (1 + {threshold} %).",
        r.old_revs.join(", "),
        r.new_revs.join(", "),
        1.0 + threshold / 100.0,
    );
    for e in &r.engines {
        render_engine(&mut out, r, e);
    }
    let not_compared = not_compared(r);
    if !not_compared.is_empty() {
        let _ = writeln!(out, "\nNot compared: {}", not_compared.join("; "));
    }
    out.push('\n');
    out.push_str(&finding(r));
    out
}

/// One spec's table: a row per benchmark compared.
fn render_engine(out: &mut String, r: &Regressions, e: &EngineChanges) {
    let threshold = r.threshold_percent;
    let _ = writeln!(out, "\n### `{}`\n", e.spec);
    out.push_str(
        "| benchmark | OLD micros/op | NEW micros/op | change | 95 % interval | verdict | \
         repetitions (OLD/NEW) |\n|---|---:|---:|---:|---:|---|---:|\n",
    );
    for c in &e.changes {
        let (change, interval, mut verdict) = match &c.cell {
            Cell::Interval(i) => (
                format!("{:.3}", i.ratio),
                interval_text(i),
                i.verdict.to_string(),
            ),
            other => (
                format!("{:.3}", c.new_micros_per_op / c.old_micros_per_op),
                "–".to_string(),
                other.to_string(),
            ),
        };
        if r.is_regression(c) {
            let _ = write!(verdict, ": regression (> {threshold} %)");
        }
        let _ = writeln!(
            out,
            "| {} | {:.3} | {:.3} | {change} | {interval} | {verdict} | {}/{} |",
            c.benchmark,
            c.old_micros_per_op,
            c.new_micros_per_op,
            c.old_repetitions,
            c.new_repetitions
        );
    }
    if e.changes.is_empty() {
        out.push_str("| (no benchmark in both files) | | | | | | |\n");
    }
}

/// Specs and benchmarks in only one file, and untimed benchmarks.
fn not_compared(r: &Regressions) -> Vec<String> {
    let mut not_compared: Vec<String> = Vec::new();
    for (specs, file) in [(&r.only_in_old, "OLD"), (&r.only_in_new, "NEW")] {
        for s in specs {
            not_compared.push(format!("`{s}` (only in {file})"));
        }
    }
    for e in &r.engines {
        for (names, file) in [(&e.only_in_old, "OLD"), (&e.only_in_new, "NEW")] {
            for b in names {
                not_compared.push(format!("`{}` {b} (only in {file})", e.spec));
            }
        }
    }
    for b in &r.untimed {
        not_compared.push(format!("{b} (no timed operations)"));
    }
    not_compared
}

/// The last line: the regressions, or none, or nothing compared.
fn finding(r: &Regressions) -> String {
    let threshold = r.threshold_percent;
    match r.outcome() {
        Outcome::Regressed => {
            let found: Vec<String> = r
                .regressed()
                .map(|(spec, c)| {
                    let i = c.cell.interval().map_or(String::new(), interval_text);
                    let ratio = c.cell.interval().map_or(f64::NAN, |i| i.ratio);
                    format!("`{spec}` {} ×{ratio:.3} {i}", c.benchmark)
                })
                .collect();
            format!(
                "Regressions (significantly slower by more than {threshold} %): {}\n",
                found.join("; ")
            )
        }
        Outcome::Clean => {
            let slower = r
                .engines
                .iter()
                .flat_map(|e| &e.changes)
                .filter(|c| {
                    c.cell
                        .interval()
                        .is_some_and(|i| i.verdict == Verdict::Slower)
                })
                .count();
            format!(
                "No regression: {} benchmark{} compared, none significantly slower by more \
                 than {threshold} %{}.\n",
                r.compared(),
                if r.compared() == 1 { "" } else { "s" },
                if slower > 0 {
                    format!(" ({slower} significantly slower by less)")
                } else {
                    String::new()
                }
            )
        }
        Outcome::NothingCompared => format!(
            "Nothing compared: no engine spec ran a timed benchmark in both files with \
             at least {MIN_REPETITIONS} repetitions.\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rev: &str, spec: &str, bench: &str, repetition: u32, micros: f64) -> ResultRow {
        ResultRow {
            run_id: format!("run-{rev}"),
            git_rev: rev.into(),
            engine_spec: spec.into(),
            benchmark: bench.into(),
            repetition,
            ops: 100,
            micros_per_op: micros,
            ops_per_s: 1e6 / micros,
            ..ResultRow::default()
        }
    }

    /// `micros` as one repetition each, in the order a bench run writes
    /// rows (every benchmark of repetition 0, then of 1, ...).
    fn run(rev: &str, spec: &str, benches: &[(&str, &[f64])]) -> Vec<ResultRow> {
        let reps = benches.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        let mut rows = Vec::new();
        for rep in 0..reps {
            for (bench, micros) in benches {
                if let Some(&m) = micros.get(rep) {
                    rows.push(row(rev, spec, bench, rep as u32, m));
                }
            }
        }
        rows
    }

    const BASE: [f64; 5] = [10.0, 10.4, 9.7, 10.2, 9.9];

    fn scaled(by: f64) -> Vec<f64> {
        BASE.iter().map(|m| m * by).collect()
    }

    #[test]
    fn a_clear_slowdown_is_a_regression_and_small_noise_is_not() {
        let old = run("aaa", "lsm", &[("fillseq", &BASE), ("readrandom", &BASE)]);
        let slow = scaled(1.5);
        let new = run("bbb", "lsm", &[("fillseq", &slow), ("readrandom", &BASE)]);
        let r = regressions(&old, &new, 5.0);
        assert_eq!(
            (r.old_revs.as_slice(), r.new_revs.as_slice()),
            (&["aaa".to_string()][..], &["bbb".to_string()][..])
        );
        assert_eq!(r.outcome(), Outcome::Regressed);
        let found: Vec<(&str, &str)> = r
            .regressed()
            .map(|(s, c)| (s, c.benchmark.as_str()))
            .collect();
        assert_eq!(found, [("lsm", "fillseq")]);
        let read = &r.engines[0].changes[1];
        assert_eq!(
            read.cell.interval().map(|i| i.verdict),
            Some(Verdict::NoSignificantDifference)
        );
        let text = render_regressions(&r, "old.csv", "new.csv");
        assert!(
            text.contains("OLD: `old.csv` (git aaa). NEW: `new.csv` (git bbb)."),
            "{text}"
        );
        assert!(
            text.contains("| fillseq | 10.000 | 15.000 | 1.500 | ["),
            "{text}"
        );
        assert!(
            text.contains("| slower: regression (> 5 %) | 5/5 |"),
            "{text}"
        );
        let last = text.lines().last().expect("a finding");
        assert!(
            last.starts_with(
                "Regressions (significantly slower by more than 5 %): `lsm` fillseq ×1.500 ["
            ),
            "{text}"
        );

        // A faster NEW is no regression; nor is a slowdown under the threshold.
        let r = regressions(&new, &old, 5.0);
        assert_eq!(r.outcome(), Outcome::Clean);
        let r = regressions(&old, &new, 60.0);
        assert_eq!(r.outcome(), Outcome::Clean);
        let text = render_regressions(&r, "o", "n");
        assert!(text.contains("No regression: 2 benchmarks compared, none significantly slower by more than 60 % (1 significantly slower by less)."), "{text}");
    }

    #[test]
    fn different_settings_are_not_compared() {
        let old = run("a", "lsm", &[("fillseq", &BASE), ("readrandom", &BASE)]);
        let mut new = run(
            "b",
            "lsm",
            &[("fillseq", &scaled(3.0)), ("readrandom", &BASE)],
        );
        for r in new.iter_mut().filter(|r| r.benchmark == "fillseq") {
            r.num = 2000;
        }
        let r = regressions(&old, &new, 5.0);
        assert_eq!(
            r.engines[0].changes[0].cell,
            Cell::DifferentSettings("num 0 against 2000".into())
        );
        assert_eq!(r.outcome(), Outcome::Clean, "readrandom still compares");
        let text = render_regressions(&r, "o", "n");
        assert!(
            text.contains("| – | not comparable: num 0 against 2000 | 5/5 |"),
            "{text}"
        );
    }

    #[test]
    fn too_few_repetitions_compare_nothing() {
        let old = run("a", "lsm", &[("fillseq", &BASE[..2])]);
        let new = run("b", "lsm", &[("fillseq", &scaled(2.0)[..3])]);
        let r = regressions(&old, &new, 5.0);
        assert_eq!(r.outcome(), Outcome::NothingCompared);
        let text = render_regressions(&r, "o", "n");
        assert!(
            text.contains("| needs ≥ 3 repetitions (has 3 against 2) | 2/3 |"),
            "{text}"
        );
        assert!(text.contains("Nothing compared"), "{text}");
    }

    #[test]
    fn specs_and_benchmarks_in_one_file_only_are_listed() {
        let mut old = run("a", "lsm", &[("fillseq", &BASE), ("readseq", &BASE)]);
        old.extend(run("a", "leveldb", &[("fillseq", &BASE)]));
        let mut stats = row("a", "lsm", "stats", 0, 0.0);
        stats.ops = 0;
        old.push(stats.clone());
        let mut new = run("b", "lsm:bloom_bits=10", &[("fillseq", &BASE)]);
        // Same spec spelled with spaces: merges with OLD's `lsm`.
        new.extend(run(
            "b",
            " lsm ",
            &[("fillseq", &BASE), ("readrandom", &BASE)],
        ));
        new.push(stats);
        let r = regressions(&old, &new, 5.0);
        assert_eq!(r.engines.len(), 1);
        assert_eq!(r.engines[0].spec, "lsm");
        assert_eq!(r.engines[0].only_in_old, ["readseq"]);
        assert_eq!(r.engines[0].only_in_new, ["readrandom"]);
        assert_eq!(r.only_in_old, ["leveldb"]);
        assert_eq!(r.only_in_new, ["lsm:bloom_bits=10"]);
        assert_eq!(r.untimed, ["stats"]);
        assert_eq!(r.outcome(), Outcome::Clean);
        let text = render_regressions(&r, "o", "n");
        assert!(text.contains("Not compared: `leveldb` (only in OLD); `lsm:bloom_bits=10` (only in NEW); `lsm` readseq (only in OLD); `lsm` readrandom (only in NEW); stats (no timed operations)"), "{text}");
        assert!(!text.contains("| stats |"), "{text}");
    }
}
