//! What background work a kill interrupted, read from the files it left:
//! a table the MANIFEST does not name (a flush or compaction output not yet
//! installed, or inputs not yet deleted) that was not there when the child
//! started, or more than one log at or after the MANIFEST's log number (a
//! memtable switched and not yet flushed).

use std::collections::BTreeSet;
use std::path::Path;
use strata_api::{Env, PosixEnv};
use strata_lsm::format::filename::{current_file_name, parse_file_name, FileType};
use strata_lsm::version::edit::VersionEdit;
use strata_lsm::wal::LogReader;

/// The numbered files of a database directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirFiles {
    /// Table file numbers.
    pub tables: BTreeSet<u64>,
    /// Log file numbers.
    pub logs: BTreeSet<u64>,
}

impl DirFiles {
    /// Lists `dir` (empty if it does not exist).
    pub fn list(dir: &Path) -> DirFiles {
        let mut files = DirFiles::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return files;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            match name.to_str().and_then(parse_file_name) {
                Some((n, FileType::Table)) => {
                    files.tables.insert(n);
                }
                Some((n, FileType::Log)) => {
                    files.logs.insert(n);
                }
                _ => {}
            }
        }
        files
    }
}

/// What the MANIFEST that `CURRENT` names says is live.
struct Live {
    tables: BTreeSet<u64>,
    log_number: u64,
}

fn live(dir: &Path) -> Option<Live> {
    let current = std::fs::read_to_string(current_file_name(dir)).ok()?;
    let manifest = dir.join(current.trim_end_matches('\n'));
    let file = PosixEnv::new().new_sequential_file(&manifest).ok()?;
    let mut reader = LogReader::new(file, manifest.display().to_string(), None, true, 0);
    let mut live = Live {
        tables: BTreeSet::new(),
        log_number: 0,
    };
    let mut record = Vec::new();
    while reader.read_record(&mut record).ok()? {
        let edit = VersionEdit::decode(&record).ok()?;
        if let Some(n) = edit.log_number {
            live.log_number = n;
        }
        for (_, number) in &edit.deleted_files {
            live.tables.remove(number);
        }
        for (_, meta) in &edit.new_files {
            live.tables.insert(meta.number);
        }
    }
    Some(live)
}

/// Table files in `dir` that its MANIFEST does not name (none if there
/// is no readable MANIFEST).
pub fn orphan_tables(dir: &Path) -> BTreeSet<u64> {
    let Some(live) = live(dir) else {
        return BTreeSet::new();
    };
    DirFiles::list(dir)
        .tables
        .into_iter()
        .filter(|n| !live.tables.contains(n))
        .collect()
}

/// Whether the kill left signs of a flush or compaction in progress in
/// `dir`, given the orphan tables there when the child started.
pub fn during_background_work(dir: &Path, orphans_at_start: &BTreeSet<u64>) -> bool {
    let Some(live) = live(dir) else {
        return false;
    };
    let now = DirFiles::list(dir);
    let new_orphan = now
        .tables
        .iter()
        .any(|n| !live.tables.contains(n) && !orphans_at_start.contains(n));
    let live_logs = now.logs.iter().filter(|&&n| n >= live.log_number).count();
    new_orphan || live_logs > 1
}
