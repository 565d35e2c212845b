//! `strata merge` end to end: three `strata bench --shard I/3` runs merge
//! into the unsharded run's set of cells, and two of them fail naming the
//! missing cells; hand-written shard CSVs (every ResultRow column) merge
//! into one file ordered by cell that `strata compare` and `strata plot`
//! read; a missing shard, a doubled shard, a file from before plans were
//! hashed and bad usage are one-line errors with the right exit status
//! and leave no output behind.

mod common;

use common::strata;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Every ResultRow column, in order, each with the value a row takes when
/// the test does not set it (numbers must parse; empty is `None`).
const COLUMNS: &[(&str, &str)] = &[
    ("run_id", "run"),
    ("start_time", "2026-12-04T00:00:00Z"),
    ("git_rev", "unknown"),
    ("cpu_model", "cpu"),
    ("cpu_cores", "2"),
    ("engine_spec", "lsm"),
    ("engine_kind", "lsm"),
    ("memtable", "skiplist"),
    ("compaction", "leveled"),
    ("compression", "none"),
    ("bloom_bits", "0"),
    ("benchmark", "fillseq"),
    ("repetition", "0"),
    ("num", "100"),
    ("reads", "100"),
    ("threads", "1"),
    ("key_size_bytes", "16"),
    ("value_size_bytes", "100"),
    ("seed", "1000"),
    ("rng", "leveldb"),
    ("ops", "100"),
    ("elapsed_us", "100"),
    ("micros_per_op", "1.0"),
    ("ops_per_s", "1000000.0"),
    ("mb_per_s", ""),
    ("found", ""),
    ("latency_us_p50", ""),
    ("latency_us_p75", ""),
    ("latency_us_p90", ""),
    ("latency_us_p99", ""),
    ("latency_us_p999", ""),
    ("latency_us_p9999", ""),
    ("latency_us_max", ""),
    ("user_bytes_written", "0"),
    ("disk_bytes_written", ""),
    ("write_amplification", ""),
    ("read_amplification", ""),
    ("space_amplification", ""),
    ("db_size_bytes", "0"),
    ("peak_rss_bytes", "0"),
    ("message", ""),
    ("logical_bytes", ""),
    ("stored_bytes", ""),
    ("dedupe_ratio", ""),
    ("plan_hash", ""),
    ("cell", "0"),
    ("cells", "0"),
    ("shard", ""),
];

/// Columns before the plan columns: what files from before plans were
/// hashed hold.
const OLD_COLUMNS: usize = COLUMNS.len() - 4;

const HASH: &str = "0123456789abcdef";

/// Writes a CSV with the first `columns` of [`COLUMNS`], one record per
/// row, each row's listed fields set and the others at their defaults.
fn write_csv(path: &Path, columns: usize, rows: &[Vec<(&str, String)>]) {
    let mut writer = csv::Writer::from_path(path).expect("create csv");
    writer
        .write_record(COLUMNS[..columns].iter().map(|(name, _)| *name))
        .expect("header");
    for row in rows {
        let set: BTreeMap<&str, &str> = row.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for (name, _) in row {
            assert!(
                COLUMNS[..columns].iter().any(|(c, _)| c == name),
                "unknown column {name}"
            );
        }
        writer
            .write_record(
                COLUMNS[..columns]
                    .iter()
                    .map(|(name, default)| set.get(name).copied().unwrap_or(default)),
            )
            .expect("record");
    }
    writer.flush().expect("flush");
}

/// Shard `index` of 3 of a 7-cell plan in `dir/shard-<index>.csv`: each
/// cell two benchmarks; the cell's engine and repetition name it.
fn write_shard(dir: &Path, index: u64) -> PathBuf {
    let path = dir.join(format!("shard-{index}.csv"));
    let rows: Vec<Vec<(&str, String)>> = (0..7u64)
        .filter(|cell| cell % 3 == index)
        .flat_map(|cell| {
            ["fillseq", "readrandom"].map(|benchmark| {
                vec![
                    ("run_id", format!("run-shard-{index}")),
                    ("engine_spec", format!("lsm:memtable=m{}", cell % 2)),
                    ("repetition", (cell / 2).to_string()),
                    ("benchmark", benchmark.to_string()),
                    ("plan_hash", HASH.to_string()),
                    ("cell", cell.to_string()),
                    ("cells", "7".to_string()),
                    ("shard", format!("{index}/3")),
                ]
            })
        })
        .collect();
    write_csv(&path, COLUMNS.len(), &rows);
    path
}

fn run(dir: &Path, args: &[&Path], extra: &[&str]) -> Output {
    let mut argv: Vec<String> = vec!["merge".to_string()];
    argv.extend(args.iter().map(|p| p.display().to_string()));
    argv.extend(extra.iter().map(|s| s.to_string()));
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    strata(dir, &argv)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts a failure with `status` and one stderr line starting
/// `strata …` and containing every piece of `wanted`.
fn assert_fails(output: &Output, status: i32, wanted: &[&str]) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(status), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("strata"), "{err}");
    for piece in wanted {
        assert!(err.contains(piece), "{piece:?} not in: {err}");
    }
}

/// (cell, benchmark) of every row of a CSV, in file order.
fn cells_of(path: &Path) -> Vec<(u64, String)> {
    let mut reader = csv::Reader::from_path(path).expect("open merged");
    let headers = reader.headers().expect("headers").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let (cell, benchmark) = (col("cell"), col("benchmark"));
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            let c = r.get(cell).expect("cell").parse().expect("cell number");
            (c, r.get(benchmark).expect("benchmark").to_string())
        })
        .collect()
}

/// `strata compare` and `strata plot` read `merged` as any results file.
fn compare_and_plot(dir: &Path, merged: &Path) {
    let merged_arg = merged.display().to_string();
    let output = strata(dir, &["compare", &merged_arg]);
    assert!(output.status.success(), "compare: {}", stderr(&output));
    let tables = String::from_utf8_lossy(&output.stdout);
    assert!(tables.contains("### fillseq"), "{tables}");
    let charts = dir.join("charts");
    let charts_arg = format!("--out={}", charts.display());
    let output = strata(dir, &["plot", &merged_arg, &charts_arg]);
    assert!(output.status.success(), "plot: {}", stderr(&output));
    assert!(charts.join("index.md").exists(), "plot wrote no index");
}

#[test]
fn three_shards_merge_into_one_file_ordered_by_cell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shards: Vec<PathBuf> = [2, 0, 1].map(|i| write_shard(dir.path(), i)).to_vec();
    let out = dir.path().join("results").join("all.csv");
    let out_arg = format!("--out={}", out.display());
    let refs: Vec<&Path> = shards.iter().map(PathBuf::as_path).collect();
    let output = run(dir.path(), &refs, &[&out_arg]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(
        stderr(&output).trim_end(),
        format!(
            "merged: 14 rows of 7 cells from 3 files -> {}",
            out.display()
        )
    );
    let want: Vec<(u64, String)> = (0..7)
        .flat_map(|c| [(c, "fillseq".to_string()), (c, "readrandom".to_string())])
        .collect();
    assert_eq!(cells_of(&out), want);
    assert!(!dir.path().join("results").join("all.csv.tmp").exists());
    compare_and_plot(dir.path(), &out);
    // The merged file is itself one plan's complete set of cells; an
    // empty file (a shard with no cells writes one) adds nothing and is
    // noted.
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").expect("write empty");
    let again = dir.path().join("again.csv");
    let again_arg = format!("--out={}", again.display());
    let output = run(dir.path(), &[&out, &empty], &[&again_arg]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(
        stderr(&output),
        format!(
            "strata merge: note: {} has no rows\nmerged: 14 rows of 7 cells from 2 files -> {}\n",
            empty.display(),
            again.display()
        )
    );
    assert_eq!(cells_of(&again), want);
}

#[test]
fn a_missing_shard_names_the_missing_cells_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (write_shard(dir.path(), 0), write_shard(dir.path(), 1));
    let out = dir.path().join("all.csv");
    let out_arg = format!("--out={}", out.display());
    let output = run(dir.path(), &[&a, &b], &[&out_arg]);
    assert_fails(
        &output,
        1,
        &["strata merge: missing cells 2, 5 (shard 2/3 not given)"],
    );
    assert!(!out.exists());
    assert!(!dir.path().join("all.csv.tmp").exists());
}

#[test]
fn a_shard_given_twice_and_a_file_from_before_plans_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shards: Vec<PathBuf> = (0..3).map(|i| write_shard(dir.path(), i)).collect();
    let copy = dir.path().join("copy.csv");
    std::fs::copy(&shards[1], &copy).expect("copy");
    let out_arg = format!("--out={}", dir.path().join("all.csv").display());
    let output = run(dir.path(), &[&shards[0], &shards[1], &copy], &[&out_arg]);
    assert_fails(
        &output,
        1,
        &[&format!(
            "shard 1/3 is in both {} and {} (cells 1, 4 doubled)",
            shards[1].display(),
            copy.display()
        )],
    );
    // A file written before the plan columns existed loads, and is named.
    let old = dir.path().join("old.csv");
    write_csv(&old, OLD_COLUMNS, &[vec![], vec![]]);
    let output = run(dir.path(), &[&shards[0], &old], &[&out_arg]);
    assert_fails(
        &output,
        1,
        &[&format!("{}: row 1 has no plan_hash", old.display())],
    );
    assert!(!dir.path().join("all.csv").exists());
}

#[test]
fn bad_usage_exits_2_and_a_missing_input_exits_1_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write_shard(dir.path(), 0);
    let before = std::fs::read(&a).expect("read shard");
    // No inputs; no --out.
    let out_arg = format!("--out={}", dir.path().join("all.csv").display());
    assert_fails(
        &run(dir.path(), &[], &[&out_arg]),
        2,
        &["strata merge: SHARD.csv: no input"],
    );
    assert_fails(
        &run(dir.path(), &[&a], &[]),
        2,
        &["strata merge: --out: required"],
    );
    // --out is an input, spelled another way: refused, the input intact.
    let same = format!(
        "--out={}",
        dir.path().join(".").join("shard-0.csv").display()
    );
    assert_fails(
        &run(dir.path(), &[&a], &[&same]),
        2,
        &["strata merge: --out:", "is also an input"],
    );
    assert_eq!(std::fs::read(&a).expect("read shard"), before);
    // An input that does not exist.
    let missing = dir.path().join("nope.csv");
    assert_fails(
        &run(dir.path(), &[&a, &missing], &[&out_arg]),
        1,
        &["strata merge: cannot read", &missing.display().to_string()],
    );
    assert!(!dir.path().join("all.csv").exists());
}

/// A small two-engine, two-repetition matrix: four cells of fillseq and
/// readrandom at --num=200.
const BENCH: &[&str] = &[
    "bench",
    "--no-plot",
    "--benchmarks=fillseq,readrandom",
    "--num=200",
    "--engine=lsm",
    "--engine=lsm:memtable=btree",
    "--repeat=2",
];

/// Runs [`BENCH`] (`--shard` when given) into `dir/<name>.csv` on its own
/// database and returns the CSV.
fn bench(dir: &Path, name: &str, shard: Option<&str>) -> PathBuf {
    let out = dir.join(format!("{name}.csv"));
    let out_arg = format!("--out={}", out.display());
    let db_arg = format!("--db={}", dir.join(format!("db-{name}")).display());
    let mut argv: Vec<&str> = BENCH.to_vec();
    argv.extend([out_arg.as_str(), db_arg.as_str()]);
    let shard_arg = shard.map(|s| format!("--shard={s}"));
    argv.extend(shard_arg.as_deref());
    let output = strata(dir, &argv);
    assert!(output.status.success(), "bench {name}: {}", stderr(&output));
    out
}

/// What tells one row of a plan from another: (cell, engine_spec,
/// benchmark, repetition).
type RowKey = (u64, String, String, u32);

/// The [`RowKey`] of every row, and the plan hashes the rows carry.
fn cell_set(path: &Path) -> (BTreeSet<RowKey>, BTreeSet<String>) {
    let mut reader = csv::Reader::from_path(path).expect("open csv");
    let headers = reader.headers().expect("headers").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let cols = [
        col("cell"),
        col("engine_spec"),
        col("benchmark"),
        col("repetition"),
        col("plan_hash"),
    ];
    let mut cells = BTreeSet::new();
    let mut hashes = BTreeSet::new();
    for record in reader.records() {
        let r = record.expect("record");
        let field = |i: usize| r.get(cols[i]).expect("field").to_string();
        cells.insert((
            field(0).parse().expect("cell number"),
            field(1),
            field(2),
            field(3).parse().expect("repetition number"),
        ));
        hashes.insert(field(4));
    }
    (cells, hashes)
}

#[test]
fn three_bench_shards_merge_into_the_unsharded_runs_cells() {
    let dir = tempfile::tempdir().expect("tempdir");
    let whole = bench(dir.path(), "whole", None);
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| bench(dir.path(), &format!("shard-{i}"), Some(&format!("{i}/3"))))
        .collect();
    let merged = dir.path().join("merged.csv");
    let merged_arg = format!("--out={}", merged.display());
    let refs: Vec<&Path> = shards.iter().map(PathBuf::as_path).collect();
    let output = run(dir.path(), &refs, &[&merged_arg]);
    assert!(output.status.success(), "merge: {}", stderr(&output));
    assert_eq!(
        stderr(&output).trim_end(),
        format!(
            "merged: 8 rows of 4 cells from 3 files -> {}",
            merged.display()
        )
    );
    let (want, want_hashes) = cell_set(&whole);
    let (got, got_hashes) = cell_set(&merged);
    assert_eq!(want.len(), 8, "2 engines x 2 repetitions x 2 benchmarks");
    assert_eq!(got, want, "the merged shards are the unsharded run's cells");
    assert_eq!(want_hashes.len(), 1, "one plan hash: {want_hashes:?}");
    assert_eq!(
        got_hashes, want_hashes,
        "shards carry the unsharded plan's hash"
    );
    // Shard 1 of 3 holds cell 1 alone (cells 0..4): leaving it out names it.
    let output = run(dir.path(), &[refs[0], refs[2]], &[&merged_arg]);
    assert_fails(
        &output,
        1,
        &["strata merge: missing cells 1 (shard 1/3 not given)"],
    );
    compare_and_plot(dir.path(), &merged);
}
