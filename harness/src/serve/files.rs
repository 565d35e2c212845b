//! Downloads: a run's CSV files from the results folder
//! (`/results/<file>.csv`), the files `strata plot` drew into the reports
//! folder (`/reports/<run-id>/<file>`), and the page's own style sheet
//! and script. Every name goes through [`super::paths`].

use super::error::PageError;
use super::html::{APP_JS, STYLE_CSS};
use super::paths;
use super::query::Params;
use super::state::{blocking, AppState};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Largest file sent whole, bytes.
const MAX_FILE_BYTES: u64 = 256 << 20;

/// `(extension, content type, sent as an attachment)` of the files the
/// reports folder may send.
const REPORT_TYPES: &[(&str, &str, bool)] = &[
    ("svg", "image/svg+xml", false),
    ("png", "image/png", false),
    ("html", "text/html; charset=utf-8", false),
    ("md", "text/markdown; charset=utf-8", false),
    ("csv", "text/csv; charset=utf-8", true),
];

/// `/results/<file>`: a results CSV or its time series.
///
/// # Errors
/// 400 for a malformed name or a query; 404 for anything but a CSV file
/// in the folder; 403 for a symlink out of it.
pub async fn result_file(
    State(state): State<Arc<AppState>>,
    file: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Result<Response, PageError> {
    let Path(file) = file.map_err(|e| PageError::bad_request(e.body_text()))?;
    Params::from_uri(&uri, &[])?;
    blocking(move || {
        let path = paths::resolve_file(state.runs.results_dir(), &file)?;
        if !file.ends_with(".csv") {
            return Err(PageError::not_found(format!(
                "{file}: only CSV files are served from the results folder"
            )));
        }
        send(&path, &file, "text/csv; charset=utf-8", true)
    })
    .await
}

/// `/reports/<run-id>/<file>`: a chart or page `strata plot` drew.
///
/// # Errors
/// As [`result_file`], for the types in `REPORT_TYPES`.
pub async fn report_file(
    State(state): State<Arc<AppState>>,
    file: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Result<Response, PageError> {
    let Path(file) = file.map_err(|e| PageError::bad_request(e.body_text()))?;
    Params::from_uri(&uri, &[])?;
    blocking(move || {
        let path = paths::resolve_file(state.runs.reports_dir(), &file)?;
        let extension = file.rsplit_once('.').map_or("", |(_, e)| e);
        let Some(&(_, content_type, attachment)) =
            REPORT_TYPES.iter().find(|(e, _, _)| *e == extension)
        else {
            return Err(PageError::not_found(format!(
                "{file}: not a chart, page or CSV file"
            )));
        };
        send(&path, &file, content_type, attachment)
    })
    .await
}

fn send(
    path: &std::path::Path,
    name: &str,
    content_type: &'static str,
    attachment: bool,
) -> Result<Response, PageError> {
    let size = std::fs::metadata(path)
        .map_err(|e| PageError::internal(format!("{name}: {e}")))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(PageError::internal(format!(
            "{name}: {size} bytes, more than the {MAX_FILE_BYTES} this server sends"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| PageError::internal(format!("{name}: {e}")))?;
    let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    if attachment {
        let file_name = download_name(name.rsplit('/').next().unwrap_or(name));
        if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// `name` with every character but letters, digits, `.`, `_` and `-`
/// replaced by `_` (safe inside a `Content-Disposition` header).
pub fn download_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.trim_matches('.').is_empty() {
        "download".to_string()
    } else {
        safe
    }
}

/// `/static/style.css`.
pub async fn style_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLE_CSS,
    )
        .into_response()
}

/// `/static/app.js`.
pub async fn app_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_are_header_safe() {
        assert_eq!(download_name("r1.csv"), "r1.csv");
        assert_eq!(download_name("a\"b;c\r\n.txt"), "a_b_c__.txt");
        assert_eq!(download_name(".."), "download");
    }
}
