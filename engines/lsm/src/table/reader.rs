//! Reads a sorted table (`table/table.cc`).

use super::block::{Block, BlockIter};
use super::builder::TableOptions;
use super::cache::BlockCache;
use super::filter_block::FilterBlockReader;
use super::format::{
    decode_mapped_block, map_block, mapped_block_is_uncompressed, read_block, read_block_with,
    read_stored_block, BlockContents, BlockHandle, Footer, FOOTER_BYTES,
};
use super::table_iter::TableIter;
use crate::format::comparator::{BytewiseComparator, Comparator};
use std::cell::Cell;
use std::ops::Deref;
use std::sync::Arc;
use strata_api::{Error, KvIterator, RandomAccessFile, Result};

/// An open, immutable table. Shared between threads through `Arc`.
pub struct Table {
    options: TableOptions,
    file: Arc<dyn RandomAccessFile>,
    file_name: Arc<str>,
    /// Where the footer starts: every block must end at or before it.
    footer_offset: u64,
    cache: Option<Arc<BlockCache>>,
    cache_id: u64,
    index_block: Arc<Block>,
    metaindex_handle: BlockHandle,
    filter: Option<FilterBlockReader>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("file_name", &self.file_name)
            .field(
                "file_size_bytes",
                &(self.footer_offset + FOOTER_BYTES as u64),
            )
            .field("has_filter", &self.filter.is_some())
            .finish()
    }
}

impl Table {
    /// Opens the table in `file` (named `file_name` in errors), of
    /// `file_size_bytes` bytes: reads the footer and the index block (both
    /// always checksum-verified), and the filter block if
    /// `options.filter_policy` names one the table has. A missing or damaged
    /// filter is ignored, as in LevelDB: reads then consult every block.
    /// Blocks are cached in `cache` if given, except uncompressed blocks of a
    /// memory-mapped file, which are served from the mapping (as in LevelDB).
    ///
    /// # Errors
    /// `Io` from reads; `Corruption` naming the file and the offset of the
    /// footer or index block if the file is too short, the magic number or a
    /// handle is wrong, or the index block fails its checksum or checks.
    pub fn open(
        options: TableOptions,
        file: Arc<dyn RandomAccessFile>,
        file_name: String,
        file_size_bytes: u64,
        cache: Option<Arc<BlockCache>>,
    ) -> Result<Arc<Table>> {
        let file_name: Arc<str> = Arc::from(file_name);
        let Some(footer_offset) = file_size_bytes.checked_sub(FOOTER_BYTES as u64) else {
            return Err(Error::corruption(
                &*file_name,
                0,
                "file is too short to be an sstable",
            ));
        };
        let mut footer_bytes = [0u8; FOOTER_BYTES];
        let n = file.read_at(footer_offset, &mut footer_bytes)?;
        if n != FOOTER_BYTES {
            return Err(Error::corruption(
                &*file_name,
                footer_offset,
                "truncated footer read",
            ));
        }
        let footer = Footer::decode(&footer_bytes, &file_name, footer_offset)?;
        let bad_footer_handle = |what: &str| {
            Error::corruption(
                &*file_name,
                footer_offset,
                format!("footer's {what} handle points past the blocks"),
            )
        };
        if !handle_fits(&footer.index_handle, footer_offset) {
            return Err(bad_footer_handle("index"));
        }
        if !handle_fits(&footer.metaindex_handle, footer_offset) {
            return Err(bad_footer_handle("metaindex"));
        }
        let index_contents = read_block(&*file, &file_name, &footer.index_handle, true)?;
        let mut index_block = Block::new(
            index_contents,
            Arc::clone(&file_name),
            footer.index_handle.offset,
        )?;
        if options.comparator.is_bytewise_internal() {
            // Every lookup searches the index block: give it the compact
            // search aid (in memory only).
            index_block = index_block.with_restart_hints();
        }
        let index_block = Arc::new(index_block);
        let cache_id = cache.as_ref().map_or(0, |c| c.new_id());
        let mut table = Table {
            options,
            file,
            file_name,
            footer_offset,
            cache,
            cache_id,
            index_block,
            metaindex_handle: footer.metaindex_handle,
            filter: None,
        };
        table.filter = table.read_filter();
        Ok(Arc::new(table))
    }

    /// The filter named in the metaindex for the configured policy, or
    /// `None` if there is no policy, no such filter, or anything on the way
    /// is damaged (checksums are always verified here).
    fn read_filter(&self) -> Option<FilterBlockReader> {
        let policy = self.options.filter_policy.as_ref()?;
        let contents =
            read_block(&*self.file, &self.file_name, &self.metaindex_handle, true).ok()?;
        let meta = Arc::new(
            Block::new(
                contents,
                Arc::clone(&self.file_name),
                self.metaindex_handle.offset,
            )
            .ok()?,
        );
        // Meta block names are ordered bytewise whatever the key order.
        let mut it = meta.iter(Arc::new(BytewiseComparator));
        let key = format!("filter.{}", policy.name());
        it.seek(key.as_bytes());
        if !it.valid() || it.key() != key.as_bytes() {
            return None;
        }
        let (handle, _) = BlockHandle::decode_from(it.value())?;
        if !handle_fits(&handle, self.footer_offset) {
            return None;
        }
        let filter = read_block(&*self.file, &self.file_name, &handle, true).ok()?;
        Some(FilterBlockReader::new(
            Arc::clone(policy),
            filter.into_vec(),
        ))
    }

    /// The file name given at open.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// True if a filter was found for the configured policy.
    pub fn has_filter(&self) -> bool {
        self.filter.is_some()
    }

    /// The data block an index value names: from the cache, or read (and
    /// cached if `fill_cache`).
    fn block(
        &self,
        index_value: &[u8],
        verify_checksums: bool,
        fill_cache: bool,
    ) -> Result<Arc<Block>> {
        Ok(
            match self.load_block(index_value, verify_checksums, fill_cache)? {
                LoadedBlock::Uncached(block) => Arc::new(block),
                LoadedBlock::Shared(block) => block,
            },
        )
    }

    /// The data block an index value names, without putting it behind an
    /// `Arc` unless the block cache shares it.
    fn load_block(
        &self,
        index_value: &[u8],
        verify_checksums: bool,
        fill_cache: bool,
    ) -> Result<LoadedBlock> {
        let handle = self.data_block_handle(index_value)?;
        let mapped = match map_block(&*self.file, &self.file_name, &handle)? {
            Some(raw) if mapped_block_is_uncompressed(&raw) => {
                // Served from the mapping without a copy: nothing to gain
                // from the block cache, so neither look it up nor fill it
                // (LevelDB does not cache blocks of mmap'd files either).
                let contents = decode_mapped_block(
                    raw,
                    &self.file_name,
                    &handle,
                    verify_checksums,
                    &mut |len| vec![0; len],
                )?;
                return self.new_block(contents, &handle).map(LoadedBlock::Uncached);
            }
            other => other,
        };
        let cache = self.cache.as_ref();
        if let Some(block) = cache.and_then(|c| c.lookup(self.cache_id, handle.offset)) {
            return Ok(LoadedBlock::Shared(block));
        }
        let mut buffer = |len| match cache.filter(|_| fill_cache) {
            Some(cache) => cache.take_buffer(self.cache_id, handle.offset, len),
            None => vec![0; len],
        };
        let contents = match mapped {
            Some(raw) => {
                decode_mapped_block(raw, &self.file_name, &handle, verify_checksums, &mut buffer)?
            }
            None => read_block_with(
                &*self.file,
                &self.file_name,
                &handle,
                verify_checksums,
                &mut buffer,
            )?,
        };
        let cachable = !contents.is_mapped();
        let block = self.new_block(contents, &handle)?;
        match cache {
            Some(cache) if fill_cache && cachable => {
                // A cached block may be searched many times: one with many
                // restart points gets the index block's search aid too.
                let block = if block.num_restarts() >= MIN_RESTARTS_FOR_HINTS
                    && self.options.comparator.is_bytewise_internal()
                {
                    block.with_restart_hints()
                } else {
                    block
                };
                let block = Arc::new(block);
                cache.insert(self.cache_id, handle.offset, Arc::clone(&block));
                Ok(LoadedBlock::Shared(block))
            }
            _ => Ok(LoadedBlock::Uncached(block)),
        }
    }

    fn new_block(&self, contents: BlockContents, handle: &BlockHandle) -> Result<Block> {
        Block::new(contents, Arc::clone(&self.file_name), handle.offset)
    }

    /// A cursor over every entry of the table, in the comparator's order.
    /// Blocks are read as the cursor reaches them, checked against their
    /// CRC if `verify_checksums`, and added to the block cache if
    /// `fill_cache` (unless served from a mapping). A block that fails is
    /// skipped and reported by the cursor's `status`.
    pub fn iter(self: &Arc<Self>, verify_checksums: bool, fill_cache: bool) -> Box<dyn KvIterator> {
        let index = self.index_block.iter(Arc::clone(&self.options.comparator));
        Box::new(TableIter::new(
            Arc::clone(self),
            index,
            verify_checksums,
            fill_cache,
        ))
    }

    /// The data block an index value names, as stored (contents, type
    /// byte and CRC), for a cursor that has the block open: its trailer
    /// checked, the CRC again only if the bytes are read anew and
    /// `verify_checksums` (a mapped block's bytes are those the cursor
    /// decoded and checked).
    ///
    /// # Errors
    /// `Corruption` naming the file and block for a bad handle or trailer;
    /// `Io` from the read.
    pub(super) fn stored_block(
        &self,
        index_value: &[u8],
        verify_checksums: bool,
    ) -> Result<BlockContents> {
        let handle = self.data_block_handle(index_value)?;
        read_stored_block(&*self.file, &self.file_name, &handle, verify_checksums)
    }

    /// The handle an index value holds, checked to lie among the blocks.
    /// Bytes after the handle are allowed (LevelDB reserves them).
    fn data_block_handle(&self, index_value: &[u8]) -> Result<BlockHandle> {
        let bad_handle = |reason: &str| {
            Error::corruption(&*self.file_name, self.index_block.offset_bytes(), reason)
        };
        let (handle, _) =
            BlockHandle::decode_from(index_value).ok_or_else(|| bad_handle("bad block handle"))?;
        if !handle_fits(&handle, self.footer_offset) {
            return Err(bad_handle("block handle points past the blocks"));
        }
        Ok(handle)
    }

    /// A cursor over the data block an index value names.
    pub(super) fn block_iter(
        &self,
        index_value: &[u8],
        verify_checksums: bool,
        fill_cache: bool,
    ) -> Result<BlockIter> {
        let block = self.block(index_value, verify_checksums, fill_cache)?;
        Ok(block.iter(Arc::clone(&self.options.comparator)))
    }

    /// Looks `key` up (LevelDB's `InternalGet`): finds the one data block
    /// that could hold it; if the filter rules the block out returns
    /// `Ok(false)` without reading it; otherwise calls `found` with the
    /// first entry at or after `key` in that block, if any, and returns
    /// `Ok(true)`. The caller decides whether that entry is a match.
    ///
    /// # Errors
    /// `Io` from the read; `Corruption` naming the file and the block if the
    /// data block is damaged.
    pub fn internal_get(
        &self,
        verify_checksums: bool,
        fill_cache: bool,
        key: &[u8],
        found: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<bool> {
        // Taken, not borrowed: a `found` that looked something up again
        // would just start with empty buffers.
        let (index_buf, data_buf) = GET_KEY_BUFS.with(Cell::take);
        let mut index = self
            .index_block
            .iter_borrowed(&*self.options.comparator, index_buf);
        index.seek(key);
        let (outcome, data_buf) =
            self.get_at(&index, verify_checksums, fill_cache, key, found, data_buf);
        GET_KEY_BUFS.with(|bufs| bufs.set((index.into_key_buf(), data_buf)));
        outcome
    }

    /// The rest of [`Table::internal_get`] once the index cursor is at the
    /// block that could hold `key`; gives `data_buf` back whatever happens.
    fn get_at(
        &self,
        index: &BlockIter<&Block, &(dyn Comparator + 'static)>,
        verify_checksums: bool,
        fill_cache: bool,
        key: &[u8],
        found: &mut dyn FnMut(&[u8], &[u8]),
        data_buf: Vec<u8>,
    ) -> (Result<bool>, Vec<u8>) {
        if !index.valid() {
            return (index.status().map(|()| false), data_buf);
        }
        let index_value = index.value();
        if let (Some(filter), Some((handle, _))) =
            (&self.filter, BlockHandle::decode_from(index_value))
        {
            if !filter.key_may_match(handle.offset, key) {
                return (Ok(false), data_buf);
            }
        }
        let block = match self.load_block(index_value, verify_checksums, fill_cache) {
            Ok(block) => block,
            Err(e) => return (Err(e), data_buf),
        };
        let mut it = block.iter_borrowed(&*self.options.comparator, data_buf);
        it.seek(key);
        if it.valid() {
            found(it.key(), it.value());
        }
        let status = it.status();
        (status.map(|()| true), it.into_key_buf())
    }

    /// Up to `max` keys of the index block (each a separator at or after
    /// the last key of its data block), evenly spaced, in order: where a
    /// range split can cut the table into about equal parts.
    pub fn sample_index_keys(&self, max: usize) -> Vec<Vec<u8>> {
        let mut index = self.index_block.iter(Arc::clone(&self.options.comparator));
        let mut count = 0usize;
        index.seek_to_first();
        while index.valid() {
            count += 1;
            index.next();
        }
        let step = count.div_ceil(max.max(1)).max(1);
        let mut out = Vec::with_capacity(max.min(count));
        index.seek_to_first();
        let mut i = 0usize;
        while index.valid() {
            if (i + 1).is_multiple_of(step) {
                out.push(index.key().to_vec());
            }
            i += 1;
            index.next();
        }
        out
    }

    /// Approximate offset in the file where entries at or after `key`
    /// start: the offset of the data block that would hold `key`, or of the
    /// metaindex block (near the end) for keys past the last.
    pub fn approximate_offset_of(&self, key: &[u8]) -> u64 {
        let mut index = self.index_block.iter(Arc::clone(&self.options.comparator));
        index.seek(key);
        if index.valid() {
            if let Some((handle, _)) = BlockHandle::decode_from(index.value()) {
                return handle.offset;
            }
        }
        self.metaindex_handle.offset
    }
}

thread_local! {
    /// Key buffers of point lookups on this thread (index cursor, data
    /// cursor), reused so that a lookup allocates no keys once they grew.
    static GET_KEY_BUFS: Cell<(Vec<u8>, Vec<u8>)> = const { Cell::new((Vec::new(), Vec::new())) };
}

/// A data block as a lookup holds it: its own, or shared with the cache.
enum LoadedBlock {
    /// Read for this lookup only (not cached, or served from a mapping).
    Uncached(Block),
    /// From (or now in) the block cache.
    Shared(Arc<Block>),
}

impl Deref for LoadedBlock {
    type Target = Block;

    fn deref(&self) -> &Block {
        match self {
            LoadedBlock::Uncached(block) => block,
            LoadedBlock::Shared(block) => block,
        }
    }
}

/// Restart points from which a data block entering the block cache gets
/// [`Block::with_restart_hints`]: below this a binary search over the
/// restart keys takes a few steps and building the hints costs more than a
/// search saves (db_bench's 4 KiB blocks of 100-byte values have 2).
const MIN_RESTARTS_FOR_HINTS: u32 = 8;

/// True if the block and its trailer end at or before `blocks_end`.
fn handle_fits(handle: &BlockHandle, blocks_end: u64) -> bool {
    handle
        .end_with_trailer()
        .is_some_and(|end| end <= blocks_end)
}
