//! Reading a db_bench's output: its header, one section per benchmark (the
//! result line, the `--histogram=1` blocks after it, a property print), and
//! strata's [`Report`] made of a section.
//!
//! Both flavours print `name : X micros/op;` lines; RocksDB inserts
//! `N ops/sec S seconds M operations` before the `;`. What follows the
//! `;` is `Y MB/s` when bytes were counted and the benchmark's message
//! (`(864322 of 1000000 found)`, `(4K per op)`, `(2 ops)`). A line that
//! names a db_bench benchmark before ` : ` but does not parse is an error;
//! every other line (RocksDB's `DB path:`, statistics, property text) is
//! the peer's own and is passed through.

use super::Flavour;
use crate::db_bench::{BenchPlan, Benchmark, Config};
use crate::measure::{LatencySummary, OpKind, Report, Stats};
use std::collections::VecDeque;
use std::io;

/// The line db_bench prints between its header and the first benchmark
/// (48 dashes; the histogram's rule is longer).
const HEADER_RULE: &str = "------------------------------------------------";

/// One benchmark's result line.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultLine {
    /// The benchmark's name as printed.
    pub name: String,
    /// db_bench's micros/op (the mean per-thread time per op).
    pub micros_per_op: f64,
    /// RocksDB's `ops/sec` (truncated to an integer by the peer).
    pub ops_per_s: Option<u64>,
    /// RocksDB's `seconds` (wall time, three decimals).
    pub seconds: Option<f64>,
    /// RocksDB's `operations`.
    pub ops: Option<u64>,
    /// `MB/s`, when the peer counted bytes.
    pub mb_per_s: Option<f64>,
    /// The message after the rate (`(1708 of 2000 found)`), or empty.
    pub message: String,
}

impl ResultLine {
    /// The first number of a `(X of Y found)` message.
    pub fn found(&self) -> Option<u64> {
        let start = self.message.find('(')?;
        let rest = &self.message[start + 1..];
        let (found, rest) = rest.split_once(" of ")?;
        let (_, tail) = rest.split_once(' ')?;
        if !tail.starts_with("found)") {
            return None;
        }
        found.trim().parse().ok()
    }
}

/// What a line of the peer's stdout is.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A benchmark's result.
    Result(ResultLine),
    /// `name : skipped (--use_existing_db is true)`.
    Skipped(String),
    /// Anything else: the peer's own text.
    Other,
}

/// Classifies one line.
///
/// # Errors
/// A line that starts with a db_bench benchmark name and ` : ` but is
/// neither a result nor a skip, with why.
pub fn classify(line: &str, flavour: Flavour) -> Result<Line, String> {
    let Some((name, rest)) = line.split_once(" :") else {
        return Ok(Line::Other);
    };
    let name = name.trim_end();
    if name.is_empty() || name.contains(char::is_whitespace) || !is_benchmark_name(name) {
        return Ok(Line::Other);
    }
    let rest = rest.trim_start();
    if rest.starts_with("skipped") {
        return Ok(Line::Skipped(name.to_string()));
    }
    parse_result(name, rest, flavour).map(Line::Result)
}

/// Names db_bench prints result lines for (strata's list and the peers'
/// extra benchmarks a line could name).
fn is_benchmark_name(name: &str) -> bool {
    Benchmark::from_name(name).is_some()
}

fn parse_result(name: &str, rest: &str, flavour: Flavour) -> Result<ResultLine, String> {
    let (timing, tail) = rest
        .split_once(';')
        .ok_or_else(|| "no ';' after the timing".to_string())?;
    let mut words = timing.split_whitespace();
    let number = |w: Option<&str>, what: &str| -> Result<f64, String> {
        let w = w.ok_or_else(|| format!("missing {what}"))?;
        w.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("{what} '{w}' is not a number"))
    };
    let micros_per_op = number(words.next(), "micros/op")?;
    expect_word(words.next(), "micros/op")?;
    let mut line = ResultLine {
        name: name.to_string(),
        micros_per_op,
        ops_per_s: None,
        seconds: None,
        ops: None,
        mb_per_s: None,
        message: String::new(),
    };
    if flavour == Flavour::RocksDb {
        let count = |w: Option<&str>, what: &str| -> Result<u64, String> {
            let w = w.ok_or_else(|| format!("missing {what}"))?;
            w.parse::<u64>()
                .map_err(|_| format!("{what} '{w}' is not a count"))
        };
        line.ops_per_s = Some(count(words.next(), "ops/sec")?);
        expect_word(words.next(), "ops/sec")?;
        line.seconds = Some(number(words.next(), "seconds")?);
        expect_word(words.next(), "seconds")?;
        line.ops = Some(count(words.next(), "operations")?);
        expect_word(words.next(), "operations")?;
    }
    if let Some(extra) = words.next() {
        return Err(format!("unexpected '{extra}' before ';'"));
    }
    let tail = tail.trim_start();
    let mut message = tail;
    if let Some((rate, after)) = tail.split_once(" MB/s") {
        if !rate.contains('(') {
            line.mb_per_s = Some(number(Some(rate.trim()), "MB/s")?);
            message = after.trim_start();
        }
    }
    line.message = message.trim_end().to_string();
    Ok(line)
}

fn expect_word(got: Option<&str>, want: &str) -> Result<(), String> {
    match got {
        Some(w) if w == want => Ok(()),
        Some(w) => Err(format!("expected '{want}', got '{w}'")),
        None => Err(format!("expected '{want}', the line ended")),
    }
}

/// One bucket of a printed histogram: `[left, right)` (LevelDB) or
/// `(left, right]` (RocksDB), and how many operations fell in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Lower limit, microseconds.
    pub left_us: f64,
    /// Upper limit, microseconds.
    pub right_us: f64,
    /// Operations in the bucket.
    pub count: u64,
}

/// One `Microseconds per …:` block of `--histogram=1`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramBlock {
    /// What it times: `op` (LevelDB's only block) or RocksDB's `write`,
    /// `read`, `seek`, `delete`, ….
    pub label: String,
    /// `Count:`.
    pub count: u64,
    /// `Average:`, microseconds.
    pub mean_us: f64,
    /// `StdDev:` (the population's), microseconds.
    pub stddev_us: f64,
    /// `Min:`, microseconds.
    pub min_us: f64,
    /// `Max:`, microseconds.
    pub max_us: f64,
    /// The non-empty buckets, in order.
    pub buckets: Vec<Bucket>,
}

impl HistogramBlock {
    /// The `p`th percentile (0–100) as both db_bench histograms compute it
    /// (`Histogram::Percentile`): the bucket where the running count
    /// reaches `count × p / 100`, interpolated linearly inside it, clamped
    /// to min and max. Empty buckets change nothing in that walk, so the
    /// printed (non-empty) ones give the peer's own figure.
    pub fn percentile(&self, p: f64) -> f64 {
        let total: u64 = self.buckets.iter().map(|b| b.count).sum();
        let threshold = total as f64 * (p / 100.0);
        let mut sum = 0u64;
        for b in &self.buckets {
            let left_sum = sum as f64;
            sum += b.count;
            if sum as f64 >= threshold {
                let pos = if b.count == 0 {
                    0.0
                } else {
                    (threshold - left_sum) / b.count as f64
                };
                let r = b.left_us + (b.right_us - b.left_us) * pos;
                return r.clamp(self.min_us, self.max_us.max(self.min_us));
            }
        }
        self.max_us
    }

    /// strata's summary of the block.
    pub fn summary(&self) -> LatencySummary {
        LatencySummary {
            count: self.count,
            mean_us: self.mean_us,
            stddev_us: self.stddev_us,
            min_us: self.min_us,
            p50_us: self.percentile(50.0),
            p75_us: self.percentile(75.0),
            p90_us: self.percentile(90.0),
            p99_us: self.percentile(99.0),
            p999_us: self.percentile(99.9),
            p9999_us: self.percentile(99.99),
            max_us: self.max_us,
        }
    }

    /// The block of `self` and `other` together (the same peer's buckets
    /// have the same limits): counts and buckets add, mean and standard
    /// deviation from the pooled sums.
    pub fn merge(&self, other: &HistogramBlock) -> HistogramBlock {
        let n = self.count + other.count;
        let (a, b) = (self.count as f64, other.count as f64);
        let sum = self.mean_us * a + other.mean_us * b;
        let squares = (self.stddev_us.powi(2) + self.mean_us.powi(2)) * a
            + (other.stddev_us.powi(2) + other.mean_us.powi(2)) * b;
        let mean = if n == 0 { 0.0 } else { sum / n as f64 };
        let variance = if n == 0 {
            0.0
        } else {
            (squares / n as f64 - mean * mean).max(0.0)
        };
        let mut buckets = self.buckets.clone();
        for ob in &other.buckets {
            match buckets
                .iter_mut()
                .find(|x| x.left_us == ob.left_us && x.right_us == ob.right_us)
            {
                Some(x) => x.count += ob.count,
                None => buckets.push(*ob),
            }
        }
        buckets.sort_by(|x, y| x.left_us.total_cmp(&y.left_us));
        HistogramBlock {
            label: self.label.clone(),
            count: n,
            mean_us: mean,
            stddev_us: variance.sqrt(),
            min_us: self.min_us.min(other.min_us),
            max_us: self.max_us.max(other.max_us),
            buckets,
        }
    }
}

/// The value after `key` among whitespace-separated words.
fn field<'a>(words: &[&'a str], key: &str) -> Option<&'a str> {
    words
        .iter()
        .position(|w| *w == key)
        .and_then(|i| words.get(i + 1).copied())
}

fn parse_histogram(label: &str, lines: &[String]) -> Result<HistogramBlock, String> {
    let mut block = HistogramBlock {
        label: label.to_string(),
        count: 0,
        mean_us: 0.0,
        stddev_us: 0.0,
        min_us: 0.0,
        max_us: 0.0,
        buckets: Vec::new(),
    };
    let mut saw = (false, false);
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        let num = |key: &str| -> Result<f64, String> {
            let w = field(&words, key).ok_or_else(|| format!("no '{key}' in '{line}'"))?;
            w.parse::<f64>()
                .map_err(|_| format!("'{key} {w}' is not a number"))
        };
        if line.starts_with("Count:") {
            block.count = num("Count:")? as u64;
            block.mean_us = num("Average:")?;
            block.stddev_us = num("StdDev:")?;
            saw.0 = true;
        } else if line.starts_with("Min:") {
            block.min_us = num("Min:")?;
            block.max_us = num("Max:")?;
            saw.1 = true;
        } else if line.starts_with('[') || line.starts_with('(') {
            let cleaned: String = line
                .chars()
                .map(|c| if "[](),".contains(c) { ' ' } else { c })
                .collect();
            let w: Vec<&str> = cleaned.split_whitespace().collect();
            let parsed = match w.as_slice() {
                [l, r, c, ..] => l
                    .parse::<f64>()
                    .ok()
                    .zip(r.parse::<f64>().ok())
                    .zip(c.parse::<u64>().ok()),
                _ => None,
            };
            let ((left_us, right_us), count) =
                parsed.ok_or_else(|| format!("bucket line '{line}' does not parse"))?;
            block.buckets.push(Bucket {
                left_us,
                right_us,
                count,
            });
        }
    }
    if !(saw.0 && saw.1) {
        return Err(format!(
            "the 'Microseconds per {label}:' block has no Count/Min lines"
        ));
    }
    let in_buckets: u64 = block.buckets.iter().map(|b| b.count).sum();
    if in_buckets != block.count {
        return Err(format!(
            "the 'Microseconds per {label}:' block counts {} but its buckets hold {in_buckets}",
            block.count
        ));
    }
    Ok(block)
}

/// What the peer printed for one benchmark.
#[derive(Debug, Clone, PartialEq)]
pub enum Section {
    /// A result line and the histogram blocks after it (with
    /// `--histogram=1`; empty ones, such as `compact`'s, are dropped).
    Result(ResultLine, Vec<HistogramBlock>),
    /// The benchmark was skipped (`--use_existing_db`).
    Skipped,
    /// A property print (`stats`, `sstables`): its text.
    Property(Vec<String>),
}

/// Why a section could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Reading the peer's output failed.
    Io(io::Error),
    /// Echoing a line failed.
    Echo(io::Error),
    /// The output ended before the benchmark's section.
    Eof,
    /// A line that does not parse, or names another benchmark.
    Malformed {
        /// The line.
        line: String,
        /// Why.
        reason: String,
    },
}

/// A peer's stdout, read one benchmark's section at a time.
pub struct OutputReader<I> {
    lines: I,
    pending: VecDeque<String>,
    flavour: Flavour,
    histogram: bool,
    header: Option<Vec<String>>,
    header_done: bool,
}

impl<I: Iterator<Item = io::Result<String>>> OutputReader<I> {
    /// A reader of `lines` (without their newlines) from a `flavour` peer
    /// run with `--histogram` = `histogram`.
    pub fn new(lines: I, flavour: Flavour, histogram: bool) -> Self {
        OutputReader {
            lines,
            pending: VecDeque::new(),
            flavour,
            histogram,
            header: Some(Vec::new()),
            header_done: false,
        }
    }

    /// The header lines read so far (everything before db_bench's rule).
    pub fn header(&self) -> &[String] {
        self.header.as_deref().unwrap_or(&[])
    }

    fn next(&mut self) -> Result<Option<String>, ReadError> {
        if let Some(line) = self.pending.pop_front() {
            return Ok(Some(line));
        }
        self.lines.next().transpose().map_err(ReadError::Io)
    }

    fn push_back(&mut self, line: String) {
        self.pending.push_front(line);
    }

    /// Reads up to and including `expected`'s section, passing every line
    /// it consumes to `echo`.
    ///
    /// # Errors
    /// End of output before the section, a malformed line, a result of
    /// another benchmark, a read or echo failure.
    pub fn next_section(
        &mut self,
        expected: Benchmark,
        echo: &mut dyn FnMut(&str) -> io::Result<()>,
    ) -> Result<Section, ReadError> {
        let name = expected.name();
        loop {
            let Some(line) = self.next()? else {
                return Err(ReadError::Eof);
            };
            if self.header_done && expected.prints_property().is_some() {
                // The property text follows a blank line.
                self.push_back(line);
                return self.property(echo);
            }
            echo(&line).map_err(ReadError::Echo)?;
            if !self.header_done {
                if line == HEADER_RULE {
                    self.header_done = true;
                } else if let Some(h) = &mut self.header {
                    h.push(line);
                }
                continue;
            }
            let classified =
                classify(&line, self.flavour).map_err(|reason| ReadError::Malformed {
                    line: line.clone(),
                    reason,
                })?;
            let got = match &classified {
                Line::Other => continue,
                Line::Skipped(n) => n.as_str(),
                Line::Result(r) => r.name.as_str(),
            };
            if got != name {
                return Err(ReadError::Malformed {
                    line: line.clone(),
                    reason: format!("expected {name}'s line, got {got}'s"),
                });
            }
            return match classified {
                Line::Result(r) => {
                    let blocks = if self.histogram {
                        self.histograms(echo)?
                    } else {
                        Vec::new()
                    };
                    Ok(Section::Result(r, blocks))
                }
                _ => Ok(Section::Skipped),
            };
        }
    }

    /// A property print: `\n<text>\n`. LevelDB's text has no blank line,
    /// so it ends at the first blank line after it; RocksDB's has blank
    /// lines, so it ends where the next benchmark's line (left unread)
    /// or the output does.
    fn property(
        &mut self,
        echo: &mut dyn FnMut(&str) -> io::Result<()>,
    ) -> Result<Section, ReadError> {
        let mut text = Vec::new();
        while let Some(line) = self.next()? {
            if !matches!(classify(&line, self.flavour), Ok(Line::Other)) {
                self.push_back(line);
                break;
            }
            echo(&line).map_err(ReadError::Echo)?;
            if line.trim().is_empty() {
                if self.flavour == Flavour::LevelDb && !text.is_empty() {
                    break;
                }
                if text.is_empty() {
                    continue;
                }
            }
            text.push(line);
        }
        while text.last().is_some_and(|l| l.trim().is_empty()) {
            text.pop();
        }
        Ok(Section::Property(text))
    }

    /// The `Microseconds per …:` blocks after a result line: LevelDB
    /// prints exactly one; RocksDB one per operation type, so its blocks
    /// end at the first other non-blank line (left unread).
    fn histograms(
        &mut self,
        echo: &mut dyn FnMut(&str) -> io::Result<()>,
    ) -> Result<Vec<HistogramBlock>, ReadError> {
        let mut blocks = Vec::new();
        while let Some(line) = self.next()? {
            if line.trim().is_empty() {
                echo(&line).map_err(ReadError::Echo)?;
                continue;
            }
            let Some(label) = line
                .strip_prefix("Microseconds per ")
                .and_then(|l| l.strip_suffix(':'))
                .map(str::to_string)
            else {
                self.push_back(line);
                break;
            };
            echo(&line).map_err(ReadError::Echo)?;
            let mut body = Vec::new();
            while let Some(l) = self.next()? {
                echo(&l).map_err(ReadError::Echo)?;
                if l.trim().is_empty() {
                    break;
                }
                body.push(l);
            }
            let block = parse_histogram(&label, &body).map_err(|reason| ReadError::Malformed {
                line: format!("Microseconds per {label}:"),
                reason,
            })?;
            if block.count > 0 {
                blocks.push(block);
            }
            if self.flavour == Flavour::LevelDb {
                break;
            }
        }
        Ok(blocks)
    }
}

/// The operation type LevelDB's single histogram of `benchmark` times.
fn leveldb_kind(benchmark: Benchmark) -> OpKind {
    use Benchmark as B;
    match benchmark {
        B::FillSeq | B::FillSync | B::FillRandom | B::Overwrite | B::FillBatch | B::Fill100K => {
            OpKind::Write
        }
        B::DeleteSeq | B::DeleteRandom => OpKind::Delete,
        B::ReadRandom | B::ReadMissing | B::ReadHot | B::ReadRandomSmall | B::ReadWhileWriting => {
            OpKind::Get
        }
        B::SeekRandom | B::SeekOrdered => OpKind::Seek,
        B::ReadSeq | B::ReadReverse => OpKind::Scan,
        _ => OpKind::Other,
    }
}

/// The operation type of a RocksDB `Microseconds per <label>:` block.
fn rocksdb_kind(label: &str) -> OpKind {
    match label {
        "write" => OpKind::Write,
        "read" => OpKind::Get,
        "seek" => OpKind::Seek,
        "delete" => OpKind::Delete,
        _ => OpKind::Other,
    }
}

/// Operations `plan` makes LevelDB 1.23's db_bench count (its `done_`
/// summed over threads), for lines that do not print them:
/// writes and deletes run `num` rounded up to whole batches per thread,
/// point reads and seeks `reads` per thread (`readwhilewriting`: its
/// readers only; the writer counts none), `crc32c` 500 MiB and the Snappy
/// benchmarks 1 GiB in 4 KiB blocks per thread, `open` `num` reopenings,
/// `compact` and property prints none. `readseq` and `readreverse` stop at
/// the end of the database: `min(reads, live_keys)` per thread, where
/// `live_keys` is what the list left live (`None`: unknown, and then
/// `reads`, the most they can count).
pub fn leveldb_ops(plan: &BenchPlan, config: &Config, live_keys: Option<u64>) -> u64 {
    use Benchmark as B;
    let threads = u64::from(plan.threads);
    let reads = u64::from(plan.reads);
    let per_thread = match plan.benchmark {
        B::FillSeq
        | B::FillSync
        | B::FillRandom
        | B::Overwrite
        | B::FillBatch
        | B::Fill100K
        | B::DeleteSeq
        | B::DeleteRandom => {
            let batch = u64::from(plan.entries_per_batch.max(1));
            u64::from(plan.num).div_ceil(batch) * batch
        }
        B::ReadRandom
        | B::ReadMissing
        | B::ReadHot
        | B::ReadRandomSmall
        | B::SeekRandom
        | B::SeekOrdered => reads,
        B::ReadWhileWriting => return reads * u64::from(config.threads),
        B::ReadSeq | B::ReadReverse => live_keys.map_or(reads, |k| k.min(reads)),
        B::Crc32c => config.crc32c_total_bytes.div_ceil(4096),
        B::SnappyComp | B::SnappyUncomp => config.snappy_total_bytes.div_ceil(4096),
        B::Open => u64::from(plan.num),
        B::Compact | B::Stats | B::SsTables => 0,
    };
    per_thread * threads
}

/// strata's report of one result section.
///
/// - ops: RocksDB's `operations` (but 0 for `compact`, whose 1 is
///   db_bench's "at least one op" pretence, as strata's own report
///   counts it); LevelDB's from `--histogram=1`'s `Count:` when present,
///   else [`leveldb_ops`].
/// - elapsed: RocksDB's `seconds`, or ops / `ops/sec` when that is the
///   more precise of its two printed figures; LevelDB's micros/op ×
///   ops / threads (micros/op is the mean per-thread time per op, so this
///   is the mean thread's time).
/// - bytes: MB/s × elapsed (the peers print no byte count).
/// - found: the message's `(X of Y found)` with one thread; `None` with
///   more (both peers keep one thread's message).
/// - latencies: one summary per operation type from the histogram
///   blocks; percentiles recomputed from the buckets as the peer does.
/// - no time series, no CPU time.
pub fn to_report(
    flavour: Flavour,
    plan: &BenchPlan,
    config: &Config,
    line: &ResultLine,
    blocks: &[HistogramBlock],
    live_keys: Option<u64>,
) -> Report {
    let mut latencies: Vec<(OpKind, HistogramBlock)> = Vec::new();
    for block in blocks {
        let kind = match flavour {
            Flavour::LevelDb => leveldb_kind(plan.benchmark),
            Flavour::RocksDb => rocksdb_kind(&block.label),
        };
        match latencies.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, b)) => *b = b.merge(block),
            None => latencies.push((kind, block.clone())),
        }
    }
    let all = latencies
        .iter()
        .map(|(_, b)| b.clone())
        .reduce(|a, b| a.merge(&b));
    let ops = match (flavour, line.ops) {
        _ if plan.benchmark == Benchmark::Compact => 0,
        (Flavour::RocksDb, Some(ops)) => ops,
        _ => all
            .as_ref()
            .map_or_else(|| leveldb_ops(plan, config, live_keys), |a| a.count),
    };
    let elapsed_s = match (line.seconds, line.ops_per_s, line.ops) {
        (Some(seconds), Some(rate), Some(n)) if rate > 0 => {
            // seconds is rounded to 1 ms; ops/sec truncated to 1 op/s.
            let by_rate = n as f64 / rate as f64;
            if (1.0 / rate as f64) < 0.0005 / seconds.max(1e-9) {
                by_rate
            } else {
                seconds
            }
        }
        (Some(seconds), _, _) => seconds,
        _ => {
            let threads = if plan.benchmark == Benchmark::ReadWhileWriting {
                config.threads
            } else {
                plan.threads
            };
            line.micros_per_op * ops.max(1) as f64 / f64::from(threads.max(1)) / 1e6
        }
    };
    let bytes = line
        .mb_per_s
        .map_or(0, |rate| (rate * 1_048_576.0 * elapsed_s).round() as u64);
    Report {
        name: line.name.clone(),
        ops,
        micros_per_op: line.micros_per_op,
        elapsed_s,
        bytes,
        mb_per_s: line.mb_per_s,
        message: line.message.clone(),
        found: if config.threads == 1 {
            line.found()
        } else {
            None
        },
        latencies: latencies.iter().map(|(k, b)| (*k, b.summary())).collect(),
        all_latency: all.as_ref().map(HistogramBlock::summary),
        intervals: Vec::new(),
        cpu: None,
    }
}

/// The report of a property print: no ops, no time (as strata's own).
pub fn property_report(benchmark: Benchmark) -> Report {
    Stats::new(false, None).report(benchmark.name())
}
