//! Reads one block of a table (`table/block.cc`); the format is described in
//! [`super::block_builder`].

use super::format::BlockContents;
use super::restart_hints::RestartHints;
use crate::format::coding::{decode_fixed32, get_varint32};
use crate::format::comparator::Comparator;
use crate::format::internal_key::compare_internal_keys;
use std::cmp::Ordering;
use std::ops::Deref;
use std::sync::Arc;
use strata_api::{Error, KvIterator, Result};

/// Bytes of one restart offset and of the restart count.
const U32_BYTES: usize = 4;

/// A block's uncompressed contents, with its restart array checked.
#[derive(Debug)]
pub struct Block {
    data: BlockContents,
    /// Where the restart array starts: entries live in `data[..restarts_offset]`.
    restarts_offset: usize,
    num_restarts: u32,
    file_name: Arc<str>,
    offset_bytes: u64,
    /// The restart keys' search aid, built for index blocks
    /// ([`Block::with_restart_hints`]).
    hints: Option<RestartHints>,
}

impl Block {
    /// This block with [`RestartHints`] over its restart keys, which
    /// seeks under the default order use (a table's index block, searched
    /// once per lookup). Left without if a restart entry is malformed: the
    /// ordinary search then reports it.
    pub fn with_restart_hints(mut self) -> Self {
        let keys: Option<Vec<&[u8]>> = (0..self.num_restarts)
            .map(|i| self.restart_entry_key(i))
            .collect();
        let hints = keys.and_then(|keys| RestartHints::build(keys.into_iter()));
        self.hints = hints;
        self
    }

    /// Bytes of the restart hints, if any.
    pub fn hints_size_bytes(&self) -> usize {
        self.hints.as_ref().map_or(0, RestartHints::size_bytes)
    }

    /// The full key stored at restart point `index`, or `None` if its entry
    /// is malformed (restart entries share nothing).
    fn restart_entry_key(&self, index: u32) -> Option<&[u8]> {
        let at = self.restart_point(index);
        let entry = decode_entry(self.contents(), at, self.restarts_offset)?;
        if entry.shared != 0 {
            return None;
        }
        Some(&self.contents()[entry.delta_at..entry.delta_at + entry.non_shared])
    }

    /// The block's buffer, if it owns one (not a range of a mapped file),
    /// for reuse.
    pub fn into_buffer(self) -> Option<Vec<u8>> {
        match self.data {
            BlockContents::Owned(v) => Some(v),
            BlockContents::Mapped(_) => None,
        }
    }

    /// Address of the block's first byte (tests of buffer reuse).
    #[cfg(test)]
    pub(crate) fn as_ptr_for_tests(&self) -> *const u8 {
        self.data.as_slice().as_ptr()
    }

    /// Takes ownership of `data` (a vector or [`BlockContents`]), the
    /// uncompressed contents of the block at `offset_bytes` in `file_name`
    /// (both only used to name corruption).
    ///
    /// # Errors
    /// `Corruption` (naming the file and the block's offset) if the block is
    /// shorter than its restart count, the count does not fit, or the
    /// restart offsets are not increasing within the entries area.
    pub fn new(
        data: impl Into<BlockContents>,
        file_name: Arc<str>,
        offset_bytes: u64,
    ) -> Result<Block> {
        let data = data.into();
        let bad = |reason: &str| Error::corruption(&*file_name, offset_bytes, reason);
        let bytes = data.as_slice();
        let Some(count_at) = bytes.len().checked_sub(U32_BYTES) else {
            return Err(bad("block shorter than its restart count"));
        };
        let num_restarts = decode_fixed32(&bytes[count_at..]);
        let max_restarts = count_at / U32_BYTES;
        if num_restarts as usize > max_restarts {
            return Err(bad("block restart count larger than the block"));
        }
        let restarts_offset = count_at - num_restarts as usize * U32_BYTES;
        let mut previous: Option<u32> = None;
        for i in 0..num_restarts as usize {
            let at = restarts_offset + i * U32_BYTES;
            let restart = decode_fixed32(&bytes[at..]);
            if restart as usize > restarts_offset {
                return Err(bad("block restart offset past the entries"));
            }
            if previous.is_some_and(|p| p >= restart) {
                return Err(bad("block restart offsets not increasing"));
            }
            previous = Some(restart);
        }
        Ok(Block {
            data,
            restarts_offset,
            num_restarts,
            file_name,
            offset_bytes,
            hints: None,
        })
    }

    /// Size of the contents in bytes.
    pub fn size_bytes(&self) -> usize {
        self.data.as_slice().len()
    }

    /// Bytes of memory a cache charges for the block: its contents and its
    /// restart hints.
    pub fn charge_bytes(&self) -> usize {
        self.size_bytes() + self.hints_size_bytes()
    }

    /// The uncompressed contents.
    #[inline]
    pub fn contents(&self) -> &[u8] {
        self.data.as_slice()
    }

    /// True if the contents are a range of a memory-mapped file.
    pub fn is_mapped(&self) -> bool {
        self.data.is_mapped()
    }

    /// Number of restart points.
    pub fn num_restarts(&self) -> u32 {
        self.num_restarts
    }

    /// The file the block came from.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Offset of the block in its file.
    pub fn offset_bytes(&self) -> u64 {
        self.offset_bytes
    }

    /// A cursor over the block's entries in `comparator`'s order.
    pub fn iter(self: &Arc<Self>, comparator: Arc<dyn Comparator>) -> BlockIter {
        BlockIter::new(Arc::clone(self), comparator, Vec::new())
    }

    /// A cursor that borrows the block and the comparator instead of
    /// sharing them, and builds keys in `key_buf` (cleared first; take it
    /// back with [`BlockIter::into_key_buf`]; its contents are ignored): a point lookup then costs no
    /// allocation once the buffer has grown.
    pub fn iter_borrowed<'a>(
        &'a self,
        comparator: &'a (dyn Comparator + 'static),
        key_buf: Vec<u8>,
    ) -> BlockIter<&'a Block, &'a (dyn Comparator + 'static)> {
        BlockIter::new(self, comparator, key_buf)
    }

    fn restart_point(&self, index: u32) -> usize {
        debug_assert!(index < self.num_restarts);
        let at = self.restarts_offset + index as usize * U32_BYTES;
        // In bounds: checked by `new`.
        decode_fixed32(&self.contents()[at..]) as usize
    }
}

/// One decoded entry header: lengths and where the key delta starts.
struct EntryHeader {
    shared: usize,
    non_shared: usize,
    value_len: usize,
    delta_at: usize,
}

/// Decodes the entry header at `data[at..limit]`, or `None` if it is
/// malformed or its key delta and value run past `limit`.
#[inline(always)]
fn decode_entry(data: &[u8], at: usize, limit: usize) -> Option<EntryHeader> {
    let region = data.get(at..limit)?;
    let (shared, non_shared, value_len, used) = match region {
        // Fast path: all three lengths fit one byte each.
        [a, b, c, ..] if (a | b | c) < 0x80 => (u32::from(*a), u32::from(*b), u32::from(*c), 3),
        _ => {
            let (shared, n1) = get_varint32(region)?;
            let (non_shared, n2) = get_varint32(region.get(n1..)?)?;
            let (value_len, n3) = get_varint32(region.get(n1 + n2..)?)?;
            (shared, non_shared, value_len, n1 + n2 + n3)
        }
    };
    let remaining = (region.len() - used) as u64;
    if remaining < u64::from(non_shared) + u64::from(value_len) {
        return None;
    }
    Some(EntryHeader {
        shared: shared as usize,
        non_shared: non_shared as usize,
        value_len: value_len as usize,
        delta_at: at + used,
    })
}

/// Copies `src` into `dst` (equally long). Key deltas are mostly under 17
/// bytes: those are copied with two overlapping fixed-size moves instead of
/// a call to `memcpy`, which costs more than the copy at these sizes.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    debug_assert_eq!(dst.len(), n);
    if (8..=16).contains(&n) {
        let head: [u8; 8] = src[..8].try_into().expect("8 bytes");
        let tail: [u8; 8] = src[n - 8..].try_into().expect("8 bytes");
        dst[..8].copy_from_slice(&head);
        dst[n - 8..].copy_from_slice(&tail);
    } else if (4..8).contains(&n) {
        let head: [u8; 4] = src[..4].try_into().expect("4 bytes");
        let tail: [u8; 4] = src[n - 4..].try_into().expect("4 bytes");
        dst[..4].copy_from_slice(&head);
        dst[n - 4..].copy_from_slice(&tail);
    } else if n < 4 {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    } else {
        dst.copy_from_slice(src);
    }
}

/// A cursor over one block (LevelDB's `Block::Iter`). The key buffer is
/// reused across steps, so moving does not allocate once it has grown.
///
/// `B` holds the block and `C` the comparator: shared (`Arc`, the default,
/// for cursors that outlive the call that made them) or borrowed (for a
/// point lookup, see [`Block::iter_borrowed`]).
pub struct BlockIter<B = Arc<Block>, C = Arc<dyn Comparator>> {
    block: B,
    comparator: C,
    /// Offset of the current entry; `block.restarts_offset` when invalid.
    current: usize,
    /// Index of the restart point at or before `current`.
    restart_index: u32,
    /// The current key is `key[..key_len]`; the buffer only grows, so a
    /// step copies the key's new bytes without resizing it.
    key: Vec<u8>,
    key_len: usize,
    value_start: usize,
    value_len: usize,
    status: Option<Error>,
}

impl<B, C> BlockIter<B, C>
where
    B: Deref<Target = Block>,
    C: Deref<Target = dyn Comparator>,
{
    fn new(block: B, comparator: C, key: Vec<u8>) -> Self {
        BlockIter {
            current: block.restarts_offset,
            restart_index: block.num_restarts,
            block,
            comparator,
            key,
            key_len: 0,
            value_start: 0,
            value_len: 0,
            status: None,
        }
    }

    /// The key buffer, to reuse for the next cursor.
    pub fn into_key_buf(self) -> Vec<u8> {
        self.key
    }

    fn next_entry_offset(&self) -> usize {
        self.value_start + self.value_len
    }

    /// True if the cursor is at the block's only entry: it starts the
    /// block, the restart array follows it, and it is the one restart.
    pub fn at_sole_entry(&self) -> bool {
        self.current == 0
            && self.block.num_restarts == 1
            && self.status.is_none()
            && self.next_entry_offset() == self.block.restarts_offset
    }

    fn mark_invalid(&mut self) {
        self.current = self.block.restarts_offset;
        self.restart_index = self.block.num_restarts;
    }

    fn corruption(&mut self) {
        self.mark_invalid();
        self.key_len = 0;
        self.value_start = 0;
        self.value_len = 0;
        if self.status.is_none() {
            self.status = Some(Error::corruption(
                self.block.file_name(),
                self.block.offset_bytes,
                "bad entry in block",
            ));
        }
    }

    fn seek_to_restart_point(&mut self, index: u32) {
        self.key_len = 0;
        self.restart_index = index;
        // `parse_next_key` starts where the value ends.
        self.value_start = self.block.restart_point(index);
        self.value_len = 0;
    }

    /// Decodes the entry after the current one; false at the end of the
    /// entries or on corruption.
    fn parse_next_key(&mut self) -> bool {
        self.current = self.next_entry_offset();
        let limit = self.block.restarts_offset;
        if self.current >= limit {
            self.mark_invalid();
            return false;
        }
        let Some(entry) = decode_entry(self.block.contents(), self.current, limit) else {
            self.corruption();
            return false;
        };
        if self.key_len < entry.shared {
            self.corruption();
            return false;
        }
        let delta_end = entry.delta_at + entry.non_shared;
        let key_len = entry.shared + entry.non_shared;
        if self.key.len() < key_len {
            self.key.resize(key_len, 0);
        }
        copy_short(
            &mut self.key[entry.shared..key_len],
            &self.block.contents()[entry.delta_at..delta_end],
        );
        self.key_len = key_len;
        self.value_start = delta_end;
        self.value_len = entry.value_len;
        while self.restart_index + 1 < self.block.num_restarts
            && self.block.restart_point(self.restart_index + 1) < self.current
        {
            self.restart_index += 1;
        }
        true
    }

    /// The full key stored at restart point `index`, or `None` if its entry
    /// is malformed (restart entries share nothing).
    fn restart_key(&self, index: u32) -> Option<&[u8]> {
        self.block.restart_entry_key(index)
    }
}

impl<B, C> KvIterator for BlockIter<B, C>
where
    B: Deref<Target = Block> + Send,
    C: Deref<Target = dyn Comparator> + Send,
{
    fn valid(&self) -> bool {
        self.current < self.block.restarts_offset
    }

    fn seek_to_first(&mut self) {
        if self.block.num_restarts == 0 {
            self.mark_invalid();
            return;
        }
        self.seek_to_restart_point(0);
        self.parse_next_key();
    }

    fn seek_to_last(&mut self) {
        if self.block.num_restarts == 0 {
            self.mark_invalid();
            return;
        }
        self.seek_to_restart_point(self.block.num_restarts - 1);
        while self.parse_next_key() && self.next_entry_offset() < self.block.restarts_offset {}
    }

    fn seek(&mut self, target: &[u8]) {
        if self.block.num_restarts == 0 {
            self.mark_invalid();
            return;
        }
        // Binary search for the last restart point whose key is < target.
        let mut left = 0;
        let mut right = self.block.num_restarts - 1;
        let mut current_vs_target = Ordering::Equal;
        if self.valid() {
            // Seeking forward from the current position: start there.
            current_vs_target = self.comparator.compare(&self.key[..self.key_len], target);
            match current_vs_target {
                Ordering::Less => left = self.restart_index,
                Ordering::Greater => right = self.restart_index,
                Ordering::Equal => return,
            }
        }
        // Tables of the default order compare inline, not through the
        // comparator object: a lookup makes a dozen comparisons per block.
        let inline_order = self.comparator.is_bytewise_internal();
        if inline_order {
            if let Some(c) = self.block.hints.as_ref().and_then(|h| h.candidates(target)) {
                // Restart keys before `c.lo` are smaller than the target and
                // those from `c.hi` on larger: the last smaller one is in
                // `c.lo - 1 ..= c.hi - 1`.
                left = left.max(c.lo.saturating_sub(1));
                right = right.min(c.hi.saturating_sub(1)).max(left);
            }
        }
        let comparator = &*self.comparator;
        let less_than_target = |key: &[u8]| {
            if inline_order {
                compare_internal_keys(key, target) == Ordering::Less
            } else {
                comparator.compare(key, target) == Ordering::Less
            }
        };
        while left < right {
            let mid = left + (right - left).div_ceil(2);
            let Some(mid_key) = self.restart_key(mid) else {
                self.corruption();
                return;
            };
            if less_than_target(mid_key) {
                left = mid;
            } else {
                right = mid - 1;
            }
        }
        // Already inside the right restart interval and before the target:
        // scan on from here instead of from the restart point.
        let skip_seek = left == self.restart_index && current_vs_target == Ordering::Less;
        if !skip_seek {
            self.seek_to_restart_point(left);
        }
        while self.parse_next_key() {
            let key = &self.key[..self.key_len];
            let before_target = if inline_order {
                compare_internal_keys(key, target) == Ordering::Less
            } else {
                self.comparator.compare(key, target) == Ordering::Less
            };
            if !before_target {
                return;
            }
        }
    }

    fn next(&mut self) {
        debug_assert!(self.valid());
        self.parse_next_key();
    }

    fn prev(&mut self) {
        debug_assert!(self.valid());
        // Back to a restart point before the current entry, then scan up to
        // the entry just before it.
        let original = self.current;
        while self.block.restart_point(self.restart_index) >= original {
            if self.restart_index == 0 {
                self.mark_invalid();
                return;
            }
            self.restart_index -= 1;
        }
        self.seek_to_restart_point(self.restart_index);
        while self.parse_next_key() && self.next_entry_offset() < original {}
    }

    fn key(&self) -> &[u8] {
        debug_assert!(self.valid());
        &self.key[..self.key_len]
    }

    fn value(&self) -> &[u8] {
        debug_assert!(self.valid());
        &self.block.contents()[self.value_start..self.value_start + self.value_len]
    }

    fn status(&self) -> Result<()> {
        match &self.status {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::comparator::BytewiseComparator;
    use crate::table::block_builder::BlockBuilder;

    fn bytewise() -> Arc<dyn Comparator> {
        Arc::new(BytewiseComparator)
    }

    fn block(data: Vec<u8>) -> Arc<Block> {
        Arc::new(Block::new(data, Arc::from("t.ldb"), 4096).expect("valid block"))
    }

    /// The block from `block_builder`'s byte-by-byte test, built by hand.
    fn three_key_block() -> Vec<u8> {
        [
            &[0u8, 5, 1][..],
            b"apple",
            b"1",
            &[2, 5, 2],
            b"ricot",
            b"22",
            &[0, 6, 0],
            b"banana",
            &[0, 0, 0, 0],
            &[19, 0, 0, 0],
            &[2, 0, 0, 0],
        ]
        .concat()
    }

    fn forward(it: &mut BlockIter) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        it.seek_to_first();
        while it.valid() {
            out.push((it.key().to_vec(), it.value().to_vec()));
            it.next();
        }
        out
    }

    fn backward(it: &mut BlockIter) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        it.seek_to_last();
        while it.valid() {
            out.push((it.key().to_vec(), it.value().to_vec()));
            it.prev();
        }
        out.reverse();
        out
    }

    fn corruption_at(err: &Error) -> (String, u64) {
        match err {
            Error::Corruption {
                file, offset_bytes, ..
            } => (file.clone(), *offset_bytes),
            other => panic!("expected corruption, got {other}"),
        }
    }

    #[test]
    fn reads_hand_built_block() {
        let b = block(three_key_block());
        assert_eq!(b.num_restarts(), 2);
        let mut it = b.iter(bytewise());
        let expected = vec![
            (b"apple".to_vec(), b"1".to_vec()),
            (b"apricot".to_vec(), b"22".to_vec()),
            (b"banana".to_vec(), b"".to_vec()),
        ];
        assert_eq!(forward(&mut it), expected);
        assert_eq!(backward(&mut it), expected);
        it.seek(b"apricot");
        assert_eq!(it.key(), b"apricot");
        it.seek(b"apz");
        assert_eq!(it.key(), b"banana");
        it.seek(b"a");
        assert_eq!(it.key(), b"apple");
        it.seek(b"c");
        assert!(!it.valid());
        it.status().expect("no corruption");
    }

    #[test]
    fn builder_and_reader_agree_at_every_restart_interval() {
        for interval in [1, 2, 3, 16] {
            let mut builder = BlockBuilder::new(interval);
            let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..100u32)
                .map(|i| {
                    (
                        format!("key{:05}", i * 2).into_bytes(),
                        vec![b'v'; (i % 7) as usize],
                    )
                })
                .collect();
            for (k, v) in &pairs {
                builder.add(k, v);
            }
            let b = block(builder.finish().to_vec());
            let mut it = b.iter(bytewise());
            assert_eq!(forward(&mut it), pairs);
            assert_eq!(backward(&mut it), pairs);
            for i in 0..100u32 {
                let exact = format!("key{:05}", i * 2);
                it.seek(exact.as_bytes());
                assert_eq!(it.key(), exact.as_bytes());
                // Between keys: lands on the next one (or the end).
                let between = format!("key{:05}", i * 2 + 1);
                it.seek(between.as_bytes());
                if i == 99 {
                    assert!(!it.valid());
                } else {
                    assert_eq!(it.key(), format!("key{:05}", i * 2 + 2).as_bytes());
                }
            }
            // Seeks backwards from a positioned cursor work too.
            it.seek_to_last();
            it.seek(b"key00010");
            assert_eq!(it.key(), b"key00010");
            it.seek(b"key00010");
            assert_eq!(it.key(), b"key00010");
            it.status().expect("no corruption");
        }
    }

    #[test]
    fn empty_blocks_have_no_entries() {
        let mut builder = BlockBuilder::new(16);
        let b = block(builder.finish().to_vec());
        let mut it = b.iter(bytewise());
        it.seek_to_first();
        assert!(!it.valid());
        it.seek_to_last();
        assert!(!it.valid());
        it.seek(b"x");
        assert!(!it.valid());
        // A block with no restart points at all (LevelDB: empty iterator).
        let b = block(vec![0, 0, 0, 0]);
        let mut it = b.iter(bytewise());
        it.seek_to_first();
        assert!(!it.valid());
        it.seek(b"x");
        assert!(!it.valid());
        it.seek_to_last();
        assert!(!it.valid());
        it.status().expect("no corruption");
    }

    #[test]
    fn malformed_restart_arrays_are_corruption() {
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![1, 0, 0],
            // Claims 2 restarts but holds room for none.
            vec![2, 0, 0, 0],
            // Restart offset 9 past the 3 bytes of entries.
            vec![0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0],
            // Offsets not increasing.
            vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0],
        ];
        for data in cases {
            let err = Block::new(data.clone(), Arc::from("x.ldb"), 77).expect_err("malformed");
            assert_eq!(corruption_at(&err), ("x.ldb".to_string(), 77), "{data:?}");
        }
    }

    #[test]
    fn bad_entry_mid_block_stops_the_cursor() {
        let mut data = three_key_block();
        // Second entry's unshared length 5 -> 100: runs past the entries.
        data[10] = 100;
        let b = block(data);
        let mut it = b.iter(bytewise());
        it.seek_to_first();
        assert_eq!(it.key(), b"apple");
        it.next();
        assert!(!it.valid());
        let err = it.status().expect_err("corrupt entry");
        assert_eq!(corruption_at(&err), ("t.ldb".to_string(), 4096));
    }

    #[test]
    fn shared_bytes_beyond_the_previous_key_are_corruption() {
        let mut data = three_key_block();
        // Second entry shares 9 bytes of the 5-byte "apple".
        data[9] = 9;
        let b = block(data);
        let mut it = b.iter(bytewise());
        it.seek_to_first();
        it.next();
        assert!(!it.valid());
        assert!(it.status().is_err());
    }

    #[test]
    fn restart_entry_with_shared_bytes_fails_seek() {
        let mut data = three_key_block();
        // The second restart entry (offset 19) claims to share a prefix.
        data[19] = 1;
        let b = block(data);
        let mut it = b.iter(bytewise());
        it.seek(b"b");
        assert!(!it.valid());
        assert!(it.status().is_err());
    }

    /// Found by the `table` fuzz target: a data block read without
    /// checksum verification whose keys are shorter than an internal key's
    /// 8-byte tag made `InternalKeyComparator` panic (a debug assertion in
    /// `extract_user_key`) when a seek compared them.
    #[test]
    fn short_keys_under_the_internal_key_comparator_do_not_panic() {
        use crate::format::comparator::InternalKeyComparator;
        let mut builder = BlockBuilder::new(1);
        for key in [&b"a"[..], b"b\x01", b"c\x01\x02"] {
            builder.add(key, b"v");
        }
        let b = block(builder.finish().to_vec());
        let internal: Arc<dyn Comparator> = Arc::new(InternalKeyComparator::new(bytewise()));
        let mut it = b.iter(internal);
        let mut target = b"b".to_vec();
        target.extend_from_slice(&[0xff; 8]);
        it.seek(&target);
        assert_eq!(it.key(), b"b\x01");
        it.seek(b"zzzzzzzzzz");
        assert!(!it.valid());
        it.status()
            .expect("short keys are not a block format error");
    }

    proptest::proptest! {
        /// An index block with restart hints seeks exactly as without,
        /// from a fresh cursor and from a positioned one, for any restart
        /// interval and keys that share long prefixes or none.
        #[test]
        fn seeks_with_restart_hints_land_where_seeks_without_do(
            mut users in proptest::collection::vec(
                proptest::collection::vec(0u8..3, 0..12), 1..60),
            targets in proptest::collection::vec(
                (proptest::collection::vec(0u8..3, 0..12), 0u64..6), 1..20),
            interval in 1usize..4,
            prefix_len in 0usize..12,
        ) {
            use crate::format::comparator::InternalKeyComparator;
            use crate::format::internal_key::{append_internal_key, ValueType};
            let ikey = |user: &[u8], seq: u64| {
                let mut k = vec![b'p'; prefix_len];
                let mut out = Vec::new();
                k.extend_from_slice(user);
                append_internal_key(&mut out, &k, seq, ValueType::Value);
                out
            };
            users.sort();
            users.dedup();
            let mut builder = BlockBuilder::new(interval);
            for (i, u) in users.iter().enumerate() {
                builder.add(&ikey(u, 3), &[i as u8]);
            }
            let data = builder.finish().to_vec();
            let plain = Arc::new(Block::new(data.clone(), Arc::from("t"), 0).expect("block"));
            let hinted = Arc::new(
                Block::new(data, Arc::from("t"), 0).expect("block").with_restart_hints(),
            );
            proptest::prop_assert!(hinted.hints_size_bytes() > 0);
            let order: Arc<dyn Comparator> = Arc::new(InternalKeyComparator::new(bytewise()));
            let mut a = plain.iter(Arc::clone(&order));
            let mut b = hinted.iter(Arc::clone(&order));
            for (user, seq) in &targets {
                let target = ikey(user, *seq);
                // From a fresh cursor, then again from wherever it stands.
                for _ in 0..2 {
                    a.seek(&target);
                    b.seek(&target);
                    proptest::prop_assert_eq!(a.valid(), b.valid());
                    if a.valid() {
                        proptest::prop_assert_eq!(a.key(), b.key());
                        proptest::prop_assert_eq!(a.value(), b.value());
                    }
                }
                let mut fresh = hinted.iter(Arc::clone(&order));
                fresh.seek(&target);
                proptest::prop_assert_eq!(fresh.valid(), a.valid());
            }
        }
    }

    #[test]
    fn every_truncation_and_byte_value_is_handled() {
        let data = three_key_block();
        for cut in 0..data.len() {
            if let Ok(b) = Block::new(data[..cut].to_vec(), Arc::from("t"), 0) {
                let b = Arc::new(b);
                let mut it = b.iter(bytewise());
                let _ = forward(&mut it);
                let _ = backward(&mut it);
            }
        }
        for pos in 0..data.len() {
            for v in [0u8, 1, 0x7f, 0x80, 0xff] {
                let mut d = data.clone();
                d[pos] = v;
                if let Ok(b) = Block::new(d, Arc::from("t"), 0) {
                    let b = Arc::new(b);
                    let mut it = b.iter(bytewise());
                    let _ = forward(&mut it);
                    let _ = backward(&mut it);
                    it.seek(b"apricot");
                    if !it.valid() {
                        let _ = it.status();
                    }
                }
            }
        }
    }
}
