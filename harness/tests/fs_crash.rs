//! Crash safety of a store on disk: `strata fs put` (and `import`, its
//! other name) killed with SIGKILL at a random moment, round after round.
//! After each kill the store must reopen with `strata fs verify` clean (no
//! claim without the blobs it names, the index equal to the one the blobs
//! imply), every file must be at its old version, its new one, or absent if
//! it is new (never partly written), and running the put again must finish
//! the mirror. The store commits in small batches (`claim_flush_bytes`
//! 16 KiB in its config.json) so that a kill can land between batches of
//! one put, not only before or after it.
//!
//! The short test runs a few rounds; `kill_rounds_long` (ignored; run with
//! `cargo test --release -p strata --test fs_crash -- --ignored`) runs
//! `STRATA_KILL_ROUNDS` rounds (default 100) and prints the counts. The
//! seed (`STRATA_KILL_SEED`, default 18) fixes the trees and the kill
//! delays; when the kill lands depends on the machine's speed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::kill::{self, assert_verifies, Rng};
use common::strata_fs_ok as ok;
use common::trees::{assert_old_or_new, read_tree, write_tree, Tree};

fn content(rng: &mut Rng) -> Vec<u8> {
    let len = if rng.below(0..10) == 0 {
        rng.below(40_000..150_000)
    } else {
        rng.below(0..4_000)
    };
    (0..len).map(|_| rng.next() as u8).collect()
}

fn first_tree(rng: &mut Rng, files: usize) -> Tree {
    (0..files)
        .map(|i| {
            let path = format!("d{}/e{}/f{i}", rng.below(0..6), rng.below(0..3));
            (path, content(rng))
        })
        .collect()
}

/// A fifth of the files rewritten, a tenth removed, a few added.
fn next_tree(rng: &mut Rng, tree: &Tree, round: usize) -> Tree {
    let mut next = Tree::new();
    for (path, data) in tree {
        match rng.below(0..10) {
            0 => {}
            1 | 2 => {
                next.insert(path.clone(), content(rng));
            }
            _ => {
                next.insert(path.clone(), data.clone());
            }
        }
    }
    for i in 0..rng.below(1..8) {
        let path = format!("d{}/new{round}-{i}", rng.below(0..6));
        next.insert(path, content(rng));
    }
    next
}

fn exported(store: &Path, out: &Path, seed: u64) -> Tree {
    if out.exists() {
        std::fs::remove_dir_all(out).expect("clear export");
    }
    let out_text = out.to_str().expect("utf8 path");
    ok(store, &["export", "/data", out_text], seed);
    if out.exists() {
        read_tree(out)
    } else {
        Tree::new()
    }
}

/// What the kill rounds saw.
#[derive(Debug, Default)]
struct Counts {
    rounds: usize,
    killed_mid_put: usize,
    finished_before_kill: usize,
    partial_states: usize,
}

fn kill_rounds(seed: u64, rounds: usize, files: usize) -> Counts {
    eprintln!("kill rounds: seed {seed}, {rounds} rounds, {files} files");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let src = dir.path().join("src");
    let out = dir.path().join("out");
    let src_text = src.to_str().expect("utf8 path").to_string();
    ok(&store, &["init"], seed);
    let config = store.join("config.json");
    let text = std::fs::read_to_string(&config).expect("config");
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("json");
    json["claim_flush_bytes"] = serde_json::json!(16 << 10);
    std::fs::write(&config, json.to_string()).expect("config");

    let mut committed = first_tree(&mut rng, files);
    write_tree(&src, &committed);
    let start = Instant::now();
    ok(&store, &["put", &src_text, "/data"], seed);
    let mut full = start.elapsed();
    let mut counts = Counts::default();
    for round in 0..rounds {
        let target = next_tree(&mut rng, &committed, round);
        write_tree(&src, &target);
        let command = if round % 2 == 0 { "put" } else { "import" };
        let delay = full.mul_f64(1.2 * rng.fraction());
        let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
            .arg("fs")
            .arg("--store")
            .arg(&store)
            .args([command, &src_text, "/data"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn put");
        std::thread::sleep(delay);
        let finished = child.try_wait().expect("try_wait").is_some();
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        counts.rounds += 1;
        if finished {
            counts.finished_before_kill += 1;
        } else {
            counts.killed_mid_put += 1;
        }

        assert_verifies(
            &store,
            seed,
            &format!("seed {seed} round {round} ({command} killed after {delay:?})"),
        );
        let seen = exported(&store, &out, seed);
        assert_old_or_new(
            &seen,
            &committed,
            &target,
            &format!("seed {seed} round {round}"),
        );
        if seen != committed && seen != target {
            counts.partial_states += 1;
        }

        let start = Instant::now();
        ok(&store, &[command, &src_text, "/data"], seed);
        full = start.elapsed().max(Duration::from_millis(1));
        assert_eq!(
            exported(&store, &out, seed),
            target,
            "seed {seed} round {round}: the put run again did not finish the mirror"
        );
        committed = target;
    }
    assert_verifies(&store, seed, &format!("seed {seed}"));
    eprintln!("kill rounds: seed {seed}: {counts:?}");
    counts
}

#[test]
fn put_and_import_killed_at_random_moments_leave_a_verifiable_store() {
    let counts = kill_rounds(kill::seed(), 6, 150);
    assert_eq!(counts.rounds, 6);
}

#[test]
#[ignore = "long: 100 rounds by default; run with --release -- --ignored"]
fn kill_rounds_long() {
    let rounds = kill::long_rounds();
    let counts = kill_rounds(kill::seed(), rounds, 200);
    assert_eq!(counts.rounds, rounds);
    assert!(
        counts.killed_mid_put > 0,
        "no kill landed during a put: {counts:?}"
    );
}
