//! `strata compare RESULTS.csv [--baseline SPEC]`: ratio tables of a
//! results file's engines against a baseline, with intervals and verdicts;
//! `strata compare OLD.csv NEW.csv [--threshold PERCENT]`: the same specs
//! across two files, exiting 1 on a regression (computed by
//! [`crate::compare`]).

use crate::compare::{compare, regressions, render, render_regressions, CompareError, Outcome};
use crate::error::HarnessError;
use crate::plot::read_rows;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Default of `--threshold`, percent.
const DEFAULT_THRESHOLD_PERCENT: f64 = 5.0;

/// Exit status of a two-file comparison that compared nothing, or could
/// not read a file: `git bisect run`'s "skip this revision".
pub const EXIT_NOTHING_COMPARED: u8 = 125;

/// `strata compare`: ratio tables from one results CSV, or regressions
/// between two.
#[derive(Args, Debug, Clone)]
#[command(after_help = "Exit status with OLD.csv NEW.csv: 0 when at least one \
benchmark was compared and none is significantly slower by more than \
--threshold; 1 when one is (a regression: `git bisect run` marks the revision \
bad); 125 when nothing could be compared (no spec in both files, fewer than 3 \
repetitions a side) or a file cannot be read (`git bisect run` skips the \
revision); 2 for bad usage.")]
pub struct CompareArgs {
    /// Results CSV written by `strata bench`; with a second file, the OLD
    /// results.
    #[arg(value_name = "RESULTS.csv")]
    pub results: PathBuf,
    /// NEW results: compare every engine spec that ran in both files,
    /// NEW over OLD, and exit 1 on a regression.
    #[arg(value_name = "NEW.csv")]
    pub new: Option<PathBuf>,
    /// Engine spec every other engine is compared to; any spelling of a
    /// spec in the file's engine_spec column (keys in any order)
    /// [default: the first engine in the file]. One file only.
    #[arg(long = "baseline", value_name = "SPEC")]
    pub baseline: Option<String>,
    /// With OLD.csv NEW.csv: a regression is a benchmark whose 95 %
    /// interval of NEW/OLD micros/op lies wholly above 1 + PERCENT/100
    /// [default: 5].
    #[arg(long = "threshold", value_name = "PERCENT")]
    pub threshold: Option<f64>,
}

/// Runs `strata compare`. One file: prints the tables and exits 0; exit 2
/// when the baseline is not in the file (the line lists the specs that
/// are), 1 when the file cannot be read or has no rows (one line on
/// stderr). Two files: prints the tables and exits 0, 1 or 125 as
/// [`Outcome`] says, 125 also when a file cannot be read; 2 for bad usage.
pub fn run(args: CompareArgs) -> ExitCode {
    if let Err(e) = check_flags(&args) {
        return e.report("compare");
    }
    match &args.new {
        None => match tables(&args) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => e.report("compare"),
        },
        Some(new) => {
            let threshold = args.threshold.unwrap_or(DEFAULT_THRESHOLD_PERCENT);
            match regression_tables(&args.results, new, threshold) {
                Ok((text, outcome)) => {
                    print!("{text}");
                    ExitCode::from(exit_status(outcome))
                }
                Err(e) => {
                    e.report("compare");
                    ExitCode::from(EXIT_NOTHING_COMPARED)
                }
            }
        }
    }
}

/// The exit status of a two-file comparison.
fn exit_status(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Clean => 0,
        Outcome::Regressed => crate::error::EXIT_FAILED,
        Outcome::NothingCompared => EXIT_NOTHING_COMPARED,
    }
}

/// Flags that belong to the other mode, or a threshold that is not a
/// percentage.
///
/// # Errors
/// [`HarnessError::Flag`] (exit 2).
fn check_flags(args: &CompareArgs) -> Result<(), HarnessError> {
    match (&args.new, &args.baseline, args.threshold) {
        (Some(_), Some(_), _) => Err(HarnessError::flag(
            "--baseline",
            "compares engines within one file; with OLD.csv NEW.csv each spec is \
             compared with itself",
        )),
        (None, _, Some(_)) => Err(HarnessError::flag(
            "--threshold",
            "applies to two files (OLD.csv NEW.csv)",
        )),
        (_, _, Some(t)) if !(t.is_finite() && t >= 0.0) => Err(HarnessError::flag(
            "--threshold",
            format!("{t} is not a percentage ≥ 0"),
        )),
        _ => Ok(()),
    }
}

/// The Markdown `strata compare` prints for one file.
///
/// # Errors
/// The file's read errors; [`HarnessError::Flag`] on `--baseline` when
/// the baseline is not in the file; [`HarnessError::Input`] when the file
/// has no rows.
fn tables(args: &CompareArgs) -> Result<String, HarnessError> {
    let rows = read_rows(&args.results)?;
    match compare(&rows, args.baseline.as_deref()) {
        Ok(comparison) => Ok(render(&comparison)),
        Err(e @ CompareError::MissingBaseline { .. }) => Err(HarnessError::flag("--baseline", e)),
        Err(e @ CompareError::NoRows) => Err(HarnessError::input(&args.results, e)),
    }
}

/// The Markdown and outcome of `strata compare OLD.csv NEW.csv`.
///
/// # Errors
/// Either file's read errors; [`HarnessError::Input`] when one has no rows.
fn regression_tables(
    old: &Path,
    new: &Path,
    threshold_percent: f64,
) -> Result<(String, Outcome), HarnessError> {
    let read = |path: &Path| {
        let rows = read_rows(path)?;
        if rows.is_empty() {
            return Err(HarnessError::input(path, CompareError::NoRows));
        }
        Ok(rows)
    };
    let (old_rows, new_rows) = (read(old)?, read(new)?);
    let found = regressions(&old_rows, &new_rows, threshold_percent);
    let text = render_regressions(
        &found,
        &old.display().to_string(),
        &new.display().to_string(),
    );
    Ok((text, found.outcome()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_row::ResultRow;

    fn args(results: PathBuf, baseline: Option<&str>) -> CompareArgs {
        CompareArgs {
            results,
            new: None,
            baseline: baseline.map(str::to_string),
            threshold: None,
        }
    }

    #[test]
    fn rows_written_by_this_version_read_back_and_compare() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.csv");
        let rows = vec![
            ResultRow {
                engine_spec: "lsm".into(),
                benchmark: "fillseq".into(),
                ops: 10,
                micros_per_op: 2.5,
                mb_per_s: Some(44.0),
                write_amplification: Some(1.5),
                message: "(200 of 200 found), with, commas".into(),
                ..ResultRow::default()
            },
            ResultRow {
                engine_spec: "lsm:memtable=btree".into(),
                benchmark: "fillseq".into(),
                ops: 10,
                micros_per_op: 5.0,
                ..ResultRow::default()
            },
        ];
        let mut writer = csv::Writer::from_path(&path).expect("create");
        for row in &rows {
            writer.serialize(row).expect("write row");
        }
        writer.flush().expect("flush");
        drop(writer);
        assert_eq!(read_rows(&path).expect("read back"), rows);
        let text = tables(&args(path, None)).expect("tables");
        assert!(
            text.contains("| `lsm:memtable=btree` | 5.000 | – | 2.000 | – |"),
            "{text}"
        );
    }

    #[test]
    fn errors_name_the_file_or_the_flag() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "a,b\n1,2\n").expect("write");
        let e = tables(&args(bad, None)).expect_err("not results");
        assert!(
            e.to_string().contains("bad.csv: malformed results row"),
            "{e}"
        );
        let missing = dir.path().join("missing.csv");
        let e = tables(&args(missing.clone(), None)).expect_err("missing");
        assert!(
            matches!(&e, HarnessError::Io { path, .. } if *path == missing),
            "{e}"
        );
        assert!(e.to_string().starts_with("cannot read"), "{e}");

        let header_only = dir.path().join("empty.csv");
        let mut writer = csv::Writer::from_path(&header_only).expect("create");
        writer.serialize(ResultRow::default()).expect("row");
        drop(writer);
        let header = std::fs::read_to_string(&header_only).expect("read");
        let first = header.lines().next().expect("header");
        std::fs::write(&header_only, format!("{first}\n")).expect("write");
        let e = tables(&args(header_only, None)).expect_err("no rows");
        assert_eq!(e.exit_status(), crate::error::EXIT_FAILED);
        assert!(e.to_string().ends_with("empty.csv: no result rows"), "{e}");

        let some = dir.path().join("some.csv");
        let mut writer = csv::Writer::from_path(&some).expect("create");
        writer
            .serialize(ResultRow {
                engine_spec: "lsm".into(),
                ..ResultRow::default()
            })
            .expect("row");
        drop(writer);
        let e = tables(&args(some, Some("leveldb"))).expect_err("no such baseline");
        assert_eq!(e.exit_status(), crate::error::EXIT_USAGE);
        assert!(
            e.to_string().starts_with("--baseline: no engine leveldb"),
            "{e}"
        );
    }
}
