//! A short real fuzzing pass for CI: with `STRATA_CI_STRICT=1`, builds the
//! cargo-fuzz project (nightly, optimised, debug assertions and overflow
//! checks, no sanitizer) and runs every target with libFuzzer for a bounded
//! number of inputs, starting from a copy of its committed corpus (the
//! repository is not touched). Fails on any crash, printing the input.
//!
//! Without `STRATA_CI_STRICT=1` it says why it did not run and passes: the
//! committed corpus is still replayed on stable by `tests/corpus.rs`.
//! Knobs: `STRATA_FUZZ_RUNS` (inputs per target, default 300000),
//! `STRATA_FUZZ_SECONDS` (time cap per target, default 10), and
//! `STRATA_FUZZ_SEED` (libFuzzer's `-seed`, default 1).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;
use strata_fuzz_targets::TARGETS;

/// Flags of every build and run: `-O` optimised, `-a` debug assertions and
/// overflow checks, `-s none` no AddressSanitizer (safe Rust; several
/// times faster to build and run). The same as `fuzz/run-all.sh`, so the
/// two share one build.
const BUILD_FLAGS: [&str; 4] = ["-O", "-a", "-s", "none"];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("fuzz/ exists")
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number")),
        Err(_) => default,
    }
}

/// `cargo fuzz ARGS` on the nightly toolchain, in `fuzz/`, without what the
/// outer stable `cargo test` put into the environment.
fn cargo_fuzz(args: &[&str]) -> Command {
    let mut cmd = Command::new("rustup");
    cmd.args(["run", "nightly", "cargo", "fuzz"])
        .args(args)
        .current_dir(fuzz_dir());
    for var in [
        "RUSTUP_TOOLCHAIN",
        "RUSTC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Why cargo-fuzz cannot run here, or `None` if it can.
fn cargo_fuzz_missing() -> Option<String> {
    match cargo_fuzz(&["--version"]).output() {
        Err(e) => Some(format!("rustup cannot be run: {e}")),
        Ok(out) if !out.status.success() => Some(format!(
            "`rustup run nightly cargo fuzz --version` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => None,
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The last `n` lines of `s`.
fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Copies the files of `from` into `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the corpus copy");
    for entry in std::fs::read_dir(from).expect("committed corpus exists") {
        let path = entry.expect("corpus entry").path();
        let name = path.file_name().expect("file name");
        std::fs::copy(&path, to.join(name)).expect("copy a corpus file");
    }
}

/// The crash inputs libFuzzer left in `dir`, in hex (at most 4 KiB each).
fn describe_artifacts(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let data = std::fs::read(entry.path()).unwrap_or_default();
        let hex: String = data.iter().take(4096).map(|b| format!("{b:02x}")).collect();
        out.push_str(&format!(
            "\n{} ({} bytes): {hex}",
            entry.path().display(),
            data.len()
        ));
    }
    out
}

#[test]
fn short_fuzz_of_every_target() {
    let strict = std::env::var("STRATA_CI_STRICT").as_deref() == Ok("1");
    let missing = cargo_fuzz_missing();
    if !strict {
        // Straight to stderr, not through `println!`, which the test
        // harness captures: the reason must show in a passing run.
        let _ = writeln!(
            std::io::stderr(),
            "short fuzz NOT RUN: STRATA_CI_STRICT is not 1 (CI sets it){}; \
             run `STRATA_CI_STRICT=1 cargo test -p strata-fuzz-targets --test short_fuzz` \
             or fuzz/run-all.sh to fuzz for real",
            match &missing {
                Some(why) => format!(", and cargo-fuzz is not available: {why}"),
                None => String::new(),
            }
        );
        return;
    }
    if let Some(why) = missing {
        panic!(
            "STRATA_CI_STRICT=1 but cargo-fuzz cannot run: {why} \
             (install it with `cargo install cargo-fuzz`; needs the nightly toolchain)"
        );
    }
    let runs = env_u64("STRATA_FUZZ_RUNS", 300_000);
    let seconds = env_u64("STRATA_FUZZ_SECONDS", 10);
    let seed = env_u64("STRATA_FUZZ_SEED", 1);
    println!("short fuzz: seed {seed}, at most {runs} inputs or {seconds} s per target");

    let started = Instant::now();
    let out = cargo_fuzz(&[&["build"], &BUILD_FLAGS[..]].concat())
        .output()
        .expect("run cargo fuzz build");
    assert!(
        out.status.success(),
        "cargo fuzz build failed:\n{}",
        tail(&text(&out), 60)
    );
    println!(
        "short fuzz: built in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    let scratch = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    for (name, _) in TARGETS {
        let corpus = scratch.path().join("corpus").join(name);
        copy_dir(&fuzz_dir().join("corpus").join(name), &corpus);
        let artifacts = scratch.path().join("artifacts").join(name);
        std::fs::create_dir_all(&artifacts).expect("artifact folder");
        let t0 = Instant::now();
        let corpus_arg = corpus.to_string_lossy().into_owned();
        let libfuzzer_args = [
            format!("-runs={runs}"),
            format!("-max_total_time={seconds}"),
            format!("-seed={seed}"),
            "-timeout=10".to_string(),
            "-rss_limit_mb=2048".to_string(),
            format!("-artifact_prefix={}/", artifacts.display()),
        ];
        let mut args: Vec<&str> = vec!["run"];
        args.extend(BUILD_FLAGS);
        args.push(name);
        args.push(&corpus_arg);
        args.push("--");
        args.extend(libfuzzer_args.iter().map(String::as_str));
        let out = cargo_fuzz(&args).output().expect("run cargo fuzz run");
        let log = text(&out);
        let done = log
            .lines()
            .rev()
            .find(|l| l.starts_with("Done "))
            .unwrap_or("no final stats line");
        println!(
            "short fuzz: {name}: {done} (wall {:.1} s)",
            t0.elapsed().as_secs_f64()
        );
        if !out.status.success() {
            failures.push(format!(
                "{name} (seed {seed}) failed:\n{}{}",
                tail(&log, 40),
                describe_artifacts(&artifacts)
            ));
        }
    }
    println!(
        "short fuzz: total {:.0} s including the build",
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
