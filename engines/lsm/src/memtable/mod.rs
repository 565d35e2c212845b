//! The in-memory write buffer: every write lands in a memtable before it is
//! flushed to a table.
//!
//! Entries are keyed by internal key (user key + 8-byte tag packing the
//! sequence number and [`ValueType`]) and ordered by
//! [`compare_internal_keys`](crate::format::internal_key::compare_internal_keys),
//! so the newest version of a user key comes first. Three variants let the
//! harness compare data-structure trade-offs under one interface:
//! - [`skiplist_table`] (LevelDB's): arena-allocated skiplist, one writer,
//!   lock-free readers;
//! - [`btree`]: `std`'s B-tree behind a reader-writer lock;
//! - [`vector`] (RocksDB's `VectorRep` idea): unsorted appends, sorted on
//!   the first read after writes.
//!
//! Every variant requires sequence numbers to be unique per entry (the
//! engine assigns one per write); given that, all variants return identical
//! results for identical operations.

mod arena;
pub mod btree;
mod entry;
mod skiplist;
pub mod skiplist_table;
pub mod vector;

#[cfg(test)]
mod tests;

use crate::format::internal_key::{extract_tag, extract_user_key, LookupKey, ValueType};
use std::sync::Arc;

pub use btree::BTreeMemTable;
pub use skiplist_table::SkipListMemTable;
pub use vector::VectorMemTable;

/// Result of a memtable lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemGet {
    /// The newest visible entry is a value; it was copied into the caller's
    /// buffer (replacing its contents).
    Found,
    /// The newest visible entry is a tombstone: the key is deleted as of the
    /// lookup's sequence number, and older tables must not be consulted.
    Deleted,
    /// No entry for the key at or below the lookup's sequence number.
    Absent,
}

/// An in-memory sorted buffer of internal-key entries.
pub trait MemTable: Send + Sync {
    /// Adds an entry. Internally synchronised (callers may call from one
    /// writer at a time, but it must be memory-safe for any use).
    ///
    /// `seq` must be at most 2^56 - 1 and unique among the table's entries;
    /// `user_key.len() + 8` and `value.len()` must fit in a `u32` (the
    /// engine's key and value limits are far smaller; larger ones panic).
    fn add(&self, seq: u64, value_type: ValueType, user_key: &[u8], value: &[u8]);
    /// Newest entry for key.user_key() with sequence <= the lookup key's
    /// sequence. On [`MemGet::Found`] `value` holds the value; otherwise it
    /// is left unspecified.
    fn get(&self, key: &LookupKey, value: &mut Vec<u8>) -> MemGet;
    /// Cursor over entries; key() = internal key (user key + 8-byte tag),
    /// value() = value; ordered by compare_internal_keys. Must stay valid
    /// and consistent while adds continue (sees a consistent subset).
    fn iter(&self) -> Box<dyn strata_api::KvIterator>;
    /// Bytes of memory held (arena/allocations), for write_buffer_size
    /// decisions.
    fn approximate_memory_usage(&self) -> usize;
    /// Entries added.
    fn len(&self) -> usize;
    /// True if no entry was added.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The variant's name as used in specs ("skiplist", "btree", "vector").
    fn name(&self) -> &'static str;
}

/// The memtable variants, as selected by an engine spec
/// (`lsm:memtable=btree`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemTableKind {
    /// [`SkipListMemTable`]: LevelDB's arena skiplist (the default).
    SkipList,
    /// [`BTreeMemTable`]: a B-tree behind a reader-writer lock.
    BTree,
    /// [`VectorMemTable`]: unsorted appends, sorted lazily.
    Vector,
}

impl MemTableKind {
    /// Every variant, in a fixed order.
    pub const ALL: &'static [MemTableKind] = &[
        MemTableKind::SkipList,
        MemTableKind::BTree,
        MemTableKind::Vector,
    ];

    /// The spec name: "skiplist", "btree" or "vector".
    pub const fn name(self) -> &'static str {
        match self {
            MemTableKind::SkipList => "skiplist",
            MemTableKind::BTree => "btree",
            MemTableKind::Vector => "vector",
        }
    }

    /// The variant whose [`name`](Self::name) is `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// A new, empty memtable of this variant.
    pub fn create(self) -> Arc<dyn MemTable> {
        match self {
            MemTableKind::SkipList => Arc::new(SkipListMemTable::new()),
            MemTableKind::BTree => Arc::new(BTreeMemTable::new()),
            MemTableKind::Vector => Arc::new(VectorMemTable::new()),
        }
    }
}

/// Decides a lookup from the first entry at or after the lookup key (shared
/// by every variant, so they answer alike): the entry counts only if it
/// belongs to the same user key, and then its type decides.
fn resolve_get(
    key: &LookupKey,
    first_at_or_after: Option<(&[u8], &[u8])>,
    value: &mut Vec<u8>,
) -> MemGet {
    let Some((internal_key, entry_value)) = first_at_or_after else {
        return MemGet::Absent;
    };
    if extract_user_key(internal_key) != key.user_key() {
        return MemGet::Absent;
    }
    match ValueType::from_u8((extract_tag(internal_key) & 0xff) as u8) {
        Some(ValueType::Value) => {
            value.clear();
            value.extend_from_slice(entry_value);
            MemGet::Found
        }
        Some(ValueType::Deletion) => MemGet::Deleted,
        // Every variant stores only types that came in as `ValueType`s.
        None => MemGet::Absent,
    }
}
