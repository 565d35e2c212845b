//! The routes: every one a GET (and so HEAD); anything else on them is
//! 405, and any other path 404. There is no route that writes.

use super::error::PageError;
use super::limits::{self, MAX_BODY_BYTES};
use super::state::AppState;
use super::{compare_page, files, fs_view, list_page, live, run_page};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;

/// Every page: runs, a run, compare, live, the store, downloads.
pub fn full(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(list_page::handler))
        .route("/runs/{id}", get(run_page::handler))
        .route("/compare", get(compare_page::handler))
        .route("/fs", get(fs_view::root))
        .route("/fs/", get(fs_view::root))
        .route("/fs/{*path}", get(fs_view::handler))
        .route("/results/{*file}", get(files::result_file))
        .route("/reports/{*file}", get(files::report_file))
        .merge(live_routes())
        .fallback(unknown)
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(limits::bound))
}

/// Only the live page and its events, and what the page loads (a bench's
/// `--progress-port`).
pub fn live_only(state: Arc<AppState>) -> Router {
    live_routes()
        .fallback(unknown)
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(limits::bound))
}

fn live_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/live", get(live::page))
        .route("/live/events", get(live::events))
        .route("/static/style.css", get(files::style_css))
        .route("/static/app.js", get(files::app_js))
}

async fn unknown(uri: axum::http::Uri) -> PageError {
    PageError::not_found(format!("no page at {}", uri.path()))
}
