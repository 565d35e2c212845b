//! The error type of blobfs: engine errors plus the filesystem's own.

use std::fmt;

/// What went wrong in a blobfs operation.
///
/// Stored bytes that fail a check (a blob whose hash does not match its
/// ref, an index entry that does not decode) arrive as
/// `Engine(strata_api::Error::Corruption { .. })`.
#[non_exhaustive]
#[derive(Debug)]
pub enum FsError {
    /// An error from the engine below, or corruption of stored bytes.
    Engine(strata_api::Error),
    /// A path, blob or store that does not exist (at the requested time).
    NotFound(String),
    /// A time that cannot be parsed, is out of range, or would make a
    /// permanode's claims go backwards.
    BadTime(String),
    /// The caller asked for something malformed (a bad path, bad option).
    Usage(String),
    /// The target of a create already exists.
    AlreadyExists(String),
    /// A directory was needed but the path is a file.
    NotADirectory(String),
    /// A file was needed but the path is a directory.
    IsADirectory(String),
    /// `rmdir` (or a rename over a directory) met a non-empty directory.
    DirectoryNotEmpty(String),
    /// The store was written in a format this build does not read.
    UnsupportedFormat {
        /// The store's format.
        found: u32,
        /// The format this build reads and writes.
        supported: u32,
    },
}

/// Shorthand for `std::result::Result<T, FsError>`.
pub type Result<T> = std::result::Result<T, FsError>;

impl FsError {
    /// True when the error is corruption of stored bytes.
    pub fn is_corruption(&self) -> bool {
        matches!(self, FsError::Engine(e) if e.is_corruption())
    }

    /// A [`strata_api::Error::Corruption`] about the object `what` (for a
    /// blob, its ref), wrapped.
    pub fn corruption(what: impl Into<String>, reason: impl Into<String>) -> Self {
        FsError::Engine(strata_api::Error::corruption(what, 0, reason))
    }

    /// An I/O error on a local path, wrapped.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        FsError::Engine(strata_api::Error::io(path, source))
    }
}

impl From<strata_api::Error> for FsError {
    fn from(e: strata_api::Error) -> Self {
        FsError::Engine(e)
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsError::Engine(e) => write!(f, "{e}"),
            FsError::NotFound(m) => write!(f, "not found: {m}"),
            FsError::BadTime(m) => write!(f, "bad time: {m}"),
            FsError::Usage(m) => write!(f, "bad usage: {m}"),
            FsError::AlreadyExists(m) => write!(f, "already exists: {m}"),
            FsError::NotADirectory(m) => write!(f, "not a directory: {m}"),
            FsError::IsADirectory(m) => write!(f, "is a directory: {m}"),
            FsError::DirectoryNotEmpty(m) => write!(f, "directory not empty: {m}"),
            FsError::UnsupportedFormat { found, supported } => write!(
                f,
                "unsupported store format {found}: this build reads format {supported} \
                 (upgrade a format-1 store with `strata fs upgrade`)"
            ),
        }
    }
}

impl std::error::Error for FsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FsError::Engine(e) => Some(e),
            _ => None,
        }
    }
}
