//! `strata sim` end to end: every policy's rows in the CSV, the Markdown
//! table on stdout, the chart, and bad flags exiting 2 with one line.

use std::process::Command;

fn strata() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strata"))
}

#[test]
fn sim_writes_a_row_series_per_policy_and_a_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = strata()
        .current_dir(dir.path())
        .args([
            "sim",
            "--flushes",
            "60",
            "--sample-every",
            "20",
            "--id",
            "t1",
        ])
        .output()
        .expect("run strata sim");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let csv = std::fs::read_to_string(dir.path().join("results/sim-t1.csv")).expect("csv");
    let header = csv.lines().next().expect("header");
    assert!(
        header.starts_with("policy,flush,user_bytes,written_bytes"),
        "{header}"
    );
    for policy in ["leveled", "tiered", "lazy_leveled"] {
        let rows: Vec<&str> = csv
            .lines()
            .filter(|l| l.starts_with(&format!("{policy},")))
            .collect();
        assert!(rows.len() >= 3, "{policy}: {} rows", rows.len());
        assert!(stdout.contains(policy), "table names {policy}:\n{stdout}");
        // Write amplification is at least 1 once anything was flushed.
        let last = rows.last().expect("a row");
        let write_amp: f64 = last
            .split(',')
            .nth(6)
            .and_then(|v| v.parse().ok())
            .expect("write_amp");
        assert!(write_amp >= 1.0, "{policy}: write amp {write_amp}");
    }
    assert!(dir.path().join("reports/sim-t1/amplification.png").exists());
    assert!(dir.path().join("reports/sim-t1/amplification.svg").exists());
}

#[test]
fn bad_sim_flags_exit_2_with_one_line() {
    for args in [
        vec!["sim", "--flushes", "0"],
        vec!["sim", "--policies", "nope"],
        vec!["sim", "--flush-bytes", "-3"],
    ] {
        let out = strata().args(&args).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
}
