//! A run as it goes: the [`LiveHub`] that `strata bench --serve` (or
//! `--progress-port`) feeds through its progress reporter
//! ([`crate::report::Progress`]) and the interval sampler, `/live/events`
//! that streams it as server-sent events (one `progress` event with the
//! whole state, as JSON, per change: the page needs no history), and the
//! `/live` page that shows it without reloading.
//!
//! The state is published through a `watch` channel: a slow client skips
//! to the newest state instead of queueing old ones, and a client that
//! connects late starts from the current state. The throughput chart is
//! the time-series chart of [`crate::plot`], drawn at most once per state
//! and only when someone watches.

use super::charts::svg_string;
use super::error::PageError;
use super::html::{self, esc, Nav};
use super::query::Params;
use super::state::AppState;
use crate::csv_row::IntervalRow;
use axum::extract::State;
use axum::http::{header, HeaderValue, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use strata_workloads::measure::IntervalSample;
use tokio::sync::watch;

/// Samples of the current benchmark kept (the chart's "last seconds").
pub const MAX_SAMPLES: usize = 120;
/// Finished benchmarks listed (the latest).
pub const MAX_FINISHED: usize = 200;
/// Seconds the "recent throughput" figure averages over.
const RECENT_S: f64 = 5.0;
/// Longest one event stream lasts (the browser then reconnects).
const MAX_STREAM: Duration = Duration::from_secs(3600);
/// Keep-alive comments on a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The benchmark running now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrentStep {
    /// Engine spec.
    pub engine: String,
    /// Repetition, 0-based.
    pub repetition: u32,
    /// Benchmark name.
    pub benchmark: String,
    /// Position in the benchmark list, 0-based.
    pub position: usize,
    /// Operations finished so far (from the sampler; 0 until its first
    /// interval, and for engines the sampler does not watch).
    pub ops_done: u64,
    /// Seconds since it started.
    pub elapsed_s: f64,
}

/// A benchmark that finished.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinishedStep {
    /// Engine spec.
    pub engine: String,
    /// Repetition, 0-based.
    pub repetition: u32,
    /// Benchmark name (a row's name: `ycsba`, `fs_bigfile.edit`, …).
    pub benchmark: String,
    /// Operations.
    pub ops: u64,
    /// db_bench's micros/op.
    pub micros_per_op: f64,
    /// Operations per second.
    pub ops_per_s: f64,
}

/// One interval of the current benchmark.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveSample {
    /// Seconds since the benchmark started, at the interval's start.
    pub start_s: f64,
    /// At its end.
    pub end_s: f64,
    /// Operations finished in it.
    pub ops: u64,
    /// Operations per second in it.
    pub ops_per_s: f64,
    /// Level-0 files at its end, when known.
    pub level0_files: Option<u64>,
    /// Write stalls since the benchmark started.
    pub stall_count: Option<u64>,
    /// Microseconds stalled since the benchmark started.
    pub stall_us: Option<u64>,
}

/// Everything the live page shows, at one moment.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    /// The run's id (empty before it starts).
    pub run_id: String,
    /// `waiting`, `running`, `finished` or `failed`.
    pub status: &'static str,
    /// The results file when finished, the error when failed.
    pub message: String,
    /// Engine specs of the run.
    pub engines: Vec<String>,
    /// Benchmarks this process runs (every engine, repetition and step).
    pub steps_total: usize,
    /// Of those, finished.
    pub steps_done: usize,
    /// The benchmark running now.
    pub current: Option<CurrentStep>,
    /// Finished benchmarks, oldest first (the latest [`MAX_FINISHED`]).
    pub finished: Vec<FinishedStep>,
    /// Operations per second over the current benchmark's last
    /// [`RECENT_S`] seconds of intervals.
    pub recent_ops_per_s: Option<f64>,
    /// The current benchmark's intervals (the latest [`MAX_SAMPLES`]).
    pub samples: Vec<LiveSample>,
    #[serde(skip)]
    svg: OnceLock<Option<String>>,
}

impl Snapshot {
    /// The state as the JSON of one event: the fields above plus `svg`,
    /// the throughput chart (null before two intervals).
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct WithChart<'a> {
            #[serde(flatten)]
            snapshot: &'a Snapshot,
            svg: Option<&'a str>,
        }
        let svg = self.svg.get_or_init(|| self.chart()).as_deref();
        serde_json::to_string(&WithChart {
            snapshot: self,
            svg,
        })
        .unwrap_or_else(|e| format!("{{\"status\":\"failed\",\"message\":\"{e}\"}}"))
    }

    /// The time-series chart of the current benchmark's intervals.
    fn chart(&self) -> Option<String> {
        let current = self.current.as_ref()?;
        let rows: Vec<IntervalRow> = self
            .samples
            .iter()
            .enumerate()
            .map(|(i, s)| IntervalRow {
                run_id: self.run_id.clone(),
                engine_spec: current.engine.clone(),
                benchmark: current.benchmark.clone(),
                repetition: current.repetition,
                position: current.position as u64,
                interval: u32::try_from(i).unwrap_or(u32::MAX),
                start_s: s.start_s,
                end_s: s.end_s,
                ops: s.ops,
                ops_per_s: s.ops_per_s,
                level0_files: s.level0_files,
                stall_count: s.stall_count,
                stall_us: s.stall_us,
                ..IntervalRow::default()
            })
            .collect();
        let chart = crate::plot::timeline::charts(&rows).into_iter().next()?;
        svg_string(&chart).ok()
    }
}

/// What the hub keeps between updates.
#[derive(Debug, Default)]
struct LiveState {
    snapshot: Snapshot,
    started: Option<Instant>,
    samples: VecDeque<LiveSample>,
    finished: VecDeque<FinishedStep>,
}

/// The live state of the run this process runs.
#[derive(Debug)]
pub struct LiveHub {
    state: Mutex<LiveState>,
    tx: watch::Sender<Arc<Snapshot>>,
}

impl LiveHub {
    /// A hub with no run yet.
    pub fn new() -> Arc<Self> {
        let snapshot = Snapshot {
            status: "waiting",
            ..Snapshot::default()
        };
        let (tx, _) = watch::channel(Arc::new(snapshot.clone()));
        Arc::new(LiveHub {
            state: Mutex::new(LiveState {
                snapshot,
                ..LiveState::default()
            }),
            tx,
        })
    }

    /// Follows the state: the receiver holds the current one at once.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.tx.subscribe()
    }

    /// The current state.
    #[cfg(test)]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.tx.borrow().clone()
    }

    /// Run `run_id` starts: `steps_total` benchmarks over `engines`.
    pub fn start_run(&self, run_id: &str, engines: Vec<String>, steps_total: usize) {
        self.update(|s| {
            s.snapshot.run_id = run_id.to_string();
            s.snapshot.status = "running";
            s.snapshot.engines = engines;
            s.snapshot.steps_total = steps_total;
        });
    }

    /// Benchmark `benchmark` (list position `position`) starts on
    /// `engine`'s repetition `repetition`; `None` when the block has no
    /// step left.
    pub fn step_started(&self, step: Option<(&str, u32, &str, usize)>) {
        self.update(|s| {
            s.samples.clear();
            s.started = step.map(|_| Instant::now());
            s.snapshot.current =
                step.map(|(engine, repetition, benchmark, position)| CurrentStep {
                    engine: engine.to_string(),
                    repetition,
                    benchmark: benchmark.to_string(),
                    position,
                    ops_done: 0,
                    elapsed_s: 0.0,
                });
        });
    }

    /// A result row was measured; `new_step` when it is the first of its
    /// benchmark (a benchmark can give several rows).
    pub fn step_finished(&self, finished: FinishedStep, new_step: bool) {
        self.update(|s| {
            if new_step {
                s.snapshot.steps_done += 1;
            }
            s.finished.push_back(finished);
            while s.finished.len() > MAX_FINISHED {
                s.finished.pop_front();
            }
        });
    }

    /// The sampler measured one interval of the current benchmark.
    pub fn sample(&self, sample: &IntervalSample) {
        self.update(|s| {
            if let Some(current) = s.snapshot.current.as_mut() {
                current.ops_done += sample.ops;
            }
            s.samples.push_back(LiveSample {
                start_s: sample.start_s,
                end_s: sample.end_s,
                ops: sample.ops,
                ops_per_s: sample.ops_per_s(),
                level0_files: sample.state.as_ref().and_then(|st| st.level0_files),
                stall_count: sample.stalls,
                stall_us: sample.stall_us,
            });
            while s.samples.len() > MAX_SAMPLES {
                s.samples.pop_front();
            }
        });
    }

    /// The run ended: its results file, or its error.
    pub fn finish(&self, outcome: Result<String, String>) {
        self.update(|s| {
            s.started = None;
            s.snapshot.current = None;
            s.samples.clear();
            (s.snapshot.status, s.snapshot.message) = match outcome {
                Ok(results) => ("finished", results),
                Err(error) => ("failed", error),
            };
        });
    }

    fn update(&self, change: impl FnOnce(&mut LiveState)) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut state);
        let state = &mut *state;
        if let (Some(current), Some(started)) = (state.snapshot.current.as_mut(), state.started) {
            current.elapsed_s = started.elapsed().as_secs_f64();
        }
        state.snapshot.samples = state.samples.iter().cloned().collect();
        state.snapshot.finished = state.finished.iter().cloned().collect();
        state.snapshot.recent_ops_per_s = recent_rate(&state.snapshot.samples);
        self.tx.send_replace(Arc::new(state.snapshot.clone()));
    }
}

/// Operations per second over the intervals that end in the last
/// [`RECENT_S`] seconds of the series.
fn recent_rate(samples: &[LiveSample]) -> Option<f64> {
    let last = samples.last()?;
    let recent: Vec<&LiveSample> = samples
        .iter()
        .filter(|s| s.end_s > last.end_s - RECENT_S)
        .collect();
    let first = recent.first()?;
    let seconds = last.end_s - first.start_s;
    (seconds > 0.0).then(|| recent.iter().map(|s| s.ops).sum::<u64>() as f64 / seconds)
}

/// `/live`: the page. It follows this process's run, or with
/// `?port=PORT` (default: `--progress-port`) the progress port of a
/// bench on this machine.
///
/// # Errors
/// 400 for a bad query.
pub async fn page(State(state): State<Arc<AppState>>, uri: Uri) -> Result<Response, PageError> {
    let params = Params::from_uri(&uri, &["port"])?;
    let port = match params.one("port")? {
        Some(text) => Some(text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
            PageError::bad_request(format!("port: '{text}' is not a port number"))
        })?),
        None => state.progress_port,
    };
    let events = match (port, &state.live) {
        (Some(port), _) => Some(format!("http://127.0.0.1:{port}/live/events")),
        (None, Some(_)) => Some("/live/events".to_string()),
        (None, None) => None,
    };
    Ok(html::page(
        "Live run",
        Nav::Live,
        state.shell(),
        &live_body(events.as_deref()),
    ))
}

fn live_body(events: Option<&str>) -> String {
    let Some(events) = events else {
        return "<p>This server is not watching a run. Either run the bench with the \
                pages served by the bench itself:</p>\n\
                <pre>strata bench --serve 127.0.0.1:8080 …</pre>\n\
                <p>and open <code>http://127.0.0.1:8080/live</code>, or give the bench a \
                progress port and this page the same port:</p>\n\
                <pre>strata bench --progress-port 9000 …\nstrata serve --progress-port 9000</pre>\n\
                <p class=\"note\">(or open <code>/live?port=9000</code>).</p>\n"
            .to_string();
    };
    format!(
        "<div id=\"live\" data-events=\"{}\">\n\
         <p class=\"note\">Events from <code>{}</code>: <span id=\"live-connection\">connecting…</span></p>\n\
         <dl class=\"facts\">\n\
         <dt>run</dt><dd id=\"live-run\">—</dd>\n\
         <dt>status</dt><dd id=\"live-status\">waiting</dd>\n\
         <dt>progress</dt><dd><progress id=\"live-bar\" max=\"1\" value=\"0\"></progress> <span id=\"live-steps\"></span></dd>\n\
         <dt>running</dt><dd id=\"live-current\">—</dd>\n\
         <dt>operations done</dt><dd id=\"live-ops\">—</dd>\n\
         <dt>throughput, last {RECENT_S} s</dt><dd id=\"live-rate\">—</dd>\n\
         </dl>\n\
         <h2>Throughput over time (current benchmark)</h2>\n\
         <div id=\"live-chart\"><p class=\"note\">The chart appears after two intervals of \
         <code>--stats_interval_seconds</code> (db_bench benchmarks on in-process engines).</p></div>\n\
         <h2>Finished benchmarks</h2>\n\
         <table class=\"finished\"><thead><tr><th>engine</th><th>rep</th><th>benchmark</th>\
         <th>ops</th><th>micros/op</th><th>ops/s</th></tr></thead>\n\
         <tbody id=\"live-finished\"></tbody></table>\n</div>\n",
        esc(events),
        esc(events)
    )
}

/// `/live/events`: the run's state as server-sent events, the current
/// state at once, then each change; the stream ends after the run does.
/// Any origin may read it (a `strata serve` on another port shows it).
///
/// # Errors
/// 404 when this process runs no bench; 400 for a query.
pub async fn events(State(state): State<Arc<AppState>>, uri: Uri) -> Result<Response, PageError> {
    Params::from_uri(&uri, &[])?;
    let hub = state.live.clone().ok_or_else(|| {
        PageError::not_found("no run in this process (start one with strata bench --serve ADDR)")
    })?;
    let deadline = tokio::time::Instant::now() + MAX_STREAM;
    let stream = futures_util::stream::unfold(
        (hub.subscribe(), true, false),
        move |(mut rx, first, ended)| async move {
            if ended {
                return None;
            }
            if !first {
                match tokio::time::timeout_at(deadline, rx.changed()).await {
                    Ok(Ok(())) => {}
                    _ => return None,
                }
            }
            let snapshot = rx.borrow_and_update().clone();
            let ended = matches!(snapshot.status, "finished" | "failed");
            let json = tokio::task::spawn_blocking(move || snapshot.to_json())
                .await
                .ok()?;
            let event = Event::default().event("progress").data(json);
            Some((Ok::<_, Infallible>(event), (rx, false, ended)))
        },
    );
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(start_s: f64, end_s: f64, ops: u64) -> IntervalSample {
        IntervalSample {
            start_s,
            end_s,
            ops,
            p50_us: None,
            p99_us: None,
            max_us: None,
            state: None,
            stalls: None,
            stall_us: None,
        }
    }

    #[test]
    fn the_hub_follows_steps_samples_and_the_end() {
        let hub = LiveHub::new();
        let rx = hub.subscribe();
        assert_eq!(rx.borrow().status, "waiting");
        hub.start_run("r1", vec!["lsm".into()], 2);
        hub.step_started(Some(("lsm", 0, "fillseq", 0)));
        hub.sample(&sample(0.0, 1.0, 1000));
        hub.sample(&sample(1.0, 2.0, 3000));
        let s = hub.snapshot();
        assert_eq!(s.status, "running");
        let current = s.current.as_ref().expect("running");
        assert_eq!(
            (current.benchmark.as_str(), current.ops_done),
            ("fillseq", 4000)
        );
        assert_eq!(s.recent_ops_per_s, Some(2000.0));
        let json: serde_json::Value = serde_json::from_str(&s.to_json()).expect("json");
        assert_eq!(json["run_id"], "r1");
        assert!(
            json["svg"]
                .as_str()
                .is_some_and(|svg| svg.starts_with("<svg")),
            "two intervals draw the chart"
        );
        hub.step_finished(
            FinishedStep {
                engine: "lsm".into(),
                repetition: 0,
                benchmark: "fillseq".into(),
                ops: 4000,
                micros_per_op: 0.5,
                ops_per_s: 2e6,
            },
            true,
        );
        hub.step_started(Some(("lsm", 0, "readrandom", 1)));
        let s = hub.snapshot();
        assert_eq!(
            (s.steps_done, s.samples.len()),
            (1, 0),
            "samples are per benchmark"
        );
        assert_eq!(s.recent_ops_per_s, None);
        hub.finish(Ok("results/r1.csv".into()));
        let s = hub.snapshot();
        assert_eq!(
            (s.status, s.message.as_str()),
            ("finished", "results/r1.csv")
        );
        assert!(s.current.is_none());
        assert_eq!(s.finished.len(), 1);
    }
}
