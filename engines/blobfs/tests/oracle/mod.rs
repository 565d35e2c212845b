//! The in-memory rebuild that `verify` and `reindex` used before they
//! streamed (kept as a test oracle: every blob, claim and index entry held
//! in maps, so it is simple and independent of the external sorts). Tests
//! compare the streaming answer with this one.

#![allow(dead_code)]

use ed25519_dalek::VerifyingKey;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use strata_api::{Engine, ReadOptions};
use strata_blobfs::blob::{
    check_hash, location_key, parse_data_key, parse_location_key, BlobKind, BlobRef, Location,
    DATA_PREFIX, LOCATION_PREFIX,
};
use strata_blobfs::fs::{ATTR_CONTENT, ATTR_PATH_PREFIX, ATTR_ROOT, DEFAULT_FILE_MODE, ROOT_NAME};
use strata_blobfs::index::{self, IndexedClaim, INDEX_PREFIX};
use strata_blobfs::kv;
use strata_blobfs::schema::{
    self, ClaimType, FileBlob, ParsedClaim, Permanode, TYPE_CLAIM, TYPE_FILE, TYPE_PERMANODE,
    TYPE_PUBLIC_KEY,
};
use strata_blobfs::sign;
use strata_blobfs::state::{self, FileInfo, NodeState};
use strata_blobfs::time::ClaimTime;
use strata_blobfs::Result;

/// The crate's own problem type: the oracle and the streaming rebuild
/// report the same thing.
pub use strata_blobfs::reindex::Problem;

fn problem(object: String, reason: impl Into<String>) -> Problem {
    Problem {
        object,
        reason: reason.into(),
    }
}

/// The index as the blobs imply it.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// Every index entry (`i:`) and blob location (`l:`), by key.
    pub entries: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Blobs and claims left out, and broken references.
    pub problems: Vec<Problem>,
    /// Blobs scanned (distinct refs).
    pub blobs: u64,
    /// Their bytes.
    pub blob_bytes: u64,
    /// Permanodes indexed.
    pub permanodes: u64,
    /// Claims indexed (changes: a multi claim counts each).
    pub claims: u64,
    /// Extra copies of blobs stored twice (by concurrent writers), by ref:
    /// their sequence numbers. Harmless; a location may name any copy.
    pub duplicate_copies: HashMap<BlobRef, Vec<u64>>,
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
    // Refs whose located copy (so far) does not verify.
    let mut located_bad = HashSet::new();
    kv::scan_prefix(engine, ro, DATA_PREFIX, |key, data| {
        let Some((seq, r)) = parse_data_key(key) else {
            out.problems.push(problem(
                format!("blob key {}", index::key_text(key)),
                "not d:<seq><ref>; ignored",
            ));
            return Ok(true);
        };
        let good = match check_hash(&r, data) {
            Ok(()) => true,
            Err(e) => {
                out.problems
                    .push(problem(format!("blob {r}"), format!("{e}; ignored")));
                false
            }
        };
        // The location names the first good copy, or the first copy if
        // none is good (so that reads report it corrupt, not missing).
        let loc = Location {
            seq,
            len: u32::try_from(data.len()).unwrap_or(u32::MAX),
            kind: BlobKind::of(data),
        };
        let lkey = location_key(&r).to_vec();
        if !out.entries.contains_key(&lkey) {
            out.blobs += 1;
            out.blob_bytes += data.len() as u64;
            out.entries.insert(lkey, loc.encode().to_vec());
            if !good {
                located_bad.insert(r);
            }
        } else if good && located_bad.remove(&r) {
            out.entries.insert(lkey, loc.encode().to_vec());
        } else {
            out.duplicate_copies.entry(r).or_default().push(seq);
        }
        if !good || !scan.good.insert(r) {
            return Ok(true);
        }
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

#[derive(Deserialize)]
struct SignerOnly {
    #[serde(rename = "camliSigner")]
    camli_signer: String,
}

fn verified_payload(
    key: Option<&VerifyingKey>,
    owner: &BlobRef,
    data: &[u8],
) -> std::result::Result<Vec<u8>, String> {
    let key = key.ok_or_else(|| format!("owner's public key blob {owner} is missing or bad"))?;
    let (payload, _) = sign::split_signed(data)?;
    let signer = serde_json::from_slice::<SignerOnly>(&payload)
        .map_err(|_| "payload does not parse")?
        .camli_signer;
    if signer != owner.to_string() {
        return Err(format!(
            "signed by {signer}, not by the store's owner {owner}"
        ));
    }
    sign::verify_signed(data, key)
}

fn check_permanode(payload: &[u8]) -> std::result::Result<(), String> {
    let pn: Permanode = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    if pn.camli_version != schema::CAMLI_VERSION || pn.camli_type != TYPE_PERMANODE {
        return Err("not a version-1 permanode".into());
    }
    Ok(())
}

/// The verified changes of claim blob `data`: all of them, or an error if
/// any is not valid (a claim is accepted or refused whole).
fn checked_claim(
    key: Option<&VerifyingKey>,
    owner: &BlobRef,
    data: &[u8],
    valid_permanodes: &HashSet<BlobRef>,
) -> std::result::Result<ParsedClaim, String> {
    let payload = verified_payload(key, owner, data)?;
    let parsed = schema::parse_claim(&payload)?;
    if let Some(c) = parsed
        .changes
        .iter()
        .find(|c| !valid_permanodes.contains(&c.permanode))
    {
        return Err(format!(
            "its permanode {} is missing or not valid",
            c.permanode
        ));
    }
    Ok(parsed)
}

/// The length and mode of file blob `r`, if it is a valid one.
fn file_info(scan: &Scan, r: &BlobRef) -> Option<FileInfo> {
    let file = FileBlob::parse(r, scan.files.get(r)?).ok()?;
    let parts = file.checked_parts(r).ok()?;
    Some(FileInfo {
        size_bytes: parts.size_bytes,
        mode: file.mode().unwrap_or(DEFAULT_FILE_MODE),
    })
}

/// The current state (`i:n:`, `i:e:`) implied by `claims`, sorted by
/// (permanode, date, claim).
fn current_state(scan: &Scan, claims: &[IndexedClaim], out: &mut Rebuilt) {
    for group in claims.chunk_by(|a, b| a.permanode == b.permanode) {
        let pn = group[0].permanode;
        let mut node = NodeState::default();
        let mut entries: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for c in group {
            match c.attribute.strip_prefix(ATTR_PATH_PREFIX) {
                Some(name) => {
                    let values = entries.entry(name).or_default();
                    state::fold_values(values, c.claim_type, c.value.as_deref());
                    node.touch(c.date);
                }
                None => node.apply(c.date, c.claim_type, &c.attribute, c.value.as_deref()),
            }
        }
        node.file = node
            .get(ATTR_CONTENT)
            .and_then(BlobRef::parse)
            .and_then(|r| file_info(scan, &r));
        out.entries
            .insert(state::node_key(&pn), state::encode_node(&node));
        for (name, values) in entries.into_iter().filter(|(_, v)| !v.is_empty()) {
            out.entries
                .insert(state::entry_key(&pn, name), state::encode_entry(&values));
        }
    }
}

/// Rebuilds the index of `engine`'s blobs for store owner `owner` (the ref
/// of the owner's public-key blob): the claim index, the current state and
/// the blob locations.
///
/// # Errors
/// The engine's errors (bad blobs and claims are [`Problem`]s, not errors).
pub fn rebuild(engine: &dyn Engine, ro: &ReadOptions, owner: &BlobRef) -> Result<Rebuilt> {
    let mut out = Rebuilt::default();
    let scan = scan_blobs(engine, ro, owner, &mut out)?;
    let key = scan.owner_key.as_ref();

    let mut valid_permanodes = HashSet::new();
    for (r, data) in &scan.permanodes {
        match verified_payload(key, owner, data).and_then(|p| check_permanode(&p)) {
            Ok(()) => {
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

    let mut root: Option<(ClaimTime, BlobRef, BlobRef)> = None;
    let mut contents = Vec::new();
    let mut indexed = Vec::new();
    for (r, data) in &scan.claims {
        let parsed = match checked_claim(key, owner, data, &valid_permanodes) {
            Ok(parsed) => parsed,
            Err(reason) => {
                out.problems
                    .push(problem(format!("claim {r}"), format!("{reason}; ignored")));
                continue;
            }
        };
        for c in parsed.changes {
            if c.claim_type == ClaimType::SetAttribute
                && c.attribute == ATTR_ROOT
                && c.value.as_deref() == Some(ROOT_NAME)
                && !matches!(root, Some((d, cr, _)) if (d, cr) <= (parsed.date, *r))
            {
                root = Some((parsed.date, *r, c.permanode));
            }
            if c.attribute == ATTR_CONTENT {
                if let Some(v) = c.value.as_deref() {
                    contents.push((c.permanode, v.to_string()));
                }
            }
            let claim = IndexedClaim {
                claim_ref: *r,
                permanode: c.permanode,
                date: parsed.date,
                claim_type: c.claim_type,
                attribute: c.attribute,
                value: c.value,
            };
            out.entries.extend(index::claim_entries(&claim));
            out.claims += 1;
            indexed.push(claim);
        }
    }
    if let Some((_, _, pn)) = root {
        let (k, v) = index::root_entry(&pn);
        out.entries.insert(k, v);
    }
    indexed.sort_by(|a, b| {
        (a.permanode, a.date, a.claim_ref).cmp(&(b.permanode, b.date, b.claim_ref))
    });
    current_state(&scan, &indexed, &mut out);
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

/// Compares the `i:` entries and blob locations (`l:`) in `engine` with
/// `rebuilt`'s. A location that names another good copy of its blob
/// (see [`Rebuilt::duplicate_copies`]) is not a difference.
///
/// # Errors
/// The engine's errors.
pub fn diff(engine: &dyn Engine, ro: &ReadOptions, rebuilt: &Rebuilt) -> Result<IndexDiff> {
    let expected = &rebuilt.entries;
    let mut d = IndexDiff::default();
    let mut seen = HashSet::new();
    for prefix in [INDEX_PREFIX, LOCATION_PREFIX] {
        kv::scan_prefix(engine, ro, prefix, |key, value| {
            match expected.get(key) {
                None => d.extra.push(key.to_vec()),
                Some(v) if v.as_slice() != value && !names_a_copy(rebuilt, key, value) => {
                    d.different.push((key.to_vec(), v.clone()))
                }
                Some(_) => {}
            }
            seen.insert(key.to_vec());
            Ok(true)
        })?;
    }
    d.missing = expected
        .iter()
        .filter(|(k, _)| !seen.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(d)
}

/// True when `key` is a location whose `value` names a good duplicate copy
/// of its blob (with the expected length and kind).
fn names_a_copy(rebuilt: &Rebuilt, key: &[u8], value: &[u8]) -> bool {
    let Some(r) = parse_location_key(key) else {
        return false;
    };
    let (Ok(actual), Some(Ok(expected))) = (
        Location::decode(&r, value),
        rebuilt.entries.get(key).map(|v| Location::decode(&r, v)),
    ) else {
        return false;
    };
    (actual.len, actual.kind) == (expected.len, expected.kind)
        && rebuilt
            .duplicate_copies
            .get(&r)
            .is_some_and(|seqs| seqs.contains(&actual.seq))
}
