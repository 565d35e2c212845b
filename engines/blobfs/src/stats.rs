//! `stats`: blobs, bytes, logical bytes and the dedupe ratio.

use crate::blob::{self, BlobKind, BlobRef};
use crate::error::{FsError, Result};
use crate::fs::ATTR_CONTENT;
use crate::index;
use crate::schema::{ClaimType, FileBlob};
use strata_api::{Engine, ReadOptions};

/// Counts over a whole store.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// Blobs stored.
    pub blobs: u64,
    /// Their bytes.
    pub blob_bytes: u64,
    /// Data chunks (blobs that are not schema JSON).
    pub chunk_blobs: u64,
    /// Their bytes: the file data actually stored.
    pub chunk_bytes: u64,
    /// Schema blobs (permanodes, claims, file, directory, keys).
    pub schema_blobs: u64,
    /// Their bytes.
    pub schema_bytes: u64,
    /// Indexed claims.
    pub claims: u64,
    /// Indexed claims that set a file's content: file versions written.
    pub file_versions: u64,
    /// Sum of the lengths of every file version written: the bytes a store
    /// without dedupe would hold.
    pub logical_bytes: u64,
}

impl Stats {
    /// `logical_bytes / chunk_bytes` (1 when nothing is stored).
    pub fn dedupe_ratio(&self) -> f64 {
        if self.chunk_bytes == 0 {
            1.0
        } else {
            self.logical_bytes as f64 / self.chunk_bytes as f64
        }
    }
}

/// Counts the blobs and the indexed file versions of `engine`: one scan of
/// the blob locations (no blob is read), one of the claim index, and one
/// read of the `file` blob of each file version; memory stays flat.
///
/// # Errors
/// `UnsupportedFormat` for a store of another format; the engine's
/// errors; `Corruption` naming a `file` blob that a version needs and that
/// is missing or fails verification.
pub fn stats(engine: &dyn Engine) -> Result<Stats> {
    crate::format::check(engine)?;
    let ro = ReadOptions {
        snapshot: Some(engine.snapshot()),
        fill_cache: false,
        ..ReadOptions::default()
    };
    let mut s = Stats::default();
    blob::for_each_location(engine, &ro, |_, loc| {
        s.blobs += 1;
        s.blob_bytes += u64::from(loc.len);
        match loc.kind {
            BlobKind::Schema => {
                s.schema_blobs += 1;
                s.schema_bytes += u64::from(loc.len);
            }
            BlobKind::Data => {
                s.chunk_blobs += 1;
                s.chunk_bytes += u64::from(loc.len);
            }
        }
        Ok(())
    })?;
    index::for_each_claim(engine, &ro, |c| {
        s.claims += 1;
        if c.claim_type == ClaimType::SetAttribute && c.attribute == ATTR_CONTENT {
            if let Some(r) = c.value.as_deref().and_then(BlobRef::parse) {
                let data = blob::read(engine, &ro, &r)?.ok_or_else(|| {
                    FsError::corruption(format!("blob {r}"), "file blob is missing")
                })?;
                s.file_versions += 1;
                s.logical_bytes += FileBlob::parse(&r, &data)?.checked_parts(&r)?.size_bytes;
            }
        }
        Ok(())
    })?;
    Ok(s)
}
