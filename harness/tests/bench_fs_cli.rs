//! `strata bench` with the filesystem benchmarks: the built binary on a
//! small tree, on a real directory. One CSV row per printed line with the
//! store's logical and stored bytes; mixed lists run db_bench, YCSB and
//! filesystem parts in that order; bad fs flags exit 2 with one line.

mod common;

use common::strata;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct Row {
    engine_spec: String,
    benchmark: String,
    ops: u64,
    mb_per_s: Option<f64>,
    latency_us_p50: Option<f64>,
    latency_us_p99: Option<f64>,
    write_amplification: Option<f64>,
    space_amplification: Option<f64>,
    message: String,
    logical_bytes: Option<u64>,
    stored_bytes: Option<u64>,
    dedupe_ratio: Option<f64>,
    found: Option<u64>,
    cell: u64,
    cells: u64,
    shard: String,
}

fn bench(dir: &Path, args: &[&str]) -> (String, Vec<Row>) {
    common::bench_rows(dir, args)
}

fn source_tree(dir: &Path) {
    for (i, sub) in ["a", "a/b", "c"].iter().cycle().take(12).enumerate() {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        std::fs::write(
            dir.join(sub).join(format!("{i}.txt")),
            vec![b'x'; 100 + i * 500],
        )
        .expect("write");
    }
}

#[test]
fn fs_suite_writes_a_row_per_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    source_tree(&src);
    let src_arg = format!("--fs_source={}", src.display());
    let (stdout, rows) = bench(
        dir.path(),
        &[
            "--benchmarks=fs,fs_import",
            "--engine=lsm:memtable=btree,compaction=tiered",
            "--fs_files=40",
            "--fs_ops=30",
            "--fs_bigfile_mb=1",
            "--fs_bigfile_edits=3",
            &src_arg,
        ],
    );
    let names: Vec<&str> = rows.iter().map(|r| r.benchmark.as_str()).collect();
    assert_eq!(
        names,
        [
            "fs_create",
            "fs_read",
            "fs_stat",
            "fs_readdir",
            "fs_overwrite",
            "fs_rename",
            "fs_history",
            "fs_unlink",
            "fs_bigfile.write",
            "fs_bigfile.read",
            "fs_bigfile.edit",
            "fs_import",
            "fs_import.update"
        ]
    );
    for row in &rows {
        assert_eq!(row.engine_spec, "lsm:compaction=tiered,memtable=btree");
        let line = format!("{:<12} : ", row.benchmark);
        assert!(stdout.contains(&line), "{line:?} in {stdout}");
        assert!(row.logical_bytes.is_some_and(|b| b > 0), "{row:?}");
        assert!(row.stored_bytes.is_some_and(|b| b > 0), "{row:?}");
        assert!(row.dedupe_ratio.is_some_and(|d| d > 0.0), "{row:?}");
        assert!(row.space_amplification.is_some(), "{row:?}");
        if !row.benchmark.starts_with("fs_import") {
            assert!(
                row.latency_us_p50.is_some() && row.latency_us_p99.is_some(),
                "{row:?}"
            );
        }
    }
    let by_name = |n: &str| rows.iter().find(|r| r.benchmark == n).expect("row");
    assert_eq!(by_name("fs_create").ops, 44, "40 files and 4 directories");
    assert_eq!(by_name("fs_read").ops, 30);
    assert!(by_name("fs_create").mb_per_s.is_some());
    assert!(by_name("fs_create").write_amplification.is_some());
    assert!(by_name("fs_bigfile.edit").message.contains("dedupe"));
    // The big file's versions share chunks: the store dedupes.
    assert!(by_name("fs_bigfile.edit")
        .dedupe_ratio
        .is_some_and(|d| d > 1.5));
    assert!(stdout.contains("Filesystem: blobfs; 40 files"), "{stdout}");
    assert!(
        !dir.path().join("db.fs_import").exists(),
        "fs_import removes its changed copy"
    );
    assert!(src.join("a/0.txt").exists(), "the source is left alone");
}

#[test]
fn a_mixed_list_runs_in_the_order_written_each_family_on_its_own_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stdout, rows) = bench(
        dir.path(),
        &[
            "--benchmarks=ycsbc,fillseq,fs_create,fs_stat,readrandom",
            "--num=200",
            "--ycsb_records=50",
            "--ycsb_ops=50",
            "--fs_files=10",
        ],
    );
    let names: Vec<&str> = rows.iter().map(|r| r.benchmark.as_str()).collect();
    assert_eq!(
        names,
        [
            "ycsbc",
            "ycsbc.read",
            "fillseq",
            "fs_create",
            "fs_stat",
            "readrandom"
        ]
    );
    // The filesystem benchmarks between fillseq and readrandom did not
    // touch db_bench's database: every key fillseq wrote is found.
    let readrandom = rows
        .iter()
        .find(|r| r.benchmark == "readrandom")
        .expect("row");
    assert_eq!(readrandom.found, Some(200), "{readrandom:?}");
    // Cells: ycsbc alone, db_bench's two benchmarks, the fs pair.
    let cells: Vec<u64> = rows.iter().map(|r| r.cell).collect();
    assert_eq!(cells, [0, 0, 1, 2, 2, 1]);
    assert!(rows.iter().all(|r| r.cells == 3 && r.shard == "0/1"));
    // The console shows each family's header before its first benchmark.
    let at = |needle: &str| {
        stdout
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in {stdout}"))
    };
    assert!(at("YCSB:") < at("ycsbc "));
    assert!(at("ycsbc ") < at("Keys:"));
    assert!(at("Keys:") < at("fillseq "));
    assert!(at("fillseq ") < at("Filesystem:"));
    assert!(at("fs_stat ") < at("readrandom "));
    // The first family's database is --db; the others go beside it.
    for name in ["db", "db.db_bench", "db.fs"] {
        assert!(dir.path().join(name).join("CURRENT").exists(), "{name}");
    }
}

#[test]
fn bad_fs_flags_exit_2_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["--benchmarks=fs_read"], "fs_read needs fs_create"),
        (
            &["--benchmarks=fs_create,fs_unlink,fs_stat"],
            "fs_stat after fs_unlink",
        ),
        (&["--benchmarks=fs_import"], "--fs_source"),
        (&["--benchmarks=fs", "--fs_files=0"], "--fs_files"),
        (&["--benchmarks=fs", "--fs_files=99999999999"], "--fs_files"),
        (&["--benchmarks=fs", "--fs_bigfile_mb=0"], "--fs_bigfile_mb"),
        (
            &["--benchmarks=fs", "--fs_bigfile_mb=99999"],
            "--fs_bigfile_mb",
        ),
        (
            &["--benchmarks=fs", "--fs_bigfile_edits=0"],
            "--fs_bigfile_edits",
        ),
        (
            &["--benchmarks=fs", "--fs_source=/no/such/dir"],
            "--fs_source",
        ),
        (&["--benchmarks="], "no benchmark given"),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let db_arg = format!("--db={}", dir.path().join("db").display());
    for (args, needle) in cases {
        let mut argv = vec!["bench", "--no-plot", db_arg.as_str()];
        argv.extend_from_slice(args);
        let output = strata(dir.path(), &argv);
        let stderr = String::from_utf8(output.stderr).expect("utf8");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(stderr.contains(needle), "{args:?}: {needle} in {stderr:?}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("list").count(),
        0,
        "nothing created"
    );
}
