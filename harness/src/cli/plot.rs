//! `strata plot RESULTS.csv [--out DIR]`: the charts and index page of a
//! results file (drawn by [`crate::plot`]).

use crate::plot::plot_results;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `strata plot RESULTS.csv [--out DIR]`: draw the charts of a results file.
#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// The results CSV written by `strata bench`.
    pub results: PathBuf,
    /// Output folder (default: `reports/<csv file stem>/`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `strata plot`: prints the files written; an error is one line on
/// stderr and exit status 1.
pub fn run(args: PlotArgs) -> ExitCode {
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.results));
    match plot_results(&args.results, &out_dir) {
        Ok(files) => {
            println!(
                "wrote {} files to {} (open {})",
                files.len(),
                out_dir.display(),
                out_dir.join("index.html").display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => error.report("plot"),
    }
}

/// `reports/<csv file stem>/`.
fn default_out_dir(results: &Path) -> PathBuf {
    let stem = results.file_stem().map_or_else(
        || "results".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    Path::new("reports").join(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_out_dir_is_reports_slash_stem() {
        assert_eq!(
            default_out_dir(Path::new("results/run-42.csv")),
            Path::new("reports/run-42")
        );
    }

    #[test]
    fn run_reports_failure_for_a_missing_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let args = PlotArgs {
            results: dir.path().join("missing.csv"),
            out: Some(dir.path().join("out")),
        };
        assert_eq!(run(args), ExitCode::FAILURE);
        assert!(!dir.path().join("out").exists(), "nothing is written");
    }
}
