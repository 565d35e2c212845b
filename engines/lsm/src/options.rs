//! `DbOptions`: LevelDB's `Options`, with the same names and defaults.
//! The spec keys that set them, and `DbOptions::from_spec`, are in
//! [`crate::spec`].

use crate::compaction::CompactionKind;
use crate::memtable::MemTableKind;
use crate::spec::{DEFAULT_COMPACTION, DEFAULT_MEMTABLE};
use crate::table::CompressionType;
use std::path::Path;
use std::sync::Arc;
use strata_api::{Env, Error, PosixEnv, Result, WritableFile};

/// Options of a database, fixed at open.
#[derive(Clone)]
pub struct DbOptions {
    /// Every file operation goes through this env. Default: `PosixEnv`.
    pub env: Arc<dyn Env>,
    /// Create the database if it is missing (LevelDB default `false`;
    /// strata's engine factory sets it).
    pub create_if_missing: bool,
    /// Fail to open if the database already exists. Default `false`.
    pub error_if_exists: bool,
    /// Treat any corruption met (WAL records, MANIFEST, tables during
    /// compaction) as an error instead of skipping and reporting it.
    /// Default `false`.
    pub paranoid_checks: bool,
    /// Bytes a memtable may hold before it is switched and flushed.
    /// Default 4 MiB.
    pub write_buffer_size: usize,
    /// Files the table cache keeps open (10 are reserved for other uses, as
    /// in LevelDB). Default 1000.
    pub max_open_files: usize,
    /// Block cache capacity in bytes. Default 8 MiB.
    pub block_cache_capacity_bytes: usize,
    /// Uncompressed bytes per data block. Default 4 KiB.
    pub block_size: usize,
    /// Keys between restart points in a block. Default 16.
    pub block_restart_interval: usize,
    /// Bytes after which a compaction starts a new table. Default 2 MiB.
    pub max_file_size: u64,
    /// Size target of level 1 in bytes; level L targets ×10^(L−1). Default
    /// 10 MiB (fixed in LevelDB; RocksDB's `max_bytes_for_level_base`).
    /// Tests lower it to reach deep levels with little data.
    pub max_bytes_for_level_base: u64,
    /// Block compression. Default Snappy (LevelDB's default).
    pub compression: CompressionType,
    /// Bloom filter bits per key; `None` means no filter (LevelDB's default).
    pub bloom_bits_per_key: Option<u32>,
    /// Memtable implementation. Default the arena skiplist.
    pub memtable: MemTableKind,
    /// Compaction policy. Default LevelDB's leveled policy.
    pub compaction: CompactionKind,
    /// Write the WAL through a memory mapping ([`Env::new_log_file`]: no
    /// system call per record, as LevelDB's logs before 1.17) rather than
    /// one `write(2)` per record. Either way a record reaches the kernel
    /// before its write is acknowledged. Default `true`.
    pub wal_mmap: bool,
    /// Most threads one compaction into level 1 or deeper is split across,
    /// by key range (RocksDB's `max_subcompactions`): the policy's choices
    /// are LevelDB's either way, the work of each is shared. 1 merges on
    /// the background thread alone, as LevelDB. Default 2.
    pub max_subcompactions: usize,
    /// Keys whose first `partition_prefix_bytes` bytes differ never share a
    /// table file: flushes and compactions cut their output where the
    /// prefix changes (RocksDB's fixed-prefix `SstPartitioner`). A key
    /// space of disjoint families (one appended in order, others random)
    /// then keeps each family in tables of its own, so the appended one
    /// overlaps nothing and moves down the levels without being rewritten.
    /// 0 (the default, LevelDB's behaviour) cuts by size only. A user key
    /// is never split across tables either way.
    pub partition_prefix_bytes: usize,
    /// Delete obsolete files (compacted tables, flushed WALs, old
    /// MANIFESTs) on a thread of their own, so that a slow `unlink` (one
    /// that waits for the device to trim the blocks) never delays the next
    /// flush; `false` deletes them on the background thread, as LevelDB.
    /// Either way a file is deleted only once nothing live names it, and
    /// `flush`, `compact_range` and `wait_for_background` return after the
    /// deletions they caused. Default `true`.
    pub background_file_deletes: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            env: Arc::new(PosixEnv::new()),
            create_if_missing: false,
            error_if_exists: false,
            paranoid_checks: false,
            write_buffer_size: 4 << 20,
            max_open_files: 1000,
            block_cache_capacity_bytes: 8 << 20,
            block_size: 4 << 10,
            block_restart_interval: 16,
            max_file_size: 2 << 20,
            max_bytes_for_level_base: 10 << 20,
            compression: CompressionType::Snappy,
            bloom_bits_per_key: None,
            memtable: DEFAULT_MEMTABLE,
            compaction: DEFAULT_COMPACTION,
            wal_mmap: true,
            max_subcompactions: 2,
            partition_prefix_bytes: 0,
            background_file_deletes: true,
        }
    }
}

impl DbOptions {
    /// Creates the write-ahead log `path` as [`DbOptions::wal_mmap`] says.
    ///
    /// # Errors
    /// `Io` from the env.
    pub fn new_wal_file(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        if self.wal_mmap {
            self.env.new_log_file(path)
        } else {
            self.env.new_writable_file(path)
        }
    }

    /// Refuses a partition prefix under a policy other than leveled: the
    /// tiered policies count level-0 files as sorted runs, and a run cut
    /// into one file per prefix would be merged again and again.
    ///
    /// # Errors
    /// `InvalidArgument` saying so.
    pub fn check_partitioning(&self) -> Result<()> {
        if self.partition_prefix_bytes != 0 && self.compaction != CompactionKind::Leveled {
            return Err(Error::InvalidArgument(format!(
                "partition_prefix_bytes needs compaction=leveled (not {}): the {} policy counts level-0 files as runs",
                self.compaction.name(),
                self.compaction.name()
            )));
        }
        Ok(())
    }

    /// Table files the table cache may keep open.
    pub fn table_cache_capacity(&self) -> usize {
        self.max_open_files.saturating_sub(10).max(1)
    }
}

impl std::fmt::Debug for DbOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbOptions")
            .field("create_if_missing", &self.create_if_missing)
            .field("paranoid_checks", &self.paranoid_checks)
            .field("write_buffer_size", &self.write_buffer_size)
            .field("max_open_files", &self.max_open_files)
            .field(
                "block_cache_capacity_bytes",
                &self.block_cache_capacity_bytes,
            )
            .field("block_size", &self.block_size)
            .field("max_file_size", &self.max_file_size)
            .field("max_bytes_for_level_base", &self.max_bytes_for_level_base)
            .field("compression", &self.compression)
            .field("bloom_bits_per_key", &self.bloom_bits_per_key)
            .field("memtable", &self.memtable)
            .field("compaction", &self.compaction)
            .field("partition_prefix_bytes", &self.partition_prefix_bytes)
            .finish()
    }
}
