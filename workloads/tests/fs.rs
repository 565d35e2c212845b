//! Filesystem workloads: every benchmark runs at small size on the real
//! LSM engine over `MemEnv` (two variants) and produces its rows; every
//! read inside them is checked against the workload's model, so a run
//! that completes read back exactly what it wrote, now and in the past.

use std::path::PathBuf;
use std::sync::Arc;
use strata_api::{Engine, EngineSpec, Env, MemEnv};
use strata_lsm::{destroy_db, Db, DbOptions};
use strata_workloads::fs::{FsBenchmark, FsResult, FsRun, FsWorkloadConfig};
use strata_workloads::EngineHost;

/// The LSM engine of `spec` in one directory of an in-memory Env.
struct MemHost {
    spec: EngineSpec,
    env: Arc<dyn Env>,
    dir: PathBuf,
}

impl MemHost {
    fn new(spec: &str) -> Self {
        MemHost {
            spec: EngineSpec::parse(spec).expect("spec"),
            env: Arc::new(MemEnv::new()),
            dir: PathBuf::from("/db"),
        }
    }
}

impl EngineHost for MemHost {
    fn open(&mut self, fresh: bool) -> strata_api::Result<Arc<dyn Engine>> {
        if fresh {
            destroy_db(self.env.as_ref(), &self.dir)?;
        }
        self.env.create_dir_all(&self.dir)?;
        let options = DbOptions::from_spec(&self.spec, Arc::clone(&self.env))?;
        Ok(Arc::new(Db::open(options, &self.dir)?))
    }

    fn db_size_bytes(&self) -> u64 {
        self.env
            .children(&self.dir)
            .unwrap_or_default()
            .iter()
            .filter_map(|name| self.env.file_size(&self.dir.join(name)).ok())
            .sum()
    }
}

/// A small local tree for `fs_import`: 25 files in three directories.
fn source_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for sub in ["", "src", "src/deep", "docs"] {
        std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
    }
    for i in 0..25 {
        let sub = ["", "src", "src/deep", "docs"][i % 4];
        let body = format!("file {i}\n").repeat(10 + i * 40);
        std::fs::write(dir.path().join(sub).join(format!("f{i:02}.txt")), body).expect("write");
    }
    dir
}

fn config(source: &tempfile::TempDir, scratch: &tempfile::TempDir) -> FsWorkloadConfig {
    FsWorkloadConfig {
        files: 60,
        ops: 80,
        bigfile_bytes: 1 << 20,
        bigfile_edits: 4,
        source: Some(source.path().to_path_buf()),
        scratch_dir: scratch.path().join("copy"),
        seed: 301,
        histogram: true,
        mount_max_inodes: 0,
    }
}

fn run_all(spec: &str, config: &FsWorkloadConfig) -> (Vec<FsResult>, String) {
    let mut host = MemHost::new(spec);
    let mut out = Vec::new();
    let mut results = Vec::new();
    let mut run = FsRun::start(config, &mut host).expect("start");
    for b in FsBenchmark::ALL {
        results.extend(
            run.run(b, &mut out)
                .unwrap_or_else(|e| panic!("{spec}: {e}")),
        );
    }
    (results, String::from_utf8(out).expect("utf-8"))
}

fn row<'r>(results: &'r [FsResult], name: &str) -> &'r FsResult {
    results
        .iter()
        .find(|r| r.report.name == name)
        .unwrap_or_else(|| panic!("no row {name}"))
}

fn check_rows(spec: &str, results: &[FsResult], text: &str) {
    let names: Vec<&str> = results.iter().map(|r| r.report.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "fs_create",
            "fs_read",
            "fs_stat",
            "fs_readdir",
            "fs_overwrite",
            "fs_rename",
            "fs_history",
            "fs_unlink",
            "fs_bigfile.write",
            "fs_bigfile.read",
            "fs_bigfile.edit",
            "fs_import",
            "fs_import.update"
        ],
        "{spec}"
    );
    // 60 files in 5 directories (one per 12 files).
    let create = row(results, "fs_create");
    assert_eq!(create.report.ops, 65, "{spec}");
    assert!(create
        .report
        .message
        .starts_with("(60 files in 5 directories"));
    assert!(create.report.bytes > 60 * 100);
    assert!(create.metrics.user_bytes_written >= create.report.bytes);
    assert_eq!(create.store.file_versions, 60);
    for name in [
        "fs_read",
        "fs_stat",
        "fs_readdir",
        "fs_overwrite",
        "fs_rename",
        "fs_history",
    ] {
        assert_eq!(row(results, name).report.ops, 80, "{spec} {name}");
    }
    assert_eq!(row(results, "fs_read").report.found, Some(80));
    assert_eq!(
        row(results, "fs_overwrite").store.file_versions,
        60 + 80 + 1 - 1
    );
    // fs_unlink removes the 60 files and the 5 directories.
    assert_eq!(row(results, "fs_unlink").report.ops, 65);
    assert!(row(results, "fs_unlink")
        .report
        .message
        .contains("60 files, 5 directories removed"));
    // Every timed benchmark but the imports carries latencies.
    for r in results {
        let latency = r.report.all_latency;
        if r.benchmark == FsBenchmark::Import {
            assert!(latency.is_none(), "{spec} {}", r.report.name);
        } else {
            assert_eq!(
                latency.map(|l| l.count),
                Some(r.report.ops),
                "{spec} {}",
                r.report.name
            );
        }
        assert!(r.store.logical_bytes > 0 && r.store.blob_bytes > 0);
        assert!(r.space_amplification().is_some());
        assert!(r.report.micros_per_op > 0.0);
    }
    let edit = row(results, "fs_bigfile.edit");
    assert_eq!(edit.report.ops, 4);
    assert!(
        edit.report.message.contains("5 versions"),
        "{}",
        edit.report.message
    );
    let read = row(results, "fs_bigfile.read");
    assert_eq!(read.report.bytes, 1 << 20);
    assert_eq!(read.report.ops, 1);
    // The import reads the 25 files and makes /import and its 3
    // directories besides.
    let import = row(results, "fs_import");
    assert_eq!(import.report.ops, 29, "{}", import.report.message);
    let update = row(results, "fs_import.update");
    // Of 25 sorted files: 0, 10, 20 appended; 5 removed; 3 and 23 get a
    // sibling added.
    assert!(
        update
            .report
            .message
            .starts_with("(2 added, 3 changed, 1 removed, 21 unchanged"),
        "{}",
        update.report.message
    );
    for line in [
        "fs_create    : ",
        "fs_bigfile.edit : ",
        "fs_import.update : ",
    ] {
        assert!(text.contains(line), "{spec}: no line {line:?} in\n{text}");
    }
    assert!(
        text.contains("Percentiles: P50:"),
        "--histogram prints latencies"
    );
}

#[test]
fn every_fs_benchmark_runs_on_skiplist_leveled() {
    let (source, scratch) = (source_tree(), tempfile::tempdir().expect("tempdir"));
    let spec = "lsm:memtable=skiplist,compaction=leveled,write_buffer_size=65536";
    let (results, text) = run_all(spec, &config(&source, &scratch));
    check_rows(spec, &results, &text);
    assert!(
        std::fs::read_dir(scratch.path())
            .expect("scratch")
            .next()
            .is_none(),
        "the changed copy is removed"
    );
}

#[test]
fn every_fs_benchmark_runs_on_btree_tiered() {
    let (source, scratch) = (source_tree(), tempfile::tempdir().expect("tempdir"));
    let spec = "lsm:memtable=btree,compaction=tiered,write_buffer_size=65536";
    let (results, text) = run_all(spec, &config(&source, &scratch));
    check_rows(spec, &results, &text);
}

#[test]
fn same_seed_same_work() {
    let (source, scratch) = (source_tree(), tempfile::tempdir().expect("tempdir"));
    let config = FsWorkloadConfig {
        source: None,
        ..config(&source, &scratch)
    };
    let spec = "lsm:write_buffer_size=65536";
    let summary = |results: Vec<FsResult>| -> Vec<(String, u64, u64, String)> {
        results
            .into_iter()
            .map(|r| {
                (
                    r.report.name,
                    r.report.ops,
                    r.report.bytes,
                    r.report.message,
                )
            })
            .collect()
    };
    let mut a = Vec::new();
    let mut b = Vec::new();
    for out in [&mut a, &mut b] {
        let mut host = MemHost::new(spec);
        let mut run = FsRun::start(&config, &mut host).expect("start");
        for bench in [
            FsBenchmark::Create,
            FsBenchmark::Overwrite,
            FsBenchmark::History,
        ] {
            out.extend(run.run(bench, &mut std::io::sink()).expect("run"));
        }
    }
    assert_eq!(summary(a), summary(b));
}
