//! The page shell every route shares (title, navigation, the one style
//! sheet and script, both served by the server itself: nothing is fetched
//! from elsewhere, so pages work offline), and the escaping every page
//! uses for text and URLs.

use axum::response::{Html, IntoResponse, Response};
use std::fmt::Write as _;

/// The style sheet, served at `/static/style.css`.
pub const STYLE_CSS: &str = include_str!("assets/style.css");
/// The script (the fs view's slider, the live page's events), served at
/// `/static/app.js`.
pub const APP_JS: &str = include_str!("assets/app.js");

/// Which navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// `/` and `/runs/…`.
    Runs,
    /// `/compare`.
    Compare,
    /// `/live`.
    Live,
    /// `/fs/…`.
    Files,
}

/// What the navigation offers (the files entry only with a store).
#[derive(Debug, Clone, Copy, Default)]
pub struct Shell {
    /// A blobfs store was given (`--store`).
    pub has_store: bool,
}

/// A whole page: `body` (HTML) under the navigation.
pub fn page(title: &str, nav: Nav, shell: Shell, body: &str) -> Response {
    let mut links = vec![
        (Nav::Runs, "/", "Runs"),
        (Nav::Compare, "/compare", "Compare"),
        (Nav::Live, "/live", "Live"),
    ];
    if shell.has_store {
        links.push((Nav::Files, "/fs/", "Files"));
    }
    let mut menu = String::new();
    for (entry, href, label) in links {
        let class = if entry == nav {
            " class=\"active\""
        } else {
            ""
        };
        let _ = write!(menu, "<a href=\"{href}\"{class}>{label}</a>");
    }
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · strata</title>\n<link rel=\"icon\" href=\"data:,\">\n\
         <link rel=\"stylesheet\" href=\"/static/style.css\">\n\
         <script src=\"/static/app.js\" defer></script>\n</head>\n<body>\n\
         <nav><span class=\"brand\">strata</span>{menu}</nav>\n<main>\n<h1>{}</h1>\n{body}</main>\n\
         </body>\n</html>\n",
        esc(title),
        esc(title)
    ))
    .into_response()
}

/// `text` escaped for HTML element content and attribute values.
pub(crate) use crate::plot::index_page::esc;

/// `text` percent-encoded as one URL component (a query value, a path
/// segment): everything but RFC 3986's unreserved characters.
pub fn enc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A `/`-separated path with each segment percent-encoded.
pub fn enc_path(path: &str) -> String {
    path.split('/').map(enc).collect::<Vec<_>>().join("/")
}

/// An HTML table: `headers`, then `rows` of cells already in HTML; cells
/// of the columns in `numeric` are right-aligned.
pub fn table(class: &str, headers: &[&str], rows: &[Vec<String>], numeric: &[usize]) -> String {
    let mut out = format!("<table class=\"{}\">\n<thead><tr>", esc(class));
    for h in headers {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if numeric.contains(&i) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(out, "<td{class}>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_encoding() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(enc("lsm:a=1,b=2 @ r"), "lsm%3Aa%3D1%2Cb%3D2%20%40%20r");
        assert_eq!(
            enc("2024-01-01T00:00:00+02:00"),
            "2024-01-01T00%3A00%3A00%2B02%3A00"
        );
        assert_eq!(enc_path("docs/a b/#1"), "docs/a%20b/%231");
    }

    #[test]
    fn tables_mark_numeric_columns() {
        let t = table("t", &["a", "b"], &[vec!["x".into(), "1".into()]], &[1]);
        assert!(t.contains("<td>x</td><td class=\"num\">1</td>"), "{t}");
    }
}
