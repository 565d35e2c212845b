//! RocksDB's vector memtable idea (`memtable/vectorrep.cc`): appends go to
//! an unsorted `Vec` under a mutex, and the sorted order is built lazily.
//!
//! An add is a push: no search, no rebalancing, no comparisons. The first
//! read after writes (a get, or creating a cursor) sorts the entries
//! appended since the last sort and merges them into the cached sorted run,
//! which stays valid until the next write. So:
//! - write-heavy bulk loads are cheap: the run is sorted once, when the
//!   flush iterates it;
//! - a get right after writes is expensive: `O(k log k)` to sort the `k`
//!   new entries plus `O(n)` to merge them into the `n` sorted ones, under
//!   the mutex (writers wait meanwhile). Interleaving writes and reads
//!   therefore degrades to `O(n)` per read; this variant is for workloads
//!   that do not do that.
//!
//! A cursor holds an `Arc` of the sorted run it was created with: it never
//! blocks writers and is never invalidated, and it sees exactly the entries
//! added before it was created (a consistent snapshot). The merge copies the
//! run only while some cursor still holds the previous one; otherwise it is
//! reused in place.
//!
//! Memory usage is an estimate: each entry's shared allocation plus its
//! vector slot.

use super::entry::OwnedEntry;
use super::{resolve_get, MemGet, MemTable};
use crate::format::internal_key::{compare_internal_keys, LookupKey, ValueType};
use parking_lot::Mutex;
use std::cmp::Ordering as CmpOrdering;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use strata_api::{KvIterator, Result};

/// Bytes of a vector slot per entry.
const SLOT_BYTES: usize = std::mem::size_of::<OwnedEntry>();

/// Entries, split into a sorted run and the appends since it was built.
#[derive(Default)]
struct Entries {
    /// Sorted by internal key; shared with cursors.
    sorted: Arc<Vec<OwnedEntry>>,
    /// Appended since `sorted` was built, in arrival order.
    unsorted: Vec<OwnedEntry>,
}

impl Entries {
    /// The sorted run of every entry, sorting and merging pending appends
    /// first.
    fn sorted_view(&mut self) -> Arc<Vec<OwnedEntry>> {
        if !self.unsorted.is_empty() {
            let mut fresh = std::mem::take(&mut self.unsorted);
            fresh.sort_unstable();
            debug_assert!(
                fresh.windows(2).all(|w| w[0] < w[1]),
                "duplicate (user key, sequence) in memtable"
            );
            // Reuse the run in place when no cursor holds it.
            let old = std::mem::take(&mut self.sorted);
            let old = Arc::try_unwrap(old).unwrap_or_else(|shared| shared.as_ref().clone());
            self.sorted = Arc::new(merge_sorted(old, fresh));
        }
        Arc::clone(&self.sorted)
    }
}

/// Merges two sorted runs with distinct keys.
fn merge_sorted(a: Vec<OwnedEntry>, b: Vec<OwnedEntry>) -> Vec<OwnedEntry> {
    if a.is_empty() {
        return b;
    }
    if a.last() < b.first() {
        // Appends in key order (a sequential load): no merge needed.
        let mut a = a;
        a.extend(b);
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => x < y,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_a { a.next() } else { b.next() };
        out.extend(next);
    }
    out
}

/// State shared by the table (cursors hold sorted runs, not this).
struct Shared {
    entries: Mutex<Entries>,
    len: AtomicUsize,
    memory_usage_bytes: AtomicUsize,
}

/// A vector memtable: cheap appends, lazy sorting.
pub struct VectorMemTable {
    shared: Shared,
}

impl VectorMemTable {
    /// An empty memtable.
    pub fn new() -> Self {
        VectorMemTable {
            shared: Shared {
                entries: Mutex::new(Entries::default()),
                len: AtomicUsize::new(0),
                memory_usage_bytes: AtomicUsize::new(0),
            },
        }
    }

    fn sorted_view(&self) -> Arc<Vec<OwnedEntry>> {
        self.shared.entries.lock().sorted_view()
    }
}

impl Default for VectorMemTable {
    fn default() -> Self {
        Self::new()
    }
}

impl MemTable for VectorMemTable {
    fn add(&self, seq: u64, value_type: ValueType, user_key: &[u8], value: &[u8]) {
        let entry = OwnedEntry::new(seq, value_type, user_key, value);
        let entry_bytes = entry.heap_bytes() + SLOT_BYTES;
        self.shared.entries.lock().unsorted.push(entry);
        self.shared.len.fetch_add(1, Ordering::Relaxed);
        self.shared
            .memory_usage_bytes
            .fetch_add(entry_bytes, Ordering::Relaxed);
    }

    fn get(&self, key: &LookupKey, value: &mut Vec<u8>) -> MemGet {
        let sorted = self.sorted_view();
        let at = lower_bound(&sorted, key.internal_key());
        let first = sorted.get(at).map(|e| (e.internal_key(), e.value()));
        resolve_get(key, first, value)
    }

    fn iter(&self) -> Box<dyn KvIterator> {
        let sorted = self.sorted_view();
        let pos = sorted.len();
        Box::new(VectorIter { sorted, pos })
    }

    fn approximate_memory_usage(&self) -> usize {
        self.shared.memory_usage_bytes.load(Ordering::Relaxed)
    }

    fn len(&self) -> usize {
        self.shared.len.load(Ordering::Relaxed)
    }

    fn name(&self) -> &'static str {
        "vector"
    }
}

/// Index of the first entry at or after `internal_key`.
fn lower_bound(sorted: &[OwnedEntry], internal_key: &[u8]) -> usize {
    sorted.partition_point(|e| {
        compare_internal_keys(e.internal_key(), internal_key) == CmpOrdering::Less
    })
}

/// Cursor over one sorted run (a snapshot of the table).
struct VectorIter {
    sorted: Arc<Vec<OwnedEntry>>,
    /// Valid iff `pos < sorted.len()`.
    pos: usize,
}

impl VectorIter {
    fn current(&self) -> Option<&OwnedEntry> {
        self.sorted.get(self.pos)
    }
}

impl KvIterator for VectorIter {
    fn valid(&self) -> bool {
        self.pos < self.sorted.len()
    }

    fn seek_to_first(&mut self) {
        self.pos = 0;
    }

    fn seek_to_last(&mut self) {
        // On an empty run, 0 == len(): invalid, as required.
        self.pos = self.sorted.len().saturating_sub(1);
    }

    fn seek(&mut self, target: &[u8]) {
        self.pos = lower_bound(&self.sorted, target);
    }

    fn next(&mut self) {
        if self.valid() {
            self.pos += 1;
        }
    }

    fn prev(&mut self) {
        if self.valid() {
            // Before the first entry the cursor becomes invalid.
            self.pos = self.pos.checked_sub(1).unwrap_or(self.sorted.len());
        }
    }

    fn key(&self) -> &[u8] {
        self.current().map_or(&[], OwnedEntry::internal_key)
    }

    fn value(&self) -> &[u8] {
        self.current().map_or(&[], OwnedEntry::value)
    }

    fn status(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &[u8], seq: u64) -> OwnedEntry {
        OwnedEntry::new(seq, ValueType::Value, key, b"")
    }

    fn keys(run: &[OwnedEntry]) -> Vec<Vec<u8>> {
        run.iter().map(|e| e.internal_key().to_vec()).collect()
    }

    #[test]
    fn merge_interleaves_and_appends() {
        let a = vec![entry(b"a", 1), entry(b"c", 1), entry(b"e", 1)];
        let b = vec![entry(b"b", 2), entry(b"c", 2), entry(b"f", 2)];
        let merged = merge_sorted(a.clone(), b.clone());
        let mut want = [a.clone(), b.clone()].concat();
        want.sort();
        assert_eq!(keys(&merged), keys(&want));
        // c@2 sorts before c@1.
        assert_eq!(merged[2].internal_key(), entry(b"c", 2).internal_key());
        assert_eq!(merged[3].internal_key(), entry(b"c", 1).internal_key());
        let tail = vec![entry(b"x", 3)];
        assert_eq!(merge_sorted(a.clone(), tail).len(), 4);
        assert_eq!(keys(&merge_sorted(Vec::new(), b.clone())), keys(&b));
    }

    #[test]
    fn cursor_is_a_snapshot_and_reads_sort_lazily() {
        let table = VectorMemTable::new();
        table.add(1, ValueType::Value, b"b", b"1");
        table.add(2, ValueType::Value, b"a", b"2");
        assert_eq!(table.shared.entries.lock().unsorted.len(), 2);
        let mut it = table.iter();
        assert!(table.shared.entries.lock().unsorted.is_empty());
        table.add(3, ValueType::Value, b"c", b"3");
        it.seek_to_first();
        let mut seen = Vec::new();
        while it.valid() {
            seen.push(it.value().to_vec());
            it.next();
        }
        assert_eq!(seen, vec![b"2".to_vec(), b"1".to_vec()]);
        let mut v = Vec::new();
        assert_eq!(table.get(&LookupKey::new(b"c", 9), &mut v), MemGet::Found);
        assert_eq!(v, b"3");
    }
}
