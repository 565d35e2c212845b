//! The harness's errors: what failed, with the flag or the path it concerns
//! as a field. Every command prints one as `strata <command>: <error>` on
//! one line and exits with [`HarnessError::exit_code`]: 2 for bad usage
//! (a flag, an argument), 1 for a run or file that failed.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status of a failed run or file operation.
pub const EXIT_FAILED: u8 = 1;
/// Exit status of bad usage: a flag or argument that does not make a run.
pub const EXIT_USAGE: u8 = 2;

/// Why a `strata` command failed.
#[derive(Debug)]
pub enum HarnessError {
    /// A flag's value does not make a run (exit 2).
    Flag {
        /// The flag as written on the command line (`--num`).
        flag: String,
        /// Why, on one line.
        reason: String,
    },
    /// A file or directory could not be read, written or created (exit 1).
    Io {
        /// What was being done (`create`, `read`, `write`, `remove`).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A CSV file could not be read or written (exit 1).
    Csv {
        /// The file.
        path: PathBuf,
        /// The csv crate's error (it names the line).
        source: csv::Error,
    },
    /// A file was read but its content is not what it must be (exit 1).
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the line or field where known.
        reason: String,
    },
    /// A chart could not be drawn (exit 1).
    Chart {
        /// The chart file.
        path: PathBuf,
        /// The drawing backend's error.
        reason: String,
    },
    /// An engine failed (exit 1).
    Engine {
        /// The engine spec, canonical.
        engine: String,
        /// The engine's error.
        source: strata_api::Error,
    },
    /// A benchmark run failed (exit 1).
    Run {
        /// The engine spec the run was on.
        engine: String,
        /// The workload's error (it names the benchmark).
        source: strata_workloads::RunError,
    },
}

impl HarnessError {
    /// A bad flag value.
    pub fn flag(flag: impl Into<String>, reason: impl fmt::Display) -> Self {
        HarnessError::Flag {
            flag: flag.into(),
            reason: reason.to_string(),
        }
    }

    /// A failed file operation on `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HarnessError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// A CSV error on `path`.
    pub fn csv(path: impl Into<PathBuf>, source: csv::Error) -> Self {
        HarnessError::Csv {
            path: path.into(),
            source,
        }
    }

    /// A file whose content is wrong.
    pub fn input(path: impl Into<PathBuf>, reason: impl fmt::Display) -> Self {
        HarnessError::Input {
            path: path.into(),
            reason: reason.to_string(),
        }
    }

    /// A chart that could not be drawn.
    pub fn chart(path: impl Into<PathBuf>, reason: impl fmt::Display) -> Self {
        HarnessError::Chart {
            path: path.into(),
            reason: reason.to_string(),
        }
    }

    /// The exit status this error ends the process with.
    pub fn exit_status(&self) -> u8 {
        match self {
            HarnessError::Flag { .. } => EXIT_USAGE,
            _ => EXIT_FAILED,
        }
    }

    /// The process exit code of this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit_status())
    }

    /// Prints `strata <command>: <self>` on one line of stderr and returns
    /// the exit code.
    pub fn report(&self, command: &str) -> ExitCode {
        eprintln!("strata {command}: {}", one_line(&self.to_string()));
        self.exit_code()
    }
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::Flag { flag, reason } => write!(f, "{flag}: {reason}"),
            HarnessError::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            HarnessError::Csv { path, source } => write!(f, "{}: {source}", path.display()),
            HarnessError::Input { path, reason } => write!(f, "{}: {reason}", path.display()),
            HarnessError::Chart { path, reason } => {
                write!(f, "cannot draw {}: {reason}", path.display())
            }
            HarnessError::Engine { engine, source } => write!(f, "{engine}: {source}"),
            HarnessError::Run { engine, source } => write!(f, "{engine}: {source}"),
        }
    }
}

impl std::error::Error for HarnessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HarnessError::Io { source, .. } => Some(source),
            HarnessError::Csv { source, .. } => Some(source),
            HarnessError::Engine { source, .. } => Some(source),
            HarnessError::Run { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Folds a message onto one line, so stderr stays one line per failure.
pub fn one_line(message: &str) -> String {
    if message.contains('\n') {
        message.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        message.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_usage_and_everything_else_a_failure() {
        let flag = HarnessError::flag("--num", "must be positive, got 0");
        assert_eq!(flag.to_string(), "--num: must be positive, got 0");
        assert_eq!(flag.exit_status(), EXIT_USAGE);
        let io = HarnessError::io(
            "create",
            "/x/y.csv",
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert!(
            io.to_string().starts_with("cannot create /x/y.csv: "),
            "{io}"
        );
        assert_eq!(io.exit_status(), EXIT_FAILED);
        let input = HarnessError::input("a.csv", "line 3: no column 'engine_spec'");
        assert_eq!(input.to_string(), "a.csv: line 3: no column 'engine_spec'");
        assert_eq!(one_line("a\n  b\nc"), "a b c");
    }
}
