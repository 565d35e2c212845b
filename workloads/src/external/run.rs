//! [`PeerWorkload`]: one child process running the whole db_bench list,
//! read one benchmark at a time.

use super::parse::{self, OutputReader, ReadError, Section};
use super::{args, lacks, Flavour, Peer, PeerOptions, PeerResult, UnsupportedFlag};
use crate::db_bench::live::live_bytes_after;
use crate::db_bench::{seed_schedule, BenchPlan, BenchResult, Benchmark, Config};
use crate::measure::rss::{peak_rss_bytes_of_child, wait_with_peak_rss};
use crate::measure::RunError;
use crate::workload::{Outcome, Workload};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Lines of each stream quoted in an error.
const QUOTED_LINES: usize = 10;
/// stderr lines kept from the start (db_bench's environment header).
const HEAD_LINES: usize = 16;
/// How long the first result waits for the peer's stderr header to be
/// read (it is printed before anything on stdout).
const HEADER_WAIT: Duration = Duration::from_secs(5);

/// A db_bench binary running strata's db_bench list as one
/// [`Workload`]: at the first [`Workload::run_next`] it destroys the
/// database directory (unless `use_existing_db`, as db_bench's own
/// `DestroyDB`) and spawns the peer with the whole list; each call reads
/// the peer's stdout up to the next benchmark's section, writes the lines
/// it read to `out` (the peer's own lines, its stderr header before the
/// first) and returns [`Outcome::Peer`]. After the last benchmark it waits
/// for the peer and checks its exit status.
pub struct PeerWorkload {
    peer: Peer,
    config: Config,
    args: Vec<String>,
    compression: Option<bool>,
    benchmarks: Vec<Benchmark>,
    db: PathBuf,
    next: usize,
    live_keys: Vec<Option<u64>>,
    running: Option<Running>,
    failed: bool,
    /// The peer's peak RSS as `wait4` gave it when it exited (its last
    /// result line is read after it has exited, when `/proc` no longer
    /// shows it).
    exit_peak_rss_bytes: Option<u64>,
}

struct Running {
    child: Child,
    reader: OutputReader<StdoutLines>,
    stderr: Arc<StderrLog>,
    stderr_thread: Option<JoinHandle<()>>,
    recent: VecDeque<String>,
    echoed_any: bool,
    version: Option<String>,
    header: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        // A run abandoned before the last benchmark: stop our own child.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        join_stderr(&self.stderr, self.stderr_thread.take());
    }
}

/// How long to wait for the peer's stderr to close once it has exited: a
/// process it started may hold the pipe open, and then the reading thread
/// is left to end on its own.
const STDERR_CLOSE_WAIT: Duration = Duration::from_secs(2);

fn join_stderr(log: &StderrLog, thread: Option<JoinHandle<()>>) {
    let Some(thread) = thread else {
        return;
    };
    if log.wait_eof(STDERR_CLOSE_WAIT) {
        let _ = thread.join();
    }
}

impl PeerWorkload {
    /// `peer` running `benchmarks` with `config` and `options` on the
    /// database directory `db`. Nothing runs until the first
    /// [`Workload::run_next`].
    ///
    /// # Errors
    /// A setting or benchmark the peer cannot express ([`args`]).
    pub fn new(
        peer: Peer,
        config: Config,
        options: &PeerOptions,
        benchmarks: Vec<Benchmark>,
        db: PathBuf,
    ) -> Result<Self, UnsupportedFlag> {
        let args = args(&peer, &config, options, &benchmarks, &db)?;
        let scans = benchmarks
            .iter()
            .any(|b| matches!(b, Benchmark::ReadSeq | Benchmark::ReadReverse));
        let live_keys = if peer.flavour == Flavour::LevelDb && scans && !config.histogram {
            live_keys_after(&benchmarks, &config)
        } else {
            vec![None; benchmarks.len()]
        };
        Ok(PeerWorkload {
            peer,
            config,
            args,
            compression: options.compression,
            benchmarks,
            db,
            next: 0,
            live_keys,
            running: None,
            failed: false,
            exit_peak_rss_bytes: None,
        })
    }

    /// The command line the peer runs with (after the binary).
    pub fn args(&self) -> &[String] {
        &self.args
    }

    fn error(&self, benchmark: Benchmark, reason: String) -> RunError {
        RunError::Workload {
            benchmark: benchmark.name().to_string(),
            reason: format!("{}: {reason}", self.peer),
        }
    }

    fn start(&mut self, benchmark: Benchmark) -> Result<(), RunError> {
        if !self.config.use_existing_db {
            match std::fs::remove_dir_all(&self.db) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(
                        self.error(benchmark, format!("destroying {}: {e}", self.db.display()))
                    )
                }
            }
        }
        if let Some(parent) = self.db.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                self.error(benchmark, format!("creating {}: {e}", parent.display()))
            })?;
        }
        let mut child = Command::new(&self.peer.binary)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.error(benchmark, format!("starting it: {e}")))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(self.error(benchmark, "its output pipes were not opened".into()));
        };
        let log = Arc::new(StderrLog::default());
        let thread = {
            let log = Arc::clone(&log);
            std::thread::Builder::new()
                .name("peer-stderr".into())
                .spawn(move || log.read_all(stderr))
                .map_err(|e| self.error(benchmark, format!("reading its stderr: {e}")))?
        };
        self.running = Some(Running {
            child,
            reader: OutputReader::new(
                StdoutLines(BufReader::new(stdout)),
                self.peer.flavour,
                self.config.histogram,
            ),
            stderr: log,
            stderr_thread: Some(thread),
            recent: VecDeque::new(),
            echoed_any: false,
            version: None,
            header: Vec::new(),
        });
        Ok(())
    }

    /// The failure `what` of the running peer, with its exit status (when
    /// it has exited) and last lines.
    fn failure(&mut self, benchmark: Benchmark, what: String) -> RunError {
        self.failed = true;
        let Some(mut running) = self.running.take() else {
            return self.error(benchmark, what);
        };
        // It has exited or closed its output, or we abandon it: either
        // way its stderr ends once it is gone.
        let status = match running.child.try_wait() {
            Ok(Some(s)) => Some(s),
            _ if what.contains("ended before") => running.child.wait().ok(),
            _ => {
                let _ = running.child.kill();
                let _ = running.child.wait();
                None
            }
        };
        join_stderr(&running.stderr, running.stderr_thread.take());
        let quote = quote(&running.recent, &running.stderr.tail());
        let status = status.map_or(String::new(), |s| format!(" ({s})"));
        self.error(
            benchmark,
            format!("{what}{status}; its last lines:\n{quote}"),
        )
    }

    /// Reads `benchmark`'s section, echoing to `out`.
    fn read_section(
        &mut self,
        benchmark: Benchmark,
        out: &mut dyn Write,
    ) -> Result<Section, RunError> {
        let Some(running) = self.running.as_mut() else {
            return Err(self.error(benchmark, "the peer failed before".into()));
        };
        let mut echo_error = None;
        let result = {
            let Running {
                reader,
                stderr,
                recent,
                echoed_any,
                ..
            } = running;
            reader.next_section(benchmark, &mut |line: &str| {
                if !*echoed_any {
                    *echoed_any = true;
                    // db_bench prints its environment to stderr before
                    // anything reaches stdout.
                    stderr.wait_for_header(HEADER_WAIT);
                    for l in stderr.head() {
                        writeln!(out, "{l}")?;
                    }
                }
                recent.push_back(line.to_string());
                if recent.len() > QUOTED_LINES {
                    recent.pop_front();
                }
                writeln!(out, "{line}").inspect_err(|e| {
                    echo_error = Some(io::Error::new(e.kind(), e.to_string()));
                })
            })
        };
        match result {
            Ok(section) => Ok(section),
            Err(ReadError::Echo(e)) => Err(RunError::Output(echo_error.unwrap_or(e))),
            Err(ReadError::Io(e)) => {
                Err(self.failure(benchmark, format!("reading its output: {e}")))
            }
            Err(ReadError::Eof) => Err(self.failure(
                benchmark,
                format!("its output ended before {benchmark}'s line"),
            )),
            Err(ReadError::Malformed { line, reason }) => {
                Err(self.failure(benchmark, format!("cannot parse '{line}': {reason}")))
            }
        }
    }

    /// The version line and header, once the peer has printed them;
    /// checks them against the flavour and the options.
    fn check_header(&mut self, benchmark: Benchmark) -> Result<(), RunError> {
        let Some(running) = self.running.as_mut() else {
            return Ok(());
        };
        if running.version.is_some() {
            return Ok(());
        }
        let mut header = running.stderr.head();
        header.extend(running.reader.header().iter().cloned());
        let version_line = header
            .iter()
            .find(|l| l.starts_with("LevelDB:") || l.starts_with("RocksDB:"))
            .cloned();
        running.header = header;
        running.version = Some(
            version_line
                .as_deref()
                .and_then(|l| l.split_once("version"))
                .map_or_else(
                    || "(no version line)".to_string(),
                    |(_, v)| v.trim().to_string(),
                ),
        );
        if let Some(line) = version_line {
            if !line.starts_with(self.peer.flavour.name()) {
                return Err(self.failure(
                    benchmark,
                    format!("its version line '{line}' is not {}'s", self.peer.flavour),
                ));
            }
        }
        let snappy_off = running
            .header
            .iter()
            .any(|l| l.starts_with("WARNING: Snappy compression is not"));
        if self.compression == Some(true) && snappy_off {
            return Err(self.failure(
                benchmark,
                "compression=snappy was asked for, but it warns that Snappy is not enabled".into(),
            ));
        }
        if self.peer.flavour == Flavour::LevelDb && self.compression == Some(false) && !snappy_off {
            return Err(self.failure(
                benchmark,
                "compression=none was asked for, but this binary compresses with Snappy (LevelDB \
                 1.23's db_bench has no flag to turn it off: give path= a build without Snappy, \
                 such as scripts/install-peers.sh's db_bench_nosnappy)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// After the last benchmark: the peer must exit with status 0.
    fn finish(&mut self, benchmark: Benchmark) -> Result<(), RunError> {
        let Some(running) = self.running.as_mut() else {
            return Ok(());
        };
        let status = wait_with_peak_rss(&mut running.child).map(|(status, peak)| {
            self.exit_peak_rss_bytes = peak;
            status
        });
        join_stderr(&running.stderr, running.stderr_thread.take());
        match status {
            Ok(s) if s.success() => {
                self.running = None;
                Ok(())
            }
            Ok(s) => Err(self.failure(benchmark, format!("it exited with {s}"))),
            Err(e) => Err(self.failure(benchmark, format!("waiting for it: {e}"))),
        }
    }
}

impl Workload for PeerWorkload {
    fn run_next(&mut self, out: &mut dyn Write) -> Result<Vec<Outcome>, RunError> {
        let Some(&benchmark) = self.benchmarks.get(self.next) else {
            return Ok(Vec::new());
        };
        let position = self.next;
        self.next += 1;
        if self.failed {
            return Err(self.error(benchmark, "the peer failed before".into()));
        }
        if lacks(self.peer.flavour, benchmark) {
            // Not in the peer's list: said in its place, no row.
            writeln!(
                out,
                "{:<12} : skipped ({}'s db_bench has no such benchmark)",
                benchmark.name(),
                self.peer.flavour
            )?;
            return Ok(Vec::new());
        }
        let first_runnable = self
            .benchmarks
            .iter()
            .position(|b| !lacks(self.peer.flavour, *b));
        if self.running.is_none() {
            if Some(position) != first_runnable {
                return Err(self.error(benchmark, "the peer has already exited".into()));
            }
            self.start(benchmark)?;
        }
        let section = self.read_section(benchmark, out)?;
        self.check_header(benchmark)?;
        // Taken as soon as the section is read: the peer is on to the
        // next benchmark by then.
        let db_size_bytes = dir_size_bytes(&self.db);
        let peak_rss_bytes = self
            .running
            .as_ref()
            .and_then(|r| peak_rss_bytes_of_child(&r.child));
        out.flush()?;
        let (version, header) = self
            .running
            .as_ref()
            .map(|r| (r.version.clone().unwrap_or_default(), r.header.clone()))
            .unwrap_or_default();
        let last_runnable = !self.benchmarks[position + 1..]
            .iter()
            .any(|b| !lacks(self.peer.flavour, *b));
        if last_runnable {
            self.finish(benchmark)?;
        }
        let peak_rss_bytes = peak_rss_bytes.or(self.exit_peak_rss_bytes);
        let plan = BenchPlan::new(benchmark, &self.config);
        let report = match section {
            Section::Skipped => return Ok(Vec::new()),
            Section::Property(_) => parse::property_report(benchmark),
            Section::Result(line, blocks) => parse::to_report(
                self.peer.flavour,
                &plan,
                &self.config,
                &line,
                &blocks,
                self.live_keys.get(position).copied().flatten(),
            ),
        };
        Ok(vec![Outcome::Peer(PeerResult {
            result: BenchResult {
                position,
                plan,
                report,
                metrics: None,
                db_size_bytes,
                logical_bytes: None,
            },
            binary: self.peer.binary.clone(),
            peak_rss_bytes,
            version,
            header,
        })])
    }
}

/// Live keys after each benchmark (LevelDB's keys are strata's, so the
/// list's own replay knows them): `live_bytes_after` at two value sizes
/// separates the keys holding `--value_size` values from `fill100K`'s.
fn live_keys_after(benchmarks: &[Benchmark], config: &Config) -> Vec<Option<u64>> {
    let schedule = seed_schedule(benchmarks, config);
    let v = config.value_size as u64;
    let alt = if v > 0 { v - 1 } else { v + 1 };
    let alt_config = Config {
        value_size: alt as usize,
        ..config.clone()
    };
    let at_v = live_bytes_after(benchmarks, config, &schedule);
    let at_alt = live_bytes_after(benchmarks, &alt_config, &schedule);
    let key = crate::db_bench::keys::KEY_BYTES as u64;
    at_v.iter()
        .zip(&at_alt)
        .map(|(a, b)| {
            let (a, b) = ((*a)?, (*b)?);
            // a - b = small × (v - alt).
            let small = if v > alt {
                (a - b) / (v - alt)
            } else {
                (b - a) / (alt - v)
            };
            let rest = a.checked_sub(small * (key + v))?;
            let large = rest / (key + 100_000);
            Some(small + large)
        })
        .collect()
}

/// Bytes of every file under `dir` now (files the peer deletes meanwhile
/// count as gone).
fn dir_size_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size_bytes(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

fn quote(stdout: &VecDeque<String>, stderr: &[String]) -> String {
    let mut text = String::new();
    for (stream, lines) in [
        ("stdout", stdout.iter().collect::<Vec<_>>()),
        ("stderr", stderr.iter().collect()),
    ] {
        if lines.is_empty() {
            text.push_str(&format!("  {stream}: (nothing)\n"));
        }
        for l in lines {
            text.push_str(&format!("  {stream}| {l}\n"));
        }
    }
    text.trim_end().to_string()
}

/// The child's stdout as lines (lossy UTF-8, newline dropped).
struct StdoutLines(BufReader<ChildStdout>);

impl Iterator for StdoutLines {
    type Item = io::Result<String>;

    fn next(&mut self) -> Option<io::Result<String>> {
        let mut buf = Vec::new();
        match self.0.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                while matches!(buf.last(), Some(b'\n' | b'\r')) {
                    buf.pop();
                }
                Some(Ok(String::from_utf8_lossy(&buf).into_owned()))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

/// What the peer printed on stderr: its first lines (the environment
/// header) and its last ones, without the `... finished N ops` progress
/// lines (which end in `\r`, not a newline).
#[derive(Default)]
struct StderrLog {
    state: Mutex<StderrState>,
    changed: Condvar,
}

#[derive(Default)]
struct StderrState {
    head: Vec<String>,
    tail: VecDeque<String>,
    eof: bool,
}

impl StderrLog {
    fn read_all(&self, mut stderr: impl Read) {
        let mut buf = [0u8; 4096];
        let mut line = Vec::new();
        loop {
            let n = match stderr.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for &byte in &buf[..n] {
                if byte == b'\n' || byte == b'\r' {
                    self.push(&line);
                    line.clear();
                } else {
                    line.push(byte);
                }
            }
        }
        self.push(&line);
        self.state.lock().eof = true;
        self.changed.notify_all();
    }

    fn push(&self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes).trim_end().to_string();
        if text.is_empty() || text.starts_with("... ") {
            return;
        }
        let mut state = self.state.lock();
        let head_open = state.head.len() < HEAD_LINES
            && state.tail.is_empty()
            && !state.head.iter().any(|l| l.starts_with("CPUCache:"));
        if head_open {
            state.head.push(text);
        } else {
            state.tail.push_back(text);
            if state.tail.len() > QUOTED_LINES {
                state.tail.pop_front();
            }
        }
        drop(state);
        self.changed.notify_all();
    }

    /// Waits until the version line and the CPU lines after it were read,
    /// or stderr closed, or `limit` passed.
    fn wait_for_header(&self, limit: Duration) {
        let deadline = std::time::Instant::now() + limit;
        let mut state = self.state.lock();
        while !state.eof && !state.head.iter().any(|l| l.starts_with("CPUCache:")) {
            if self.changed.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
    }

    /// Waits until stderr closed or `limit` passed; true when closed.
    fn wait_eof(&self, limit: Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        let mut state = self.state.lock();
        while !state.eof {
            if self.changed.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
        state.eof
    }

    fn head(&self) -> Vec<String> {
        self.state.lock().head.clone()
    }

    /// The last lines (the head's too when there were few).
    fn tail(&self) -> Vec<String> {
        let state = self.state.lock();
        let mut lines: Vec<String> = state.head.clone();
        lines.extend(state.tail.iter().cloned());
        let skip = lines.len().saturating_sub(QUOTED_LINES);
        lines.split_off(skip)
    }
}
