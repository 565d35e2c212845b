//! The table cache: open `Table`s by file number, bounded by
//! `max_open_files`, with the bytes they read counted for metrics.

use crate::format::comparator::{BytewiseComparator, Comparator, InternalKeyComparator};
use crate::format::filename::{sst_table_file_name, table_file_name};
use crate::table::int_hasher::IntKeyHasher;
use crate::table::{
    BlockCache, BloomFilterPolicy, FilterPolicy, InternalFilterPolicy, Table, TableOptions,
};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use strata_api::env::MappedBytes;
use strata_api::{Env, KvIterator, RandomAccessFile, Result};

use crate::options::DbOptions;

/// Counts bytes read through a file, for `EngineMetrics::disk_bytes_read`.
/// A mapped range counts when it is handed out (so the one-byte peek at a
/// mapped block's type byte counts one byte).
struct CountingFile {
    inner: Arc<dyn RandomAccessFile>,
    bytes_read: Arc<AtomicU64>,
}

impl RandomAccessFile for CountingFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let n = self.inner.read_at(offset, buf)?;
        self.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn read_at_into(&self, offset: u64, len: usize, buf: &mut Vec<u8>) -> Result<usize> {
        let n = self.inner.read_at_into(offset, len, buf)?;
        self.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn read_mapped(&self, offset: u64, len: usize) -> Option<MappedBytes> {
        let bytes = self.inner.read_mapped(offset, len)?;
        self.bytes_read.fetch_add(len as u64, Ordering::Relaxed);
        Some(bytes)
    }
}

struct Lru {
    tables: HashMap<u64, (Arc<Table>, u64), BuildHasherDefault<IntKeyHasher>>,
    tick: u64,
}

/// Open tables by file number.
pub struct TableCache {
    env: Arc<dyn Env>,
    dir: PathBuf,
    options: TableOptions,
    block_cache: Option<Arc<BlockCache>>,
    capacity: usize,
    lru: Mutex<Lru>,
    bytes_read: Arc<AtomicU64>,
}

/// The table options the engine uses for every table it writes and reads:
/// internal-key order and, if configured, a bloom filter over user keys.
pub fn engine_table_options(options: &DbOptions) -> TableOptions {
    let user: Arc<dyn Comparator> = Arc::new(BytewiseComparator);
    let filter_policy: Option<Arc<dyn FilterPolicy>> = options.bloom_bits_per_key.map(|bits| {
        let user_policy: Arc<dyn FilterPolicy> = Arc::new(BloomFilterPolicy::new(bits as usize));
        Arc::new(InternalFilterPolicy::new(user_policy)) as Arc<dyn FilterPolicy>
    });
    TableOptions {
        comparator: Arc::new(InternalKeyComparator::new(user)),
        filter_policy,
        block_size_bytes: options.block_size,
        block_restart_interval: options.block_restart_interval,
        compression: options.compression,
    }
}

impl TableCache {
    /// A cache for the tables of `dir`.
    pub fn new(dir: &Path, options: &DbOptions, block_cache: Option<Arc<BlockCache>>) -> Self {
        TableCache {
            env: Arc::clone(&options.env),
            dir: dir.to_path_buf(),
            options: engine_table_options(options),
            block_cache,
            capacity: options.table_cache_capacity(),
            lru: Mutex::new(Lru {
                tables: HashMap::default(),
                tick: 0,
            }),
            bytes_read: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Bytes read from table files so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    /// The open table for file `number` of `file_size_bytes`, opening it on
    /// a miss.
    ///
    /// # Errors
    /// `Io` if the file cannot be opened; `Corruption` if its footer or
    /// index is bad.
    pub fn find_table(&self, number: u64, file_size_bytes: u64) -> Result<Arc<Table>> {
        {
            let mut lru = self.lru.lock();
            lru.tick += 1;
            let tick = lru.tick;
            if let Some(entry) = lru.tables.get_mut(&number) {
                entry.1 = tick;
                return Ok(Arc::clone(&entry.0));
            }
        }
        let table = self.open_table(number, file_size_bytes)?;
        let mut lru = self.lru.lock();
        lru.tick += 1;
        let tick = lru.tick;
        lru.tables.insert(number, (Arc::clone(&table), tick));
        if lru.tables.len() > self.capacity {
            // Evictions happen only on misses beyond capacity: a linear scan
            // over at most `max_open_files` entries is cheaper than keeping
            // an ordered structure current on every hit.
            if let Some(oldest) = lru
                .tables
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(n, _)| *n)
            {
                lru.tables.remove(&oldest);
            }
        }
        Ok(table)
    }

    fn open_table(&self, number: u64, file_size_bytes: u64) -> Result<Arc<Table>> {
        let mut path = table_file_name(&self.dir, number);
        let file = match self.env.new_random_access_file(&path) {
            Ok(f) => f,
            Err(first) => {
                let legacy = sst_table_file_name(&self.dir, number);
                match self.env.new_random_access_file(&legacy) {
                    Ok(f) => {
                        path = legacy;
                        f
                    }
                    Err(_) => return Err(first),
                }
            }
        };
        let counting: Arc<dyn RandomAccessFile> = Arc::new(CountingFile {
            inner: file,
            bytes_read: Arc::clone(&self.bytes_read),
        });
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Table::open(
            self.options.clone(),
            counting,
            name,
            file_size_bytes,
            self.block_cache.clone(),
        )
    }

    /// Point lookup of internal key `ikey` in table `number`: calls `found`
    /// with the first entry at or after `ikey`, if any. Returns whether a
    /// data block was read (false when the bloom filter ruled the key out).
    ///
    /// # Errors
    /// As [`TableCache::find_table`], plus `Corruption` of a block.
    pub fn get(
        &self,
        number: u64,
        file_size_bytes: u64,
        ikey: &[u8],
        verify_checksums: bool,
        fill_cache: bool,
        found: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<bool> {
        let table = self.find_table(number, file_size_bytes)?;
        table.internal_get(verify_checksums, fill_cache, ikey, found)
    }

    /// A cursor over table `number` (internal keys).
    ///
    /// # Errors
    /// As [`TableCache::find_table`].
    pub fn iter(
        &self,
        number: u64,
        file_size_bytes: u64,
        verify_checksums: bool,
        fill_cache: bool,
    ) -> Result<Box<dyn KvIterator>> {
        let table = self.find_table(number, file_size_bytes)?;
        Ok(table.iter(verify_checksums, fill_cache))
    }

    /// Drops table `number` from the cache (after its file is deleted).
    pub fn evict(&self, number: u64) {
        self.lru.lock().tables.remove(&number);
    }

    /// The table options used for every table.
    pub fn table_options(&self) -> &TableOptions {
        &self.options
    }
}
