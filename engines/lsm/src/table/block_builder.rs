//! Builds one block of a table (`table/block_builder.cc`).
//!
//! Keys are prefix-compressed against the previous key. Every
//! `restart_interval` entries the full key is stored again (a restart
//! point), so readers can binary-search the restart points and decode from
//! there. Each entry is:
//!
//! ```text
//! shared_bytes: varint32    (0 at a restart point)
//! unshared_bytes: varint32
//! value_length: varint32
//! key_delta: [u8; unshared_bytes]
//! value: [u8; value_length]
//! ```
//!
//! and the block ends with `restarts: [fixed32; num_restarts]` and
//! `num_restarts: fixed32`.

use crate::format::coding::{put_fixed32, put_varint32};

/// Accumulates sorted entries into one block's bytes.
#[derive(Debug, Clone)]
pub struct BlockBuilder {
    restart_interval: usize,
    buffer: Vec<u8>,
    restarts: Vec<u32>,
    /// Entries added since the last restart point.
    counter: usize,
    finished: bool,
    last_key: Vec<u8>,
}

impl BlockBuilder {
    /// An empty builder storing a full key every `restart_interval` entries
    /// (LevelDB's `block_restart_interval`, 16 for data blocks, 1 for index
    /// blocks).
    ///
    /// # Panics
    /// If `restart_interval` is 0 (a programmer error).
    pub fn new(restart_interval: usize) -> Self {
        assert!(restart_interval >= 1, "restart interval must be at least 1");
        BlockBuilder {
            restart_interval,
            buffer: Vec::new(),
            // The first restart point is always at offset 0.
            restarts: vec![0],
            counter: 0,
            finished: false,
            last_key: Vec::new(),
        }
    }

    /// Forgets every entry, as if just created (keeps allocations).
    pub fn reset(&mut self) {
        self.buffer.clear();
        self.restarts.clear();
        self.restarts.push(0);
        self.counter = 0;
        self.finished = false;
        self.last_key.clear();
    }

    /// Appends an entry. Requires: `finish` not called since the last
    /// `reset`, and `key` larger than every key added before (in the order
    /// the block will be read with; checked by the table builder).
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        debug_assert!(!self.finished, "add after finish");
        debug_assert!(self.counter <= self.restart_interval);
        let mut shared = 0;
        if self.counter < self.restart_interval {
            shared = self
                .last_key
                .iter()
                .zip(key)
                .take_while(|(a, b)| a == b)
                .count();
        } else {
            self.restarts.push(offset_u32(self.buffer.len()));
            self.counter = 0;
        }
        let non_shared = key.len() - shared;
        put_varint32(&mut self.buffer, offset_u32(shared));
        put_varint32(&mut self.buffer, offset_u32(non_shared));
        put_varint32(&mut self.buffer, offset_u32(value.len()));
        self.buffer.extend_from_slice(&key[shared..]);
        self.buffer.extend_from_slice(value);
        self.last_key.truncate(shared);
        self.last_key.extend_from_slice(&key[shared..]);
        self.counter += 1;
    }

    /// Appends the restart array and returns the finished block, valid until
    /// the next `reset`. Call once per block.
    pub fn finish(&mut self) -> &[u8] {
        debug_assert!(!self.finished, "finish called twice");
        for &restart in &self.restarts {
            put_fixed32(&mut self.buffer, restart);
        }
        put_fixed32(&mut self.buffer, offset_u32(self.restarts.len()));
        self.finished = true;
        &self.buffer
    }

    /// Size in bytes the block would have if finished now.
    pub fn current_size_estimate(&self) -> usize {
        self.buffer.len() + self.restarts.len() * 4 + 4
    }

    /// True if no entry was added since the last reset.
    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }
}

/// Blocks are addressed with 32-bit offsets on disk; a block over 4 GiB is a
/// programmer error (LevelDB has the same limit).
fn offset_u32(n: usize) -> u32 {
    u32::try_from(n).expect("block larger than 4 GiB")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_block_is_one_restart_at_zero() {
        let mut b = BlockBuilder::new(16);
        assert!(b.is_empty());
        assert_eq!(b.current_size_estimate(), 8);
        assert_eq!(b.finish(), &[0, 0, 0, 0, 1, 0, 0, 0]);
    }

    #[test]
    fn three_keys_restart_interval_two_byte_by_byte() {
        let mut b = BlockBuilder::new(2);
        b.add(b"apple", b"1");
        b.add(b"apricot", b"22");
        b.add(b"banana", b"");
        assert!(!b.is_empty());
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            // offset 0: restart point, full key "apple", value "1"
            &[0u8, 5, 1][..], b"apple", b"1",
            // offset 9: shares "ap" with "apple"
            &[2, 5, 2], b"ricot", b"22",
            // offset 19: second restart point (interval 2): full key
            &[0, 6, 0], b"banana",
            // offset 28: restarts [0, 19], then count 2
            &[0, 0, 0, 0], &[19, 0, 0, 0], &[2, 0, 0, 0],
        ]
        .concat();
        assert_eq!(b.current_size_estimate(), expected.len());
        assert_eq!(b.finish(), &expected[..]);
    }

    #[test]
    fn long_lengths_use_multi_byte_varints() {
        let mut b = BlockBuilder::new(16);
        let key = vec![b'k'; 200];
        let value = vec![b'v'; 300];
        b.add(&key, &value);
        let out = b.finish().to_vec();
        // shared 0, unshared 200 = [0xc8, 0x01], value 300 = [0xac, 0x02]
        assert_eq!(&out[..5], &[0, 0xc8, 0x01, 0xac, 0x02]);
        assert_eq!(out.len(), 5 + 200 + 300 + 8);
    }

    #[test]
    fn reset_starts_over() {
        let mut b = BlockBuilder::new(16);
        b.add(b"a", b"b");
        let _ = b.finish();
        b.reset();
        assert!(b.is_empty());
        b.add(b"a", b"b");
        assert_eq!(b.finish(), &[0, 1, 1, b'a', b'b', 0, 0, 0, 0, 1, 0, 0, 0]);
    }
}
