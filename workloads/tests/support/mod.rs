//! Test fixture only: an in-memory `Engine` over a `BTreeMap` (copy on
//! write behind an `RwLock`) and an `EngineHost` for it. It stands in for a
//! real engine so the suite's own logic (keys, seeds, counts, reports) can
//! be tested in milliseconds; it measures nothing about storage.

#![allow(dead_code)]

use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use strata_api::{
    codecs::CodecsUnavailable, BatchOp, Codecs, Engine, EngineMetrics, KvIterator, ReadOptions,
    Result, Snapshot, WriteBatch, WriteOptions,
};
use strata_workloads::db_bench::codecs::CrateCodecs;
use strata_workloads::EngineHost;

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

/// The data, shared by every handle the host opens (like files on disk).
#[derive(Default)]
pub struct Store {
    map: RwLock<Arc<Map>>,
    /// Calls into the engine's own codecs (crc32c, Snappy).
    pub codec_calls: Arc<AtomicU64>,
    /// When set, the engine says its own codecs are not in this build
    /// (as the LevelDB wrapper does without Debian's libleveldb.a).
    pub codecs_missing: RwLock<Option<CodecsUnavailable>>,
}

/// The engine's own codecs: the crates, counting every call.
struct CountingCodecs {
    inner: CrateCodecs,
    calls: Arc<AtomicU64>,
}

impl CountingCodecs {
    fn count(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }
}

impl Codecs for CountingCodecs {
    fn crc32c(&self, data: &[u8]) -> u32 {
        self.count();
        self.inner.crc32c(data)
    }

    fn snappy_max_compressed_len(&self, input_len: usize) -> usize {
        self.inner.snappy_max_compressed_len(input_len)
    }

    fn snappy_compress(&mut self, input: &[u8], output: &mut [u8]) -> Option<usize> {
        self.count();
        self.inner.snappy_compress(input, output)
    }

    fn snappy_uncompress(&mut self, input: &[u8], output: &mut [u8]) -> Option<usize> {
        self.count();
        self.inner.snappy_uncompress(input, output)
    }
}

impl Store {
    /// Key + value bytes of every pair, by a full scan through the
    /// `Engine` interface (the test's own check, after a run).
    pub fn scan_live_bytes(self: &Arc<Self>) -> u64 {
        let engine = MapEngine {
            store: Arc::clone(self),
            user_bytes_written: AtomicU64::new(0),
            gets: AtomicU64::new(0),
        };
        let mut it = engine
            .iter(&ReadOptions::default())
            .expect("the map's iterator cannot fail");
        let mut total = 0u64;
        it.seek_to_first();
        while it.valid() {
            total += (it.key().len() + it.value().len()) as u64;
            it.next();
        }
        total
    }
}

/// A handle on the store.
pub struct MapEngine {
    store: Arc<Store>,
    user_bytes_written: AtomicU64,
    gets: AtomicU64,
}

impl Engine for MapEngine {
    fn spec(&self) -> String {
        "test-map".into()
    }

    fn codecs_unavailable(&self) -> Option<CodecsUnavailable> {
        self.store.codecs_missing.read().clone()
    }

    fn codecs(&self) -> Option<Box<dyn Codecs>> {
        if self.store.codecs_missing.read().is_some() {
            return None;
        }
        Some(Box::new(CountingCodecs {
            inner: CrateCodecs::default(),
            calls: Arc::clone(&self.store.codec_calls),
        }))
    }

    fn write(&self, _options: &WriteOptions, batch: &WriteBatch) -> Result<()> {
        let ops: Vec<BatchOp<'_>> = batch.iter().collect::<Result<_>>()?;
        let mut guard = self.store.map.write();
        let map = Arc::make_mut(&mut guard);
        for op in ops {
            match op {
                BatchOp::Put { key, value } => {
                    map.insert(key.to_vec(), value.to_vec());
                }
                BatchOp::Delete { key } => {
                    map.remove(key);
                }
            }
        }
        self.user_bytes_written
            .fetch_add(batch.user_bytes(), Ordering::Relaxed);
        Ok(())
    }

    fn get_into(&self, _options: &ReadOptions, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        self.gets.fetch_add(1, Ordering::Relaxed);
        value.clear();
        match self.store.map.read().get(key) {
            Some(v) => {
                value.extend_from_slice(v);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn iter(&self, _options: &ReadOptions) -> Result<Box<dyn KvIterator>> {
        Ok(Box::new(MapIter {
            map: Arc::clone(&self.store.map.read()),
            current: None,
        }))
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot::new(0, Box::new(|_| {}))
    }

    fn compact_range(&self, _begin: Option<&[u8]>, _end: Option<&[u8]>) -> Result<()> {
        Ok(())
    }

    fn property(&self, name: &str) -> Option<String> {
        (name == "leveldb.stats").then(|| format!("entries: {}", self.store.map.read().len()))
    }

    fn metrics(&self) -> EngineMetrics {
        EngineMetrics {
            user_bytes_written: self.user_bytes_written.load(Ordering::Relaxed),
            disk_bytes_written: 2 * self.user_bytes_written.load(Ordering::Relaxed),
            gets: self.gets.load(Ordering::Relaxed),
            tables_probed: self.gets.load(Ordering::Relaxed),
            ..EngineMetrics::default()
        }
    }
}

struct MapIter {
    map: Arc<Map>,
    current: Option<(Vec<u8>, Vec<u8>)>,
}

impl MapIter {
    fn set(&mut self, entry: Option<(&Vec<u8>, &Vec<u8>)>) {
        self.current = entry.map(|(k, v)| (k.clone(), v.clone()));
    }
}

impl KvIterator for MapIter {
    fn valid(&self) -> bool {
        self.current.is_some()
    }
    fn seek_to_first(&mut self) {
        let map = Arc::clone(&self.map);
        self.set(map.iter().next());
    }
    fn seek_to_last(&mut self) {
        let map = Arc::clone(&self.map);
        self.set(map.iter().next_back());
    }
    fn seek(&mut self, target: &[u8]) {
        let map = Arc::clone(&self.map);
        self.set(
            map.range::<[u8], _>((Bound::Included(target), Bound::Unbounded))
                .next(),
        );
    }
    fn next(&mut self) {
        let map = Arc::clone(&self.map);
        let key = self.current.take().map(|(k, _)| k).unwrap_or_default();
        self.set(
            map.range::<[u8], _>((Bound::Excluded(key.as_slice()), Bound::Unbounded))
                .next(),
        );
    }
    fn prev(&mut self) {
        let map = Arc::clone(&self.map);
        let key = self.current.take().map(|(k, _)| k).unwrap_or_default();
        self.set(
            map.range::<[u8], _>((Bound::Unbounded, Bound::Excluded(key.as_slice())))
                .next_back(),
        );
    }
    fn key(&self) -> &[u8] {
        self.current.as_ref().map_or(&[], |(k, _)| k.as_slice())
    }
    fn value(&self) -> &[u8] {
        self.current.as_ref().map_or(&[], |(_, v)| v.as_slice())
    }
    fn status(&self) -> Result<()> {
        Ok(())
    }
}

/// Opens `MapEngine`s over one store; counts opens.
#[derive(Default)]
pub struct MapHost {
    /// The data.
    pub store: Arc<Store>,
    /// Opens so far.
    pub opens: u64,
    /// Fresh (destroying) opens so far.
    pub fresh_opens: u64,
}

impl MapHost {
    /// Keys in the store now.
    pub fn len(&self) -> usize {
        self.store.map.read().len()
    }
}

impl EngineHost for MapHost {
    fn open(&mut self, fresh: bool) -> Result<Arc<dyn Engine>> {
        self.opens += 1;
        if fresh {
            self.fresh_opens += 1;
            *self.store.map.write() = Arc::new(Map::new());
        }
        Ok(Arc::new(MapEngine {
            store: Arc::clone(&self.store),
            user_bytes_written: AtomicU64::new(0),
            gets: AtomicU64::new(0),
        }))
    }

    fn db_size_bytes(&self) -> u64 {
        self.store
            .map
            .read()
            .iter()
            .map(|(k, v)| (k.len() + v.len()) as u64)
            .sum()
    }
}
