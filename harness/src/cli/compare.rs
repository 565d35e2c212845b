//! `strata compare RESULTS.csv --baseline SPEC`: ratio tables of a results
//! file's engines against a baseline (computed by [`crate::compare`]).

use crate::compare::{compare, render, CompareError};
use crate::error::HarnessError;
use crate::plot::read_rows;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// `strata compare`: ratio tables from a results CSV.
#[derive(Args, Debug, Clone)]
pub struct CompareArgs {
    /// Results CSV written by `strata bench`.
    #[arg(value_name = "RESULTS.csv")]
    pub results: PathBuf,
    /// Engine spec every other engine is compared to; any spelling of a
    /// spec in the file's engine_spec column (keys in any order)
    /// [default: the first engine in the file].
    #[arg(long = "baseline", value_name = "SPEC")]
    pub baseline: Option<String>,
}

/// Runs `strata compare`: prints the tables and exits 0; exit 2 when the
/// baseline is not in the file (the line lists the specs that are), 1
/// when the file cannot be read or has no rows (one line on stderr).
pub fn run(args: CompareArgs) -> ExitCode {
    match tables(&args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => e.report("compare"),
    }
}

/// The Markdown `strata compare` prints.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_row::ResultRow;

    fn args(results: PathBuf, baseline: Option<&str>) -> CompareArgs {
        CompareArgs {
            results,
            baseline: baseline.map(str::to_string),
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
