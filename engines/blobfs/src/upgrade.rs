//! Converting a format-1 store to format 2 ([`crate::format`]): every blob
//! moves from `b:<ref text>` to `d:<seq><ref>` with its `l:` location (in
//! batches, each move and delete in one batch), the index is rebuilt from
//! the blobs (adding the current state), and the format key is written
//! last. Interrupted, it is simply run again: the format key says format 1
//! until everything is done, and blobs already moved are not under `b:`
//! any more.

use crate::blob::{BlobKind, BlobRef, BlobStore};
use crate::error::{FsError, Result};
use crate::format;
pub use crate::format::FORMAT_VERSION;
use crate::kv;
use crate::reindex;
use std::sync::Arc;
use strata_api::{Engine, ReadOptions, WriteBatch, WriteOptions};

/// Key prefix of blobs in format 1: `b:` + ref text.
pub const LEGACY_BLOB_PREFIX: &[u8] = b"b:";
/// Bytes of blobs moved per batch.
const MOVE_BATCH_BYTES: usize = 8 << 20;

/// What an upgrade did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UpgradeReport {
    /// The store's format before.
    pub from_format: u32,
    /// Blobs moved to the format-2 layout.
    pub blobs_moved: u64,
    /// Index entries written (the current state, and anything missing).
    pub entries_written: u64,
    /// Index entries deleted (not implied by the blobs).
    pub entries_deleted: u64,
}

/// Upgrades the store in `engine`, owned by `owner` (the ref of the owner's
/// public-key blob), to [`FORMAT_VERSION`]; nothing to do for a store of
/// that format already.
///
/// # Errors
/// `NotFound` for an engine without a store; `UnsupportedFormat` for a
/// format this build does not know; `Corruption` for a `b:` key that is not
/// a ref; the engine's errors.
pub fn upgrade(engine: &Arc<dyn Engine>, owner: &BlobRef, sync: bool) -> Result<UpgradeReport> {
    let ro = ReadOptions::default();
    let from_format = match format::store_format(engine.as_ref(), &ro)? {
        None => return Err(FsError::NotFound("no blobfs store in this engine".into())),
        Some(f) if f == FORMAT_VERSION => {
            return Ok(UpgradeReport {
                from_format: f,
                ..UpgradeReport::default()
            })
        }
        Some(1) => 1,
        Some(found) => {
            return Err(FsError::UnsupportedFormat {
                found,
                supported: FORMAT_VERSION,
            })
        }
    };
    let options = WriteOptions::with_sync(sync);
    let blobs_moved = move_blobs(engine, &options)?;
    let r = reindex::reindex_unchecked(engine.as_ref(), owner, sync)?;
    let (k, v) = format::format_entry();
    engine.put(&options, k, &v)?;
    Ok(UpgradeReport {
        from_format,
        blobs_moved,
        entries_written: r.entries_written,
        entries_deleted: r.entries_deleted,
    })
}

fn move_blobs(engine: &Arc<dyn Engine>, options: &WriteOptions) -> Result<u64> {
    let ro = ReadOptions::default();
    let store = BlobStore::new(Arc::clone(engine), u32::MAX);
    let mut moved = 0u64;
    loop {
        let mut batch = WriteBatch::new();
        let mut bytes = 0usize;
        kv::scan_prefix(engine.as_ref(), &ro, LEGACY_BLOB_PREFIX, |key, data| {
            let r = BlobRef::parse_bytes(&key[LEGACY_BLOB_PREFIX.len()..]).ok_or_else(|| {
                FsError::corruption(
                    "format-1 blob keys",
                    format!("key '{}' is not b:<ref>", String::from_utf8_lossy(key)),
                )
            })?;
            // Moved as stored: a blob whose bytes do not match its ref stays
            // under its ref, for verify to report.
            store.stage_known(&mut batch, r, data, BlobKind::of(data))?;
            batch.delete(key);
            bytes += data.len();
            moved += 1;
            Ok(bytes < MOVE_BATCH_BYTES)
        })?;
        if batch.is_empty() {
            return Ok(moved);
        }
        engine.write(options, &batch)?;
    }
}
