//! A heap-owned memtable entry for the B-tree and vector variants: internal
//! key and value in one reference-counted allocation, so that cursors can
//! hold entries (a counter increment) instead of copying bytes.

use crate::format::internal_key::{append_internal_key, compare_internal_keys, ValueType};
use std::borrow::Borrow;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::sync::Arc;

/// Bytes of an `Arc` allocation's header (strong and weak counts).
const ARC_HEADER_BYTES: usize = 2 * std::mem::size_of::<usize>();

/// Largest scratch buffer a thread keeps between entries.
const MAX_RETAINED_SCRATCH_BYTES: usize = 64 * 1024;

/// Internal key followed by value, ordered by internal key.
#[derive(Clone)]
pub(crate) struct OwnedEntry {
    /// `internal key | value`.
    bytes: Arc<[u8]>,
    internal_key_len: usize,
}

impl OwnedEntry {
    /// Builds an entry. The bytes are assembled in a per-thread scratch
    /// buffer, so one heap allocation (the shared one) is made per entry and
    /// no lock is needed to build it.
    pub(crate) fn new(seq: u64, value_type: ValueType, user_key: &[u8], value: &[u8]) -> Self {
        thread_local! {
            static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            scratch.clear();
            append_internal_key(&mut scratch, user_key, seq, value_type);
            let internal_key_len = scratch.len();
            scratch.extend_from_slice(value);
            let entry = OwnedEntry {
                bytes: Arc::from(scratch.as_slice()),
                internal_key_len,
            };
            if scratch.capacity() > MAX_RETAINED_SCRATCH_BYTES {
                // One huge value must not pin its size in every writer thread.
                *scratch = Vec::new();
            }
            entry
        })
    }

    /// User key + 8-byte tag.
    pub(crate) fn internal_key(&self) -> &[u8] {
        self.bytes.get(..self.internal_key_len).unwrap_or(&[])
    }

    /// The value (empty for a tombstone).
    pub(crate) fn value(&self) -> &[u8] {
        self.bytes.get(self.internal_key_len..).unwrap_or(&[])
    }

    /// Estimated heap bytes of the shared allocation: header plus payload,
    /// rounded up to the allocator's 8-byte granularity. The entry's own
    /// slot (`size_of::<OwnedEntry>()`) is counted by the container.
    pub(crate) fn heap_bytes(&self) -> usize {
        (ARC_HEADER_BYTES + self.bytes.len()).next_multiple_of(8)
    }
}

impl PartialEq for OwnedEntry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for OwnedEntry {}

impl PartialOrd for OwnedEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OwnedEntry {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_internal_keys(self.internal_key(), other.internal_key())
    }
}

/// Anything that exposes an internal key, so that ordered collections of
/// [`OwnedEntry`] can be searched with a borrowed `&[u8]` probe (through
/// `Borrow<dyn InternalKeyView>`) without allocating an entry.
pub(crate) trait InternalKeyView {
    /// The internal key to order by.
    fn internal_key_view(&self) -> &[u8];
}

impl InternalKeyView for OwnedEntry {
    fn internal_key_view(&self) -> &[u8] {
        self.internal_key()
    }
}

impl InternalKeyView for &[u8] {
    fn internal_key_view(&self) -> &[u8] {
        self
    }
}

impl PartialEq for dyn InternalKeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for dyn InternalKeyView + '_ {}

impl PartialOrd for dyn InternalKeyView + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Must agree with `Ord for OwnedEntry` (it does: same function).
impl Ord for dyn InternalKeyView + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_internal_keys(self.internal_key_view(), other.internal_key_view())
    }
}

impl<'a> Borrow<dyn InternalKeyView + 'a> for OwnedEntry {
    fn borrow(&self) -> &(dyn InternalKeyView + 'a) {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::internal_key::pack_sequence_and_type;

    #[test]
    fn entry_splits_key_and_value() {
        let e = OwnedEntry::new(9, ValueType::Value, b"key", b"value");
        let mut want = b"key".to_vec();
        want.extend_from_slice(&pack_sequence_and_type(9, ValueType::Value).to_le_bytes());
        assert_eq!(e.internal_key(), want.as_slice());
        assert_eq!(e.value(), b"value");
        assert_eq!(e.heap_bytes(), (16 + 11 + 5usize).next_multiple_of(8));
    }

    #[test]
    fn newer_entries_sort_first() {
        let old = OwnedEntry::new(1, ValueType::Value, b"k", b"");
        let new = OwnedEntry::new(2, ValueType::Deletion, b"k", b"");
        let later = OwnedEntry::new(0, ValueType::Value, b"l", b"");
        assert!(new < old);
        assert!(old < later);
        let probe: &[u8] = new.internal_key();
        let probe: &dyn InternalKeyView = &probe;
        let as_view: &dyn InternalKeyView = new.borrow();
        assert!(probe == as_view);
    }
}
