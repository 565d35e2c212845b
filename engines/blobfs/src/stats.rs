//! `stats`: blobs, bytes, logical bytes and the dedupe ratio.

use crate::blob::{check_hash, BlobRef, BLOB_KEY_PREFIX};
use crate::error::Result;
use crate::fs::ATTR_CONTENT;
use crate::index;
use crate::kv;
use crate::schema::{self, ClaimType, FileBlob};
use std::collections::HashMap;
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

/// Counts the blobs and the indexed file versions of `engine`.
///
/// # Errors
/// The engine's errors; `Corruption` naming a `file` blob that a version
/// needs and that fails verification.
pub fn stats(engine: &dyn Engine) -> Result<Stats> {
    let ro = ReadOptions {
        snapshot: Some(engine.snapshot()),
        fill_cache: false,
        ..ReadOptions::default()
    };
    let mut s = Stats::default();
    kv::scan_prefix(engine, &ro, BLOB_KEY_PREFIX, |_, data| {
        s.blobs += 1;
        s.blob_bytes += data.len() as u64;
        if schema::camli_type(data).is_some() {
            s.schema_blobs += 1;
            s.schema_bytes += data.len() as u64;
        } else {
            s.chunk_blobs += 1;
            s.chunk_bytes += data.len() as u64;
        }
        Ok(true)
    })?;
    let mut sizes: HashMap<BlobRef, u64> = HashMap::new();
    let mut versions = Vec::new();
    index::for_each_claim(engine, &ro, |c| {
        s.claims += 1;
        if c.claim_type == ClaimType::SetAttribute && c.attribute == ATTR_CONTENT {
            if let Some(r) = c.value.as_deref().and_then(BlobRef::parse) {
                versions.push(r);
            }
        }
        Ok(())
    })?;
    for r in versions {
        let size = match sizes.get(&r) {
            Some(size) => *size,
            None => {
                let data = engine
                    .get(&ro, &crate::blob::blob_key(&r))?
                    .ok_or_else(|| {
                        crate::error::FsError::corruption(
                            format!("blob {r}"),
                            "file blob is missing",
                        )
                    })?;
                check_hash(&r, &data)?;
                let size = FileBlob::parse(&r, &data)?.checked_parts(&r)?.size_bytes;
                sizes.insert(r, size);
                size
            }
        };
        s.file_versions += 1;
        s.logical_bytes += size;
    }
    Ok(s)
}
