//! `strata merge A.csv B.csv … --out all.csv`: the CSVs of a sharded run
//! (`strata bench --shard I/N`) checked to be one plan's shards, every
//! cell once, and written as one results file ordered by cell.

use crate::csv_row::ResultRow;
use crate::error::HarnessError;
use crate::merge::{self, Input, Merged};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `strata merge`: one results CSV from a sharded run's CSVs.
#[derive(Args, Debug, Clone)]
#[command(override_usage = "strata merge <SHARD.csv>... --out <FILE>")]
pub struct MergeArgs {
    /// The shards' results CSVs (`strata bench --shard I/N --out …`), in
    /// any order; at least one.
    // Checked in `run` rather than by clap, so the error names what is
    // missing on its one line.
    #[arg(value_name = "SHARD.csv")]
    pub inputs: Vec<PathBuf>,
    /// The merged CSV (required), written whole or not at all (through
    /// `FILE.tmp`); must not be one of the inputs.
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Why a merge failed: a file, a flag, or files that are not one plan's
/// shards.
#[derive(Debug)]
enum Failure {
    Harness(HarnessError),
    Merge(merge::MergeError),
}

impl From<HarnessError> for Failure {
    fn from(e: HarnessError) -> Self {
        Failure::Harness(e)
    }
}

/// Runs `strata merge`: exit 0 with `merged: N rows of M cells from K
/// files -> OUT` on stderr; exit 2 for no input, no `--out` or `--out`
/// naming an input; exit 1
/// (one line on stderr) for an input that cannot be read, inputs that are
/// not one complete plan's shards, or an output that cannot be written.
pub fn run(args: MergeArgs) -> ExitCode {
    let out = match check_usage(&args) {
        Ok(out) => out,
        Err(e) => return e.report("merge"),
    };
    match merge_files(&args.inputs, out) {
        Ok(merged) => {
            for path in &merged.empty_files {
                eprintln!("strata merge: note: {} has no rows", path.display());
            }
            eprintln!(
                "merged: {} rows of {} cells from {} files -> {}",
                merged.rows.len(),
                merged.cells,
                args.inputs.len(),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(Failure::Harness(e)) => e.report("merge"),
        Err(Failure::Merge(e)) => {
            eprintln!("strata merge: {e}");
            ExitCode::from(crate::error::EXIT_FAILED)
        }
    }
}

/// The output path, once there is at least one input and an `--out`
/// that is none of them.
///
/// # Errors
/// [`HarnessError::Flag`] (exit 2) naming what is missing or wrong.
fn check_usage(args: &MergeArgs) -> Result<&Path, HarnessError> {
    if args.inputs.is_empty() {
        return Err(HarnessError::flag(
            "SHARD.csv",
            "no input: give the shards' CSV files",
        ));
    }
    let out = args.out.as_deref().ok_or_else(|| {
        HarnessError::flag("--out", "required: the file to write the merged CSV to")
    })?;
    if let Some(input) = args.inputs.iter().find(|i| same_file(i, out)) {
        return Err(HarnessError::flag(
            "--out",
            format!("{} is also an input", input.display()),
        ));
    }
    Ok(out)
}

/// Reads, checks and writes; nothing is written unless every check passed.
fn merge_files(inputs: &[PathBuf], out: &Path) -> Result<Merged, Failure> {
    let inputs = inputs
        .iter()
        .map(|path| read_input(path))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = merge::merge(inputs).map_err(Failure::Merge)?;
    write_atomically(out, &merged.rows)?;
    Ok(merged)
}

/// Whether `a` and `b` name one file: the same path once both resolve,
/// or the same spelling when one does not exist yet.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Every row of a results CSV, by column name (files from before the
/// plan columns load with them empty, and merge names them).
///
/// # Errors
/// When the file cannot be opened, or a row is not a result row (the
/// csv crate's error names the line).
fn read_input(path: &Path) -> Result<Input, HarnessError> {
    let file = std::fs::File::open(path).map_err(|e| HarnessError::io("read", path, e))?;
    let rows = csv::Reader::from_reader(file)
        .deserialize::<ResultRow>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| HarnessError::csv(path, e))?;
    Ok(Input {
        path: path.to_path_buf(),
        rows,
    })
}

/// Writes `rows` to `<out>.tmp`, syncs it and renames it to `out`, so
/// `out` is either the old file or the whole new one. The parent
/// directory is created when missing.
///
/// # Errors
/// When the directory, the temporary file or the rename fails (the
/// temporary file is removed).
fn write_atomically(out: &Path, rows: &[ResultRow]) -> Result<(), HarnessError> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| HarnessError::io("create", parent, e))?;
    }
    let mut tmp_name = out.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let written = write_rows(&tmp, rows).and_then(|()| {
        std::fs::rename(&tmp, out).map_err(|e| HarnessError::io("rename to", out, e))
    });
    if written.is_err() {
        // Best effort: the error that matters is the one returned.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Writes `rows` with a header to a new `path` and syncs it.
fn write_rows(path: &Path, rows: &[ResultRow]) -> Result<(), HarnessError> {
    let file = std::fs::File::create(path).map_err(|e| HarnessError::io("create", path, e))?;
    let mut writer = csv::Writer::from_writer(file);
    for row in rows {
        writer
            .serialize(row)
            .map_err(|e| HarnessError::csv(path, e))?;
    }
    let file = writer
        .into_inner()
        .map_err(|e| HarnessError::io("write", path, e.into_error()))?;
    file.sync_all()
        .map_err(|e| HarnessError::io("write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_is_written_whole_and_no_tmp_is_left() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("sub").join("all.csv");
        let rows = vec![
            ResultRow {
                benchmark: "fillseq".into(),
                plan_hash: "0123456789abcdef".into(),
                cells: 1,
                shard: "0/1".into(),
                ..ResultRow::default()
            };
            2
        ];
        write_atomically(&out, &rows).expect("write");
        assert!(!dir.path().join("sub").join("all.csv.tmp").exists());
        let back = read_input(&out).expect("read back");
        assert_eq!(back.rows, rows);
    }

    #[test]
    fn the_same_file_under_two_spellings_is_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.csv");
        std::fs::write(&a, "x\n").expect("write");
        let dotted = dir.path().join(".").join("a.csv");
        assert!(same_file(&a, &dotted));
        assert!(!same_file(&a, &dir.path().join("b.csv")));
        assert!(same_file(Path::new("new.csv"), Path::new("new.csv")));
    }
}
