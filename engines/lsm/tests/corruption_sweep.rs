//! The corruption sweep: a real multi-level database (tables on at least
//! three levels, a MANIFEST of many edits, a WAL of unflushed writes whose
//! last batch spans three log blocks, `CURRENT`) has its files damaged one
//! mutation at a time — bytes flipped across every block region, the file
//! truncated at every block boundary ±1 and elsewhere — and is then opened
//! in default and in paranoid mode and read in full (forward scan, backward
//! scan, a get of every key ever written) with `verify_checksums`.
//!
//! What must hold for every mutation:
//! - no panic, in the caller's thread or the background thread (a panic
//!   hook counts both);
//! - no value that was never written for its key, and no key never
//!   written;
//! - the reads of one open agree with each other;
//! - every error is a `Corruption` (or `Io`) naming the damaged file, whose
//!   `Display` shows the name; a corruption's offset lies in the file;
//! - older states only where the damage legitimately drops newer records:
//!   a damaged table or `CURRENT` returns exactly the latest data or an
//!   error; a damaged WAL loses only unflushed writes (in paranoid mode and
//!   for truncation: a prefix of them, batches whole); only a MANIFEST
//!   damaged at its tail (truncated, or its last record) may open an older
//!   version of the tree. Older values seen are counted and printed.
//!
//! The CI sweep samples each region; `STRATA_CORRUPTION_FULL=1` flips every
//! byte of every table and truncates the logs at every length (run it with
//! `--release`). `STRATA_CORRUPTION_SEED=<n>` changes the database built.

mod common;

use common::{
    install_panic_counter, log_regions, panic_notes_since, panics_so_far, table_regions, DirImage,
    History, KeyState, Region, Watchdog, LOG_BLOCK_BYTES, LOG_HEADER_BYTES,
};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use strata_api::env::write_file;
use strata_api::{
    Engine, Env, Error, KvIterator, MemEnv, PosixEnv, ReadOptions, WriteBatch, WriteOptions,
};
use strata_lsm::{Db, DbOptions};

const DEFAULT_SEED: u64 = 0x5eed_0014;
/// Distinct keys the workload writes.
const KEYS: u32 = 400;
/// Memtable flushes while building the tree.
const ROUNDS: usize = 40;
/// Writes between two flushes.
const WRITES_PER_FLUSH: usize = 50;
/// Small writes left in the WAL (before one batch larger than a block).
const WAL_WRITES: usize = 200;
/// One case (open, reads, compaction) normally takes milliseconds; one
/// that takes this long is hung, and ends the test.
const CASE_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

fn options(env: &Arc<dyn Env>, paranoid: bool, create: bool) -> DbOptions {
    DbOptions {
        env: Arc::clone(env),
        create_if_missing: create,
        paranoid_checks: paranoid,
        write_buffer_size: 128 << 10,
        max_file_size: 4 << 10,
        max_bytes_for_level_base: 8 << 10,
        block_size: 512,
        bloom_bits_per_key: Some(10),
        ..DbOptions::default()
    }
}

fn verify() -> ReadOptions {
    ReadOptions {
        verify_checksums: true,
        ..ReadOptions::default()
    }
}

fn env_seed() -> u64 {
    std::env::var("STRATA_CORRUPTION_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

/// `STRATA_CORRUPTION_ONLY=<file>` runs only the mutations of that file,
/// `<file>@<offset>` only those at that offset (a flip of that byte, a
/// truncation to that length), to reproduce a reported case.
fn selected(t: &Target, m: &Mutation) -> bool {
    let Ok(only) = std::env::var("STRATA_CORRUPTION_ONLY") else {
        return true;
    };
    let at = match m {
        Mutation::Flip { offset, .. } => *offset,
        Mutation::Truncate { len } => *len,
    };
    only == t.name || only == format!("{}@{at}", t.name)
}

fn full_sweep() -> bool {
    std::env::var("STRATA_CORRUPTION_FULL").is_ok_and(|v| v == "1")
}

// ------------------------------------------------------------------ build

/// The database a sweep damages, and what was written to it.
struct Built {
    seed: u64,
    image: DirImage,
    history: History,
    /// Per key, the index of its state when the last memtable was flushed:
    /// damage to the WAL may lose writes after it, never go back before it.
    flushed: BTreeMap<Vec<u8>, usize>,
    /// The database as of that flush.
    at_flush: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The batches written after it (only in the WAL), in order.
    wal_batches: Vec<Vec<(Vec<u8>, KeyState)>>,
    /// Table names per level.
    levels: Vec<Vec<String>>,
    /// Every key ever written plus a few never written.
    probe_keys: Vec<Vec<u8>>,
}

fn key(i: u32) -> Vec<u8> {
    format!("k{i:05}").into_bytes()
}

fn value(rng: &mut Xoshiro256PlusPlus, key: &[u8], serial: u64) -> Vec<u8> {
    let mut v = format!("{}@{serial}:", String::from_utf8_lossy(key)).into_bytes();
    let len = rng.gen_range(0..100usize);
    if rng.gen_bool(0.5) {
        // Compressible, so some blocks are stored Snappy-compressed.
        v.extend(std::iter::repeat_n(b'=', len));
    } else {
        v.extend((0..len).map(|_| rng.gen_range(b'a'..=b'z')));
    }
    v
}

/// Writes one random operation (put, delete or a batch of 2..6) and
/// records it; returns the ops.
fn random_write(
    db: &Db,
    rng: &mut Xoshiro256PlusPlus,
    history: &mut History,
    serial: &mut u64,
) -> Vec<(Vec<u8>, KeyState)> {
    let n = match rng.gen_range(0..100) {
        0..=84 => 1,
        _ => rng.gen_range(2..6),
    };
    let mut ops = Vec::new();
    for _ in 0..n {
        let k = key(rng.gen_range(0..KEYS));
        *serial += 1;
        if rng.gen_range(0..100) < 12 {
            ops.push((k, None));
        } else {
            let v = value(rng, &k, *serial);
            ops.push((k, Some(v)));
        }
    }
    db.write(&WriteOptions::default(), &batch_of(&ops))
        .expect("write");
    for (k, v) in &ops {
        history.record(k, v.clone());
    }
    ops
}

fn batch_of(ops: &[(Vec<u8>, KeyState)]) -> WriteBatch {
    let mut batch = WriteBatch::new();
    for (k, v) in ops {
        match v {
            Some(v) => batch.put(k, v),
            None => batch.delete(k),
        }
    }
    batch
}

/// The length of a log of `offset` bytes after one more record of
/// `payload_bytes` (the writer's fragmenting, block trailers included).
fn log_append(mut offset: usize, mut payload_bytes: usize) -> usize {
    loop {
        let left = LOG_BLOCK_BYTES - offset % LOG_BLOCK_BYTES;
        if left < LOG_HEADER_BYTES {
            offset += left;
            continue;
        }
        let fragment = payload_bytes.min(left - LOG_HEADER_BYTES);
        offset += LOG_HEADER_BYTES + fragment;
        payload_bytes -= fragment;
        if payload_bytes == 0 {
            return offset;
        }
    }
}

fn tables_per_level(db: &Db) -> Vec<Vec<String>> {
    let text = db.property("leveldb.sstables").expect("sstables property");
    let mut levels: Vec<Vec<String>> = Vec::new();
    for line in text.lines() {
        if line.starts_with("--- level") {
            levels.push(Vec::new());
        } else if let Some((number, _)) = line.trim().split_once(':') {
            let number: u64 = number.parse().expect("file number");
            levels
                .last_mut()
                .expect("a level header first")
                .push(format!("{number:06}.ldb"));
        }
    }
    levels
}

fn build(env: &Arc<dyn Env>, dir: &Path, seed: u64) -> Built {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut history = History::default();
    let mut serial = 0u64;
    let db = Db::open(options(env, false, true), dir).expect("create");
    // Flushes at fixed points, each followed by every compaction it calls
    // for, so the tree's shape depends on the seed only (not on when the
    // background thread ran).
    let mut rounds = 0;
    while rounds < ROUNDS || tables_per_level(&db)[0].is_empty() {
        for _ in 0..WRITES_PER_FLUSH {
            random_write(&db, &mut rng, &mut history, &mut serial);
        }
        db.flush().expect("flush");
        db.wait_for_background().expect("settle");
        rounds += 1;
    }
    let flushed = history.marks();
    let at_flush = history.model();
    let flushes_before = db.metrics().flushes;
    let mut wal_batches = Vec::new();
    // The flush started a new, empty log; follow its length.
    let mut wal_bytes = 0;
    for _ in 0..WAL_WRITES {
        let ops = random_write(&db, &mut rng, &mut history, &mut serial);
        wal_bytes = log_append(wal_bytes, batch_of(&ops).as_bytes().len());
        wal_batches.push(ops);
    }
    // One batch that fills the rest of the current log block and all of
    // the next, so the WAL holds FIRST, MIDDLE and LAST fragments. It is
    // the last write: the memtable, now over its budget, would be switched
    // by the next.
    let target = LOG_BLOCK_BYTES - wal_bytes % LOG_BLOCK_BYTES + LOG_BLOCK_BYTES + 512;
    let mut ops = Vec::new();
    while batch_of(&ops).as_bytes().len() < target {
        let k = key(rng.gen_range(0..KEYS));
        serial += 1;
        if rng.gen_range(0..100) < 10 {
            ops.push((k, None));
        } else {
            let v = value(&mut rng, &k, serial);
            ops.push((k, Some(v)));
        }
    }
    let batch = batch_of(&ops);
    db.write(&WriteOptions::default(), &batch)
        .expect("big batch");
    for (k, v) in &ops {
        history.record(k, v.clone());
    }
    wal_batches.push(ops);
    assert_eq!(
        db.metrics().flushes,
        flushes_before,
        "the WAL's writes stay unflushed"
    );
    let levels = tables_per_level(&db);
    drop(db);
    let image = DirImage::capture(env.as_ref(), dir);
    let mut probe_keys: Vec<Vec<u8>> = history.states.keys().cloned().collect();
    probe_keys.extend([b"".to_vec(), b"k".to_vec(), key(KEYS), b"zzz".to_vec()]);
    Built {
        seed,
        image,
        history,
        flushed,
        at_flush,
        wal_batches,
        levels,
        probe_keys,
    }
}

// ---------------------------------------------------------------- targets

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Log,
    Manifest,
    Current,
    Table { level: usize },
}

/// A file the sweep damages.
struct Target {
    name: String,
    kind: Kind,
    bytes: Vec<u8>,
    regions: Vec<Region>,
    /// Offset of the last physical record (logs), where damage is a torn
    /// tail.
    last_record_at: usize,
}

impl Target {
    fn label(&self) -> String {
        match self.kind {
            Kind::Table { level } => format!("{} (table, level {level})", self.name),
            Kind::Log => format!("{} (WAL)", self.name),
            Kind::Manifest => format!("{} (MANIFEST)", self.name),
            Kind::Current => "CURRENT".to_string(),
        }
    }

    fn region_of(&self, offset: usize) -> &str {
        self.regions
            .iter()
            .find(|r| r.start <= offset && offset < r.end)
            .map_or("?", |r| r.what.as_str())
    }
}

fn targets(built: &Built, all_tables: bool) -> Vec<Target> {
    let files = &built.image.files;
    let named = |pred: &dyn Fn(&str) -> bool| -> Vec<String> {
        files.keys().filter(|n| pred(n)).cloned().collect()
    };
    let logs = named(&|n| n.ends_with(".log"));
    assert_eq!(logs.len(), 1, "one WAL: {logs:?}");
    let wal_regions = log_regions(&files[&logs[0]]);
    for kind in ["full", "first", "middle", "last"] {
        assert!(
            wal_regions.iter().any(|r| r.what.starts_with(kind)),
            "the WAL holds a {kind} fragment"
        );
    }
    let current = String::from_utf8(files["CURRENT"].clone()).expect("CURRENT is text");
    let manifest = current.trim_end().to_string();
    assert!(files.contains_key(&manifest), "CURRENT names {manifest}");
    let mut out = Vec::new();
    for (name, kind) in [
        (logs[0].clone(), Kind::Log),
        (manifest, Kind::Manifest),
        ("CURRENT".to_string(), Kind::Current),
    ] {
        let bytes = files[&name].clone();
        let regions = match kind {
            Kind::Current => vec![Region {
                start: 0,
                end: bytes.len(),
                what: "CURRENT".into(),
            }],
            _ => log_regions(&bytes),
        };
        let last_record_at = regions
            .iter()
            .rev()
            .find(|r| r.what.ends_with("header"))
            .map_or(0, |r| r.start);
        out.push(Target {
            name,
            kind,
            bytes,
            regions,
            last_record_at,
        });
    }
    let occupied: Vec<usize> = (0..built.levels.len())
        .filter(|&l| !built.levels[l].is_empty())
        .collect();
    assert!(
        occupied.len() >= 3 && !built.levels[0].is_empty(),
        "tables on level 0 and at least two more levels: {:?}",
        built.levels
    );
    let mut chosen: Vec<(usize, String)> = Vec::new();
    for &level in &occupied {
        let tables = &built.levels[level];
        if all_tables {
            chosen.extend(tables.iter().map(|t| (level, t.clone())));
        } else {
            // Level 0's newest table, the middle table of each deeper level.
            let pick = if level == 0 {
                tables.len() - 1
            } else {
                tables.len() / 2
            };
            chosen.push((level, tables[pick].clone()));
        }
    }
    for (level, name) in chosen {
        let bytes = files[&name].clone();
        let (regions, _) = table_regions(&bytes);
        out.push(Target {
            name,
            kind: Kind::Table { level },
            bytes,
            regions,
            last_record_at: 0,
        });
    }
    out
}

// -------------------------------------------------------------- mutations

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    Flip { offset: usize, mask: u8 },
    Truncate { len: usize },
}

impl Mutation {
    fn apply(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        match *self {
            Mutation::Flip { offset, mask } => out[offset] ^= mask,
            Mutation::Truncate { len } => out.truncate(len),
        }
        out
    }
}

const MASKS: [u8; 12] = [
    0x01, 0x80, 0xff, 0x10, 0x02, 0x40, 0x55, 0xaa, 0x04, 0x20, 0x08, 0x7f,
];

/// How densely the sweep samples each file.
struct Density {
    /// Every byte of every file flipped, logs truncated at every length.
    everything: bool,
    /// Log records sampled in full (every header byte, payload bytes,
    /// truncations at and around the header): the first two, the last two,
    /// every fragment of a record split across blocks, and every
    /// `log_record_stride`-th.
    log_record_stride: usize,
    /// Data blocks sampled in full (first, second, middle and last byte,
    /// every trailer byte): the first two, the last, and every
    /// `table_block_stride`-th. Every other block still gets a flip in its
    /// contents and two in its trailer. Filter, metaindex and index blocks
    /// are always sampled in full, and every byte of the footer's handles.
    table_block_stride: usize,
    /// Truncate tables at every block boundary ±1 (else only at 0, 1, the
    /// middle, the last byte and random lengths).
    table_boundaries: bool,
    /// Truncations at random lengths per file.
    random_truncations: usize,
}

/// Flip offsets of one region, sampled in full (`dense`) or lightly.
fn region_flips(r: &Region, dense: bool, offsets: &mut Vec<usize>) {
    let n = r.end - r.start;
    let every_byte = r.what.ends_with("header") || r.what == "footer handles";
    if every_byte || (dense && n <= 8 && r.what != "footer magic") {
        offsets.extend(r.start..r.end);
    } else if n <= 8 || r.what == "footer padding" {
        offsets.extend([r.start, r.end - 1]);
    } else if dense {
        offsets.extend([r.start, r.start + 1, r.start + n / 2, r.end - 1]);
    } else {
        offsets.push(r.start + n / 2);
    }
}

fn mutations(t: &Target, d: &Density, rng: &mut Xoshiro256PlusPlus) -> Vec<Mutation> {
    let len = t.bytes.len();
    let mut offsets: Vec<usize> = Vec::new();
    let mut lengths: Vec<usize> = vec![0, 1, len / 2, len.saturating_sub(1)];
    if d.everything {
        offsets.extend(0..len);
        if !matches!(t.kind, Kind::Table { .. }) {
            lengths.extend(0..len);
        }
    }
    match t.kind {
        Kind::Current => {
            offsets.extend(0..len);
            lengths.extend(0..len);
        }
        Kind::Log | Kind::Manifest => {
            // Regions come as (header, payload) pairs, with block trailers
            // between some of them.
            let records: Vec<&[Region]> = t
                .regions
                .chunk_by(|a, b| a.what.ends_with("header") && b.what.ends_with("payload"))
                .collect();
            let n = records.len();
            for (i, rec) in records.iter().enumerate() {
                let split = ["first", "middle", "last"]
                    .iter()
                    .any(|k| rec[0].what.starts_with(k));
                let dense = i < 2
                    || i + 2 >= n
                    || split
                    || rec[0].what == "block trailer"
                    || i % d.log_record_stride == 0;
                if dense {
                    for r in rec.iter() {
                        region_flips(r, true, &mut offsets);
                        let mid = r.start + (r.end - r.start) / 2;
                        lengths.extend([r.start.saturating_sub(1), r.start, r.start + 1, mid]);
                    }
                }
            }
            for b in (LOG_BLOCK_BYTES..len).step_by(LOG_BLOCK_BYTES) {
                lengths.extend([b - 1, b, b + 1]);
            }
        }
        Kind::Table { .. } => {
            let blocks = t.regions.iter().filter(|r| r.what == "data block").count();
            let mut block = 0;
            for r in &t.regions {
                let dense = if r.what.starts_with("data block") {
                    let i = block;
                    if r.what == "data block trailer" {
                        block += 1;
                    }
                    i < 2 || i + 1 == blocks || i % d.table_block_stride == 0
                } else {
                    true
                };
                region_flips(r, dense, &mut offsets);
                let boundary = !r.what.ends_with("trailer") && !r.what.starts_with("footer ");
                if d.table_boundaries && (boundary || r.what == "footer handles") {
                    lengths.extend([r.start.saturating_sub(1), r.start, r.start + 1]);
                }
            }
        }
    }
    for _ in 0..d.random_truncations {
        lengths.push(rng.gen_range(0..len));
    }
    offsets.sort_unstable();
    offsets.dedup();
    lengths.retain(|&l| l < len);
    lengths.sort_unstable();
    lengths.dedup();
    let mut out: Vec<Mutation> = offsets
        .into_iter()
        .enumerate()
        .map(|(i, offset)| Mutation::Flip {
            offset,
            mask: if i % 4 == 3 {
                rng.gen_range(1..=255u8)
            } else {
                MASKS[(offset + i) % MASKS.len()]
            },
        })
        .collect();
    out.extend(lengths.into_iter().map(|len| Mutation::Truncate { len }));
    out
}

// ----------------------------------------------------------------- checks

/// Which older states a mutation may legitimately expose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allowed {
    /// The latest state of every key, or an error.
    Exact,
    /// Per key, its state at the last flush or any later one (a damaged
    /// WAL skips records).
    SinceFlush,
    /// The state after the flush plus a prefix of the WAL's batches (a
    /// WAL cut short, or paranoid mode, which fails on any skipped record).
    WalPrefix,
    /// Any state each key ever had (an older version of the tree: the
    /// MANIFEST lost its tail edits).
    AnyWritten,
}

fn allowed(t: &Target, m: &Mutation, paranoid: bool) -> Allowed {
    match (t.kind, m) {
        (Kind::Table { .. } | Kind::Current, _) => Allowed::Exact,
        (Kind::Log, Mutation::Truncate { .. }) => Allowed::WalPrefix,
        (Kind::Log, Mutation::Flip { .. }) if paranoid => Allowed::WalPrefix,
        (Kind::Log, Mutation::Flip { .. }) => Allowed::SinceFlush,
        (Kind::Manifest, Mutation::Truncate { .. }) => Allowed::AnyWritten,
        (Kind::Manifest, Mutation::Flip { offset, .. }) if *offset >= t.last_record_at => {
            Allowed::AnyWritten
        }
        (Kind::Manifest, Mutation::Flip { .. }) => Allowed::Exact,
    }
}

/// What one read saw: for each key it covers, the state it showed.
type Seen = BTreeMap<Vec<u8>, KeyState>;

#[derive(Default)]
struct CaseReport {
    open_failed: bool,
    read_errors: usize,
    /// Keys seen in an older state (value overwritten since, or deleted
    /// since, or lost).
    older: usize,
    /// Compactions run after the open (by the background thread, and by
    /// `compact_range` for a damaged table).
    compactions: u64,
    /// `compact_range` failed (it met the damage).
    compaction_failed: bool,
    violations: Vec<String>,
}

/// Checks one error: a corruption or I/O error naming the damaged file
/// (or, for `CURRENT`, the MANIFEST it now names; for a MANIFEST cut
/// short, a table the older version names), with the name in its text and
/// the offset inside the file.
fn check_error(e: &Error, t: &Target, m: &Mutation, built: &Built) -> Option<String> {
    let text = e.to_string();
    let (named, offset) = match e {
        Error::Corruption {
            file, offset_bytes, ..
        } => (base_name(file), Some(*offset_bytes)),
        Error::Io { path, .. } => (base_name(path), None),
        other => return Some(format!("error is neither Corruption nor Io: {other}")),
    };
    if !text.contains(&named) {
        return Some(format!("error text does not show the file {named}: {text}"));
    }
    let names_target = named == t.name;
    let names_current_manifest = t.kind == Kind::Current
        && String::from_utf8_lossy(&m.apply(&t.bytes)).strip_suffix('\n') == Some(named.as_str());
    // A MANIFEST cut short reads as ended (a torn write): the older
    // version it describes names tables compacted away since.
    let names_lost_table = t.kind == Kind::Manifest
        && matches!(m, Mutation::Truncate { .. })
        && named.ends_with(".ldb")
        && !built.image.files.contains_key(&named);
    if !(names_target || names_current_manifest || names_lost_table) {
        return Some(format!("error does not name {}: {text}", t.name));
    }
    if let (true, Some(offset)) = (names_target, offset) {
        if offset > t.bytes.len() as u64 {
            return Some(format!(
                "offset {offset} is past the end of {} ({} bytes): {text}",
                t.name,
                t.bytes.len()
            ));
        }
    }
    None
}

fn base_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// A full scan in one direction: what it showed for each key it covered
/// (keys it passed over are absent) and whether it reached the end without
/// an error; `None` if it could not start or broke an ordering rule.
fn scan(
    db: &Db,
    built: &Built,
    forward: bool,
    report: &mut CaseReport,
    on_error: &mut dyn FnMut(&Error) -> Option<String>,
) -> Option<(Seen, bool)> {
    let mut it = match db.iter(&verify()) {
        Ok(it) => it,
        Err(e) => {
            report.read_errors += 1;
            report.violations.extend(on_error(&e));
            return None;
        }
    };
    let limit = built.history.states.len() + 1;
    let mut shown: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    if forward {
        it.seek_to_first();
    } else {
        it.seek_to_last();
    }
    while it.valid() {
        let k = it.key().to_vec();
        if let Some((last, _)) = shown.last() {
            let ordered = if forward { *last < k } else { *last > k };
            if !ordered {
                report
                    .violations
                    .push(format!("scan (forward={forward}) out of order at {k:?}"));
                return None;
            }
        }
        shown.push((k, it.value().to_vec()));
        if shown.len() > limit {
            report.violations.push("scan does not end".into());
            return None;
        }
        if forward {
            it.next();
        } else {
            it.prev();
        }
    }
    let complete = match it.status() {
        Ok(()) => true,
        Err(e) => {
            report.read_errors += 1;
            report.violations.extend(on_error(&e));
            false
        }
    };
    let mut seen = Seen::new();
    for (k, v) in &shown {
        if !built.history.states.contains_key(k) {
            report
                .violations
                .push(format!("invented key {:?}", String::from_utf8_lossy(k)));
        }
        seen.insert(k.clone(), Some(v.clone()));
    }
    // Keys the scan passed over (or, when complete, never reached) are
    // shown as absent.
    let covered = |k: &Vec<u8>| match shown.last() {
        _ if complete => true,
        None => false,
        Some((last, _)) => {
            if forward {
                k <= last
            } else {
                k >= last
            }
        }
    };
    for k in built.history.states.keys() {
        if covered(k) {
            seen.entry(k.clone()).or_insert(None);
        }
    }
    Some((seen, complete))
}

/// Checks one key's observed state against the history and the allowance.
fn check_state(
    built: &Built,
    allowed: Allowed,
    k: &[u8],
    state: &KeyState,
    source: &str,
    report: &mut CaseReport,
) {
    let show = |s: &KeyState| {
        s.as_ref().map_or("<absent>".into(), |v| {
            String::from_utf8_lossy(v).into_owned()
        })
    };
    let Some(at) = built.history.position(k, state) else {
        report.violations.push(format!(
            "INVENTED value for {} ({source}): {}",
            String::from_utf8_lossy(k),
            show(state)
        ));
        return;
    };
    let latest = built.history.latest(k);
    if at == latest {
        return;
    }
    report.older += 1;
    let ok = match allowed {
        Allowed::Exact => false,
        Allowed::SinceFlush | Allowed::WalPrefix => {
            at >= built.flushed.get(k).copied().unwrap_or(0)
        }
        Allowed::AnyWritten => true,
    };
    if !ok {
        report.violations.push(format!(
            "older state of {} ({source}): {} (state {at}, latest {latest}; {allowed:?} allowed)",
            String::from_utf8_lossy(k),
            show(state)
        ));
    }
}

/// True if `db` (complete) equals the flushed state plus some prefix of the
/// WAL's batches.
fn is_wal_prefix(built: &Built, shown: &Seen) -> bool {
    let present: BTreeMap<&Vec<u8>, &Vec<u8>> = shown
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
    let mut state = built.at_flush.clone();
    let same = |s: &BTreeMap<Vec<u8>, Vec<u8>>| {
        s.len() == present.len() && s.iter().all(|(k, v)| present.get(k) == Some(&v))
    };
    if same(&state) {
        return true;
    }
    for batch in &built.wal_batches {
        for (k, v) in batch {
            match v {
                Some(v) => state.insert(k.clone(), v.clone()),
                None => state.remove(k),
            };
        }
        if same(&state) {
            return true;
        }
    }
    false
}

/// What one pass of reads showed: forward and backward scans (with
/// whether each completed) and a get of every probe key.
struct Reads {
    forward: Option<(Seen, bool)>,
    backward: Option<(Seen, bool)>,
    gets: Seen,
}

fn read_everything(
    db: &Db,
    built: &Built,
    report: &mut CaseReport,
    on_error: &mut dyn FnMut(&Error) -> Option<String>,
) -> Reads {
    let forward = scan(db, built, true, report, on_error);
    let backward = scan(db, built, false, report, on_error);
    let mut gets = Seen::new();
    for k in &built.probe_keys {
        match db.get(&verify(), k) {
            Ok(v) => {
                gets.insert(k.clone(), v);
            }
            Err(e) => {
                report.read_errors += 1;
                report.violations.extend(on_error(&e));
            }
        }
    }
    Reads {
        forward,
        backward,
        gets,
    }
}

/// Checks one pass of reads: each state against the history, the reads
/// against each other, and (for a WAL cut short) the whole state.
fn check_reads(built: &Built, allowed: Allowed, pass: &str, r: &Reads, report: &mut CaseReport) {
    let sources = [
        ("forward scan", r.forward.as_ref().map(|f| &f.0)),
        ("backward scan", r.backward.as_ref().map(|b| &b.0)),
        ("get", Some(&r.gets)),
    ];
    for (source, seen) in sources {
        for (k, state) in seen.into_iter().flatten() {
            check_state(built, allowed, k, state, &format!("{pass}{source}"), report);
        }
    }
    // One open, one state: every read must show the same one.
    for k in &built.probe_keys {
        let views: Vec<(&str, &KeyState)> = sources
            .iter()
            .filter_map(|(s, seen)| seen.and_then(|m| m.get(k)).map(|v| (*s, v)))
            .collect();
        if views.windows(2).any(|w| w[0].1 != w[1].1) {
            report.violations.push(format!(
                "{pass}reads disagree on {}: {views:?}",
                String::from_utf8_lossy(k)
            ));
        }
    }
    if allowed == Allowed::WalPrefix {
        let complete = r.forward.as_ref().filter(|f| f.1).map(|f| &f.0);
        if let Some(f) = complete {
            if !is_wal_prefix(built, f) {
                report.violations.push(format!(
                    "{pass}state is not the flushed state plus a prefix of the WAL"
                ));
            }
        }
    }
}

/// Opens the damaged database and reads everything; for a damaged table
/// (in default mode), then compacts everything and reads everything again
/// (a compaction that meets the damage must fail, not rewrite it as valid
/// data). Returns what broke.
fn open_and_read(
    env: &Arc<dyn Env>,
    dir: &Path,
    built: &Built,
    t: &Target,
    m: &Mutation,
    allowed: Allowed,
    paranoid: bool,
) -> CaseReport {
    let mut report = CaseReport::default();
    let mut on_error = |e: &Error| check_error(e, t, m, built);
    let db = match Db::open(options(env, paranoid, false), dir) {
        Ok(db) => db,
        Err(e) => {
            report.open_failed = true;
            report.violations.extend(on_error(&e));
            return report;
        }
    };
    let first = read_everything(&db, built, &mut report, &mut on_error);
    let mut second = None;
    // Compactions verify their inputs in both modes; one mode is enough.
    if matches!(t.kind, Kind::Table { .. }) && !paranoid {
        if let Err(e) = db.compact_range(None, None) {
            report.compaction_failed = true;
            report.violations.extend(on_error(&e));
        }
        second = Some(read_everything(&db, built, &mut report, &mut on_error));
    }
    report.compactions = db.metrics().compactions;
    drop(db);
    check_reads(built, allowed, "", &first, &mut report);
    if let Some(second) = &second {
        check_reads(built, allowed, "after compact_range: ", second, &mut report);
    }
    // Keep the counts small: one line per distinct problem is enough.
    report.violations.dedup();
    report
}

// ------------------------------------------------------------------ sweep

#[derive(Default, Clone)]
struct Tally {
    mutations: usize,
    flips: usize,
    truncations: usize,
    opens_failed: usize,
    reads_failed: usize,
    read_errors: usize,
    older: usize,
    older_cases: usize,
    compactions: u64,
    compactions_failed: usize,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.mutations += other.mutations;
        self.flips += other.flips;
        self.truncations += other.truncations;
        self.opens_failed += other.opens_failed;
        self.reads_failed += other.reads_failed;
        self.read_errors += other.read_errors;
        self.older += other.older;
        self.older_cases += other.older_cases;
        self.compactions += other.compactions;
        self.compactions_failed += other.compactions_failed;
    }
}

struct Sweep {
    label: &'static str,
    seed: u64,
    total: Tally,
    files: usize,
    panics: usize,
    invented: usize,
    failures: Vec<String>,
}

fn sweep(
    label: &'static str,
    env: Arc<dyn Env>,
    dir: &Path,
    built: &Built,
    targets: &[Target],
    d: &Density,
) -> Sweep {
    let started = Instant::now();
    env.create_dir_all(dir).expect("database directory");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(built.seed ^ 0x00c0_ffee);
    let watchdog = Watchdog::start(CASE_LIMIT);
    let seed = built.seed;
    let mut s = Sweep {
        label,
        seed,
        total: Tally::default(),
        files: targets.len(),
        panics: 0,
        invented: 0,
        failures: Vec::new(),
    };
    // The undamaged database reads back exactly, before and after a full
    // compaction (the checks see all of it).
    let baseline = Target {
        name: "none".into(),
        kind: Kind::Table { level: 0 },
        bytes: Vec::new(),
        regions: Vec::new(),
        last_record_at: 0,
    };
    let unchanged = Mutation::Truncate { len: 0 };
    for paranoid in [false, true] {
        built.image.restore(env.as_ref(), dir);
        let r = open_and_read(
            &env,
            dir,
            built,
            &baseline,
            &unchanged,
            Allowed::Exact,
            paranoid,
        );
        assert!(
            !r.open_failed
                && !r.compaction_failed
                && r.read_errors == 0
                && r.older == 0
                && r.violations.is_empty(),
            "{label}: the undamaged database must read back exactly (seed {seed}): {:?}",
            r.violations
        );
    }
    for t in targets {
        let t_started = Instant::now();
        let mut tally = Tally::default();
        for m in mutations(t, d, &mut rng) {
            if !selected(t, &m) {
                continue;
            }
            tally.mutations += 1;
            match m {
                Mutation::Flip { .. } => tally.flips += 1,
                Mutation::Truncate { .. } => tally.truncations += 1,
            }
            let mutated = m.apply(&t.bytes);
            for paranoid in [false, true] {
                let allowed = allowed(t, &m, paranoid);
                built.image.restore(env.as_ref(), dir);
                write_file(env.as_ref(), &dir.join(&t.name), &mutated, false)
                    .expect("write the damaged file");
                let case = || {
                    let what = match m {
                        Mutation::Flip { offset, mask } => {
                            format!("flip byte {offset} ({}) ^{mask:#04x}", t.region_of(offset))
                        }
                        Mutation::Truncate { len } => format!("truncate to {len} bytes"),
                    };
                    format!(
                        "[{label} seed={seed}] {}: {what}, paranoid_checks={paranoid}",
                        t.label()
                    )
                };
                watchdog.begin(case());
                let panics_before = panics_so_far();
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    open_and_read(&env, dir, built, t, &m, allowed, paranoid)
                }));
                watchdog.end();
                let new_panics = panics_so_far() - panics_before;
                if new_panics > 0 || outcome.is_err() {
                    s.panics += new_panics.max(1);
                    s.failures.push(format!(
                        "{}: PANIC {:?}",
                        case(),
                        panic_notes_since(panics_so_far() - new_panics)
                    ));
                    continue;
                }
                let Ok(r) = outcome else { continue };
                tally.opens_failed += usize::from(r.open_failed);
                tally.reads_failed += usize::from(r.read_errors > 0);
                tally.read_errors += r.read_errors;
                tally.older += r.older;
                tally.older_cases += usize::from(r.older > 0);
                tally.compactions += r.compactions;
                tally.compactions_failed += usize::from(r.compaction_failed);
                for v in r.violations {
                    if v.starts_with("INVENTED") {
                        s.invented += 1;
                    }
                    s.failures.push(format!("{}: {v}", case()));
                }
            }
        }
        eprintln!(
            "{label}: {:<34} {:>5} mutations ({} flips, {} truncations) in {:>6.1?}: \
             opens failed {}, reads failed {} ({} errors), older states {} in {} cases, \
             compactions after open {} (compact_range failed cleanly {})",
            t.label(),
            tally.mutations,
            tally.flips,
            tally.truncations,
            t_started.elapsed(),
            tally.opens_failed,
            tally.reads_failed,
            tally.read_errors,
            tally.older,
            tally.older_cases,
            tally.compactions,
            tally.compactions_failed
        );
        s.total.add(&tally);
    }
    eprintln!("{label}: swept in {:.1?}", started.elapsed());
    s
}

fn summary(label: &str, t: &Tally, files: usize, panics: usize, invented: usize) -> String {
    format!(
        "corruption sweep{label}: {} mutations ({} flips, {} truncations) over {files} files, \
         opens failed cleanly {}, reads failed cleanly {}, {panics} panics, {invented} invented \
         values; older states shown where the damage drops newer records: {} reads in {} opens",
        t.mutations, t.flips, t.truncations, t.opens_failed, t.reads_failed, t.older, t.older_cases,
    )
}

/// Prints one line per pass and the total; fails with the first failures.
fn report(sweeps: &[Sweep], elapsed: std::time::Duration) {
    let mut total = Tally::default();
    let (mut files, mut panics, mut invented) = (0, 0, 0);
    for s in sweeps {
        let label = format!(" ({}, seed {})", s.label, s.seed);
        println!(
            "{}",
            summary(&label, &s.total, s.files, s.panics, s.invented)
        );
        total.add(&s.total);
        files += s.files;
        panics += s.panics;
        invented += s.invented;
    }
    println!(
        "{} [{elapsed:.1?}]",
        summary("", &total, files, panics, invented)
    );
    let failures: Vec<&String> = sweeps.iter().flat_map(|s| &s.failures).collect();
    if let Ok(path) = std::env::var("STRATA_CORRUPTION_FAILURES") {
        let text: Vec<&str> = failures.iter().map(|f| f.as_str()).collect();
        std::fs::write(&path, text.join("\n")).expect("write the failure list");
    }
    if !failures.is_empty() {
        for f in failures.iter().take(40) {
            eprintln!("  {f}");
        }
        panic!(
            "corruption sweep: {} failures (first 40 above; STRATA_CORRUPTION_FAILURES=<file> \
             writes them all); rerun with STRATA_CORRUPTION_SEED={}",
            failures.len(),
            sweeps.first().map_or(0, |s| s.seed)
        );
    }
}

/// A scratch directory in memory where the system has one (`/dev/shm`):
/// the sweep opens the database thousands of times and every open syncs
/// files, which on a disk costs time and tests nothing here.
/// `STRATA_CORRUPTION_DIR` names another parent.
fn scratch_dir() -> tempfile::TempDir {
    let parent = std::env::var_os("STRATA_CORRUPTION_DIR")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/dev/shm")).filter(|p| p.is_dir()));
    parent
        .and_then(|p| tempfile::tempdir_in(p).ok())
        .map_or_else(tempfile::tempdir, Ok)
        .expect("scratch directory")
}

#[test]
fn corruption_sweep_over_a_multi_level_database() {
    install_panic_counter();
    let started = Instant::now();
    let seed = env_seed();
    let full = full_sweep();
    let density = if full {
        Density {
            everything: true,
            log_record_stride: 1,
            table_block_stride: 1,
            table_boundaries: true,
            random_truncations: 64,
        }
    } else {
        Density {
            everything: false,
            log_record_stride: 24,
            table_block_stride: 4,
            table_boundaries: true,
            random_truncations: 3,
        }
    };
    // The in-memory pass re-reads the tables through another read path;
    // a lighter sample of them is enough in CI.
    let mem_density = Density {
        table_block_stride: if full { 1 } else { 8 },
        table_boundaries: full,
        random_truncations: if full { 64 } else { 2 },
        ..density
    };
    let tmp = scratch_dir();
    let dir = tmp.path().join("db");
    let posix_env: Arc<dyn Env> = Arc::new(PosixEnv::new());
    let built = build(&posix_env, &dir, seed);
    let targets = targets(&built, full);
    let records = |t: &Target| {
        t.regions
            .iter()
            .filter(|r| r.what.ends_with("header"))
            .count()
    };
    eprintln!(
        "built in {:.1?} under {}: tables per level {:?}, {} keys, {} WAL batches \
         ({} log records), {} MANIFEST records; targets {:?}",
        started.elapsed(),
        tmp.path().display(),
        built.levels.iter().map(Vec::len).collect::<Vec<_>>(),
        built.history.states.len(),
        built.wal_batches.len(),
        records(&targets[0]),
        records(&targets[1]),
        targets
            .iter()
            .map(|t| format!("{} {}B", t.label(), t.bytes.len()))
            .collect::<Vec<_>>()
    );
    let posix = sweep("posix", posix_env, &dir, &built, &targets, &density);
    // The same files again in memory: tables are then read with copies
    // into the block cache instead of from a memory mapping.
    let tables: Vec<Target> = targets
        .into_iter()
        .filter(|t| matches!(t.kind, Kind::Table { .. }))
        .collect();
    let mem = sweep(
        "mem, tables",
        Arc::new(MemEnv::new()),
        Path::new("/db"),
        &built,
        &tables,
        &mem_density,
    );
    report(&[posix, mem], started.elapsed());
}

/// The checks the sweep relies on catch what they must: a value never
/// written, an older state where none is allowed, a state before the last
/// flush after WAL damage, a state that is not a WAL prefix, and errors
/// that are of the wrong kind or name the wrong file.
#[test]
fn the_sweep_checks_flag_invented_and_older_values_and_bad_errors() {
    let mut history = History::default();
    for v in [&b"v1"[..], b"v2", b"v3"] {
        history.record(b"a", Some(v.to_vec()));
    }
    history.record(b"b", Some(b"w1".to_vec()));
    let mut at_flush = BTreeMap::new();
    at_flush.insert(b"a".to_vec(), b"v2".to_vec());
    at_flush.insert(b"b".to_vec(), b"w1".to_vec());
    let mut flushed = BTreeMap::new();
    flushed.insert(b"a".to_vec(), 2);
    flushed.insert(b"b".to_vec(), 1);
    let built = Built {
        seed: 0,
        image: DirImage::default(),
        history,
        flushed,
        at_flush,
        wal_batches: vec![vec![(b"a".to_vec(), Some(b"v3".to_vec()))]],
        levels: Vec::new(),
        probe_keys: vec![b"a".to_vec(), b"b".to_vec()],
    };
    let flagged = |allowed: Allowed, state: &KeyState| {
        let mut r = CaseReport::default();
        check_state(&built, allowed, b"a", state, "get", &mut r);
        r.violations
    };
    let v = |s: &str| Some(s.as_bytes().to_vec());
    for allowed in [
        Allowed::Exact,
        Allowed::SinceFlush,
        Allowed::WalPrefix,
        Allowed::AnyWritten,
    ] {
        assert!(flagged(allowed, &v("v3")).is_empty(), "latest is fine");
        let invented = flagged(allowed, &v("v9"));
        assert!(invented[0].starts_with("INVENTED"), "{invented:?}");
    }
    assert!(!flagged(Allowed::Exact, &v("v2")).is_empty());
    assert!(flagged(Allowed::SinceFlush, &v("v2")).is_empty());
    assert!(!flagged(Allowed::SinceFlush, &v("v1")).is_empty());
    assert!(!flagged(Allowed::SinceFlush, &None).is_empty());
    assert!(flagged(Allowed::AnyWritten, &None).is_empty());

    let state = |a: &str| -> Seen {
        let mut m = Seen::new();
        m.insert(b"a".to_vec(), v(a));
        m.insert(b"b".to_vec(), v("w1"));
        m
    };
    assert!(is_wal_prefix(&built, &state("v2")));
    assert!(is_wal_prefix(&built, &state("v3")));
    assert!(!is_wal_prefix(&built, &state("v1")));

    let table = Target {
        name: "000012.ldb".into(),
        kind: Kind::Table { level: 1 },
        bytes: vec![0; 100],
        regions: Vec::new(),
        last_record_at: 0,
    };
    let flip = Mutation::Flip {
        offset: 40,
        mask: 1,
    };
    let check = |e: Error| check_error(&e, &table, &flip, &built);
    assert!(check(Error::corruption("/db/000012.ldb", 40, "bad block")).is_none());
    assert!(check(Error::corruption("/db/000012.ldb", 400, "past the end")).is_some());
    assert!(check(Error::corruption("/db/000013.ldb", 40, "other file")).is_some());
    assert!(check(Error::corruption("iterator", 0, "no file")).is_some());
    assert!(check(Error::InvalidArgument("000012.ldb".into())).is_some());
}
