//! What every handler shares: the runs, the chart scratch folder, the
//! store, the live run (when the server runs inside `strata bench`), and
//! the helper that moves file and chart work off the async workers.

use super::charts::ChartCache;
use super::error::PageError;
use super::html::Shell;
use super::live::LiveHub;
use super::runs::RunIndex;
use super::store::StoreView;
use axum::response::Response;
use std::sync::Arc;

/// The server's shared state.
#[derive(Debug)]
pub struct AppState {
    /// The results and reports folders.
    pub runs: RunIndex,
    /// Charts drawn for runs without a reports folder.
    pub charts: ChartCache,
    /// The blobfs store of `--store`.
    pub store: Option<StoreView>,
    /// The run this process is running (`strata bench --serve`).
    pub live: Option<Arc<LiveHub>>,
    /// Where `/live` finds a bench's progress (`--progress-port`).
    pub progress_port: Option<u16>,
}

impl AppState {
    /// What the navigation offers.
    pub fn shell(&self) -> Shell {
        Shell {
            has_store: self.store.is_some(),
        }
    }
}

/// Runs `work` (file reads, chart drawing, store reads) on tokio's
/// blocking pool.
///
/// # Errors
/// `work`'s error, or 500 if it panicked.
pub async fn blocking<F>(work: F) -> Result<Response, PageError>
where
    F: FnOnce() -> Result<Response, PageError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| PageError::internal(format!("the page failed: {e}")))?
}
