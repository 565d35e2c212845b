//! `strata serve` over HTTP, end to end: the built binary serving a
//! fixture results folder (a real two-engine bench run with its charts,
//! a run written as rows with 3 repetitions, a file that is not results)
//! and a blobfs store changed at two times. Every route's status, content
//! type and key content; traversal attempts (`..`, `%2e%2e`, absolute
//! paths, symlinks out of the folders) refused; unknown routes 404, bad
//! queries 400 with one line; writes 405; limits; the live progress of
//! `strata bench --serve` and `--progress-port` as server-sent events.
//! No randomness: the fixture's numbers are fixed (the bench run's are
//! measured, and only their presence is checked).

mod serve_support;

use serve_support::{
    get, get_ok, request, spawn_serving, EventStream, Fixture, Reply, ROWS_ENGINES, T1, T2,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Asserts a refusal: `status`, plain text, one line.
fn assert_refused(reply: &Reply, status: u16, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8"),
        "{what}"
    );
    let text = reply.text();
    assert_eq!(text.lines().count(), 1, "{what}: one line: {text:?}");
    assert!(text.starts_with(&status.to_string()), "{what}: {text}");
}

fn serve(dir: &Path, extra: &[&str]) -> serve_support::Served {
    let mut args = vec!["serve", "--addr", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    spawn_serving(dir, &args)
}

#[test]
fn run_list_run_pages_and_downloads() {
    let fx = Fixture::runs();
    let s = serve(fx.path(), &[]);
    let list = get(s.addr, "/");
    assert_eq!(list.status, 200);
    assert_eq!(
        list.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
    ] {
        assert_eq!(list.header(name), Some(value), "{name}");
    }
    assert!(list
        .header("content-security-policy")
        .is_some_and(|csp| csp.contains("script-src 'self'")));
    let text = list.text();
    let bench = text
        .find("href=\"/runs/bench-run\"")
        .expect("the bench run is listed");
    let rows = text
        .find(&format!("href=\"/runs/{}\"", fx.rows_run))
        .expect("the rows run is listed");
    assert!(bench < rows, "newest first");
    assert!(
        text.contains("<code>sim-1.csv</code>: malformed results row"),
        "{text}"
    );
    assert!(text.contains("2 runs in <code>results</code>."), "{text}");
    assert!(text.contains("<td>abc1234</td>"), "git revision column");
    assert!(text.contains("Test CPU (2 cores)"), "machine column");

    // Filters: by full spec, by kind, by benchmark; no match shows none.
    let only = get_ok(
        s.addr,
        "/?engine=lsm%3Amemtable%3Dbtree&benchmark=readrandom",
    );
    assert!(only.contains("2 runs in <code>results</code>."), "{only}");
    let none = get_ok(s.addr, "/?engine=leveldb");
    assert!(none.contains(", 0 shown."), "{none}");
    assert!(!none.contains("href=\"/runs/"), "{none}");
    let no_bench = get_ok(s.addr, "/?benchmark=fillrandom&engine=");
    assert!(no_bench.contains(", 0 shown."), "{no_bench}");
    assert_refused(&get(s.addr, "/?engine=a&engine=b"), 400, "repeated filter");
    assert_refused(&get(s.addr, "/?colour=red"), 400, "unknown parameter");

    // The bench run: provenance, medians, its charts from reports/.
    let page = get_ok(s.addr, "/runs/bench-run");
    for needle in [
        &fx.bench_run_id,
        "<td>fillseq</td>",
        "<td>readrandom</td>",
        "<td>[1] lsm</td>",
        "<td>[2] lsm:memtable=btree</td>",
        "href=\"/results/bench-run.csv\"",
        "Throughput per benchmark (ops/s)",
    ] {
        assert!(page.contains(needle), "run page lacks {needle}");
    }
    assert!(page.contains(&format!(
        "from <code>{}",
        fx.path()
            .canonicalize()
            .expect("real")
            .join("reports")
            .join(&fx.bench_run_id)
            .display()
    )));
    let figures = page.matches("<figure class=\"chart\">").count();
    let svgs = page.matches("<svg").count();
    assert!(
        figures >= 4,
        "throughput and amplification charts: {figures}"
    );
    assert_eq!(figures, svgs, "one inline SVG per chart");
    assert!(page.contains(&format!("href=\"/reports/{}/index.html\"", fx.bench_run_id)));

    // The rows run has no reports folder: the server draws its charts.
    let page = get_ok(s.addr, &format!("/runs/{}", fx.rows_run));
    assert!(page.contains("drawn by the server from the CSV"), "{page}");
    assert!(page.matches("<svg").count() >= 1);
    assert!(
        page.contains("<td>fillseq</td><td>[2] lsm:memtable=btree</td><td class=\"num\">3</td><td class=\"num\">20.000</td>"),
        "median of 20, 20.8, 19.4 over 3 repetitions: {page}"
    );
    assert!(
        page.contains("<dt>repetitions</dt><dd class=\"fact-repetitions\">3</dd>"),
        "{page}"
    );
    assert!(
        std::fs::read_dir(fx.path().join("reports"))
            .expect("reports")
            .flatten()
            .all(|e| e.file_name() != fx.rows_run.as_str()),
        "nothing written into reports/"
    );

    assert_refused(&get(s.addr, "/runs/nope"), 404, "unknown run");
    assert_refused(&get(s.addr, "/runs/sim-1"), 404, "not results");
    assert_refused(&get(s.addr, "/runs/bench-run?x=1"), 400, "query on a run");

    // Downloads.
    let csv = get(s.addr, "/results/bench-run.csv");
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"bench-run.csv\"")
    );
    assert!(csv.text().starts_with("run_id,start_time,"));
    let svg = get(
        s.addr,
        &format!("/reports/{}/throughput.svg", fx.bench_run_id),
    );
    assert_eq!(svg.status, 200);
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    let index = get(s.addr, &format!("/reports/{}/index.html", fx.bench_run_id));
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let png = get(
        s.addr,
        &format!("/reports/{}/throughput.png", fx.bench_run_id),
    );
    assert!(png.body.starts_with(b"\x89PNG"));
    let js = get(s.addr, "/static/app.js");
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(js.text().contains("EventSource"));
    let css = get(s.addr, "/static/style.css");
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let head = request(s.addr, "HEAD", "/");
    assert_eq!(head.status, 200);

    // No store given: the files view is absent; no run in this process.
    assert_refused(&get(s.addr, "/fs/"), 404, "no store");
    assert_refused(&get(s.addr, "/live/events"), 404, "no live run");
    let live = get_ok(s.addr, "/live");
    assert!(live.contains("This server is not watching a run"), "{live}");
}

#[test]
fn compare_tables_intervals_and_the_ratio_chart() {
    let fx = Fixture::runs();
    let s = serve(fx.path(), &[]);
    let pick = get_ok(s.addr, "/compare");
    assert!(pick.contains("name=\"runs\" value=\"bench-run\""), "{pick}");

    let page = get_ok(s.addr, &format!("/compare?runs={}", fx.rows_run));
    // btree is 2x slower on fillseq: with 3 repetitions a side the interval
    // runs from min/max (19.4/10.4) to max/min (20.8/9.7).
    for needle in [
        "<code id=\"baseline\">lsm</code>",
        "<td class=\"num\">2.000</td><td class=\"num\">[1.865, 2.144]</td><td><span class=\"verdict-slower\">slower</span></td>",
        "no significant difference",
        "Ratio to the baseline",
    ] {
        assert!(page.contains(needle), "compare page lacks {needle}: {page}");
    }
    assert_eq!(page.matches("<svg").count(), 1, "the ratio chart");

    // The Markdown is exactly what `strata compare` prints.
    let md = get(s.addr, &format!("/compare?runs={}&format=md", fx.rows_run));
    assert_eq!(
        md.header("content-type"),
        Some("text/markdown; charset=utf-8")
    );
    let csv = format!("results/{}.csv", fx.rows_run);
    let cli = Command::new(serve_support::strata_bin())
        .current_dir(fx.path())
        .args(["compare", &csv])
        .output()
        .expect("strata compare");
    assert!(cli.status.success());
    assert_eq!(md.text(), String::from_utf8_lossy(&cli.stdout));

    let other = get_ok(
        s.addr,
        &format!(
            "/compare?runs={}&baseline={}",
            fx.rows_run, "lsm%3Amemtable%3Dbtree"
        ),
    );
    assert!(other.contains("<td class=\"num\">0.500</td>"), "{other}");
    assert!(other.contains("verdict-faster"), "{other}");

    // Two runs: every engine of both, named spec @ run.
    let both = get_ok(s.addr, &format!("/compare?runs={},bench-run", fx.rows_run));
    for engine in ROWS_ENGINES {
        assert!(
            both.contains(&format!("<code>{engine} @ bench-run</code>")),
            "{both}"
        );
        assert!(
            both.contains(&format!("{engine} @ {}", fx.rows_run)),
            "{both}"
        );
    }
    let repeated = get_ok(
        s.addr,
        &format!("/compare?runs={}&runs=bench-run", fx.rows_run),
    );
    assert!(repeated.contains("@ bench-run"), "runs may repeat");

    for (target, why) in [
        ("/compare?runs=nope".to_string(), "unknown run"),
        ("/compare?runs=..%2Fsecret".to_string(), "not a run name"),
        (
            format!("/compare?runs={}&baseline=leveldb", fx.rows_run),
            "baseline not there",
        ),
        (
            format!("/compare?runs={}&format=pdf", fx.rows_run),
            "format",
        ),
        (
            format!("/compare?runs={}&baseline=a&baseline=b", fx.rows_run),
            "two baselines",
        ),
        (
            format!(
                "/compare?runs={}",
                (0..17)
                    .map(|i| format!("r{i}"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            "too many runs",
        ),
    ] {
        assert_refused(&get(s.addr, &target), 400, why);
    }
    let missing = get(
        s.addr,
        &format!("/compare?runs={}&baseline=leveldb", fx.rows_run),
    )
    .text();
    assert!(
        missing.starts_with("400 Bad Request: baseline: no engine leveldb"),
        "{missing}"
    );
}

#[test]
fn traversal_attempts_are_refused() {
    let fx = Fixture::runs();
    let root = fx.path();
    std::fs::write(root.join("secret.csv"), "TOPSECRET\n").expect("secret");
    std::fs::create_dir(root.join("outside")).expect("outside");
    std::fs::write(root.join("outside/x.csv"), "TOPSECRET\n").expect("secret");
    std::os::unix::fs::symlink(root.join("secret.csv"), root.join("results/leak.csv"))
        .expect("symlink");
    std::os::unix::fs::symlink(root.join("outside"), root.join("results/dirlink"))
        .expect("symlink");
    let report = root.join("reports").join(&fx.bench_run_id);
    std::os::unix::fs::symlink(root.join("secret.csv"), report.join("leak.svg")).expect("symlink");
    let s = serve(root, &["--store", "results"]);
    assert_eq!(
        get(s.addr, "/results/bench-run.csv").status,
        200,
        "the control"
    );
    let id = &fx.bench_run_id;
    let attempts: Vec<(String, u16)> = vec![
        ("/results/../secret.csv".into(), 400),
        ("/results/%2e%2e/secret.csv".into(), 400),
        ("/results/%2E%2E%2Fsecret.csv".into(), 400),
        ("/results/.%2e/secret.csv".into(), 400),
        ("/results/..%5csecret.csv".into(), 400),
        ("/results/./bench-run.csv".into(), 400),
        ("/results//etc/passwd".into(), 400),
        ("/results/%2Fetc%2Fpasswd".into(), 400),
        ("/results/leak.csv".into(), 403),
        ("/results/dirlink/x.csv".into(), 403),
        ("/reports/../secret.csv".into(), 400),
        ("/reports/%2e%2e/results/bench-run.csv".into(), 400),
        (format!("/reports/{id}/leak.svg"), 403),
        (format!("/reports/{id}/../../secret.csv"), 400),
        ("/runs/..%2F..%2Fsecret".into(), 400),
        ("/runs/%2e%2e".into(), 400),
        ("/fs/..%2Fsecret.csv".into(), 400),
        ("/fs/%2e%2e/%2e%2e/secret.csv".into(), 400),
        ("/../secret.csv".into(), 404),
        ("/%2e%2e/secret.csv".into(), 404),
        ("http://127.0.0.1/secret.csv".into(), 404),
    ];
    for (target, status) in &attempts {
        let reply = get(s.addr, target);
        assert_refused(&reply, *status, target);
        assert!(!reply.text().contains("TOPSECRET"), "{target} leaked");
    }
    // Only CSV from results, only charts and pages from reports.
    std::fs::write(root.join("results/notes.txt"), "x").expect("write");
    assert_refused(&get(s.addr, "/results/notes.txt"), 404, "not a CSV");
    std::fs::write(report.join("run.sh"), "x").expect("write");
    assert_refused(
        &get(s.addr, &format!("/reports/{id}/run.sh")),
        404,
        "not a chart",
    );
}

/// The engine folder's files: name, size, modification time.
fn snapshot(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("engine dir")
        .flatten()
        .map(|e| {
            let m = e.metadata().expect("meta");
            (
                e.file_name().to_string_lossy().into_owned(),
                m.len(),
                m.modified().expect("mtime"),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_store_is_browsed_through_time_and_never_written() {
    let fx = Fixture::with_store();
    let engine = fx.path().join("store/engine");
    let before = snapshot(&engine);
    let s = serve(fx.path(), &["--store", "store"]);
    let root = get_ok(s.addr, "/fs/");
    assert!(root.contains(">docs/</a>"), "{root}");
    let early = "2024-02-01T00%3A00%3A00Z";

    let then = get_ok(s.addr, &format!("/fs/docs?at={early}"));
    assert!(
        then.contains(">data.csv</a>") && then.contains(">readme.txt</a>"),
        "{then}"
    );
    assert!(!then.contains(">notes.md</a>"), "{then}");
    assert!(then.contains("id=\"version-slider\""), "{then}");
    assert!(
        then.contains(&format!("{T1}</a>: directory, 2 entries")),
        "{then}"
    );
    assert!(
        then.contains(&format!("{T2}</a>: directory, 2 entries")),
        "{then}"
    );
    assert!(then.contains("<li class=\"current\">"), "{then}");

    let now = get_ok(s.addr, "/fs/docs");
    assert!(
        now.contains(">notes.md</a>") && !now.contains(">data.csv</a>"),
        "{now}"
    );
    assert!(now.contains("Showing <b id=\"as-of\">now</b>"), "{now}");

    let old = get_ok(s.addr, &format!("/fs/docs/readme.txt?at={early}"));
    assert!(
        old.contains("<pre class=\"content\" id=\"content\">hello v1\n</pre>"),
        "{old}"
    );
    assert!(old.contains(&format!("{T1}</a>: file, 9 bytes")), "{old}");
    let new = get_ok(s.addr, "/fs/docs/readme.txt");
    assert!(new.contains("hello v2, longer now"), "{new}");

    let download = get(
        s.addr,
        &format!("/fs/docs/readme.txt?at={early}&download=1"),
    );
    assert_eq!(download.status, 200);
    assert_eq!(download.body, b"hello v1\n");
    assert_eq!(
        download.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(
        download.header("content-disposition"),
        Some("attachment; filename=\"readme.txt\"")
    );
    assert_eq!(
        get(s.addr, "/fs/docs/readme.txt?download=1").body,
        b"hello v2, longer now\n"
    );

    // Gone now, there before: a 404 page that still lists its versions.
    let gone = get(s.addr, "/fs/docs/data.csv");
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let gone = gone.text();
    assert!(gone.contains("id=\"absent\""), "{gone}");
    assert!(gone.contains(&format!("{T2}</a>: absent")), "{gone}");
    assert_eq!(
        get(s.addr, "/fs/docs/data.csv?at=2023-01-01T00:00:00Z").status,
        404
    );
    assert_eq!(get(s.addr, "/fs/nothing").status, 404);

    assert_refused(&get(s.addr, "/fs/docs?at=yesterday"), 400, "bad time");
    assert_refused(&get(s.addr, "/fs/docs?download=2"), 400, "bad download");
    assert_refused(&get(s.addr, "/fs/docs?download=1"), 400, "a directory");
    assert_refused(&get(s.addr, "/fs/docs?when=now"), 400, "unknown parameter");
    assert_eq!(request(s.addr, "DELETE", "/fs/docs").status, 405);
    assert_eq!(request(s.addr, "PUT", "/fs/docs/x").status, 405);
    drop(s);
    assert_eq!(snapshot(&engine), before, "the store's files are untouched");
}

#[test]
fn methods_limits_and_unknown_routes() {
    let fx = Fixture::runs();
    let s = serve(fx.path(), &[]);
    for (method, target) in [
        ("POST", "/"),
        ("PUT", "/runs/bench-run"),
        ("DELETE", "/results/bench-run.csv"),
        ("PATCH", "/compare"),
    ] {
        assert_eq!(
            request(s.addr, method, target).status,
            405,
            "{method} {target}"
        );
    }
    let unknown = get(s.addr, "/admin");
    assert_refused(&unknown, 404, "unknown route");
    assert_eq!(unknown.text(), "404 Not Found: no page at /admin\n");
    assert_refused(&get(s.addr, "/runs/"), 404, "no id");
    let long = format!("/?engine={}", "x".repeat(5000));
    assert_refused(&get(s.addr, &long), 414, "long URI");
    // A body larger than the limit is refused from its length alone.
    let mut stream = TcpStream::connect(s.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100000\r\n\r\n"
    )
    .expect("send");
    stream.write_all(&[b'x'; 4096]).expect("body");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let head = String::from_utf8_lossy(&raw);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}

#[test]
fn a_bench_served_live_streams_its_progress() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = spawn_serving(
        dir.path(),
        &[
            "bench",
            "--serve=127.0.0.1:0",
            "--num=30000",
            "--benchmarks=fillseq,fillrandom,readrandom",
            "--stats_interval_seconds=0.05",
            "--no-plot",
        ],
    );
    let mut events = EventStream::open(s.addr, "/live/events");
    let mut states: Vec<serde_json::Value> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while let Some((name, data)) =
        events.next_event(deadline.saturating_duration_since(Instant::now()))
    {
        assert_eq!(name, "progress");
        let state: serde_json::Value = serde_json::from_str(&data).expect("json");
        let status = state["status"].as_str().expect("status").to_string();
        states.push(state);
        if status == "finished" || status == "failed" {
            break;
        }
    }
    let last = states.last().expect("events");
    assert_eq!(last["status"], "finished", "{last}");
    assert!(
        last["message"]
            .as_str()
            .is_some_and(|m| m.ends_with(".csv")),
        "{last}"
    );
    assert_eq!(last["steps_total"], 3);
    assert_eq!(last["steps_done"], 3);
    let finished: Vec<&str> = last["finished"]
        .as_array()
        .expect("finished")
        .iter()
        .map(|f| f["benchmark"].as_str().expect("name"))
        .collect();
    assert_eq!(finished, ["fillseq", "fillrandom", "readrandom"]);
    // While it ran: a benchmark with operations counted by the sampler,
    // its throughput, and the chart once two intervals were in.
    let running: Vec<&serde_json::Value> =
        states.iter().filter(|s| s["status"] == "running").collect();
    assert!(
        running
            .iter()
            .any(|s| s["current"]["ops_done"].as_u64().is_some_and(|n| n > 0)
                && s["recent_ops_per_s"].as_f64().is_some_and(|r| r > 0.0)),
        "live operations: {} running states",
        running.len()
    );
    assert!(
        running
            .iter()
            .any(|s| s["svg"].as_str().is_some_and(|svg| svg.starts_with("<svg"))),
        "the live chart"
    );
    // After the run the same server shows every page.
    let page = get_ok(s.addr, "/live");
    assert!(page.contains("data-events=\"/live/events\""), "{page}");
    let list = get_ok(s.addr, "/");
    let run_id = last["run_id"].as_str().expect("run id");
    assert!(list.contains(&format!("href=\"/runs/{run_id}\"")), "{list}");
    get_ok(s.addr, &format!("/runs/{run_id}"));
    let sse = get(s.addr, "/live/events");
    assert_eq!(sse.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn a_progress_port_serves_only_the_live_run_and_flags_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = spawn_serving(
        dir.path(),
        &[
            "bench",
            "--progress-port=0",
            "--num=3000",
            "--benchmarks=fillseq,readrandom",
            "--no-plot",
        ],
    );
    let mut events = EventStream::open(s.addr, "/live/events");
    let mut last = None;
    while let Some((_, data)) = events.next_event(Duration::from_secs(60)) {
        last = Some(serde_json::from_str::<serde_json::Value>(&data).expect("json"));
    }
    let last = last.expect("an event");
    assert_eq!(
        last["status"], "finished",
        "the stream ends after the run: {last}"
    );
    let status = s.child.wait().expect("bench exits by itself");
    assert!(status.success());
    assert!(
        TcpStream::connect(s.addr).is_err(),
        "the progress server stopped"
    );

    // Only /live on a progress port: a bench long enough to be watched
    // (stopped when the checks are done; its database is in `dir`).
    let db = format!("--db={}", dir.path().join("db").display());
    let s = spawn_serving(
        dir.path(),
        &[
            "bench",
            "--progress-port=0",
            "--num=2000000",
            "--benchmarks=fillseq",
            "--no-plot",
            &db,
        ],
    );
    let port = s.addr.port();
    assert_refused(&get(s.addr, "/"), 404, "only /live on a progress port");
    assert!(get_ok(s.addr, "/live").contains("data-events=\"/live/events\""));
    let viewer = spawn_serving(
        dir.path(),
        &[
            "serve",
            "--addr=127.0.0.1:0",
            &format!("--progress-port={port}"),
        ],
    );
    let page = get_ok(viewer.addr, "/live");
    assert!(
        page.contains(&format!(
            "data-events=\"http://127.0.0.1:{port}/live/events\""
        )),
        "{page}"
    );
    let other = get_ok(viewer.addr, "/live?port=9");
    assert!(other.contains("http://127.0.0.1:9/live/events"), "{other}");
    assert_refused(&get(viewer.addr, "/live?port=x"), 400, "bad port");
    drop(s);

    for (args, line) in [
        (
            vec!["serve", "--addr", "nope"],
            "strata serve: --addr: 'nope' is not an address like 127.0.0.1:8080",
        ),
        (
            vec!["serve", "--store", "no-such-store"],
            "strata serve: --store: no-such-store is not a folder",
        ),
        (
            vec![
                "bench",
                "--serve=127.0.0.1:0",
                "--progress-port=1",
                "--num=10",
            ],
            "strata bench: --serve: serves /live itself; give either --serve or --progress-port",
        ),
        (
            vec!["bench", "--serve=localhost", "--num=10"],
            "strata bench: --serve: 'localhost' is not an address like 127.0.0.1:8080",
        ),
    ] {
        let out = Command::new(serve_support::strata_bin())
            .current_dir(dir.path())
            .args(&args)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("{line}\n"),
            "{args:?}"
        );
    }
    // Anything but loopback is served only with a warning.
    let mut open = Command::new(serve_support::strata_bin())
        .current_dir(dir.path())
        .args(["serve", "--addr", "0.0.0.0:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stderr = open.stderr.take().expect("stderr");
    let mut seen = String::new();
    let mut buf = [0u8; 512];
    while !seen.contains("serving:") {
        let n = stderr.read(&mut buf).expect("read");
        assert!(n > 0, "{seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let _ = open.kill();
    let _ = open.wait();
    assert!(
        seen.contains("strata: warning: listening on 0.0.0.0:") && seen.contains("not loopback"),
        "{seen}"
    );
}
