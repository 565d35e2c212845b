//! LevelDB 1.23's `db_bench`, benchmark for benchmark.
//!
//! A [`Suite`] is a validated [`Config`] plus a list of [`Benchmark`]s. Its
//! [`Suite::run`] is one `db_bench` invocation over one engine: open the
//! database (fresh unless `use_existing_db`), run each benchmark on its
//! threads, print `db_bench`'s lines, and hand each [`BenchResult`] to the
//! caller as soon as it is measured.

pub mod codecs;
pub mod config;
pub mod header;
pub mod keys;
pub mod live;
mod misc;
pub mod random;
mod reads;
mod runner;
mod session;
pub mod suite;
pub mod values;
mod writes;

use crate::measure::{stats, EngineHost, Report, RunError};
pub use config::{Config, ConfigError};
pub use random::{KeyRng, LevelDbRandom, RngKind};
pub use session::{Boundary, Session};
pub use suite::{parse_list, seed_schedule, BenchPlan, Benchmark, UnknownBenchmark};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use parking_lot::Mutex;
use runner::{BenchContext, Method};
use std::io::Write;
use std::sync::Arc;
use strata_api::{Engine, EngineMetrics};

/// One benchmark's outcome.
#[derive(Debug, Clone)]
pub struct BenchResult {
    /// 0-based position in the benchmark list.
    pub position: usize,
    /// What it ran with.
    pub plan: BenchPlan,
    /// `db_bench`'s figures.
    pub report: Report,
    /// Engine counters accumulated during the benchmark (`None` for
    /// benchmarks that replaced the engine handle, such as `open`).
    pub metrics: Option<EngineMetrics>,
    /// Database size on disk after the benchmark.
    pub db_size_bytes: u64,
    /// Key + value bytes of every live pair after the benchmark, after
    /// benchmarks that change the data (`None` after the others, and when
    /// unknown). Worked out from the keys the list writes
    /// ([`live::live_bytes_after`]), never by reading the database: nothing
    /// touches the engine between two benchmarks.
    pub logical_bytes: Option<u64>,
}

impl BenchResult {
    /// Bytes on disk per logical byte (`db_size_bytes / logical_bytes`),
    /// when the logical size was measured and is not zero.
    pub fn space_amplification(&self) -> Option<f64> {
        self.logical_bytes
            .filter(|&l| l > 0)
            .map(|l| self.db_size_bytes as f64 / l as f64)
    }
}

fn engine_error(benchmark: &str) -> impl FnOnce(strata_api::Error) -> RunError + '_ {
    move |source| RunError::Engine {
        benchmark: benchmark.to_string(),
        source,
    }
}

/// A validated run plan: settings, benchmark list, value pool.
#[derive(Debug, Clone)]
pub struct Suite {
    config: Config,
    benchmarks: Vec<Benchmark>,
    pool: Arc<[u8]>,
}

impl Suite {
    /// A suite over `benchmarks` with `config`.
    ///
    /// # Errors
    /// The first setting out of range.
    pub fn new(config: Config, benchmarks: Vec<Benchmark>) -> Result<Self, ConfigError> {
        config.validate()?;
        let pool = values::build_pool(config.rng, config.seed, config.compression_ratio);
        Ok(Suite {
            config,
            benchmarks,
            pool,
        })
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The benchmark list.
    pub fn benchmarks(&self) -> &[Benchmark] {
        &self.benchmarks
    }

    /// `db_bench`'s header; `snappy_enabled` tells whether the engine
    /// compresses blocks (if not, `db_bench`'s Snappy warning is printed).
    pub fn header(&self, snappy_enabled: bool) -> String {
        header::header(&self.config, snappy_enabled)
    }

    /// Runs every benchmark against the database `host` opens, writing
    /// `db_bench`'s lines to `out` and passing each result to `on_result`
    /// as soon as it is measured. The database is closed on return.
    ///
    /// # Errors
    /// The first engine, output or handler error; benchmarks after it do
    /// not run.
    pub fn run(
        &self,
        host: &mut dyn EngineHost,
        out: &mut dyn Write,
        on_result: &mut dyn FnMut(&BenchResult) -> Result<(), RunError>,
    ) -> Result<(), RunError> {
        let mut session = Session::new(self, host);
        while let Some(step) = session.run_next(out)? {
            if let Some(result) = step {
                on_result(&result)?;
            }
        }
        Ok(())
    }

    /// One benchmark of the list: measured on `db` (opened by `host`),
    /// its lines written to `out`, its own work (threads or property
    /// print) between `observe(Begin)` and `observe(End)`. The result's
    /// `logical_bytes` is left for the session to fill in.
    fn run_at(
        &self,
        position: usize,
        seeds: &[u64],
        db: &Mutex<Option<Arc<dyn Engine>>>,
        host: &Mutex<&mut dyn EngineHost>,
        out: &mut dyn Write,
        observe: &mut dyn FnMut(Boundary),
    ) -> Result<Option<BenchResult>, RunError> {
        let benchmark = self.benchmarks[position];
        let plan = BenchPlan::new(benchmark, &self.config);
        let name = benchmark.name();
        if benchmark.fresh_db() {
            if self.config.use_existing_db {
                writeln!(out, "{name:<12} : skipped (--use_existing_db is true)")?;
                return Ok(None);
            }
            let mut slot = db.lock();
            drop(slot.take());
            *slot = Some(host.lock().open(true).map_err(engine_error(name))?);
        }
        let current = db.lock().clone();
        let before = current.as_ref().map(|e| e.metrics());
        let report = match benchmark.prints_property() {
            Some(property) => {
                observe(Boundary::Begin(position));
                let text = current.as_ref().and_then(|e| e.property(property));
                observe(Boundary::End(position));
                let text = text.unwrap_or_else(|| "(failed)".to_string());
                write!(out, "\n{text}\n")?;
                stats::Stats::new(false, None).report(name)
            }
            None => {
                drop(current);
                observe(Boundary::Begin(position));
                let report = self.run_one(&plan, seeds, db, host);
                observe(Boundary::End(position));
                let report = report?;
                writeln!(out, "{}", report.line())?;
                if self.config.histogram {
                    writeln!(out, "{}", report.histogram_text())?;
                }
                report
            }
        };
        out.flush()?;
        let after = db.lock().clone();
        let metrics = match (&before, &after) {
            (Some(b), Some(a)) if benchmark != Benchmark::Open => Some(a.metrics().since(b)),
            _ => None,
        };
        drop(after);
        let db_size_bytes = host.lock().db_size_bytes();
        Ok(Some(BenchResult {
            position,
            plan,
            report,
            metrics,
            db_size_bytes,
            logical_bytes: None,
        }))
    }

    fn run_one(
        &self,
        plan: &BenchPlan,
        seeds: &[u64],
        db: &Mutex<Option<Arc<dyn Engine>>>,
        host: &Mutex<&mut dyn EngineHost>,
    ) -> Result<Report, RunError> {
        let name = plan.benchmark.name();
        let ctx = BenchContext {
            plan,
            config: &self.config,
            pool: &self.pool,
            shared: runner::shared_for(plan.threads),
            db,
            host,
        };
        let bar = self.progress_bar(plan);
        let stats = runner::run_threads(&ctx, method_of(plan.benchmark), seeds, bar.as_ref())
            .map_err(engine_error(name))?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        Ok(stats.report(name))
    }

    /// A bar on stderr for benchmarks with a known op count; indicatif
    /// draws nothing when stderr is not a terminal.
    fn progress_bar(&self, plan: &BenchPlan) -> Option<ProgressBar> {
        if !self.config.progress {
            return None;
        }
        let threads = u64::from(plan.threads);
        let block = 4096u64;
        let total = match plan.benchmark {
            Benchmark::Crc32c => self.config.crc32c_total_bytes.div_ceil(block) * threads,
            Benchmark::SnappyComp | Benchmark::SnappyUncomp => {
                self.config.snappy_total_bytes.div_ceil(block) * threads
            }
            Benchmark::ReadWhileWriting => u64::from(plan.reads) * (threads - 1),
            Benchmark::Compact | Benchmark::Stats | Benchmark::SsTables => 0,
            b if is_read(b) => u64::from(plan.reads) * threads,
            _ => u64::from(plan.num) * threads,
        };
        if total == 0 {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{msg:<16} [{bar:40}] {pos}/{len} ops, eta {eta}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(plan.benchmark.name());
        Some(bar)
    }
}

fn is_read(b: Benchmark) -> bool {
    matches!(
        b,
        Benchmark::ReadRandom
            | Benchmark::ReadMissing
            | Benchmark::ReadHot
            | Benchmark::ReadSeq
            | Benchmark::ReadReverse
            | Benchmark::SeekRandom
            | Benchmark::SeekOrdered
            | Benchmark::ReadRandomSmall
    )
}

fn method_of(benchmark: Benchmark) -> Method {
    match benchmark {
        Benchmark::FillSeq | Benchmark::FillBatch => writes::write_seq,
        Benchmark::FillRandom
        | Benchmark::Overwrite
        | Benchmark::FillSync
        | Benchmark::Fill100K => writes::write_random,
        Benchmark::DeleteSeq => writes::delete_seq,
        Benchmark::DeleteRandom => writes::delete_random,
        Benchmark::ReadRandom | Benchmark::ReadRandomSmall => reads::read_random,
        Benchmark::ReadMissing => reads::read_missing,
        Benchmark::ReadHot => reads::read_hot,
        Benchmark::ReadSeq => reads::read_seq,
        Benchmark::ReadReverse => reads::read_reverse,
        Benchmark::SeekRandom => reads::seek_random,
        Benchmark::SeekOrdered => reads::seek_ordered,
        Benchmark::ReadWhileWriting => reads::read_while_writing,
        Benchmark::Compact => misc::compact,
        Benchmark::Crc32c => misc::crc32c,
        Benchmark::SnappyComp => misc::snappy_comp,
        Benchmark::SnappyUncomp => misc::snappy_uncomp,
        Benchmark::Open => misc::open,
        // Property prints never reach the thread runner; a no-op keeps the
        // match total.
        Benchmark::Stats | Benchmark::SsTables => |_, _| Ok(()),
    }
}
