//! Replays the committed corpus of every fuzz target (`fuzz/corpus/<target>/`)
//! through the same functions libFuzzer runs: a regression test that fails
//! if any input that once passed now panics or breaks a round trip. Also
//! checks that the seeds made by today's encoders pass, and that every
//! target has its libFuzzer entry point and a non-empty corpus.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;
use strata_fuzz_targets::{seeds, target, TargetFn, TARGETS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The first bytes of `data` in hex, to name a failing input in the log.
fn hex_prefix(data: &[u8]) -> String {
    let shown: String = data.iter().take(64).map(|b| format!("{b:02x}")).collect();
    if data.len() > 64 {
        format!("{shown}... ({} bytes)", data.len())
    } else {
        shown
    }
}

/// Runs `f` on `data`; the panic message if it panicked.
fn run_one(f: TargetFn, data: &[u8]) -> Option<String> {
    catch_unwind(AssertUnwindSafe(|| f(data))).err().map(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "non-text panic".to_string())
    })
}

#[test]
fn every_committed_corpus_input_passes_its_target() {
    let mut failures = Vec::new();
    for (name, f) in TARGETS {
        let dir = fuzz_dir().join("corpus").join(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus folder {} is missing: {e}", dir.display()))
            .map(|entry| entry.expect("corpus entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "corpus of {name} is empty");
        let started = Instant::now();
        let mut bytes = 0usize;
        for path in &files {
            let data = std::fs::read(path).expect("read a corpus file");
            bytes += data.len();
            if let Some(msg) = run_one(*f, &data) {
                failures.push(format!(
                    "{name}: {} ({}): {msg}",
                    path.display(),
                    hex_prefix(&data)
                ));
            }
        }
        println!(
            "{name}: {} inputs, {bytes} bytes, {:.2} s",
            files.len(),
            started.elapsed().as_secs_f64()
        );
    }
    assert!(
        failures.is_empty(),
        "{} corpus inputs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn seeds_from_todays_encoders_pass_their_targets() {
    let seeds = seeds::all();
    for (name, _) in TARGETS {
        assert!(
            seeds.iter().any(|(t, _, _)| t == name),
            "no seed for target {name}"
        );
    }
    for (t, seed_name, data) in &seeds {
        let f = target(t).unwrap_or_else(|| panic!("seed for unknown target {t}"));
        if let Some(msg) = run_one(f, data) {
            panic!("seed {t}/{seed_name} ({}): {msg}", hex_prefix(data));
        }
    }
}

#[test]
fn every_target_has_a_libfuzzer_entry_point() {
    let dir = fuzz_dir().join("fuzz_targets");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("fuzz/fuzz_targets exists")
        .map(|e| {
            e.expect("entry")
                .path()
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "fuzz/fuzz_targets/*.rs vs TARGETS");
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("manifest");
    for name in &listed {
        assert!(
            manifest.contains(&format!("path = \"fuzz_targets/{name}.rs\"")),
            "fuzz/Cargo.toml lacks a [[bin]] for {name}"
        );
    }
}
