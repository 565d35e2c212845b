//! `strata bench` with YCSB workloads, end to end: the built binary on the
//! LSM engine in a temporary directory. A workload row plus one row per
//! operation type in the CSV, the db_bench-style line on stdout, YCSB
//! workloads after db_bench benchmarks in one list, and one-line exit-2
//! errors for bad YCSB flags.

mod common;

use common::strata;
use serde::Deserialize;
use std::path::Path;

/// The columns these tests read.
#[derive(Debug, Deserialize)]
struct Row {
    benchmark: String,
    num: u64,
    reads: u64,
    value_size_bytes: u32,
    rng: String,
    ops: u64,
    micros_per_op: f64,
    found: Option<u64>,
    latency_us_p50: Option<f64>,
    latency_us_max: Option<f64>,
    user_bytes_written: u64,
    message: String,
}

fn rows(path: &Path) -> Vec<Row> {
    csv::Reader::from_path(path)
        .expect("open results")
        .deserialize::<Row>()
        .map(|r| r.expect("row deserialises"))
        .collect()
}

#[test]
fn ycsb_a_and_c_produce_lines_and_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x.csv");
    let db = dir.path().join("d");
    let output = strata(
        dir.path(),
        &[
            "bench",
            "--benchmarks",
            "ycsba,ycsbc",
            "--ycsb_records",
            "500",
            "--ycsb_ops",
            "500",
            "--db",
            db.to_str().expect("utf-8 path"),
            "--out",
            out.to_str().expect("utf-8 path"),
            "--no-plot",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !stdout.contains("Keys:"),
        "no db_bench header without db_bench benchmarks"
    );
    assert!(stdout.contains("YCSB:       500 records"), "{stdout}");
    for name in ["ycsba", "ycsbc"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("{name:<12} : "))
                    && l.contains(" micros/op; (reads ")),
            "no line for {name}:\n{stdout}"
        );
    }
    let rows = rows(&out);
    let names: Vec<&str> = rows.iter().map(|r| r.benchmark.as_str()).collect();
    assert_eq!(
        names,
        ["ycsba", "ycsba.read", "ycsba.update", "ycsbc", "ycsbc.read"]
    );
    let by = |n: &str| rows.iter().find(|r| r.benchmark == n).expect("row");
    for r in &rows {
        assert_eq!((r.num, r.reads, r.value_size_bytes), (500, 500, 1000));
        assert_eq!(r.rng, "xoshiro");
        assert!(r.micros_per_op > 0.0, "{r:?}");
        // Real latencies (not a clamped histogram): p50 at least 0.1 µs.
        assert!(r.latency_us_p50.is_some_and(|p| p >= 0.1), "{r:?}");
        assert!(r.latency_us_max >= r.latency_us_p50);
    }
    assert_eq!(by("ycsba").ops, 500);
    assert_eq!(by("ycsba.read").ops + by("ycsba.update").ops, 500);
    assert_eq!(by("ycsba").found, Some(by("ycsba.read").ops));
    assert!(by("ycsba").user_bytes_written >= by("ycsba.update").ops * 1000);
    assert_eq!(
        by("ycsba.read").user_bytes_written,
        0,
        "counters on the workload row only"
    );
    assert_eq!(by("ycsbc.read").ops, 500);
    assert_eq!(by("ycsbc").found, Some(500));
    assert_eq!(by("ycsbc").message, "(reads 500)");
}

#[test]
fn ycsb_and_db_bench_run_in_the_order_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x.csv");
    let output = strata(
        dir.path(),
        &[
            "bench",
            "--benchmarks=ycsbe,fillseq,readrandom",
            "--num=200",
            "--ycsb_records=200",
            "--ycsb_ops=100",
            "--db=d",
            "--out=x.csv",
            "--no-plot",
        ],
    );
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // In the order written: the workload, its per-type rows, then
    // db_bench's two on a database of their own.
    let rows = rows(&out);
    let n = rows.len();
    assert_eq!(rows[0].benchmark, "ycsbe");
    assert!(rows[1..n - 2]
        .iter()
        .all(|r| r.benchmark == "ycsbe.scan" || r.benchmark == "ycsbe.insert"));
    assert_eq!(rows[0].found, None, "no reads in E");
    assert_eq!(rows[n - 2].benchmark, "fillseq");
    assert_eq!(rows[n - 1].benchmark, "readrandom");
    assert_eq!(rows[n - 1].found, Some(200), "{:?}", rows[n - 1]);
}

#[test]
fn bad_ycsb_flags_exit_2_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (flag, value) in [
        ("--ycsb_records", "0"),
        ("--ycsb_ops", "-1"),
        ("--ycsb_zipf", "1.5"),
    ] {
        let output = strata(
            dir.path(),
            &[
                "bench",
                "--benchmarks=ycsba",
                flag,
                value,
                "--db=d",
                "--out=x.csv",
                "--no-plot",
            ],
        );
        assert_eq!(output.status.code(), Some(2), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("strata bench: {flag}:")),
            "{stderr}"
        );
        assert!(!dir.path().join("d").exists(), "no database for bad flags");
    }
    let output = strata(dir.path(), &["bench", "--benchmarks=ycsbg", "--no-plot"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("'ycsbg'"));
}
