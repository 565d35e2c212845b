//! `leveldb_iterator_t` as a [`KvIterator`].

use super::error::ErrorSlot;
use super::ffi;
use super::handle::Handle;
use std::sync::Arc;
use strata_api::{KvIterator, Result, Snapshot};

/// A LevelDB cursor. `key` and `value` borrow LevelDB's own buffers (no
/// copy); they stay good until the cursor moves, as the trait requires.
pub struct LevelDbIter {
    it: *mut ffi::leveldb_iterator_t,
    /// `leveldb_iter_valid` as of the last move (validity changes only when
    /// the cursor moves), so that `valid`, `key`, `value` and the guards of
    /// `next`/`prev` cost no call into the library: one call per step
    /// instead of four.
    valid: bool,
    /// Keeps the snapshot the cursor reads at alive while it exists.
    _snapshot: Option<Snapshot>,
    /// Keeps the database open while the cursor exists (dropped after `it`
    /// is destroyed, see `Drop`).
    handle: Arc<Handle>,
}

// SAFETY: a LevelDB iterator may be used from any thread as long as it is
// not used from two at once, which `&mut self` on every move guarantees;
// the database it points into is `Sync`.
unsafe impl Send for LevelDbIter {}

impl LevelDbIter {
    /// Wraps `it`, a fresh iterator of `handle`'s database.
    pub(crate) fn new(
        it: *mut ffi::leveldb_iterator_t,
        snapshot: Option<Snapshot>,
        handle: Arc<Handle>,
    ) -> Self {
        // SAFETY: `it` is a fresh live iterator (invalid until positioned).
        let valid = unsafe { ffi::leveldb_iter_valid(it) != 0 };
        LevelDbIter {
            it,
            valid,
            _snapshot: snapshot,
            handle,
        }
    }
}

/// A slice over LevelDB-owned bytes; empty for a NULL pointer.
///
/// # Safety
/// `ptr` must point to `len` readable bytes that live as long as `'a`.
unsafe fn borrowed<'a>(ptr: *const libc::c_char, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) }
    }
}

impl LevelDbIter {
    /// Runs a move on the cursor, then records whether it is valid.
    fn moved(&mut self, step: impl FnOnce(*mut ffi::leveldb_iterator_t)) {
        step(self.it);
        // SAFETY: `it` is a live iterator.
        self.valid = unsafe { ffi::leveldb_iter_valid(self.it) != 0 };
    }
}

impl KvIterator for LevelDbIter {
    fn valid(&self) -> bool {
        self.valid
    }

    fn seek_to_first(&mut self) {
        // SAFETY: `it` is a live iterator.
        self.moved(|it| unsafe { ffi::leveldb_iter_seek_to_first(it) })
    }

    fn seek_to_last(&mut self) {
        // SAFETY: `it` is a live iterator.
        self.moved(|it| unsafe { ffi::leveldb_iter_seek_to_last(it) })
    }

    fn seek(&mut self, target: &[u8]) {
        // SAFETY: `it` is live; LevelDB copies what it needs of `target`.
        self.moved(|it| unsafe { ffi::leveldb_iter_seek(it, target.as_ptr().cast(), target.len()) })
    }

    // LevelDB only asserts (in debug builds) that the cursor is valid before
    // next/prev/key/value; the guards turn misuse into a no-op instead of
    // undefined behaviour in the release build Debian ships.
    fn next(&mut self) {
        if self.valid {
            // SAFETY: `it` is live and valid.
            self.moved(|it| unsafe { ffi::leveldb_iter_next(it) })
        }
    }

    fn prev(&mut self) {
        if self.valid {
            // SAFETY: `it` is live and valid.
            self.moved(|it| unsafe { ffi::leveldb_iter_prev(it) })
        }
    }

    fn key(&self) -> &[u8] {
        if !self.valid {
            return &[];
        }
        let mut len = 0usize;
        // SAFETY: `it` is live and valid; the key stays put until the cursor
        // moves, which needs `&mut self`, so the borrow cannot outlive it.
        unsafe {
            let ptr = ffi::leveldb_iter_key(self.it, &mut len);
            borrowed(ptr, len)
        }
    }

    fn value(&self) -> &[u8] {
        if !self.valid {
            return &[];
        }
        let mut len = 0usize;
        // SAFETY: as for `key`.
        unsafe {
            let ptr = ffi::leveldb_iter_value(self.it, &mut len);
            borrowed(ptr, len)
        }
    }

    fn status(&self) -> Result<()> {
        let mut err = ErrorSlot::new();
        // SAFETY: `it` is live; LevelDB sets the slot only on error.
        unsafe { ffi::leveldb_iter_get_error(self.it, err.as_errptr()) };
        err.check(&self.handle.dir)
    }
}

impl Drop for LevelDbIter {
    fn drop(&mut self) {
        // SAFETY: destroyed once, before `handle` (a field, dropped after
        // this body) can close the database.
        unsafe { ffi::leveldb_iter_destroy(self.it) }
    }
}
