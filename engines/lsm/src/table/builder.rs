//! Writes a sorted table (`table/table_builder.cc`).
//!
//! File layout (`doc/table_format.md`):
//!
//! ```text
//! data block 1 .. data block N     (each followed by its 5-byte trailer)
//! filter block                     (if a filter policy is set; never compressed)
//! metaindex block                  ("filter.<policy name>" -> filter handle)
//! index block                      (separator key -> data block handle)
//! footer                           (48 bytes)
//! ```

use super::block_builder::BlockBuilder;
use super::bloom::FilterPolicy;
use super::filter_block::FilterBlockBuilder;
use super::format::{block_trailer, BlockHandle, CompressionType, Footer, BLOCK_TRAILER_BYTES};
use crate::format::coding::encode_varint32;
use crate::format::comparator::{BytewiseComparator, Comparator};
use crate::format::crc;
use std::sync::Arc;
use strata_api::{Error, Result, WritableFile};

/// Options shared by table writers and readers (the table-related subset of
/// LevelDB's `Options`).
#[derive(Clone)]
pub struct TableOptions {
    /// Order of the keys (LevelDB's `comparator`; the engine passes an
    /// internal-key comparator). Default: bytewise.
    pub comparator: Arc<dyn Comparator>,
    /// Filter built per 2 KiB of data blocks and consulted by point reads
    /// (LevelDB's `filter_policy`). Default: none.
    pub filter_policy: Option<Arc<dyn FilterPolicy>>,
    /// Uncompressed size at which a data block is closed (LevelDB's
    /// `block_size`). Default: 4096.
    pub block_size_bytes: usize,
    /// Entries between full keys in data blocks (LevelDB's
    /// `block_restart_interval`, at least 1). Default: 16.
    pub block_restart_interval: usize,
    /// Compression tried on each block (LevelDB's `compression`), kept only
    /// if it saves at least 12.5%. Default: Snappy.
    pub compression: CompressionType,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            comparator: Arc::new(BytewiseComparator),
            filter_policy: None,
            block_size_bytes: 4096,
            block_restart_interval: 16,
            compression: CompressionType::Snappy,
        }
    }
}

impl std::fmt::Debug for TableOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableOptions")
            .field("comparator", &self.comparator.name())
            .field(
                "filter_policy",
                &self.filter_policy.as_ref().map(|p| p.name()),
            )
            .field("block_size_bytes", &self.block_size_bytes)
            .field("block_restart_interval", &self.block_restart_interval)
            .field("compression", &self.compression)
            .finish()
    }
}

/// Appends blocks with their trailers to the file, tracking the offset.
struct BlockWriter {
    file: Box<dyn WritableFile>,
    offset: u64,
    compressed: Vec<u8>,
    encoder: snap::raw::Encoder,
}

impl BlockWriter {
    /// Writes `raw`, compressed with `compression` if that saves at least
    /// 1/8 of its size (LevelDB's rule), and returns its handle.
    fn write_block(&mut self, raw: &[u8], compression: CompressionType) -> Result<BlockHandle> {
        if compression == CompressionType::Snappy {
            // Grown, never shrunk: only bytes past the longest block so far
            // are ever zeroed (truncating to each output's length made every
            // block zero its tail again).
            let max_len = snap::raw::max_compress_len(raw.len());
            if self.compressed.len() < max_len {
                self.compressed.resize(max_len, 0);
            }
            if let Ok(n) = self.encoder.compress(raw, &mut self.compressed) {
                if n < raw.len() - raw.len() / 8 {
                    let compressed = std::mem::take(&mut self.compressed);
                    let handle = self.write_raw_block(&compressed[..n], CompressionType::Snappy);
                    self.compressed = compressed;
                    return handle;
                }
            }
        }
        self.write_raw_block(raw, CompressionType::None)
    }

    /// Writes `contents` as stored, then its trailer.
    fn write_raw_block(
        &mut self,
        contents: &[u8],
        compression: CompressionType,
    ) -> Result<BlockHandle> {
        let handle = BlockHandle::new(self.offset, contents.len() as u64);
        self.file
            .append_vectored(&[contents, &block_trailer(contents, compression)])?;
        self.offset += (contents.len() + BLOCK_TRAILER_BYTES) as u64;
        Ok(handle)
    }

    /// Writes the uncompressed block holding only `key` and `value`
    /// straight from them, without assembling it: the bytes
    /// `BlockBuilder` would produce, then the trailer.
    fn write_sole_entry_block(&mut self, key: &[u8], value: &[u8]) -> Result<BlockHandle> {
        // shared 0, then the key's and the value's lengths, as varints.
        let mut lengths = [0u8; 11];
        let mut n = 0;
        for v in [0, offset_u32(key.len()), offset_u32(value.len())] {
            n += encode_varint32(&mut lengths[n..], v);
        }
        let lengths = &lengths[..n];
        let crc = [
            lengths,
            key,
            value,
            &SOLE_RESTART_ARRAY,
            &[CompressionType::None as u8],
        ]
        .iter()
        .fold(crc::value(&[]), |c, part| crc::extend(c, part));
        let masked = crc::mask(crc).to_le_bytes();
        let trailer = [
            CompressionType::None as u8,
            masked[0],
            masked[1],
            masked[2],
            masked[3],
        ];
        let contents_bytes = n + key.len() + value.len() + SOLE_RESTART_ARRAY.len();
        let handle = BlockHandle::new(self.offset, contents_bytes as u64);
        self.file
            .append_vectored(&[lengths, key, value, &SOLE_RESTART_ARRAY, &trailer])?;
        self.offset += (contents_bytes + BLOCK_TRAILER_BYTES) as u64;
        Ok(handle)
    }
}

/// The restart array of a block of one entry: one restart at offset 0,
/// then the count 1.
const SOLE_RESTART_ARRAY: [u8; 8] = [0, 0, 0, 0, 1, 0, 0, 0];

/// `n` as a 32-bit block offset or length (a block over 4 GiB is a
/// programmer error, as in LevelDB).
fn offset_u32(n: usize) -> u32 {
    u32::try_from(n).expect("block larger than 4 GiB")
}

/// Bytes of a data block holding one entry of a `key_len`-byte key and a
/// `value_len`-byte value: three varint lengths, key, value, one restart
/// and the restart count.
fn sole_entry_block_bytes(key_len: usize, value_len: usize) -> usize {
    let varint_bytes = |v: usize| (usize::BITS - (v | 1).leading_zeros()).div_ceil(7) as usize;
    varint_bytes(0) + varint_bytes(key_len) + varint_bytes(value_len) + key_len + value_len + 8
}

/// Builds one table from keys added in increasing order. The caller syncs
/// and closes the file after [`TableBuilder::finish`] (see
/// [`TableBuilder::into_file`]).
pub struct TableBuilder {
    options: TableOptions,
    writer: BlockWriter,
    /// The first error met; every later call returns it.
    error: Option<Error>,
    data_block: BlockBuilder,
    index_block: BlockBuilder,
    last_key: Vec<u8>,
    num_entries: u64,
    /// `finish` or `abandon` was called.
    closed: bool,
    filter_block: Option<FilterBlockBuilder>,
    /// The index entry of the last written data block waits for the first
    /// key of the next block, so that a short separator between the two can
    /// be stored. True only while `data_block` is empty.
    pending_index_entry: bool,
    pending_handle: BlockHandle,
    handle_encoding: Vec<u8>,
}

impl TableBuilder {
    /// A builder writing to `file` (empty, positioned at 0).
    ///
    /// # Panics
    /// If `options.block_restart_interval` is 0.
    pub fn new(options: TableOptions, file: Box<dyn WritableFile>) -> Self {
        let mut filter_block = options
            .filter_policy
            .as_ref()
            .map(|p| FilterBlockBuilder::new(Arc::clone(p)));
        if let Some(f) = &mut filter_block {
            f.start_block(0);
        }
        TableBuilder {
            data_block: BlockBuilder::new(options.block_restart_interval),
            // Index blocks restart at every entry (LevelDB's choice): they
            // are binary-searched and their keys share little.
            index_block: BlockBuilder::new(1),
            options,
            writer: BlockWriter {
                file,
                offset: 0,
                compressed: Vec::new(),
                encoder: snap::raw::Encoder::new(),
            },
            error: None,
            last_key: Vec::new(),
            num_entries: 0,
            closed: false,
            filter_block,
            pending_index_entry: false,
            pending_handle: BlockHandle::default(),
            handle_encoding: Vec::new(),
        }
    }

    fn check(&self) -> Result<()> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Remembers the first error so later calls fail the same way.
    fn record<T>(&mut self, r: Result<T>) -> Result<T> {
        if let Err(e) = &r {
            if self.error.is_none() {
                self.error = Some(e.clone());
            }
        }
        r
    }

    /// Emits the index entry of the last written block, keyed by a short
    /// key `k` with `last_key <= k` (and `k < next_key` if given).
    fn add_pending_index_entry(&mut self, next_key: Option<&[u8]>) {
        if !self.pending_index_entry {
            return;
        }
        match next_key {
            Some(next) => self
                .options
                .comparator
                .find_shortest_separator(&mut self.last_key, next),
            None => self
                .options
                .comparator
                .find_short_successor(&mut self.last_key),
        }
        self.handle_encoding.clear();
        self.pending_handle.encode_to(&mut self.handle_encoding);
        self.index_block.add(&self.last_key, &self.handle_encoding);
        self.pending_index_entry = false;
    }

    /// Appends an entry. Requires `key` to be after every key added so far
    /// in the comparator's order (checked in debug builds).
    ///
    /// # Errors
    /// `Io` from writing a full block; after any error, every call fails.
    pub fn add(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        debug_assert!(!self.closed, "add after finish or abandon");
        self.check()?;
        if self.options.compression == CompressionType::None
            && self.fills_a_block_alone(key.len(), value.len())
        {
            // Written from `key` and `value` where they are: assembling the
            // block first would copy a large value once more.
            return self.place_sole_entry(key, |writer| writer.write_sole_entry_block(key, value));
        }
        self.begin_entry(key);
        self.data_block.add(key, value);
        if self.data_block.current_size_estimate() >= self.options.block_size_bytes {
            self.write_data_block()?;
        }
        Ok(())
    }

    /// Appends an entry whose block is already stored: `stored` is a data
    /// block (contents, type byte, masked CRC) holding this entry alone,
    /// the value `value_len` bytes long. When [`TableBuilder::add`] would
    /// write exactly that block, the entry alone in a block that is full
    /// at once, compressed the same way, `stored` is copied instead of
    /// rebuilt and re-compressed, and `Ok(true)` returned. Otherwise
    /// nothing is done and `Ok(false)` returned: the caller adds the entry.
    ///
    /// The caller vouches that `stored` holds just this entry and that its
    /// CRC was checked; its type byte is checked here.
    ///
    /// # Errors
    /// `Io` from writing the block; after any error, every call fails.
    pub fn add_stored_block(
        &mut self,
        key: &[u8],
        value_len: usize,
        stored: &[u8],
    ) -> Result<bool> {
        debug_assert!(!self.closed, "add after finish or abandon");
        self.check()?;
        let Some(n) = stored.len().checked_sub(BLOCK_TRAILER_BYTES) else {
            return Ok(false);
        };
        if !self.fills_a_block_alone(key.len(), value_len)
            || stored[n] != self.options.compression as u8
        {
            return Ok(false);
        }
        self.place_sole_entry(key, |writer| {
            let handle = BlockHandle::new(writer.offset, n as u64);
            writer.file.append(stored)?;
            writer.offset += stored.len() as u64;
            Ok(handle)
        })?;
        Ok(true)
    }

    /// True if an entry of these sizes added now would be alone in its
    /// block: the open block is empty and the entry fills it at once.
    fn fills_a_block_alone(&self, key_len: usize, value_len: usize) -> bool {
        self.data_block.is_empty()
            && sole_entry_block_bytes(key_len, value_len) >= self.options.block_size_bytes
    }

    /// What every entry added does before its bytes go into a block: the
    /// previous block's index entry (keyed by a separator before `key`),
    /// the filter, the last key and the count.
    fn begin_entry(&mut self, key: &[u8]) {
        debug_assert!(
            self.num_entries == 0
                || self.options.comparator.compare(key, &self.last_key)
                    == std::cmp::Ordering::Greater,
            "keys must be added in increasing order"
        );
        if self.pending_index_entry {
            debug_assert!(self.data_block.is_empty());
            self.add_pending_index_entry(Some(key));
        }
        if let Some(f) = &mut self.filter_block {
            f.add_key(key);
        }
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.num_entries += 1;
    }

    /// Adds `key` as the only entry of a block that `write` writes, doing
    /// what `add` then `flush` do around it: [`Self::begin_entry`], then
    /// this block's pending index entry and the filter's next block.
    fn place_sole_entry(
        &mut self,
        key: &[u8],
        write: impl FnOnce(&mut BlockWriter) -> Result<BlockHandle>,
    ) -> Result<()> {
        self.begin_entry(key);
        let written = write(&mut self.writer);
        let handle = self.record(written)?;
        self.pending_handle = handle;
        self.pending_index_entry = true;
        if let Some(f) = &mut self.filter_block {
            f.start_block(self.writer.offset);
        }
        Ok(())
    }

    /// Writes the current data block out now (normally done when it reaches
    /// `block_size_bytes`) and flushes the file. Does nothing if the block
    /// is empty.
    ///
    /// # Errors
    /// `Io` from the file.
    pub fn flush(&mut self) -> Result<()> {
        self.write_data_block()?;
        let flushed = self.writer.file.flush();
        self.record(flushed)
    }

    /// Writes the current data block to the file's buffer (nothing if it is
    /// empty). Unlike LevelDB's `Flush`, the file is not flushed after each
    /// block: the buffer goes to the kernel in 64 KiB writes, whole pages,
    /// instead of one `write(2)` per 4 KiB block, each of which started
    /// and ended inside a page (the kernel zero-filled the rest of every new
    /// page first). Nothing reads a table before `finish`.
    fn write_data_block(&mut self) -> Result<()> {
        debug_assert!(!self.closed, "flush after finish or abandon");
        self.check()?;
        if self.data_block.is_empty() {
            return Ok(());
        }
        debug_assert!(!self.pending_index_entry);
        let written = self
            .writer
            .write_block(self.data_block.finish(), self.options.compression);
        self.data_block.reset();
        let handle = self.record(written)?;
        self.pending_handle = handle;
        self.pending_index_entry = true;
        if let Some(f) = &mut self.filter_block {
            f.start_block(self.writer.offset);
        }
        Ok(())
    }

    /// Writes the last data block, the filter, metaindex and index blocks
    /// and the footer. The builder is closed afterwards.
    ///
    /// Returns the file's size in bytes.
    ///
    /// # Errors
    /// `Io` from the file (or the first error met earlier).
    pub fn finish(&mut self) -> Result<u64> {
        let flushed = self.write_data_block();
        debug_assert!(!self.closed, "finish called twice");
        self.closed = true;
        flushed?;
        let written = self.write_tail();
        self.record(written)?;
        Ok(self.writer.offset)
    }

    fn write_tail(&mut self) -> Result<()> {
        let mut filter_handle = None;
        if let Some(f) = &mut self.filter_block {
            // Filters are never compressed (LevelDB's choice).
            filter_handle = Some(
                self.writer
                    .write_raw_block(f.finish(), CompressionType::None)?,
            );
        }

        let mut metaindex = BlockBuilder::new(self.options.block_restart_interval);
        if let (Some(policy), Some(handle)) = (&self.options.filter_policy, filter_handle) {
            let key = format!("filter.{}", policy.name());
            let mut encoding = Vec::new();
            handle.encode_to(&mut encoding);
            metaindex.add(key.as_bytes(), &encoding);
        }
        let metaindex_handle = self
            .writer
            .write_block(metaindex.finish(), self.options.compression)?;

        self.add_pending_index_entry(None);
        let index_handle = self
            .writer
            .write_block(self.index_block.finish(), self.options.compression)?;
        self.index_block.reset();

        let mut footer = Vec::new();
        Footer {
            metaindex_handle,
            index_handle,
        }
        .encode_to(&mut footer);
        self.writer.file.append(&footer)?;
        self.writer.offset += footer.len() as u64;
        self.writer.file.flush()
    }

    /// Gives up on the table: nothing more is written. The caller deletes
    /// the file.
    pub fn abandon(&mut self) {
        debug_assert!(!self.closed, "abandon after finish or abandon");
        self.closed = true;
    }

    /// Entries added so far.
    pub fn num_entries(&self) -> u64 {
        self.num_entries
    }

    /// Bytes written to the file so far (the final size after `finish`).
    pub fn file_size_bytes(&self) -> u64 {
        self.writer.offset
    }

    /// The file, to be synced and closed by the caller after `finish`.
    pub fn into_file(self) -> Box<dyn WritableFile> {
        self.writer.file
    }
}
