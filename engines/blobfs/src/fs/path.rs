//! Paths: `/`-separated names from the root.

use crate::error::{FsError, Result};

/// The names of `path` from the root (`/` and `` give none). Empty
/// components (`a//b`, a trailing `/`) are skipped.
///
/// # Errors
/// `Usage` for a `.` or `..` component or a NUL byte.
pub fn components(path: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for name in path.split('/').filter(|c| !c.is_empty()) {
        if name == "." || name == ".." || name.contains('\0') {
            return Err(FsError::Usage(format!(
                "path '{path}' has a '.', '..' or NUL component"
            )));
        }
        out.push(name.to_string());
    }
    Ok(out)
}

/// The canonical text of `names`: `/a/b`, or `/` for none.
pub fn join(names: &[String]) -> String {
    if names.is_empty() {
        "/".to_string()
    } else {
        names.iter().fold(String::new(), |acc, n| acc + "/" + n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_joins() {
        assert!(components("/").expect("root").is_empty());
        assert_eq!(components("a//b/").expect("ok"), vec!["a", "b"]);
        assert_eq!(join(&components("/x/y").expect("ok")), "/x/y");
        assert_eq!(join(&[]), "/");
        assert!(matches!(components("/a/../b"), Err(FsError::Usage(_))));
        assert!(components("a\0b").is_err());
    }
}
