//! The one error type of every engine.

use std::fmt;

/// What went wrong in an engine operation.
///
/// Operating errors (bad bytes on disk, a full disk, a bad argument) are
/// values of this type; programmer errors panic.
#[non_exhaustive]
#[derive(Debug)]
pub enum Error {
    /// Stored bytes failed a check: a checksum, a length, a magic number.
    Corruption {
        /// The file in which the bad bytes were found.
        file: String,
        /// Byte offset in `file` of the record or block that failed.
        offset_bytes: u64,
        /// What check failed.
        reason: String,
    },
    /// The operating system refused a file operation.
    Io {
        /// The path the operation was on.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The caller passed something the engine cannot accept.
    InvalidArgument(String),
    /// The database (or another named object) does not exist.
    NotFound(String),
    /// The engine is in a state where it cannot serve the call (for example
    /// after a background error made it read-only).
    Unavailable(String),
}

/// Shorthand for `std::result::Result<T, Error>`.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A [`Error::Corruption`] in `file` at `offset_bytes`.
    pub fn corruption(
        file: impl Into<String>,
        offset_bytes: u64,
        reason: impl Into<String>,
    ) -> Self {
        Error::Corruption {
            file: file.into(),
            offset_bytes,
            reason: reason.into(),
        }
    }

    /// An [`Error::Io`] on `path`.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// True for [`Error::Corruption`].
    pub fn is_corruption(&self) -> bool {
        matches!(self, Error::Corruption { .. })
    }

    /// True when the error is the operating system's "no space left on device".
    pub fn is_no_space(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.raw_os_error() == Some(libc::ENOSPC))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Corruption {
                file,
                offset_bytes,
                reason,
            } => write!(f, "corruption in {file} at offset {offset_bytes}: {reason}"),
            Error::Io { path, source } => write!(f, "I/O error on {path}: {source}"),
            Error::InvalidArgument(msg) => write!(f, "invalid argument: {msg}"),
            Error::NotFound(msg) => write!(f, "not found: {msg}"),
            Error::Unavailable(msg) => write!(f, "unavailable: {msg}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Clone for Error {
    fn clone(&self) -> Self {
        match self {
            Error::Corruption {
                file,
                offset_bytes,
                reason,
            } => Error::corruption(file.clone(), *offset_bytes, reason.clone()),
            Error::Io { path, source } => Error::Io {
                path: path.clone(),
                source: match source.raw_os_error() {
                    Some(code) => std::io::Error::from_raw_os_error(code),
                    None => std::io::Error::new(source.kind(), source.to_string()),
                },
            },
            Error::InvalidArgument(m) => Error::InvalidArgument(m.clone()),
            Error::NotFound(m) => Error::NotFound(m.clone()),
            Error::Unavailable(m) => Error::Unavailable(m.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corruption_names_file_and_offset() {
        let e = Error::corruption("000005.ldb", 4096, "block checksum mismatch");
        assert_eq!(
            e.to_string(),
            "corruption in 000005.ldb at offset 4096: block checksum mismatch"
        );
        assert!(e.is_corruption());
    }

    #[test]
    fn no_space_is_recognised_and_survives_clone() {
        let e = Error::io("x", std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert!(e.is_no_space());
        assert!(e.clone().is_no_space());
    }
}
