//! The streaming `verify` and `reindex` (external sorts under a memory
//! budget) give exactly the answer of the in-memory rebuild they replaced
//! (`oracle/`): the same counts, the same problems in the same order, the
//! same index after a repair. Stores are built by random filesystem
//! operations and then tampered with at random (flipped, deleted and
//! duplicated blob copies, forged claims, altered, deleted and invented
//! index entries, a bad owner key), under a budget so small that every
//! sort spills to many run files.

mod oracle;
mod support;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BTreeMap;
use std::sync::Arc;
use strata_api::{Engine, ReadOptions, WriteOptions};
use strata_blobfs::blob::{data_key, parse_data_key};
use strata_blobfs::reindex::ScanOptions;
use strata_blobfs::{reindex, schema, verify, BlobFs, BlobRef};
use support::{bytes, new_fs, t, MemEngine};

/// A budget far below what the stores' sorts need (each spills).
const TINY_BUDGET_BYTES: usize = 16 << 10;

fn build(fs: &BlobFs, rng: &mut Xoshiro256PlusPlus, ops: usize) {
    let dirs = ["/a", "/a/b", "/c", "/c/d/e"];
    for d in dirs {
        fs.mkdir_all(d, Some(t(1))).expect("mkdir");
    }
    let mut files: Vec<String> = Vec::new();
    for i in 0..ops {
        let at = Some(t(10 + i as i64));
        match rng.gen_range(0..10) {
            0..=5 => {
                let path = format!(
                    "{}/f{}",
                    dirs.choose(rng).expect("dir"),
                    rng.gen_range(0..40)
                );
                let data = bytes(rng.gen_range(0..5000), rng.gen());
                fs.write_file(&path, &data, at).expect("write");
                if !files.contains(&path) {
                    files.push(path);
                }
            }
            6 | 7 if !files.is_empty() => {
                let from = files.swap_remove(rng.gen_range(0..files.len()));
                let to = format!("{}/r{i}", dirs.choose(rng).expect("dir"));
                fs.rename(&from, &to, at).expect("rename");
                files.push(to);
            }
            8 if !files.is_empty() => {
                let path = files.swap_remove(rng.gen_range(0..files.len()));
                fs.unlink(&path, at).expect("unlink");
            }
            _ => {
                let path = format!("/c/d/x{i}");
                fs.write_file(&path, b"same bytes", at).expect("dedupe");
            }
        }
    }
}

fn put(engine: &MemEngine, k: &[u8], v: &[u8]) {
    engine.put(&WriteOptions::default(), k, v).expect("put");
}

fn delete(engine: &MemEngine, k: &[u8]) {
    engine.delete(&WriteOptions::default(), k).expect("delete");
}

/// Applies `n` random damages, returning what was done (for failure
/// messages).
fn tamper(engine: &MemEngine, fs: &BlobFs, rng: &mut Xoshiro256PlusPlus, n: usize) -> Vec<String> {
    let mut log = Vec::new();
    for _ in 0..n {
        let data = engine.dump(b"d:");
        let index: Vec<(Vec<u8>, Vec<u8>)> = engine
            .dump(b"i:")
            .into_iter()
            .chain(engine.dump(b"l:"))
            .collect();
        let (dk, dv) = data
            .iter()
            .nth(rng.gen_range(0..data.len()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .expect("a blob");
        let (ik, iv) = index[rng.gen_range(0..index.len())].clone();
        let what = rng.gen_range(0..11);
        match what {
            0 => {
                let mut v = dv.clone();
                if !v.is_empty() {
                    let at = rng.gen_range(0..v.len());
                    v[at] ^= 1 << rng.gen_range(0..8);
                }
                put(engine, &dk, &v);
            }
            1 => delete(engine, &dk),
            2 => delete(engine, &ik),
            3 => {
                let mut k = ik.clone();
                k.push(rng.gen());
                put(engine, &k, &iv);
            }
            4 => {
                let mut v = iv.clone();
                match v.len() {
                    0 => v.push(1),
                    n => v[rng.gen_range(0..n)] ^= 0x10,
                }
                put(engine, &ik, &v);
            }
            5 | 6 => {
                // A second copy of a blob (as concurrent writers leave),
                // sometimes damaged, sometimes the one its location names.
                let (seq, r) = parse_data_key(&dk).unwrap_or((0, BlobRef::of(&dv)));
                let copy = data_key(seq + 1_000_000 + rng.gen_range(0..1000), &r);
                let mut v = dv.clone();
                if rng.gen_bool(0.3) && !v.is_empty() {
                    v[0] ^= 0x20;
                }
                put(engine, &copy, &v);
                if what == 6 {
                    let loc = fs
                        .blobs()
                        .location(&ReadOptions::default(), &r)
                        .expect("location");
                    if let Some(mut loc) = loc {
                        loc.seq = parse_data_key(&copy).expect("key").0;
                        put(
                            engine,
                            &strata_blobfs::blob::location_key(&r),
                            &loc.encode(),
                        );
                    }
                }
            }
            7 => put(engine, b"d:short", &dv),
            8 => {
                // An altered claim or permanode stored under its new hash:
                // its signature no longer verifies.
                let text = String::from_utf8_lossy(&dv).into_owned();
                if matches!(
                    schema::camli_type(&dv).as_deref(),
                    Some("claim") | Some("permanode")
                ) {
                    let forged = text.replacen("\"camliVersion\":1", "\"camliVersion\":1 ", 1);
                    fs.blobs()
                        .put(&WriteOptions::default(), forged.as_bytes())
                        .expect("forged");
                }
            }
            9 => {
                // Delete every copy of a permanode: its claims are refused.
                if schema::camli_type(&dv).as_deref() == Some("permanode") {
                    delete(engine, &dk);
                }
            }
            _ => {
                if rng.gen_bool(0.2) {
                    let owner = fs.signer().public_key_ref();
                    if let Some(k) = fs
                        .blobs()
                        .data_key_of(&ReadOptions::default(), &owner)
                        .expect("owner key")
                    {
                        let mut v = engine
                            .get(&ReadOptions::default(), &k)
                            .expect("get")
                            .expect("owner blob");
                        v[3] ^= 1;
                        put(engine, &k, &v);
                    }
                }
            }
        }
        log.push(format!("op {what} on {} / {}", hex(&dk), hex(&ik)));
    }
    log
}

fn hex(k: &[u8]) -> String {
    strata_blobfs::index::key_text(k)
}

/// The oracle's report, in the shape of [`verify::VerifyReport`]'s fields.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    blobs: u64,
    blob_bytes: u64,
    permanodes: u64,
    claims: u64,
    duplicate_copies: u64,
    blob_problems: Vec<String>,
    index_problems: Vec<String>,
}

fn oracle_summary(
    engine: &dyn Engine,
    owner: &BlobRef,
) -> (Summary, oracle::Rebuilt, oracle::IndexDiff) {
    let ro = ReadOptions::default();
    let rebuilt = oracle::rebuild(engine, &ro, owner).expect("oracle rebuild");
    let d = oracle::diff(engine, &ro, &rebuilt).expect("oracle diff");
    let s = Summary {
        blobs: rebuilt.blobs,
        blob_bytes: rebuilt.blob_bytes,
        permanodes: rebuilt.permanodes,
        claims: rebuilt.claims,
        duplicate_copies: rebuilt
            .duplicate_copies
            .values()
            .map(|v| v.len() as u64)
            .sum(),
        blob_problems: rebuilt.problems.iter().map(|p| p.to_string()).collect(),
        index_problems: d.problems().iter().map(|p| p.to_string()).collect(),
    };
    (s, rebuilt, d)
}

fn streaming_summary(report: &verify::VerifyReport) -> Summary {
    Summary {
        blobs: report.blobs,
        blob_bytes: report.blob_bytes,
        permanodes: report.permanodes,
        claims: report.claims,
        duplicate_copies: report.duplicate_copies,
        blob_problems: report.blob_problems.iter().map(|p| p.to_string()).collect(),
        index_problems: report
            .index_problems
            .iter()
            .map(|p| p.to_string())
            .collect(),
    }
}

fn copy_engine(engine: &MemEngine) -> Arc<MemEngine> {
    let copy = MemEngine::new();
    for (k, v) in engine.dump(b"") {
        put(&copy, &k, &v);
    }
    copy
}

fn index_of(engine: &MemEngine) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut m = engine.dump(b"i:");
    m.extend(engine.dump(b"l:"));
    m
}

fn check_seed(seed: u64, ops: usize, damages: usize) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let (engine, fs) = new_fs();
    build(&fs, &mut rng, ops);
    let log = tamper(&engine, &fs, &mut rng, damages);
    let owner = fs.signer().public_key_ref();
    let scratch = tempfile::tempdir().expect("scratch");
    let options = ScanOptions {
        memory_budget_bytes: TINY_BUDGET_BYTES,
        scratch_dir: scratch.path().to_path_buf(),
    };
    let ctx = format!("seed {seed} ({ops} ops, damages {log:?})");

    let (expected, rebuilt, d) = oracle_summary(engine.as_ref(), &owner);
    let report = verify::verify_with(engine.as_ref(), &owner, &options).expect("verify");
    assert_eq!(streaming_summary(&report), expected, "{ctx}");
    assert!(report.scan.runs_written > 8, "{ctx}: {:?}", report.scan);
    assert!(
        report.scan.peak_buffer_bytes <= TINY_BUDGET_BYTES as u64,
        "{ctx}: {:?}",
        report.scan
    );

    // Reindex a copy; the oracle's diff applied to another copy must give
    // the same index, with the same counts.
    let repaired = copy_engine(&engine);
    let r = reindex::reindex_with(repaired.as_ref(), &owner, false, &options).expect("reindex");
    assert_eq!(
        r.entries_written,
        (d.missing.len() + d.different.len()) as u64,
        "{ctx}"
    );
    assert_eq!(r.entries_deleted, d.extra.len() as u64, "{ctx}");
    assert_eq!(
        (r.blobs, r.permanodes, r.claims),
        (rebuilt.blobs, rebuilt.permanodes, rebuilt.claims),
        "{ctx}"
    );
    assert_eq!(
        r.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        expected.blob_problems,
        "{ctx}"
    );
    let by_oracle = copy_engine(&engine);
    for (k, v) in d.missing.iter().chain(d.different.iter()) {
        put(&by_oracle, k, v);
    }
    for k in &d.extra {
        delete(&by_oracle, k);
    }
    assert!(
        index_of(&repaired) == index_of(&by_oracle),
        "{ctx}: repaired index differs"
    );
    let after = verify::verify_with(repaired.as_ref(), &owner, &options).expect("verify");
    assert!(
        after.index_problems.is_empty(),
        "{ctx}: {:?}",
        after.index_problems
    );
    assert_eq!(
        after.blob_problems.len(),
        expected.blob_problems.len(),
        "{ctx}"
    );
    // Nothing is left in the scratch directory.
    assert_eq!(
        std::fs::read_dir(scratch.path()).expect("scratch").count(),
        0,
        "{ctx}"
    );
}

#[test]
fn clean_stores_verify_clean_and_equal_the_oracle() {
    for seed in 0..3 {
        check_seed(seed, 60, 0);
    }
}

#[test]
fn tampered_stores_give_the_oracles_report_and_repair() {
    for seed in 100..124 {
        check_seed(seed, 40, 1 + (seed as usize % 6));
    }
}
