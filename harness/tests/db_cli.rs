//! `strata db` end to end: the built binary on real directories (LSM engine
//! on the real file system): point commands, `scan` (plain, `--hex`,
//! ranges), `load`, `dump` of each file kind (clean and corrupt), exit
//! statuses, and db_bench parity: `fillrandom`'s keys and values checked
//! against a reference written here from LevelDB's algorithms.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn strata(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .output()
        .expect("run strata")
}

fn db(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_str().expect("utf8 path");
    let mut full = vec!["db", "--db", dir];
    full.extend_from_slice(args);
    strata(&full)
}

fn ok_bytes(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = db(dir, args);
    assert!(
        out.status.success(),
        "strata db {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn ok(dir: &Path, args: &[&str]) -> String {
    String::from_utf8(ok_bytes(dir, args)).expect("utf8 stdout")
}

/// Runs a command that must fail with `code` and one line on stderr.
fn fails(dir: &Path, args: &[&str], code: i32) -> String {
    let out = db(dir, args);
    assert_eq!(out.status.code(), Some(code), "strata db {args:?}");
    let err = String::from_utf8(out.stderr).expect("utf8 stderr");
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err:?}");
    err
}

/// The file of `dir` whose name ends with `suffix` and sorts last (the
/// highest number: the live one after a compaction, as older ones may
/// linger).
fn newest(dir: &Path, suffix: &str) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list db")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_str().is_some_and(|s| s.ends_with(suffix)))
        .collect();
    files.sort();
    let path = files.pop().expect("a file with the suffix");
    path.to_str().expect("utf8 path").to_string()
}

fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    path.to_str().expect("utf8 path").to_string()
}

#[test]
fn put_get_delete_scan_round_trip() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("db");
    assert_eq!(ok(&d, &["put", "b", "two"]), "OK\n");
    assert_eq!(ok(&d, &["put", "a", "one"]), "OK\n");
    assert_eq!(ok(&d, &["put", "--hex", "0x6101", "0x00FF"]), "OK\n");
    assert_eq!(ok(&d, &["get", "a"]), "one\n");
    assert_eq!(ok(&d, &["get", "--hex", "0x6101"]), "0x00FF\n");
    assert_eq!(
        ok_bytes(&d, &["scan"]),
        b"a : one\na\x01 : \x00\xff\nb : two\n".to_vec()
    );
    assert_eq!(ok(&d, &["put", "b", "2"]), "OK\n");
    assert_eq!(ok(&d, &["delete", "a"]), "OK\n");
    let err = fails(&d, &["get", "a"], 1);
    assert!(
        err.starts_with("strata: ") && err.contains("not found"),
        "{err}"
    );
    // Byte for byte as `ldb scan --hex`: "a\x01" -> 0x6101, "b" -> 0x62.
    assert_eq!(ok(&d, &["scan", "--hex"]), "0x6101 : 0x00FF\n0x62 : 0x32\n");
}

#[test]
fn scan_ranges_are_half_open_and_capped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("db");
    let file = write_file(
        tmp.path(),
        "pairs.txt",
        "k1 ==> v1\nk2 ==> v2\nk3 ==> v3\nk4 ==> v4\nk5 ==> v5\n",
    );
    assert_eq!(ok(&d, &["load", &file]), "OK\n");
    assert_eq!(
        ok(&d, &["scan", "--from", "k2", "--to", "k4"]),
        "k2 : v2\nk3 : v3\n"
    );
    assert_eq!(ok(&d, &["scan", "--max", "2"]), "k1 : v1\nk2 : v2\n");
    assert_eq!(ok(&d, &["scan", "--from", "k4"]), "k4 : v4\nk5 : v5\n");
    assert_eq!(ok(&d, &["scan", "--from", "k22", "--to", "k3"]), "");
    // With --hex, 0x-prefixed bounds are hex ("k3" = 0x6B33).
    assert_eq!(
        ok(
            &d,
            &["scan", "--hex", "--from", "0x6B33", "--to", "0x6b35", "--max", "5"]
        ),
        "0x6B33 : 0x7633\n0x6B34 : 0x7634\n"
    );
    fails(&d, &["scan", "--hex", "--from", "0x6B3"], 2);
}

#[test]
fn load_writes_all_pairs_or_none() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("db");
    let good = write_file(
        tmp.path(),
        "good.txt",
        "apple ==> red\nbanana ==> yellow ==> ripe\ncherry ==> \n",
    );
    assert_eq!(ok(&d, &["load", &good]), "OK\n");
    assert_eq!(
        ok(&d, &["scan"]),
        "apple : red\nbanana : yellow ==> ripe\ncherry : \n"
    );
    let bad = write_file(tmp.path(), "bad.txt", "date ==> brown\nelder = black\n");
    let err = fails(&d, &["load", &bad], 1);
    assert!(err.contains(&format!("{bad}:2:")), "{err}");
    // The good first line of the bad file was not applied.
    assert_eq!(fails(&d, &["get", "date"], 1).lines().count(), 1);
}

#[test]
fn dump_decodes_the_log_the_table_and_the_manifest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("db");
    let file = write_file(
        tmp.path(),
        "pairs.txt",
        "k1 ==> v1\nk\x012 ==> v\x7f\nk3 ==> v3\n",
    );
    ok(&d, &["load", &file]);

    // The load is one batch in the live log (dump never opens the DB, so
    // the log is not recovered into a table first).
    let log = newest(&d, ".log");
    assert_eq!(
        ok(&d, &["dump", &log]),
        "--- offset 0; sequence 1; count 3\n  put 'k1' 'v1'\n  put 'k\\x012' 'v\\x7f'\n  \
         put 'k3' 'v3'\n"
    );
    let log_name = Path::new(&log)
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name");
    // A bare name is looked up in the database directory.
    assert!(ok(&d, &["dump", log_name]).starts_with("--- offset 0; sequence 1"));

    ok(&d, &["delete", "k3"]);
    ok(&d, &["compact"]);
    let table = newest(&d, ".ldb");
    assert_eq!(
        ok(&d, &["dump", &table]),
        "'k\\x012' @ 2 : val => 'v\\x7f'\n'k1' @ 1 : val => 'v1'\n"
    );

    let current = std::fs::read_to_string(d.join("CURRENT")).expect("CURRENT");
    let manifest = d.join(current.trim());
    let text = ok(&d, &["dump", manifest.to_str().expect("utf8")]);
    assert!(
        text.starts_with("--- offset 0; VersionEdit {\n  Comparator: leveldb.BytewiseComparator"),
        "{text}"
    );
    let table_number: u64 = Path::new(&table)
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.parse().ok())
        .expect("numbered table");
    // The compaction removed level-0 files and added the dumped table.
    assert!(text.contains("\n  RemoveFile: 0 "), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("  AddFile: ")
            && l.contains(&format!(" {table_number} "))
            && l.ends_with("'k\\x012' @ 2 : 1 .. 'k1' @ 1 : 1")),
        "{text}"
    );
    assert!(text.contains("\n  LastSeq: 4\n"), "{text}");
    assert_eq!(
        text.matches("--- offset ").count(),
        text.matches("\n}\n").count()
    );
}

#[test]
fn a_corrupt_table_is_reported_with_file_and_offset() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("db");
    // Enough distinct data for several 4 KiB blocks, uncompressed so the
    // middle of the file is data-block bytes.
    let pairs: String = (0..400)
        .map(|i| format!("key{i:05} ==> value-{:08}\n", i * 7919))
        .collect();
    let file = write_file(tmp.path(), "pairs.txt", &pairs);
    let spec = ["--engine", "lsm:compression=none"];
    let with_spec =
        |args: &[&str]| -> Vec<String> { spec.iter().chain(args).map(|s| s.to_string()).collect() };
    let load = with_spec(&["load", &file]);
    ok(&d, &load.iter().map(String::as_str).collect::<Vec<_>>());
    let compact = with_spec(&["compact"]);
    ok(&d, &compact.iter().map(String::as_str).collect::<Vec<_>>());
    let table = newest(&d, ".ldb");
    let clean = ok(&d, &["dump", &table]);
    assert_eq!(clean.lines().count(), 400);

    let mut bytes = std::fs::read(&table).expect("read table");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&table, &bytes).expect("write table");
    let err = fails(&d, &["dump", &table], 1);
    assert!(
        err.contains(&format!("corruption in {table} at offset ")),
        "{err}"
    );
    let offset: u64 = err
        .split(" at offset ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .expect("an offset");
    assert!(
        offset <= middle as u64,
        "the damaged block starts at or before byte {middle}: {err}"
    );
}

#[test]
fn a_corrupt_log_is_reported_with_file_and_offset() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("db");
    ok(&d, &["put", "a", "1"]);
    ok(&d, &["put", "b", "2"]);
    let log = newest(&d, ".log");
    let mut bytes = std::fs::read(&log).expect("read log");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&log, &bytes).expect("write log");
    let out = db(&d, &["dump", &log]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("utf8");
    assert!(
        err.contains(&format!("corruption in {log} at offset ")),
        "{err}"
    );
    assert!(err.contains("checksum mismatch"), "{err}");
}

#[test]
fn errors_have_their_exit_statuses() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("db");
    let missing_db = strata(&["db", "scan"]);
    assert_eq!(missing_db.status.code(), Some(2));
    fails(&d, &["--engine", "lsm:no_such_key=1", "scan"], 2);
    fails(&d, &["--engine", "nosuchengine", "put", "a", "b"], 2);
    let err = fails(&d, &["scan"], 1);
    assert!(err.contains("no database at"), "{err}");
    assert!(!d.exists(), "a read never creates the database");
    ok(&d, &["put", "a", "1"]);
    let other = write_file(tmp.path(), "notes.txt", "x");
    fails(&d, &["dump", &other], 2);
    fails(&d, &["dump", "000999.log"], 1);
    assert!(ok(&d, &["stats"]).contains("Compactions"));
}

/// Every file in `dir` with its bytes.
fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| {
            let e = e.expect("entry");
            let bytes = std::fs::read(e.path()).expect("read");
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn inspection_commands_never_create_or_change_a_database() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // An existing directory that holds no database stays empty.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    for args in [
        &["scan"][..],
        &["get", "k"],
        &["stats"],
        &["delete", "k"],
        &["compact"],
    ] {
        let err = fails(&empty, args, 1);
        assert!(err.contains("no database"), "{args:?}: {err}");
        assert!(
            err.contains(&empty.display().to_string()),
            "{args:?}: {err}"
        );
        assert_eq!(
            files_of(&empty),
            vec![],
            "{args:?} wrote into a directory without a database"
        );
    }
    // A database with data in its WAL: reads change no byte of it.
    let d = tmp.path().join("db");
    ok(&d, &["put", "a", "1"]);
    ok(&d, &["put", "b", "2"]);
    let before = files_of(&d);
    assert_eq!(ok(&d, &["scan"]), "a : 1\nb : 2\n");
    assert_eq!(ok(&d, &["get", "b"]).trim(), "2");
    assert!(ok(&d, &["stats"]).contains("Compactions"));
    assert_eq!(
        files_of(&d),
        before,
        "an inspection command changed the database"
    );
}

/// LevelDB's `util/random.h`: Park–Miller "minimal standard" generator.
struct ParkMiller(u64);

impl ParkMiller {
    const M: u64 = 2_147_483_647;

    fn new(seed: u32) -> Self {
        let s = u64::from(seed & 0x7fff_ffff);
        ParkMiller(if s == 0 || s == Self::M { 1 } else { s })
    }

    fn next(&mut self) -> u64 {
        let product = self.0 * 16807;
        self.0 = (product >> 31) + (product & Self::M);
        if self.0 > Self::M {
            self.0 -= Self::M;
        }
        self.0
    }

    fn uniform(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// db_bench's `RandomGenerator` pool: 100-byte pieces from
/// `test::CompressibleString(rnd(301), 0.5, 100)` (50 random printable
/// bytes `' ' + Uniform(95)`, repeated to 100) until at least 1 MiB.
fn value_pool() -> Vec<u8> {
    let mut rnd = ParkMiller::new(301);
    let mut pool = Vec::new();
    while pool.len() < 1_048_576 {
        let raw: Vec<u8> = (0..50).map(|_| b' ' + rnd.uniform(95) as u8).collect();
        let mut piece = Vec::new();
        while piece.len() < 100 {
            piece.extend_from_slice(&raw);
        }
        piece.truncate(100);
        pool.extend_from_slice(&piece);
    }
    pool
}

#[test]
fn fillrandom_writes_db_benchs_keys_and_values() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("db");
    let csv = tmp.path().join("out.csv");
    let out = strata(&[
        "bench",
        "--benchmarks",
        "fillrandom",
        "--num",
        "20",
        "--engine",
        "lsm:compression=none",
        "--db",
        d.to_str().expect("utf8"),
        "--out",
        csv.to_str().expect("utf8"),
        "--no-plot",
    ]);
    assert!(
        out.status.success(),
        "bench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // db_bench 1.23 seeds thread state i of the run's n-th thread with
    // 1000 + n: fillrandom, the first benchmark, takes 1001. Each op i
    // writes key "%016d" of Uniform(num) with the pool's i-th 100 bytes
    // (20 x 100 bytes never wraps); later writes of a key win.
    let num = 20u64;
    let pool = value_pool();
    let mut rng = ParkMiller::new(1001);
    let mut expected = std::collections::BTreeMap::new();
    for i in 0..num as usize {
        let key = format!("{:016}", rng.uniform(num));
        expected.insert(key, pool[i * 100..(i + 1) * 100].to_vec());
    }
    let hex = |bytes: &[u8]| -> String {
        let digits: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
        format!("0x{digits}")
    };
    let want: String = expected
        .iter()
        .map(|(k, v)| format!("{} : {}\n", hex(k.as_bytes()), hex(v)))
        .collect();
    assert!(
        expected.len() < 20,
        "Uniform(20) draws 20 times with repeats"
    );
    assert_eq!(ok(&d, &["scan", "--hex"]), want);
}

#[cfg(feature = "leveldb")]
#[test]
fn inspecting_a_leveldb_database_reads_a_copy() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("db");
    ok(&d, &["--engine", "leveldb", "put", "a", "1"]);
    let before = files_of(&d);
    assert_eq!(ok(&d, &["--engine", "leveldb", "scan"]), "a : 1\n");
    assert_eq!(ok(&d, &["--engine", "leveldb", "get", "a"]).trim(), "1");
    assert_eq!(
        files_of(&d),
        before,
        "LevelDB's open wrote into the database"
    );
}
