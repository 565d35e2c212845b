//! What the `strata` command-line tests share.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `strata` binary with `args` in `cwd` and waits for it.
pub fn strata(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run strata")
}
