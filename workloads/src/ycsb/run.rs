//! One workload against one database: a fresh database, YCSB's load phase
//! (every record inserted in insertion-index order), then the timed run
//! phase on one client thread.

use super::config::YcsbConfig;
use super::generator::{stream, OpGenerator, Operation};
use super::record::{fill_record, key_of, FIELD_BYTES, RECORD_BYTES};
use super::report::{Latencies, YcsbReport};
use super::workload::{OpType, Workload};
use crate::measure::{CpuTime, EngineHost, RunError};
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::io::Write;
use std::time::Instant;
use strata_api::{Engine, EngineMetrics, ReadOptions, WriteOptions};

/// One workload's result.
#[derive(Debug, Clone)]
pub struct YcsbResult {
    /// The workload.
    pub workload: Workload,
    /// Its figures.
    pub report: YcsbReport,
    /// Engine counters accumulated during the run phase.
    pub metrics: EngineMetrics,
    /// Database size on disk after the run phase.
    pub db_size_bytes: u64,
}

impl YcsbResult {
    /// Bytes on disk per logical key + value byte, when known.
    pub fn space_amplification(&self) -> Option<f64> {
        (self.report.logical_bytes > 0)
            .then(|| self.db_size_bytes as f64 / self.report.logical_bytes as f64)
    }
}

fn engine_error(workload: Workload) -> impl FnOnce(strata_api::Error) -> RunError {
    move |source| RunError::Engine {
        benchmark: workload.name().to_string(),
        source,
    }
}

/// What the run phase does besides timing: reusable buffers and tallies.
struct Executor<'a> {
    engine: &'a dyn Engine,
    values: Xoshiro256PlusPlus,
    value: Vec<u8>,
    found: u64,
    scanned: u64,
    logical_bytes: u64,
}

impl Executor<'_> {
    fn insert(&mut self, index: u64) -> strata_api::Result<()> {
        let key = key_of(index);
        fill_record(&mut self.value, &mut self.values);
        self.engine
            .put(&WriteOptions::default(), &key, &self.value)?;
        self.logical_bytes += (key.len() + RECORD_BYTES) as u64;
        Ok(())
    }

    fn execute(&mut self, operation: Operation) -> strata_api::Result<()> {
        let key = key_of(operation.index);
        let read = ReadOptions::default();
        let write = WriteOptions::default();
        match operation.op {
            OpType::Read => {
                if self.engine.get_into(&read, &key, &mut self.value)? {
                    self.found += 1;
                }
            }
            // YCSB's update writes one field; a key-value binding stores
            // the record whole, so this writes a whole new record without
            // reading the old one (a blind put).
            OpType::Update => {
                fill_record(&mut self.value, &mut self.values);
                self.engine.put(&write, &key, &self.value)?;
            }
            OpType::Insert => self.insert(operation.index)?,
            OpType::Scan => {
                let mut it = self.engine.iter(&read)?;
                it.seek(&key);
                let mut n = 0u32;
                while n < operation.scan_length && it.valid() {
                    // Touch the record as a client would copy it out.
                    std::hint::black_box((it.key().len(), it.value().len()));
                    n += 1;
                    it.next();
                }
                it.status()?;
                self.scanned += u64::from(n);
            }
            // Read the record, change one field (the first), write it back.
            OpType::ReadModifyWrite => {
                if self.engine.get_into(&read, &key, &mut self.value)? {
                    self.found += 1;
                } else {
                    self.value.clear();
                }
                self.value.resize(RECORD_BYTES, b' ');
                for byte in &mut self.value[..FIELD_BYTES] {
                    *byte = b' ' + self.values.gen_range(0..95u8);
                }
                self.engine.put(&write, &key, &self.value)?;
            }
        }
        Ok(())
    }
}

/// Runs `workload`: opens a fresh database through `host`, loads
/// `config.records` records, runs `config.operations` operations, writes
/// the line (and with `config.histogram` the latency blocks) to `out`, and
/// closes the database.
///
/// # Errors
/// The first engine error, or a failed write to `out`.
pub fn run_workload(
    workload: Workload,
    config: &YcsbConfig,
    host: &mut dyn EngineHost,
    out: &mut dyn Write,
) -> Result<YcsbResult, RunError> {
    let engine = host.open(true).map_err(engine_error(workload))?;
    // Streams 3w, 3w+1: this workload's operations and values (and 3w+2
    // the load's values), so each workload draws the same whatever runs
    // before it.
    let base = 3 * workload_position(workload);
    let mut exec = Executor {
        engine: engine.as_ref(),
        values: stream(config.seed, base + 2),
        value: Vec::with_capacity(RECORD_BYTES),
        found: 0,
        scanned: 0,
        logical_bytes: 0,
    };
    let load_start = Instant::now();
    for index in 0..config.records {
        exec.insert(index).map_err(engine_error(workload))?;
    }
    let load_elapsed_s = load_start.elapsed().as_secs_f64();
    exec.values = stream(config.seed, base + 1);
    let mut generator = OpGenerator::new(workload, config, stream(config.seed, base));
    let mut latencies = Latencies::default();
    let before = engine.metrics();
    let cpu_before = CpuTime::now();
    let start = Instant::now();
    for _ in 0..config.operations {
        let operation = generator.next_op();
        let op_start = Instant::now();
        exec.execute(operation).map_err(engine_error(workload))?;
        let nanos = u64::try_from(op_start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        latencies.record(operation.op, nanos);
    }
    let elapsed_s = start.elapsed().as_secs_f64();
    let cpu = CpuTime::now().since(cpu_before);
    let metrics = engine.metrics().since(&before);
    let (per_type, all) = latencies.summaries();
    let mut counts = [0u64; 5];
    for op in OpType::ALL {
        counts[op.index()] = latencies.count(op);
    }
    let report = YcsbReport {
        name: workload.name().to_string(),
        records_loaded: config.records,
        load_elapsed_s,
        ops: config.operations,
        counts,
        elapsed_s,
        micros_per_op: elapsed_s * 1e6 / config.operations.max(1) as f64,
        found: exec.found,
        scanned: exec.scanned,
        logical_bytes: exec.logical_bytes,
        latencies: per_type,
        all_latency: all,
        cpu: Some(cpu),
    };
    drop(exec);
    drop(engine);
    writeln!(out, "{}", report.line())?;
    if config.histogram {
        write!(out, "{}", report.histogram_text())?;
    }
    out.flush()?;
    Ok(YcsbResult {
        workload,
        report,
        metrics,
        db_size_bytes: host.db_size_bytes(),
    })
}

fn workload_position(workload: Workload) -> u32 {
    super::workload::ALL
        .iter()
        .position(|(_, w)| *w == workload)
        .map_or(0, |p| p as u32)
}
