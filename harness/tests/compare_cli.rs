//! `strata compare` end to end. On a results CSV that `strata bench`
//! writes (two memtables, two repetitions): the ratio tables agree with
//! medians computed from the CSV here, two repetitions get no verdict,
//! `--baseline` accepts any spelling of a spec, a missing baseline exits 2
//! listing the specs present. On hand-written CSVs (a bench run's row as
//! the template, micros/op and specs set here): the interval and verdict
//! columns, and `compare OLD.csv NEW.csv`'s exit 1 / 0 / 125 and
//! `--threshold`.

mod common;

use common::strata;
use std::path::{Path, PathBuf};

/// A bench CSV: two memtables × (fillseq, fillrandom, stats) × 2
/// repetitions at a small --num.
fn results(dir: &Path) -> PathBuf {
    let out = dir.join("results.csv");
    let db = format!("--db={}", dir.join("db").display());
    let out_arg = format!("--out={}", out.display());
    let output = strata(
        dir,
        &[
            "bench",
            "--no-plot",
            "--num=300",
            "--benchmarks=fillseq,fillrandom,stats",
            "--repeat=2",
            "--matrix",
            "memtable=skiplist,vector",
            &db,
            &out_arg,
        ],
    );
    assert!(
        output.status.success(),
        "bench: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// Median micros/op of `engine` on `benchmark`, read from the CSV by name.
fn median_micros(csv_path: &Path, engine: &str, benchmark: &str) -> f64 {
    let mut reader = csv::Reader::from_path(csv_path).expect("open");
    let headers = reader.headers().expect("headers").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .expect("column present")
    };
    let (spec_col, bench_col, micros_col) =
        (col("engine_spec"), col("benchmark"), col("micros_per_op"));
    let mut values: Vec<f64> = reader
        .records()
        .map(|r| r.expect("record"))
        .filter(|r| r.get(spec_col) == Some(engine) && r.get(bench_col) == Some(benchmark))
        .map(|r| {
            r.get(micros_col)
                .expect("cell")
                .parse::<f64>()
                .expect("number")
        })
        .collect();
    assert_eq!(values.len(), 2, "two repetitions");
    values.sort_by(f64::total_cmp);
    (values[0] + values[1]) / 2.0
}

/// The table line of `engine` under `### benchmark`.
fn table_line<'a>(markdown: &'a str, benchmark: &str, engine: &str) -> &'a str {
    let section = markdown
        .split(&format!("### {benchmark}\n"))
        .nth(1)
        .expect("benchmark section");
    let section = section.split("###").next().unwrap_or(section);
    section
        .lines()
        .find(|l| l.starts_with(&format!("| `{engine}`")))
        .expect("engine line")
}

fn cells(line: &str) -> Vec<&str> {
    line.trim_matches('|').split('|').map(str::trim).collect()
}

#[test]
fn ratio_tables_match_the_csv_medians() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv_path = results(dir.path());
    let path = csv_path.to_str().expect("utf8 path");
    let (skip, vec) = ("lsm:memtable=skiplist", "lsm:memtable=vector");

    // Default baseline: the first engine in the file.
    let output = strata(dir.path(), &["compare", path]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf8");
    assert!(text.contains(&format!("Baseline: `{skip}`")), "{text}");
    assert!(text.contains("below 1 is faster"), "{text}");
    assert!(text.contains("### fillseq\n") && text.contains("### fillrandom\n"));
    assert!(text.contains("| engine | micros/op (median) | ops/s | ratio | write amp |"));
    assert!(!text.contains("### stats"), "stats times nothing: {text}");
    for bench in ["fillseq", "fillrandom"] {
        let base = median_micros(&csv_path, skip, bench);
        let other = median_micros(&csv_path, vec, bench);
        let line = cells(table_line(&text, bench, skip));
        assert_eq!(line[0], format!("`{skip}` (baseline)"));
        assert_eq!(line[1], format!("{base:.3}"));
        assert_eq!(line[3], "1.000");
        let line = cells(table_line(&text, bench, vec));
        assert_eq!(line[1], format!("{other:.3}"));
        assert_eq!(line[3], format!("{:.3}", other / base), "{text}");
        assert!(line[4].parse::<f64>().is_ok_and(|w| w > 0.0), "{text}");
        assert_eq!(line[6], "needs ≥ 3 repetitions (has 2)", "{text}");
    }

    // The other engine as baseline, its keys spelled differently.
    let output = strata(
        dir.path(),
        &["compare", path, "--baseline", "lsm: memtable = vector"],
    );
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf8");
    let base = median_micros(&csv_path, vec, "fillseq");
    let other = median_micros(&csv_path, skip, "fillseq");
    let line = cells(table_line(&text, "fillseq", skip));
    assert_eq!(line[3], format!("{:.3}", other / base), "{text}");
}

#[test]
fn missing_baseline_exits_2_listing_the_specs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv_path = results(dir.path());
    let path = csv_path.to_str().expect("utf8 path");
    let output = strata(
        dir.path(),
        &["compare", path, "--baseline=lsm:memtable=btree"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).expect("utf8");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains("--baseline"), "{stderr}");
    assert!(
        stderr.contains("lsm:memtable=skiplist ; lsm:memtable=vector"),
        "{stderr}"
    );

    // Columns a later version adds at the end are ignored.
    let text = std::fs::read_to_string(&csv_path).expect("read");
    let widened: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let extra = if i == 0 { "future_column" } else { "7" };
            format!("{l},{extra}\n")
        })
        .collect();
    let wide = dir.path().join("wide.csv");
    std::fs::write(&wide, widened).expect("write");
    let output = strata(
        dir.path(),
        &[
            "compare",
            wide.to_str().expect("utf8"),
            "--baseline",
            "lsm:memtable=vector",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn unreadable_input_is_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.csv");
    let output = strata(dir.path(), &["compare", missing.to_str().expect("utf8")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).expect("utf8");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains("missing.csv"), "{stderr}");

    let output = strata(dir.path(), &["compare"]);
    assert_eq!(output.status.code(), Some(2), "no file given");
    assert_eq!(String::from_utf8_lossy(&output.stderr).lines().count(), 1);

    let output = strata(dir.path(), &["compare", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8(output.stdout).expect("utf8");
    assert!(
        help.contains("--baseline") && help.contains("RESULTS.csv"),
        "{help}"
    );
}

/// One row of a hand-written results CSV: git revision, engine spec,
/// benchmark, repetition, micros/op.
type Row<'a> = (&'a str, &'a str, &'a str, u32, f64);

/// A results CSV with `rows`, every other column as a one-benchmark
/// `strata bench` run wrote it (so the file is what the command reads).
struct Handwritten {
    headers: csv::StringRecord,
    template: csv::StringRecord,
}

impl Handwritten {
    fn new(dir: &Path) -> Handwritten {
        let out = dir.join("template.csv");
        let output = strata(
            dir,
            &[
                "bench",
                "--no-plot",
                "--num=100",
                "--benchmarks=fillseq",
                &format!("--db={}", dir.join("template-db").display()),
                &format!("--out={}", out.display()),
            ],
        );
        assert!(
            output.status.success(),
            "bench: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut reader = csv::Reader::from_path(&out).expect("open");
        let headers = reader.headers().expect("headers").clone();
        let template = reader.records().next().expect("one row").expect("record");
        Handwritten { headers, template }
    }

    fn write(&self, path: &Path, rows: &[Row<'_>]) -> String {
        let col = |name: &str| {
            self.headers
                .iter()
                .position(|h| h == name)
                .expect("column present")
        };
        let mut writer = csv::Writer::from_path(path).expect("create");
        writer.write_record(&self.headers).expect("header");
        for &(rev, spec, bench, repetition, micros) in rows {
            let mut cells: Vec<String> = self.template.iter().map(str::to_string).collect();
            cells[col("git_rev")] = rev.to_string();
            cells[col("run_id")] = format!("run-{rev}");
            cells[col("engine_spec")] = spec.to_string();
            cells[col("benchmark")] = bench.to_string();
            cells[col("repetition")] = repetition.to_string();
            cells[col("micros_per_op")] = micros.to_string();
            cells[col("ops_per_s")] = (1e6 / micros).to_string();
            writer.write_record(&cells).expect("row");
        }
        writer.flush().expect("flush");
        path.to_str().expect("utf8 path").to_string()
    }
}

/// Repetition noise: ±4 %, the same on every run of the test.
const NOISE: [f64; 5] = [1.0, 1.04, 0.97, 1.02, 0.99];

/// `reps` repetitions of each (benchmark, micros/op) on `spec` at `rev`,
/// each scaled by [`NOISE`].
fn runs<'a>(rev: &'a str, spec: &'a str, benches: &[(&'a str, f64)], reps: usize) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    for (rep, noise) in NOISE.iter().take(reps).enumerate() {
        for &(bench, micros) in benches {
            rows.push((rev, spec, bench, rep as u32, micros * noise));
        }
    }
    rows
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf8")
}

#[test]
fn verdicts_need_three_repetitions_and_name_the_direction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = Handwritten::new(dir.path());
    let mut rows = runs("r", "lsm", &[("fillseq", 10.0), ("readrandom", 4.0)], 5);
    rows.extend(runs(
        "r",
        "lsm:memtable=vector",
        &[("fillseq", 20.0), ("readrandom", 4.0)],
        5,
    ));
    rows.extend(runs(
        "r",
        "lsm:memtable=btree",
        &[("fillseq", 5.0), ("readrandom", 2.0)],
        4,
    ));
    rows.extend(runs("r", "lsm:bloom_bits=0", &[("fillseq", 30.0)], 2));
    let path = csv.write(&dir.path().join("one.csv"), &rows);

    let output = strata(dir.path(), &["compare", &path]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("95 % percentile bootstrap"), "{text}");
    let header = text
        .lines()
        .find(|l| l.starts_with("| engine |"))
        .expect("table header");
    let header = cells(header);
    assert_eq!(
        &header[..4],
        ["engine", "micros/op (median)", "ops/s", "ratio"]
    );
    assert_eq!(&header[header.len() - 2..], ["95 % interval", "verdict"]);
    let verdict = |text: &str, bench: &str, engine: &str| {
        let line = cells(table_line(text, bench, engine));
        let n = line.len();
        (
            line[3].to_string(),
            line[n - 2].to_string(),
            line[n - 1].to_string(),
        )
    };
    assert_eq!(
        verdict(&text, "fillseq", "lsm"),
        ("1.000".into(), "–".into(), "baseline".into())
    );
    let (ratio, interval, v) = verdict(&text, "fillseq", "lsm:memtable=vector");
    assert_eq!((ratio.as_str(), v.as_str()), ("2.000", "slower"), "{text}");
    let bounds: Vec<f64> = interval
        .trim_matches(['[', ']'])
        .split(", ")
        .map(|b| b.parse().expect("bound"))
        .collect();
    assert!(
        bounds[0] > 1.0 && bounds[0] <= 2.0 && bounds[1] >= 2.0,
        "{text}"
    );
    assert_eq!(
        verdict(&text, "fillseq", "lsm:memtable=btree").2,
        "faster",
        "{text}"
    );
    assert_eq!(
        verdict(&text, "readrandom", "lsm:memtable=btree").2,
        "faster"
    );
    assert_eq!(
        verdict(&text, "readrandom", "lsm:memtable=vector").2,
        "no significant difference"
    );
    // Median of 30 and 31.2 over the baseline's 10.
    assert_eq!(
        verdict(&text, "fillseq", "lsm:bloom_bits=0"),
        (
            "3.060".into(),
            "–".into(),
            "needs ≥ 3 repetitions (has 2 against 5)".into()
        )
    );
    // Deterministic: the same file prints the same intervals.
    assert_eq!(stdout(&strata(dir.path(), &["compare", &path])), text);

    // Two repetitions a side: the cell says why there is no verdict.
    let output = strata(
        dir.path(),
        &["compare", &path, "--baseline=lsm:bloom_bits=0"],
    );
    let text = stdout(&output);
    assert_eq!(
        verdict(&text, "fillseq", "lsm:memtable=vector").2,
        "needs ≥ 3 repetitions (has 5 against 2)",
        "{text}"
    );
}

#[test]
fn regressions_exit_1_beyond_the_threshold_0_within_125_when_nothing_compares() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = Handwritten::new(dir.path());
    let benches = [("fillrandom", 10.0), ("readrandom", 4.0)];
    let mut old = runs("aaa1111", "lsm", &benches, 5);
    old.extend(runs("aaa1111", "leveldb", &benches, 5));
    let old = csv.write(&dir.path().join("old.csv"), &old);
    // NEW: fillrandom 20 % slower, readrandom unchanged; leveldb not run.
    let mut new = runs(
        "bbb2222",
        "lsm",
        &[("fillrandom", 12.0), ("readrandom", 4.0)],
        5,
    );
    new.extend(runs("bbb2222", "lsm:memtable=vector", &benches, 5));
    let new = csv.write(&dir.path().join("new.csv"), &new);

    let output = strata(dir.path(), &["compare", &old, &new]);
    assert_eq!(output.status.code(), Some(1), "a 20 % slowdown regresses");
    let text = stdout(&output);
    assert!(
        text.contains("(git aaa1111)") && text.contains("(git bbb2222)"),
        "{text}"
    );
    assert!(text.contains("### `lsm`\n"), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("| fillrandom |"))
        .expect("fillrandom line");
    let line = cells(line);
    assert_eq!(&line[1..4], ["10.000", "12.000", "1.200"], "{text}");
    assert_eq!(line[5], "slower: regression (> 5 %)", "{text}");
    assert_eq!(line[6], "5/5");
    let read = cells(
        text.lines()
            .find(|l| l.starts_with("| readrandom |"))
            .expect("readrandom line"),
    );
    assert_eq!(read[5], "no significant difference", "{text}");
    assert!(
        text.contains("`leveldb` (only in OLD)")
            && text.contains("`lsm:memtable=vector` (only in NEW)"),
        "{text}"
    );
    let last = text.lines().last().expect("finding");
    assert!(
        last.starts_with(
            "Regressions (significantly slower by more than 5 %): `lsm` fillrandom ×1.200 ["
        ),
        "{text}"
    );

    // The same slowdown under a 30 % threshold passes; swapped, it is faster.
    let output = strata(dir.path(), &["compare", &old, &new, "--threshold", "30"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("(1 significantly slower by less)"));
    let output = strata(dir.path(), &["compare", &new, &old]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("| faster |"));
    // --threshold 0: any significant slowdown.
    let output = strata(dir.path(), &["compare", &old, &new, "--threshold=0"]);
    assert_eq!(output.status.code(), Some(1));

    // Two repetitions in NEW: nothing can be compared, bisect skips (125).
    let few = csv.write(
        &dir.path().join("few.csv"),
        &runs("ccc3333", "lsm", &[("fillrandom", 30.0)], 2),
    );
    let output = strata(dir.path(), &["compare", &old, &few]);
    assert_eq!(output.status.code(), Some(125), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(
        text.contains("needs ≥ 3 repetitions (has 2 against 5)"),
        "{text}"
    );
    assert!(text.contains("Nothing compared"), "{text}");
    // No spec in both files: 125 too.
    let other = csv.write(
        &dir.path().join("other.csv"),
        &runs("ccc3333", "lsm:compaction=tiered", &benches, 5),
    );
    let output = strata(dir.path(), &["compare", &old, &other]);
    assert_eq!(output.status.code(), Some(125), "{}", stdout(&output));
    // An unreadable NEW (a revision whose bench did not run): 125, one line.
    let missing = dir.path().join("missing.csv");
    let output = strata(
        dir.path(),
        &["compare", &old, missing.to_str().expect("utf8")],
    );
    assert_eq!(output.status.code(), Some(125));
    let stderr = String::from_utf8(output.stderr).expect("utf8");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains("missing.csv"), "{stderr}");
}

#[test]
fn flags_of_the_other_mode_are_bad_usage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = Handwritten::new(dir.path());
    let file = csv.write(
        &dir.path().join("a.csv"),
        &runs("a", "lsm", &[("fillseq", 1.0)], 3),
    );
    for args in [
        vec!["compare", &file, &file, "--baseline=lsm"],
        vec!["compare", &file, "--threshold=5"],
        vec!["compare", &file, &file, "--threshold=-1"],
        vec!["compare", &file, &file, "--threshold=NaN"],
        vec!["compare", &file, &file, "--threshold=five"],
        vec!["compare", &file, &file, &file],
    ] {
        let output = strata(dir.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8(output.stderr).expect("utf8");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
    }
    // The same file twice: compared with itself, no difference (exit 0).
    let output = strata(dir.path(), &["compare", &file, &file]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("| no significant difference | 3/3 |"));
}
