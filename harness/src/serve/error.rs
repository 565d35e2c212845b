//! Every refusal of the server: a status and one line saying why, sent as
//! plain text (`400 Bad Request: runs: no run 'x' in results/`).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::fmt;

/// A request the server will not answer with a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Why, in one line.
    pub reason: String,
}

impl PageError {
    /// 400: the request (its query, its path) is malformed.
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason)
    }

    /// 404: nothing there.
    pub fn not_found(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, reason)
    }

    /// 403: the path leads outside the folders the server was given.
    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, reason)
    }

    /// 500: the server's own failure (a file it cannot read, a chart it
    /// cannot draw).
    pub fn internal(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, reason)
    }

    fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        PageError {
            status,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.status.canonical_reason().unwrap_or("Error"),
            self.reason.replace(['\n', '\r'], " ")
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let line = format!("{self}\n");
        (
            self.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            line,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_one_line() {
        let e = PageError::bad_request("at: 'x' is not\nan RFC 3339 time");
        assert_eq!(
            e.to_string(),
            "400 Bad Request: at: 'x' is not an RFC 3339 time"
        );
        assert_eq!(
            PageError::not_found("no run 'r'").status,
            StatusCode::NOT_FOUND
        );
    }
}
