//! Behaviour over time (`--stats_interval_seconds`, RocksDB's flag): while
//! a benchmark's threads run, a sampler wakes every interval and records
//! the operations finished in it, their latency percentiles (when
//! per-operation latencies are recorded, `--histogram=1`), and the
//! engine's state at its end (level 0, bytes per level, memtable,
//! compaction backlog, cumulative stalls).
//!
//! The threads pay one relaxed atomic store per operation (and, with
//! latencies on, one uncontended lock to add the latency to the interval's
//! histogram). The sampler touches the engine only while the benchmark
//! runs, never between two benchmarks: the interval cut short by the end
//! of the benchmark is recorded without the engine's state.

use hdrhistogram::Histogram;
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_api::{Engine, EngineMetrics, EngineState};

/// What one benchmark thread shares with the sampler.
#[derive(Debug)]
pub struct IntervalProbe {
    done: AtomicU64,
    latencies: Option<Mutex<Histogram<u64>>>,
}

impl IntervalProbe {
    /// A probe; `latencies` when the thread records per-operation
    /// latencies.
    pub fn new(latencies: bool) -> Arc<Self> {
        Arc::new(IntervalProbe {
            done: AtomicU64::new(0),
            latencies: latencies.then(|| Mutex::new(new_histogram())),
        })
    }

    /// The thread's operations finished so far in this benchmark.
    #[inline]
    pub fn set_done(&self, done: u64) {
        self.done.store(done, Ordering::Relaxed);
    }

    /// Adds one operation's latency, nanoseconds.
    #[inline]
    pub fn add_latency(&self, nanos: u64) {
        if let Some(hist) = &self.latencies {
            let mut hist = hist.lock();
            if hist.record(nanos).is_err() {
                hist.saturating_record(nanos);
            }
        }
    }

    fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// The latencies since the last call (and forgets them).
    fn take_latencies(&self, into: &mut Histogram<u64>) {
        if let Some(hist) = &self.latencies {
            let mut hist = hist.lock();
            let _ = into.add(&*hist);
            hist.reset();
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant figures is a valid precision")
}

/// One interval of one benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalSample {
    /// Seconds since the benchmark's threads started, at the interval's
    /// start.
    pub start_s: f64,
    /// Seconds since the start, at its end.
    pub end_s: f64,
    /// Operations finished in the interval (all threads).
    pub ops: u64,
    /// Median latency in the interval, µs (`None` without latencies or
    /// without an operation).
    pub p50_us: Option<f64>,
    /// 99th percentile latency in the interval, µs.
    pub p99_us: Option<f64>,
    /// Largest latency in the interval, µs.
    pub max_us: Option<f64>,
    /// The engine's state at the interval's end (`None` for the last,
    /// short interval: the benchmark had ended and the engine is not
    /// touched between benchmarks).
    pub state: Option<EngineState>,
    /// Write stalls since the benchmark started, at the interval's end.
    pub stalls: Option<u64>,
    /// Microseconds writers spent stalled since the benchmark started, at
    /// the interval's end.
    pub stall_us: Option<u64>,
}

impl IntervalSample {
    /// Operations per second in the interval.
    pub fn ops_per_s(&self) -> f64 {
        let seconds = self.end_s - self.start_s;
        if seconds > 0.0 {
            self.ops as f64 / seconds
        } else {
            0.0
        }
    }
}

/// Tells the sampler the benchmark is over.
#[derive(Debug, Default)]
pub struct SamplerStop {
    stopped: Mutex<bool>,
    cv: Condvar,
}

impl SamplerStop {
    /// A stop signal not yet given.
    pub fn new() -> Self {
        SamplerStop::default()
    }

    /// Ends the sampling (after the last thread finished).
    pub fn stop(&self) {
        *self.stopped.lock() = true;
        self.cv.notify_all();
    }

    /// Sleeps until `deadline` or the stop; true when stopped.
    fn wait_until(&self, deadline: Instant) -> bool {
        let mut stopped = self.stopped.lock();
        while !*stopped {
            if self.cv.wait_until(&mut stopped, deadline).timed_out() {
                return *stopped;
            }
        }
        true
    }
}

/// A watcher of samples as they are taken (not at the benchmark's end).
pub type SampleObserver = dyn Fn(&IntervalSample) + Send + Sync;

static OBSERVER: std::sync::OnceLock<Box<SampleObserver>> = std::sync::OnceLock::new();

/// Makes `observer` see every sample of this process as the sampler takes
/// it, on the sampler's thread (a live display: `strata bench --serve`).
/// Once per process; false (and `observer` dropped) when one is set. The
/// benchmark threads never call it: it costs them nothing.
pub fn observe_samples(observer: Box<SampleObserver>) -> bool {
    OBSERVER.set(observer).is_ok()
}

/// The sampler's loop: from `start` (the moment the threads were released)
/// every `interval` until `stop`, one sample of `probes` and `engine`.
/// `engine` is the database the benchmark runs on (`None`: no state).
pub fn sample(
    interval: Duration,
    start: Instant,
    probes: &[Arc<IntervalProbe>],
    engine: Option<&Arc<dyn Engine>>,
    stop: &SamplerStop,
) -> Vec<IntervalSample> {
    let base: Option<EngineMetrics> = engine.map(|e| e.metrics());
    let mut samples = Vec::new();
    let mut last_done = 0u64;
    let mut last_s = 0.0f64;
    let mut hist = new_histogram();
    let mut tick = 1u32;
    loop {
        let deadline = start + interval * tick;
        let stopped = stop.wait_until(deadline);
        let now = Instant::now();
        let end_s = (now - start).as_secs_f64();
        let done: u64 = probes.iter().map(|p| p.done()).sum();
        hist.reset();
        for probe in probes {
            probe.take_latencies(&mut hist);
        }
        let latency = |q: f64| (!hist.is_empty()).then(|| hist.value_at_quantile(q) as f64 / 1e3);
        let (state, stalls, stall_us) = match (engine, stopped) {
            (Some(engine), false) => {
                let metrics = engine.metrics();
                let since = base.map(|b| metrics.since(&b));
                (
                    Some(engine.state()),
                    since.map(|m| m.stalls),
                    since.map(|m| m.stall_time_us),
                )
            }
            _ => (None, None, None),
        };
        let ops = done.saturating_sub(last_done);
        if !(stopped && ops == 0 && end_s - last_s < interval.as_secs_f64() / 10.0) {
            let sample = IntervalSample {
                start_s: last_s,
                end_s,
                ops,
                p50_us: latency(0.50),
                p99_us: latency(0.99),
                max_us: (!hist.is_empty()).then(|| hist.max() as f64 / 1e3),
                state,
                stalls,
                stall_us,
            };
            if let Some(observer) = OBSERVER.get() {
                observer(&sample);
            }
            samples.push(sample);
        }
        if stopped {
            return samples;
        }
        last_done = done;
        last_s = end_s;
        tick += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_count_the_operations_of_every_thread() {
        let probes = vec![IntervalProbe::new(true), IntervalProbe::new(true)];
        let stop = SamplerStop::new();
        let start = Instant::now();
        let samples = std::thread::scope(|scope| {
            let sampler =
                scope.spawn(|| sample(Duration::from_millis(20), start, &probes, None, &stop));
            for round in 1..=5u64 {
                for probe in &probes {
                    probe.set_done(round * 10);
                    probe.add_latency(1_000 * round);
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            stop.stop();
            sampler.join().expect("sampler")
        });
        assert!(samples.len() >= 3, "{samples:?}");
        let total: u64 = samples.iter().map(|s| s.ops).sum();
        assert_eq!(total, 100, "every operation in exactly one interval");
        for pair in samples.windows(2) {
            assert_eq!(pair[0].end_s, pair[1].start_s, "intervals tile the run");
        }
        let with_latency = samples.iter().filter(|s| s.p50_us.is_some()).count();
        assert!(with_latency >= 1);
        let max = samples.iter().filter_map(|s| s.max_us).fold(0.0, f64::max);
        assert!(
            (4.9..=5.1).contains(&max),
            "largest latency 5 µs, got {max}"
        );
        assert!(samples.iter().all(|s| s.state.is_none()), "no engine given");
    }

    #[test]
    fn a_stop_before_the_first_tick_gives_one_short_interval() {
        let probe = IntervalProbe::new(false);
        probe.set_done(7);
        let stop = SamplerStop::new();
        stop.stop();
        let samples = sample(
            Duration::from_secs(3600),
            Instant::now(),
            &[probe],
            None,
            &stop,
        );
        assert_eq!(samples.len(), 1);
        assert_eq!(samples[0].ops, 7);
        assert_eq!(samples[0].p50_us, None, "no latencies recorded");
    }
}
