//! Rebuilding the index from the blobs alone, and comparing it with the
//! index in the engine (shared with [`crate::verify`]).
//!
//! Only the store's owner is trusted: a permanode counts if its signature
//! verifies with the owner's key (the `ed25519-public-key` blob named by
//! `owner`); a claim counts if it is signed by the owner, its signature
//! verifies, and its permanode counts. Everything else (a forged or altered
//! claim, a foreign signer, a blob whose bytes do not hash to its ref) is
//! left out of the index and reported as a [`Problem`].

use crate::blob::{check_hash, BlobRef, BLOB_KEY_PREFIX};
use crate::error::Result;
use crate::fs::{ATTR_CONTENT, ATTR_ROOT, ROOT_NAME};
use crate::index::{self, IndexedClaim, INDEX_PREFIX};
use crate::kv;
use crate::schema::{
    self, Claim, ClaimType, FileBlob, Permanode, TYPE_CLAIM, TYPE_FILE, TYPE_PERMANODE,
    TYPE_PUBLIC_KEY,
};
use crate::sign;
use ed25519_dalek::VerifyingKey;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use strata_api::{Engine, ReadOptions, WriteBatch, WriteOptions};

/// Something wrong with one object (a blob, a claim, an index key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What it is about: `blob sha256-…`, `claim sha256-…`, `index key …`.
    pub object: String,
    /// What is wrong, and what was done about it.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.object, self.reason)
    }
}

fn problem(object: String, reason: impl Into<String>) -> Problem {
    Problem {
        object,
        reason: reason.into(),
    }
}

/// The index as the blobs imply it.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// Every index entry, by key.
    pub entries: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Blobs and claims left out, and broken references.
    pub problems: Vec<Problem>,
    /// Blobs scanned.
    pub blobs: u64,
    /// Their bytes.
    pub blob_bytes: u64,
    /// Permanodes indexed.
    pub permanodes: u64,
    /// Claims indexed.
    pub claims: u64,
}

struct Scan {
    good: HashSet<BlobRef>,
    owner_key: Option<VerifyingKey>,
    permanodes: Vec<(BlobRef, Vec<u8>)>,
    claims: Vec<(BlobRef, Vec<u8>)>,
    files: HashMap<BlobRef, Vec<u8>>,
}

fn scan_blobs(
    engine: &dyn Engine,
    ro: &ReadOptions,
    owner: &BlobRef,
    out: &mut Rebuilt,
) -> Result<Scan> {
    let mut scan = Scan {
        good: HashSet::new(),
        owner_key: None,
        permanodes: Vec::new(),
        claims: Vec::new(),
        files: HashMap::new(),
    };
    kv::scan_prefix(engine, ro, BLOB_KEY_PREFIX, |key, data| {
        out.blobs += 1;
        out.blob_bytes += data.len() as u64;
        let text = &key[BLOB_KEY_PREFIX.len()..];
        let Some(r) = BlobRef::parse_bytes(text) else {
            out.problems.push(problem(
                format!("blob key {}", index::key_text(key)),
                "not b:<ref>; ignored",
            ));
            return Ok(true);
        };
        if let Err(e) = check_hash(&r, data) {
            out.problems
                .push(problem(format!("blob {r}"), format!("{e}; ignored")));
            return Ok(true);
        }
        scan.good.insert(r);
        match schema::camli_type(data).as_deref() {
            Some(TYPE_PERMANODE) => scan.permanodes.push((r, data.to_vec())),
            Some(TYPE_CLAIM) => scan.claims.push((r, data.to_vec())),
            Some(TYPE_FILE) => {
                scan.files.insert(r, data.to_vec());
            }
            Some(TYPE_PUBLIC_KEY) if r == *owner => match sign::parse_public_key(data) {
                Ok(key) => scan.owner_key = Some(key),
                Err(reason) => out.problems.push(problem(format!("blob {r}"), reason)),
            },
            _ => {}
        }
        Ok(true)
    })?;
    Ok(scan)
}

fn verified_payload(
    key: Option<&VerifyingKey>,
    owner: &BlobRef,
    data: &[u8],
    signer_text: impl FnOnce(&[u8]) -> Option<String>,
) -> std::result::Result<Vec<u8>, String> {
    let key = key.ok_or_else(|| format!("owner's public key blob {owner} is missing or bad"))?;
    let (payload, _) = sign::split_signed(data)?;
    let signer = signer_text(&payload).ok_or("payload does not parse")?;
    if signer != owner.to_string() {
        return Err(format!(
            "signed by {signer}, not by the store's owner {owner}"
        ));
    }
    sign::verify_signed(data, key)
}

fn check_claim(
    claim: &Claim,
    valid_permanodes: &HashSet<BlobRef>,
) -> std::result::Result<(BlobRef, crate::time::ClaimTime), String> {
    if claim.camli_version != schema::CAMLI_VERSION || claim.camli_type != TYPE_CLAIM {
        return Err("not a version-1 claim".into());
    }
    let (pn, date) = claim.parsed()?;
    if !valid_permanodes.contains(&pn) {
        return Err(format!("its permanode {pn} is missing or not valid"));
    }
    index::check_attribute(&claim.attribute)?;
    Ok((pn, date))
}

/// Rebuilds the index of `engine`'s blobs for store owner `owner` (the ref
/// of the owner's public-key blob).
///
/// # Errors
/// The engine's errors (bad blobs and claims are [`Problem`]s, not errors).
pub fn rebuild(engine: &dyn Engine, ro: &ReadOptions, owner: &BlobRef) -> Result<Rebuilt> {
    let mut out = Rebuilt::default();
    let scan = scan_blobs(engine, ro, owner, &mut out)?;
    let key = scan.owner_key.as_ref();

    let mut valid_permanodes = HashSet::new();
    for (r, data) in &scan.permanodes {
        let checked = verified_payload(key, owner, data, |p| {
            serde_json::from_slice::<Permanode>(p)
                .ok()
                .map(|pn| pn.camli_signer)
        });
        match checked {
            Ok(_) => {
                valid_permanodes.insert(*r);
                let (k, v) = index::permanode_entry(r, owner);
                out.entries.insert(k, v);
                out.permanodes += 1;
            }
            Err(reason) => out.problems.push(problem(
                format!("permanode {r}"),
                format!("{reason}; ignored"),
            )),
        }
    }

    let mut root: Option<(crate::time::ClaimTime, BlobRef, BlobRef)> = None;
    let mut contents = Vec::new();
    for (r, data) in &scan.claims {
        let checked = verified_payload(key, owner, data, |p| {
            serde_json::from_slice::<Claim>(p)
                .ok()
                .map(|c| c.camli_signer)
        })
        .and_then(|payload| {
            let claim: Claim = serde_json::from_slice(&payload).map_err(|e| e.to_string())?;
            let (pn, date) = check_claim(&claim, &valid_permanodes)?;
            Ok((claim, pn, date))
        });
        let (claim, pn, date) = match checked {
            Ok(ok) => ok,
            Err(reason) => {
                out.problems
                    .push(problem(format!("claim {r}"), format!("{reason}; ignored")));
                continue;
            }
        };
        if claim.claim_type == ClaimType::SetAttribute
            && claim.attribute == ATTR_ROOT
            && claim.value.as_deref() == Some(ROOT_NAME)
            && !matches!(root, Some((d, c, _)) if (d, c) <= (date, *r))
        {
            root = Some((date, *r, pn));
        }
        if claim.attribute == ATTR_CONTENT {
            if let Some(v) = claim.value.as_deref() {
                contents.push((pn, v.to_string()));
            }
        }
        let indexed = IndexedClaim {
            claim_ref: *r,
            permanode: pn,
            date,
            claim_type: claim.claim_type,
            attribute: claim.attribute,
            value: claim.value,
        };
        out.entries.extend(index::claim_entries(&indexed));
        out.claims += 1;
    }
    if let Some((_, _, pn)) = root {
        let (k, v) = index::root_entry(&pn);
        out.entries.insert(k, v);
    }
    check_contents(&scan, &contents, &mut out);
    Ok(out)
}

/// Reports every file version whose `file` blob or chunks are missing or
/// corrupt (once per file blob).
fn check_contents(scan: &Scan, contents: &[(BlobRef, String)], out: &mut Rebuilt) {
    let mut seen = HashSet::new();
    for (pn, value) in contents {
        let Some(file_ref) = BlobRef::parse(value) else {
            out.problems.push(problem(
                format!("permanode {pn}"),
                format!("camliContent '{value}' is not a ref"),
            ));
            continue;
        };
        if !seen.insert(file_ref) {
            continue;
        }
        let Some(data) = scan.files.get(&file_ref) else {
            out.problems.push(problem(
                format!("file {file_ref}"),
                format!("content of permanode {pn} is missing or corrupt"),
            ));
            continue;
        };
        let parts = FileBlob::parse(&file_ref, data).and_then(|f| f.checked_parts(&file_ref));
        match parts {
            Ok(parts) => {
                for (part, _) in parts.parts.iter().filter(|(p, _)| !scan.good.contains(p)) {
                    out.problems.push(problem(
                        format!("file {file_ref}"),
                        format!("chunk {part} (of permanode {pn}) is missing or corrupt"),
                    ));
                }
            }
            Err(e) => out
                .problems
                .push(problem(format!("file {file_ref}"), e.to_string())),
        }
    }
}

/// How the index in the engine differs from the rebuilt one.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IndexDiff {
    /// Entries the engine lacks (key, expected value).
    pub missing: Vec<(Vec<u8>, Vec<u8>)>,
    /// Entries the engine has that the blobs do not imply.
    pub extra: Vec<Vec<u8>>,
    /// Entries whose value differs (key, expected value).
    pub different: Vec<(Vec<u8>, Vec<u8>)>,
}

impl IndexDiff {
    /// True when the index matches.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.different.is_empty()
    }

    /// One [`Problem`] per differing entry.
    pub fn problems(&self) -> Vec<Problem> {
        let key = |k: &[u8]| format!("index key {}", index::key_text(k));
        let mut out = Vec::new();
        out.extend(self.missing.iter().map(|(k, _)| problem(key(k), "missing")));
        out.extend(
            self.extra
                .iter()
                .map(|k| problem(key(k), "not implied by any valid blob (forged or stale)")),
        );
        out.extend(
            self.different
                .iter()
                .map(|(k, _)| problem(key(k), "value differs")),
        );
        out
    }
}

/// Compares the `i:` entries in `engine` with `expected`.
///
/// # Errors
/// The engine's errors.
pub fn diff(
    engine: &dyn Engine,
    ro: &ReadOptions,
    expected: &BTreeMap<Vec<u8>, Vec<u8>>,
) -> Result<IndexDiff> {
    let mut d = IndexDiff::default();
    let mut seen = HashSet::new();
    kv::scan_prefix(engine, ro, INDEX_PREFIX, |key, value| {
        match expected.get(key) {
            None => d.extra.push(key.to_vec()),
            Some(v) if v.as_slice() != value => d.different.push((key.to_vec(), v.clone())),
            Some(_) => {}
        }
        seen.insert(key.to_vec());
        Ok(true)
    })?;
    d.missing = expected
        .iter()
        .filter(|(k, _)| !seen.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(d)
}

/// What a reindex did.
#[derive(Debug, Default)]
pub struct ReindexReport {
    /// Blobs scanned.
    pub blobs: u64,
    /// Permanodes indexed.
    pub permanodes: u64,
    /// Claims indexed.
    pub claims: u64,
    /// Entries written (missing or different before).
    pub entries_written: u64,
    /// Entries deleted (not implied by the blobs).
    pub entries_deleted: u64,
    /// Blobs and claims left out, and broken references.
    pub problems: Vec<Problem>,
}

/// Entries per engine batch while repairing the index.
const REPAIR_BATCH_ENTRIES: usize = 4096;

/// Rebuilds the index of `engine` from its blobs for owner `owner` and
/// makes the `i:` entries equal to it (writing what is missing or
/// different, deleting the rest). Interrupted, it can simply be run again.
///
/// # Errors
/// The engine's errors.
pub fn reindex(engine: &dyn Engine, owner: &BlobRef, sync: bool) -> Result<ReindexReport> {
    let ro = ReadOptions::default();
    let rebuilt = rebuild(engine, &ro, owner)?;
    let d = diff(engine, &ro, &rebuilt.entries)?;
    let mut batch = WriteBatch::new();
    let options = WriteOptions::with_sync(sync);
    let flush = |batch: &mut WriteBatch, force: bool| -> Result<()> {
        if !batch.is_empty() && (force || batch.count() as usize >= REPAIR_BATCH_ENTRIES) {
            engine.write(&options, batch)?;
            batch.clear();
        }
        Ok(())
    };
    for (k, v) in d.missing.iter().chain(d.different.iter()) {
        batch.put(k, v);
        flush(&mut batch, false)?;
    }
    for k in &d.extra {
        batch.delete(k);
        flush(&mut batch, false)?;
    }
    flush(&mut batch, true)?;
    Ok(ReindexReport {
        blobs: rebuilt.blobs,
        permanodes: rebuilt.permanodes,
        claims: rebuilt.claims,
        entries_written: (d.missing.len() + d.different.len()) as u64,
        entries_deleted: d.extra.len() as u64,
        problems: rebuilt.problems,
    })
}
