//! A cursor over the entries of a sequence of blocks, found through an
//! index (`table/two_level_iterator.cc`).
//!
//! The index cursor's values name blocks (a block handle in a table, a
//! file in a level's file list); `block_fn` opens the cursor of a block
//! from that value. Used both for index block → data block inside a table
//! and for file list → table in a level.

use strata_api::{Error, KvIterator, Result};

/// Opens the cursor over the block an index value names.
pub type BlockFn = Box<dyn FnMut(&[u8]) -> Result<Box<dyn KvIterator>> + Send>;

/// Stands in for a block that failed to open: never valid, reports the
/// error (LevelDB's `NewErrorIterator`).
struct ErrorIter(Error);

impl KvIterator for ErrorIter {
    fn valid(&self) -> bool {
        false
    }
    fn seek_to_first(&mut self) {}
    fn seek_to_last(&mut self) {}
    fn seek(&mut self, _target: &[u8]) {}
    fn next(&mut self) {
        debug_assert!(false, "next on an error cursor");
    }
    fn prev(&mut self) {
        debug_assert!(false, "prev on an error cursor");
    }
    fn key(&self) -> &[u8] {
        debug_assert!(false, "key on an error cursor");
        &[]
    }
    fn value(&self) -> &[u8] {
        debug_assert!(false, "value on an error cursor");
        &[]
    }
    fn status(&self) -> Result<()> {
        Err(self.0.clone())
    }
}

/// Concatenates the blocks an index cursor names, skipping empty blocks in
/// both directions. A block that fails to open (or a cursor that fails)
/// ends the iteration there, and its error is reported by
/// [`KvIterator::status`]. LevelDB skips such a block and goes on; we stop,
/// so that no caller can mistake a damaged block for absent keys.
pub struct TwoLevelIterator {
    index: Box<dyn KvIterator>,
    block_fn: BlockFn,
    data: Option<Box<dyn KvIterator>>,
    /// The index value `data` was opened from, to reuse it when a seek
    /// lands on the same block.
    data_handle: Vec<u8>,
    /// The first error of a block cursor already replaced.
    saved_error: Option<Error>,
}

impl TwoLevelIterator {
    /// A cursor over the blocks `index` names, opened with `block_fn`.
    pub fn new(index: Box<dyn KvIterator>, block_fn: BlockFn) -> Self {
        TwoLevelIterator {
            index,
            block_fn,
            data: None,
            data_handle: Vec::new(),
            saved_error: None,
        }
    }

    fn data_valid(&self) -> bool {
        self.data.as_ref().is_some_and(|d| d.valid())
    }

    fn set_data(&mut self, data: Option<Box<dyn KvIterator>>) {
        if let Some(old) = &self.data {
            if self.saved_error.is_none() {
                if let Err(e) = old.status() {
                    self.saved_error = Some(e);
                }
            }
        }
        self.data = data;
    }

    /// Opens the block under the index cursor, unless it is already open.
    fn init_data_block(&mut self) {
        if !self.index.valid() {
            self.set_data(None);
            return;
        }
        let handle = self.index.value();
        if self.data.is_some() && handle == self.data_handle.as_slice() {
            return;
        }
        let cursor = match (self.block_fn)(handle) {
            Ok(cursor) => cursor,
            Err(e) => Box::new(ErrorIter(e)) as Box<dyn KvIterator>,
        };
        self.data_handle.clear();
        self.data_handle.extend_from_slice(self.index.value());
        self.set_data(Some(cursor));
    }

    fn skip_empty_blocks_forward(&mut self) {
        while !self.data_valid() {
            if self.data.as_ref().is_some_and(|d| d.status().is_err()) {
                return;
            }
            if !self.index.valid() {
                self.set_data(None);
                return;
            }
            self.index.next();
            self.init_data_block();
            if let Some(d) = &mut self.data {
                d.seek_to_first();
            }
        }
    }

    fn skip_empty_blocks_backward(&mut self) {
        while !self.data_valid() {
            if self.data.as_ref().is_some_and(|d| d.status().is_err()) {
                return;
            }
            if !self.index.valid() {
                self.set_data(None);
                return;
            }
            self.index.prev();
            self.init_data_block();
            if let Some(d) = &mut self.data {
                d.seek_to_last();
            }
        }
    }

    fn data_ref(&self) -> &dyn KvIterator {
        self.data
            .as_deref()
            .expect("key/value/next/prev require a valid cursor")
    }
}

impl KvIterator for TwoLevelIterator {
    fn valid(&self) -> bool {
        self.data_valid()
    }

    fn seek_to_first(&mut self) {
        self.index.seek_to_first();
        self.init_data_block();
        if let Some(d) = &mut self.data {
            d.seek_to_first();
        }
        self.skip_empty_blocks_forward();
    }

    fn seek_to_last(&mut self) {
        self.index.seek_to_last();
        self.init_data_block();
        if let Some(d) = &mut self.data {
            d.seek_to_last();
        }
        self.skip_empty_blocks_backward();
    }

    fn seek(&mut self, target: &[u8]) {
        self.index.seek(target);
        self.init_data_block();
        if let Some(d) = &mut self.data {
            d.seek(target);
        }
        self.skip_empty_blocks_forward();
    }

    fn next(&mut self) {
        debug_assert!(self.valid());
        if let Some(d) = &mut self.data {
            d.next();
        }
        self.skip_empty_blocks_forward();
    }

    fn prev(&mut self) {
        debug_assert!(self.valid());
        if let Some(d) = &mut self.data {
            d.prev();
        }
        self.skip_empty_blocks_backward();
    }

    fn key(&self) -> &[u8] {
        self.data_ref().key()
    }

    fn value(&self) -> &[u8] {
        self.data_ref().value()
    }

    fn sole_entry_block(&self) -> Option<&[u8]> {
        self.data_ref().sole_entry_block()
    }

    fn status(&self) -> Result<()> {
        self.index.status()?;
        if let Some(d) = &self.data {
            d.status()?;
        }
        match &self.saved_error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A sorted in-memory cursor, optionally failing with `error`.
    struct VecIter {
        entries: Vec<(Vec<u8>, Vec<u8>)>,
        pos: usize,
        error: Option<Error>,
    }

    impl VecIter {
        fn new(entries: Vec<(Vec<u8>, Vec<u8>)>) -> Self {
            let pos = entries.len();
            VecIter {
                entries,
                pos,
                error: None,
            }
        }
    }

    impl KvIterator for VecIter {
        fn valid(&self) -> bool {
            self.pos < self.entries.len()
        }
        fn seek_to_first(&mut self) {
            self.pos = 0;
        }
        fn seek_to_last(&mut self) {
            self.pos = self
                .entries
                .len()
                .checked_sub(1)
                .unwrap_or(self.entries.len());
        }
        fn seek(&mut self, target: &[u8]) {
            self.pos = self.entries.partition_point(|(k, _)| k.as_slice() < target);
        }
        fn next(&mut self) {
            self.pos += 1;
        }
        fn prev(&mut self) {
            self.pos = self.pos.checked_sub(1).unwrap_or(self.entries.len());
        }
        fn key(&self) -> &[u8] {
            &self.entries[self.pos].0
        }
        fn value(&self) -> &[u8] {
            &self.entries[self.pos].1
        }
        fn status(&self) -> Result<()> {
            match &self.error {
                Some(e) => Err(e.clone()),
                None => Ok(()),
            }
        }
    }

    fn kv(k: &str, v: &str) -> (Vec<u8>, Vec<u8>) {
        (k.as_bytes().to_vec(), v.as_bytes().to_vec())
    }

    /// Blocks: [] [a b] [] [] [c] [d e f] [] — index keys are each block's
    /// last key (or a key between neighbours for empty ones), values the
    /// block number. Block numbers in `failing` fail to open.
    fn build(failing: &[u8], opened: Arc<Mutex<Vec<u8>>>) -> TwoLevelIterator {
        let blocks: Vec<Vec<(Vec<u8>, Vec<u8>)>> = vec![
            vec![],
            vec![kv("a", "1"), kv("b", "2")],
            vec![],
            vec![],
            vec![kv("c", "3")],
            vec![kv("d", "4"), kv("e", "5"), kv("f", "6")],
            vec![],
        ];
        let index_keys = ["0", "b", "bb", "bc", "c", "f", "g"];
        let index = VecIter::new(
            index_keys
                .iter()
                .enumerate()
                .map(|(i, k)| (k.as_bytes().to_vec(), vec![i as u8]))
                .collect(),
        );
        let failing = failing.to_vec();
        let block_fn: BlockFn = Box::new(move |handle: &[u8]| {
            let n = handle[0];
            opened.lock().expect("lock").push(n);
            if failing.contains(&n) {
                return Err(Error::corruption("t", u64::from(n), "bad block"));
            }
            Ok(Box::new(VecIter::new(blocks[n as usize].clone())) as Box<dyn KvIterator>)
        });
        TwoLevelIterator::new(Box::new(index), block_fn)
    }

    fn forward(it: &mut TwoLevelIterator) -> String {
        let mut out = String::new();
        it.seek_to_first();
        while it.valid() {
            out.push_str(std::str::from_utf8(it.key()).expect("utf8"));
            it.next();
        }
        out
    }

    fn backward(it: &mut TwoLevelIterator) -> String {
        let mut out = String::new();
        it.seek_to_last();
        while it.valid() {
            out.push_str(std::str::from_utf8(it.key()).expect("utf8"));
            it.prev();
        }
        out
    }

    #[test]
    fn walks_both_ways_skipping_empty_blocks() {
        let mut it = build(&[], Arc::default());
        assert_eq!(forward(&mut it), "abcdef");
        assert_eq!(backward(&mut it), "fedcba");
        it.status().expect("no errors");
        // Switching direction mid-way crosses block boundaries.
        it.seek(b"c");
        assert_eq!(it.key(), b"c");
        it.prev();
        assert_eq!(it.key(), b"b");
        assert_eq!(it.value(), b"2");
        it.next();
        it.next();
        assert_eq!(it.key(), b"d");
    }

    #[test]
    fn seeks_land_on_the_first_key_at_or_after() {
        let mut it = build(&[], Arc::default());
        for (target, expect) in [
            ("", Some("a")),
            ("a", Some("a")),
            ("ab", Some("b")),
            ("b", Some("b")),
            ("ba", Some("c")),
            ("bb", Some("c")),
            ("c", Some("c")),
            ("cc", Some("d")),
            ("e", Some("e")),
            ("f", Some("f")),
            ("fa", None),
            ("z", None),
        ] {
            it.seek(target.as_bytes());
            match expect {
                Some(k) => assert_eq!(it.key(), k.as_bytes(), "seek {target}"),
                None => assert!(!it.valid(), "seek {target}"),
            }
        }
    }

    #[test]
    fn reuses_the_open_block() {
        let opened: Arc<Mutex<Vec<u8>>> = Arc::default();
        let mut it = build(&[], Arc::clone(&opened));
        it.seek(b"d");
        it.seek(b"e");
        it.seek(b"f");
        assert_eq!(*opened.lock().expect("lock"), vec![5]);
    }

    #[test]
    fn a_failing_block_ends_the_iteration_with_its_error() {
        let mut it = build(&[4], Arc::default());
        assert_eq!(forward(&mut it), "ab", "stops at block 4, not skipping c");
        let err = it.status().expect_err("block 4 failed");
        assert!(err.is_corruption());
        let mut it = build(&[4], Arc::default());
        it.seek(b"c");
        assert!(!it.valid(), "a seek into the failing block is invalid");
        assert!(it.status().is_err());
        let mut it = build(&[1, 5], Arc::default());
        assert_eq!(backward(&mut it), "", "stops at block 5 going back");
        match it.status() {
            Err(Error::Corruption { offset_bytes, .. }) => assert_eq!(offset_bytes, 5),
            other => panic!("expected the first error, got {other:?}"),
        }
    }

    #[test]
    fn index_errors_are_reported() {
        let mut index = VecIter::new(vec![]);
        index.error = Some(Error::corruption("idx", 9, "bad index"));
        let block_fn: BlockFn = Box::new(|_: &[u8]| -> Result<Box<dyn KvIterator>> {
            panic!("no block should be opened")
        });
        let mut it = TwoLevelIterator::new(Box::new(index), block_fn);
        it.seek_to_first();
        assert!(!it.valid());
        assert!(it.status().is_err());
    }
}
