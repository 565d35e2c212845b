//! Synthetic tree shapes for the policies' unit tests.

use super::{CompactionTask, TreeShape};
use crate::format::internal_key::{InternalKey, ValueType};
use crate::version::edit::{FileMetaData, NUM_LEVELS};
use crate::version::{FileEntry, Version};
use std::sync::Arc;

static NO_POINTERS: [Vec<u8>; NUM_LEVELS] = [const { Vec::new() }; NUM_LEVELS];

/// A file numbered `number` over user keys `[smallest, largest]`.
pub fn file(number: u64, smallest: &str, largest: &str, size: u64) -> Arc<FileEntry> {
    Arc::new(FileEntry::new(FileMetaData {
        number,
        file_size_bytes: size,
        smallest: InternalKey::new(smallest.as_bytes(), number, ValueType::Value),
        largest: InternalKey::new(largest.as_bytes(), number, ValueType::Value),
    }))
}

/// A version whose level 0 holds one run per size, oldest first, numbered
/// from 1, each covering keys `a..z`.
pub fn level0(sizes_oldest_first: &[u64]) -> Version {
    let mut v = Version::empty();
    for (i, &size) in sizes_oldest_first.iter().enumerate() {
        v.files[0].push(file(i as u64 + 1, "a", "z", size));
    }
    v
}

/// The shape of `version` with 2 KiB files and a 16 KiB level base.
pub fn shape(version: &Version) -> TreeShape<'_> {
    TreeShape {
        version,
        compact_pointers: &NO_POINTERS,
        seek_candidate: None,
        max_file_size: 2 << 10,
        level_base_bytes: 16 << 10,
    }
}

/// Input file numbers of `task`, level by level in the level's order.
pub fn numbers(task: &CompactionTask) -> Vec<u64> {
    task.inputs
        .iter()
        .flat_map(|l| l.files.iter().map(|f| f.meta.number))
        .collect()
}
