//! The filter block of a table (`table/filter_block.cc`).
//!
//! One filter covers the keys of every data block that starts in the same
//! 2 KiB (`1 << FILTER_BASE_LG`) stretch of the file. Layout:
//!
//! ```text
//! filter 0 .. filter N-1
//! offset of filter 0 .. offset of filter N-1   (fixed32 each)
//! offset of the offset array                   (fixed32)
//! base lg                                      (1 byte, 11)
//! ```

use super::bloom::FilterPolicy;
use crate::format::coding::{decode_fixed32, put_fixed32};
use std::sync::Arc;

/// A new filter every `1 << FILTER_BASE_LG` bytes of data-block offsets.
pub const FILTER_BASE_LG: u8 = 11;
/// Bytes of data-block offsets covered by one filter (2 KiB).
const FILTER_BASE_BYTES: u64 = 1 << FILTER_BASE_LG;

/// Builds the filter block while a table's data blocks are written.
pub struct FilterBlockBuilder {
    policy: Arc<dyn FilterPolicy>,
    /// Keys of the current filter, flattened.
    keys: Vec<u8>,
    /// Start of each key in `keys`.
    starts: Vec<usize>,
    result: Vec<u8>,
    filter_offsets: Vec<u32>,
}

impl FilterBlockBuilder {
    /// An empty builder using `policy` for every filter.
    pub fn new(policy: Arc<dyn FilterPolicy>) -> Self {
        FilterBlockBuilder {
            policy,
            keys: Vec::new(),
            starts: Vec::new(),
            result: Vec::new(),
            filter_offsets: Vec::new(),
        }
    }

    /// Announces that the next keys belong to the data block at
    /// `block_offset`; closes the filters of earlier 2 KiB stretches.
    /// Offsets must not decrease.
    pub fn start_block(&mut self, block_offset: u64) {
        let filter_index = block_offset / FILTER_BASE_BYTES;
        debug_assert!(filter_index >= self.filter_offsets.len() as u64);
        while filter_index > self.filter_offsets.len() as u64 {
            self.generate_filter();
        }
    }

    /// Adds a key of the current data block.
    pub fn add_key(&mut self, key: &[u8]) {
        self.starts.push(self.keys.len());
        self.keys.extend_from_slice(key);
    }

    /// Closes the last filter and returns the finished block (call once).
    pub fn finish(&mut self) -> &[u8] {
        if !self.starts.is_empty() {
            self.generate_filter();
        }
        let array_offset = offset_u32(self.result.len());
        for &offset in &self.filter_offsets {
            put_fixed32(&mut self.result, offset);
        }
        put_fixed32(&mut self.result, array_offset);
        self.result.push(FILTER_BASE_LG);
        &self.result
    }

    fn generate_filter(&mut self) {
        self.filter_offsets.push(offset_u32(self.result.len()));
        if self.starts.is_empty() {
            // No keys: an empty filter, which matches nothing.
            return;
        }
        let ends = self.starts.iter().skip(1).copied().chain([self.keys.len()]);
        let keys: Vec<&[u8]> = self
            .starts
            .iter()
            .zip(ends)
            .map(|(&s, e)| &self.keys[s..e])
            .collect();
        self.policy.create_filter(&keys, &mut self.result);
        self.keys.clear();
        self.starts.clear();
    }
}

/// Filter blocks use 32-bit offsets; a filter block over 4 GiB is a
/// programmer error (as in LevelDB).
fn offset_u32(n: usize) -> u32 {
    u32::try_from(n).expect("filter block larger than 4 GiB")
}

/// Answers "may this data block hold the key?" from a filter block.
pub struct FilterBlockReader {
    policy: Arc<dyn FilterPolicy>,
    data: Vec<u8>,
    /// Where the offset array starts (also where the filters end).
    offsets_at: usize,
    num_filters: usize,
    base_lg: u8,
}

impl FilterBlockReader {
    /// Reads `contents`, a filter block built with `policy`. Malformed
    /// contents give a reader that answers "may match" for every key, as
    /// LevelDB does: a filter only saves reads, it never decides results.
    pub fn new(policy: Arc<dyn FilterPolicy>, contents: Vec<u8>) -> Self {
        let mut reader = FilterBlockReader {
            policy,
            data: Vec::new(),
            offsets_at: 0,
            num_filters: 0,
            base_lg: 0,
        };
        // 1 byte of base lg and 4 of the offset array's start.
        let Some(last_word_at) = contents.len().checked_sub(5) else {
            return reader;
        };
        let offsets_at = decode_fixed32(&contents[last_word_at..]) as usize;
        if offsets_at > last_word_at {
            return reader;
        }
        reader.base_lg = contents[contents.len() - 1];
        reader.num_filters = (last_word_at - offsets_at) / 4;
        reader.offsets_at = offsets_at;
        reader.data = contents;
        reader
    }

    /// False only if the data block at `block_offset` certainly lacks `key`.
    pub fn key_may_match(&self, block_offset: u64, key: &[u8]) -> bool {
        // A shift of 64 or more (corrupt base lg) selects filter 0.
        let index = block_offset
            .checked_shr(u32::from(self.base_lg))
            .unwrap_or(0);
        if index >= self.num_filters as u64 {
            return true; // errors are treated as potential matches
        }
        // In bounds: the offset array and the word after it (the array's
        // own start) lie inside `data` by construction.
        let at = self.offsets_at + index as usize * 4;
        let start = decode_fixed32(&self.data[at..]) as usize;
        let limit = decode_fixed32(&self.data[at + 4..]) as usize;
        if start <= limit && limit <= self.offsets_at {
            self.policy.key_may_match(key, &self.data[start..limit])
        } else {
            // Empty filters match nothing; other inconsistencies may match.
            start != limit
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::bloom::BloomFilterPolicy;

    /// A transparent policy: the filter is each key as a length byte and
    /// its bytes, so expected filter blocks can be written by hand.
    struct ListPolicy;

    impl FilterPolicy for ListPolicy {
        fn name(&self) -> &'static str {
            "test.List"
        }
        fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>) {
            for k in keys {
                dst.push(k.len() as u8);
                dst.extend_from_slice(k);
            }
        }
        fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool {
            let mut rest = filter;
            while let Some((&len, tail)) = rest.split_first() {
                let Some(k) = tail.get(..len as usize) else {
                    return true;
                };
                if k == key {
                    return true;
                }
                rest = &tail[len as usize..];
            }
            false
        }
    }

    fn list() -> Arc<dyn FilterPolicy> {
        Arc::new(ListPolicy)
    }

    #[test]
    fn empty_builder() {
        let mut b = FilterBlockBuilder::new(list());
        let block = b.finish().to_vec();
        assert_eq!(block, [0, 0, 0, 0, 11]);
        let r = FilterBlockReader::new(list(), block);
        assert!(r.key_may_match(0, b"foo"));
        assert!(r.key_may_match(100_000, b"foo"));
    }

    #[test]
    fn single_chunk_by_hand() {
        let mut b = FilterBlockBuilder::new(list());
        b.start_block(100);
        b.add_key(b"foo");
        b.add_key(b"bar");
        b.start_block(200);
        b.add_key(b"box");
        b.start_block(300);
        b.add_key(b"hi");
        let block = b.finish().to_vec();
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[3u8][..], b"foo", &[3], b"bar", &[3], b"box", &[2], b"hi", // filter 0 (15 bytes)
            &[0, 0, 0, 0],   // offset of filter 0
            &[15, 0, 0, 0],  // offset of the offset array
            &[11],           // base lg
        ]
        .concat();
        assert_eq!(block, expected);
        let r = FilterBlockReader::new(list(), block);
        for k in [&b"foo"[..], b"bar", b"box", b"hi"] {
            assert!(r.key_may_match(100, k));
        }
        assert!(!r.key_may_match(100, b"missing"));
        assert!(!r.key_may_match(100, b"other"));
    }

    #[test]
    fn multi_chunk_by_hand() {
        let mut b = FilterBlockBuilder::new(list());
        // First filter: blocks at 0 and 2000.
        b.start_block(0);
        b.add_key(b"a");
        b.start_block(2000);
        b.add_key(b"b");
        // Second filter: block at 3100.
        b.start_block(3100);
        b.add_key(b"c");
        // Third filter empty; last filter: block at 9000.
        b.start_block(9000);
        b.add_key(b"d");
        let block = b.finish().to_vec();
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[1u8, b'a', 1, b'b'][..], // filter 0 at 0
            &[1, b'c'],                // filter 1 at 4
            // filters 2 and 3 at 6 (empty)
            &[1, b'd'],                // filter 4 at 6
            &[0, 0, 0, 0], &[4, 0, 0, 0], &[6, 0, 0, 0], &[6, 0, 0, 0], &[6, 0, 0, 0],
            &[8, 0, 0, 0],
            &[11],
        ]
        .concat();
        assert_eq!(block, expected);
        let r = FilterBlockReader::new(list(), block);
        assert!(r.key_may_match(0, b"a"));
        assert!(r.key_may_match(2000, b"b"));
        assert!(!r.key_may_match(0, b"c"));
        assert!(r.key_may_match(3100, b"c"));
        assert!(!r.key_may_match(3100, b"a"));
        // Empty filters match nothing.
        assert!(!r.key_may_match(4100, b"a"));
        assert!(!r.key_may_match(6200, b"d"));
        assert!(r.key_may_match(9000, b"d"));
        assert!(!r.key_may_match(9000, b"a"));
        // Past the last filter: may match.
        assert!(r.key_may_match(1 << 20, b"zzz"));
    }

    #[test]
    fn malformed_blocks_may_match_everything() {
        for contents in [
            vec![],
            vec![0, 0, 0, 11],
            // Offset array claimed past the end.
            vec![9, 0, 0, 0, 11],
            // Base lg 200: every offset maps to filter 0 of "a" / "b".
            [&[1u8, b'a'][..], &[0, 0, 0, 0], &[2, 0, 0, 0], &[200]].concat(),
        ] {
            let r = FilterBlockReader::new(list(), contents);
            assert!(r.key_may_match(0, b"a"));
            assert!(r.key_may_match(12345, b"a"));
        }
        // Filter 0's limit past its region: inconsistent, so may match.
        let contents = [&[1u8, b'a'][..], &[0, 0, 0, 0], &[1, 0, 0, 0], &[11]].concat();
        let r = FilterBlockReader::new(list(), contents);
        assert!(r.key_may_match(0, b"zzz"));
    }

    #[test]
    fn with_bloom_filters() {
        let policy: Arc<dyn FilterPolicy> = Arc::new(BloomFilterPolicy::new(10));
        let mut b = FilterBlockBuilder::new(Arc::clone(&policy));
        for block in 0..20u64 {
            b.start_block(block * 1500);
            for i in 0..50 {
                b.add_key(format!("{block}-{i}").as_bytes());
            }
        }
        let r = FilterBlockReader::new(policy, b.finish().to_vec());
        for block in 0..20u64 {
            for i in 0..50 {
                assert!(r.key_may_match(block * 1500, format!("{block}-{i}").as_bytes()));
            }
        }
    }
}
