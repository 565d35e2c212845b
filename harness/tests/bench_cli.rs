//! `strata bench` end to end: the built binary at small `--num` on the LSM
//! engine in a temporary directory. Rows per benchmark in the CSV (which
//! reads back through serde), db_bench's found arithmetic, `--matrix`,
//! `--repeat`, `--help`, and one-line exit-2 errors that leave no
//! database behind.

mod common;

use common::strata;
use serde::Deserialize;
use std::path::Path;

/// The CSV's columns, in order (csv_row.rs: columns are only ever added
/// at the end).
const COLUMNS: &[&str] = &[
    "run_id",
    "start_time",
    "git_rev",
    "cpu_model",
    "cpu_cores",
    "engine_spec",
    "engine_kind",
    "memtable",
    "compaction",
    "compression",
    "bloom_bits",
    "benchmark",
    "repetition",
    "num",
    "reads",
    "threads",
    "key_size_bytes",
    "value_size_bytes",
    "seed",
    "rng",
    "ops",
    "elapsed_us",
    "micros_per_op",
    "ops_per_s",
    "mb_per_s",
    "found",
    "latency_us_p50",
    "latency_us_p75",
    "latency_us_p90",
    "latency_us_p99",
    "latency_us_p999",
    "latency_us_p9999",
    "latency_us_max",
    "user_bytes_written",
    "disk_bytes_written",
    "write_amplification",
    "read_amplification",
    "space_amplification",
    "db_size_bytes",
    "peak_rss_bytes",
    "message",
    "logical_bytes",
    "stored_bytes",
    "dedupe_ratio",
];

/// db_bench 1.23's default benchmark list.
const DEFAULT_LIST: &[&str] = &[
    "fillseq",
    "fillsync",
    "fillrandom",
    "overwrite",
    "readrandom",
    "readrandom",
    "readseq",
    "readreverse",
    "compact",
    "readrandom",
    "readseq",
    "readreverse",
    "fill100K",
    "crc32c",
    "snappycomp",
    "snappyuncomp",
];

/// The columns these tests read, typed as the bench writes them.
#[derive(Debug, Deserialize)]
struct Row {
    engine_spec: String,
    memtable: String,
    benchmark: String,
    repetition: u32,
    num: u64,
    value_size_bytes: u32,
    ops: u64,
    micros_per_op: f64,
    ops_per_s: f64,
    mb_per_s: Option<f64>,
    found: Option<u64>,
    latency_us_p50: Option<f64>,
    write_amplification: Option<f64>,
    message: String,
}

/// Runs `strata bench ARGS --db DIR/db --out DIR/out.csv` (plus
/// `--no-plot`) in `dir`, expects success, and returns stdout and rows.
fn bench(dir: &Path, args: &[&str]) -> (String, Vec<Row>) {
    let db = dir.join("db");
    let out = dir.join("out.csv");
    let mut argv = vec!["bench", "--no-plot"];
    argv.extend_from_slice(args);
    let db_arg = format!("--db={}", db.display());
    let out_arg = format!("--out={}", out.display());
    argv.push(&db_arg);
    argv.push(&out_arg);
    let output = strata(dir, &argv);
    assert!(
        output.status.success(),
        "strata {argv:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8(output.stdout).expect("utf8 stdout"),
        read_rows(&out),
    )
}

/// Reads the CSV, checking the header first.
fn read_rows(path: &Path) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(path).expect("open results");
    let headers = reader.headers().expect("header").clone();
    let headers: Vec<&str> = headers.iter().collect();
    assert!(
        headers.starts_with(COLUMNS),
        "columns changed or reordered: {headers:?}"
    );
    reader
        .deserialize::<Row>()
        .map(|r| r.expect("row deserialises"))
        .collect()
}

fn names(rows: &[Row]) -> Vec<&str> {
    rows.iter().map(|r| r.benchmark.as_str()).collect()
}

fn found_fraction(rows: &[Row], benchmark: &str) -> f64 {
    let row = rows
        .iter()
        .find(|r| r.benchmark == benchmark)
        .expect("benchmark row");
    let found = row.found.expect("found column") as f64;
    found / row.ops as f64
}

#[test]
fn default_list_writes_a_row_per_benchmark() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stdout, rows) = bench(dir.path(), &["--num=2000"]);
    assert_eq!(names(&rows), DEFAULT_LIST);
    for (row, name) in rows.iter().zip(DEFAULT_LIST) {
        assert!(
            stdout.contains(&format!("{name:<12} : ")),
            "{name} printed: {stdout}"
        );
        assert_eq!(row.engine_spec, "lsm");
        assert_eq!(row.memtable, "skiplist");
        assert_eq!(row.repetition, 0);
        assert_eq!(row.num, 2000);
        // db_bench's compact counts no operations (micros/op is its time).
        assert_eq!(row.ops > 0, *name != "compact", "{name} operations");
        assert_eq!(row.ops_per_s > 0.0, row.ops > 0, "{name} ops/s");
        assert!(row.micros_per_op > 0.0, "{name} timed");
        assert_eq!(row.latency_us_p50, None, "no histogram asked");
    }
    let by_name = |n: &str| rows.iter().find(|r| r.benchmark == n).expect("row");
    assert_eq!(by_name("fillsync").ops, 2, "fillsync does num/1000 writes");
    assert_eq!(by_name("fill100K").value_size_bytes, 100_000);
    assert_eq!(by_name("fillseq").value_size_bytes, 100);
    assert!(by_name("fillseq").mb_per_s.is_some_and(|m| m > 0.0));
    assert!(by_name("fillrandom")
        .write_amplification
        .is_some_and(|w| w > 0.0));
    // The default list runs readrandom after fillrandom and overwrite.
    let first_read = found_fraction(&rows, "readrandom");
    let expected = 1.0 - (-2.0f64).exp();
    assert!(
        (first_read - expected).abs() < 0.03,
        "found {first_read}, expected about {expected}"
    );
    assert!(
        by_name("readrandom").message.contains("of 2000 found"),
        "{}",
        by_name("readrandom").message
    );
}

#[test]
fn readrandom_finds_one_minus_e_to_the_minus_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, rows) = bench(
        dir.path(),
        &["--num=2000", "--benchmarks=fillrandom,readrandom"],
    );
    assert_eq!(names(&rows), ["fillrandom", "readrandom"]);
    let once = found_fraction(&rows, "readrandom");
    let expected = 1.0 - (-1.0f64).exp();
    assert!(
        (once - expected).abs() < 0.03,
        "found {once}, expected {expected}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let (_, rows) = bench(
        dir.path(),
        &["--num=2000", "--benchmarks=fillrandom,overwrite,readrandom"],
    );
    let twice = found_fraction(&rows, "readrandom");
    let expected = 1.0 - (-2.0f64).exp();
    assert!(
        (twice - expected).abs() < 0.03,
        "found {twice}, expected {expected}"
    );
}

#[test]
fn bad_flags_exit_2_with_one_line_and_no_database() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--benchmarks=fillseq,fillrandm"],
            &[
                "fillrandm",
                "fillseq",
                "readrandom",
                "snappyuncomp",
                "sstables",
                "ycsba",
                "fs_create",
            ],
        ),
        (&["--num", "-5"], &["--num"]),
        (&["--num=abc"], &["--num"]),
        (&["--value_size=0"], &["--value_size"]),
        (&["--value_size", "-1"], &["--value_size"]),
        (&["--compression_ratio", "2"], &["--compression_ratio"]),
        (
            &["--engine", "lsm:memtabel=btree"],
            &["--engine", "memtabel", "memtable"],
        ),
        (&["--engine", "rocksdb"], &["--engine", "lsm"]),
        (&["--matrix", "memtable"], &["--matrix", "KEY=V1,V2"]),
        (
            &["--matrix", "memtable=splay,btree"],
            &["--matrix", "splay", "skiplist"],
        ),
        (
            &["--matrix", "memtable=btree,"],
            &["--matrix", "empty value"],
        ),
        (&["--matrix"], &["--matrix"]),
        (&["--engine=lsm", "--engine=lsm"], &["--engine", "twice"]),
        (&["--repeat=0"], &["--repeat"]),
        (&["--no-such-flag"], &["--no-such-flag"]),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db");
    let out = dir.path().join("out.csv");
    let db_arg = format!("--db={}", db.display());
    let out_arg = format!("--out={}", out.display());
    for (args, needles) in cases {
        let mut argv = vec!["bench", db_arg.as_str(), out_arg.as_str()];
        argv.extend_from_slice(args);
        let output = strata(dir.path(), &argv);
        let stderr = String::from_utf8(output.stderr).expect("utf8 stderr");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr:?}");
        for needle in *needles {
            assert!(stderr.contains(needle), "{args:?}: {needle} in {stderr:?}");
        }
        assert!(output.stdout.is_empty(), "{args:?}: nothing on stdout");
        assert!(!db.exists(), "{args:?} created the database directory");
        assert!(!out.exists(), "{args:?} created the results file");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("list").count(),
        0,
        "nothing created in the working directory"
    );
}

#[test]
fn help_documents_every_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = strata(dir.path(), &["bench", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8(output.stdout).expect("utf8 help");
    for flag in [
        "--benchmarks",
        "--num",
        "--reads",
        "--threads",
        "--value_size",
        "--compression_ratio",
        "--histogram",
        "--use_existing_db",
        "--write_buffer_size",
        "--max_file_size",
        "--block_size",
        "--cache_size",
        "--bloom_bits",
        "--open_files",
        "--db",
        "--seed",
        "--rng",
        "--engine",
        "--matrix",
        "--repeat",
        "--out",
        "--no-plot",
        "--help",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
    assert!(
        help.contains("deduplicated"),
        "--matrix says how duplicates are handled"
    );
}

#[test]
fn matrix_runs_every_engine_in_its_own_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stdout, rows) = bench(
        dir.path(),
        &[
            "--num=500",
            "--benchmarks=fillrandom,readrandom",
            "--matrix",
            "memtable=skiplist,btree",
        ],
    );
    let engines: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.engine_spec.as_str(),
                r.memtable.as_str(),
                r.benchmark.as_str(),
            )
        })
        .collect();
    assert_eq!(
        engines,
        [
            ("lsm:memtable=skiplist", "skiplist", "fillrandom"),
            ("lsm:memtable=skiplist", "skiplist", "readrandom"),
            ("lsm:memtable=btree", "btree", "fillrandom"),
            ("lsm:memtable=btree", "btree", "readrandom"),
        ]
    );
    // Same keys on both engines: the same found counts.
    assert_eq!(rows[1].found, rows[3].found);
    assert!(rows[1].found.is_some_and(|f| f > 0));
    assert_eq!(stdout.matches("readrandom   : ").count(), 2, "{stdout}");
    for sub in ["0-lsm", "1-lsm"] {
        assert!(
            dir.path().join("db").join(sub).join("CURRENT").exists(),
            "{sub} has its own database"
        );
    }
}

#[test]
fn repeat_prints_the_median_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stdout, rows) = bench(
        dir.path(),
        &["--num=300", "--benchmarks=fillseq,readseq", "--repeat=2"],
    );
    let reps: Vec<(u32, &str)> = rows
        .iter()
        .map(|r| (r.repetition, r.benchmark.as_str()))
        .collect();
    assert_eq!(
        reps,
        [
            (0, "fillseq"),
            (0, "readseq"),
            (1, "fillseq"),
            (1, "readseq")
        ]
    );
    assert!(
        stdout.contains("Summary over 2 repetitions (micros/op: median (min-max)):"),
        "{stdout}"
    );
    let summary = stdout
        .split("Summary over")
        .nth(1)
        .expect("summary section");
    for name in ["fillseq", "readseq"] {
        let line = summary
            .lines()
            .find(|l| l.contains(name))
            .expect("summary line");
        let mut micros: Vec<f64> = rows
            .iter()
            .filter(|r| r.benchmark == name)
            .map(|r| r.micros_per_op)
            .collect();
        micros.sort_by(f64::total_cmp);
        let median = (micros[0] + micros[1]) / 2.0;
        // The CSV holds the exact values the summary was computed from.
        let expected = format!("{median:.3} ({:.3}-{:.3})", micros[0], micros[1]);
        assert!(line.ends_with(&expected), "{line:?} vs {expected:?}");
    }
}
