//! `WriteBatch`: a group of updates applied atomically, in LevelDB's encoding.
//!
//! The encoding (`db/write_batch.cc`) is also the WAL record payload:
//!
//! ```text
//! sequence: fixed64 | count: fixed32 | record*
//! record  := 0x01 varstring(key) varstring(value)   (put)
//!          | 0x00 varstring(key)                    (delete)
//! varstring := varint32 length, bytes
//! ```

use crate::coding::{
    decode_fixed32, decode_fixed64, get_length_prefixed_slice, put_length_prefixed_slice,
};
use crate::error::{Error, Result};

/// Size of the batch header: 8-byte sequence plus 4-byte count.
pub const BATCH_HEADER_BYTES: usize = 12;
/// Record tag of a deletion (LevelDB's `kTypeDeletion`).
pub const TAG_DELETION: u8 = 0x00;
/// Record tag of a put (LevelDB's `kTypeValue`).
pub const TAG_VALUE: u8 = 0x01;

/// One update of a batch, borrowed from the batch's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOp<'a> {
    /// Set `key` to `value`.
    Put {
        /// The user key.
        key: &'a [u8],
        /// The value.
        value: &'a [u8],
    },
    /// Remove `key`.
    Delete {
        /// The user key.
        key: &'a [u8],
    },
}

/// The longest key or value LevelDB's encoding can hold: its length is a
/// varint32.
pub const MAX_SLICE_BYTES: usize = u32::MAX as usize;

/// Updates applied together: either all of them are visible or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteBatch {
    rep: Vec<u8>,
    /// The first update that could not be encoded (a key or value over
    /// [`MAX_SLICE_BYTES`], or a count over `u32::MAX`): the batch is then
    /// refused by [`WriteBatch::check_encodable`] and so by every write.
    refused: Option<String>,
}

impl Default for WriteBatch {
    fn default() -> Self {
        Self::new()
    }
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        WriteBatch {
            rep: vec![0; BATCH_HEADER_BYTES],
            refused: None,
        }
    }

    /// Wraps bytes in LevelDB's batch encoding (as read from a WAL record).
    ///
    /// # Errors
    /// `Corruption` (file `"write batch"`, offset 0) if `rep` is shorter
    /// than the header or its records do not parse or do not match the count.
    pub fn from_bytes(rep: Vec<u8>) -> Result<Self> {
        if rep.len() < BATCH_HEADER_BYTES {
            return Err(Error::corruption(
                "write batch",
                0,
                "batch shorter than its 12-byte header",
            ));
        }
        let batch = WriteBatch { rep, refused: None };
        let mut n = 0u32;
        for op in batch.iter() {
            op?;
            n += 1;
        }
        if n != batch.count() {
            return Err(Error::corruption(
                "write batch",
                0,
                format!("batch header says {} records, found {n}", batch.count()),
            ));
        }
        Ok(batch)
    }

    /// Adds a put of `key` → `value`.
    ///
    /// A key or value longer than [`MAX_SLICE_BYTES`] cannot be encoded:
    /// it is not added, and the batch is refused by every engine's write
    /// (`InvalidArgument`, see [`WriteBatch::check_encodable`]) instead of
    /// being silently truncated.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        if !self.admit(key.len().max(value.len())) {
            return;
        }
        self.set_count(self.count() + 1);
        self.rep.push(TAG_VALUE);
        put_length_prefixed_slice(&mut self.rep, key);
        put_length_prefixed_slice(&mut self.rep, value);
    }

    /// Adds a deletion of `key` (refused as [`WriteBatch::put`] is if the
    /// key is too long).
    pub fn delete(&mut self, key: &[u8]) {
        if !self.admit(key.len()) {
            return;
        }
        self.set_count(self.count() + 1);
        self.rep.push(TAG_DELETION);
        put_length_prefixed_slice(&mut self.rep, key);
    }

    /// True if one more update with a longest slice of `len_bytes` fits the
    /// encoding; else records why the batch is refused.
    fn admit(&mut self, len_bytes: usize) -> bool {
        if self.refused.is_some() {
            return false;
        }
        if len_bytes > MAX_SLICE_BYTES {
            self.refused = Some(format!(
                "a key or value of {len_bytes} bytes is longer than LevelDB's format allows ({MAX_SLICE_BYTES})"
            ));
        } else if self.count() == u32::MAX {
            self.refused = Some(format!("a batch holds at most {} updates", u32::MAX));
        }
        self.refused.is_none()
    }

    /// Whether every update given to this batch was encoded.
    ///
    /// # Errors
    /// `InvalidArgument` naming the first update that was not (a key or
    /// value over [`MAX_SLICE_BYTES`] bytes, or too many updates). Engines
    /// call this before writing: such a batch is never partly applied.
    pub fn check_encodable(&self) -> Result<()> {
        match &self.refused {
            Some(why) => Err(Error::InvalidArgument(why.clone())),
            None => Ok(()),
        }
    }

    /// Removes every update, keeping the allocation.
    pub fn clear(&mut self) {
        self.refused = None;
        self.rep.clear();
        self.rep.resize(BATCH_HEADER_BYTES, 0);
    }

    /// Appends every update of `other` after this batch's.
    pub fn append(&mut self, other: &WriteBatch) {
        if self.refused.is_none() {
            self.refused.clone_from(&other.refused);
        }
        if u64::from(self.count()) + u64::from(other.count()) > u64::from(u32::MAX) {
            self.refused
                .get_or_insert_with(|| format!("a batch holds at most {} updates", u32::MAX));
            return;
        }
        self.set_count(self.count() + other.count());
        self.rep.extend_from_slice(&other.rep[BATCH_HEADER_BYTES..]);
    }

    /// Number of updates.
    pub fn count(&self) -> u32 {
        decode_fixed32(&self.rep[8..12])
    }

    /// True when the batch holds no update.
    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// Sets the update count in the header.
    pub fn set_count(&mut self, n: u32) {
        self.rep[8..12].copy_from_slice(&n.to_le_bytes());
    }

    /// The sequence number of the first update (set by the engine on write).
    pub fn sequence(&self) -> u64 {
        decode_fixed64(&self.rep[0..8])
    }

    /// Sets the sequence number of the first update.
    pub fn set_sequence(&mut self, seq: u64) {
        self.rep[0..8].copy_from_slice(&seq.to_le_bytes());
    }

    /// The encoded bytes (what goes into a WAL record).
    pub fn as_bytes(&self) -> &[u8] {
        &self.rep
    }

    /// Size of the encoding in bytes.
    pub fn approximate_size_bytes(&self) -> usize {
        self.rep.len()
    }

    /// Sum of key and value bytes of every update (what a user wrote).
    pub fn user_bytes(&self) -> u64 {
        self.iter()
            .map(|op| match op {
                Ok(BatchOp::Put { key, value }) => (key.len() + value.len()) as u64,
                Ok(BatchOp::Delete { key }) => key.len() as u64,
                Err(_) => 0,
            })
            .sum()
    }

    /// The updates in order. Each item is an error if the bytes are malformed.
    pub fn iter(&self) -> BatchIter<'_> {
        BatchIter {
            rest: &self.rep[BATCH_HEADER_BYTES..],
            offset: BATCH_HEADER_BYTES,
        }
    }
}

/// Iterator over the updates of a [`WriteBatch`].
pub struct BatchIter<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> BatchIter<'a> {
    fn fail(&mut self, reason: &str) -> Option<Result<BatchOp<'a>>> {
        let offset = self.offset as u64;
        self.rest = &[];
        Some(Err(Error::corruption("write batch", offset, reason)))
    }
}

impl<'a> Iterator for BatchIter<'a> {
    type Item = Result<BatchOp<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let (&tag, after_tag) = self.rest.split_first()?;
        let Some((key, n)) = get_length_prefixed_slice(after_tag) else {
            return self.fail("bad key in write batch record");
        };
        let mut used = 1 + n;
        let op = match tag {
            TAG_VALUE => {
                let Some((value, m)) = get_length_prefixed_slice(&after_tag[n..]) else {
                    return self.fail("bad value in write batch record");
                };
                used += m;
                BatchOp::Put { key, value }
            }
            TAG_DELETION => BatchOp::Delete { key },
            _ => return self.fail("unknown write batch tag"),
        };
        self.rest = &self.rest[used..];
        self.offset += used;
        Some(Ok(op))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_built_bytes() {
        let mut b = WriteBatch::new();
        b.put(b"ab", b"xyz");
        b.delete(b"q");
        b.set_sequence(0x0102);
        let expected: Vec<u8> = vec![
            0x02, 0x01, 0, 0, 0, 0, 0, 0, // sequence 0x0102
            2, 0, 0, 0, // count
            0x01, 2, b'a', b'b', 3, b'x', b'y', b'z', // put
            0x00, 1, b'q', // delete
        ];
        assert_eq!(b.as_bytes(), &expected[..]);
        let parsed = WriteBatch::from_bytes(expected).expect("parses");
        let ops: Vec<_> = parsed.iter().map(|o| o.expect("op")).collect();
        assert_eq!(
            ops,
            vec![
                BatchOp::Put {
                    key: b"ab",
                    value: b"xyz"
                },
                BatchOp::Delete { key: b"q" }
            ]
        );
        assert_eq!(parsed.sequence(), 0x0102);
        assert_eq!(parsed.user_bytes(), 6);
    }

    #[test]
    fn malformed_batches_are_corruption() {
        assert!(WriteBatch::from_bytes(vec![0; 11]).is_err());
        let mut bad_count = WriteBatch::new();
        bad_count.put(b"k", b"v");
        let mut bytes = bad_count.as_bytes().to_vec();
        bytes[8] = 2;
        assert!(WriteBatch::from_bytes(bytes)
            .expect_err("count")
            .is_corruption());
        let mut bad_tag = WriteBatch::new();
        bad_tag.put(b"k", b"v");
        let mut bytes = bad_tag.as_bytes().to_vec();
        bytes[12] = 7;
        assert!(WriteBatch::from_bytes(bytes).is_err());
        let mut truncated = WriteBatch::new();
        truncated.put(b"key", b"value");
        let bytes = truncated.as_bytes()[..truncated.as_bytes().len() - 1].to_vec();
        assert!(WriteBatch::from_bytes(bytes).is_err());
    }

    #[test]
    fn append_concatenates() {
        let mut a = WriteBatch::new();
        a.put(b"1", b"a");
        let mut b = WriteBatch::new();
        b.delete(b"2");
        a.append(&b);
        assert_eq!(a.count(), 2);
        assert_eq!(a.iter().count(), 2);
        a.clear();
        assert!(a.is_empty());
        assert_eq!(a.as_bytes().len(), BATCH_HEADER_BYTES);
    }

    proptest! {
        #[test]
        fn round_trips(ops in proptest::collection::vec(
            (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..40),
             proptest::collection::vec(any::<u8>(), 0..200)), 0..50),
            seq in 0u64..(1 << 56)) {
            let mut b = WriteBatch::new();
            for (is_put, k, v) in &ops {
                if *is_put { b.put(k, v) } else { b.delete(k) }
            }
            b.set_sequence(seq);
            let parsed = WriteBatch::from_bytes(b.as_bytes().to_vec()).expect("parses");
            prop_assert_eq!(parsed.sequence(), seq);
            prop_assert_eq!(parsed.count() as usize, ops.len());
            for (op, (is_put, k, v)) in parsed.iter().zip(&ops) {
                match op.expect("op") {
                    BatchOp::Put { key, value } => {
                        prop_assert!(*is_put);
                        prop_assert_eq!(key, &k[..]);
                        prop_assert_eq!(value, &v[..]);
                    }
                    BatchOp::Delete { key } => {
                        prop_assert!(!*is_put);
                        prop_assert_eq!(key, &k[..]);
                    }
                }
            }
        }
    }
}
