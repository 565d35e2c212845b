//! The first pass of a rebuild: every `d:` copy once, in key order. Each
//! copy is re-hashed and every good schema blob of interest is checked on
//! the spot (a permanode's or claim's signature, a file's parts); what the
//! later passes need goes into sorts keyed by ref and sequence number, so
//! that they can keep the first good copy of each blob.

use super::codec::{claim_type_code, put_bytes, put_time};
use super::sorter::Sorted;
use super::{problem, Ctx, Phase, Problems};
use crate::blob::DATA_PREFIX;
use crate::blob::{check_hash, data_key, location_key, parse_data_key, BlobRef, Location};
use crate::error::Result;
use crate::fs::DEFAULT_FILE_MODE;
use crate::index;
use crate::kv;
use crate::schema::{self, FileBlob, TYPE_CLAIM, TYPE_FILE, TYPE_PERMANODE, TYPE_PUBLIC_KEY};
use crate::sign;
use ed25519_dalek::VerifyingKey;
use serde::Deserialize;
use strata_api::{Engine, ReadOptions};

/// Record value: checked and good.
pub const OK: u8 = 0;
/// Record value: refused, a reason follows.
pub const REFUSED: u8 = 1;

/// What the first pass leaves for the others. Every key is the blob's 32
/// digest bytes and its sequence number (8 bytes, big-endian).
pub struct Scanned<'s> {
    /// Every copy: `len: u32 | kind: u8 | good: u8`.
    pub copies: Sorted<'s>,
    /// Good permanode copies: [`OK`], or [`REFUSED`] and a reason.
    pub permanodes: Sorted<'s>,
    /// Good claim copies: [`OK`], date, count, then per change the
    /// permanode, type, attribute and optional value; or [`REFUSED`].
    pub claims: Sorted<'s>,
    /// Good file copies: [`OK`], size u64, mode u32, count u32, then the
    /// parts' digests; or [`REFUSED`] and a reason.
    pub files: Sorted<'s>,
}

/// The owner's public key, from any good copy of blob `owner`: through its
/// location first, else by a scan of the copies. `None` when there is no
/// good copy or it is not a public key.
///
/// # Errors
/// The engine's errors.
pub fn owner_key(
    engine: &dyn Engine,
    ro: &ReadOptions,
    owner: &BlobRef,
) -> Result<Option<VerifyingKey>> {
    let parse = |data: &[u8]| match schema::camli_type(data).as_deref() {
        Some(TYPE_PUBLIC_KEY) => sign::parse_public_key(data).ok(),
        _ => None,
    };
    if let Some(v) = engine.get(ro, &location_key(owner))? {
        if let Ok(loc) = Location::decode(owner, &v) {
            if let Some(data) = engine.get(ro, &data_key(loc.seq, owner))? {
                if check_hash(owner, &data).is_ok() {
                    return Ok(parse(&data));
                }
            }
        }
    }
    let mut found = None;
    kv::scan_prefix(engine, ro, DATA_PREFIX, |key, data| {
        if parse_data_key(key).is_some_and(|(_, r)| r == *owner) && check_hash(owner, data).is_ok()
        {
            found = Some(parse(data));
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(found.flatten())
}

#[derive(Deserialize)]
struct SignerOnly {
    #[serde(rename = "camliSigner")]
    camli_signer: String,
}

/// The signed payload of `data` if the store's owner signed it.
pub fn verified_payload(
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
    let pn: schema::Permanode = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    if pn.camli_version != schema::CAMLI_VERSION || pn.camli_type != TYPE_PERMANODE {
        return Err("not a version-1 permanode".into());
    }
    Ok(())
}

fn refused(reason: &str) -> Vec<u8> {
    let mut v = vec![REFUSED];
    put_bytes(&mut v, reason.as_bytes());
    v
}

fn permanode_record(key: Option<&VerifyingKey>, owner: &BlobRef, data: &[u8]) -> Vec<u8> {
    match verified_payload(key, owner, data).and_then(|p| check_permanode(&p)) {
        Ok(()) => vec![OK],
        Err(reason) => refused(&reason),
    }
}

fn claim_record(key: Option<&VerifyingKey>, owner: &BlobRef, data: &[u8]) -> Vec<u8> {
    let parsed = match verified_payload(key, owner, data).and_then(|p| schema::parse_claim(&p)) {
        Ok(parsed) => parsed,
        Err(reason) => return refused(&reason),
    };
    let mut v = vec![OK];
    put_time(&mut v, parsed.date);
    v.extend_from_slice(&(parsed.changes.len() as u32).to_le_bytes());
    for c in &parsed.changes {
        v.extend_from_slice(c.permanode.digest());
        v.push(claim_type_code(c.claim_type));
        put_bytes(&mut v, c.attribute.as_bytes());
        match &c.value {
            None => v.push(0),
            Some(value) => {
                v.push(1);
                put_bytes(&mut v, value.as_bytes());
            }
        }
    }
    v
}

fn file_record(r: &BlobRef, data: &[u8]) -> Vec<u8> {
    let checked = FileBlob::parse(r, data).and_then(|f| Ok((f.checked_parts(r)?, f.mode())));
    match checked {
        Ok((parts, mode)) => {
            let mut v = vec![OK];
            v.extend_from_slice(&parts.size_bytes.to_le_bytes());
            v.extend_from_slice(&mode.unwrap_or(DEFAULT_FILE_MODE).to_le_bytes());
            v.extend_from_slice(&(parts.parts.len() as u32).to_le_bytes());
            for (part, _) in &parts.parts {
                v.extend_from_slice(part.digest());
            }
            v
        }
        Err(e) => refused(&e.to_string()),
    }
}

/// A signed blob for the checker thread.
struct Signed {
    /// `digest ‖ seq`.
    key: [u8; 40],
    permanode: bool,
    data: Vec<u8>,
}

/// Signed blobs in flight, and their bytes (counted on the meter).
#[derive(Default)]
struct Batch {
    blobs: Vec<Signed>,
    bytes: usize,
}

/// Checks the signatures of the permanodes and claims it is handed (the
/// most expensive part of the scan: about two thirds of it), on a thread
/// of its own.
fn check_signed<'s>(
    batches: std::sync::mpsc::Receiver<Batch>,
    key: Option<&VerifyingKey>,
    owner: &BlobRef,
    ctx: &'s Ctx,
) -> Result<(Sorted<'s>, Sorted<'s>)> {
    let mut permanodes = ctx.sorter();
    let mut claims = ctx.sorter();
    for batch in batches {
        for b in &batch.blobs {
            if b.permanode {
                permanodes.push(&b.key, &permanode_record(key, owner, &b.data))?;
            } else {
                claims.push(&b.key, &claim_record(key, owner, &b.data))?;
            }
        }
        ctx.meter.sub(batch.bytes);
    }
    Ok((permanodes.finish()?, claims.finish()?))
}

/// The first pass (see the module documentation). Signatures are checked
/// on a second thread while this one reads and hashes.
///
/// # Errors
/// The engine's errors; `Io` writing the sorts.
pub fn scan_blobs<'s>(
    engine: &dyn Engine,
    ro: &ReadOptions,
    owner: &BlobRef,
    key: Option<&VerifyingKey>,
    ctx: &'s Ctx,
    problems: &mut Problems,
) -> Result<Scanned<'s>> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(1);
        let checker = scope.spawn(move || check_signed(rx, key, owner, ctx));
        let read = read_blobs(engine, ro, owner, ctx, problems, tx);
        let signed = checker
            .join()
            .expect("the signature checker does not panic");
        let (copies, files) = read?;
        let (permanodes, claims) = signed?;
        Ok(Scanned {
            copies,
            permanodes,
            claims,
            files,
        })
    })
}

/// The reading side of [`scan_blobs`]: every copy re-hashed and recorded,
/// file blobs checked, signed blobs sent to the checker.
fn read_blobs<'s>(
    engine: &dyn Engine,
    ro: &ReadOptions,
    owner: &BlobRef,
    ctx: &'s Ctx,
    problems: &mut Problems,
    to_checker: std::sync::mpsc::SyncSender<Batch>,
) -> Result<(Sorted<'s>, Sorted<'s>)> {
    let mut copies = ctx.sorter();
    let mut files = ctx.sorter();
    let mut batch = Batch::default();
    let mut checker_gone = false;
    let mut owner_seen = false;
    let mut ordinal = 0u64;
    let mut rk = [0u8; 40];
    kv::scan_prefix(engine, ro, DATA_PREFIX, |k, data| {
        ordinal += 1;
        let Some((seq, r)) = parse_data_key(k) else {
            problems.push(
                (Phase::Blobs, ordinal, 0, 0),
                problem(
                    format!("blob key {}", index::key_text(k)),
                    "not d:<seq><ref>; ignored",
                ),
            );
            return Ok(true);
        };
        let good = match check_hash(&r, data) {
            Ok(()) => true,
            Err(e) => {
                problems.push(
                    (Phase::Blobs, ordinal, 0, 0),
                    problem(format!("blob {r}"), format!("{e}; ignored")),
                );
                false
            }
        };
        rk[..32].copy_from_slice(r.digest());
        rk[32..].copy_from_slice(&seq.to_be_bytes());
        let camli_type = schema::camli_type(data);
        let mut copy = [0u8; 6];
        copy[..4].copy_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
        copy[4] = u8::from(camli_type.is_some());
        copy[5] = u8::from(good);
        copies.push(&rk, &copy)?;
        if !good {
            return Ok(true);
        }
        match camli_type.as_deref() {
            Some(t @ (TYPE_PERMANODE | TYPE_CLAIM)) => {
                ctx.meter.add(data.len());
                batch.bytes += data.len();
                batch.blobs.push(Signed {
                    key: rk,
                    permanode: t == TYPE_PERMANODE,
                    data: data.to_vec(),
                });
                if batch.bytes >= ctx.budget.batch_bytes {
                    // A send fails only when the checker stopped on an
                    // error, which joining it reports.
                    checker_gone = to_checker.send(std::mem::take(&mut batch)).is_err();
                    return Ok(!checker_gone);
                }
            }
            Some(TYPE_FILE) => files.push(&rk, &file_record(&r, data))?,
            Some(TYPE_PUBLIC_KEY) if r == *owner && !owner_seen => {
                owner_seen = true;
                if let Err(reason) = sign::parse_public_key(data) {
                    problems.push(
                        (Phase::Blobs, ordinal, 0, 0),
                        problem(format!("blob {r}"), reason),
                    );
                }
            }
            _ => {}
        }
        Ok(true)
    })?;
    if !checker_gone && !batch.blobs.is_empty() {
        // As above: a failed send is reported by the join.
        let _ = to_checker.send(batch);
    }
    drop(to_checker);
    Ok((copies.finish()?, files.finish()?))
}
