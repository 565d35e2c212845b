//! `strata serve`: the results, comparisons, live runs and a blobfs
//! store's history as web pages, read-only.
//!
//! **Why axum on tokio.** axum is the HTTP framework of the tokio project
//! itself: routing, typed extractors and server-sent events on hyper, the
//! most used Rust HTTP implementation, with the limits of the tower
//! ecosystem (tower-http's body limit) as plain layers. A live page needs
//! many idle connections held open cheaply, which an async server does
//! with two worker threads; the blocking work (reading CSV files, drawing
//! charts, reading the store) goes to tokio's blocking pool. The
//! alternatives weighed: a blocking server (tiny_http) would spend a
//! thread per open event stream; actix-web brings its own runtime; warp
//! and poem sit on the same hyper with smaller communities.
//!
//! **What it serves** ([`routes`]): `/` the run list ([`list_page`]),
//! `/runs/<id>` a run ([`run_page`]), `/compare` ([`compare_page`]),
//! `/live` and its events ([`live`]), `/fs/<path>` the store
//! ([`fs_view`]), and the files of the results and reports folders
//! ([`files`]). Charts are drawn by [`crate::plot`] ([`charts`]), so the
//! pages and the files look the same; the page's only script and style
//! sheet are served by the server itself (it works offline).
//!
//! **Safety.** Loopback by default (elsewhere only when asked, with a
//! warning); GET only; file names checked as text and as canonical paths
//! under the given folders ([`paths`]); every connection, request and
//! page bounded ([`limits`]); an unknown path is 404 and a bad query 400
//! with a one-line reason ([`error`], [`query`]).

mod charts;
mod compare_page;
mod error;
mod files;
mod fs_view;
mod html;
mod limits;
mod list_page;
pub mod live;
mod paths;
mod query;
mod routes;
mod run_page;
mod runs;
mod state;
mod store;

pub use live::LiveHub;

use crate::error::HarnessError;
use axum::Router;
use state::AppState;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long a stopping server lets open streams finish.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// What a server serves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The results folder (`results/<run-id>.csv`).
    pub results: PathBuf,
    /// The reports folder (`reports/<run-id>/`).
    pub reports: PathBuf,
    /// A blobfs store to browse.
    pub store: Option<PathBuf>,
    /// Where `/live` finds a bench's progress events.
    pub progress_port: Option<u16>,
}

/// Every page over `options`, following `live` when this process runs a
/// bench.
///
/// # Errors
/// [`HarnessError::Io`] when the chart scratch folder cannot be created.
pub fn full_router(
    options: &ServeOptions,
    live: Option<Arc<LiveHub>>,
) -> Result<Router, HarnessError> {
    Ok(routes::full(Arc::new(state(options, live)?)))
}

fn state(options: &ServeOptions, live: Option<Arc<LiveHub>>) -> Result<AppState, HarnessError> {
    let charts = charts::ChartCache::new()
        .map_err(|e| HarnessError::io("create", std::env::temp_dir(), e))?;
    Ok(AppState {
        runs: runs::RunIndex::new(options.results.clone(), options.reports.clone()),
        charts,
        store: options.store.clone().map(store::StoreView::new),
        live,
        progress_port: options.progress_port,
    })
}

/// A server running on its own thread.
pub struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` (here, so that a busy port is an error now) and serves
    /// `router` on a new thread until [`Server::stop`].
    ///
    /// # Errors
    /// [`HarnessError::Flag`] naming `flag` when `addr` cannot be bound;
    /// [`HarnessError::Io`] when the runtime cannot start.
    pub fn start(router: Router, addr: SocketAddr, flag: &str) -> Result<Server, HarnessError> {
        let listener = TcpListener::bind(addr)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| HarnessError::flag(flag, format!("cannot listen on {addr}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| HarnessError::flag(flag, format!("cannot listen on {addr}: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(8)
            .thread_name("strata-serve")
            .enable_all()
            .build()
            .map_err(|e| HarnessError::io("start", "the server's runtime", e))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("strata-serve".to_string())
            .spawn(move || serve_until_stopped(runtime, listener, router, stopped))
            .map_err(|e| HarnessError::io("start", "the server's thread", e))?;
        Ok(Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where it listens (the port chosen, for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops it: streams get [`STOP_GRACE`] to end.
    pub fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.join();
    }

    /// Serves until Ctrl-C (SIGINT), then stops. Only then is SIGINT
    /// caught: while a bench runs it still ends the process.
    pub fn until_ctrl_c(mut self) {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => {
                let _ = runtime.block_on(tokio::signal::ctrl_c());
                self.stop();
            }
            // Without a runtime to wait for the signal: serve until killed.
            Err(_) => drop(self.thread.take().map(std::thread::JoinHandle::join)),
        }
    }

    fn join(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.join();
    }
}

fn serve_until_stopped(
    runtime: tokio::runtime::Runtime,
    listener: TcpListener,
    router: Router,
    stopped: tokio::sync::oneshot::Receiver<()>,
) {
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => limits::BoundedListener::new(l),
            Err(e) => {
                eprintln!("strata serve: {e}");
                return;
            }
        };
        let (signal_tx, signal_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = signal_rx.await;
                })
                .await
        });
        let _ = stopped.await;
        let _ = signal_tx.send(());
        let _ = tokio::time::timeout(STOP_GRACE, server).await;
    });
    runtime.shutdown_timeout(Duration::from_millis(200));
}

/// The server of a `strata bench` run: `--serve ADDR` (every page, and
/// the run at `/live`; it goes on serving after the run until Ctrl-C) or
/// `--progress-port PORT` (only `/live` and its events on loopback,
/// stopped with the run).
pub struct BenchServer {
    server: Server,
    hub: Arc<LiveHub>,
    keep_serving: bool,
}

impl BenchServer {
    /// Starts the server the flags ask for, if any. `results` is the
    /// folder the run's CSV goes to.
    ///
    /// # Errors
    /// [`HarnessError::Flag`] for both flags at once, an address that does
    /// not parse, or one that cannot be bound.
    pub fn start(
        serve: Option<&str>,
        progress_port: Option<u16>,
        results: PathBuf,
    ) -> Result<Option<BenchServer>, HarnessError> {
        let hub = LiveHub::new();
        let options = ServeOptions {
            results,
            reports: PathBuf::from("reports"),
            store: None,
            progress_port: None,
        };
        let (server, keep_serving) = match (serve, progress_port) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                return Err(HarnessError::flag(
                    "--serve",
                    "serves /live itself; give either --serve or --progress-port",
                ))
            }
            (Some(text), None) => {
                let addr = parse_addr("--serve", text)?;
                warn_if_exposed(addr);
                let router = full_router(&options, Some(Arc::clone(&hub)))?;
                (Server::start(router, addr, "--serve")?, true)
            }
            (None, Some(port)) => {
                let router = routes::live_only(Arc::new(state(&options, Some(Arc::clone(&hub)))?));
                let addr = SocketAddr::from(([127, 0, 0, 1], port));
                (Server::start(router, addr, "--progress-port")?, false)
            }
        };
        eprintln!("serving:    http://{}/live", server.addr());
        Ok(Some(BenchServer {
            server,
            hub,
            keep_serving,
        }))
    }

    /// The hub the run's progress goes to.
    pub fn hub(&self) -> Arc<LiveHub> {
        Arc::clone(&self.hub)
    }

    /// The run ended (`outcome`: its results file, or its error): tells
    /// the page, then stops the progress server, or goes on serving every
    /// page until Ctrl-C.
    pub fn finish(self, outcome: Result<String, String>) {
        self.hub.finish(outcome);
        if self.keep_serving {
            eprintln!(
                "serving:    http://{}/ (the run is over; Ctrl-C stops)",
                self.server.addr()
            );
            self.server.until_ctrl_c();
        } else {
            self.server.stop();
        }
    }
}

/// `text` as a socket address (`127.0.0.1:8080`, `[::1]:8080`).
///
/// # Errors
/// [`HarnessError::Flag`] naming `flag`.
pub fn parse_addr(flag: &str, text: &str) -> Result<SocketAddr, HarnessError> {
    text.parse().map_err(|_| {
        HarnessError::flag(
            flag,
            format!("'{text}' is not an address like 127.0.0.1:8080"),
        )
    })
}

/// Prints a warning when `addr` is reachable from other machines.
pub fn warn_if_exposed(addr: SocketAddr) {
    if !addr.ip().is_loopback() {
        eprintln!(
            "strata: warning: listening on {addr}, not loopback: anyone who can reach this \
             machine can read the results (and the store)"
        );
    }
}
