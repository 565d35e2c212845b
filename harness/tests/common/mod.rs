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

/// Runs `strata bench --no-plot` in `dir` with its database in `dir/db`
/// and its CSV in `dir/out.csv`, plus `args`; asserts it succeeded and
/// returns its stdout and the CSV's rows as `T`. (Not every test crate
/// that shares this module runs benches.)
#[allow(dead_code)]
pub fn bench_rows<T: serde::de::DeserializeOwned>(dir: &Path, args: &[&str]) -> (String, Vec<T>) {
    let db_arg = format!("--db={}", dir.join("db").display());
    let out = dir.join("out.csv");
    let out_arg = format!("--out={}", out.display());
    let mut argv = vec!["bench", "--no-plot", db_arg.as_str(), out_arg.as_str()];
    argv.extend_from_slice(args);
    let output = strata(dir, &argv);
    assert!(
        output.status.success(),
        "strata {argv:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = csv::Reader::from_path(&out)
        .expect("results")
        .deserialize::<T>()
        .map(|r| r.expect("row deserialises"))
        .collect();
    (String::from_utf8(output.stdout).expect("utf8"), rows)
}

/// Runs `strata fs --store STORE` with `args` and waits for it.
#[allow(dead_code)]
pub fn strata_fs(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("fs")
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .expect("run strata")
}

/// [`strata_fs`], asserting that it succeeded (naming `seed` if not);
/// returns its stdout.
#[allow(dead_code)]
pub fn strata_fs_ok(store: &Path, args: &[&str], seed: u64) -> String {
    let out = strata_fs(store, args);
    assert!(
        out.status.success(),
        "seed {seed}: strata fs {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8 stdout")
}

/// The kill-round crash tests' generator, seed and verify check.
#[allow(dead_code)]
pub mod kill;

/// Whether FUSE can mount here, and starting `strata fs mount`.
#[cfg(feature = "fuse")]
#[allow(dead_code)]
pub mod fuse;

/// Trees of files and the old-or-new check, one file shared with
/// strata-blobfs's tests/put_cut.rs.
#[path = "../../../engines/blobfs/tests/trees/mod.rs"]
pub mod trees;
