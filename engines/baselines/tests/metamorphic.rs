//! The metamorphic test, after Pebble's: one random sequence of operations
//! runs against every engine, and every read result must be identical.
//!
//! Engines (the "subjects"): an oracle (a `BTreeMap` model with its own
//! snapshots and cursors), strata's LSM engine in every memtable ×
//! compaction policy ([`MemTableKind::ALL`] × [`CompactionKind::ALL`]), and,
//! with the cargo features on, LevelDB 1.23 (`leveldb`) and rusty-leveldb
//! (`rusty-leveldb`) through their `Engine` wrappers.
//!
//! Operations: puts, deletes, multi-op batches (some empty, some repeating a
//! key), snapshots taken and released, gets now and at snapshots, long-lived
//! cursors (now or at a snapshot, living across writes, compactions and other
//! cursors) moved by `seek` / `seek_to_first` / `seek_to_last` / `next` /
//! `prev` in any mix, full forward and backward scans, `compact_range` over
//! random ranges (open-ended and whole), and close-and-reopen. Write buffers
//! and files are small, so flushes and multi-level compactions happen inside
//! the sequence. Options (compression, bloom filter, block size, cache,
//! buffer sizes) are drawn per seed and given to every engine alike.
//!
//! Every operation's outcome (a get's value, a cursor's entry after each
//! move, a scan's whole trace, and success of writes, compactions and
//! reopens) is compared with the oracle's. On a difference the test prints
//! the seed, the operation's index, the operation, the few before it, every
//! engine's result for it, and each engine's full forward scan right after
//! (to tell a damaged database from a wrong read path).
//!
//! Two passes: [`every_engine_returns_the_same_results`] (8 seeds) writes
//! neither the empty key nor a key followed by the same key plus a zero
//! byte; [`edge_keys_without_rusty_leveldb`] (2 seeds) writes both, without
//! rusty-leveldb, which mishandles them (see [`RUSTY_EDGE_KEYS_NOTE`]).
//!
//! Environment:
//! - `STRATA_METAMORPHIC_SEED=<n>`: run only seed `n`;
//! - `STRATA_METAMORPHIC_SEEDS=<n>` seeds from
//!   `STRATA_METAMORPHIC_FIRST_SEED` (default 1);
//! - `STRATA_METAMORPHIC_OPS=<n>`: operations per seed (default 2,000);
//! - `STRATA_METAMORPHIC_TRACE=1`: print every operation as it runs;
//! - `STRATA_METAMORPHIC_COMPARE_ALL=1`: compare rusty-leveldb's results
//!   that its known defects exclude (to see whether a new version fixed
//!   them);
//! - `STRATA_METAMORPHIC_DIR=<dir>`: where the databases live (default
//!   `/dev/shm` where it exists, so that fsyncs cost nothing).
//!
//! A long campaign: `STRATA_METAMORPHIC_SEEDS=1000 cargo test --release -p
//! strata-baselines --all-features --test metamorphic -- --nocapture`.
//!
//! rusty-leveldb 3.0.3 has upstream defects that make some of its read
//! results wrong. Each is reproduced on its own in [`rusty_defects`] (those
//! tests fail once a new version fixes it), and only the results it can
//! touch are left out, by a rule stated in its note (`RUSTY_*_NOTE`): its
//! cursor results after a `prev`, after a `seek`/`seek_to_last`, or once a
//! compaction deleted a table the cursor may read; its backward scans; and
//! a get that misses a key, or returns an older value of it, while a cursor
//! seeking to that key finds the oracle's answer. Everything else of
//! rusty-leveldb is compared. The notes are printed at the start and every
//! seed prints how many results each rule left out.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use strata_api::{
    BatchOp, Engine, EngineMetrics, Error, KvIterator, PosixEnv, ReadOptions, Result, Snapshot,
    WriteBatch, WriteOptions,
};
use strata_lsm::compaction::CompactionKind;
use strata_lsm::memtable::MemTableKind;
use strata_lsm::table::CompressionType;
use strata_lsm::{Db, DbOptions};

/// Prints a line to the process's stderr past the test harness's capture
/// (which takes only `print!`/`eprint!`), so that the notes on exclusions
/// and the summary show in every `cargo test` run, not only on failure.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Snapshot slots the sequence juggles at once.
const SNAPSHOT_SLOTS: usize = 4;
/// Cursor slots the sequence keeps open at once.
const CURSOR_SLOTS: usize = 3;
/// Distinct base keys; suffixes add neighbours of some of them.
const KEY_SPACE: u32 = 400;
/// Operations shown before the one that differs.
const CONTEXT_OPS: usize = 12;

// ---------------------------------------------------------------------------
// Operations

/// One cursor movement.
#[derive(Clone)]
enum Step {
    SeekToFirst,
    SeekToLast,
    Seek(Vec<u8>),
    Next,
    Prev,
}

/// One operation of the sequence. Slots name snapshots and cursors the same
/// way in every engine.
#[derive(Clone)]
enum Op {
    Put {
        key: Vec<u8>,
        value: Vec<u8>,
        sync: bool,
    },
    Delete {
        key: Vec<u8>,
        sync: bool,
    },
    /// `None` values are deletes.
    Batch {
        ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
        sync: bool,
    },
    Get {
        key: Vec<u8>,
        at: Option<usize>,
    },
    TakeSnapshot {
        slot: usize,
    },
    ReleaseSnapshot {
        slot: usize,
    },
    OpenCursor {
        slot: usize,
        at: Option<usize>,
    },
    Move {
        slot: usize,
        step: Step,
    },
    CloseCursor {
        slot: usize,
    },
    /// A fresh cursor's whole trace: `seek_to_first` + `next`s, or
    /// `seek_to_last` + `prev`s.
    Scan {
        at: Option<usize>,
        backward: bool,
    },
    CompactRange {
        begin: Option<Vec<u8>>,
        end: Option<Vec<u8>>,
    },
    Reopen,
}

/// A key for humans: printable ASCII as is, other bytes escaped.
fn show_key(key: &[u8]) -> String {
    format!("\"{}\"", key.escape_ascii())
}

/// A value for humans: its length and its first bytes (values run to KiBs).
fn show_value(value: &[u8]) -> String {
    let head = &value[..value.len().min(20)];
    let more = if value.len() > head.len() { "…" } else { "" };
    format!("{}B \"{}{more}\"", value.len(), head.escape_ascii())
}

fn show_bound(bound: &Option<Vec<u8>>) -> String {
    bound.as_deref().map_or("(open)".to_string(), show_key)
}

fn show_at(at: &Option<usize>) -> String {
    at.map_or("now".to_string(), |s| format!("snapshot {s}"))
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::SeekToFirst => write!(f, "seek_to_first"),
            Step::SeekToLast => write!(f, "seek_to_last"),
            Step::Seek(k) => write!(f, "seek {}", show_key(k)),
            Step::Next => write!(f, "next"),
            Step::Prev => write!(f, "prev"),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sync_text = |sync: &bool| if *sync { " (sync)" } else { "" };
        match self {
            Op::Put { key, value, sync } => write!(
                f,
                "put {} = {}{}",
                show_key(key),
                show_value(value),
                sync_text(sync)
            ),
            Op::Delete { key, sync } => write!(f, "delete {}{}", show_key(key), sync_text(sync)),
            Op::Batch { ops, sync } => {
                write!(f, "batch of {}{}: [", ops.len(), sync_text(sync))?;
                for (i, (k, v)) in ops.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    match v {
                        Some(v) => write!(f, "{sep}put {} = {}", show_key(k), show_value(v))?,
                        None => write!(f, "{sep}delete {}", show_key(k))?,
                    }
                }
                write!(f, "]")
            }
            Op::Get { key, at } => write!(f, "get {} at {}", show_key(key), show_at(at)),
            Op::TakeSnapshot { slot } => write!(f, "take snapshot {slot}"),
            Op::ReleaseSnapshot { slot } => write!(f, "release snapshot {slot}"),
            Op::OpenCursor { slot, at } => write!(f, "open cursor {slot} at {}", show_at(at)),
            Op::Move { slot, step } => write!(f, "cursor {slot}: {step}"),
            Op::CloseCursor { slot } => write!(f, "close cursor {slot}"),
            Op::Scan { at, backward } => write!(
                f,
                "full {} scan at {}",
                if *backward { "backward" } else { "forward" },
                show_at(at)
            ),
            Op::CompactRange { begin, end } => write!(
                f,
                "compact_range {} .. {}",
                show_bound(begin),
                show_bound(end)
            ),
            Op::Reopen => write!(f, "close and reopen"),
        }
    }
}

// ---------------------------------------------------------------------------
// The generator

/// Draws a sequence; tracks which snapshot and cursor slots are live so that
/// every operation it emits is legal.
struct Generator {
    rng: Xoshiro256PlusPlus,
    snapshots: [bool; SNAPSHOT_SLOTS],
    cursors: [bool; CURSOR_SLOTS],
    serial: u64,
    /// Whether written keys may be empty or end in a zero byte.
    edge_keys: bool,
}

impl Generator {
    fn new(seed: u64, edge_keys: bool) -> Self {
        Generator {
            edge_keys,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            snapshots: [false; SNAPSHOT_SLOTS],
            cursors: [false; CURSOR_SLOTS],
            serial: 0,
        }
    }

    /// A key of the key space: `k0000`..`k0399`, sometimes with a suffix that
    /// sorts it just after it (`\xff`, `.`, `a`, and in a pass with edge
    /// keys `\0`, its immediate successor), rarely the empty key in a pass
    /// with edge keys (see [`Pass`]).
    fn key(&mut self) -> Vec<u8> {
        if self.rng.gen_bool(0.004) && self.edge_keys {
            return Vec::new();
        }
        let n = self.rng.gen_range(0..KEY_SPACE);
        let mut key = format!("k{n:04}").into_bytes();
        if self.rng.gen_bool(0.1) {
            let suffixes: [&[u8]; 4] = [b"\x00", b"\xff", b".", b"a"];
            let first = usize::from(!self.edge_keys);
            key.extend_from_slice(suffixes[self.rng.gen_range(first..suffixes.len())]);
        }
        key
    }

    /// A seek target: mostly a key of the key space, else a prefix of one,
    /// a key past every key or before every key.
    fn target(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..10u32) {
            0 => {
                let mut k = self.key();
                let cut = self.rng.gen_range(0..=k.len());
                k.truncate(cut);
                k
            }
            1 => {
                let edges: [&[u8]; 5] = [b"", b"a", b"k", b"k9", b"\xff\xff"];
                edges[self.rng.gen_range(0..edges.len())].to_vec()
            }
            _ => self.key(),
        }
    }

    /// A value naming the write that made it (so values are unique), of a
    /// length from empty to a few KiB (large ones fill buffers quickly).
    fn value(&mut self) -> Vec<u8> {
        self.serial += 1;
        if self.rng.gen_bool(0.03) {
            return Vec::new();
        }
        let len = if self.rng.gen_bool(0.08) {
            self.rng.gen_range(1000..6000usize)
        } else {
            self.rng.gen_range(0..120usize)
        };
        let mut v = format!("{}:", self.serial).into_bytes();
        v.extend((0..len).map(|_| self.rng.gen_range(b'a'..=b'z')));
        v
    }

    /// Rarely: a synced write costs an fsync per engine, and no crash
    /// happens here to tell synced writes apart.
    fn sync(&mut self) -> bool {
        self.rng.gen_bool(0.005)
    }

    fn live(slots: &[bool]) -> Vec<usize> {
        (0..slots.len()).filter(|&i| slots[i]).collect()
    }

    fn free(slots: &[bool]) -> Option<usize> {
        slots.iter().position(|live| !live)
    }

    /// A live snapshot slot, or `None` (read now) some of the time.
    fn read_at(&mut self, now_chance: f64) -> Option<usize> {
        let live = Self::live(&self.snapshots);
        if live.is_empty() || self.rng.gen_bool(now_chance) {
            None
        } else {
            Some(live[self.rng.gen_range(0..live.len())])
        }
    }

    fn step(&mut self) -> Step {
        match self.rng.gen_range(0..100u32) {
            0..=9 => Step::SeekToFirst,
            10..=19 => Step::SeekToLast,
            20..=39 => Step::Seek(self.target()),
            40..=71 => Step::Next,
            _ => Step::Prev,
        }
    }

    fn next_op(&mut self) -> Op {
        let roll = self.rng.gen_range(0..1000u32);
        match roll {
            0..=299 => Op::Put {
                key: self.key(),
                value: self.value(),
                sync: self.sync(),
            },
            300..=379 => Op::Delete {
                key: self.key(),
                sync: self.sync(),
            },
            380..=449 => {
                let n = if self.rng.gen_bool(0.05) {
                    0
                } else {
                    self.rng.gen_range(1..12)
                };
                let mut ops = Vec::new();
                for _ in 0..n {
                    // Sometimes the same key again, so a batch overwrites
                    // (or deletes) its own earlier update.
                    let key = match ops.last() {
                        Some((k, _)) if self.rng.gen_bool(0.15) => Vec::clone(k),
                        _ => self.key(),
                    };
                    let value = if self.rng.gen_bool(0.3) {
                        None
                    } else {
                        Some(self.value())
                    };
                    ops.push((key, value));
                }
                Op::Batch {
                    ops,
                    sync: self.sync(),
                }
            }
            450..=599 => Op::Get {
                key: self.key(),
                at: self.read_at(0.6),
            },
            600..=624 => match Self::free(&self.snapshots) {
                Some(slot) => {
                    self.snapshots[slot] = true;
                    Op::TakeSnapshot { slot }
                }
                None => self.release_snapshot(),
            },
            625..=639 => self.release_snapshot(),
            640..=664 => self.open_cursor(),
            665..=849 => {
                let live = Self::live(&self.cursors);
                if live.is_empty() {
                    self.open_cursor()
                } else {
                    Op::Move {
                        slot: live[self.rng.gen_range(0..live.len())],
                        step: self.step(),
                    }
                }
            }
            850..=864 => {
                let live = Self::live(&self.cursors);
                if live.is_empty() {
                    self.open_cursor()
                } else {
                    let slot = live[self.rng.gen_range(0..live.len())];
                    self.cursors[slot] = false;
                    Op::CloseCursor { slot }
                }
            }
            865..=884 => Op::Scan {
                at: self.read_at(0.7),
                backward: self.rng.gen_bool(0.5),
            },
            885..=902 => {
                let (begin, end) = if self.rng.gen_bool(0.2) {
                    (None, None)
                } else {
                    let a = self.target();
                    let b = self.target();
                    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                    let lo = (!self.rng.gen_bool(0.15)).then_some(lo);
                    let hi = (!self.rng.gen_bool(0.15)).then_some(hi);
                    (lo, hi)
                };
                Op::CompactRange { begin, end }
            }
            903..=994 => Op::Get {
                key: self.key(),
                at: None,
            },
            _ => {
                self.snapshots = [false; SNAPSHOT_SLOTS];
                self.cursors = [false; CURSOR_SLOTS];
                Op::Reopen
            }
        }
    }

    fn release_snapshot(&mut self) -> Op {
        let live = Self::live(&self.snapshots);
        if live.is_empty() {
            self.snapshots[0] = true;
            return Op::TakeSnapshot { slot: 0 };
        }
        let slot = live[self.rng.gen_range(0..live.len())];
        self.snapshots[slot] = false;
        Op::ReleaseSnapshot { slot }
    }

    fn open_cursor(&mut self) -> Op {
        let slot = match Self::free(&self.cursors) {
            Some(s) => s,
            // All slots busy: replace one (the old cursor is dropped).
            None => self.rng.gen_range(0..CURSOR_SLOTS),
        };
        self.cursors[slot] = true;
        let at = self.read_at(0.6);
        Op::OpenCursor { slot, at }
    }
}

/// The sequence of `seed`.
fn generate(seed: u64, count: usize, edge_keys: bool) -> Vec<Op> {
    let mut g = Generator::new(seed, edge_keys);
    (0..count).map(|_| g.next_op()).collect()
}

// ---------------------------------------------------------------------------
// Per-seed options

/// Options drawn per seed and given to every engine (as far as it has them:
/// LevelDB raises a write buffer below 64 KiB and a table file below 1 MiB
/// to those minimums, see the `strata-baselines` crate docs).
#[derive(Clone, Copy, Debug)]
struct Tuning {
    write_buffer_bytes: usize,
    max_file_bytes: usize,
    block_bytes: usize,
    restart_interval: usize,
    bloom_bits: u32,
    snappy: bool,
    cache_bytes: usize,
}

impl Tuning {
    fn of_seed(seed: u64) -> Self {
        // Another stream than the operations', so that options and ops vary
        // independently.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x6d65_7461_6d6f_7270);
        let mut pick = |choices: &[usize]| choices[rng.gen_range(0..choices.len())];
        Tuning {
            // A skiplist memtable counts whole 4 KiB arena blocks, so below
            // 16 KiB it flushes after almost every write.
            write_buffer_bytes: pick(&[16 << 10, 32 << 10, 64 << 10]),
            max_file_bytes: pick(&[8 << 10, 32 << 10]),
            block_bytes: pick(&[256, 1 << 10, 4 << 10]),
            restart_interval: pick(&[1, 4, 16]),
            bloom_bits: pick(&[0, 10]) as u32,
            snappy: pick(&[0, 1]) == 1,
            cache_bytes: pick(&[64 << 10, 8 << 20]),
        }
    }

    fn lsm(&self, memtable: MemTableKind, compaction: CompactionKind) -> DbOptions {
        DbOptions {
            env: Arc::new(PosixEnv::new()),
            create_if_missing: true,
            write_buffer_size: self.write_buffer_bytes,
            max_file_size: self.max_file_bytes as u64,
            // Small, so a few hundred KiB of writes reach level 2 and below.
            max_bytes_for_level_base: 32 << 10,
            block_size: self.block_bytes,
            block_restart_interval: self.restart_interval,
            compression: if self.snappy {
                CompressionType::Snappy
            } else {
                CompressionType::None
            },
            bloom_bits_per_key: (self.bloom_bits > 0).then_some(self.bloom_bits),
            block_cache_capacity_bytes: self.cache_bytes,
            memtable,
            compaction,
            ..DbOptions::default()
        }
    }

    /// The spec of a wrapped peer of kind `kind`.
    #[cfg_attr(
        not(any(feature = "leveldb", feature = "rusty-leveldb")),
        allow(dead_code)
    )]
    fn peer_spec(&self, kind: &str) -> strata_api::EngineSpec {
        // rusty-leveldb gets LevelDB's smallest table size (which LevelDB
        // itself raises smaller sizes to): with small tables its compactions
        // split one key's versions across files and, lacking LevelDB's
        // boundary inputs, bring deleted keys back (RUSTY_STALE_GET_NOTE).
        let max_file_bytes = if kind == "rusty-leveldb" {
            self.max_file_bytes.max(1 << 20)
        } else {
            self.max_file_bytes
        };
        let text = format!(
            "{kind}:write_buffer_size={},max_file_size={},block_size={},bloom_bits={},\
             compression={},cache_size={}",
            self.write_buffer_bytes,
            max_file_bytes,
            self.block_bytes,
            self.bloom_bits,
            if self.snappy { "snappy" } else { "none" },
            self.cache_bytes
        );
        strata_api::EngineSpec::parse(&text).expect("a valid peer spec")
    }
}

impl fmt::Display for Tuning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "write_buffer={} max_file={} block={} restart_interval={} bloom_bits={} \
             compression={} cache={}",
            self.write_buffer_bytes,
            self.max_file_bytes,
            self.block_bytes,
            self.restart_interval,
            self.bloom_bits,
            if self.snappy { "snappy" } else { "none" },
            self.cache_bytes
        )
    }
}

// ---------------------------------------------------------------------------
// The oracle: a BTreeMap behind the Engine trait

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// Every value ever written to each key (values are unique: each names the
/// write that made it).
type History = HashMap<Vec<u8>, HashSet<Vec<u8>>>;

/// Records the values `op` writes in `history`.
fn record(history: &mut History, op: &Op) {
    let mut add = |k: &Vec<u8>, v: &Vec<u8>| {
        history.entry(k.clone()).or_default().insert(v.clone());
    };
    match op {
        Op::Put { key, value, .. } => add(key, value),
        Op::Batch { ops, .. } => {
            for (k, v) in ops {
                if let Some(v) = v {
                    add(k, v);
                }
            }
        }
        _ => {}
    }
}

/// The oracle. Snapshots and cursors hold their own copy of the map as of
/// when they were made (a cursor's implicit snapshot, as in LevelDB).
#[derive(Default)]
struct ModelDb {
    map: Mutex<Arc<Model>>,
    snapshots: Arc<Mutex<HashMap<u64, Arc<Model>>>>,
    next_snapshot: Mutex<u64>,
}

impl ModelDb {
    fn view(&self, options: &ReadOptions) -> Result<Arc<Model>> {
        match &options.snapshot {
            None => Ok(Arc::clone(&self.map.lock().expect("model lock"))),
            Some(s) => self
                .snapshots
                .lock()
                .expect("model lock")
                .get(&s.id())
                .cloned()
                .ok_or_else(|| Error::InvalidArgument(format!("unknown snapshot {}", s.id()))),
        }
    }
}

impl Engine for ModelDb {
    fn spec(&self) -> String {
        "model".to_string()
    }

    fn write(&self, _options: &WriteOptions, batch: &WriteBatch) -> Result<()> {
        // Decode first: a bad batch changes nothing.
        let ops = batch.iter().collect::<Result<Vec<_>>>()?;
        let mut map = self.map.lock().expect("model lock");
        let map = Arc::make_mut(&mut map);
        for op in ops {
            match op {
                BatchOp::Put { key, value } => {
                    map.insert(key.to_vec(), value.to_vec());
                }
                BatchOp::Delete { key } => {
                    map.remove(key);
                }
            }
        }
        Ok(())
    }

    fn get_into(&self, options: &ReadOptions, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        value.clear();
        match self.view(options)?.get(key) {
            Some(v) => {
                value.extend_from_slice(v);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn iter(&self, options: &ReadOptions) -> Result<Box<dyn KvIterator>> {
        let entries = self
            .view(options)?
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Box::new(ModelCursor { entries, at: None }))
    }

    fn snapshot(&self) -> Snapshot {
        let id = {
            let mut next = self.next_snapshot.lock().expect("model lock");
            *next += 1;
            *next
        };
        let view = Arc::clone(&self.map.lock().expect("model lock"));
        self.snapshots.lock().expect("model lock").insert(id, view);
        let snapshots = Arc::clone(&self.snapshots);
        Snapshot::new(
            id,
            Box::new(move |id| {
                snapshots.lock().expect("model lock").remove(&id);
            }),
        )
    }

    fn compact_range(&self, _begin: Option<&[u8]>, _end: Option<&[u8]>) -> Result<()> {
        Ok(())
    }

    fn property(&self, _name: &str) -> Option<String> {
        None
    }

    fn metrics(&self) -> EngineMetrics {
        EngineMetrics::default()
    }
}

/// The oracle's cursor: an index into a sorted copy of its view.
struct ModelCursor {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    at: Option<usize>,
}

impl KvIterator for ModelCursor {
    fn valid(&self) -> bool {
        self.at.is_some()
    }
    fn seek_to_first(&mut self) {
        self.at = (!self.entries.is_empty()).then_some(0);
    }
    fn seek_to_last(&mut self) {
        self.at = self.entries.len().checked_sub(1);
    }
    fn seek(&mut self, target: &[u8]) {
        let i = self.entries.partition_point(|(k, _)| k.as_slice() < target);
        self.at = (i < self.entries.len()).then_some(i);
    }
    fn next(&mut self) {
        self.at = self.at.map(|i| i + 1).filter(|&i| i < self.entries.len());
    }
    fn prev(&mut self) {
        self.at = self.at.and_then(|i| i.checked_sub(1));
    }
    fn key(&self) -> &[u8] {
        self.at.map_or(&[], |i| &self.entries[i].0)
    }
    fn value(&self) -> &[u8] {
        self.at.map_or(&[], |i| &self.entries[i].1)
    }
    fn status(&self) -> Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Subjects: an engine, its reopen recipe, and its live snapshots and cursors

type Opener = Box<dyn Fn() -> Result<Arc<dyn Engine>>>;

/// Why a result of rusty-leveldb was left out of the comparison. Each is
/// an upstream defect of rusty-leveldb 3.0.3, reproduced on its own by the
/// tests in [`rusty_defects`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Excluded {
    /// The cursor moved by `prev` (see [`RUSTY_BACKWARD_NOTE`]).
    Backward,
    /// The cursor was positioned by `seek` or `seek_to_last` (see
    /// [`RUSTY_SEEK_NOTE`]).
    AfterSeek,
    /// A table the cursor may read was deleted under it (see
    /// [`RUSTY_STALE_CURSOR_NOTE`]).
    StaleCursor,
    /// A get missed a key that a cursor finds (see [`RUSTY_GET_NOTE`]).
    GetMiss,
    /// A get returned an older value of the key than a cursor finds (see
    /// [`RUSTY_STALE_GET_NOTE`]).
    StaleGet,
}

impl Excluded {
    fn reason(self) -> &'static str {
        match self {
            Excluded::Backward => "cursor after a prev",
            Excluded::AfterSeek => "cursor after a seek",
            Excluded::StaleCursor => "cursor across a compaction",
            Excluded::GetMiss => "get missed a key its cursor finds",
            Excluded::StaleGet => "get returned an older value than its cursor finds",
        }
    }
}

/// Why rusty-leveldb's backward iteration is not compared.
const RUSTY_BACKWARD_NOTE: &str = "rusty-leveldb 3.0.3: MemtableIterator::prev (memtable.rs:93) \
skips deletion entries, so a backward move over the memtable never sees a tombstone and returns \
the deleted key's older value; its backward scans, and its cursor results from a prev until the \
cursor's next seek_to_first, are not compared";

/// Why rusty-leveldb's cursor results after a seek are not compared.
const RUSTY_SEEK_NOTE: &str = "rusty-leveldb 3.0.3: TableIterator::seek (table_reader.rs:318) \
does not move to the next block when the target falls between a block's last key and its index \
separator, leaving that table's cursor invalid, and VersionIter::seek (version.rs:451) then drops \
the whole level from the merge; a seek can skip live keys or bring deleted ones back (a newer \
tombstone goes missing), so its cursor results from a seek or seek_to_last (the wrapper's is a \
forward walk, then a seek) until the cursor's next seek_to_first are not compared";

/// Why rusty-leveldb's cursors are not compared after a compaction.
const RUSTY_STALE_CURSOR_NOTE: &str = "rusty-leveldb 3.0.3: a compaction deletes the tables \
of every version but the current one (VersionSet::live_files, version_set.rs:213, used by \
delete_obsolete_files, db_impl.rs:305; LevelDB keeps the files of every live version), so an \
open cursor loses entries of tables it has not read yet; its cursor results once a table file \
present at the cursor's open is gone are not compared";

/// Why a not-found from rusty-leveldb's get is accepted when a cursor finds
/// the key.
const RUSTY_GET_NOTE: &str = "rusty-leveldb 3.0.3: Version::get (version.rs:94) returns \
not-found when the first entry at or after the key in a newer table is a deletion of ANOTHER key \
(it does not compare user keys for deletions), so a get can miss a live key; such a miss is \
accepted only if a fresh cursor of rusty-leveldb at the same snapshot, seeking to exactly that \
key, finds it with the oracle's value (the data is there, the get path lost it); every other get \
result is compared";

/// Why an older value from rusty-leveldb's get is accepted when a cursor
/// finds the current one.
const RUSTY_STALE_GET_NOTE: &str = "rusty-leveldb 3.0.3: its compactions lack LevelDB's \
AddBoundaryInputs (LevelDB 1.21+; rusty-leveldb's VersionSet::compact_range and \
setup_other_inputs, version_set.rs:331 and :366): when a snapshot makes a compaction split the \
versions of one key across two files of a level, a later compaction can move the file with the \
newer version down and leave the older one above it, and Version::get, which stops at the first \
level that has the key, returns the older value (or a deleted key's older value); such a get is \
accepted only if the value it returned was written to that key before and a fresh cursor at the \
same snapshot, seeking to exactly that key, finds the oracle's answer (cursors merge by sequence \
number and are right). Worse, a tombstone moved below an older value can be dropped and the \
deleted key comes back for every reader (seen in a long campaign), so rusty-leveldb runs with \
tables of at least 1 MiB (LevelDB's own minimum, which LevelDB applies to itself too), which \
keeps such splits out of its runs";

/// rusty-leveldb's known upstream defects, tracked per cursor slot to
/// decide which of its results are compared. A cursor's results are
/// compared while it has only moved by `seek_to_first` and `next` since it
/// opened, and no table it may read has been deleted.
struct RustyQuirks {
    dir: PathBuf,
    /// The table files in the directory when each cursor opened.
    tables_at_open: Vec<HashSet<OsString>>,
    /// Per cursor: what made its position untrustworthy since it was last
    /// positioned by `seek_to_first`, if anything.
    tainted: Vec<Option<Excluded>>,
}

impl RustyQuirks {
    #[cfg_attr(not(feature = "rusty-leveldb"), allow(dead_code))]
    fn new(dir: PathBuf) -> Self {
        RustyQuirks {
            dir,
            tables_at_open: vec![HashSet::new(); CURSOR_SLOTS],
            tainted: vec![None; CURSOR_SLOTS],
        }
    }

    fn tables(&self) -> HashSet<OsString> {
        std::fs::read_dir(&self.dir)
            .expect("list the rusty-leveldb directory")
            .map(|e| e.expect("directory entry").file_name())
            .filter(|n| n.to_string_lossy().ends_with(".ldb"))
            .collect()
    }

    /// Whether the result of `op` (about to run) is left out, and why;
    /// updates the per-cursor state.
    fn excludes(&mut self, op: &Op) -> Option<Excluded> {
        match op {
            Op::Scan { backward: true, .. } => Some(Excluded::Backward),
            Op::OpenCursor { slot, .. } => {
                self.tainted[*slot] = None;
                self.tables_at_open[*slot] = self.tables();
                None
            }
            Op::Move { slot, step } => {
                let tainted = &mut self.tainted[*slot];
                match step {
                    Step::SeekToFirst => *tainted = None,
                    Step::Seek(_) | Step::SeekToLast => *tainted = Some(Excluded::AfterSeek),
                    Step::Prev => *tainted = Some(Excluded::Backward),
                    Step::Next => {}
                }
                let stale = !self.tables_at_open[*slot].is_subset(&self.tables());
                if stale {
                    Some(Excluded::StaleCursor)
                } else {
                    self.tainted[*slot]
                }
            }
            _ => None,
        }
    }
}

/// One engine under test.
struct Subject {
    name: String,
    open: Opener,
    db: Option<Arc<dyn Engine>>,
    snapshots: Vec<Option<Snapshot>>,
    cursors: Vec<Option<Box<dyn KvIterator>>>,
    /// Set for rusty-leveldb only.
    quirks: Option<RustyQuirks>,
    /// Results left out of the comparison, by reason.
    excluded: BTreeMap<&'static str, u64>,
    /// Time spent in this engine's operations.
    busy: Duration,
}

/// What an operation returned, compared across engines.
#[derive(Clone, PartialEq, Eq)]
enum Outcome {
    /// A write, snapshot, cursor open/close, compaction or reopen succeeded.
    Done,
    /// A get's answer.
    Value(Option<Vec<u8>>),
    /// Where a cursor stands after a move (`None`: not valid).
    Entry(Option<(Vec<u8>, Vec<u8>)>),
    /// A whole scan.
    Trace(Vec<(Vec<u8>, Vec<u8>)>),
    /// The operation failed; the error's text.
    Failed(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Done => write!(f, "ok"),
            Outcome::Value(None) | Outcome::Entry(None) => write!(f, "not found / not valid"),
            Outcome::Value(Some(v)) => write!(f, "{}", show_value(v)),
            Outcome::Entry(Some((k, v))) => write!(f, "{} = {}", show_key(k), show_value(v)),
            Outcome::Trace(t) => write!(f, "{} entries", t.len()),
            Outcome::Failed(e) => write!(f, "error: {e}"),
        }
    }
}

impl Subject {
    fn new(name: String, open: Opener, quirks: Option<RustyQuirks>) -> Self {
        let db = open().unwrap_or_else(|e| panic!("{name}: open failed: {e}"));
        Subject {
            name,
            open,
            db: Some(db),
            snapshots: (0..SNAPSHOT_SLOTS).map(|_| None).collect(),
            cursors: (0..CURSOR_SLOTS).map(|_| None).collect(),
            quirks,
            excluded: BTreeMap::new(),
            busy: Duration::ZERO,
        }
    }

    fn db(&self) -> &Arc<dyn Engine> {
        self.db
            .as_ref()
            .expect("the database is open between operations")
    }

    fn read_options(&self, at: &Option<usize>) -> ReadOptions {
        ReadOptions {
            snapshot: at.map(|s| {
                self.snapshots[s]
                    .clone()
                    .expect("the generator reads only at live snapshots")
            }),
            ..ReadOptions::default()
        }
    }

    /// Runs `op`; returns its outcome and, if it is not to be compared,
    /// why.
    fn apply(&mut self, op: &Op) -> (Outcome, Option<Excluded>) {
        let excluded = self.quirks.as_mut().and_then(|q| q.excludes(op));
        let started = Instant::now();
        // A panic inside an engine is a result like an error: reported with
        // the seed and the operation, not a bare backtrace.
        let outcome = match std::panic::catch_unwind(AssertUnwindSafe(|| self.run(op))) {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => Outcome::Failed(e.to_string()),
            Err(panic) => Outcome::Failed(format!("panicked: {}", panic_text(panic.as_ref()))),
        };
        self.busy += started.elapsed();
        (outcome, excluded)
    }

    /// Whether a result `got` that differs from the oracle's `want` is
    /// explained by a known upstream defect (see [`RUSTY_GET_NOTE`] and
    /// [`RUSTY_STALE_GET_NOTE`]). `history` holds every value ever written
    /// to each key.
    fn excuse(
        &self,
        op: &Op,
        got: &Outcome,
        want: &Outcome,
        history: &History,
    ) -> Option<Excluded> {
        self.quirks.as_ref()?;
        let (Op::Get { key, at }, Outcome::Value(got), Outcome::Value(want)) = (op, got, want)
        else {
            return None;
        };
        let why = match got {
            None => Excluded::GetMiss,
            Some(old) if history.get(key).is_some_and(|h| h.contains(old)) => Excluded::StaleGet,
            Some(_) => return None,
        };
        // The data is there: a cursor at the same view, seeking to exactly
        // the key, agrees with the oracle.
        let mut it = self.db().iter(&self.read_options(at)).ok()?;
        it.seek(key);
        let found = (it.valid() && it.key() == key.as_slice()).then(|| it.value().to_vec());
        (found == *want).then_some(why)
    }

    fn count_excluded(&mut self, why: Excluded) {
        *self.excluded.entry(why.reason()).or_default() += 1;
    }

    fn run(&mut self, op: &Op) -> Result<Outcome> {
        let w = |sync: &bool| WriteOptions { sync: *sync };
        match op {
            Op::Put { key, value, sync } => self.db().put(&w(sync), key, value)?,
            Op::Delete { key, sync } => self.db().delete(&w(sync), key)?,
            Op::Batch { ops, sync } => {
                let mut batch = WriteBatch::new();
                for (k, v) in ops {
                    match v {
                        Some(v) => batch.put(k, v),
                        None => batch.delete(k),
                    }
                }
                self.db().write(&w(sync), &batch)?;
            }
            Op::Get { key, at } => {
                let options = self.read_options(at);
                return Ok(Outcome::Value(self.db().get(&options, key)?));
            }
            Op::TakeSnapshot { slot } => self.snapshots[*slot] = Some(self.db().snapshot()),
            Op::ReleaseSnapshot { slot } => self.snapshots[*slot] = None,
            Op::OpenCursor { slot, at } => {
                self.cursors[*slot] = None;
                let options = self.read_options(at);
                self.cursors[*slot] = Some(self.db().iter(&options)?);
            }
            Op::Move { slot, step } => {
                let it = self.cursors[*slot]
                    .as_mut()
                    .expect("the generator moves only open cursors");
                return move_cursor(it.as_mut(), step);
            }
            Op::CloseCursor { slot } => self.cursors[*slot] = None,
            Op::Scan { at, backward } => {
                let options = self.read_options(at);
                let mut it = self.db().iter(&options)?;
                return Ok(Outcome::Trace(scan(it.as_mut(), *backward)?));
            }
            Op::CompactRange { begin, end } => {
                self.db().compact_range(begin.as_deref(), end.as_deref())?
            }
            Op::Reopen => self.reopen()?,
        }
        Ok(Outcome::Done)
    }

    /// Drops cursors, snapshots and the database (in that order: the first
    /// two hold on to the last), then opens it again.
    fn reopen(&mut self) -> Result<()> {
        self.cursors.iter_mut().for_each(|c| *c = None);
        self.snapshots.iter_mut().for_each(|s| *s = None);
        self.db = None;
        self.db = Some((self.open)()?);
        Ok(())
    }
}

/// The message of a panic's payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// Moves `it` by `step` and reports where it stands. `next` and `prev` on a
/// cursor that is not valid are not called (LevelDB requires a valid one):
/// the cursor stays not valid.
fn move_cursor(it: &mut dyn KvIterator, step: &Step) -> Result<Outcome> {
    match step {
        Step::SeekToFirst => it.seek_to_first(),
        Step::SeekToLast => it.seek_to_last(),
        Step::Seek(k) => it.seek(k),
        Step::Next | Step::Prev if !it.valid() => {}
        Step::Next => it.next(),
        Step::Prev => it.prev(),
    }
    it.status()?;
    Ok(Outcome::Entry(
        it.valid().then(|| (it.key().to_vec(), it.value().to_vec())),
    ))
}

fn scan(it: &mut dyn KvIterator, backward: bool) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    if backward {
        it.seek_to_last();
    } else {
        it.seek_to_first();
    }
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        if backward {
            it.prev();
        } else {
            it.next();
        }
    }
    it.status()?;
    Ok(out)
}

/// Every subject for one seed, the oracle first, each in its own directory
/// under `root`.
fn subjects(root: &Path, tuning: Tuning, pass: &Pass) -> Vec<Subject> {
    let mut out = vec![Subject::new(
        "model (oracle)".to_string(),
        {
            // The model lives across reopens (it is the "disk"); a reopen
            // hands out the same one.
            let model: Arc<dyn Engine> = Arc::new(ModelDb::default());
            Box::new(move || Ok(Arc::clone(&model)))
        },
        None,
    )];
    for &memtable in MemTableKind::ALL {
        for &compaction in CompactionKind::ALL {
            let name = format!("lsm:{}/{}", memtable.name(), compaction.name());
            let dir: PathBuf = root.join(name.replace([':', '/'], "-"));
            let options = tuning.lsm(memtable, compaction);
            let open: Opener = Box::new(move || {
                let db: Arc<dyn Engine> = Arc::new(Db::open(options.clone(), &dir)?);
                Ok(db)
            });
            out.push(Subject::new(name, open, None));
        }
    }
    #[cfg(feature = "leveldb")]
    {
        let spec = tuning.peer_spec("leveldb");
        let dir = root.join("leveldb");
        let open: Opener = Box::new(move || strata_baselines::open_leveldb(&spec, &dir));
        out.push(Subject::new("leveldb 1.23".to_string(), open, None));
    }
    #[cfg(not(feature = "rusty-leveldb"))]
    let _not_compiled_in = pass.rusty;
    #[cfg(feature = "rusty-leveldb")]
    if pass.rusty {
        let spec = tuning.peer_spec("rusty-leveldb");
        let dir = root.join("rusty-leveldb");
        // STRATA_METAMORPHIC_COMPARE_ALL=1 compares everything (to see
        // whether a newer port fixed its defects).
        let quirks = std::env::var_os("STRATA_METAMORPHIC_COMPARE_ALL")
            .is_none()
            .then(|| RustyQuirks::new(dir.clone()));
        let open: Opener = Box::new(move || strata_baselines::open_rusty_leveldb(&spec, &dir));
        out.push(Subject::new("rusty-leveldb".to_string(), open, quirks));
    }
    out
}

// ---------------------------------------------------------------------------
// Running and reporting

/// Where two traces first differ, for the report (not thousands of pairs).
fn trace_difference(got: &[(Vec<u8>, Vec<u8>)], want: &[(Vec<u8>, Vec<u8>)]) -> String {
    let entry = |e: Option<&(Vec<u8>, Vec<u8>)>| {
        e.map_or("(end)".to_string(), |(k, v)| {
            format!("{} = {}", show_key(k), show_value(v))
        })
    };
    match (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
        None => "identical to the oracle's".to_string(),
        Some(i) => format!(
            "first difference at entry {i}: {} where the oracle has {}",
            entry(got.get(i)),
            entry(want.get(i))
        ),
    }
}

/// The report of the first differing operation of a seed.
fn report(
    seed: u64,
    tuning: Tuning,
    pass: &Pass,
    ops: &[Op],
    index: usize,
    subjects: &[Subject],
    outcomes: &[(Outcome, Option<Excluded>)],
) -> String {
    let mut text = format!(
        "metamorphic: seed {seed}: results differ at op #{index} of {}: {}\n  options: {tuning}\n  \
         reproduce: STRATA_METAMORPHIC_SEED={seed} STRATA_METAMORPHIC_OPS={} cargo test -p \
         strata-baselines {} --test metamorphic {} -- --nocapture\n  ops before it:\n",
        ops.len(),
        ops[index],
        index + 1,
        features_flag(),
        pass.test,
    );
    for (i, op) in ops
        .iter()
        .enumerate()
        .take(index)
        .skip(index.saturating_sub(CONTEXT_OPS))
    {
        text.push_str(&format!("    #{i}: {op}\n"));
    }
    text.push_str("  results:\n");
    let want = &outcomes[0].0;
    for (s, (outcome, excluded)) in subjects.iter().zip(outcomes) {
        let verdict = if let Some(why) = excluded {
            format!("  (not compared: {}, a known upstream bug)", why.reason())
        } else if outcome == want {
            String::new()
        } else {
            "  <-- differs".to_string()
        };
        let detail = match (outcome, want) {
            (Outcome::Trace(got), Outcome::Trace(w)) => {
                format!("{outcome}, {}", trace_difference(got, w))
            }
            _ => outcome.to_string(),
        };
        text.push_str(&format!("    {:<28} {detail}{verdict}\n", s.name));
    }
    // Whether the difference is in the data or only in this read path: a
    // fresh forward scan of each engine, now.
    text.push_str("  a full forward scan of each engine after it:\n");
    let scans: Vec<Outcome> = subjects
        .iter()
        .map(|s| {
            s.db()
                .iter(&ReadOptions::default())
                .and_then(|mut it| scan(it.as_mut(), false))
                .map_or_else(|e| Outcome::Failed(e.to_string()), Outcome::Trace)
        })
        .collect();
    for (s, outcome) in subjects.iter().zip(&scans) {
        let detail = match (outcome, &scans[0]) {
            (Outcome::Trace(got), Outcome::Trace(w)) => {
                format!("{outcome}, {}", trace_difference(got, w))
            }
            _ => outcome.to_string(),
        };
        text.push_str(&format!("    {:<28} {detail}\n", s.name));
    }
    text
}

/// Totals over the seeds run.
#[derive(Default)]
struct Totals {
    seeds: u64,
    ops: u64,
    /// (op, non-oracle engine) results compared with the oracle's.
    compared: u64,
    /// Results left out by a documented exclusion.
    excluded: u64,
    engines: usize,
    /// Time spent in each engine's operations.
    busy: BTreeMap<String, Duration>,
}

/// A fresh directory for one seed's databases: under `STRATA_METAMORPHIC_DIR`
/// if set, else on tmpfs (`/dev/shm`) where there is one, so that the
/// engines' fsyncs (flushes, MANIFEST and directory syncs of a dozen
/// databases) do not dominate the run; else the system's temporary
/// directory.
fn scratch_dir() -> tempfile::TempDir {
    let base = std::env::var_os("STRATA_METAMORPHIC_DIR")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/dev/shm")).filter(|p| p.is_dir()));
    let mut builder = tempfile::Builder::new();
    builder.prefix("strata-metamorphic-");
    match base {
        Some(dir) => builder.tempdir_in(dir),
        None => builder.tempdir(),
    }
    .expect("a scratch directory")
}

/// Runs one seed; `Err` is the report of its first difference.
fn run_seed(
    seed: u64,
    count: usize,
    pass: &Pass,
    totals: &mut Totals,
) -> std::result::Result<(), String> {
    let tuning = Tuning::of_seed(seed);
    let ops = generate(seed, count, pass.edge_keys);
    let root = scratch_dir();
    let mut subjects = subjects(root.path(), tuning, pass);
    let trace = std::env::var_os("STRATA_METAMORPHIC_TRACE").is_some();
    let started = Instant::now();
    let mut history = History::new();
    for (index, op) in ops.iter().enumerate() {
        if trace {
            say!("seed {seed} #{index}: {op}");
        }
        record(&mut history, op);
        let mut outcomes: Vec<(Outcome, Option<Excluded>)> =
            subjects.iter_mut().map(|s| s.apply(op)).collect();
        let want = outcomes[0].0.clone();
        if let Outcome::Failed(e) = &want {
            panic!("the oracle failed op #{index} ({op}) of seed {seed}: {e}");
        }
        let mut differs = false;
        for (subject, (outcome, excluded)) in subjects.iter_mut().zip(&mut outcomes).skip(1) {
            if excluded.is_none() && *outcome != want {
                *excluded = subject.excuse(op, outcome, &want, &history);
                differs |= excluded.is_none();
            }
            match excluded {
                None => totals.compared += 1,
                Some(why) => {
                    totals.excluded += 1;
                    subject.count_excluded(*why);
                    if trace {
                        say!("  {}: not compared: {}", subject.name, why.reason());
                    }
                }
            }
        }
        if differs {
            return Err(report(
                seed, tuning, pass, &ops, index, &subjects, &outcomes,
            ));
        }
    }
    totals.seeds += 1;
    totals.ops += ops.len() as u64;
    totals.engines = subjects.len() - 1;
    for s in &subjects {
        *totals.busy.entry(s.name.clone()).or_default() += s.busy;
    }
    let notes: Vec<String> = subjects
        .iter()
        .filter(|s| !s.excluded.is_empty())
        .map(|s| {
            let why: Vec<String> = s
                .excluded
                .iter()
                .map(|(r, n)| format!("{n} ({r})"))
                .collect();
            format!("{}: results not compared: {}", s.name, why.join(", "))
        })
        .collect();
    say!(
        "metamorphic: seed {seed}: {} ops x {} engines identical to the oracle in {:.1}s ({tuning}){}",
        ops.len(),
        subjects.len() - 1,
        started.elapsed().as_secs_f64(),
        if notes.is_empty() {
            String::new()
        } else {
            format!("; {}", notes.join(", "))
        }
    );
    Ok(())
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text} is not a number")),
    )
}

/// Digits grouped by thousands: `12,000`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).expect("ASCII digits"))
        .collect();
    groups.join(",")
}

/// One configuration of the test: which keys are written and which
/// engines take part.
struct Pass {
    /// The test function, for the reproduce line.
    test: &'static str,
    /// Whether the empty key and keys ending in a zero byte are written.
    edge_keys: bool,
    /// Whether rusty-leveldb takes part (when compiled in).
    rusty: bool,
    /// Seeds run unless the environment says otherwise.
    default_seeds: u64,
}

/// The cargo flag that builds this test binary's features, for the
/// reproduce line.
fn features_flag() -> &'static str {
    match (cfg!(feature = "leveldb"), cfg!(feature = "rusty-leveldb")) {
        (true, true) => "--all-features",
        (true, false) => "--features leveldb",
        (false, true) => "--features rusty-leveldb",
        (false, false) => "",
    }
}

fn run_pass(pass: &Pass) {
    let seeds: Vec<u64> = match env_number("STRATA_METAMORPHIC_SEED") {
        Some(seed) => vec![seed],
        None => {
            let first = env_number("STRATA_METAMORPHIC_FIRST_SEED").unwrap_or(1);
            let n = env_number("STRATA_METAMORPHIC_SEEDS").unwrap_or(pass.default_seeds);
            (first..first + n).collect()
        }
    };
    let count = env_number("STRATA_METAMORPHIC_OPS").unwrap_or(2000) as usize;
    let started = Instant::now();
    let mut totals = Totals::default();
    for &seed in &seeds {
        if let Err(report) = run_seed(seed, count, pass, &mut totals) {
            panic!("{report}");
        }
    }
    say!(
        "metamorphic ({}): {} seeds x {} ops x {} engines (+ the oracle): {} results compared, \
         0 differences, {} not compared (documented upstream bugs), {:.1}s",
        pass.test,
        totals.seeds,
        grouped(count as u64),
        totals.engines,
        grouped(totals.compared),
        grouped(totals.excluded),
        started.elapsed().as_secs_f64()
    );
    let busy: Vec<String> = totals
        .busy
        .iter()
        .map(|(name, d)| format!("{name} {:.1}s", d.as_secs_f64()))
        .collect();
    say!(
        "metamorphic ({}): time by engine: {}",
        pass.test,
        busy.join(", ")
    );
    assert_eq!(totals.ops, (seeds.len() * count) as u64);
}

/// The main pass: every engine, non-empty keys.
#[test]
fn every_engine_returns_the_same_results() {
    if cfg!(feature = "rusty-leveldb") {
        for note in [
            RUSTY_BACKWARD_NOTE,
            RUSTY_SEEK_NOTE,
            RUSTY_STALE_CURSOR_NOTE,
            RUSTY_GET_NOTE,
            RUSTY_STALE_GET_NOTE,
        ] {
            say!("metamorphic: note: {note}");
        }
    }
    run_pass(&Pass {
        test: "every_engine_returns_the_same_results",
        edge_keys: false,
        rusty: true,
        default_seeds: 8,
    });
}

/// The empty key, and a key next to the same key plus a zero byte, are
/// legal keys, but rusty-leveldb 3.0.3 mishandles both (see
/// [`RUSTY_EDGE_KEYS_NOTE`]). So this pass writes them with every engine
/// but rusty-leveldb.
#[test]
fn edge_keys_without_rusty_leveldb() {
    if cfg!(feature = "rusty-leveldb") {
        say!("metamorphic: note: {RUSTY_EDGE_KEYS_NOTE}");
    }
    run_pass(&Pass {
        test: "edge_keys_without_rusty_leveldb",
        edge_keys: true,
        rusty: false,
        default_seeds: 2,
    });
}

/// Why rusty-leveldb is left out of the pass that writes edge keys.
const RUSTY_EDGE_KEYS_NOTE: &str = "rusty-leveldb 3.0.3 sits out the pass with edge keys: it \
panics when a table block ends with the empty key (DefaultCmp::find_shortest_sep, cmp.rs:69, \
computes a.len() - 1), and when a block ends with a key K and the next starts with a newer \
K + \\0, its index separator is (K + \\0, K's sequence) (cmp.rs:87 appends the zero byte, \
cmp.rs:134 keeps the older sequence), which sorts after the entry it should precede: lookups of \
K + \\0 miss it, and a later separator can go backward and panic the table builder \
(block_builder.rs:57); the main pass writes neither kind of key";

/// CI builds with `--all-features`: there, both peers must take part, so a
/// build without them fails instead of comparing strata only with itself.
#[test]
fn peers_are_compared_under_ci() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let peers = cfg!(feature = "leveldb") && cfg!(feature = "rusty-leveldb");
    assert!(
        peers || !ci,
        "CI=true but strata-baselines was built without the `leveldb` and `rusty-leveldb` \
         features: the metamorphic test would compare strata only with itself; run it with \
         --all-features"
    );
    if !peers {
        say!(
            "metamorphic: LevelDB 1.23 and/or rusty-leveldb not compiled in (features \
             `leveldb`, `rusty-leveldb`): comparing strata's variants and the oracle only"
        );
    }
}

/// The upstream defects of rusty-leveldb 3.0.3 behind the exclusions above,
/// each reproduced on its own beside the right answer of strata (and of
/// LevelDB 1.23 when compiled in). Each test fails once rusty-leveldb no
/// longer shows its defect: then remove the matching exclusion.
#[cfg(feature = "rusty-leveldb")]
mod rusty_defects {
    use super::*;
    use strata_api::EngineSpec;

    /// The small-block, small-buffer options every scenario runs with.
    const OPTIONS: &str = "block_size=1K,compression=none,write_buffer_size=4K,max_file_size=4K";

    fn rusty(dir: &Path) -> Arc<dyn Engine> {
        let spec = EngineSpec::parse(&format!("rusty-leveldb:{OPTIONS}")).expect("spec");
        strata_baselines::open_rusty_leveldb(&spec, dir).expect("open rusty-leveldb")
    }

    /// strata, and LevelDB when compiled in: the engines that get it right.
    fn correct_engines(root: &Path) -> Vec<(&'static str, Arc<dyn Engine>)> {
        let options = DbOptions {
            block_size: 1 << 10,
            compression: CompressionType::None,
            write_buffer_size: 4 << 10,
            max_file_size: 4 << 10,
            ..Tuning::of_seed(0).lsm(MemTableKind::SkipList, CompactionKind::Leveled)
        };
        let lsm: Arc<dyn Engine> = Arc::new(Db::open(options, root.join("lsm")).expect("open lsm"));
        #[allow(unused_mut)]
        let mut out = vec![("strata lsm", lsm)];
        #[cfg(feature = "leveldb")]
        {
            let spec = EngineSpec::parse(&format!("leveldb:{OPTIONS}")).expect("spec");
            let db = strata_baselines::open_leveldb(&spec, &root.join("leveldb")).expect("open");
            out.push(("leveldb 1.23", db));
        }
        out
    }

    /// Runs `scenario` on the correct engines, asserting they give `right`,
    /// and on rusty-leveldb, asserting it gives `wrong` (the defect).
    fn pin<T: PartialEq + fmt::Debug>(
        defect: &str,
        right: T,
        wrong: impl Fn(&T) -> bool,
        scenario: impl Fn(&dyn Engine) -> T,
    ) {
        let root = scratch_dir();
        for (name, db) in correct_engines(root.path()) {
            assert_eq!(scenario(db.as_ref()), right, "{name}");
        }
        let got = scenario(rusty(&root.path().join("rusty")).as_ref());
        assert!(
            wrong(&got),
            "rusty-leveldb no longer shows this defect ({defect}; it answered {got:?}): remove \
             its exclusion from the metamorphic test"
        );
    }

    fn w() -> WriteOptions {
        WriteOptions::default()
    }

    fn position(it: &dyn KvIterator) -> Option<Vec<u8>> {
        it.valid().then(|| it.key().to_vec())
    }

    #[test]
    fn prev_returns_a_key_deleted_in_the_memtable() {
        let deleted = Some(b"b".to_vec());
        pin(
            "memtable.rs:93",
            Some(b"a".to_vec()),
            |got| *got == deleted,
            |db| {
                for k in [b"a", b"b", b"c"] {
                    db.put(&w(), k, b"v").expect("put");
                }
                db.delete(&w(), b"b").expect("delete");
                let mut it = db.iter(&ReadOptions::default()).expect("iter");
                it.seek_to_first();
                it.next();
                assert_eq!(position(it.as_ref()).as_deref(), Some(&b"c"[..]));
                it.prev();
                position(it.as_ref())
            },
        );
    }

    #[test]
    fn seek_between_a_block_and_its_separator_finds_nothing() {
        // "abc" and "abf" in two blocks; the index separator between them is
        // "abd", so a seek to "abd" enters the first block and finds no key.
        pin(
            "table_reader.rs:318",
            Some(b"abf".to_vec()),
            Option::is_none,
            |db| {
                db.put(&w(), b"abc", &[b'x'; 1500]).expect("put");
                db.put(&w(), b"abf", &[b'y'; 1500]).expect("put");
                db.compact_range(None, None).expect("compact");
                let mut it = db.iter(&ReadOptions::default()).expect("iter");
                it.seek(b"abd");
                position(it.as_ref())
            },
        );
    }

    #[test]
    fn get_misses_a_key_before_another_keys_tombstone() {
        // "m" in an old table; a newer table spans "l".."z" and holds a
        // tombstone of "n", the first entry after "m" in it.
        pin(
            "version.rs:94",
            Some(b"1".to_vec()),
            Option::is_none,
            |db| {
                db.put(&w(), b"m", b"1").expect("put");
                db.compact_range(None, None).expect("compact");
                db.put(&w(), b"l", b"x").expect("put");
                db.delete(&w(), b"n").expect("delete");
                db.put(&w(), b"z", &[b'z'; 5000]).expect("put");
                db.put(&w(), b"z2", &[b'z'; 5000]).expect("put");
                db.get(&ReadOptions::default(), b"m").expect("get")
            },
        );
    }

    #[test]
    fn get_returns_an_older_value_left_above_a_newer_one() {
        // A snapshot keeps both versions of "k"; compaction splits them
        // (each large entry ends a 4 KiB file): ["a", "k"@new] and
        // ["k"@old], then ["z"]. Compacting up to "b" moves only the first
        // file down unless the compaction takes its boundary neighbour too.
        let big = |c: u8| vec![c; 5000];
        let older = Some(big(b'1'));
        pin(
            "no AddBoundaryInputs",
            Some(big(b'2')),
            |got| *got == older,
            |db| {
                db.put(&w(), b"a", b"small").expect("put");
                db.put(&w(), b"k", &big(b'1')).expect("put");
                let snapshot = db.snapshot();
                db.put(&w(), b"k", &big(b'2')).expect("put");
                db.put(&w(), b"z", &big(b'z')).expect("put");
                db.compact_range(None, None).expect("compact all");
                db.compact_range(None, Some(b"b")).expect("compact up to b");
                drop(snapshot);
                db.get(&ReadOptions::default(), b"k").expect("get")
            },
        );
    }

    #[test]
    fn a_key_and_the_key_with_a_zero_byte_get_a_wrong_separator() {
        // "k" ends a block and the newer "k\0" starts the next: the port's
        // separator is ("k\0", sequence of "k"), which sorts after the
        // newer "k\0" entry, so lookups of "k\0" go to the first block.
        pin(
            "cmp.rs:87 and :134",
            Some(b"new".to_vec()),
            Option::is_none,
            |db| {
                db.put(&w(), b"k", &[b'o'; 1500]).expect("put");
                db.put(&w(), b"k\0", b"new").expect("put");
                db.compact_range(None, None).expect("compact");
                db.get(&ReadOptions::default(), b"k\0").expect("get")
            },
        );
    }

    #[test]
    fn a_cursor_loses_tables_a_compaction_deletes() {
        let key = |i: u32| format!("key{i:04}").into_bytes();
        pin(
            "version_set.rs:213",
            300,
            |&seen| seen < 300,
            |db| {
                for i in 0..300 {
                    db.put(&w(), &key(i), &[b'a'; 100]).expect("put");
                }
                db.compact_range(None, None).expect("compact");
                let mut it = db.iter(&ReadOptions::default()).expect("iter");
                it.seek_to_first();
                for i in 0..300 {
                    db.put(&w(), &key(i), &[b'b'; 100]).expect("overwrite");
                }
                db.compact_range(None, None).expect("compact");
                let mut seen = 0;
                while it.valid() {
                    assert_eq!(it.value(), &[b'a'; 100][..], "the cursor's own view");
                    seen += 1;
                    it.next();
                }
                seen
            },
        );
    }

    #[test]
    fn the_empty_key_panics_in_a_table() {
        let root = scratch_dir();
        // A value larger than a block, so that a block ends right after
        // the empty key and the table builder computes a separator for it.
        let value = [b'e'; 1500];
        let scenario = |db: &dyn Engine| {
            db.put(&w(), b"", &value).expect("put");
            db.put(&w(), b"k", b"v").expect("put");
            db.compact_range(None, None).expect("compact");
            db.get(&ReadOptions::default(), b"").expect("get")
        };
        for (name, db) in correct_engines(root.path()) {
            assert_eq!(scenario(db.as_ref()), Some(value.to_vec()), "{name}");
        }
        let db = rusty(&root.path().join("rusty"));
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scenario(db.as_ref())));
        assert!(
            outcome.is_err(),
            "rusty-leveldb no longer panics on the empty key (cmp.rs:69): if \
             a_key_and_the_key_with_a_zero_byte_get_a_wrong_separator fails too, let it take \
             part in edge_keys_without_rusty_leveldb"
        );
    }
}
