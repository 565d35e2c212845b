//! Which files the server may send: names under one of the folders it was
//! given, checked twice. First the text: relative, and no `.`, `..` or
//! empty component, no backslash, no NUL (a route's path arrives
//! percent-decoded, so `%2e%2e` is `..` here). Then the file: its
//! canonical path (every symlink resolved) must lie under the folder's
//! canonical path, and be a regular file.

use super::error::PageError;
use std::path::{Path, PathBuf};

/// Longest name accepted as one path component.
const MAX_NAME_BYTES: usize = 255;

/// Checks that `text` names something below a folder; returns its
/// components.
///
/// # Errors
/// 400 naming the rule `text` breaks.
pub fn components(text: &str) -> Result<Vec<&str>, PageError> {
    let bad = |why: &str| PageError::bad_request(format!("path '{text}': {why}"));
    if text.starts_with('/') {
        return Err(bad("absolute paths are refused"));
    }
    if text.contains('\\') || text.contains('\0') {
        return Err(bad("backslashes and NUL are refused"));
    }
    let parts: Vec<&str> = text.split('/').collect();
    for part in &parts {
        match *part {
            "" => return Err(bad("empty components are refused")),
            "." | ".." => return Err(bad("'.' and '..' are refused")),
            p if p.len() > MAX_NAME_BYTES => return Err(bad("a component is too long")),
            _ => {}
        }
    }
    Ok(parts)
}

/// Checks that `name` is one plain file name: letters, digits, `.`, `_`,
/// `-`, `+` and `#`, not starting with a dot (run ids, chart stems).
///
/// # Errors
/// 400 naming `what`.
pub fn plain_name(what: &str, name: &str) -> Result<(), PageError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '#'));
    if ok {
        Ok(())
    } else {
        Err(PageError::bad_request(format!(
            "{what} '{name}': not a plain file name"
        )))
    }
}

/// The regular file `text` names under `root`, canonical.
///
/// # Errors
/// 400 for a malformed `text` ([`components`]); 404 when nothing is
/// there or it is not a regular file; 403 when it resolves (through a
/// symlink) outside `root`.
pub fn resolve_file(root: &Path, text: &str) -> Result<PathBuf, PageError> {
    let parts = components(text)?;
    let real = resolve_under(root, &parts, text)?;
    if !real.is_file() {
        return Err(PageError::not_found(format!("{text}: not a file")));
    }
    Ok(real)
}

/// The directory `parts` names under `root`, canonical.
///
/// # Errors
/// As [`resolve_file`], for a directory.
pub fn resolve_dir(root: &Path, parts: &[&str], text: &str) -> Result<PathBuf, PageError> {
    let real = resolve_under(root, parts, text)?;
    if !real.is_dir() {
        return Err(PageError::not_found(format!("{text}: not a folder")));
    }
    Ok(real)
}

fn resolve_under(root: &Path, parts: &[&str], text: &str) -> Result<PathBuf, PageError> {
    let root_real = root
        .canonicalize()
        .map_err(|_| PageError::not_found(format!("{}: no such folder", root.display())))?;
    let joined = parts.iter().fold(root_real.clone(), |p, c| p.join(c));
    let real = joined
        .canonicalize()
        .map_err(|_| PageError::not_found(format!("{text}: no such file")))?;
    if !real.starts_with(&root_real) {
        return Err(PageError::forbidden(format!(
            "{text}: leads outside the served folder"
        )));
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn traversal_text_is_refused() {
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            ".",
            "a\\..\\b",
            "a\0b",
            "",
        ] {
            let e = components(bad).expect_err(bad);
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{bad}");
        }
        assert_eq!(components("a/b.csv").expect("fine"), ["a", "b.csv"]);
        assert!(plain_name("run", "20261204-120000-2e").is_ok());
        assert!(plain_name("run", "..").is_err());
        assert!(plain_name("run", "a/b").is_err());
        assert!(plain_name("run", ".hidden").is_err());
    }

    #[test]
    fn symlinks_out_of_the_folder_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        std::fs::create_dir(&root).expect("mkdir");
        std::fs::write(root.join("in.csv"), "x").expect("write");
        std::fs::write(dir.path().join("secret"), "s").expect("write");
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("out.csv"))
            .expect("symlink");
        std::os::unix::fs::symlink(root.join("in.csv"), root.join("alias.csv")).expect("symlink");
        assert!(resolve_file(&root, "in.csv").is_ok());
        assert!(resolve_file(&root, "alias.csv").is_ok(), "inside: fine");
        let e = resolve_file(&root, "out.csv").expect_err("escapes");
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        let e = resolve_file(&root, "missing.csv").expect_err("missing");
        assert_eq!(e.status, StatusCode::NOT_FOUND);
    }
}
