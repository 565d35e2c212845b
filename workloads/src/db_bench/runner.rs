//! Runs one benchmark on its threads, as `db_bench`'s `RunBenchmark` does:
//! every thread initialises, waits at a shared start gate, runs, and
//! reports done; the stats of threads 1.. are merged into thread 0's.

use crate::db_bench::config::Config;
use crate::db_bench::random::KeyRng;
use crate::db_bench::suite::BenchPlan;
use crate::db_bench::suite::Benchmark;
use crate::db_bench::values::ValueGenerator;
use crate::measure::interval::{self, IntervalProbe, SamplerStop};
use crate::measure::EngineHost;
use crate::measure::{CpuTime, Stats};
use indicatif::ProgressBar;
use parking_lot::{Condvar, Mutex};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_api::{Engine, Error, Result};

/// Counts guarded by the start gate's mutex (`SharedState`).
#[derive(Debug, Default)]
struct Counts {
    total: u32,
    num_initialized: u32,
    num_done: u32,
    start: bool,
}

/// State shared by the threads of one benchmark.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    counts: Mutex<Counts>,
    cv: Condvar,
}

impl Shared {
    fn new(total: u32) -> Self {
        Shared {
            counts: Mutex::new(Counts {
                total,
                ..Counts::default()
            }),
            cv: Condvar::new(),
        }
    }

    /// True once every thread but the caller has finished
    /// (`readwhilewriting`'s writer stops then).
    pub(crate) fn others_done(&self) -> bool {
        let c = self.counts.lock();
        c.num_done + 1 >= c.num_initialized
    }

    fn arrive_and_wait(&self) {
        let mut c = self.counts.lock();
        c.num_initialized += 1;
        if c.num_initialized >= c.total {
            self.cv.notify_all();
        }
        while !c.start {
            self.cv.wait(&mut c);
        }
    }

    fn depart(&self) {
        let mut c = self.counts.lock();
        c.num_done += 1;
        if c.num_done >= c.total {
            self.cv.notify_all();
        }
    }

    /// Waits until every thread is initialised, then releases them.
    fn open_gate(&self) {
        let mut c = self.counts.lock();
        while c.num_initialized < c.total {
            self.cv.wait(&mut c);
        }
        c.start = true;
        self.cv.notify_all();
    }

    /// Waits until every thread has finished.
    fn wait_for_all_done(&self) {
        let mut c = self.counts.lock();
        while c.num_done < c.total {
            self.cv.wait(&mut c);
        }
    }
}

/// Per-thread state (`ThreadState`).
#[derive(Debug)]
pub(crate) struct ThreadState {
    /// 0..n-1 among the benchmark's threads.
    pub tid: u32,
    /// This thread's key generator.
    pub rng: KeyRng,
    /// This thread's measurements.
    pub stats: Stats,
}

/// What a benchmark's threads share: the plan, the settings, the open
/// database and the host that can reopen it.
pub(crate) struct BenchContext<'a, 'h> {
    pub plan: &'a BenchPlan,
    pub config: &'a Config,
    pub pool: &'a Arc<[u8]>,
    pub shared: Shared,
    pub db: &'a Mutex<Option<Arc<dyn Engine>>>,
    pub host: &'a Mutex<&'h mut dyn EngineHost>,
}

impl BenchContext<'_, '_> {
    /// The open database.
    pub fn engine(&self) -> Result<Arc<dyn Engine>> {
        self.db
            .lock()
            .clone()
            .ok_or_else(|| Error::Unavailable("database is not open".into()))
    }

    /// Closes the database and opens it again (`open`'s operation).
    pub fn reopen(&self) -> Result<()> {
        let mut slot = self.db.lock();
        // Close first: the engine holds the directory's lock.
        drop(slot.take());
        *slot = Some(self.host.lock().open(false)?);
        Ok(())
    }

    /// A fresh walk through the value pool (each thread of each benchmark
    /// starts its own at the front, as `db_bench` builds a new generator).
    pub fn values(&self) -> ValueGenerator {
        ValueGenerator::new(Arc::clone(self.pool))
    }
}

/// A benchmark body, run once per thread.
pub(crate) type Method = fn(&BenchContext<'_, '_>, &mut ThreadState) -> Result<()>;

/// Runs `method` on one thread per entry of `seed_counters`, thread `i`
/// seeded from `seed_counters[i]`, and returns the merged stats (with the
/// time series when `--stats_interval_seconds` is on).
pub(crate) fn run_threads(
    ctx: &BenchContext<'_, '_>,
    method: Method,
    seed_counters: &[u64],
    progress: Option<&ProgressBar>,
) -> Result<Stats> {
    debug_assert_eq!(seed_counters.len(), ctx.plan.threads as usize);
    let interval = (ctx.config.stats_interval_seconds > 0.0)
        .then(|| Duration::from_secs_f64(ctx.config.stats_interval_seconds));
    let probes: Vec<Arc<IntervalProbe>> = match interval {
        Some(_) => seed_counters
            .iter()
            .map(|_| IntervalProbe::new(ctx.config.histogram))
            .collect(),
        None => Vec::new(),
    };
    // `open` replaces the engine: a sampler holding it would keep the
    // directory locked.
    let engine = if ctx.plan.benchmark == Benchmark::Open {
        None
    } else {
        ctx.db.lock().clone()
    };
    let stop = SamplerStop::new();
    let (results, intervals, cpu) = std::thread::scope(|scope| {
        let handles: Vec<_> = seed_counters
            .iter()
            .enumerate()
            .map(|(tid, &counter)| {
                let bar = progress.cloned();
                let probe = probes.get(tid).cloned();
                scope.spawn(move || {
                    let mut stats = Stats::new(ctx.config.histogram, bar);
                    if let Some(probe) = probe {
                        stats = stats.with_probe(probe);
                    }
                    let mut thread = ThreadState {
                        tid: tid as u32,
                        rng: KeyRng::for_thread(ctx.config.rng, ctx.config.seed, counter),
                        stats,
                    };
                    ctx.shared.arrive_and_wait();
                    thread.stats.start();
                    let outcome =
                        std::panic::catch_unwind(AssertUnwindSafe(|| method(ctx, &mut thread)));
                    thread.stats.stop();
                    // Always depart, even after an error, so no one waits forever.
                    ctx.shared.depart();
                    match outcome {
                        Ok(Ok(())) => Ok(thread.stats),
                        Ok(Err(e)) => Err(e),
                        Err(_) => Err(Error::Unavailable(format!(
                            "benchmark thread {tid} panicked"
                        ))),
                    }
                })
            })
            .collect();
        let cpu_before = CpuTime::now();
        ctx.shared.open_gate();
        let start = Instant::now();
        let sampler = interval.map(|every| {
            let (probes, engine, stop) = (&probes, engine.as_ref(), &stop);
            scope.spawn(move || interval::sample(every, start, probes, engine, stop))
        });
        ctx.shared.wait_for_all_done();
        let cpu = CpuTime::now().since(cpu_before);
        stop.stop();
        let intervals = sampler.and_then(|h| h.join().ok()).unwrap_or_default();
        let results: Vec<Result<Stats>> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Unavailable("benchmark thread panicked".into())))
            })
            .collect();
        (results, intervals, cpu)
    });
    let mut merged: Option<Stats> = None;
    for result in results {
        let stats = result?;
        match &mut merged {
            None => merged = Some(stats),
            Some(first) => first.merge(&stats),
        }
    }
    let mut merged = merged
        .ok_or_else(|| Error::InvalidArgument("a benchmark needs at least one thread".into()))?;
    merged.set_cpu(cpu);
    // A benchmark that ended within its first interval has no series.
    if intervals.len() >= 2 {
        merged.set_intervals(intervals);
    }
    Ok(merged)
}

/// A gate for `total` threads (used by [`BenchContext`] construction).
pub(crate) fn shared_for(total: u32) -> Shared {
    Shared::new(total)
}
