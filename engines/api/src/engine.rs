//! The `Engine` trait: what every engine, ours or a wrapped peer, offers.

use crate::batch::WriteBatch;
use crate::codecs::Codecs;
use crate::error::Result;
use crate::iter::KvIterator;
use crate::metrics::EngineMetrics;
use crate::options::{ReadOptions, WriteOptions};
use crate::snapshot::Snapshot;

/// A key/value store with LevelDB's semantics. Object-safe, shareable across
/// threads: every method takes `&self`.
pub trait Engine: Send + Sync {
    /// The spec string this engine was opened with (for example
    /// `lsm:memtable=skiplist,compaction=leveled`).
    fn spec(&self) -> String;

    /// Sets `key` to `value`.
    ///
    /// # Errors
    /// `Io` if the log cannot be written (the write is then not applied);
    /// `Unavailable` after an earlier background error.
    fn put(&self, options: &WriteOptions, key: &[u8], value: &[u8]) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.put(key, value);
        self.write(options, &batch)
    }

    /// Removes `key` (not an error if it is absent).
    ///
    /// # Errors
    /// As [`Engine::put`].
    fn delete(&self, options: &WriteOptions, key: &[u8]) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.delete(key);
        self.write(options, &batch)
    }

    /// Applies every update of `batch` atomically, in order.
    ///
    /// # Errors
    /// As [`Engine::put`]; on error none of the batch is applied.
    fn write(&self, options: &WriteOptions, batch: &WriteBatch) -> Result<()>;

    /// Looks up `key`, copying its value into `value` (cleared first, so a
    /// caller's buffer is reused and hot loops need not allocate). Returns
    /// whether the key was found.
    ///
    /// # Errors
    /// `Corruption` if a block on the lookup's path fails its checks; `Io`.
    fn get_into(&self, options: &ReadOptions, key: &[u8], value: &mut Vec<u8>) -> Result<bool>;

    /// Looks up `key` and returns its value, or `None` if absent.
    ///
    /// # Errors
    /// As [`Engine::get_into`].
    fn get(&self, options: &ReadOptions, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let mut value = Vec::new();
        Ok(self.get_into(options, key, &mut value)?.then_some(value))
    }

    /// A cursor over the user keys and values as of `options.snapshot` (or
    /// now), with deleted keys hidden.
    ///
    /// # Errors
    /// `Io` or `Corruption` if a table cannot be opened.
    fn iter(&self, options: &ReadOptions) -> Result<Box<dyn KvIterator>>;

    /// A consistent view of the current state, held until dropped.
    fn snapshot(&self) -> Snapshot;

    /// Compacts the key range `[begin, end]` (`None` is unbounded) so that
    /// deleted and overwritten data in it is discarded.
    ///
    /// # Errors
    /// `Io` or `Corruption` met while compacting.
    fn compact_range(&self, begin: Option<&[u8]>, end: Option<&[u8]>) -> Result<()>;

    /// A named property (`leveldb.stats`, `leveldb.sstables`,
    /// `leveldb.num-files-at-level<N>`, `leveldb.approximate-memory-usage`),
    /// or `None` if the engine does not know it.
    fn property(&self, name: &str) -> Option<String>;

    /// Cumulative counters since open.
    fn metrics(&self) -> EngineMetrics;

    /// The tree's shape now (level 0, bytes per level, memtable, compaction
    /// backlog), for the time series; the default knows nothing. Must be
    /// cheap (a lock and a few reads): it is sampled while a benchmark runs.
    fn state(&self) -> crate::EngineState {
        crate::EngineState::default()
    }

    /// Waits until background work queued so far (flushes, compactions) is
    /// done, so that measurements after it see a settled tree.
    ///
    /// # Errors
    /// A background error met while waiting.
    fn wait_for_background(&self) -> Result<()> {
        Ok(())
    }

    /// The engine's own CRC-32C and Snappy code, for db_bench's `crc32c`,
    /// `snappycomp` and `snappyuncomp`; `None` (the default) means the
    /// `crc32c` and `snap` crates, which strata's engine (and
    /// rusty-leveldb) use.
    fn codecs(&self) -> Option<Box<dyn Codecs>> {
        None
    }

    /// Why [`Engine::codecs`] is not the engine's own code in this build
    /// (it is then `None` and strata's crates stand in); `None`, the
    /// default, when it is, or when the engine's own codecs are strata's
    /// crates. db_bench's `crc32c`, `snappycomp` and `snappyuncomp` show the
    /// reason on such a row instead of passing strata's time off as the
    /// engine's.
    fn codecs_unavailable(&self) -> Option<crate::codecs::CodecsUnavailable> {
        None
    }
}
