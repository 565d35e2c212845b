//! What the `strata serve` tests share: fixtures made with the built
//! binary (a bench run of two engines, a run written as CSV rows with
//! repetitions, a blobfs store changed at two times), a `strata serve`
//! child on a free loopback port, and a raw HTTP/1.1 client (raw, so that
//! traversal attempts reach the server exactly as written).

#![allow(dead_code)] // each test crate uses its own part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The built `strata` binary.
pub fn strata_bin() -> &'static str {
    env!("CARGO_BIN_EXE_strata")
}

/// Runs `strata args` in `cwd`; panics with its stderr unless it succeeds.
pub fn strata_ok(cwd: &Path, args: &[&str]) -> String {
    let out = Command::new(strata_bin())
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run strata");
    assert!(
        out.status.success(),
        "strata {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A folder with `results/`, `reports/` and `store/`.
pub struct Fixture {
    /// The temporary folder (the servers' working directory).
    pub dir: tempfile::TempDir,
    /// The bench run of two engines: its file stem (it has a reports
    /// folder).
    pub bench_run: String,
    /// Its run id (the rows' `run_id`, the reports folder's name).
    pub bench_run_id: String,
    /// The run written as rows: engines `lsm` and `lsm:memtable=btree`,
    /// 3 repetitions, fillseq and readrandom, no reports folder.
    pub rows_run: String,
}

/// Engine specs of the rows run.
pub const ROWS_ENGINES: [&str; 2] = ["lsm", "lsm:memtable=btree"];

/// Two claim times of the store and what they show.
pub const T1: &str = "2024-01-01T00:00:00Z";
/// The second.
pub const T2: &str = "2024-06-01T00:00:00Z";

impl Fixture {
    /// Results of a tiny `strata bench` (fillseq and readrandom at
    /// `--num=2000` on two engines, charts drawn) and a written run.
    pub fn runs() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        strata_ok(
            dir.path(),
            &[
                "bench",
                "--num=2000",
                "--benchmarks=fillseq,readrandom",
                "--engine=lsm",
                "--engine=lsm:memtable=btree",
                "--out=results/bench-run.csv",
            ],
        );
        // `strata bench` drew its charts into reports/<run-id>/.
        let run_id = std::fs::read_dir(dir.path().join("reports"))
            .expect("reports")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .next()
            .expect("a reports folder");
        let rows_run = "20260101-000000-2e".to_string();
        write_rows_run(&dir.path().join("results"), &rows_run);
        // Not results rows: listed as skipped.
        std::fs::write(dir.path().join("results/sim-1.csv"), "step,x\n1,2\n").expect("sim");
        Fixture {
            dir,
            bench_run: "bench-run".to_string(),
            bench_run_id: run_id,
            rows_run,
        }
    }

    /// [`Fixture::runs`] plus a store under `store/` with `/docs` at
    /// [`T1`] (`readme.txt` "hello v1", `data.csv`) and at [`T2`]
    /// (`readme.txt` "hello v2, longer now", `notes.md`, no `data.csv`).
    pub fn with_store() -> Fixture {
        let fixture = Fixture::runs();
        make_store(fixture.dir.path());
        fixture
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Writes `results/<stem>.csv`: the two [`ROWS_ENGINES`] × fillseq,
/// readrandom × 3 repetitions, btree 2× slower on fillseq and as fast on
/// readrandom (fixed numbers: the intervals and verdicts are fixed too).
pub fn write_rows_run(results: &Path, stem: &str) {
    std::fs::create_dir_all(results).expect("results");
    let header = "run_id,start_time,git_rev,cpu_model,cpu_cores,engine_spec,engine_kind,memtable,\
compaction,compression,bloom_bits,benchmark,repetition,num,reads,threads,key_size_bytes,\
value_size_bytes,seed,rng,ops,elapsed_us,micros_per_op,ops_per_s,mb_per_s,found,latency_us_p50,\
latency_us_p75,latency_us_p90,latency_us_p99,latency_us_p999,latency_us_p9999,latency_us_max,\
user_bytes_written,disk_bytes_written,write_amplification,read_amplification,\
space_amplification,db_size_bytes,peak_rss_bytes,message";
    let mut text = format!("{header}\n");
    let noise = [1.0, 1.04, 0.97];
    for rep in 0..3u32 {
        for (engine, fill, read) in [(ROWS_ENGINES[0], 10.0, 4.0), (ROWS_ENGINES[1], 20.0, 4.0)] {
            for (bench, micros) in [("fillseq", fill), ("readrandom", read)] {
                let micros: f64 = micros * noise[rep as usize];
                let ops = 1000u64;
                text.push_str(&format!(
                    "{stem},2026-01-01T00:00:00Z,abc1234,Test CPU,2,{engine},lsm,,,snappy,0,\
{bench},{rep},1000,1000,1,16,100,1000,leveldb,{ops},{},{micros},{},,,,,,,,,,0,,,,,0,0,\n",
                    (micros * ops as f64) as u64,
                    1e6 / micros
                ));
            }
        }
    }
    std::fs::write(results.join(format!("{stem}.csv")), text).expect("rows");
}

/// `store/` with `/docs` at [`T1`] and [`T2`].
pub fn make_store(dir: &Path) {
    let src = dir.join("src/docs");
    std::fs::create_dir_all(&src).expect("src");
    std::fs::write(src.join("readme.txt"), "hello v1\n").expect("write");
    std::fs::write(src.join("data.csv"), "a,b\n1,2\n").expect("write");
    strata_ok(dir, &["fs", "--store", "store", "init"]);
    strata_ok(
        dir,
        &[
            "fs", "--store", "store", "put", "src/docs", "/docs", "--time", T1,
        ],
    );
    std::fs::write(src.join("readme.txt"), "hello v2, longer now\n").expect("write");
    std::fs::write(src.join("notes.md"), "# notes\n").expect("write");
    std::fs::remove_file(src.join("data.csv")).expect("rm");
    strata_ok(
        dir,
        &[
            "fs", "--store", "store", "put", "src/docs", "/docs", "--time", T2,
        ],
    );
}

/// A `strata` child serving HTTP; killed when dropped.
pub struct Served {
    /// The child.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its stderr lines after the `serving:` line.
    pub stderr: mpsc::Receiver<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `strata args` in `cwd` (a `serve`, or a `bench --serve`) and
/// waits for its `serving:    http://ADDR/…` line.
pub fn spawn_serving(cwd: &Path, args: &[&str]) -> Served {
    let mut child = Command::new(strata_bin())
        .current_dir(cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn strata");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || forward_lines(stderr, tx));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix("serving:") {
                    let url = rest.trim();
                    let hostport = url
                        .trim_start_matches("http://")
                        .split('/')
                        .next()
                        .expect("host:port");
                    let addr = hostport.parse().expect("address");
                    return Served {
                        child,
                        addr,
                        stderr: rx,
                    };
                }
                seen.push(line);
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("strata {args:?} did not start serving; stderr: {seen:?}");
            }
        }
    }
}

fn forward_lines(stderr: ChildStderr, tx: mpsc::Sender<String>) {
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        if tx.send(line).is_err() {
            break;
        }
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `method target` exactly as given (no normalisation) and reads the
/// whole response.
pub fn request(addr: SocketAddr, method: &str, target: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    parse_reply(&raw, method == "HEAD")
}

/// `GET target`.
pub fn get(addr: SocketAddr, target: &str) -> Reply {
    request(addr, "GET", target)
}

/// `GET target`, asserting the status; returns the body as text.
pub fn get_ok(addr: SocketAddr, target: &str) -> String {
    let reply = get(addr, target);
    assert_eq!(reply.status, 200, "GET {target}: {}", reply.text());
    reply.text()
}

fn parse_reply(raw: &[u8], head_only: bool) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if head_only {
        Vec::new()
    } else if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("chunk size");
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        body.extend_from_slice(&rest[..size.min(rest.len())]);
        rest = &rest[(size + 2).min(rest.len())..];
    }
    body
}

/// Server-sent events read from a live stream: `(event, data)` pairs.
pub struct EventStream {
    stream: TcpStream,
    buffer: Vec<u8>,
    /// De-chunked text not yet split into events.
    text: String,
}

impl EventStream {
    /// Opens `GET target` and checks that it is an event stream.
    pub fn open(addr: SocketAddr, target: &str) -> EventStream {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .expect("send");
        let mut events = EventStream {
            stream,
            buffer: Vec::new(),
            text: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(end) = events.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&events.buffer[..end]).to_ascii_lowercase();
                assert!(head.starts_with("http/1.1 200"), "{head}");
                assert!(head.contains("content-type: text/event-stream"), "{head}");
                assert!(head.contains("transfer-encoding: chunked"), "{head}");
                events.buffer.drain(..end + 4);
                return events;
            }
            assert!(Instant::now() < deadline, "no response headers");
            events.fill();
        }
    }

    /// Reads whatever arrived; false at the end of the stream.
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16384];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                true
            }
            Err(e) => panic!("reading events: {e}"),
        }
    }

    /// Moves whole chunks from the buffer into the text; false after the
    /// last (zero) chunk.
    fn dechunk(&mut self) -> bool {
        loop {
            let Some(line_end) = self.buffer.windows(2).position(|w| w == b"\r\n") else {
                return true;
            };
            let size_text = String::from_utf8_lossy(&self.buffer[..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.trim(), 16).expect("chunk size");
            if size == 0 {
                return false;
            }
            if self.buffer.len() < line_end + 2 + size + 2 {
                return true;
            }
            let data = self.buffer[line_end + 2..line_end + 2 + size].to_vec();
            self.text.push_str(&String::from_utf8_lossy(&data));
            self.buffer.drain(..line_end + 2 + size + 2);
        }
    }

    /// The next event (comments skipped), or `None` when the stream ended
    /// or `within` passed.
    pub fn next_event(&mut self, within: Duration) -> Option<(String, String)> {
        let deadline = Instant::now() + within;
        loop {
            let open = self.dechunk();
            while let Some(end) = self.text.find("\n\n") {
                let block: String = self.text.drain(..end + 2).collect();
                let mut event = String::from("message");
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
                    }
                }
                if !data.is_empty() {
                    return Some((event, data.join("\n")));
                }
            }
            if !open || Instant::now() > deadline || !self.fill() {
                return None;
            }
        }
    }
}
