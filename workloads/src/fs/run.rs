//! One engine's filesystem run: a fresh database, a blobfs store in it,
//! then the benchmarks in order on that one store (the tree `fs_create`
//! makes is what the next ones read, change and remove).
//!
//! Every operation is timed alone (latency percentiles are always
//! recorded; `--histogram=1` also prints them); after each benchmark,
//! untimed: the engine's counters, its size on disk and the store's
//! blobfs statistics (a scan of every blob and claim).

use super::config::FsWorkloadConfig;
use super::model::TreeModel;
use super::target::{Mounted, Target};
use super::via::FsVia;
use super::FsBenchmark;
use crate::measure::{CpuTime, Stats};
use crate::measure::{EngineHost, Report, RunError};
use crate::ycsb::generator::stream;
use rand::RngCore;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::io::Write;
use std::sync::Arc;
use strata_api::{Engine, EngineMetrics};
use strata_blobfs::stats::{stats, Stats as StoreStats};
use strata_blobfs::{BlobFs, FsConfig, FsError, Signer};

/// One row's worth: a benchmark (or a phase of `fs_bigfile` /
/// `fs_import`) and what the store looked like after it.
#[derive(Debug, Clone)]
pub struct FsResult {
    /// The benchmark.
    pub benchmark: FsBenchmark,
    /// Its figures: name, ops, time, bytes (file contents read or
    /// written), latencies, message.
    pub report: Report,
    /// Engine counters accumulated during it.
    pub metrics: EngineMetrics,
    /// Database size on disk after it.
    pub db_size_bytes: u64,
    /// The store's blobs and file versions after it.
    pub store: StoreStats,
    /// How the benchmark reached the store.
    pub via: FsVia,
}

impl FsResult {
    /// Bytes on disk per byte of blobs stored (the engine's space
    /// amplification over what blobfs gave it).
    pub fn space_amplification(&self) -> Option<f64> {
        (self.store.blob_bytes > 0)
            .then(|| self.db_size_bytes as f64 / self.store.blob_bytes as f64)
    }
}

/// The error of `benchmark` from a blobfs error.
pub(crate) fn fs_error(benchmark: &str, e: FsError) -> RunError {
    match e {
        FsError::Engine(source) => RunError::Engine {
            benchmark: benchmark.to_string(),
            source,
        },
        other => RunError::Workload {
            benchmark: benchmark.to_string(),
            reason: other.to_string(),
        },
    }
}

/// A check of what was read against the model that failed.
pub(crate) fn mismatch(benchmark: &str, reason: String) -> RunError {
    RunError::Workload {
        benchmark: benchmark.to_string(),
        reason,
    }
}

/// The state a run carries from benchmark to benchmark.
pub struct FsRun<'a> {
    pub(crate) config: FsWorkloadConfig,
    host: &'a mut dyn EngineHost,
    pub(crate) engine: Arc<dyn Engine>,
    pub(crate) fs: BlobFs,
    /// Where operations go, and their claim times.
    pub(crate) target: Target,
    pub(crate) model: TreeModel,
    /// Content buffer, reused across operations.
    pub(crate) buf: Vec<u8>,
}

/// The timed part of one benchmark: fills `stats` (ops, bytes, message,
/// found) and returns.
pub(crate) type Body<'b> =
    dyn FnMut(&mut FsRun<'_>, &mut Stats, &mut Xoshiro256PlusPlus) -> Result<(), RunError> + 'b;

impl<'a> FsRun<'a> {
    /// Opens a fresh database through `host` and initialises a store in
    /// it, signed by a key derived from the seed; the benchmarks go
    /// through blobfs's API.
    ///
    /// # Errors
    /// The engine's errors while destroying, opening or writing the root.
    pub fn start(
        config: &FsWorkloadConfig,
        host: &'a mut dyn EngineHost,
    ) -> Result<Self, RunError> {
        Self::start_via(config, host, FsVia::Api)
    }

    /// As [`FsRun::start`], the benchmarks going `via` the API or a FUSE
    /// mount of the store, served by a thread of this process at the
    /// scratch directory's path with `.mnt` appended (created, and removed
    /// when the run ends).
    ///
    /// # Errors
    /// As [`FsRun::start`]; a mount that cannot be made.
    pub fn start_via(
        config: &FsWorkloadConfig,
        host: &'a mut dyn EngineHost,
        via: FsVia,
    ) -> Result<Self, RunError> {
        let engine = host.open(true).map_err(|source| RunError::Engine {
            benchmark: "open".into(),
            source,
        })?;
        let mut secret = [0u8; 32];
        stream(config.seed, 1000).fill_bytes(&mut secret);
        let fs = BlobFs::init(
            Arc::clone(&engine),
            Signer::from_secret(secret),
            FsConfig::default(),
        )
        .map_err(|e| fs_error("open", e))?;
        let target = match via {
            FsVia::Api => Target::api(),
            FsVia::Mount => {
                // The mount's own handle on the store: the same engine
                // and signer.
                let served = BlobFs::open(
                    Arc::clone(&engine),
                    Signer::from_secret(secret),
                    FsConfig::default(),
                )
                .map_err(|e| fs_error("mount", e))?;
                let root =
                    mount_point(&config.scratch_dir).map_err(|reason| RunError::Workload {
                        benchmark: "mount".into(),
                        reason,
                    })?;
                let store_dir = config.scratch_dir.parent().unwrap_or(&config.scratch_dir);
                let max_inodes = config.mount_max_inodes;
                let mounted =
                    Mounted::mount(served, store_dir, &root, max_inodes).map_err(|reason| {
                        RunError::Workload {
                            benchmark: "mount".into(),
                            reason,
                        }
                    })?;
                Target::mount(mounted)
            }
        };
        Ok(FsRun {
            config: config.clone(),
            host,
            engine,
            fs,
            target,
            model: TreeModel::default(),
            buf: Vec::new(),
        })
    }

    /// How the benchmarks reach the store.
    pub fn via(&self) -> FsVia {
        self.target.via()
    }

    /// The blobfs store under test.
    pub fn fs(&self) -> &BlobFs {
        &self.fs
    }

    /// Runs `benchmark`, printing db_bench-style lines to `out`; returns
    /// one result per line (two for `fs_import`, three for `fs_bigfile`).
    ///
    /// # Errors
    /// An engine or blobfs error, a read that disagrees with what was
    /// written, or a failed write to `out`.
    pub fn run(
        &mut self,
        benchmark: FsBenchmark,
        out: &mut dyn Write,
    ) -> Result<Vec<FsResult>, RunError> {
        // Each benchmark draws from its own stream, so its choices do not
        // depend on which benchmarks ran before it.
        let position = FsBenchmark::ALL
            .iter()
            .position(|&b| b == benchmark)
            .unwrap_or(0);
        let mut rng = stream(self.config.seed, 1 + position as u32);
        let results = match benchmark {
            FsBenchmark::Create => {
                vec![
                    self.measure(benchmark, "fs_create", true, &mut rng, &mut |r, s, g| {
                        r.create(s, g)
                    })?,
                ]
            }
            FsBenchmark::Read => {
                vec![
                    self.measure(benchmark, "fs_read", true, &mut rng, &mut |r, s, g| {
                        r.read(s, g)
                    })?,
                ]
            }
            FsBenchmark::Stat => {
                vec![
                    self.measure(benchmark, "fs_stat", true, &mut rng, &mut |r, s, g| {
                        r.stat(s, g)
                    })?,
                ]
            }
            FsBenchmark::Readdir => {
                vec![
                    self.measure(benchmark, "fs_readdir", true, &mut rng, &mut |r, s, g| {
                        r.readdir(s, g)
                    })?,
                ]
            }
            FsBenchmark::Overwrite => {
                vec![
                    self.measure(benchmark, "fs_overwrite", true, &mut rng, &mut |r, s, g| {
                        r.overwrite(s, g)
                    })?,
                ]
            }
            FsBenchmark::Rename => {
                vec![
                    self.measure(benchmark, "fs_rename", true, &mut rng, &mut |r, s, g| {
                        r.rename(s, g)
                    })?,
                ]
            }
            FsBenchmark::History => {
                vec![
                    self.measure(benchmark, "fs_history", true, &mut rng, &mut |r, s, g| {
                        r.history(s, g)
                    })?,
                ]
            }
            FsBenchmark::Unlink => {
                vec![
                    self.measure(benchmark, "fs_unlink", true, &mut rng, &mut |r, s, g| {
                        r.unlink(s, g)
                    })?,
                ]
            }
            FsBenchmark::Bigfile => self.bigfile(&mut rng)?,
            FsBenchmark::Import => self.import()?,
        };
        for result in &results {
            writeln!(out, "{}", result.report.line())?;
            if self.config.histogram {
                write!(out, "{}", result.report.histogram_text())?;
            }
        }
        out.flush()?;
        Ok(results)
    }

    /// Times `body` as benchmark `name` (latencies recorded when
    /// `latencies`), then takes the untimed measurements. Through the
    /// mount the message also gives the mount's inode table: its peak
    /// during the benchmark and its size after it.
    pub(crate) fn measure(
        &mut self,
        benchmark: FsBenchmark,
        name: &str,
        latencies: bool,
        rng: &mut Xoshiro256PlusPlus,
        body: &mut Body<'_>,
    ) -> Result<FsResult, RunError> {
        let before = self.engine.metrics();
        let mut s = Stats::new(latencies, None);
        self.target.reset_inode_peak();
        let cpu_before = CpuTime::now();
        s.start();
        body(self, &mut s, rng)?;
        s.stop();
        if let Some(note) = self.target.inode_note() {
            s.add_message(&note);
        }
        s.set_cpu(CpuTime::now().since(cpu_before));
        let metrics = self.engine.metrics().since(&before);
        let store = stats(self.engine.as_ref()).map_err(|e| fs_error(name, e))?;
        let via = self.via();
        Ok(FsResult {
            benchmark,
            report: s.report(&via.label(name)),
            metrics,
            db_size_bytes: self.host.db_size_bytes(),
            store,
            via,
        })
    }
}

/// Where a mount-mode run mounts its store: beside the database, at the
/// scratch directory's path with `.mnt` appended; it must not exist yet
/// or be empty (nothing of the user's is ever mounted over).
fn mount_point(scratch_dir: &std::path::Path) -> Result<std::path::PathBuf, String> {
    if scratch_dir.as_os_str().is_empty() {
        return Err("a run through the mount needs a scratch directory beside the database".into());
    }
    let mut name = scratch_dir.as_os_str().to_owned();
    name.push(".mnt");
    let root = std::path::PathBuf::from(name);
    if let Ok(mut entries) = std::fs::read_dir(&root) {
        if entries.next().is_some() {
            return Err(format!(
                "{} is not empty; the run mounts its store there (remove it first)",
                root.display()
            ));
        }
    }
    Ok(root)
}
