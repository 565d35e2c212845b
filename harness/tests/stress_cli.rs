//! `strata stress` end to end: a short crash run over every engine variant
//! (real SIGKILLs of real child processes) must pass and clean up after
//! itself; bad flags exit 2 with one line; and faults injected behind the
//! checker's back (a side file claiming a synced write that never happened,
//! a value no write produced, the logs and tables deleted after a kill)
//! must each fail the run with the violation named.
//!
//! `STRATA_STRESS_SEED` sets the seed of the short run (default 42); every
//! failure message prints it.

mod common;

use common::strata;
use std::path::Path;
use std::process::Output;

fn seed() -> String {
    std::env::var("STRATA_STRESS_SEED").unwrap_or_else(|_| "42".to_string())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The number after which `label` follows in `line` (`1,234 ops …`).
fn count_before(line: &str, label: &str) -> u64 {
    let at = line
        .find(label)
        .unwrap_or_else(|| panic!("no '{label}' in {line}"));
    let digits: String = line[..at]
        .trim_end()
        .rsplit(|c: char| !(c.is_ascii_digit() || c == ','))
        .next()
        .unwrap_or("")
        .replace(',', "");
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number before '{label}' in {line}"))
}

#[test]
fn a_short_run_over_every_variant_passes_and_removes_its_temp_dir() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let seed = seed();
    // 19 rounds: one pass over the default engine and the 18 variants.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .env("TMPDIR", tmp.path())
        .args([
            "stress",
            "--rounds",
            "19",
            "--seed",
            &seed,
            "--keys",
            "2000",
            "--kill_min_ms",
            "100",
            "--kill_max_ms",
            "600",
            "--progress_every",
            "10",
        ])
        .output()
        .expect("run strata stress");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "seed {seed}: {stderr}{stdout}");
    let line = stdout.trim();
    assert_eq!(
        stdout.lines().count(),
        1,
        "seed {seed}: one summary line: {stdout}"
    );
    assert!(
        line.starts_with("stress: 19 rounds, 19 kills ("),
        "seed {seed}: {line}"
    );
    for zero in [
        "0 lost synced writes",
        "0 lost unsynced writes",
        "0 invented values",
        "0 open failures",
        "0 hangs",
    ] {
        assert!(line.contains(zero), "seed {seed}: {line}");
    }
    assert!(
        line.contains("19 engine variants") && line.contains(&format!("seed {seed}")),
        "{line}"
    );
    assert!(
        count_before(line, "ops acknowledged") > 0,
        "seed {seed}: nothing written: {line}"
    );
    assert!(
        count_before(line, "synced)") > 0,
        "seed {seed}: nothing synced: {line}"
    );
    assert!(
        stderr.contains("stress: round 10/19:"),
        "seed {seed}: progress line: {stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path()).expect("list tmp").collect();
    assert!(
        left.is_empty(),
        "seed {seed}: the temporary database was left behind: {left:?}"
    );
}

#[test]
fn bad_flags_exit_2_with_one_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("precious"), b"data").expect("write");
    let full = tmp.path().to_str().expect("utf8 path");
    let cases: &[(&[&str], &str)] = &[
        (&["--rounds", "0"], "--rounds"),
        (
            &["--kill_min_ms", "900", "--kill_max_ms", "100"],
            "--kill_min_ms 900 is above --kill_max_ms 100",
        ),
        (&["--engine", "lsm:memtable=nope"], "bad engine spec"),
        (&["--sync_percent", "101"], "--sync_percent"),
        (&["--value_size", "10"], "--value_size"),
        (&["--db", full], "is not empty"),
        (&["--bogus"], "--bogus"),
    ];
    for (flags, reason) in cases {
        let mut args = vec!["stress"];
        args.extend_from_slice(flags);
        let out = strata(tmp.path(), &args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{flags:?}: one line: {err}");
        assert!(
            err.starts_with("strata: ") && err.contains(reason),
            "{flags:?}: {err}"
        );
    }
    assert_eq!(
        std::fs::read(tmp.path().join("precious")).expect("kept"),
        b"data"
    );
}

/// Runs two rounds with `fault` injected; the first must fail.
fn injected(dir: &Path, fault: &str) -> (Output, String) {
    let db = dir.join("db");
    let out = strata(
        dir,
        &[
            "stress",
            "--db",
            db.to_str().expect("utf8 path"),
            "--rounds",
            "2",
            "--seed",
            "7",
            "--engine",
            "lsm",
            "--kill_min_ms",
            "50",
            "--kill_max_ms",
            "50",
            "--inject_fault",
            fault,
        ],
    );
    let err = text(&out.stderr);
    (out, err)
}

#[test]
fn the_checker_fails_on_injected_faults() {
    let cases = [
        ("claim_unwritten", &["lost synced write: key 0", "expected the value of round 1 op 1 (a synced put, acknowledged), found nothing"][..]),
        ("invent", &["invented value: key 0", "found the value of round 1 op 1000000, which no attempted write put under this key"][..]),
        ("drop_files", &["round 1 of 2 failed (seed 7): lost synced write: key 0", "found nothing"][..]),
    ];
    for (fault, wanted) in cases {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (out, err) = injected(tmp.path(), fault);
        assert_eq!(out.status.code(), Some(1), "{fault}: {err}");
        assert!(
            err.contains("round 1 of 2 failed (seed 7)"),
            "{fault}: {err}"
        );
        for w in wanted {
            assert!(err.contains(w), "{fault}: wanted '{w}' in: {err}");
        }
        let summary = text(&out.stdout);
        assert!(
            summary.starts_with("stress: 0 rounds, 1 kills"),
            "{fault}: {summary}"
        );
        assert!(
            tmp.path().join("db").join("CURRENT").exists(),
            "{fault}: the database is kept"
        );
    }
}
