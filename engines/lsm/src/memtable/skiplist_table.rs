//! LevelDB's memtable (`db/memtable.cc`): entries encoded into an arena and
//! linked into a lock-free skiplist.
//!
//! Each entry is one arena allocation in LevelDB's layout:
//!
//! ```text
//! varint32(len(user_key) + 8) | user_key | fixed64(seq << 8 | type) | varint32(len(value)) | value
//! ```
//!
//! Writers are serialised by the skiplist's mutex; readers (gets and
//! cursors) take no lock at all. Memory usage is the arena's: blocks of
//! 4 KiB, so small entries cost their bytes plus a node of 16 bytes and one
//! to twelve next pointers (1.33 on average).

use super::skiplist::{KeyComparator, SkipList, SkipListIter};
use super::{resolve_get, MemGet, MemTable};
use crate::format::coding::{get_length_prefixed_slice, varint_length};
use crate::format::internal_key::{
    compare_internal_keys, pack_sequence_and_type, LookupKey, ValueType, TAG_SIZE_BYTES,
};
use std::cmp::Ordering;
use std::sync::Arc;
use strata_api::{KvIterator, Result};

/// LevelDB's arena skiplist memtable.
pub struct SkipListMemTable {
    list: Arc<SkipList<EntryComparator>>,
}

impl SkipListMemTable {
    /// An empty memtable.
    pub fn new() -> Self {
        SkipListMemTable {
            list: Arc::new(SkipList::new(EntryComparator)),
        }
    }
}

impl Default for SkipListMemTable {
    fn default() -> Self {
        Self::new()
    }
}

impl MemTable for SkipListMemTable {
    fn add(&self, seq: u64, value_type: ValueType, user_key: &[u8], value: &[u8]) {
        let encoded_len = encoded_entry_len(user_key.len(), value.len());
        self.list.insert_with(encoded_len, |dst| {
            encode_entry(dst, seq, value_type, user_key, value);
        });
    }

    fn get(&self, key: &LookupKey, value: &mut Vec<u8>) -> MemGet {
        let found = self
            .list
            .lower_bound(key.memtable_key())
            .and_then(decode_entry)
            .map(|e| (e.internal_key, e.value));
        resolve_get(key, found, value)
    }

    fn iter(&self) -> Box<dyn KvIterator> {
        Box::new(SkipListMemTableIter {
            inner: SkipListIter::new(Arc::clone(&self.list)),
            target: Vec::new(),
            current: EntrySpans::default(),
        })
    }

    fn approximate_memory_usage(&self) -> usize {
        self.list.memory_usage()
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    fn name(&self) -> &'static str {
        "skiplist"
    }
}

/// Orders encoded entries (and length-prefixed probe keys) by their
/// internal keys.
struct EntryComparator;

impl KeyComparator for EntryComparator {
    #[inline]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        compare_internal_keys(length_prefixed_key(a), length_prefixed_key(b))
    }
}

/// The internal key at the front of an entry or probe. Entries are written
/// by [`encode_entry`] only, so the prefix is always well formed; should it
/// not be, the key compares as empty rather than reading out of bounds.
#[inline]
fn length_prefixed_key(entry: &[u8]) -> &[u8] {
    let key = get_length_prefixed_slice(entry).map(|(key, _)| key);
    debug_assert!(key.is_some(), "malformed memtable entry");
    key.unwrap_or(&[])
}

/// Bytes of the encoded entry for a key and value of these lengths.
fn encoded_entry_len(user_key_len: usize, value_len: usize) -> usize {
    let internal_key_len = user_key_len + TAG_SIZE_BYTES;
    varint_length(internal_key_len as u64)
        + internal_key_len
        + varint_length(value_len as u64)
        + value_len
}

/// Writes an entry into `dst`, which is exactly
/// `encoded_entry_len(user_key.len(), value.len())` bytes long.
///
/// Panics if the internal key or the value is 4 GiB or longer (a
/// programmer error: the engine bounds both far below).
fn encode_entry(dst: &mut [u8], seq: u64, value_type: ValueType, user_key: &[u8], value: &[u8]) {
    let internal_key_len =
        u32::try_from(user_key.len() + TAG_SIZE_BYTES).expect("user key shorter than 4 GiB");
    let value_len = u32::try_from(value.len()).expect("value shorter than 4 GiB");
    let tag = pack_sequence_and_type(seq, value_type).to_le_bytes();
    let mut at = 0;
    for part in [
        varint32_bytes(internal_key_len).as_slice(),
        user_key,
        &tag,
        varint32_bytes(value_len).as_slice(),
        value,
    ] {
        dst[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    debug_assert_eq!(at, dst.len());
}

/// `v` as a varint32 in a small inline buffer: `coding::put_varint32`
/// appends to a `Vec`, while entries are written into fixed arena slices.
struct Varint32Bytes {
    buf: [u8; 5],
    len: usize,
}

impl Varint32Bytes {
    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

fn varint32_bytes(mut v: u32) -> Varint32Bytes {
    let mut out = Varint32Bytes {
        buf: [0; 5],
        len: 0,
    };
    while v >= 0x80 {
        out.buf[out.len] = (v as u8) | 0x80;
        out.len += 1;
        v >>= 7;
    }
    out.buf[out.len] = v as u8;
    out.len += 1;
    out
}

/// An entry split into its parts.
struct DecodedEntry<'a> {
    internal_key: &'a [u8],
    value: &'a [u8],
}

/// Splits an encoded entry; `None` if it is malformed (never for entries
/// written by [`encode_entry`]).
fn decode_entry(entry: &[u8]) -> Option<DecodedEntry<'_>> {
    let (internal_key, key_bytes) = get_length_prefixed_slice(entry)?;
    if internal_key.len() < TAG_SIZE_BYTES {
        return None;
    }
    let (value, _) = get_length_prefixed_slice(entry.get(key_bytes..)?)?;
    Some(DecodedEntry {
        internal_key,
        value,
    })
}

/// Byte ranges of the current entry's key and value, cached on each move.
#[derive(Default, Clone, Copy)]
struct EntrySpans {
    key_start: usize,
    key_end: usize,
    value_start: usize,
    value_end: usize,
}

impl EntrySpans {
    fn of(entry: &[u8]) -> Self {
        let Some(decoded) = decode_entry(entry) else {
            return EntrySpans::default();
        };
        // Both parts are sub-slices of `entry`: offsets from its start.
        let base = entry.as_ptr() as usize;
        let key_start = decoded.internal_key.as_ptr() as usize - base;
        let value_start = decoded.value.as_ptr() as usize - base;
        EntrySpans {
            key_start,
            key_end: key_start + decoded.internal_key.len(),
            value_start,
            value_end: value_start + decoded.value.len(),
        }
    }
}

/// Cursor over a [`SkipListMemTable`]; lock-free, sees every entry
/// published before each step.
struct SkipListMemTableIter {
    inner: SkipListIter<EntryComparator>,
    /// Reused buffer for length-prefixed seek targets.
    target: Vec<u8>,
    current: EntrySpans,
}

impl SkipListMemTableIter {
    fn update_spans(&mut self) {
        self.current = if self.inner.valid() {
            EntrySpans::of(self.inner.key())
        } else {
            EntrySpans::default()
        };
    }
}

impl KvIterator for SkipListMemTableIter {
    fn valid(&self) -> bool {
        self.inner.valid()
    }

    fn seek_to_first(&mut self) {
        self.inner.seek_to_first();
        self.update_spans();
    }

    fn seek_to_last(&mut self) {
        self.inner.seek_to_last();
        self.update_spans();
    }

    fn seek(&mut self, target: &[u8]) {
        // LevelDB's `EncodeKey`: probe keys are length-prefixed like entries.
        self.target.clear();
        strata_api::coding::put_length_prefixed_slice(&mut self.target, target);
        self.inner.seek(&self.target);
        self.update_spans();
    }

    fn next(&mut self) {
        self.inner.next();
        self.update_spans();
    }

    fn prev(&mut self) {
        self.inner.prev();
        self.update_spans();
    }

    fn key(&self) -> &[u8] {
        self.inner
            .key()
            .get(self.current.key_start..self.current.key_end)
            .unwrap_or(&[])
    }

    fn value(&self) -> &[u8] {
        self.inner
            .key()
            .get(self.current.value_start..self.current.value_end)
            .unwrap_or(&[])
    }

    fn status(&self) -> Result<()> {
        Ok(())
    }
}

/// Reads the tag of an entry's internal key (tests and debugging).
#[cfg(test)]
fn entry_tag(entry: &[u8]) -> Option<u64> {
    let decoded = decode_entry(entry)?;
    let split = decoded.internal_key.len() - TAG_SIZE_BYTES;
    Some(crate::format::coding::decode_fixed64(
        &decoded.internal_key[split..],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_layout_hand_built() {
        let (user_key, value) = (b"abc".as_slice(), b"hello".as_slice());
        let len = encoded_entry_len(user_key.len(), value.len());
        let mut dst = vec![0u8; len];
        encode_entry(&mut dst, 0x01_0203, ValueType::Value, user_key, value);
        let want: Vec<u8> = [
            &[11u8][..],                                       // varint32(3 + 8)
            b"abc",                                            // user key
            &[0x01, 0x03, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00], // (0x010203 << 8) | 1, LE
            &[5],                                              // varint32(5)
            b"hello",                                          // value
        ]
        .concat();
        assert_eq!(dst, want);
        assert_eq!(entry_tag(&dst), Some(0x0102_0301));
        let decoded = decode_entry(&dst).expect("well-formed entry");
        assert_eq!(decoded.internal_key, &want[1..12]);
        assert_eq!(decoded.value, b"hello");
    }

    #[test]
    fn entry_layout_multibyte_varints() {
        let user_key = vec![b'k'; 200];
        let value = vec![b'v'; 300];
        let mut dst = vec![0u8; encoded_entry_len(200, 300)];
        encode_entry(&mut dst, 7, ValueType::Deletion, &user_key, &value);
        // 208 = 0xd0 -> [0xd0, 0x01]; 300 -> [0xac, 0x02].
        assert_eq!(&dst[..2], &[0xd0, 0x01]);
        assert_eq!(&dst[202..210], &(7u64 << 8).to_le_bytes());
        assert_eq!(&dst[210..212], &[0xac, 0x02]);
        assert_eq!(dst.len(), 2 + 208 + 2 + 300);
    }

    #[test]
    fn arena_holds_the_entry_bytes() {
        let table = SkipListMemTable::new();
        table.add(5, ValueType::Value, b"abc", b"hello");
        let mut probe = Vec::new();
        strata_api::coding::put_length_prefixed_slice(
            &mut probe,
            LookupKey::new(b"abc", 5).internal_key(),
        );
        let stored = table.list.lower_bound(&probe).expect("entry present");
        let mut want = vec![11u8];
        want.extend_from_slice(b"abc");
        want.extend_from_slice(&((5u64 << 8) | 1).to_le_bytes());
        want.push(5);
        want.extend_from_slice(b"hello");
        assert_eq!(stored, want.as_slice());
    }

    #[test]
    fn malformed_entries_do_not_decode() {
        assert!(decode_entry(&[]).is_none());
        assert!(decode_entry(&[3, b'a', b'b', b'c']).is_none()); // key < tag
        assert!(decode_entry(&[20, 1, 2]).is_none()); // truncated key
        let mut no_value = vec![8u8];
        no_value.extend_from_slice(&[0; 8]);
        assert!(decode_entry(&no_value).is_none());
        assert_eq!(
            length_prefixed_key(&[9, 1, 2, 3, 4, 5, 6, 7, 8, 9]).len(),
            9
        );
    }
}
