//! How a `strata db` command fails: a one-line message and an exit status.

use strata_api::Error;

/// Exit status of a failed operation: not found, corrupt data, I/O, a
/// malformed load file, a database that cannot be opened.
pub const EXIT_FAILED: u8 = 1;
/// Exit status of bad usage: a malformed engine spec or option value, bad
/// hex on the command line, a file `dump` cannot recognise by name.
pub const EXIT_USAGE: u8 = 2;

/// A failed command: printed as `strata: <message>` on one line.
#[derive(Debug)]
pub struct Failure {
    /// The process exit status.
    pub code: u8,
    /// What went wrong, on one line.
    pub message: String,
}

impl Failure {
    /// A failed operation (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_FAILED,
            message: one_line(message.into()),
        }
    }

    /// Bad usage (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_USAGE,
            message: one_line(message.into()),
        }
    }
}

impl From<Error> for Failure {
    /// Engine and reader errors met while working are failures (exit 1);
    /// `open` maps its own `InvalidArgument` to usage before this applies.
    fn from(e: Error) -> Self {
        Failure::failed(e.to_string())
    }
}

impl From<std::io::Error> for Failure {
    /// Writing the output failed (for example stdout closed).
    fn from(e: std::io::Error) -> Self {
        Failure::failed(format!("cannot write output: {e}"))
    }
}

/// Folds a message onto one line, so stderr stays one line per failure.
fn one_line(message: String) -> String {
    if message.contains('\n') {
        message.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        message
    }
}
