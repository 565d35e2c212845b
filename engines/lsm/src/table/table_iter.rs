//! A cursor over a whole table: the index block's cursor picks data blocks,
//! a data block's cursor walks their entries (`table/two_level_iterator.cc`
//! specialised to tables).
//!
//! The generic [`TwoLevelIterator`](crate::iter::two_level::TwoLevelIterator)
//! holds both cursors as `Box<dyn KvIterator>`, which costs two dynamic
//! calls per step, key and value on the scan path; here both are concrete
//! [`BlockIter`]s, so those calls inline. The behaviour is the same: empty
//! blocks are skipped in both directions, a seek that lands in the open
//! block keeps it, and a block that fails to open (or a cursor that fails)
//! ends the iteration there with its error in [`KvIterator::status`].

use super::block::BlockIter;
use super::format::BlockContents;
use super::reader::Table;
use std::cell::OnceCell;
use std::sync::Arc;
use strata_api::{Error, KvIterator, Result};

/// The data block under the index cursor.
enum Data {
    /// None opened (index cursor invalid, or not positioned yet).
    Unset,
    /// The open block's cursor.
    Open(BlockIter),
    /// The block failed to open: never valid, reports the error.
    Failed(Error),
}

/// A cursor over every entry of a [`Table`].
pub struct TableIter {
    table: Arc<Table>,
    verify_checksums: bool,
    fill_cache: bool,
    index: BlockIter,
    data: Data,
    /// The index value `data` was opened from, to reuse the block when a
    /// seek lands on it again.
    data_handle: Vec<u8>,
    /// The first error of a block cursor already replaced.
    saved_error: Option<Error>,
    /// The open block as stored, read on the first
    /// [`KvIterator::sole_entry_block`] call at its only entry (`None` if
    /// that read failed: the caller then rebuilds the block).
    stored: OnceCell<Option<BlockContents>>,
}

impl TableIter {
    /// A cursor over `table` whose blocks are read with these options.
    pub(super) fn new(
        table: Arc<Table>,
        index: BlockIter,
        verify_checksums: bool,
        fill_cache: bool,
    ) -> Self {
        TableIter {
            table,
            verify_checksums,
            fill_cache,
            index,
            data: Data::Unset,
            data_handle: Vec::new(),
            saved_error: None,
            stored: OnceCell::new(),
        }
    }

    #[inline]
    fn data_valid(&self) -> bool {
        matches!(&self.data, Data::Open(d) if d.valid())
    }

    fn data_failed(&self) -> bool {
        match &self.data {
            Data::Open(d) => d.status().is_err(),
            Data::Failed(_) => true,
            Data::Unset => false,
        }
    }

    fn set_data(&mut self, data: Data) {
        if self.saved_error.is_none() {
            self.saved_error = match &self.data {
                Data::Open(d) => d.status().err(),
                Data::Failed(e) => Some(e.clone()),
                Data::Unset => None,
            };
        }
        self.data = data;
        self.stored = OnceCell::new();
    }

    /// Opens the block under the index cursor, unless it is already open.
    fn init_data_block(&mut self) {
        if !self.index.valid() {
            self.set_data(Data::Unset);
            return;
        }
        let handle = self.index.value();
        if !matches!(self.data, Data::Unset) && handle == self.data_handle.as_slice() {
            return;
        }
        let data = match self
            .table
            .block_iter(handle, self.verify_checksums, self.fill_cache)
        {
            Ok(cursor) => Data::Open(cursor),
            Err(e) => Data::Failed(e),
        };
        self.data_handle.clear();
        self.data_handle.extend_from_slice(self.index.value());
        self.set_data(data);
    }

    fn skip_empty_blocks_forward(&mut self) {
        while !self.data_valid() {
            if self.data_failed() {
                return;
            }
            if !self.index.valid() {
                self.set_data(Data::Unset);
                return;
            }
            self.index.next();
            self.init_data_block();
            if let Data::Open(d) = &mut self.data {
                d.seek_to_first();
            }
        }
    }

    fn skip_empty_blocks_backward(&mut self) {
        while !self.data_valid() {
            if self.data_failed() {
                return;
            }
            if !self.index.valid() {
                self.set_data(Data::Unset);
                return;
            }
            self.index.prev();
            self.init_data_block();
            if let Data::Open(d) = &mut self.data {
                d.seek_to_last();
            }
        }
    }

    #[inline]
    fn open_data(&self) -> &BlockIter {
        match &self.data {
            Data::Open(d) => d,
            _ => panic!("key/value require a valid cursor"),
        }
    }
}

impl KvIterator for TableIter {
    #[inline]
    fn valid(&self) -> bool {
        self.data_valid()
    }

    fn seek_to_first(&mut self) {
        self.index.seek_to_first();
        self.init_data_block();
        if let Data::Open(d) = &mut self.data {
            d.seek_to_first();
        }
        self.skip_empty_blocks_forward();
    }

    fn seek_to_last(&mut self) {
        self.index.seek_to_last();
        self.init_data_block();
        if let Data::Open(d) = &mut self.data {
            d.seek_to_last();
        }
        self.skip_empty_blocks_backward();
    }

    fn seek(&mut self, target: &[u8]) {
        self.index.seek(target);
        self.init_data_block();
        if let Data::Open(d) = &mut self.data {
            d.seek(target);
        }
        self.skip_empty_blocks_forward();
    }

    fn next(&mut self) {
        debug_assert!(self.valid());
        if let Data::Open(d) = &mut self.data {
            d.next();
        }
        self.skip_empty_blocks_forward();
    }

    fn prev(&mut self) {
        debug_assert!(self.valid());
        if let Data::Open(d) = &mut self.data {
            d.prev();
        }
        self.skip_empty_blocks_backward();
    }

    #[inline]
    fn key(&self) -> &[u8] {
        self.open_data().key()
    }

    #[inline]
    fn value(&self) -> &[u8] {
        self.open_data().value()
    }

    fn sole_entry_block(&self) -> Option<&[u8]> {
        let Data::Open(d) = &self.data else {
            return None;
        };
        if !d.at_sole_entry() {
            return None;
        }
        self.stored
            .get_or_init(|| {
                self.table
                    .stored_block(&self.data_handle, self.verify_checksums)
                    .ok()
            })
            .as_ref()
            .map(BlockContents::as_slice)
    }

    fn status(&self) -> Result<()> {
        self.index.status()?;
        match &self.data {
            Data::Open(d) => d.status()?,
            Data::Failed(e) => return Err(e.clone()),
            Data::Unset => {}
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
    use crate::table::block_builder::BlockBuilder;
    use crate::table::builder::TableOptions;
    use crate::table::format::{block_trailer, BlockHandle, CompressionType, Footer};
    use std::path::Path;
    use strata_api::env::write_file;
    use strata_api::{Env, MemEnv};

    /// A hand-assembled table whose data blocks are `blocks` (some empty,
    /// which the builder never writes), indexed under `index_keys`.
    fn table_of(blocks: &[&[(&str, &str)]], index_keys: &[&str]) -> Arc<Table> {
        open(&table_bytes(blocks, index_keys))
    }

    fn table_bytes(blocks: &[&[(&str, &str)]], index_keys: &[&str]) -> Vec<u8> {
        let mut file = Vec::new();
        let mut index = BlockBuilder::new(1);
        let append_block = |file: &mut Vec<u8>, contents: &[u8]| {
            let handle = BlockHandle::new(file.len() as u64, contents.len() as u64);
            file.extend_from_slice(contents);
            file.extend_from_slice(&block_trailer(contents, CompressionType::None));
            handle
        };
        for (entries, index_key) in blocks.iter().zip(index_keys) {
            let mut b = BlockBuilder::new(2);
            for (k, v) in entries.iter() {
                b.add(k.as_bytes(), v.as_bytes());
            }
            let handle = append_block(&mut file, b.finish());
            let mut encoded = Vec::new();
            handle.encode_to(&mut encoded);
            index.add(index_key.as_bytes(), &encoded);
        }
        let metaindex_handle = append_block(&mut file, BlockBuilder::new(1).finish());
        let index_handle = append_block(&mut file, index.finish());
        Footer {
            metaindex_handle,
            index_handle,
        }
        .encode_to(&mut file);
        file
    }

    fn open(file: &[u8]) -> Arc<Table> {
        let env = MemEnv::new();
        write_file(&env, Path::new("/e.ldb"), file, false).expect("write");
        let f = env
            .new_random_access_file(Path::new("/e.ldb"))
            .expect("open");
        Table::open(
            TableOptions::default(),
            f,
            "e.ldb".into(),
            file.len() as u64,
            None,
        )
        .expect("table")
    }

    fn keys(it: &mut dyn KvIterator, forward: bool) -> Vec<String> {
        let mut out = Vec::new();
        while it.valid() {
            out.push(String::from_utf8_lossy(it.key()).into_owned());
            if forward {
                it.next();
            } else {
                it.prev();
            }
        }
        it.status().expect("clean");
        out
    }

    #[test]
    fn empty_blocks_are_skipped_both_ways() {
        let table = table_of(
            &[&[], &[("a", "1"), ("b", "2")], &[], &[], &[("c", "3")], &[]],
            &["0", "b", "b1", "b2", "c", "d"],
        );
        let mut it = table.iter(true, false);
        it.seek_to_first();
        assert_eq!(keys(&mut *it, true), ["a", "b", "c"]);
        it.seek_to_last();
        assert_eq!(keys(&mut *it, false), ["c", "b", "a"]);
        it.seek(b"b0");
        assert_eq!(it.key(), b"c", "lands in an empty block, moves on");
        assert_eq!(it.value(), b"3");
        it.prev();
        assert_eq!(it.key(), b"b", "back over the empty blocks");
        it.seek(b"a");
        assert_eq!(it.key(), b"a");
        it.seek(b"b");
        assert_eq!(it.key(), b"b", "a seek within the open block");
        it.seek(b"c1");
        assert!(!it.valid());
        it.status().expect("past the end is not an error");

        let empty = table_of(&[&[], &[]], &["a", "b"]);
        let mut it = empty.iter(true, false);
        it.seek_to_first();
        assert!(!it.valid());
        it.seek_to_last();
        assert!(!it.valid());
        it.status().expect("empty blocks only");
    }

    #[test]
    fn a_damaged_block_stops_the_scan_in_both_directions() {
        let blocks: &[&[(&str, &str)]] = &[&[("a", "1")], &[("b", "2")], &[("c", "3")]];
        let mut bytes = table_bytes(blocks, &["a", "b", "c"]);
        // Each block is a 5-byte entry, one restart and the count (13
        // bytes) plus the 5-byte trailer: the second starts at 18. Flip its
        // value byte ('2' becomes '3').
        assert_eq!(&bytes[18..23], b"\0\x01\x01b2");
        bytes[22] ^= 1;
        let table = open(&bytes);
        let offset_of = |e: &Error| match e {
            Error::Corruption { offset_bytes, .. } => *offset_bytes,
            other => panic!("expected corruption, got {other}"),
        };
        let mut it = table.iter(true, false);
        it.seek_to_first();
        assert_eq!(it.key(), b"a");
        it.next();
        assert!(!it.valid(), "stops at the damaged block");
        assert_eq!(offset_of(&it.status().expect_err("damage")), 18);
        it.seek_to_last();
        assert_eq!(it.key(), b"c");
        it.prev();
        assert!(!it.valid());
        assert_eq!(offset_of(&it.status().expect_err("damage")), 18);
        // The error stays reported after moving to a good block.
        it.seek(b"a");
        assert_eq!(it.key(), b"a");
        assert!(it.status().is_err(), "a replaced block's error is kept");
        // Without checksums the flipped value is returned as is.
        let mut it = table.iter(false, false);
        it.seek(b"b");
        assert_eq!(it.value(), b"3");
    }
}
