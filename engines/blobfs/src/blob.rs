//! Blobs: immutable byte strings named by their SHA-256 (`sha256-<64 hex>`),
//! verified on every read.
//!
//! Layout in the engine (store format 2, see [`crate::format`]):
//!
//! | key | value |
//! | --- | --- |
//! | `d:<seq: u64 BE><ref: 32 bytes>` | the blob's bytes |
//! | `l:<ref: 32 bytes>` | its location: `seq: u64 BE`, `len: u32 LE`, `kind: u8` (0 data chunk, 1 schema blob) |
//!
//! Blob bytes are keyed by a sequence number that grows with every new
//! blob, so new blobs land after every older one: an LSM engine appends
//! them and moves whole files of them down its levels instead of merging
//! them again and again (content-addressed keys are random, and random keys
//! make every compaction rewrite the bytes). The ref is in the key too, so
//! that a scan of `d:` names each blob without a lookup, and two writers
//! that pick the same sequence number for different blobs do not collide.
//! The location entry is what a read by ref looks up; it is small, so a
//! "do we have this blob" check reads a few bytes, not the blob.
//!
//! A `d:` entry and its `l:` entry are always written in one batch. Two
//! concurrent writers of the same new blob may each store a copy; the
//! location names one of them and the other is a harmless duplicate that
//! `verify` counts (and does not report).

use crate::error::{FsError, Result};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use strata_api::{Engine, ReadOptions, WriteBatch, WriteOptions};

/// The text before the hex digest of every ref.
pub const REF_PREFIX: &str = "sha256-";
/// Length of a ref's text form: `sha256-` plus 64 hex digits.
pub const REF_TEXT_BYTES: usize = 71;
/// Key prefix of blob bytes: `d:` + sequence number + ref digest.
pub const DATA_PREFIX: &[u8] = b"d:";
/// Key prefix of blob locations: `l:` + ref digest.
pub const LOCATION_PREFIX: &[u8] = b"l:";
/// Length of a `d:` key.
pub const DATA_KEY_BYTES: usize = 2 + 8 + 32;
/// Length of an `l:` key.
pub const LOCATION_KEY_BYTES: usize = 2 + 32;
/// Length of an `l:` value.
pub const LOCATION_VALUE_BYTES: usize = 8 + 4 + 1;
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

    /// The ref whose digest is `digest`.
    pub fn from_digest(digest: [u8; 32]) -> Self {
        BlobRef(digest)
    }

    /// The ref whose digest is the 32 bytes `bytes`; `None` for another
    /// length.
    pub fn from_digest_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(BlobRef)
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

/// What a blob is, as recorded in its location (so that counting blobs by
/// kind reads no blob).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobKind {
    /// File content.
    Data,
    /// A schema blob (JSON with `camliVersion`).
    Schema,
}

impl BlobKind {
    /// The kind of `data`: a schema blob if it looks like one
    /// ([`crate::schema::camli_type`]).
    pub fn of(data: &[u8]) -> Self {
        if crate::schema::camli_type(data).is_some() {
            BlobKind::Schema
        } else {
            BlobKind::Data
        }
    }
}

/// Where a blob's bytes are, its length and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// The sequence number in its `d:` key.
    pub seq: u64,
    /// Its length in bytes.
    pub len: u32,
    /// Data chunk or schema blob.
    pub kind: BlobKind,
}

impl Location {
    /// The 13-byte value of an `l:` entry.
    pub fn encode(&self) -> [u8; LOCATION_VALUE_BYTES] {
        let mut v = [0u8; LOCATION_VALUE_BYTES];
        v[..8].copy_from_slice(&self.seq.to_be_bytes());
        v[8..12].copy_from_slice(&self.len.to_le_bytes());
        v[12] = match self.kind {
            BlobKind::Data => 0,
            BlobKind::Schema => 1,
        };
        v
    }

    /// Decodes [`Location::encode`]'s output.
    ///
    /// # Errors
    /// `Corruption` naming `r` for another length or an unknown kind.
    pub fn decode(r: &BlobRef, v: &[u8]) -> Result<Self> {
        let bad = |why: &str| FsError::corruption(format!("location of blob {r}"), why);
        if v.len() != LOCATION_VALUE_BYTES {
            return Err(bad("not 13 bytes"));
        }
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&v[..8]);
        let mut len = [0u8; 4];
        len.copy_from_slice(&v[8..12]);
        let kind = match v[12] {
            0 => BlobKind::Data,
            1 => BlobKind::Schema,
            _ => return Err(bad("unknown blob kind")),
        };
        Ok(Location {
            seq: u64::from_be_bytes(seq),
            len: u32::from_le_bytes(len),
            kind,
        })
    }
}

/// The `d:` key of the copy of blob `r` with sequence number `seq`.
pub fn data_key(seq: u64, r: &BlobRef) -> [u8; DATA_KEY_BYTES] {
    let mut k = [0u8; DATA_KEY_BYTES];
    k[..2].copy_from_slice(DATA_PREFIX);
    k[2..10].copy_from_slice(&seq.to_be_bytes());
    k[10..].copy_from_slice(r.digest());
    k
}

/// The sequence number and ref of a `d:` key; `None` if it is not one.
pub fn parse_data_key(key: &[u8]) -> Option<(u64, BlobRef)> {
    if key.len() != DATA_KEY_BYTES || !key.starts_with(DATA_PREFIX) {
        return None;
    }
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&key[2..10]);
    Some((
        u64::from_be_bytes(seq),
        BlobRef::from_digest_bytes(&key[10..])?,
    ))
}

/// The `l:` key of blob `r`.
pub fn location_key(r: &BlobRef) -> [u8; LOCATION_KEY_BYTES] {
    let mut k = [0u8; LOCATION_KEY_BYTES];
    k[..2].copy_from_slice(LOCATION_PREFIX);
    k[2..].copy_from_slice(r.digest());
    k
}

/// The ref of an `l:` key; `None` if it is not one.
pub fn parse_location_key(key: &[u8]) -> Option<BlobRef> {
    if key.len() != LOCATION_KEY_BYTES || !key.starts_with(LOCATION_PREFIX) {
        return None;
    }
    BlobRef::from_digest_bytes(&key[2..])
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
    /// The next sequence number, read from the last `d:` key on first use.
    next_seq: Arc<Mutex<Option<u64>>>,
}

impl BlobStore {
    /// Blobs in `engine`, each at most `max_blob_bytes` long. Reads nothing
    /// (the sequence number is found on the first write).
    pub fn new(engine: Arc<dyn Engine>, max_blob_bytes: u32) -> Self {
        BlobStore {
            engine,
            max_blob_bytes,
            next_seq: Arc::new(Mutex::new(None)),
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

    /// Where blob `r` is, if it is stored.
    ///
    /// # Errors
    /// `Corruption` for an undecodable location; the engine's errors.
    pub fn location(&self, options: &ReadOptions, r: &BlobRef) -> Result<Option<Location>> {
        location(self.engine.as_ref(), options, r)
    }

    /// The engine key holding blob `r`'s bytes, if it is stored (for tools
    /// and tests that inspect storage).
    ///
    /// # Errors
    /// As [`BlobStore::location`].
    pub fn data_key_of(&self, options: &ReadOptions, r: &BlobRef) -> Result<Option<Vec<u8>>> {
        Ok(self
            .location(options, r)?
            .map(|loc| data_key(loc.seq, r).to_vec()))
    }

    /// The bytes of blob `r`, verified against `r`, or `None` if absent.
    ///
    /// # Errors
    /// `Corruption` naming the ref if the stored bytes do not hash to it or
    /// its location points at nothing; the engine's errors.
    pub fn get(&self, options: &ReadOptions, r: &BlobRef) -> Result<Option<Vec<u8>>> {
        read(self.engine.as_ref(), options, r)
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

    /// True when blob `r` is stored (a read of its small location entry;
    /// its bytes are not checked).
    ///
    /// # Errors
    /// The engine's errors.
    pub fn contains(&self, options: &ReadOptions, r: &BlobRef) -> Result<bool> {
        let mut scratch = Vec::new();
        Ok(self
            .engine
            .get_into(options, &location_key(r), &mut scratch)?)
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
        self.stage_new(batch, r, data, BlobKind::of(data))?;
        staged.insert(r);
        Ok((r, true))
    }

    /// Adds `data` to `batch` without asking whether it is stored: for
    /// blobs that are new by construction (a permanode holds fresh random
    /// bytes; a claim names its permanode, attribute and an instant at which
    /// that attribute has no other claim). Storing one twice would only
    /// leave a duplicate copy.
    ///
    /// # Errors
    /// `Usage` if `data` exceeds the size limit; the engine's errors.
    pub fn stage_fresh(
        &self,
        batch: &mut WriteBatch,
        data: &[u8],
        kind: BlobKind,
    ) -> Result<BlobRef> {
        self.check_size(data)?;
        let r = BlobRef::of(data);
        self.stage_new(batch, r, data, kind)?;
        Ok(r)
    }

    /// [`BlobStore::stage_fresh`] of `data` whose ref `r` the caller
    /// already computed.
    pub(crate) fn stage_known(
        &self,
        batch: &mut WriteBatch,
        r: BlobRef,
        data: &[u8],
        kind: BlobKind,
    ) -> Result<()> {
        self.check_size(data)?;
        self.stage_new(batch, r, data, kind)
    }

    fn stage_new(
        &self,
        batch: &mut WriteBatch,
        r: BlobRef,
        data: &[u8],
        kind: BlobKind,
    ) -> Result<()> {
        let seq = self.allocate_seq()?;
        batch.put(&data_key(seq, &r), data);
        let loc = Location {
            seq,
            // check_size bounds the length by a u32.
            len: data.len() as u32,
            kind,
        };
        batch.put(&location_key(&r), &loc.encode());
        Ok(())
    }

    fn allocate_seq(&self) -> Result<u64> {
        let mut next = self.next_seq.lock();
        let seq = match *next {
            Some(seq) => seq,
            None => match crate::kv::last_with_prefix(
                self.engine.as_ref(),
                &ReadOptions::default(),
                DATA_PREFIX,
            )? {
                None => 0,
                Some((key, _)) => {
                    let (last, _) = parse_data_key(&key).ok_or_else(|| {
                        FsError::corruption("blob keys", "the last d: key is not d:<seq><ref>")
                    })?;
                    last + 1
                }
            },
        };
        *next = Some(seq + 1);
        Ok(seq)
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

    /// Calls `f(seq, ref, stored bytes)` for every stored copy in sequence
    /// order, without verifying the bytes (callers such as `verify` do that
    /// and report).
    ///
    /// # Errors
    /// `Corruption` for a key under `d:` that is not `d:<seq><ref>`; the
    /// engine's errors; the first error `f` returns.
    pub fn for_each_copy(
        &self,
        options: &ReadOptions,
        mut f: impl FnMut(u64, BlobRef, &[u8]) -> Result<()>,
    ) -> Result<()> {
        crate::kv::scan_prefix(self.engine.as_ref(), options, DATA_PREFIX, |key, value| {
            let (seq, r) = parse_data_key(key).ok_or_else(|| {
                FsError::corruption(
                    "blob keys",
                    format!("key {} is not d:<seq><ref>", hex::encode(key)),
                )
            })?;
            f(seq, r, value)?;
            Ok(true)
        })
    }

    /// Calls `f(ref, location)` for every located blob in ref order (reads
    /// no blob bytes).
    ///
    /// # Errors
    /// As [`for_each_location`].
    pub fn for_each_location(
        &self,
        options: &ReadOptions,
        f: impl FnMut(BlobRef, Location) -> Result<()>,
    ) -> Result<()> {
        for_each_location(self.engine.as_ref(), options, f)
    }
}

/// Where blob `r` is in `engine`, if it is stored.
///
/// # Errors
/// `Corruption` for an undecodable location; the engine's errors.
pub fn location(
    engine: &dyn Engine,
    options: &ReadOptions,
    r: &BlobRef,
) -> Result<Option<Location>> {
    match engine.get(options, &location_key(r))? {
        Some(v) => Ok(Some(Location::decode(r, &v)?)),
        None => Ok(None),
    }
}

/// The bytes of blob `r` in `engine`, verified against `r`, or `None` if
/// absent.
///
/// # Errors
/// `Corruption` naming the ref if the stored bytes do not hash to it or
/// its location points at nothing; the engine's errors.
pub fn read(engine: &dyn Engine, options: &ReadOptions, r: &BlobRef) -> Result<Option<Vec<u8>>> {
    let Some(loc) = location(engine, options, r)? else {
        return Ok(None);
    };
    let data_options = data_read_options(options, loc.kind);
    let data = engine
        .get(&data_options, &data_key(loc.seq, r))?
        .ok_or_else(|| {
            FsError::corruption(
                format!("blob {r}"),
                format!("its location names copy {} which is missing", loc.seq),
            )
        })?;
    check_hash(r, &data)?;
    Ok(Some(data))
}

/// The options to read the bytes of a blob of `kind` with: `options`, but a
/// data chunk's blocks do not go into the engine's block cache. File
/// contents are most of a store's bytes and are read once per file read;
/// cached, they evict the index blocks (`i:`, `l:`) that every path lookup,
/// `stat` and `readdir` reads again and again (at a million files the
/// current-state index alone is about 200 MB). Schema blobs are small and
/// read on every file read, so they are cached as the caller asks.
pub fn data_read_options(options: &ReadOptions, kind: BlobKind) -> ReadOptions {
    ReadOptions {
        fill_cache: options.fill_cache && kind == BlobKind::Schema,
        ..options.clone()
    }
}

/// Calls `f(ref, location)` for every located blob of `engine` in ref
/// order (reads no blob bytes).
///
/// # Errors
/// `Corruption` for a malformed `l:` entry; the engine's errors; the first
/// error `f` returns.
pub fn for_each_location(
    engine: &dyn Engine,
    options: &ReadOptions,
    mut f: impl FnMut(BlobRef, Location) -> Result<()>,
) -> Result<()> {
    crate::kv::scan_prefix(engine, options, LOCATION_PREFIX, |key, value| {
        let r = parse_location_key(key).ok_or_else(|| {
            FsError::corruption(
                "blob locations",
                format!("key {} is not l:<ref>", hex::encode(key)),
            )
        })?;
        f(r, Location::decode(&r, value)?)?;
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn data_chunks_are_read_without_filling_the_cache() {
        let asked = ReadOptions {
            verify_checksums: true,
            ..ReadOptions::default()
        };
        let data = data_read_options(&asked, BlobKind::Data);
        assert!(!data.fill_cache, "a chunk's blocks stay out of the cache");
        assert!(data.verify_checksums, "the rest is as asked");
        assert!(data_read_options(&asked, BlobKind::Schema).fill_cache);
        let scan = ReadOptions {
            fill_cache: false,
            ..ReadOptions::default()
        };
        assert!(!data_read_options(&scan, BlobKind::Schema).fill_cache);
    }

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
        assert_eq!(BlobRef::from_digest_bytes(r.digest()), Some(r));
        assert_eq!(BlobRef::from_digest_bytes(&[0u8; 31]), None);
    }

    #[test]
    fn keys_and_locations_against_hand_built_bytes() {
        let r = BlobRef::from_digest([0xab; 32]);
        let mut want = b"d:".to_vec();
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x01, 0x02]);
        want.extend_from_slice(&[0xab; 32]);
        assert_eq!(data_key(0x0102, &r).to_vec(), want);
        assert_eq!(parse_data_key(&want), Some((0x0102, r)));
        assert_eq!(parse_data_key(&want[..41]), None);
        let mut want = b"l:".to_vec();
        want.extend_from_slice(&[0xab; 32]);
        assert_eq!(location_key(&r).to_vec(), want);
        assert_eq!(parse_location_key(&want), Some(r));
        assert_eq!(parse_location_key(b"l:short"), None);

        // seq 258 big-endian, length 5 little-endian, kind 1 (schema).
        let bytes = [0, 0, 0, 0, 0, 0, 1, 2, 5, 0, 0, 0, 1];
        let loc = Location {
            seq: 258,
            len: 5,
            kind: BlobKind::Schema,
        };
        assert_eq!(loc.encode(), bytes);
        assert_eq!(Location::decode(&r, &bytes).expect("decode"), loc);
        let mut bad = bytes;
        bad[12] = 7;
        assert!(Location::decode(&r, &bad)
            .expect_err("kind")
            .is_corruption());
        assert!(Location::decode(&r, &bytes[..12])
            .expect_err("length")
            .is_corruption());
        // Sequence numbers sort in byte order.
        assert!(data_key(255, &r) < data_key(256, &r));
    }

    #[test]
    fn kinds_follow_the_schema_header() {
        assert_eq!(BlobKind::of(b"plain bytes"), BlobKind::Data);
        assert_eq!(
            BlobKind::of(br#"{"camliVersion":1,"camliType":"file"}"#),
            BlobKind::Schema
        );
    }
}
