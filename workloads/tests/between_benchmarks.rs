//! Nothing touches the engine between two benchmarks that `db_bench`
//! 1.23 does not do there. An engine wrapper logs every call (and every
//! call on the iterators it hands out) with where the session is: inside
//! a benchmark's own work (between the session's `Boundary::Begin` and
//! `Boundary::End`) or between two benchmarks. Between them only the
//! counter snapshot (`metrics`) may reach the engine, and the database
//! may only be (re)opened where `db_bench` opens it: once at the start and
//! before each benchmark that starts a fresh database.

mod support;

use parking_lot::Mutex;
use std::sync::Arc;
use strata_api::{
    Codecs, Engine, EngineMetrics, EngineState, KvIterator, ReadOptions, Result, Snapshot,
    WriteBatch, WriteOptions,
};
use strata_workloads::db_bench::suite::DEFAULT_BENCHMARKS;
use strata_workloads::db_bench::{parse_list, Boundary, Config, Session, Suite};
use strata_workloads::EngineHost;
use support::MapHost;

/// Calls that only read counters: the session snapshots them around each
/// benchmark to attribute engine work to it. (`state`, which the time
/// series samples, is read only inside a benchmark.)
const ALLOWED_BETWEEN: &[&str] = &["metrics"];

#[derive(Debug, Default)]
struct Log {
    /// The benchmark whose own work is running, if any.
    inside: Option<usize>,
    boundaries: Vec<Boundary>,
    /// Engine calls inside each benchmark's work, by position.
    calls_inside: Vec<u64>,
    /// Engine calls inside benchmarks, by name.
    inside_by_call: std::collections::BTreeMap<&'static str, u64>,
    /// Engine calls between benchmarks: (last position begun, call).
    between: Vec<(Option<usize>, &'static str)>,
    /// Opens between benchmarks: (last position begun, fresh).
    opens_between: Vec<(Option<usize>, bool)>,
    last_begun: Option<usize>,
}

impl Log {
    fn note(&mut self, call: &'static str) {
        match self.inside {
            Some(p) => {
                if self.calls_inside.len() <= p {
                    self.calls_inside.resize(p + 1, 0);
                }
                self.calls_inside[p] += 1;
                *self.inside_by_call.entry(call).or_default() += 1;
            }
            None => self.between.push((self.last_begun, call)),
        }
    }

    fn boundary(&mut self, b: Boundary) {
        self.boundaries.push(b);
        match b {
            Boundary::Begin(p) => {
                assert_eq!(self.inside, None, "Begin({p}) inside another benchmark");
                self.inside = Some(p);
                self.last_begun = Some(p);
            }
            Boundary::End(p) => {
                assert_eq!(self.inside, Some(p), "End({p}) without its Begin");
                self.inside = None;
            }
        }
    }
}

type SharedLog = Arc<Mutex<Log>>;

struct CountingEngine {
    inner: Arc<dyn Engine>,
    log: SharedLog,
}

impl CountingEngine {
    fn note(&self, call: &'static str) {
        self.log.lock().note(call);
    }
}

impl Engine for CountingEngine {
    fn spec(&self) -> String {
        self.note("spec");
        self.inner.spec()
    }
    fn put(&self, options: &WriteOptions, key: &[u8], value: &[u8]) -> Result<()> {
        self.note("put");
        self.inner.put(options, key, value)
    }
    fn delete(&self, options: &WriteOptions, key: &[u8]) -> Result<()> {
        self.note("delete");
        self.inner.delete(options, key)
    }
    fn write(&self, options: &WriteOptions, batch: &WriteBatch) -> Result<()> {
        self.note("write");
        self.inner.write(options, batch)
    }
    fn get_into(&self, options: &ReadOptions, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        self.note("get");
        self.inner.get_into(options, key, value)
    }
    fn get(&self, options: &ReadOptions, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.note("get");
        self.inner.get(options, key)
    }
    fn iter(&self, options: &ReadOptions) -> Result<Box<dyn KvIterator>> {
        self.note("iter");
        Ok(Box::new(CountingIter {
            inner: self.inner.iter(options)?,
            log: Arc::clone(&self.log),
        }))
    }
    fn snapshot(&self) -> Snapshot {
        self.note("snapshot");
        self.inner.snapshot()
    }
    fn compact_range(&self, begin: Option<&[u8]>, end: Option<&[u8]>) -> Result<()> {
        self.note("compact_range");
        self.inner.compact_range(begin, end)
    }
    fn property(&self, name: &str) -> Option<String> {
        self.note("property");
        self.inner.property(name)
    }
    fn metrics(&self) -> EngineMetrics {
        self.note("metrics");
        self.inner.metrics()
    }
    fn state(&self) -> EngineState {
        self.note("state");
        self.inner.state()
    }
    fn wait_for_background(&self) -> Result<()> {
        self.note("wait_for_background");
        self.inner.wait_for_background()
    }
    fn codecs(&self) -> Option<Box<dyn Codecs>> {
        self.note("codecs");
        self.inner.codecs()
    }
}

struct CountingIter {
    inner: Box<dyn KvIterator>,
    log: SharedLog,
}

impl CountingIter {
    fn note(&self, call: &'static str) {
        self.log.lock().note(call);
    }
}

impl KvIterator for CountingIter {
    fn valid(&self) -> bool {
        self.note("iter.valid");
        self.inner.valid()
    }
    fn seek_to_first(&mut self) {
        self.note("iter.seek_to_first");
        self.inner.seek_to_first();
    }
    fn seek_to_last(&mut self) {
        self.note("iter.seek_to_last");
        self.inner.seek_to_last();
    }
    fn seek(&mut self, target: &[u8]) {
        self.note("iter.seek");
        self.inner.seek(target);
    }
    fn next(&mut self) {
        self.note("iter.next");
        self.inner.next();
    }
    fn prev(&mut self) {
        self.note("iter.prev");
        self.inner.prev();
    }
    fn key(&self) -> &[u8] {
        self.note("iter.key");
        self.inner.key()
    }
    fn value(&self) -> &[u8] {
        self.note("iter.value");
        self.inner.value()
    }
    fn status(&self) -> Result<()> {
        self.note("iter.status");
        self.inner.status()
    }
}

/// Wraps every engine the fixture opens; logs opens made between
/// benchmarks (an open inside one is `open`'s own work, counted as a call
/// inside it).
struct CountingHost {
    inner: MapHost,
    log: SharedLog,
}

impl EngineHost for CountingHost {
    fn open(&mut self, fresh: bool) -> Result<Arc<dyn Engine>> {
        {
            let mut log = self.log.lock();
            if log.inside.is_none() {
                let after = log.last_begun;
                log.opens_between.push((after, fresh));
            } else {
                // `open`'s own work.
                log.note("host.open");
            }
        }
        Ok(Arc::new(CountingEngine {
            inner: self.inner.open(fresh)?,
            log: Arc::clone(&self.log),
        }))
    }
    fn db_size_bytes(&self) -> u64 {
        // A look at the files, not a call into the engine.
        self.inner.db_size_bytes()
    }
}

fn small(threads: u32) -> Config {
    Config {
        num: 2000,
        threads,
        crc32c_total_bytes: 16 * 4096,
        snappy_total_bytes: 16 * 4096,
        ..Config::default()
    }
}

/// Runs `list` through a [`Session`] and checks the log; returns the
/// calls made inside benchmarks, by name.
fn check(list: &str, config: Config) -> std::collections::BTreeMap<&'static str, u64> {
    let benchmarks = parse_list(list).expect("list");
    let case = format!("list {list} threads {}", config.threads);
    let suite = Suite::new(config, benchmarks.clone()).expect("suite");
    let log = SharedLog::default();
    let mut host = CountingHost {
        inner: MapHost::default(),
        log: Arc::clone(&log),
    };
    let positions = benchmarks.len();
    {
        let host_ref: &mut dyn EngineHost = &mut host;
        let mut session = Session::new(&suite, host_ref);
        let observer_log = Arc::clone(&log);
        session.observe(move |b| observer_log.lock().boundary(b));
        let mut out = Vec::new();
        let mut ran = 0;
        while session.run_next(&mut out).expect("run").is_some() {
            ran += 1;
        }
        assert_eq!(ran, positions, "{case}");
    }
    let log = log.lock();
    let expected: Vec<Boundary> = (0..positions)
        .flat_map(|p| [Boundary::Begin(p), Boundary::End(p)])
        .collect();
    assert_eq!(log.boundaries, expected, "{case}");
    // The boundaries surround each benchmark's own calls: a hook fired in
    // the wrong place would leave a benchmark with none inside.
    assert_eq!(log.calls_inside.len(), positions, "{case}");
    for (p, &n) in log.calls_inside.iter().enumerate() {
        assert!(
            n > 0,
            "{case}: {} made no engine call inside its edges",
            benchmarks[p]
        );
    }
    // Each forbidden call once, with how often and after which benchmark.
    let mut forbidden = std::collections::BTreeMap::<String, u64>::new();
    for (after, call) in &log.between {
        if ALLOWED_BETWEEN.contains(call) {
            continue;
        }
        let place = match after {
            Some(p) => format!("{call} after {} (position {p})", benchmarks[*p]),
            None => format!("{call} before the first benchmark"),
        };
        *forbidden.entry(place).or_default() += 1;
    }
    assert!(
        forbidden.is_empty(),
        "{case}: engine touched between benchmarks: {forbidden:?}"
    );
    // Opens between benchmarks: the first (fresh), then one fresh open per
    // benchmark that starts a fresh database, as db_bench's Run() does.
    let fresh_opens = log.opens_between.iter().filter(|(_, fresh)| *fresh).count();
    let expected_fresh = 1 + benchmarks.iter().filter(|b| b.fresh_db()).count();
    assert_eq!(fresh_opens, expected_fresh, "{case}");
    assert!(
        log.opens_between.iter().all(|(_, fresh)| *fresh),
        "{case}: a non-fresh reopen between benchmarks: {:?}",
        log.opens_between
    );
    log.inside_by_call.clone()
}

#[test]
fn default_list_touches_the_engine_only_inside_benchmarks() {
    let _ = check(DEFAULT_BENCHMARKS, small(1));
    // Two threads, and the time-series sampler reading the engine's state
    // every millisecond (it must do so only inside a benchmark).
    let inside = check(
        DEFAULT_BENCHMARKS,
        Config {
            stats_interval_seconds: 0.001,
            ..small(2)
        },
    );
    assert!(
        inside.get("state").is_some_and(|&n| n > 0),
        "the sampler ran: {inside:?}"
    );
}

#[test]
fn every_other_benchmark_touches_the_engine_only_inside_benchmarks() {
    let _ = check(
        "fillseq,deleteseq,fillrandom,deleterandom,fillbatch,readwhilewriting,readmissing,\
readhot,seekrandom,seekordered,readrandomsmall,open,stats,sstables,overwrite",
        small(1),
    );
}
