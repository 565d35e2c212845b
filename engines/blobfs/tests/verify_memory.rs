//! `verify` holds bounded memory whatever the store's size: measured with
//! a counting allocator (every heap byte of this test process), the peak
//! heap growth during a streaming verify under a small budget stays under
//! a fixed bound, while the in-memory rebuild it replaced (`oracle/`)
//! grows far past it on the same store, and both give the same answer.
//! One test in its own binary, so that no other test allocates meanwhile.

mod oracle;
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use strata_api::ReadOptions;
use strata_blobfs::reindex::ScanOptions;
use strata_blobfs::verify;
use support::{new_fs, t};

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = NOW.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are
// updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with this layout.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            NOW.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result and the peak heap growth during it.
fn peak_growth<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = NOW.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = f();
    (r, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

/// Files in the store: enough that holding its blobs and entries takes
/// several MiB.
const FILES: usize = 1500;
/// The streaming verify's budget for sort and read buffers.
const BUDGET_BYTES: usize = 128 << 10;
/// The bound on its whole heap growth: the budget, plus the engine's
/// cursors, one record and one group at a time.
const BOUND_BYTES: usize = 1 << 20;

#[test]
fn a_streaming_verify_stays_under_its_bound_where_the_in_memory_one_does_not() {
    let (engine, fs) = new_fs();
    for d in 0..15 {
        let dir = format!("/d{d:02}");
        fs.mkdir(&dir, Some(t(1))).expect("mkdir");
        for f in 0..FILES / 15 {
            let body = format!("file {f} of {dir}: {}", "x".repeat(f % 200));
            fs.write_file(
                &format!("{dir}/f{f:04}"),
                body.as_bytes(),
                Some(t(2 + f as i64)),
            )
            .expect("write");
        }
    }
    let owner = fs.signer().public_key_ref();
    let scratch = tempfile::tempdir().expect("scratch");
    let options = ScanOptions {
        memory_budget_bytes: BUDGET_BYTES,
        scratch_dir: scratch.path().to_path_buf(),
    };

    let (report, streaming_bytes) =
        peak_growth(|| verify::verify_with(engine.as_ref(), &owner, &options).expect("verify"));
    let ((rebuilt, diff), oracle_bytes) = peak_growth(|| {
        let ro = ReadOptions::default();
        let rebuilt = oracle::rebuild(engine.as_ref(), &ro, &owner).expect("oracle");
        let diff = oracle::diff(engine.as_ref(), &ro, &rebuilt).expect("oracle diff");
        (rebuilt, diff)
    });
    println!(
        "{} blobs, {} claims: streaming verify peak heap growth {streaming_bytes} bytes \
         (budget {BUDGET_BYTES}, {} runs), in-memory rebuild {oracle_bytes} bytes",
        report.blobs, report.claims, report.scan.runs_written
    );
    assert!(
        report.is_ok(),
        "{:?}",
        report.problems().collect::<Vec<_>>()
    );
    assert!(diff.is_empty() && rebuilt.problems.is_empty());
    assert_eq!(
        (report.blobs, report.permanodes, report.claims),
        (rebuilt.blobs, rebuilt.permanodes, rebuilt.claims)
    );
    assert!(report.blobs as usize > 3 * FILES);
    assert!(report.scan.runs_written > 8, "{:?}", report.scan);
    assert!(report.scan.peak_buffer_bytes <= BUDGET_BYTES as u64);
    assert!(
        streaming_bytes < BOUND_BYTES,
        "streaming verify grew the heap by {streaming_bytes} bytes (bound {BOUND_BYTES})"
    );
    assert!(
        oracle_bytes > 4 * BOUND_BYTES,
        "the store is too small to tell: the in-memory rebuild took only {oracle_bytes} bytes"
    );
}
