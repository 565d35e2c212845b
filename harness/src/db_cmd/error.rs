//! How a `strata db` command fails: what went wrong, with the key, file or
//! directory it concerns as a field, and the exit status it ends with
//! ([`crate::error::EXIT_USAGE`] for bad usage, [`crate::error::EXIT_FAILED`]
//! for everything else).

use crate::error::{EXIT_FAILED, EXIT_USAGE};
use std::fmt;
use std::path::PathBuf;

/// Why a `0x`-prefixed argument does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HexProblem {
    /// No `0x` (or `0X`) prefix.
    NoPrefix,
    /// An odd number of digits after the prefix.
    OddDigits,
    /// A character that is not a hex digit.
    NotHex,
}

/// A key or value argument that is not valid hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHex {
    /// What the argument is (`key`, `value`, `--from`, `--to`).
    pub what: &'static str,
    /// The argument as given.
    pub text: String,
    /// What is wrong with it.
    pub problem: HexProblem,
}

impl fmt::Display for BadHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let BadHex { what, text, .. } = self;
        match self.problem {
            HexProblem::NoPrefix => write!(f, "{what} '{text}' is not 0x-prefixed hex"),
            HexProblem::OddDigits => write!(f, "{what} '{text}' has an odd number of hex digits"),
            HexProblem::NotHex => write!(f, "{what} '{text}' is not valid hex"),
        }
    }
}

/// Why a line of a `load` file is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// No ` ==> ` between the key and the value.
    NoDelimiter,
    /// Under `--hex`, a side that is not UTF-8 (so not hex text).
    NotUtf8 {
        /// `key` or `value`.
        what: &'static str,
    },
    /// Under `--hex`, a `0x`-prefixed side that does not decode.
    Hex(BadHex),
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineProblem::NoDelimiter => write!(f, "no ' ==> ' between key and value"),
            LineProblem::NotUtf8 { what } => write!(f, "{what} is not 0x-prefixed hex"),
            LineProblem::Hex(bad) => write!(f, "{bad}"),
        }
    }
}

/// Why a `strata db` command failed.
#[derive(Debug)]
pub enum DbError {
    /// `--engine` is not a valid engine spec (exit 2).
    BadSpec {
        /// The spec as given.
        spec: String,
        /// Why it does not parse.
        source: strata_api::Error,
    },
    /// A key or value argument is not valid hex (exit 2).
    BadHex(BadHex),
    /// `dump` was given a file it does not recognise by name (exit 2).
    NotDumpable {
        /// The file.
        path: PathBuf,
    },
    /// The directory holds no database, and the command never creates one
    /// (exit 1).
    NoDatabase {
        /// The `--db` directory.
        dir: PathBuf,
    },
    /// The engine refused to open the database: exit 2 when it rejects
    /// the spec's options ([`strata_api::Error::InvalidArgument`]), else 1.
    Open {
        /// The `--db` directory.
        dir: PathBuf,
        /// The engine's error.
        source: strata_api::Error,
    },
    /// The read-only open (`scan`, `get`, `stats`) failed (exit 1, whatever
    /// the engine's error).
    OpenReadOnly {
        /// The `--db` directory.
        dir: PathBuf,
        /// The engine's error.
        source: strata_api::Error,
    },
    /// `get` of a key that is absent (exit 1).
    KeyNotFound {
        /// The key's bytes.
        key: Vec<u8>,
    },
    /// `stats` on an engine without a `leveldb.stats` property (exit 1).
    NoStats {
        /// The engine spec, canonical.
        engine: String,
    },
    /// The `load` file could not be read (exit 1).
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A line of the `load` file is malformed; nothing was written (exit 1).
    BadLine {
        /// The file.
        path: PathBuf,
        /// The line's number, from 1.
        line: usize,
        /// What is wrong with it.
        problem: LineProblem,
    },
    /// The engine (or a file reader) failed while working: corrupt data
    /// names the file and byte offset (exit 1).
    Engine(strata_api::Error),
    /// The output could not be written, for example stdout closed (exit 1).
    Output(std::io::Error),
}

impl DbError {
    /// The exit status this error ends the process with.
    pub fn exit_status(&self) -> u8 {
        match self {
            DbError::BadSpec { .. } | DbError::BadHex(_) | DbError::NotDumpable { .. } => {
                EXIT_USAGE
            }
            DbError::Open {
                source: strata_api::Error::InvalidArgument(_),
                ..
            } => EXIT_USAGE,
            _ => EXIT_FAILED,
        }
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::BadSpec { spec, source } => write!(f, "bad engine spec '{spec}': {source}"),
            DbError::BadHex(bad) => write!(f, "{bad}"),
            DbError::NotDumpable { path } => write!(
                f,
                "{}: not a .log, .ldb, .sst or MANIFEST-* file",
                path.display()
            ),
            DbError::NoDatabase { dir } => write!(f, "no database at {}", dir.display()),
            DbError::Open { dir, source } | DbError::OpenReadOnly { dir, source } => {
                write!(f, "cannot open {}: {source}", dir.display())
            }
            DbError::KeyNotFound { key } => {
                write!(f, "key '{}' not found", super::bytes::escape(key))
            }
            DbError::NoStats { engine } => {
                write!(f, "engine {engine} does not report leveldb.stats")
            }
            DbError::Read { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            DbError::BadLine {
                path,
                line,
                problem,
            } => write!(f, "{}:{line}: {problem}", path.display()),
            DbError::Engine(e) => write!(f, "{e}"),
            DbError::Output(e) => write!(f, "cannot write output: {e}"),
        }
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DbError::BadSpec { source, .. }
            | DbError::Open { source, .. }
            | DbError::OpenReadOnly { source, .. } => Some(source),
            DbError::Read { source, .. } | DbError::Output(source) => Some(source),
            DbError::Engine(e) => Some(e),
            _ => None,
        }
    }
}

impl From<strata_api::Error> for DbError {
    /// Engine and reader errors met while working are failures (exit 1);
    /// opening maps its own errors to [`DbError::Open`] before this applies.
    fn from(e: strata_api::Error) -> Self {
        DbError::Engine(e)
    }
}

impl From<std::io::Error> for DbError {
    /// Writing the output failed.
    fn from(e: std::io::Error) -> Self {
        DbError::Output(e)
    }
}

impl From<BadHex> for DbError {
    fn from(bad: BadHex) -> Self {
        DbError::BadHex(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_exit_2_and_failures_1() {
        let hex = DbError::from(BadHex {
            what: "key",
            text: "0x6".into(),
            problem: HexProblem::OddDigits,
        });
        assert_eq!(hex.to_string(), "key '0x6' has an odd number of hex digits");
        assert_eq!(hex.exit_status(), EXIT_USAGE);
        let rejected = DbError::Open {
            dir: "/d".into(),
            source: strata_api::Error::InvalidArgument("no option x".into()),
        };
        assert_eq!(rejected.exit_status(), EXIT_USAGE);
        let inspected = DbError::OpenReadOnly {
            dir: "/d".into(),
            source: strata_api::Error::InvalidArgument("no option x".into()),
        };
        assert_eq!(inspected.exit_status(), EXIT_FAILED);
        let missing = DbError::NoDatabase { dir: "/d".into() };
        assert_eq!(missing.to_string(), "no database at /d");
        assert_eq!(missing.exit_status(), EXIT_FAILED);
        let absent = DbError::KeyNotFound {
            key: b"a\x01".to_vec(),
        };
        assert_eq!(absent.to_string(), "key 'a\\x01' not found");
        let line = DbError::BadLine {
            path: "pairs.txt".into(),
            line: 2,
            problem: LineProblem::NoDelimiter,
        };
        assert_eq!(
            line.to_string(),
            "pairs.txt:2: no ' ==> ' between key and value"
        );
        assert_eq!(line.exit_status(), EXIT_FAILED);
    }
}
