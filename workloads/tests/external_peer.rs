//! The peer runner end to end: LevelDB 1.23's own `db_bench` run through
//! `PeerWorkload` finds exactly the keys strata's own db_bench finds (the
//! keys are byte-identical), and failing or garbled peers (shell scripts)
//! are errors quoting their last lines.
//!
//! The LevelDB binary is `${STRATA_PEERS_DIR:-$HOME/.local/share/strata/peers}/leveldb-1.23/db_bench`
//! under `STRATA_CI_STRICT=1` (CI runs `scripts/install-peers.sh` first;
//! missing, the test fails), else the shared copy
//! `../shared/tools/leveldb-1.23/db_bench_snappy` (missing, the test says
//! so on stderr and returns).

mod support;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use strata_workloads::db_bench::{parse_list, BenchResult, Config, Suite};
use strata_workloads::external::{Flavour, Peer, PeerOptions, PeerResult, PeerWorkload};
use strata_workloads::{Outcome, RunError, Workload};
use support::MapHost;

fn strict() -> bool {
    std::env::var_os("STRATA_CI_STRICT").is_some_and(|v| v == "1")
}

/// The LevelDB 1.23 db_bench to run, or `None` (said on stderr) when it is
/// missing outside CI.
fn leveldb_binary() -> Option<PathBuf> {
    let path = if strict() {
        let dir = std::env::var_os("STRATA_PEERS_DIR").map_or_else(
            || {
                let home = std::env::var_os("HOME").expect("HOME is set");
                Path::new(&home).join(".local/share/strata/peers")
            },
            PathBuf::from,
        );
        dir.join("leveldb-1.23/db_bench")
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/tools/leveldb-1.23/db_bench_snappy")
    };
    if path.is_file() {
        return Some(path);
    }
    assert!(
        !strict(),
        "STRATA_CI_STRICT=1, yet LevelDB's db_bench is not at {} (scripts/install-peers.sh puts it there)",
        path.display()
    );
    eprintln!(
        "skipped: LevelDB 1.23's db_bench is not at {} (run scripts/install-peers.sh)",
        path.display()
    );
    None
}

/// Runs every benchmark of `workload`, returning the peer results and the
/// echoed text.
fn run_all(workload: &mut PeerWorkload, n: usize) -> Result<(Vec<PeerResult>, String), RunError> {
    let mut out = Vec::new();
    let mut results = Vec::new();
    for _ in 0..n {
        for outcome in workload.run_next(&mut out)? {
            match outcome {
                Outcome::Peer(r) => results.push(r),
                other => panic!("not a peer outcome: {other:?}"),
            }
        }
    }
    Ok((results, String::from_utf8_lossy(&out).into_owned()))
}

#[test]
fn leveldb_db_bench_finds_what_strata_finds() {
    let Some(binary) = leveldb_binary() else {
        return;
    };
    let config = Config {
        num: 2000,
        ..Config::default()
    };
    let list = parse_list("fillseq,fillrandom,readrandom").expect("list");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("peer-db");
    // Something in the way: the workload destroys the directory first.
    std::fs::create_dir_all(&db).expect("mkdir");
    std::fs::write(db.join("junk"), b"x").expect("junk");
    let peer = Peer {
        binary: binary.clone(),
        flavour: Flavour::LevelDb,
    };
    let mut workload = PeerWorkload::new(
        peer,
        config.clone(),
        &PeerOptions::default(),
        list.clone(),
        db.clone(),
    )
    .expect("supported");
    let (peer_results, text) = run_all(&mut workload, list.len()).expect("the peer runs");
    assert!(
        !db.join("junk").exists(),
        "the database directory was destroyed first"
    );
    assert!(text.contains("LevelDB:    version 1.23"), "{text}");
    assert!(text.contains("readrandom   :"), "{text}");
    assert_eq!(peer_results.len(), 3);
    for (i, r) in peer_results.iter().enumerate() {
        assert_eq!(r.version, "1.23");
        assert_eq!(r.binary, binary);
        assert_eq!(r.result.position, i);
        assert_eq!(r.result.plan.benchmark, list[i]);
        assert!(
            r.header.iter().any(|l| l.starts_with("CPU:")),
            "{:?}",
            r.header
        );
        assert!(
            r.header.iter().any(|l| l == "Entries:    2000"),
            "{:?}",
            r.header
        );
        assert!(r.result.db_size_bytes > 0);
        assert!(r.result.metrics.is_none());
        assert_eq!(r.result.report.ops, 2000);
        assert!(r.result.report.micros_per_op > 0.0);
    }
    assert!(peer_results[0].result.report.mb_per_s.is_some());
    // The same list on strata's own db_bench, on the in-memory engine.
    let suite = Suite::new(config, list).expect("suite");
    let mut host = MapHost::default();
    let mut ours: Vec<BenchResult> = Vec::new();
    suite
        .run(&mut host, &mut std::io::sink(), &mut |r| {
            ours.push(r.clone());
            Ok(())
        })
        .expect("strata's run");
    let found = |r: &BenchResult| r.report.found;
    assert!(found(&ours[2]).is_some_and(|f| f > 0 && f < 2000));
    assert_eq!(
        peer_results[2].result.report.found,
        found(&ours[2]),
        "LevelDB's db_bench and strata's agree on readrandom's found count"
    );
    // A run is over: more calls do nothing.
    assert!(workload.run_next(&mut Vec::new()).expect("done").is_empty());
}

#[test]
fn rocksdb_db_bench_runs_with_every_setting_passed() {
    let binary = PathBuf::from("/usr/bin/db_bench");
    if !binary.is_file() {
        assert!(
            !strict(),
            "STRATA_CI_STRICT=1, yet RocksDB's db_bench is not at /usr/bin/db_bench (apt-get install rocksdb-tools)"
        );
        eprintln!("skipped: no /usr/bin/db_bench (apt-get install rocksdb-tools)");
        return;
    }
    let config = Config {
        num: 2000,
        histogram: true,
        ..Config::default()
    };
    let list = parse_list("fillseq,fillrandom,readrandom,readseq,stats").expect("list");
    let dir = tempfile::tempdir().expect("tempdir");
    let options = PeerOptions {
        write_buffer_size: Some(1 << 20),
        compression: Some(true),
        ..PeerOptions::default()
    };
    let peer = Peer {
        binary: binary.clone(),
        flavour: Flavour::RocksDb,
    };
    let mut workload =
        PeerWorkload::new(peer, config, &options, list.clone(), dir.path().join("db"))
            .expect("supported");
    let (results, text) = run_all(&mut workload, list.len()).expect("the peer runs");
    assert!(text.starts_with("RocksDB:    version "), "{text}");
    assert!(text.contains("Compression: Snappy"), "{text}");
    assert_eq!(results.len(), 5);
    let version = &results[0].version;
    assert!(
        version.starts_with(|c: char| c.is_ascii_digit()),
        "{version}"
    );
    for r in &results[..4] {
        let report = &r.result.report;
        assert!(report.ops > 0 && report.elapsed_s > 0.0, "{report:?}");
        let all = report.all_latency.expect("histogram");
        assert_eq!(all.count, report.ops, "{report:?}");
    }
    // RocksDB's own keys (its generator, seeded by --seed): some found.
    let found = results[2].result.report.found.expect("found");
    assert!(found > 0 && found <= 2000, "{found}");
    assert_eq!(results[4].result.report.name, "stats");
}

/// A script at `dir/name` printing `body` (sh).
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).expect("create");
    writeln!(f, "#!/bin/sh\n{body}").expect("write");
    drop(f);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

const HEADER: &str = "echo 'LevelDB:    version 1.23' >&2
echo 'CPU:        2 * test' >&2
echo 'CPUCache:   1 KB' >&2
echo 'Keys:       16 bytes each'
echo 'Entries:    100'
echo '------------------------------------------------'";

fn fake(
    dir: &Path,
    name: &str,
    body: &str,
    list: &str,
) -> Result<(Vec<PeerResult>, String), RunError> {
    let binary = script(dir, name, &format!("{HEADER}\n{body}"));
    let list = parse_list(list).expect("list");
    let n = list.len();
    let mut w = PeerWorkload::new(
        Peer {
            binary,
            flavour: Flavour::LevelDb,
        },
        Config {
            num: 100,
            ..Config::default()
        },
        &PeerOptions::default(),
        list,
        dir.join("db"),
    )
    .expect("supported");
    run_all(&mut w, n)
}

fn reason(e: RunError) -> String {
    match e {
        RunError::Workload { benchmark, reason } => format!("{benchmark}: {reason}"),
        other => panic!("not a workload error: {other}"),
    }
}

#[test]
fn a_peer_that_fails_is_an_error_quoting_its_last_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = fake(
        dir.path(),
        "exit1",
        "echo 'open error: IO error: nope' >&2\nexit 1",
        "fillseq",
    )
    .expect_err("fails");
    let r = reason(e);
    assert!(r.starts_with("fillseq: LevelDB's db_bench ("), "{r}");
    assert!(r.contains("its output ended before fillseq's line"), "{r}");
    assert!(r.contains("exit status: 1"), "{r}");
    assert!(r.contains("stdout| Entries:    100"), "{r}");
    assert!(r.contains("stderr| open error: IO error: nope"), "{r}");

    // All lines printed, then a non-zero status: the last benchmark fails.
    let e = fake(
        dir.path(),
        "late",
        "echo 'fillseq      :       1.000 micros/op;   10.0 MB/s'\necho 'boom' >&2\nexit 3",
        "fillseq",
    )
    .expect_err("status 3");
    let r = reason(e);
    assert!(r.contains("it exited with exit status: 3"), "{r}");
    assert!(r.contains("stderr| boom"), "{r}");
}

#[test]
fn an_unparsable_or_missing_line_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = fake(
        dir.path(),
        "garbled",
        "echo 'fillseq      :    lots micros/op;'\nsleep 30 &\nexec sleep 30",
        "fillseq",
    )
    .expect_err("garbled");
    let r = reason(e);
    assert!(
        r.contains("cannot parse 'fillseq      :    lots micros/op;'"),
        "{r}"
    );
    assert!(r.contains("'lots' is not a number"), "{r}");
    assert!(
        r.contains("stdout| fillseq      :    lots micros/op;"),
        "{r}"
    );

    // A benchmark missing from the output (the peer skipped it).
    let e = fake(
        dir.path(),
        "short",
        "echo 'fillseq      :       1.000 micros/op;   10.0 MB/s'\necho \"unknown benchmark 'readrandom'\" >&2",
        "fillseq,readrandom",
    )
    .expect_err("missing");
    let r = reason(e);
    assert!(r.starts_with("readrandom: "), "{r}");
    assert!(
        r.contains("its output ended before readrandom's line"),
        "{r}"
    );
    assert!(r.contains("unknown benchmark 'readrandom'"), "{r}");
}

#[test]
fn a_captured_run_replayed_gives_rows_in_strata_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/peers");
    let body = format!(
        "cat '{}' >&2\ncat '{}'",
        data.join("leveldb-1.23.stderr").display(),
        data.join("leveldb-1.23.stdout").display()
    );
    let binary = script(dir.path(), "replay", &body);
    let list = parse_list(
        "fillseq,fillrandom,overwrite,readrandom,readseq,readreverse,compact,readrandom,stats,fill100K,crc32c",
    )
    .expect("list");
    let mut w = PeerWorkload::new(
        Peer {
            binary,
            flavour: Flavour::LevelDb,
        },
        Config {
            num: 2000,
            ..Config::default()
        },
        &PeerOptions::default(),
        list.clone(),
        dir.path().join("db"),
    )
    .expect("supported");
    let (results, text) = run_all(&mut w, list.len()).expect("replay");
    assert_eq!(results.len(), list.len());
    assert!(text.starts_with("LevelDB:    version 1.23\n"), "{text}");
    let ops: Vec<u64> = results.iter().map(|r| r.result.report.ops).collect();
    // readseq and readreverse stop at the end of the database: the keys
    // live after overwrite, which strata's own run of the list counts too.
    let config = Config {
        num: 2000,
        ..Config::default()
    };
    let prefix = list[..6].to_vec();
    let suite = Suite::new(config, prefix).expect("suite");
    let mut ours = Vec::new();
    suite
        .run(&mut MapHost::default(), &mut std::io::sink(), &mut |r| {
            ours.push(r.report.ops);
            Ok(())
        })
        .expect("strata's run");
    let live = ours[4];
    assert!(live > 1000 && live < 2000, "{ours:?}");
    assert_eq!(ours[5], live);
    assert_eq!(
        ops,
        [2000, 2000, 2000, 2000, live, live, 0, 2000, 0, 2, 128_000]
    );
    assert_eq!(results[3].result.report.found, Some(1708));
    assert_eq!(results[8].result.report.name, "stats");
    assert_eq!(results[0].version, "1.23");
}
