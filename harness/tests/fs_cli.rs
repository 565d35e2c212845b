//! `strata fs` end to end: the built binary on a real store (LSM engine on
//! the real file system): init, put at times, ls/cat/log/export as of
//! times, stats, verify (clean and after a flipped byte), reindex, and the
//! exit statuses of errors.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

mod common;
use common::strata_fs as strata;
use strata_api::{Engine, EngineSpec, PosixEnv, ReadOptions, WriteOptions};

fn ok(store: &Path, args: &[&str]) -> String {
    let out = strata(store, args);
    assert!(
        out.status.success(),
        "strata fs {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8 stdout")
}

fn fails(store: &Path, args: &[&str], code: i32) -> String {
    let out = strata(store, args);
    assert_eq!(out.status.code(), Some(code), "strata fs {args:?}");
    let err = String::from_utf8(out.stderr).expect("utf8 stderr");
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err:?}");
    err
}

const T1: &str = "2024-05-01T10:00:00Z";
const T1_LATER: &str = "2024-05-01T12:00:00Z";
const T2: &str = "2024-05-02T10:00:00Z";
const T2_LATER: &str = "2024-05-02T12:00:00Z";

#[test]
fn a_session_with_time_travel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("src")).expect("mkdir");
    std::fs::write(tree.join("README.md"), "# readme\n").expect("write");
    std::fs::write(tree.join("src/main.rs"), "fn main() {}\n").expect("write");
    let big: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(tree.join("big.bin"), &big).expect("write");

    assert!(ok(&store, &["init"]).starts_with("initialised"));
    fails(&store, &["init"], 1);
    let put1 = ok(
        &store,
        &["put", tree.to_str().expect("utf8"), "/proj", "--time", T1],
    );
    assert!(put1.contains("5 added"), "{put1}");

    std::fs::write(
        tree.join("src/main.rs"),
        "fn main() { println!(\"hi\"); }\n",
    )
    .expect("edit");
    std::fs::remove_file(tree.join("README.md")).expect("delete");
    let put2 = ok(
        &store,
        &["put", tree.to_str().expect("utf8"), "/proj", "--time", T2],
    );
    assert!(put2.contains("1 changed, 1 removed, 1 unchanged"), "{put2}");

    assert_eq!(
        ok(&store, &["ls", "/proj", "--at", T1_LATER]),
        "README.md\nbig.bin\nsrc/\n"
    );
    assert_eq!(
        ok(&store, &["ls", "/proj", "--at", T2_LATER]),
        "big.bin\nsrc/\n"
    );
    assert_eq!(
        ok(&store, &["ls", "-R", "/proj"]),
        "big.bin\nsrc/\nsrc/main.rs\n"
    );
    let long = ok(&store, &["ls", "-l", "/proj"]);
    assert!(
        long.contains("200000") && long.contains("big.bin"),
        "{long}"
    );
    assert_eq!(
        ok(&store, &["cat", "/proj/src/main.rs", "--at", T1_LATER]),
        "fn main() {}\n"
    );
    let log = ok(&store, &["log", "/proj/README.md"]);
    assert_eq!(log.lines().count(), 2, "{log}");
    assert!(
        log.lines().nth(1).expect("second").ends_with("deleted"),
        "{log}"
    );

    let out = dir.path().join("out");
    ok(
        &store,
        &[
            "export",
            "/proj",
            out.to_str().expect("utf8"),
            "--at",
            T1_LATER,
        ],
    );
    assert_eq!(
        std::fs::read(out.join("README.md")).expect("exported"),
        b"# readme\n"
    );
    assert_eq!(std::fs::read(out.join("big.bin")).expect("exported"), big);

    let stats = ok(&store, &["stats"]);
    assert!(stats.contains("dedupe ratio"), "{stats}");
    assert!(ok(&store, &["verify"]).trim_end().ends_with(": ok"));
    assert!(ok(&store, &["reindex"]).contains("0 entries written, 0 deleted"));
    // verify's scratch directory (for its sorted runs) is under $TMPDIR
    // and gone when it ends.
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).expect("mkdir");
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .env("TMPDIR", &scratch)
        .args(["fs", "--store"])
        .arg(&store)
        .arg("verify")
        .output()
        .expect("run strata");
    assert!(out.status.success());
    assert_eq!(std::fs::read_dir(&scratch).expect("scratch").count(), 0);

    // Errors: one line, status 1 for not found / bad time, 2 for bad usage.
    assert!(fails(&store, &["cat", "/proj/nope"], 1).contains("not found"));
    assert!(
        fails(&store, &["cat", "/proj/big.bin", "--at", "last tuesday"], 1).contains("bad time")
    );
    fails(&store, &["mv", "/proj/big.bin", "/proj/x", "--time", T1], 1);
    fails(&store, &["ls", "/a/../b"], 2);
    fails(&store, &["--engine", "leveldb", "stats"], 2);
    fails(&dir.path().join("nostore"), &["ls"], 1);

    // A flipped byte in a stored chunk: the read that meets it and verify
    // both report it, naming the blob.
    flip_a_chunk_byte(&store.join("engine"));
    let err = fails(&store, &["cat", "/proj/big.bin"], 1);
    assert!(
        err.contains("corruption") && err.contains("sha256-"),
        "{err}"
    );
    let out = strata(&store, &["verify"]);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8(out.stdout).expect("utf8");
    assert!(report.contains("hash"), "{report}");
}

/// Opens the store's engine directly and flips one byte of the largest
/// blob (a chunk of big.bin).
fn flip_a_chunk_byte(engine_dir: &Path) {
    let spec = EngineSpec::parse("lsm").expect("spec");
    let options =
        strata_lsm::DbOptions::from_spec(&spec, Arc::new(PosixEnv::new())).expect("options");
    let db = strata_lsm::Db::open(options, engine_dir).expect("open engine");
    let mut it = db.iter(&ReadOptions::default()).expect("iter");
    // Blob bytes live under `d:<seq><ref>` (store format 2).
    let prefix = strata_blobfs::blob::DATA_PREFIX;
    it.seek(prefix);
    let mut victim: Option<(Vec<u8>, Vec<u8>)> = None;
    while it.valid() && it.key().starts_with(prefix) {
        let bigger = match &victim {
            None => true,
            Some((_, v)) => it.value().len() > v.len(),
        };
        if bigger {
            victim = Some((it.key().to_vec(), it.value().to_vec()));
        }
        it.next();
    }
    drop(it);
    let (key, mut value) = victim.expect("a chunk");
    value[10] ^= 0x20;
    db.put(&WriteOptions::with_sync(true), &key, &value)
        .expect("put");
}
