//! `strata compare` end to end, on a results CSV that `strata bench`
//! writes (two memtables, two repetitions): the ratio tables agree with
//! medians computed from the CSV here, `--baseline` accepts any spelling
//! of a spec, a missing baseline exits 2 listing the specs present.

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
