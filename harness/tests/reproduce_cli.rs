//! `strata reproduce` end to end at `--num 2000 --repeat 1` in a temporary
//! working directory. Built with `--features leveldb` it must write the
//! results CSV, `index.md` and the chart, and print a table row per
//! benchmark; built without, it must refuse in one line with exit 2.

use std::path::Path;
use std::process::{Command, Output};

/// The seed's list, in order (the published files' rows).
const SEED_LIST: &[&str] = &[
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
];

fn strata(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .current_dir(cwd)
        .env("TMPDIR", cwd)
        .output()
        .expect("strata runs")
}

/// The table's body rows: `| n | benchmark | ...`, as (position, name, cells).
fn table_rows(text: &str) -> Vec<(String, String, Vec<String>)> {
    text.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            (cells[0].clone(), cells[1].clone(), cells)
        })
        .collect()
}

fn only_file_in(dir: &Path) -> std::path::PathBuf {
    let entries: Vec<_> = std::fs::read_dir(dir)
        .expect("folder exists")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries.into_iter().next().expect("one entry")
}

#[test]
fn quick_reproduce_writes_the_report_or_names_the_feature() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = strata(tmp.path(), &["reproduce", "--num", "2000", "--repeat", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    if stderr.contains("--leveldb: no LevelDB") {
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("--features leveldb"), "{stderr}");
        assert!(stderr.contains("install-peers.sh"), "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(!tmp.path().join("results").exists(), "nothing written");
        return;
    }
    assert!(out.status.success(), "{stderr}");

    // stdout: the table, one row per benchmark in the seed's order, each
    // with a measured ratio and the published one.
    let rows = table_rows(&stdout);
    let names: Vec<&str> = rows.iter().map(|(_, n, _)| n.as_str()).collect();
    assert_eq!(names, SEED_LIST, "{stdout}");
    for (i, (position, name, cells)) in rows.iter().enumerate() {
        assert_eq!(position, &(i + 1).to_string());
        assert_eq!(cells.len(), 8, "{name}: {cells:?}");
        assert!(
            cells[4].ends_with('×'),
            "published ratio of {name}: {cells:?}"
        );
        assert!(
            cells[7].ends_with('×'),
            "measured ratio of {name}: {cells:?}"
        );
        let ratio: f64 = cells[7].trim_end_matches('×').parse().expect("ratio");
        assert!(ratio > 0.0 && ratio.is_finite(), "{name}: {ratio}");
    }
    assert!(
        stdout.contains("| 1 | fillseq | 2.267 | 1.988 | 0.88× |"),
        "{stdout}"
    );

    // The raw rows: one per engine × benchmark.
    let csv_path = only_file_in(&tmp.path().join("results"));
    let name = csv_path
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    assert!(
        name.starts_with("reproduce-") && name.ends_with(".csv"),
        "{name}"
    );
    let mut reader = csv::Reader::from_path(&csv_path).expect("csv opens");
    let header = reader.headers().expect("header").clone();
    let engine_col = header
        .iter()
        .position(|h| h == "engine_spec")
        .expect("engine_spec");
    let bench_col = header
        .iter()
        .position(|h| h == "benchmark")
        .expect("benchmark");
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(records.len(), 2 * SEED_LIST.len());
    let engines: Vec<&str> = records.iter().map(|r| &r[engine_col]).collect();
    assert!(engines[..SEED_LIST.len()]
        .iter()
        .all(|e| *e == "lsm:compression=none"));
    // LevelDB's own db_bench (built without Snappy) when installed, else
    // the C API engine; the report says which.
    let leveldb = engines[SEED_LIST.len()];
    assert!(
        leveldb == "leveldb:compression=none"
            || leveldb.starts_with("db_bench:leveldb,compression=none,path="),
        "{leveldb}"
    );
    assert!(engines[SEED_LIST.len()..].iter().all(|e| *e == leveldb));
    assert!(stderr.contains("LevelDB:    LevelDB 1.23"), "{stderr}");
    assert_eq!(&records[13][bench_col], "crc32c");
    // LevelDB's C API hides its I/O: its amplification is unknown (empty),
    // never 0; strata's own engine counts it.
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (wa, ra) = (column("write_amplification"), column("read_amplification"));
    let fillrandom = |engine: &str| {
        records
            .iter()
            .find(|r| &r[bench_col] == "fillrandom" && r[engine_col].starts_with(engine))
            .expect("fillrandom row")
    };
    assert_eq!(&fillrandom(leveldb)[wa], "");
    assert!(fillrandom("lsm")[wa].parse::<f64>().is_ok_and(|w| w > 1.0));
    for r in records.iter().filter(|r| &r[engine_col] == leveldb) {
        assert_eq!((&r[wa], &r[ra]), ("", ""), "{}", &r[bench_col]);
    }

    // The report folder: index.md with the same table, and the chart.
    let run_dir = only_file_in(&tmp.path().join("reports").join("reproduce"));
    let run_id = run_dir
        .file_name()
        .expect("run id")
        .to_string_lossy()
        .to_string();
    assert_eq!(name, format!("reproduce-{run_id}.csv"));
    let index = std::fs::read_to_string(run_dir.join("index.md")).expect("index.md");
    assert_eq!(table_rows(&index), rows, "index.md holds the printed table");
    assert!(
        index.contains("ratios.svg") && index.contains("--num 2000"),
        "{index}"
    );
    assert!(index.contains("LevelDB: LevelDB 1.23"), "{index}");
    for chart in ["ratios.svg", "ratios.png"] {
        let bytes = std::fs::metadata(run_dir.join(chart)).expect(chart).len();
        assert!(bytes > 1000, "{chart}: {bytes} bytes");
    }
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("tmp")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("strata-reproduce-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary databases removed: {leftovers:?}"
    );
}

#[test]
fn bad_flags_exit_2_in_one_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for args in [["--repeat", "0"], ["--num", "0"]] {
        let out = strata(tmp.path(), &["reproduce", args[0], args[1]]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(args[0]) || stderr.contains("--leveldb: no LevelDB"),
            "{stderr}"
        );
    }
}

#[test]
fn a_missing_native_leveldb_is_a_flag_error_naming_the_install_script() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(tmp.path())
        .env("STRATA_PEERS_DIR", tmp.path().join("no-peers"))
        .args(["reproduce", "--num", "100", "--leveldb", "native"])
        .output()
        .expect("run strata");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("--leveldb: native: no ") && stderr.contains("install-peers.sh"),
        "{stderr}"
    );
    assert!(!tmp.path().join("results").exists(), "nothing written");
}
