//! A sorted in-memory map behind the [`Engine`] trait, so the blobfs index
//! decoders (which read through an engine's cursor) can be fed entries
//! straight from a fuzzer input. Not a storage engine: no durability, and
//! snapshots are ignored.

use std::sync::{Arc, RwLock};
use strata_api::{
    BatchOp, Engine, EngineMetrics, KvIterator, ReadOptions, Result, Snapshot, WriteBatch,
    WriteOptions,
};

/// Sorted, distinct keys with their values.
type Entries = Arc<Vec<(Vec<u8>, Vec<u8>)>>;

/// The map; cursors see the entries as they were when created.
#[derive(Default)]
pub struct IndexEngine {
    entries: RwLock<Entries>,
}

impl IndexEngine {
    /// An engine holding `pairs` (a later pair with the same key wins).
    pub fn with(pairs: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>) -> Self {
        let map: std::collections::BTreeMap<_, _> = pairs.into_iter().collect();
        IndexEngine {
            entries: RwLock::new(Arc::new(map.into_iter().collect())),
        }
    }

    fn snapshot_entries(&self) -> Entries {
        Arc::clone(&self.entries.read().expect("no writer panicked"))
    }
}

impl Engine for IndexEngine {
    fn spec(&self) -> String {
        "fuzz-index-map".to_string()
    }

    fn write(&self, _options: &WriteOptions, batch: &WriteBatch) -> Result<()> {
        let mut map: std::collections::BTreeMap<_, _> =
            self.snapshot_entries().iter().cloned().collect();
        for op in batch.iter() {
            match op? {
                BatchOp::Put { key, value } => {
                    map.insert(key.to_vec(), value.to_vec());
                }
                BatchOp::Delete { key } => {
                    map.remove(key);
                }
            }
        }
        *self.entries.write().expect("no writer panicked") = Arc::new(map.into_iter().collect());
        Ok(())
    }

    fn get_into(&self, _options: &ReadOptions, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        value.clear();
        let entries = self.snapshot_entries();
        match entries.binary_search_by(|(k, _)| k.as_slice().cmp(key)) {
            Ok(i) => {
                value.extend_from_slice(&entries[i].1);
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    fn iter(&self, _options: &ReadOptions) -> Result<Box<dyn KvIterator>> {
        let entries = self.snapshot_entries();
        let at = entries.len();
        Ok(Box::new(IndexIter { entries, at }))
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot::new(0, Box::new(|_| {}))
    }

    fn compact_range(&self, _begin: Option<&[u8]>, _end: Option<&[u8]>) -> Result<()> {
        Ok(())
    }

    fn property(&self, _name: &str) -> Option<String> {
        None
    }

    fn metrics(&self) -> EngineMetrics {
        EngineMetrics::default()
    }
}

/// A cursor over a copy of the entries; `at == len` when invalid.
struct IndexIter {
    entries: Entries,
    at: usize,
}

impl KvIterator for IndexIter {
    fn valid(&self) -> bool {
        self.at < self.entries.len()
    }

    fn seek_to_first(&mut self) {
        self.at = 0;
    }

    fn seek_to_last(&mut self) {
        self.at = self.entries.len().saturating_sub(1);
    }

    fn seek(&mut self, target: &[u8]) {
        self.at = self.entries.partition_point(|(k, _)| k.as_slice() < target);
    }

    fn next(&mut self) {
        self.at += 1;
    }

    fn prev(&mut self) {
        self.at = self.at.checked_sub(1).unwrap_or(self.entries.len());
    }

    fn key(&self) -> &[u8] {
        &self.entries[self.at].0
    }

    fn value(&self) -> &[u8] {
        &self.entries[self.at].1
    }

    fn status(&self) -> Result<()> {
        Ok(())
    }
}
