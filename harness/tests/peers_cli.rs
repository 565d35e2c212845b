//! `strata bench` with the peers' own db_bench binaries as engines
//! (`db_bench:leveldb`, `db_bench:rocksdb`), beside strata's engine and the
//! C API engine in one run. The binaries come from
//! `scripts/install-peers.sh`; without them these tests say so and pass,
//! except under `STRATA_CI_STRICT=1` (CI installs them), where a missing
//! peer fails.

mod common;

use common::strata;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
struct Row {
    engine_spec: String,
    benchmark: String,
    ops: u64,
    found: Option<u64>,
    micros_per_op: f64,
    peer_binary: String,
    peer_version: String,
    peer_header: String,
    peak_rss_bytes: u64,
}

/// Where the install script puts LevelDB 1.23's db_bench.
fn leveldb_peer() -> PathBuf {
    let dir = std::env::var_os("STRATA_PEERS_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".local/share/strata/peers")
        });
    dir.join("leveldb-1.23").join("db_bench")
}

/// True when `binary` is there; false (after saying why) when it is not
/// and CI did not promise it; a failure when CI promised it.
fn have(binary: &Path) -> bool {
    if binary.is_file() {
        return true;
    }
    assert!(
        std::env::var_os("STRATA_CI_STRICT").is_none(),
        "{} is missing but CI installs it (scripts/install-peers.sh)",
        binary.display()
    );
    eprintln!(
        "skipped: no {} (run scripts/install-peers.sh)",
        binary.display()
    );
    false
}

fn bench(dir: &Path, args: &[&str]) -> (String, Vec<Row>) {
    common::bench_rows(dir, args)
}

#[test]
fn leveldbs_own_db_bench_finds_what_strata_and_the_c_api_engine_find() {
    if !have(&leveldb_peer()) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut engines = vec!["--engine=lsm", "--engine=db_bench:leveldb"];
    if cfg!(feature = "leveldb") {
        engines.push("--engine=leveldb");
    }
    let mut args = vec!["--benchmarks=fillseq,fillrandom,readrandom", "--num=3000"];
    args.extend(&engines);
    let (stdout, rows) = bench(dir.path(), &args);
    assert_eq!(rows.len(), 3 * engines.len(), "{rows:?}");
    let found: Vec<(String, Option<u64>)> = rows
        .iter()
        .filter(|r| r.benchmark == "readrandom")
        .map(|r| (r.engine_spec.clone(), r.found))
        .collect();
    let strata_found = found[0].1.expect("strata's readrandom found count");
    assert!(strata_found > 0 && strata_found < 3000, "{found:?}");
    for (spec, count) in &found {
        assert_eq!(
            *count,
            Some(strata_found),
            "{spec}: the same keys as db_bench's"
        );
    }
    let peer: Vec<&Row> = rows
        .iter()
        .filter(|r| r.engine_spec == "db_bench:leveldb")
        .collect();
    for row in &peer {
        assert_eq!(row.peer_version, "1.23", "{row:?}");
        assert!(
            row.peer_binary.ends_with("leveldb-1.23/db_bench"),
            "{row:?}"
        );
        assert!(row.peer_header.contains("Keys:"), "{row:?}");
        assert_eq!(row.ops, 3000, "{row:?}");
        assert!(row.micros_per_op > 0.0, "{row:?}");
    }
    // Peak RSS of a peer row is the peer process's own: nonzero, and far
    // below the harness's, which holds an LSM engine and its libraries.
    let harness_rss = rows
        .iter()
        .filter(|r| r.engine_spec == "lsm")
        .map(|r| r.peak_rss_bytes)
        .max()
        .expect("lsm rows");
    for row in &peer {
        assert!(
            row.peak_rss_bytes > 0 && row.peak_rss_bytes < harness_rss,
            "peer {} vs harness {harness_rss}: {row:?}",
            row.peak_rss_bytes
        );
    }
    // The peer's own lines are on the console, between strata's.
    assert!(stdout.contains("readrandom   :"), "{stdout}");
    assert!(
        rows.iter()
            .filter(|r| r.engine_spec != "db_bench:leveldb")
            .all(|r| r.peer_binary.is_empty() && r.peer_version.is_empty()),
        "in-process engines have no peer provenance"
    );
}

#[test]
fn rocksdbs_own_db_bench_skips_aloud_what_it_lacks() {
    if !have(Path::new("/usr/bin/db_bench")) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (stdout, rows) = bench(
        dir.path(),
        &[
            "--engine=db_bench:rocksdb",
            "--benchmarks=fillseq,readhot,readrandom",
            "--num=1000",
        ],
    );
    let names: Vec<&str> = rows.iter().map(|r| r.benchmark.as_str()).collect();
    assert_eq!(names, ["fillseq", "readrandom"]);
    assert!(
        stdout.contains("readhot      : skipped (RocksDB's db_bench has no such benchmark)"),
        "{stdout}"
    );
    assert!(
        rows.iter().all(|r| r.peer_version.starts_with('7')),
        "{rows:?}"
    );
    assert_eq!(rows[1].found, Some(rows[1].found.expect("found")));
}

#[test]
fn peers_refuse_what_they_cannot_run_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = format!(
        "--engine=db_bench:path={}",
        dir.path().join("no-such-db_bench").display()
    );
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![missing.as_str(), "--benchmarks=fillseq"],
            "run scripts/install-peers.sh",
        ),
        (vec!["--engine=db_bench:wiredtiger"], "--engine: "),
    ];
    for (args, needle) in cases {
        let mut argv = vec!["bench", "--no-plot", "--num=10"];
        argv.extend(args.iter().copied());
        let output = strata(dir.path(), &argv);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{argv:?}: {stderr}");
        assert!(stderr.contains(needle), "{argv:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{argv:?}: one line: {stderr}");
    }
    if have(&leveldb_peer()) {
        let output = strata(
            dir.path(),
            &[
                "bench",
                "--no-plot",
                "--engine=db_bench:leveldb",
                "--benchmarks=fillseq,ycsbc",
            ],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("runs db_bench's own benchmarks only; ycsbc"),
            "{stderr}"
        );
        let output = strata(
            dir.path(),
            &[
                "bench",
                "--no-plot",
                "--engine=db_bench:leveldb",
                "--seed=7",
                "--num=10",
            ],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("--seed"), "{stderr}");
    }
}

#[test]
fn compression_off_needs_a_leveldb_built_without_snappy() {
    let snappy = leveldb_peer();
    let nosnappy = snappy.with_file_name("db_bench_nosnappy");
    if !have(&snappy) || !have(&nosnappy) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let output = strata(
        dir.path(),
        &[
            "bench",
            "--no-plot",
            "--engine=db_bench:leveldb,compression=none",
            "--benchmarks=fillseq",
            "--num=100",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("compression=none was asked for, but this binary compresses with Snappy"),
        "{stderr}"
    );
    let spec = format!(
        "--engine=db_bench:leveldb,compression=none,path={}",
        nosnappy.display()
    );
    let (_, rows) = bench(
        dir.path(),
        &[
            spec.as_str(),
            "--engine=lsm:compression=none",
            "--benchmarks=fillrandom,readrandom",
            "--num=2000",
        ],
    );
    let found: Vec<Option<u64>> = rows
        .iter()
        .filter(|r| r.benchmark == "readrandom")
        .map(|r| r.found)
        .collect();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0], found[1], "{rows:?}");
    assert!(
        rows[0]
            .peer_header
            .contains("Snappy compression is not enabled"),
        "{rows:?}"
    );
}
