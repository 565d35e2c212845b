//! The `leveldb_writebatch_t` each thread reuses for its writes, as
//! db_bench's `DoWrite` reuses one `WriteBatch` per thread (`Clear`, then
//! `Put`s, then `Write`): no C batch is created or destroyed per write.
//!
//! The C API cannot adopt LevelDB's encoding of a batch (strata's
//! [`WriteBatch`] bytes are that encoding), so the updates are appended one
//! by one, straight from strata's bytes: one pass, no intermediate
//! allocation; LevelDB copies each key and value into its batch, which
//! native db_bench also does in `WriteBatch::Put`.

use super::ffi;
use std::cell::RefCell;
use strata_api::{BatchOp, Result, WriteBatch};

/// A batch whose encoding is larger than this is destroyed after its
/// write instead of being kept for the thread's next one: `Clear` keeps
/// the buffer's capacity, and one huge batch should not pin its memory for
/// the thread's lifetime.
pub(crate) const RETAIN_LIMIT_BYTES: usize = 1 << 20;

/// A C batch owned by this module.
struct Owned(*mut ffi::leveldb_writebatch_t);

impl Owned {
    fn new() -> Owned {
        // SAFETY: returns a fresh batch, owned by the value (freed in Drop).
        Owned(unsafe { ffi::leveldb_writebatch_create() })
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: created in `new` and destroyed once, here.
        unsafe { ffi::leveldb_writebatch_destroy(self.0) }
    }
}

thread_local! {
    /// This thread's batch between two writes (`None` before the first).
    static CACHED: RefCell<Option<Owned>> = const { RefCell::new(None) };
}

/// This thread's batch, or a fresh one (first write of the thread, or the
/// thread's locals already torn down).
fn take() -> Owned {
    CACHED
        .try_with(|slot| slot.try_borrow_mut().ok().and_then(|mut s| s.take()))
        .ok()
        .flatten()
        .unwrap_or_else(Owned::new)
}

/// Keeps `batch` for this thread's next write; if the thread's locals are
/// gone it is simply destroyed (the closure, and `batch` in it, drops).
fn give_back(batch: Owned) {
    let _ = CACHED.try_with(move |slot| {
        if let Ok(mut s) = slot.try_borrow_mut() {
            *s = Some(batch);
        }
    });
}

/// Appends every update of `batch` to the (empty) C batch `c_batch`;
/// returns the key and value bytes appended.
///
/// # Errors
/// `Corruption` if strata's batch bytes are malformed.
fn fill(c_batch: *mut ffi::leveldb_writebatch_t, batch: &WriteBatch) -> Result<u64> {
    let mut user_bytes = 0u64;
    for op in batch.iter() {
        match op? {
            BatchOp::Put { key, value } => {
                // SAFETY: `c_batch` is live; LevelDB copies key and value.
                unsafe {
                    ffi::leveldb_writebatch_put(
                        c_batch,
                        key.as_ptr().cast(),
                        key.len(),
                        value.as_ptr().cast(),
                        value.len(),
                    );
                }
                user_bytes += (key.len() + value.len()) as u64;
            }
            BatchOp::Delete { key } => {
                // SAFETY: as above.
                unsafe { ffi::leveldb_writebatch_delete(c_batch, key.as_ptr().cast(), key.len()) };
                user_bytes += key.len() as u64;
            }
        }
    }
    Ok(user_bytes)
}

/// Copies `batch` into this thread's C batch (cleared first) and passes it
/// to `write`; returns the batch's key and value bytes (counted in the same
/// pass, so strata's bytes are walked once).
///
/// # Errors
/// `Corruption` for malformed batch bytes (then `write` is not called;
/// [`WriteBatch::from_bytes`] already refuses such bytes, so this guards
/// only the encoding's invariant); whatever `write` returns.
pub(crate) fn write_through(
    batch: &WriteBatch,
    write: impl FnOnce(*mut ffi::leveldb_writebatch_t) -> Result<()>,
) -> Result<u64> {
    let c_batch = take();
    // SAFETY: a live batch owned here; `Clear` resets it to an empty batch
    // (header only) and keeps its buffer.
    unsafe { ffi::leveldb_writebatch_clear(c_batch.0) };
    let result = fill(c_batch.0, batch).and_then(|n| write(c_batch.0).map(|()| n));
    if batch.approximate_size_bytes() <= RETAIN_LIMIT_BYTES {
        give_back(c_batch);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The address of this thread's cached batch, if any.
    fn cached_address() -> Option<usize> {
        CACHED.with(|slot| slot.borrow().as_ref().map(|b| b.0 as usize))
    }

    #[test]
    fn one_batch_is_reused_per_thread_and_cleared_between_writes() {
        let mut first = WriteBatch::new();
        first.put(b"k1", b"v1");
        first.delete(b"k2");
        let n = write_through(&first, |_| Ok(())).expect("write");
        assert_eq!(n, 6, "k1 + v1 + k2");
        let address = cached_address().expect("kept after the write");
        let mut second = WriteBatch::new();
        second.put(b"a", b"bcd");
        let n = write_through(&second, |_| Ok(())).expect("write");
        assert_eq!(n, 4);
        assert_eq!(cached_address(), Some(address), "the same C batch");
        // Another thread gets its own.
        let other = std::thread::spawn(move || {
            write_through(&second, |_| Ok(())).expect("write");
            cached_address().expect("kept")
        })
        .join()
        .expect("thread");
        assert_ne!(other, address);
    }

    #[test]
    fn a_huge_batch_is_not_kept_and_a_failed_write_keeps_the_batch() {
        let mut huge = WriteBatch::new();
        huge.put(b"k", &vec![7u8; RETAIN_LIMIT_BYTES]);
        write_through(&huge, |_| Ok(())).expect("write");
        assert_eq!(cached_address(), None, "over the limit: destroyed");
        let mut small = WriteBatch::new();
        small.put(b"k", b"v");
        let e = write_through(&small, |_| Err(strata_api::Error::Unavailable("x".into())))
            .expect_err("write error is passed on");
        assert!(matches!(e, strata_api::Error::Unavailable(_)), "{e}");
        assert!(cached_address().is_some(), "kept after a failed write");
    }
}
