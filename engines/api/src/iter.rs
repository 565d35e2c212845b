//! The one cursor interface, used by engines internally and by callers.

use crate::error::Result;

/// An ordered cursor over key/value pairs (LevelDB's `Iterator`).
///
/// A fresh cursor is not positioned: call a `seek*` first. `key` and `value`
/// may be called only while [`KvIterator::valid`] is true; the slices they
/// return stay good until the cursor moves. When a cursor becomes invalid
/// because of an error rather than reaching an end, [`KvIterator::status`]
/// reports it.
pub trait KvIterator: Send {
    /// True while positioned at an entry.
    fn valid(&self) -> bool;
    /// Positions at the first entry (invalid if there is none).
    fn seek_to_first(&mut self);
    /// Positions at the last entry (invalid if there is none).
    fn seek_to_last(&mut self);
    /// Positions at the first entry whose key is at or after `target`.
    fn seek(&mut self, target: &[u8]);
    /// Moves to the next entry. Requires `valid()`.
    fn next(&mut self);
    /// Moves to the previous entry. Requires `valid()`.
    fn prev(&mut self);
    /// The current key. Requires `valid()`.
    fn key(&self) -> &[u8];
    /// The current value. Requires `valid()`.
    fn value(&self) -> &[u8];
    /// The first error met, if any.
    ///
    /// # Errors
    /// The error (for example `Corruption` of a block) that stopped the cursor.
    fn status(&self) -> Result<()>;
    /// For cursors over stored blocks: when the current entry is the only
    /// entry of its block, that block's bytes as stored on disk, trailer
    /// included (for LevelDB's table format: the contents, then a type
    /// byte and a masked CRC32C of both, already checked if the cursor
    /// verifies checksums). A compaction writing the entry alone into a
    /// block of its own copies these bytes instead of rebuilding and
    /// re-compressing the same block. `None` (the default) otherwise.
    /// Requires `valid()`.
    fn sole_entry_block(&self) -> Option<&[u8]> {
        None
    }
}

impl<T: KvIterator + ?Sized> KvIterator for Box<T> {
    fn valid(&self) -> bool {
        (**self).valid()
    }
    fn seek_to_first(&mut self) {
        (**self).seek_to_first()
    }
    fn seek_to_last(&mut self) {
        (**self).seek_to_last()
    }
    fn seek(&mut self, target: &[u8]) {
        (**self).seek(target)
    }
    fn next(&mut self) {
        (**self).next()
    }
    fn prev(&mut self) {
        (**self).prev()
    }
    fn key(&self) -> &[u8] {
        (**self).key()
    }
    fn value(&self) -> &[u8] {
        (**self).value()
    }
    fn status(&self) -> Result<()> {
        (**self).status()
    }
    fn sole_entry_block(&self) -> Option<&[u8]> {
        (**self).sole_entry_block()
    }
}
