//! Blobs: immutable byte strings named by their SHA-256 (`sha256-<64 hex>`),
//! stored in the engine under `b:<ref>` and verified on every read.

use crate::error::{FsError, Result};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use strata_api::{Engine, ReadOptions, WriteBatch, WriteOptions};

/// The text before the hex digest of every ref.
pub const REF_PREFIX: &str = "sha256-";
/// Length of a ref's text form: `sha256-` plus 64 hex digits.
pub const REF_TEXT_BYTES: usize = 71;
/// Key prefix of blobs in the engine: `b:` + ref text.
pub const BLOB_KEY_PREFIX: &[u8] = b"b:";
/// Default size limit of one blob (Perkeep's limit too): 16 MiB.
pub const DEFAULT_MAX_BLOB_BYTES: u32 = 16 << 20;

/// The name of a blob: the SHA-256 of its bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobRef([u8; 32]);

impl BlobRef {
    /// The ref of `data`.
    pub fn of(data: &[u8]) -> Self {
        BlobRef(Sha256::digest(data).into())
    }

    /// Parses `sha256-<64 lowercase hex>`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let hex_part = text.strip_prefix(REF_PREFIX)?;
        if hex_part.len() != 64 || hex_part.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let mut digest = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut digest).ok()?;
        Some(BlobRef(digest))
    }

    /// Parses a ref from raw key bytes (see [`BlobRef::parse`]).
    pub fn parse_bytes(text: &[u8]) -> Option<Self> {
        std::str::from_utf8(text).ok().and_then(Self::parse)
    }

    /// The 32-byte digest.
    pub fn digest(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for BlobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{REF_PREFIX}{}", hex::encode(self.0))
    }
}

impl fmt::Debug for BlobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The engine key of blob `r`.
pub fn blob_key(r: &BlobRef) -> Vec<u8> {
    let mut key = BLOB_KEY_PREFIX.to_vec();
    key.extend_from_slice(r.to_string().as_bytes());
    key
}

/// Checks that `data` hashes to `expected`.
///
/// # Errors
/// `Corruption` naming the ref when it does not.
pub fn check_hash(expected: &BlobRef, data: &[u8]) -> Result<()> {
    let actual = BlobRef::of(data);
    if actual == *expected {
        Ok(())
    } else {
        Err(FsError::corruption(
            format!("blob {expected}"),
            format!("stored bytes hash to {actual} ({} bytes)", data.len()),
        ))
    }
}

/// Blob storage over an engine: put (deduplicated), get (verified).
#[derive(Clone)]
pub struct BlobStore {
    engine: Arc<dyn Engine>,
    max_blob_bytes: u32,
}

impl BlobStore {
    /// Blobs in `engine`, each at most `max_blob_bytes` long.
    pub fn new(engine: Arc<dyn Engine>, max_blob_bytes: u32) -> Self {
        BlobStore {
            engine,
            max_blob_bytes,
        }
    }

    /// The engine below.
    pub fn engine(&self) -> &Arc<dyn Engine> {
        &self.engine
    }

    /// The size limit of one blob.
    pub fn max_blob_bytes(&self) -> u32 {
        self.max_blob_bytes
    }

    /// The bytes of blob `r`, verified against `r`, or `None` if absent.
    ///
    /// # Errors
    /// `Corruption` naming the ref if the stored bytes do not hash to it;
    /// the engine's errors.
    pub fn get(&self, options: &ReadOptions, r: &BlobRef) -> Result<Option<Vec<u8>>> {
        match self.engine.get(options, &blob_key(r))? {
            Some(data) => {
                check_hash(r, &data)?;
                Ok(Some(data))
            }
            None => Ok(None),
        }
    }

    /// The bytes of blob `r`, which something stored refers to, so its
    /// absence is corruption of the store.
    ///
    /// # Errors
    /// `Corruption` naming the ref if it is missing or does not verify.
    pub fn fetch(&self, options: &ReadOptions, r: &BlobRef) -> Result<Vec<u8>> {
        self.get(options, r)?
            .ok_or_else(|| FsError::corruption(format!("blob {r}"), "referenced blob is missing"))
    }

    /// True when blob `r` is stored (its bytes are not checked).
    ///
    /// # Errors
    /// The engine's errors.
    pub fn contains(&self, options: &ReadOptions, r: &BlobRef) -> Result<bool> {
        let mut scratch = Vec::new();
        Ok(self.engine.get_into(options, &blob_key(r), &mut scratch)?)
    }

    /// Adds `data` to `batch` unless it is already stored or already in
    /// `staged` (the refs this batch holds). Returns the ref and whether it
    /// was newly added.
    ///
    /// # Errors
    /// `Usage` if `data` exceeds the size limit; the engine's errors.
    pub fn stage(
        &self,
        batch: &mut WriteBatch,
        staged: &mut HashSet<BlobRef>,
        data: &[u8],
    ) -> Result<(BlobRef, bool)> {
        self.check_size(data)?;
        let r = BlobRef::of(data);
        if staged.contains(&r) || self.contains(&ReadOptions::default(), &r)? {
            return Ok((r, false));
        }
        batch.put(&blob_key(&r), data);
        staged.insert(r);
        Ok((r, true))
    }

    /// Stores `data` now unless it is already stored. Returns the ref and
    /// whether anything was written.
    ///
    /// # Errors
    /// As [`BlobStore::stage`], and the engine's write errors.
    pub fn put(&self, options: &WriteOptions, data: &[u8]) -> Result<(BlobRef, bool)> {
        let mut batch = WriteBatch::new();
        let (r, new) = self.stage(&mut batch, &mut HashSet::new(), data)?;
        if new {
            self.engine.write(options, &batch)?;
        }
        Ok((r, new))
    }

    fn check_size(&self, data: &[u8]) -> Result<()> {
        if data.len() as u64 > u64::from(self.max_blob_bytes) {
            return Err(FsError::Usage(format!(
                "blob of {} bytes exceeds the limit of {} bytes",
                data.len(),
                self.max_blob_bytes
            )));
        }
        Ok(())
    }

    /// Calls `f(ref, stored bytes)` for every blob in ref order, without
    /// verifying the bytes (callers such as `verify` do that and report).
    ///
    /// # Errors
    /// `Corruption` for a key under `b:` that is not a ref; the engine's
    /// errors; the first error `f` returns.
    pub fn for_each_raw(
        &self,
        options: &ReadOptions,
        mut f: impl FnMut(BlobRef, &[u8]) -> Result<()>,
    ) -> Result<()> {
        crate::kv::scan_prefix(
            self.engine.as_ref(),
            options,
            BLOB_KEY_PREFIX,
            |key, value| {
                let text = &key[BLOB_KEY_PREFIX.len()..];
                let r = BlobRef::parse_bytes(text).ok_or_else(|| {
                    FsError::corruption(
                        "blob keys",
                        format!("key '{}' is not b:<ref>", String::from_utf8_lossy(key)),
                    )
                })?;
                f(r, value)?;
                Ok(true)
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_print_and_parse() {
        let r = BlobRef::of(b"hello");
        let text = r.to_string();
        assert_eq!(
            text,
            "sha256-2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(text.len(), REF_TEXT_BYTES);
        assert_eq!(BlobRef::parse(&text), Some(r));
        assert_eq!(BlobRef::parse(&text.to_uppercase()), None);
        assert_eq!(BlobRef::parse(&text[..70]), None);
        assert_eq!(BlobRef::parse("sha1-abc"), None);
        assert!(check_hash(&r, b"hello").is_ok());
        let e = check_hash(&r, b"hellO").expect_err("mismatch");
        assert!(e.is_corruption() && e.to_string().contains(&text), "{e}");
    }
}
