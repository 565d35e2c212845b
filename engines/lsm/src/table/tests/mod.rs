//! Whole-table tests: hand-built bytes, round trips, corruption.

mod corruption;
mod roundtrip;
mod stored_blocks;
mod structure;

use super::bloom::{BloomFilterPolicy, FilterPolicy};
use super::builder::{TableBuilder, TableOptions};
use super::cache::BlockCache;
use super::format::CompressionType;
use super::reader::Table;
use std::path::Path;
use std::sync::Arc;
use strata_api::{Env, KvIterator, MemEnv, RandomAccessFile};

/// Sorted key/value pairs.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Options for the tests: bytewise keys, the given block size, restart
/// interval, compression and bloom bits (0 = no filter).
fn options(
    block_size_bytes: usize,
    restart_interval: usize,
    compression: CompressionType,
    bloom_bits: usize,
) -> TableOptions {
    TableOptions {
        filter_policy: (bloom_bits > 0)
            .then(|| Arc::new(BloomFilterPolicy::new(bloom_bits)) as Arc<dyn FilterPolicy>),
        block_size_bytes,
        block_restart_interval: restart_interval,
        compression,
        ..TableOptions::default()
    }
}

/// Writes `entries` as table `name` in `env` and returns its size.
fn write_table(env: &MemEnv, name: &str, options: &TableOptions, entries: &Entries) -> u64 {
    let file = env
        .new_writable_file(Path::new(name))
        .expect("create table file");
    let mut builder = TableBuilder::new(options.clone(), file);
    for (k, v) in entries {
        builder.add(k, v).expect("add");
    }
    let size = builder.finish().expect("finish");
    assert_eq!(builder.num_entries(), entries.len() as u64);
    assert_eq!(builder.file_size_bytes(), size);
    let mut file = builder.into_file();
    file.sync().expect("sync");
    file.close().expect("close");
    assert_eq!(env.file_size(Path::new(name)).expect("size"), size);
    size
}

fn open_table(
    env: &MemEnv,
    name: &str,
    options: &TableOptions,
    size: u64,
    cache: Option<Arc<BlockCache>>,
) -> strata_api::Result<Arc<Table>> {
    let file: Arc<dyn RandomAccessFile> = env
        .new_random_access_file(Path::new(name))
        .expect("open table file");
    Table::open(options.clone(), file, name.to_string(), size, cache)
}

/// Every pair of a full forward scan, and the scan's status.
fn scan_forward(it: &mut dyn KvIterator) -> (Entries, strata_api::Result<()>) {
    let mut out = Vec::new();
    it.seek_to_first();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.next();
    }
    (out, it.status())
}

/// Every pair of a full backward scan (in forward order), and the status.
fn scan_backward(it: &mut dyn KvIterator) -> (Entries, strata_api::Result<()>) {
    let mut out = Vec::new();
    it.seek_to_last();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.prev();
    }
    out.reverse();
    (out, it.status())
}
