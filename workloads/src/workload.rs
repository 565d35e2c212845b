//! The one shape every workload family runs in: a [`Workload`] is one
//! family's benchmarks on one engine's database, run one benchmark at a
//! time, so that a caller can run a list in the order the user wrote it
//! across families (`ycsbc,fillseq,fs_create,fs_stat,readrandom`), each
//! family on its own database.

use crate::db_bench::{self, BenchResult, Config, ConfigError, Suite};
use crate::fs::{FsBenchmark, FsResult, FsRun, FsVia, FsWorkloadConfig};
use crate::measure::{EngineHost, RunError};
use crate::registry::{BenchmarkId, Family};
use crate::ycsb::{self, YcsbConfig, YcsbResult};
use std::io::Write;
use std::path::Path;

/// What one benchmark produced.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A db_bench benchmark's result.
    DbBench(BenchResult),
    /// A YCSB workload's result.
    Ycsb(YcsbResult),
    /// One line of a filesystem benchmark (`fs_import` and `fs_bigfile`
    /// print more than one).
    Fs(FsResult),
    /// A db_bench benchmark as a peer's own binary measured it.
    Peer(crate::external::PeerResult),
}

/// One family's benchmarks running on one database.
pub trait Workload {
    /// Runs the next benchmark, writing its lines (db_bench's format) to
    /// `out`; returns what it measured (nothing for a benchmark skipped
    /// because the database must be kept). Call it once per benchmark of
    /// the part, in order.
    ///
    /// # Errors
    /// An engine error, a read that disagrees with what was written, or a
    /// failed write to `out`; the workload is unusable afterwards.
    fn run_next(&mut self, out: &mut dyn Write) -> Result<Vec<Outcome>, RunError>;
}

/// Benchmarks of a list that run on one database: db_bench's, in order;
/// one YCSB workload (each loads its own fresh database); the filesystem
/// benchmarks, in order, on one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// Every db_bench benchmark of the list.
    DbBench,
    /// One YCSB workload.
    Ycsb(ycsb::Workload),
    /// Every filesystem benchmark of the list.
    Fs,
    /// Every filesystem benchmark of the list run through a FUSE mount
    /// (on a store of its own).
    FsMount,
}

impl Part {
    /// The family of the part's benchmarks.
    pub fn family(self) -> Family {
        match self {
            Part::DbBench => Family::DbBench,
            Part::Ycsb(_) => Family::Ycsb,
            Part::Fs | Part::FsMount => Family::Fs,
        }
    }
}

/// The settings of every family for one run, and the db_bench and
/// filesystem lists (YCSB workloads are named by their [`Part`]).
#[derive(Debug, Clone)]
pub struct Settings {
    /// db_bench's settings and benchmark list.
    pub db_bench: Suite,
    /// YCSB's settings.
    pub ycsb: YcsbConfig,
    /// The filesystem settings (`scratch_dir` is given per database).
    pub fs: FsWorkloadConfig,
    /// The filesystem benchmarks of the list, in order.
    pub fs_benchmarks: Vec<FsBenchmark>,
    /// The filesystem benchmarks of the list through a mount, in order.
    pub fs_mount_benchmarks: Vec<FsBenchmark>,
}

impl Settings {
    /// The settings of a run of `list`: db_bench's benchmarks of the list
    /// (in order) with `config`, YCSB's `ycsb`, the filesystem benchmarks
    /// of the list with `fs`.
    ///
    /// # Errors
    /// A db_bench setting out of range.
    pub fn new(
        config: Config,
        ycsb: YcsbConfig,
        fs: FsWorkloadConfig,
        list: &[BenchmarkId],
    ) -> Result<Settings, ConfigError> {
        let db_bench = list
            .iter()
            .filter_map(|b| match b {
                BenchmarkId::DbBench(b) => Some(*b),
                _ => None,
            })
            .collect();
        let fs_benchmarks = list
            .iter()
            .filter_map(|b| match b {
                BenchmarkId::Fs(b) => Some(*b),
                _ => None,
            })
            .collect();
        let fs_mount_benchmarks = list
            .iter()
            .filter_map(|b| match b {
                BenchmarkId::FsMount(b) => Some(*b),
                _ => None,
            })
            .collect();
        Ok(Settings {
            db_bench: Suite::new(config, db_bench)?,
            ycsb,
            fs,
            fs_benchmarks,
            fs_mount_benchmarks,
        })
    }

    /// The block printed before a family's first benchmark on an engine;
    /// `snappy_enabled` tells db_bench's header whether the engine
    /// compresses blocks.
    pub fn header(&self, family: Family, snappy_enabled: bool) -> String {
        match family {
            Family::DbBench => self.db_bench.header(snappy_enabled),
            Family::Ycsb => ycsb::header(&self.ycsb),
            Family::Fs if self.fs_mount_benchmarks.is_empty() => crate::fs::header(&self.fs),
            Family::Fs => format!(
                "{}(rows named *@mount: through a FUSE mount of a store of their own, with system calls)\n",
                crate::fs::header(&self.fs)
            ),
        }
    }

    /// How many benchmarks `part` runs (calls of [`Workload::run_next`]).
    pub fn len(&self, part: Part) -> usize {
        match part {
            Part::DbBench => self.db_bench.benchmarks().len(),
            Part::Ycsb(_) => 1,
            Part::Fs => self.fs_benchmarks.len(),
            Part::FsMount => self.fs_mount_benchmarks.len(),
        }
    }

    /// True when `part` runs nothing.
    pub fn is_empty(&self, part: Part) -> bool {
        self.len(part) == 0
    }

    /// `part` on the database `host` opens; `scratch_dir` is where
    /// `fs_import` may write its changed copy (beside the database).
    /// Nothing is opened until the first benchmark runs.
    pub fn open<'s>(
        &'s self,
        part: Part,
        host: &'s mut dyn EngineHost,
        scratch_dir: &Path,
    ) -> Box<dyn Workload + 's> {
        match part {
            Part::DbBench => Box::new(DbBenchWorkload(db_bench::Session::new(
                &self.db_bench,
                host,
            ))),
            Part::Ycsb(workload) => Box::new(YcsbWorkload {
                workload,
                config: &self.ycsb,
                host,
            }),
            Part::Fs | Part::FsMount => Box::new(FsWorkload {
                config: FsWorkloadConfig {
                    scratch_dir: scratch_dir.to_path_buf(),
                    ..self.fs.clone()
                },
                benchmarks: if part == Part::Fs {
                    &self.fs_benchmarks
                } else {
                    &self.fs_mount_benchmarks
                },
                via: if part == Part::Fs {
                    FsVia::Api
                } else {
                    FsVia::Mount
                },
                next: 0,
                host: Some(host),
                run: None,
            }),
        }
    }
}

struct DbBenchWorkload<'s>(db_bench::Session<'s>);

impl Workload for DbBenchWorkload<'_> {
    fn run_next(&mut self, out: &mut dyn Write) -> Result<Vec<Outcome>, RunError> {
        Ok(self
            .0
            .run_next(out)?
            .flatten()
            .map(Outcome::DbBench)
            .into_iter()
            .collect())
    }
}

struct YcsbWorkload<'s> {
    workload: ycsb::Workload,
    config: &'s YcsbConfig,
    host: &'s mut dyn EngineHost,
}

impl Workload for YcsbWorkload<'_> {
    fn run_next(&mut self, out: &mut dyn Write) -> Result<Vec<Outcome>, RunError> {
        let result = ycsb::run_workload(self.workload, self.config, self.host, out)?;
        Ok(vec![Outcome::Ycsb(result)])
    }
}

struct FsWorkload<'s> {
    config: FsWorkloadConfig,
    benchmarks: &'s [FsBenchmark],
    via: FsVia,
    next: usize,
    /// The host until the store is opened, then inside `run`.
    host: Option<&'s mut dyn EngineHost>,
    run: Option<FsRun<'s>>,
}

impl Workload for FsWorkload<'_> {
    fn run_next(&mut self, out: &mut dyn Write) -> Result<Vec<Outcome>, RunError> {
        let Some(&benchmark) = self.benchmarks.get(self.next) else {
            return Ok(Vec::new());
        };
        self.next += 1;
        if let Some(host) = self.host.take() {
            self.run = Some(FsRun::start_via(&self.config, host, self.via)?);
        }
        let Some(run) = self.run.as_mut() else {
            return Err(RunError::Workload {
                benchmark: benchmark.name().to_string(),
                reason: "the store failed to open before".to_string(),
            });
        };
        let results = run.run(benchmark, out)?;
        if self.next == self.benchmarks.len() {
            self.run = None;
        }
        Ok(results.into_iter().map(Outcome::Fs).collect())
    }
}
