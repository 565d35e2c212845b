//! `strata serve` in a real browser: headless Chromium (Debian's
//! `chromium`, installed by `.ci/run`) driven over the DevTools protocol.
//! It loads the run list, a run page, a compare page, the store view and
//! the live page of a `strata bench --serve`, checks the rendered DOM
//! (run ids, table cells, one `<svg>` per chart, the live state reaching
//! "finished") and that the console logged no error, no exception and no
//! failed load. A page with a deliberate error shows the check can fail.
//!
//! Without Chromium the test prints why and passes, unless
//! `STRATA_CI_STRICT=1` (CI), where a missing Chromium is a failure.
//! `STRATA_CHROMIUM` names another binary.

mod serve_support;

use serde_json::{json, Value};
use serve_support::{spawn_serving, Fixture, ROWS_ENGINES};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

/// Longest wait for one page to load.
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long events are still collected after a load (late errors).
const SETTLE: Duration = Duration::from_millis(300);

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("STRATA_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let names = ["chromium", "chromium-browser", "google-chrome"];
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// A headless Chromium, killed when dropped.
struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts Chromium and returns it with its DevTools websocket URL.
fn launch(binary: &Path) -> (Browser, String) {
    let profile = tempfile::tempdir().expect("profile");
    let mut child = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-port=0",
            "--window-size=1280,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Keep draining: Chromium logs a lot and must never block on it.
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let browser = Browser {
        child,
        _profile: profile,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if let Some(url) = line.split("DevTools listening on ").nth(1) {
            return (browser, url.trim().to_string());
        }
        seen.push(line);
    }
    panic!("chromium gave no DevTools URL; stderr: {seen:?}");
}

/// One page target over the DevTools protocol.
struct Cdp {
    ws: WebSocket<TcpStream>,
    next_id: u64,
    session: String,
    events: Vec<Value>,
}

/// What a load saw.
struct Loaded {
    /// Console errors, exceptions and failed loads, one line each.
    problems: Vec<String>,
}

impl Cdp {
    fn connect(url: &str) -> Cdp {
        let hostport = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .expect("host:port");
        let stream = TcpStream::connect(hostport).expect("devtools socket");
        let (ws, _) = tungstenite::client(url, stream).expect("websocket handshake");
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("timeout");
        let mut cdp = Cdp {
            ws,
            next_id: 0,
            session: String::new(),
            events: Vec::new(),
        };
        let target = cdp.call("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().expect("target id").to_string();
        let attached = cdp.call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        cdp.session = attached["sessionId"].as_str().expect("session").to_string();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            cdp.call(domain, json!({}));
        }
        cdp
    }

    fn read(&mut self) -> Option<Value> {
        match self.ws.read() {
            Ok(Message::Text(text)) => Some(serde_json::from_str(text.as_str()).expect("json")),
            Ok(_) => None,
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                None
            }
            Err(e) => panic!("devtools connection: {e}"),
        }
    }

    /// Sends `method` (to the page once attached) and waits for its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::text(message.to_string()))
            .expect("send");
        let deadline = Instant::now() + LOAD_TIMEOUT;
        while Instant::now() < deadline {
            let Some(reply) = self.read() else { continue };
            if reply["id"] == json!(id) {
                assert!(reply["error"].is_null(), "{method}: {reply}");
                return reply["result"].clone();
            }
            if reply["method"].is_string() {
                self.events.push(reply);
            }
        }
        panic!("{method}: no reply");
    }

    /// Collects events for `period`.
    fn collect(&mut self, period: Duration) {
        let until = Instant::now() + period;
        while Instant::now() < until {
            if let Some(event) = self.read() {
                if event["method"].is_string() {
                    self.events.push(event);
                }
            }
        }
    }

    /// Navigates to `url`, waits for its load event, and reports what the
    /// console and the network logged.
    fn load(&mut self, url: &str) -> Loaded {
        self.events.clear();
        let nav = self.call("Page.navigate", json!({"url": url}));
        assert!(nav["errorText"].is_null(), "{url}: {nav}");
        let deadline = Instant::now() + LOAD_TIMEOUT;
        while !self
            .events
            .iter()
            .any(|e| e["method"] == "Page.loadEventFired")
        {
            assert!(Instant::now() < deadline, "{url}: no load event");
            self.collect(Duration::from_millis(50));
        }
        self.collect(SETTLE);
        Loaded {
            problems: self.problems(),
        }
    }

    /// Errors among the events since the last load.
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.events {
            let p = &e["params"];
            match e["method"].as_str() {
                Some("Runtime.exceptionThrown") => out.push(format!(
                    "exception: {} {}",
                    p["exceptionDetails"]["text"],
                    p["exceptionDetails"]["exception"]["description"]
                )),
                Some("Runtime.consoleAPICalled")
                    if matches!(p["type"].as_str(), Some("error" | "assert")) =>
                {
                    out.push(format!("console.{}: {}", p["type"], p["args"]))
                }
                Some("Log.entryAdded") if p["entry"]["level"] == "error" => {
                    out.push(format!("log: {} {}", p["entry"]["text"], p["entry"]["url"]))
                }
                _ => {}
            }
        }
        out
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        assert!(
            result["exceptionDetails"].is_null(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// `JSON.parse` of an expression that builds a JSON string.
    fn eval_json(&mut self, expression: &str) -> Value {
        let text = self.eval(expression);
        serde_json::from_str(text.as_str().expect("a JSON string")).expect("json")
    }

    fn close(mut self) {
        self.session.clear();
        self.next_id += 1;
        let message = json!({"id": self.next_id, "method": "Browser.close", "params": {}});
        let _ = self.ws.send(Message::text(message.to_string()));
    }
}

fn texts(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("text").to_string())
        .collect()
}

#[test]
fn pages_render_in_headless_chromium_without_console_errors() {
    let Some(binary) = chromium() else {
        assert!(
            std::env::var("STRATA_CI_STRICT").as_deref() != Ok("1"),
            "STRATA_CI_STRICT=1 and no chromium found (install Debian's chromium or set STRATA_CHROMIUM)"
        );
        eprintln!("serve_browser: SKIPPED: no chromium on PATH (apt-get install chromium, or set STRATA_CHROMIUM)");
        return;
    };
    let fx = Fixture::with_store();
    let server = spawn_serving(
        fx.path(),
        &["serve", "--addr", "127.0.0.1:0", "--store", "store"],
    );
    let base = format!("http://{}", server.addr);
    let (browser, devtools) = launch(&binary);
    let mut cdp = Cdp::connect(&devtools);

    // The check itself: a deliberate exception and a console.error are seen.
    let bad = fx.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><title>bad</title><script>console.error('deliberate');</script>\
         <script>undefinedFunction();</script>",
    )
    .expect("write");
    let loaded = cdp.load(&format!("file://{}", bad.display()));
    let all = loaded.problems.join("\n");
    assert!(
        all.contains("undefinedFunction"),
        "the exception is caught: {all}"
    );
    assert!(all.contains("deliberate"), "console.error is caught: {all}");
    let missing = cdp.load(&format!("{base}/runs/no-such-run"));
    assert!(!missing.problems.is_empty(), "a failed load is caught");

    // The run list.
    let loaded = cdp.load(&format!("{base}/"));
    assert!(loaded.problems.is_empty(), "/: {:?}", loaded.problems);
    let ids = texts(&cdp.eval_json(
        "JSON.stringify([...document.querySelectorAll('table.runs a.run-id')].map(a => a.textContent))",
    ));
    assert_eq!(ids, ["bench-run", fx.rows_run.as_str()], "newest first");
    let rows = cdp.eval("document.querySelectorAll('table.runs tbody tr').length");
    assert_eq!(rows, json!(2));

    // A run page: medians table cells, one rendered <svg> per chart.
    let loaded = cdp.load(&format!("{base}/runs/bench-run"));
    assert!(
        loaded.problems.is_empty(),
        "run page: {:?}",
        loaded.problems
    );
    let page = cdp.eval_json(
        "JSON.stringify({h1: document.querySelector('h1').textContent, \
         cells: [...document.querySelectorAll('table.medians td')].map(td => td.textContent), \
         figures: document.querySelectorAll('figure.chart').length, \
         svgs: document.querySelectorAll('figure.chart > svg').length, \
         drawn: [...document.querySelectorAll('figure.chart > svg')].filter(s => s.getBoundingClientRect().width > 300 && s.querySelectorAll('rect').length > 0).length})",
    );
    assert_eq!(page["h1"], "Run bench-run");
    let cells = texts(&page["cells"]);
    for cell in [
        "fillseq",
        "readrandom",
        "[1] lsm",
        "[2] lsm:memtable=btree",
        "2000",
    ] {
        assert!(cells.iter().any(|c| c == cell), "no cell {cell}: {cells:?}");
    }
    let figures = page["figures"].as_u64().expect("count");
    assert!(figures >= 4, "{page}");
    assert_eq!(page["svgs"].as_u64(), Some(figures), "an <svg> per chart");
    assert_eq!(
        page["drawn"].as_u64(),
        Some(figures),
        "each laid out with marks"
    );

    // A compare page: the interval and verdict cells, the ratio chart.
    let loaded = cdp.load(&format!("{base}/compare?runs={}", fx.rows_run));
    assert!(loaded.problems.is_empty(), "compare: {:?}", loaded.problems);
    let page = cdp.eval_json(
        "JSON.stringify({rows: [...document.querySelectorAll('table.compare tr')].map(tr => [...tr.cells].map(c => c.textContent)), \
         svgs: document.querySelectorAll('figure.chart > svg').length, \
         baseline: document.getElementById('baseline').textContent})",
    );
    assert_eq!(page["baseline"], ROWS_ENGINES[0]);
    assert_eq!(page["svgs"], json!(1));
    let rows: Vec<Vec<String>> = page["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(texts)
        .collect();
    let btree_fill = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == ROWS_ENGINES[1]))
        .expect("btree's fillseq line");
    assert_eq!(
        btree_fill[1..],
        ["20.000", "50000", "3", "2.000", "[1.865, 2.144]", "slower"]
    );

    // The store through time: the slider's script runs without error.
    let loaded = cdp.load(&format!("{base}/fs/docs?at=2024-02-01T00:00:00Z"));
    assert!(loaded.problems.is_empty(), "fs: {:?}", loaded.problems);
    let names = texts(&cdp.eval_json(
        "JSON.stringify([...document.querySelectorAll('a.entry')].map(a => a.textContent))",
    ));
    assert_eq!(names, ["data.csv", "readme.txt"]);
    let label = cdp.eval("document.getElementById('version-label').textContent");
    assert_eq!(label, json!(serve_support::T1));
    drop(server);

    // The live page of a bench served by itself: the events fill it in.
    let run = tempfile::tempdir().expect("tempdir");
    let bench = spawn_serving(
        run.path(),
        &[
            "bench",
            "--serve=127.0.0.1:0",
            "--num=30000",
            "--benchmarks=fillseq,readrandom",
            "--stats_interval_seconds=0.05",
            "--no-plot",
        ],
    );
    let loaded = cdp.load(&format!("http://{}/live", bench.addr));
    assert!(loaded.problems.is_empty(), "live: {:?}", loaded.problems);
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        let status = cdp.eval("document.getElementById('live-status').textContent");
        let text = status.as_str().unwrap_or("").to_string();
        if text.starts_with("finished") || text.starts_with("failed") {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the live page never saw the end: {text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.starts_with("finished: "), "{status}");
    let live = cdp.eval_json(
        "JSON.stringify({rows: document.querySelectorAll('#live-finished tr').length, \
         steps: document.getElementById('live-steps').textContent})",
    );
    assert_eq!(live["rows"], json!(2), "{live}");
    assert_eq!(live["steps"], "2 of 2 benchmarks");
    cdp.collect(SETTLE);
    let problems = cdp.problems();
    assert!(problems.is_empty(), "live page console: {problems:?}");
    drop(bench);
    cdp.close();
    drop(browser);
}
