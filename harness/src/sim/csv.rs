//! The simulator's CSV rows and the final-values Markdown table.

use super::PolicyRun;
use crate::error::HarnessError;
use std::fmt::Write as _;
use std::path::Path;
use strata_lsm::compaction::sim::SimConfig;

/// CSV columns, in order:
/// - `policy`: compaction policy name;
/// - `flush`: flushes simulated so far;
/// - `user_bytes`: bytes the user wrote so far;
/// - `written_bytes`: bytes flushes and compactions wrote so far;
/// - `total_bytes`: bytes of every file in the tree;
/// - `live_bytes`: bytes of the distinct keys written so far;
/// - `write_amp`: `written_bytes / user_bytes`;
/// - `space_amp`: `total_bytes / live_bytes`;
/// - `read_amp`: sorted runs a point lookup may probe
///   (`l0_files + deeper_levels`);
/// - `l0_files`: files in level 0 (runs, for tiered policies);
/// - `deeper_levels`: non-empty levels below 0;
/// - `compactions`: tasks (merges and moves) run so far.
pub const HEADER: [&str; 12] = [
    "policy",
    "flush",
    "user_bytes",
    "written_bytes",
    "total_bytes",
    "live_bytes",
    "write_amp",
    "space_amp",
    "read_amp",
    "l0_files",
    "deeper_levels",
    "compactions",
];

/// Writes every sample of every run to `path` (its folder is created).
///
/// # Errors
/// [`HarnessError::Io`] when the folder cannot be created or the file not
/// flushed, [`HarnessError::Csv`] when the file cannot be created or a row
/// not written; both name the path.
pub fn write(path: &Path, runs: &[PolicyRun]) -> Result<(), HarnessError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| HarnessError::io("create", dir, e))?;
    }
    let mut out = ::csv::Writer::from_path(path).map_err(|e| HarnessError::csv(path, e))?;
    out.write_record(HEADER)
        .map_err(|e| HarnessError::csv(path, e))?;
    for run in runs {
        for s in &run.samples {
            out.write_record([
                run.policy.clone(),
                s.flush.to_string(),
                s.user_bytes.to_string(),
                s.written_bytes.to_string(),
                s.total_bytes.to_string(),
                s.live_bytes.to_string(),
                format!("{:.4}", s.write_amp()),
                format!("{:.4}", s.space_amp()),
                s.read_amp().to_string(),
                s.l0_files.to_string(),
                s.deeper_levels.to_string(),
                s.compactions.to_string(),
            ])
            .map_err(|e| HarnessError::csv(path, e))?;
        }
    }
    out.flush().map_err(|e| HarnessError::io("write", path, e))
}

/// The final sample of each run as a Markdown table, under a line that
/// states the workload.
pub fn markdown_table(config: &SimConfig, runs: &[PolicyRun]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Compaction simulation: {} flushes of {} bytes, {}-byte entries, {} keys.\n",
        config.flushes, config.flush_bytes, config.entry_bytes, config.key_space
    );
    s.push_str("| policy | write amp | space amp | read amp (runs) | L0 files | deeper levels | compactions |\n");
    s.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    for run in runs {
        if let Some(last) = run.samples.last() {
            let _ = writeln!(
                s,
                "| {} | {:.2} | {:.2} | {} | {} | {} | {} |",
                run.policy,
                last.write_amp(),
                last.space_amp(),
                last.read_amp(),
                last.l0_files,
                last.deeper_levels,
                last.compactions
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_lsm::compaction::sim::SimSample;

    fn run() -> PolicyRun {
        PolicyRun {
            policy: "tiered".to_string(),
            samples: vec![SimSample {
                flush: 10,
                user_bytes: 1000,
                written_bytes: 2500,
                total_bytes: 600,
                live_bytes: 400,
                l0_files: 3,
                deeper_levels: 1,
                compactions: 7,
            }],
        }
    }

    #[test]
    fn csv_has_the_documented_columns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/sim-x.csv");
        write(&path, &[run()]).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(HEADER.join(",").as_str()));
        assert_eq!(
            lines.next(),
            Some("tiered,10,1000,2500,600,400,2.5000,1.5000,4,3,1,7")
        );
        assert_eq!(lines.next(), None);
    }

    #[test]
    fn an_unwritable_folder_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("plain-file");
        std::fs::write(&file, "x").expect("write");
        let error = write(&file.join("sim-x.csv"), &[run()]).expect_err("parent is a file");
        assert!(
            matches!(&error, HarnessError::Io { action: "create", path, .. } if *path == file),
            "{error}"
        );
    }

    #[test]
    fn table_shows_the_final_values() {
        let table = markdown_table(&SimConfig::default(), &[run()]);
        assert!(
            table.contains("| tiered | 2.50 | 1.50 | 4 | 3 | 1 | 7 |"),
            "{table}"
        );
    }
}
