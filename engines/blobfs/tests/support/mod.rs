//! Test fixture: an in-memory [`Engine`] over a `BTreeMap`, so blobfs can be
//! tested without depending on any real engine. Not a storage engine: no
//! durability, snapshots are accepted but ignored (reads see the latest
//! state), and each cursor works on a copy-on-write snapshot of the map
//! taken when it is created (values are shared, not copied).

#![allow(dead_code)]

use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use strata_api::{
    BatchOp, Engine, EngineMetrics, KvIterator, ReadOptions, Snapshot, WriteBatch, WriteOptions,
};

type Map = BTreeMap<Vec<u8>, Arc<Vec<u8>>>;

/// The fixture engine.
#[derive(Default)]
pub struct MemEngine {
    map: RwLock<Arc<Map>>,
}

impl MemEngine {
    /// An empty engine, shareable.
    pub fn new() -> Arc<Self> {
        Arc::new(MemEngine::default())
    }

    /// Every key/value pair under `prefix` (for tests that inspect or
    /// tamper with storage).
    pub fn dump(&self, prefix: &[u8]) -> BTreeMap<Vec<u8>, Vec<u8>> {
        self.map
            .read()
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.as_ref().clone()))
            .collect()
    }
}

impl Engine for MemEngine {
    fn spec(&self) -> String {
        "test-btreemap".into()
    }

    fn write(&self, _options: &WriteOptions, batch: &WriteBatch) -> strata_api::Result<()> {
        let mut guard = self.map.write();
        let map = Arc::make_mut(&mut guard);
        for op in batch.iter() {
            match op? {
                BatchOp::Put { key, value } => {
                    map.insert(key.to_vec(), Arc::new(value.to_vec()));
                }
                BatchOp::Delete { key } => {
                    map.remove(key);
                }
            }
        }
        Ok(())
    }

    fn get_into(
        &self,
        _options: &ReadOptions,
        key: &[u8],
        value: &mut Vec<u8>,
    ) -> strata_api::Result<bool> {
        value.clear();
        match self.map.read().get(key) {
            Some(v) => {
                value.extend_from_slice(v);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn iter(&self, _options: &ReadOptions) -> strata_api::Result<Box<dyn KvIterator>> {
        Ok(Box::new(MemIter {
            map: Arc::clone(&self.map.read()),
            current: None,
        }))
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot::new(0, Box::new(|_| {}))
    }

    fn compact_range(&self, _begin: Option<&[u8]>, _end: Option<&[u8]>) -> strata_api::Result<()> {
        Ok(())
    }

    fn property(&self, _name: &str) -> Option<String> {
        None
    }

    fn metrics(&self) -> EngineMetrics {
        EngineMetrics::default()
    }
}

struct MemIter {
    map: Arc<Map>,
    current: Option<(Vec<u8>, Arc<Vec<u8>>)>,
}

impl MemIter {
    fn set(&mut self, entry: Option<(&Vec<u8>, &Arc<Vec<u8>>)>) {
        self.current = entry.map(|(k, v)| (k.clone(), Arc::clone(v)));
    }
}

impl KvIterator for MemIter {
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
    fn status(&self) -> strata_api::Result<()> {
        Ok(())
    }
}

/// Small chunks so that tests exercise many of them quickly.
pub fn small_config() -> strata_blobfs::FsConfig {
    strata_blobfs::FsConfig {
        chunker: strata_blobfs::ChunkerConfig {
            min_bytes: 256,
            avg_bytes: 1024,
            max_bytes: 4096,
        },
        ..strata_blobfs::FsConfig::default()
    }
}

/// A fresh filesystem on a fresh fixture engine, with a fixed signer.
pub fn new_fs() -> (Arc<MemEngine>, strata_blobfs::BlobFs) {
    let engine = MemEngine::new();
    let fs = strata_blobfs::BlobFs::init(
        Arc::clone(&engine) as Arc<dyn Engine>,
        strata_blobfs::Signer::from_secret([42u8; 32]),
        small_config(),
    )
    .expect("init");
    (engine, fs)
}

/// The time `secs` seconds after 2024-01-01T00:00:00Z.
pub fn t(secs: i64) -> chrono::DateTime<chrono::Utc> {
    strata_blobfs::time::parse_rfc3339("2024-01-01T00:00:00Z").expect("base time")
        + chrono::Duration::seconds(secs)
}

/// Deterministic pseudo-random bytes.
pub fn bytes(n: usize, seed: u64) -> Vec<u8> {
    use rand::{RngCore, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut v = vec![0u8; n];
    rng.fill_bytes(&mut v);
    v
}

/// The LSM engine over an in-memory `Env`, with a small write buffer so that
/// tests reach flushes and compactions.
pub fn lsm_engine() -> Arc<dyn Engine> {
    let spec = strata_api::EngineSpec::parse("lsm:write_buffer_size=64K,max_file_size=256K")
        .expect("spec");
    let env: Arc<dyn strata_api::Env> = Arc::new(strata_api::MemEnv::new());
    let options = strata_lsm::DbOptions::from_spec(&spec, env).expect("options");
    Arc::new(strata_lsm::Db::open(options, "/blobfs-db").expect("open lsm"))
}
