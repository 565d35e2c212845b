//! What the LevelDB wrapper costs per operation on top of LevelDB's C API,
//! and what the C API costs on top of C++ (the part of it a Rust harness
//! can time).
//!
//! Run: `cargo bench -p strata-baselines --features leveldb --bench
//! c_api_overhead [-- --num N --rounds R]` (defaults 200000 and 3). Under
//! `cargo test --benches` (no `--bench` flag) it runs one tiny round as a
//! smoke test.
//!
//! Every variant runs on a real database in a temporary directory (the OS
//! page cache, no in-memory Env), with the same pre-generated 16-byte
//! keys (`%016d` of random numbers below N, as db_bench's) and 100-byte
//! values. The variants of one kind each have their own database, open at
//! the same time, and take turns block by block (5000 ops, the order
//! rotating), so that a busy neighbour on the machine slows them alike;
//! time is the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`: user and
//! system, not time spent preempted); the output is the median ns/op over
//! blocks and, per block, the paired difference to the direct C API
//! (median and quartiles):
//! - writes, one update per write, into a 256 MiB memtable so that no
//!   flush or compaction lands in the timing: `wrapper` (strata's
//!   `WriteBatch` cleared and refilled, `Engine::write`), `direct` (one
//!   `leveldb_writebatch_t` cleared and refilled, `leveldb_write`: what
//!   db_bench's `DoWrite` does, through the C API), `old wrapper` (a C batch
//!   created, filled from strata's batch and destroyed per write, as the
//!   wrapper did before);
//! - random gets of present keys: `wrapper` (`Engine::get_into` into a
//!   reused `Vec`) and `direct` (`leveldb_get` + `leveldb_free`), plus the
//!   C API's own extra work per hit, timed alone: a `malloc`, a copy of the
//!   value and a `free` (`CopyString` in `c.cc`), which C++ callers
//!   reusing a `std::string` do not pay;
//! - a full forward scan: `wrapper` (`KvIterator` `next`/`key`/`value`,
//!   each guarded by a `valid` call) and `direct` (`leveldb_iter_next`,
//!   `_key`, `_value`).

use libc::{c_char, c_int, c_void, size_t};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::ffi::CString;
use std::hint::black_box;
use std::path::Path;
use strata_api::{Engine, EngineSpec, KvIterator, ReadOptions, WriteBatch, WriteOptions};
use strata_baselines::LevelDb;

#[repr(C)]
struct Opaque {
    _private: [u8; 0],
}

// The C API calls the direct variants make (`leveldb/c.h`, LevelDB 1.23),
// linked through strata-baselines.
extern "C" {
    fn leveldb_open(o: *const Opaque, name: *const c_char, err: *mut *mut c_char) -> *mut Opaque;
    fn leveldb_close(db: *mut Opaque);
    fn leveldb_write(db: *mut Opaque, o: *const Opaque, b: *mut Opaque, err: *mut *mut c_char);
    fn leveldb_get(
        db: *mut Opaque,
        o: *const Opaque,
        key: *const c_char,
        keylen: size_t,
        vallen: *mut size_t,
        err: *mut *mut c_char,
    ) -> *mut c_char;
    fn leveldb_create_iterator(db: *mut Opaque, o: *const Opaque) -> *mut Opaque;
    fn leveldb_iter_destroy(it: *mut Opaque);
    fn leveldb_iter_seek_to_first(it: *mut Opaque);
    fn leveldb_iter_valid(it: *const Opaque) -> u8;
    fn leveldb_iter_next(it: *mut Opaque);
    fn leveldb_iter_key(it: *const Opaque, len: *mut size_t) -> *const c_char;
    fn leveldb_iter_value(it: *const Opaque, len: *mut size_t) -> *const c_char;
    fn leveldb_writebatch_create() -> *mut Opaque;
    fn leveldb_writebatch_destroy(b: *mut Opaque);
    fn leveldb_writebatch_clear(b: *mut Opaque);
    fn leveldb_writebatch_put(
        b: *mut Opaque,
        k: *const c_char,
        klen: size_t,
        v: *const c_char,
        vlen: size_t,
    );
    fn leveldb_options_create() -> *mut Opaque;
    fn leveldb_options_destroy(o: *mut Opaque);
    fn leveldb_options_set_create_if_missing(o: *mut Opaque, v: u8);
    fn leveldb_options_set_write_buffer_size(o: *mut Opaque, v: size_t);
    fn leveldb_options_set_cache(o: *mut Opaque, c: *mut Opaque);
    fn leveldb_options_set_compression(o: *mut Opaque, v: c_int);
    fn leveldb_cache_create_lru(capacity: size_t) -> *mut Opaque;
    fn leveldb_cache_destroy(c: *mut Opaque);
    fn leveldb_readoptions_create() -> *mut Opaque;
    fn leveldb_readoptions_destroy(o: *mut Opaque);
    fn leveldb_writeoptions_create() -> *mut Opaque;
    fn leveldb_writeoptions_destroy(o: *mut Opaque);
    fn leveldb_free(p: *mut c_void);
}

/// Memtable bytes for the write variants: large enough that no flush runs.
const WRITE_BUFFER_BYTES: usize = 256 << 20;
const VALUE_BYTES: usize = 100;
const SEED: u64 = 0x15_2002;

/// A database opened through the C API directly with the options the
/// wrapper's spec `leveldb:write_buffer_size=...` gives (LevelDB's
/// defaults otherwise: snappy, 8 MiB cache, no filter).
struct Direct {
    db: *mut Opaque,
    options: *mut Opaque,
    cache: *mut Opaque,
    read: *mut Opaque,
    write: *mut Opaque,
}

impl Direct {
    fn open(dir: &Path, write_buffer_bytes: usize) -> Direct {
        let name = CString::new(dir.to_str().expect("utf-8 path")).expect("no NUL");
        let mut err: *mut c_char = std::ptr::null_mut();
        // SAFETY: fresh objects, freed in Drop after the database closes.
        unsafe {
            let mut d = Direct {
                db: std::ptr::null_mut(),
                options: leveldb_options_create(),
                cache: leveldb_cache_create_lru(8 << 20),
                read: leveldb_readoptions_create(),
                write: leveldb_writeoptions_create(),
            };
            leveldb_options_set_create_if_missing(d.options, 1);
            leveldb_options_set_compression(d.options, 1);
            leveldb_options_set_write_buffer_size(d.options, write_buffer_bytes);
            leveldb_options_set_cache(d.options, d.cache);
            d.db = leveldb_open(d.options, name.as_ptr(), &mut err);
            assert!(err.is_null() && !d.db.is_null(), "leveldb_open failed");
            d
        }
    }
}

impl Drop for Direct {
    fn drop(&mut self) {
        // SAFETY: each object is owned here; the database closes first.
        unsafe {
            if !self.db.is_null() {
                leveldb_close(self.db);
            }
            leveldb_options_destroy(self.options);
            leveldb_cache_destroy(self.cache);
            leveldb_readoptions_destroy(self.read);
            leveldb_writeoptions_destroy(self.write);
        }
    }
}

fn open_wrapper(dir: &Path, write_buffer_bytes: usize) -> LevelDb {
    let spec = EngineSpec::parse(&format!("leveldb:write_buffer_size={write_buffer_bytes}"))
        .expect("spec");
    LevelDb::open(&spec, dir).expect("open")
}

/// `n` keys as db_bench makes them: `%016d` of a random number below `n`.
fn keys(n: usize, seed: u64) -> Vec<[u8; 16]> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let text = format!("{:016}", rng.gen_range(0..n));
            text.as_bytes().try_into().expect("16 bytes")
        })
        .collect()
}

fn value() -> Vec<u8> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED ^ 1);
    (0..VALUE_BYTES)
        .map(|_| rng.gen_range(b' '..=b'~'))
        .collect()
}

/// Ops per turn of one variant.
const BLOCK_OPS: usize = 5_000;

/// This thread's CPU time (user and system) in nanoseconds: time the
/// thread was preempted by the machine's other work does not count, which
/// on a shared two-core machine is most of the noise. Every timed variant
/// runs all its work on the calling thread (no flush or compaction runs
/// during the write blocks; reads have no background work).
fn thread_cpu_ns() -> u128 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid out-parameter for the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    t.tv_sec as u128 * 1_000_000_000 + t.tv_nsec as u128
}

/// Thread CPU nanoseconds per op of `f` over `ops` ops.
fn ns_per_op(ops: usize, f: impl FnOnce()) -> f64 {
    let start = thread_cpu_ns();
    f();
    (thread_cpu_ns() - start) as f64 / ops as f64
}

/// `Engine::write` of a one-put strata batch, cleared and refilled.
fn write_wrapper(db: &LevelDb, batch: &mut WriteBatch, keys: &[[u8; 16]], value: &[u8]) {
    let w = WriteOptions::default();
    for key in keys {
        batch.clear();
        batch.put(key, value);
        db.write(&w, batch).expect("write");
    }
}

/// db_bench's `DoWrite` through the C API: one C batch, cleared and
/// refilled per write.
fn write_direct(d: &Direct, c_batch: *mut Opaque, keys: &[[u8; 16]], value: &[u8]) {
    for key in keys {
        let mut err: *mut c_char = std::ptr::null_mut();
        // SAFETY: `d` is open and `c_batch` live.
        unsafe {
            leveldb_writebatch_clear(c_batch);
            leveldb_writebatch_put(
                c_batch,
                key.as_ptr().cast(),
                key.len(),
                value.as_ptr().cast(),
                value.len(),
            );
            leveldb_write(d.db, d.write, c_batch, &mut err);
        }
        assert!(err.is_null(), "write failed");
    }
}

/// The wrapper's batch handling before issue 15: a C batch created,
/// filled from strata's batch and destroyed per write.
fn write_old_wrapper(d: &Direct, batch: &mut WriteBatch, keys: &[[u8; 16]], value: &[u8]) {
    for key in keys {
        batch.clear();
        batch.put(key, value);
        // SAFETY: `d` is open; the C batch is created and destroyed here.
        unsafe {
            let c_batch = leveldb_writebatch_create();
            for op in batch.iter() {
                if let strata_api::BatchOp::Put { key, value } = op.expect("well formed") {
                    leveldb_writebatch_put(
                        c_batch,
                        key.as_ptr().cast(),
                        key.len(),
                        value.as_ptr().cast(),
                        value.len(),
                    );
                }
            }
            let mut err: *mut c_char = std::ptr::null_mut();
            leveldb_write(d.db, d.write, c_batch, &mut err);
            assert!(err.is_null(), "write failed");
            leveldb_writebatch_destroy(c_batch);
        }
    }
}

/// Loads every key below `n` into `dir` (default 4 MiB memtable, so the
/// tree has tables on several levels, as after db_bench's fillrandom).
fn load(dir: &Path, n: usize, value: &[u8]) {
    let db = open_wrapper(dir, 4 << 20);
    let w = WriteOptions::default();
    for i in 0..n {
        db.put(&w, format!("{i:016}").as_bytes(), value)
            .expect("put");
    }
}

/// A copy of the closed database in `from` (the same tables, so the same
/// tree) in `to`.
fn copy_db(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

fn get_wrapper(db: &LevelDb, value: &mut Vec<u8>, keys: &[[u8; 16]]) {
    let r = ReadOptions::default();
    for key in keys {
        assert!(db.get_into(&r, key, value).expect("get"), "present");
        black_box(&value);
    }
}

fn get_direct(d: &Direct, keys: &[[u8; 16]]) {
    for key in keys {
        let mut err: *mut c_char = std::ptr::null_mut();
        let mut len = 0usize;
        // SAFETY: `d` is open; the returned copy is freed once.
        unsafe {
            let v = leveldb_get(
                d.db,
                d.read,
                key.as_ptr().cast(),
                key.len(),
                &mut len,
                &mut err,
            );
            assert!(err.is_null() && !v.is_null(), "present");
            black_box(*v);
            leveldb_free(v.cast());
        }
    }
}

/// What `leveldb_get` adds per hit over a C++ `Get` into a reused string:
/// `malloc` of the value's size, a copy, and the caller's `free`.
fn malloc_copy_free(ops: usize, value: &[u8]) {
    for _ in 0..ops {
        // SAFETY: a fresh allocation of `value.len()` bytes, filled and
        // freed once.
        unsafe {
            let p = libc::malloc(value.len()).cast::<u8>();
            assert!(!p.is_null(), "malloc");
            std::ptr::copy_nonoverlapping(value.as_ptr(), p, value.len());
            black_box(p);
            libc::free(p.cast());
        }
    }
}

/// Steps the wrapper's cursor over up to `ops` entries.
fn scan_wrapper(it: &mut dyn KvIterator, ops: usize) {
    for _ in 0..ops {
        if !it.valid() {
            it.seek_to_first();
        }
        black_box((it.key(), it.value()));
        it.next();
    }
}

/// Steps a C cursor over up to `ops` entries.
fn scan_direct(it: *mut Opaque, ops: usize) {
    for _ in 0..ops {
        // SAFETY: `it` is a live iterator of an open database.
        unsafe {
            if leveldb_iter_valid(it) == 0 {
                leveldb_iter_seek_to_first(it);
            }
            let (mut kl, mut vl) = (0usize, 0usize);
            black_box((
                leveldb_iter_key(it, &mut kl),
                leveldb_iter_value(it, &mut vl),
            ));
            black_box((kl, vl));
            leveldb_iter_next(it);
        }
    }
}

/// ns/op of each block, per variant.
struct Samples {
    names: Vec<&'static str>,
    blocks: Vec<Vec<f64>>,
}

impl Samples {
    fn new(names: &[&'static str]) -> Samples {
        Samples {
            names: names.to_vec(),
            blocks: vec![Vec::new(); names.len()],
        }
    }

    /// Runs one block of every variant (`run(v)`), the order rotated by
    /// `block`.
    fn turn(&mut self, block: usize, ops: usize, mut run: impl FnMut(usize)) {
        let k = self.names.len();
        for i in 0..k {
            let v = (block + i) % k;
            let ns = ns_per_op(ops, || run(v));
            self.blocks[v].push(ns);
        }
    }

    /// Prints each variant's median and, for each other variant, the
    /// paired per-block difference to variant `base`.
    fn print(&self, title: &str, base: usize) {
        println!("{title}");
        for (v, name) in self.names.iter().enumerate() {
            let q = quartiles(self.blocks[v].clone());
            print!("  {name:<28} {:>8.1} ns/op", q[1]);
            if v != base {
                let diffs = self.blocks[v]
                    .iter()
                    .zip(&self.blocks[base])
                    .map(|(a, b)| a - b)
                    .collect();
                let d = quartiles(diffs);
                print!(
                    "   vs {}: {:+.1} ns/op (quartiles {:+.1} .. {:+.1})",
                    self.names[base], d[1], d[0], d[2]
                );
            }
            println!();
        }
    }
}

/// First quartile, median, third quartile.
fn quartiles(mut xs: Vec<f64>) -> [f64; 3] {
    xs.sort_by(f64::total_cmp);
    let at = |f: f64| xs[((xs.len() - 1) as f64 * f).round() as usize];
    [at(0.25), at(0.5), at(0.75)]
}

fn flag(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let benching = args.iter().any(|a| a == "--bench");
    let n = flag(
        &args,
        "--num",
        if benching { 200_000 } else { 2 * BLOCK_OPS },
    );
    let rounds = flag(&args, "--rounds", if benching { 3 } else { 1 });
    let root = tempfile::tempdir().expect("tempdir");
    let value = value();
    let write_keys = keys(n, SEED);
    let read_keys = keys(n, SEED ^ 2);
    println!(
        "c_api_overhead: --num {n} --rounds {rounds}, blocks of {BLOCK_OPS} ops, {VALUE_BYTES}-byte values"
    );

    let mut writes = Samples::new(&["wrapper", "direct C API", "old wrapper (create/destroy)"]);
    for round in 0..rounds {
        let dir = |what: &str| root.path().join(format!("write-{what}-{round}"));
        let wrapper = open_wrapper(&dir("wrapper"), WRITE_BUFFER_BYTES);
        let direct = Direct::open(&dir("direct"), WRITE_BUFFER_BYTES);
        let old = Direct::open(&dir("old"), WRITE_BUFFER_BYTES);
        let mut batch = WriteBatch::new();
        // SAFETY: one C batch for the direct variant, destroyed below.
        let c_batch = unsafe { leveldb_writebatch_create() };
        for (b, block) in write_keys.chunks(BLOCK_OPS).enumerate() {
            writes.turn(b, block.len(), |v| match v {
                0 => write_wrapper(&wrapper, &mut batch, block, &value),
                1 => write_direct(&direct, c_batch, block, &value),
                _ => write_old_wrapper(&old, &mut batch, block, &value),
            });
        }
        // SAFETY: created above, destroyed once.
        unsafe { leveldb_writebatch_destroy(c_batch) };
        drop((wrapper, direct, old));
        for what in ["wrapper", "direct", "old"] {
            std::fs::remove_dir_all(dir(what)).expect("clean up");
        }
    }
    writes.print(
        "write (one put per write, 256 MiB memtable: no flush timed)",
        1,
    );

    let loaded_a = root.path().join("loaded-a");
    let loaded_b = root.path().join("loaded-b");
    load(&loaded_a, n, &value);
    copy_db(&loaded_a, &loaded_b);
    let wrapper = open_wrapper(&loaded_a, 4 << 20);
    let direct = Direct::open(&loaded_b, 4 << 20);
    let mut out = Vec::new();
    // One untimed pass each, so that both start with the OS page cache
    // and their block caches in the same state.
    get_wrapper(&wrapper, &mut out, &read_keys);
    get_direct(&direct, &read_keys);
    let mut gets = Samples::new(&["wrapper", "direct C API", "malloc+copy+free alone"]);
    for round in 0..rounds {
        for (b, block) in read_keys.chunks(BLOCK_OPS).enumerate() {
            gets.turn(b + round, block.len(), |v| match v {
                0 => get_wrapper(&wrapper, &mut out, block),
                1 => get_direct(&direct, block),
                _ => malloc_copy_free(block.len(), &value),
            });
        }
    }
    gets.print("get (random present keys)", 1);

    let mut scans = Samples::new(&["wrapper", "direct C API"]);
    let mut it = wrapper.iter(&ReadOptions::default()).expect("iter");
    it.seek_to_first();
    // SAFETY: destroyed below, before `direct` closes.
    let c_it = unsafe { leveldb_create_iterator(direct.db, direct.read) };
    // SAFETY: a live iterator.
    unsafe { leveldb_iter_seek_to_first(c_it) };
    for b in 0..rounds * n.div_ceil(BLOCK_OPS) {
        scans.turn(b, BLOCK_OPS, |v| match v {
            0 => scan_wrapper(it.as_mut(), BLOCK_OPS),
            _ => scan_direct(c_it, BLOCK_OPS),
        });
    }
    // SAFETY: created above, destroyed once.
    unsafe { leveldb_iter_destroy(c_it) };
    scans.print("scan (next + key + value per entry)", 1);
}
