//! `/fs/<path>?at=<time>`: a blobfs store as of any time. A directory
//! lists its entries (size and last change of each); a file shows its
//! facts and the start of its contents, with a download
//! (`&download=1`); both show every version of the path (from
//! [`strata_blobfs::BlobFs::history`]) as a list and a slider. Without
//! `at` the page shows the latest state. Nothing here writes: the store
//! is opened read-only ([`super::store`]).

use super::error::PageError;
use super::files::download_name;
use super::html::{self, enc, enc_path, esc, Nav};
use super::query::Params;
use super::state::{blocking, AppState};
use super::store::{fs_error, OpenStore};
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;
use std::sync::Arc;
use strata_blobfs::fs::{components, join};
use strata_blobfs::time::{parse_rfc3339, to_rfc3339, ClaimTime};
use strata_blobfs::{FsError, NodeKind, Stat, Version, VersionState};

/// Bytes of a file shown on its page.
const PREVIEW_BYTES: u64 = 64 << 10;
/// Bytes shown as hex when the start of a file is not text.
const HEX_BYTES: usize = 512;
/// Entries listed per directory.
const MAX_ENTRIES: usize = 1000;
/// Bytes read per step of a download.
const DOWNLOAD_CHUNK_BYTES: u64 = 1 << 20;

/// `/fs` and `/fs/`: the root.
///
/// # Errors
/// As [`handler`].
pub async fn root(State(state): State<Arc<AppState>>, uri: Uri) -> Result<Response, PageError> {
    view(state, String::new(), uri).await
}

/// `/fs/<path>`.
///
/// # Errors
/// 404 without a store or when nothing is at the path then (the page
/// still lists the path's versions); 400 for a bad path, time or query.
pub async fn handler(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Result<Response, PageError> {
    let Path(path) = path.map_err(|e| PageError::bad_request(e.body_text()))?;
    view(state, path, uri).await
}

async fn view(state: Arc<AppState>, path: String, uri: Uri) -> Result<Response, PageError> {
    let params = Params::from_uri(&uri, &["at", "download"])?;
    let at = params
        .one("at")?
        .map(parse_rfc3339)
        .transpose()
        .map_err(|e| PageError::bad_request(format!("at: {e}")))?;
    let download = match params.one("download")? {
        None | Some("0") => false,
        Some("1") => true,
        Some(other) => {
            return Err(PageError::bad_request(format!(
                "download: '{other}' is neither 0 nor 1"
            )))
        }
    };
    if state.store.is_none() {
        return Err(PageError::not_found(
            "no store: start the server with --store DIR",
        ));
    }
    let names = components(&path).map_err(|e| PageError::bad_request(e.to_string()))?;
    let path = join(&names);
    if download {
        return download_file(state, path, at).await;
    }
    blocking(move || {
        let store = state
            .store
            .as_ref()
            .ok_or_else(|| PageError::not_found("no store"))?;
        let open = store.open()?;
        let versions = open.fs.history(&path).map_err(fs_error)?;
        let mut body = heading(&store.dir().display().to_string(), &path, at);
        body.push_str(&versions_section(&path, &versions, at));
        let status = match open.fs.stat(&path, at) {
            Ok(stat) if stat.kind == NodeKind::Directory => {
                body.push_str(&listing(&open, &path, at)?);
                StatusCode::OK
            }
            Ok(stat) => {
                body.push_str(&file_view(&open, &path, at, &stat)?);
                StatusCode::OK
            }
            Err(FsError::NotFound(_)) => {
                let _ = writeln!(
                    body,
                    "<p id=\"absent\">Nothing is at <code>{}</code> {}.</p>",
                    esc(&path),
                    when(at)
                );
                StatusCode::NOT_FOUND
            }
            Err(e) => return Err(fs_error(e)),
        };
        let mut response = html::page(&format!("Files: {path}"), Nav::Files, state.shell(), &body);
        *response.status_mut() = status;
        Ok(response)
    })
    .await
}

/// `as of <time>` or `now`.
fn when(at: Option<ClaimTime>) -> String {
    at.map_or_else(|| "now".to_string(), |t| format!("as of {}", to_rfc3339(t)))
}

/// `?at=<time>` (empty for now), to keep the time across links.
fn at_query(at: Option<ClaimTime>, sep: char) -> String {
    at.map_or_else(String::new, |t| format!("{sep}at={}", enc(&to_rfc3339(t))))
}

/// The link to `path` (canonical, `/`-rooted) in the view.
fn href(path: &str, at: Option<ClaimTime>) -> String {
    format!(
        "/fs/{}{}",
        enc_path(path.trim_start_matches('/')),
        at_query(at, '?')
    )
}

fn heading(store: &str, path: &str, at: Option<ClaimTime>) -> String {
    let mut crumbs = format!("<a href=\"{}\">/</a>", esc(&href("/", at)));
    let mut so_far = String::new();
    for (i, name) in path.split('/').filter(|n| !n.is_empty()).enumerate() {
        so_far.push('/');
        so_far.push_str(name);
        let _ = write!(
            crumbs,
            "{} <a href=\"{}\">{}</a>",
            if i == 0 { "" } else { " /" },
            esc(&href(&so_far, at)),
            esc(name)
        );
    }
    let at_value = at.map(to_rfc3339).unwrap_or_default();
    format!(
        "<p class=\"note\">Store <code>{}</code>, read-only.</p>\n\
         <p class=\"crumbs\">{crumbs}</p>\n\
         <p>Showing <b id=\"as-of\">{}</b>.</p>\n\
         <form class=\"filters\" method=\"get\" action=\"/fs/{}\">\
         <label>as of (RFC 3339) <input name=\"at\" size=\"32\" value=\"{}\" \
         placeholder=\"2024-05-01T12:00:00Z\"></label><button type=\"submit\">Show</button> \
         <a href=\"{}\">now</a></form>\n",
        esc(store),
        esc(&when(at)),
        esc(&enc_path(path.trim_start_matches('/'))),
        esc(&at_value),
        esc(&href(path, None))
    )
}

/// Every version of the path: a slider (two or more) and a list; the
/// version shown is the latest that began at or before `at`.
fn versions_section(path: &str, versions: &[Version], at: Option<ClaimTime>) -> String {
    let mut out = format!(
        "<section class=\"versions\">\n<h2>Versions of <code>{}</code></h2>\n",
        esc(path)
    );
    if versions.is_empty() {
        out.push_str("<p class=\"note\">None: nothing was ever at this path.</p>\n</section>\n");
        return out;
    }
    let current = versions
        .iter()
        .rposition(|v| at.is_none_or(|t| v.time <= t));
    let times: Vec<String> = versions.iter().map(|v| to_rfc3339(v.time)).collect();
    if versions.len() > 1 {
        let index = current.unwrap_or(0);
        let json = serde_json::to_string(&times).unwrap_or_else(|_| "[]".to_string());
        let _ = writeln!(
            out,
            "<p><input type=\"range\" id=\"version-slider\" min=\"0\" max=\"{}\" value=\"{index}\" \
             data-times=\"{}\" aria-label=\"version\"> <span id=\"version-label\">{}</span></p>",
            versions.len() - 1,
            esc(&json),
            esc(&times[index])
        );
    }
    out.push_str("<ol class=\"version-list\">\n");
    for (i, (version, time)) in versions.iter().zip(&times).enumerate() {
        let class = if Some(i) == current {
            " class=\"current\""
        } else {
            ""
        };
        let what = match &version.state {
            VersionState::Absent => "absent".to_string(),
            VersionState::File {
                content,
                size_bytes,
                ..
            } => format!(
                "file, {size_bytes} bytes, content <code>{}</code>",
                esc(&short_ref(&content.to_string()))
            ),
            VersionState::Directory { entries, .. } => format!(
                "directory, {} entr{}",
                entries.len(),
                if entries.len() == 1 { "y" } else { "ies" }
            ),
        };
        let _ = writeln!(
            out,
            "<li{class}><a href=\"{}\">{}</a>: {what}</li>",
            esc(&format!(
                "/fs/{}?at={}",
                enc_path(path.trim_start_matches('/')),
                enc(time)
            )),
            esc(time)
        );
    }
    out.push_str("</ol>\n</section>\n");
    out
}

/// `sha256-0123456789ab…`.
fn short_ref(r: &str) -> String {
    if r.len() > 19 {
        format!("{}…", &r[..19])
    } else {
        r.to_string()
    }
}

fn listing(open: &OpenStore, path: &str, at: Option<ClaimTime>) -> Result<String, PageError> {
    let entries = open.fs.readdir(path, at).map_err(fs_error)?;
    let mut rows = Vec::new();
    for entry in entries.iter().take(MAX_ENTRIES) {
        let child = if path == "/" {
            format!("/{}", entry.name)
        } else {
            format!("{path}/{}", entry.name)
        };
        let stat = open.fs.stat(&child, at).ok();
        let (kind, suffix) = match entry.kind {
            NodeKind::Directory => ("directory", "/"),
            NodeKind::File => ("file", ""),
        };
        rows.push(vec![
            format!(
                "<a class=\"entry\" href=\"{}\">{}{suffix}</a>",
                esc(&href(&child, at)),
                esc(&entry.name)
            ),
            kind.to_string(),
            match (entry.kind, &stat) {
                (NodeKind::File, Some(s)) => s.size_bytes.to_string(),
                _ => "—".to_string(),
            },
            stat.and_then(|s| s.modified)
                .map_or("—".to_string(), |t| esc(&to_rfc3339(t))),
        ]);
    }
    let mut out = format!(
        "<h2>Directory {} ({} entr{})</h2>\n",
        when(at),
        entries.len(),
        if entries.len() == 1 { "y" } else { "ies" }
    );
    if entries.is_empty() {
        out.push_str("<p class=\"note\">Empty.</p>\n");
    } else {
        out.push_str(&html::table(
            "listing",
            &["name", "kind", "bytes", "last change"],
            &rows,
            &[2],
        ));
    }
    if entries.len() > MAX_ENTRIES {
        let _ = writeln!(
            out,
            "<p class=\"note\">The first {MAX_ENTRIES} of {} entries.</p>",
            entries.len()
        );
    }
    Ok(out)
}

fn file_view(
    open: &OpenStore,
    path: &str,
    at: Option<ClaimTime>,
    stat: &Stat,
) -> Result<String, PageError> {
    let mut out = format!("<h2>File {}</h2>\n<dl class=\"facts\">\n", when(at));
    let content = stat.content.map(|c| c.to_string()).unwrap_or_default();
    for (name, value) in [
        ("bytes", stat.size_bytes.to_string()),
        ("mode", format!("{:o}", stat.mode)),
        (
            "last change",
            stat.modified.map_or("—".to_string(), to_rfc3339),
        ),
        ("content", content),
        ("permanode", stat.permanode.to_string()),
    ] {
        let _ = writeln!(out, "<dt>{name}</dt><dd>{}</dd>", esc(&value));
    }
    out.push_str("</dl>\n");
    let _ = writeln!(
        out,
        "<p><a id=\"download\" href=\"{}\">download</a></p>",
        esc(&format!(
            "{}{}download=1",
            href(path, at),
            if at.is_some() { '&' } else { '?' }
        ))
    );
    let head = open
        .fs
        .read_range(path, 0, PREVIEW_BYTES, at)
        .map_err(fs_error)?;
    let shown = if stat.size_bytes > PREVIEW_BYTES {
        format!(" (the first {PREVIEW_BYTES} of {} bytes)", stat.size_bytes)
    } else {
        String::new()
    };
    match text_prefix(&head) {
        Some(text) => {
            let _ = writeln!(
                out,
                "<h3>Contents{shown}</h3>\n<pre class=\"content\" id=\"content\">{}</pre>",
                esc(text)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "<h3>Not text: the first {} bytes in hex</h3>\n<pre class=\"content\" id=\"content\">{}</pre>",
                head.len().min(HEX_BYTES),
                hex_dump(&head[..head.len().min(HEX_BYTES)])
            );
        }
    }
    Ok(out)
}

/// `bytes` as text when they are UTF-8 (a character cut at the end of a
/// preview is dropped) without control characters other than whitespace.
fn text_prefix(bytes: &[u8]) -> Option<&str> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    let binary = text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    (!binary).then_some(text)
}

/// 16 bytes a line: offset, hex.
fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, line) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:08x} ", i * 16);
        for b in line {
            let _ = write!(out, " {b:02x}");
        }
        out.push('\n');
    }
    out
}

/// The file's bytes at `at`, streamed a chunk at a time.
async fn download_file(
    state: Arc<AppState>,
    path: String,
    at: Option<ClaimTime>,
) -> Result<Response, PageError> {
    let (open, stat) = {
        let state = Arc::clone(&state);
        let path = path.clone();
        tokio::task::spawn_blocking(move || {
            let store = state
                .store
                .as_ref()
                .ok_or_else(|| PageError::not_found("no store"))?;
            let open = store.open()?;
            let stat = open.fs.stat(&path, at).map_err(fs_error)?;
            Ok::<_, PageError>((open, stat))
        })
        .await
        .map_err(|e| PageError::internal(format!("the download failed: {e}")))??
    };
    if stat.kind == NodeKind::Directory {
        return Err(PageError::bad_request(format!(
            "download: {path} is a directory {}",
            when(at)
        )));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let size = stat.size_bytes;
    let reading = path.clone();
    tokio::task::spawn_blocking(move || {
        let mut offset = 0u64;
        while offset < size {
            let chunk = match open
                .fs
                .read_range(&reading, offset, DOWNLOAD_CHUNK_BYTES, at)
            {
                Ok(chunk) if chunk.is_empty() => break,
                Ok(chunk) => chunk,
                Err(e) => {
                    let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
                    break;
                }
            };
            offset += chunk.len() as u64;
            if tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                break; // the client went away
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let name = download_name(path.rsplit('/').next().unwrap_or("file"));
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_shown_as_text_and_the_rest_as_hex() {
        assert_eq!(text_prefix(b"hello\nworld\t!"), Some("hello\nworld\t!"));
        // A character cut by the preview's end is dropped.
        assert_eq!(text_prefix("né".as_bytes().split_at(2).0), Some("n"));
        assert_eq!(text_prefix(b"\x00\x01binary"), None);
        assert_eq!(text_prefix(&[0xff, 0xfe, b'a']), None);
        assert_eq!(hex_dump(&[0, 255, 16]), "00000000  00 ff 10\n");
    }
}
