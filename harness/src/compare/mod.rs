//! `strata compare RESULTS.csv --baseline SPEC`: per benchmark, a Markdown
//! table of every engine's median micros/op and ops/s over the
//! repetitions, its ratio to the baseline engine, and its write
//! amplification where the rows have one.

mod table;

use crate::csv_row::ResultRow;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use table::CompareError;

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
    let rows = match load_rows(&args.results) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("strata compare: {e}");
            return ExitCode::from(1);
        }
    };
    match table::compare(&rows, args.baseline.as_deref()) {
        Ok(comparison) => {
            print!("{}", table::render(&comparison));
            ExitCode::SUCCESS
        }
        Err(e @ CompareError::MissingBaseline { .. }) => {
            eprintln!("strata compare: --baseline: {e}");
            ExitCode::from(2)
        }
        Err(e @ CompareError::NoRows) => {
            eprintln!("strata compare: {}: {e}", args.results.display());
            ExitCode::from(1)
        }
    }
}

/// Reads every row of a results CSV by column name, so that columns added
/// at the end by later versions are ignored.
///
/// # Errors
/// When the file cannot be opened or a row is not a result row (the
/// message names the file and the record).
fn load_rows(path: &Path) -> Result<Vec<ResultRow>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    reader
        .deserialize::<ResultRow>()
        .map(|row| row.map_err(|e| format!("{}: malformed results row: {e}", path.display())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_written_by_this_version_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.csv");
        let rows = vec![
            ResultRow {
                engine_spec: "lsm".into(),
                benchmark: "fillseq".into(),
                micros_per_op: 2.5,
                mb_per_s: Some(44.0),
                write_amplification: Some(1.5),
                message: "(200 of 200 found), with, commas".into(),
                ..ResultRow::default()
            },
            ResultRow {
                engine_spec: "lsm:memtable=btree".into(),
                benchmark: "fillseq".into(),
                ..ResultRow::default()
            },
        ];
        let mut writer = csv::Writer::from_path(&path).expect("create");
        for row in &rows {
            writer.serialize(row).expect("write row");
        }
        writer.flush().expect("flush");
        drop(writer);
        assert_eq!(load_rows(&path).expect("read back"), rows);
    }

    #[test]
    fn a_file_that_is_not_results_names_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, "a,b\n1,2\n").expect("write");
        let e = load_rows(&path).expect_err("not results");
        assert!(e.contains("bad.csv: malformed results row"), "{e}");
        let e = load_rows(&dir.path().join("missing.csv")).expect_err("missing");
        assert!(e.starts_with("cannot read"), "{e}");
    }
}
