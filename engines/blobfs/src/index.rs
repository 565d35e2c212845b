//! The index: claims by permanode and time, kept in the same engine under
//! `i:`, derived from the blobs alone (so [`crate::reindex`] can rebuild it).
//!
//! Keys (refs are their 71-byte text; dates are [`crate::time::sortable`],
//! 30 bytes, so byte order is time order):
//!
//! | key | value | serves |
//! | --- | --- | --- |
//! | `i:c:<permanode>:<date>:<claim>` | summary | every attribute of a permanode at time T: one range scan up to T |
//! | `i:a:<permanode>:<attribute>\0<date>:<claim>` | summary | one attribute at time T (a `camliPath:NAME` lookup while resolving a path): one range scan |
//! | `i:r:<value ref>:<date>:<claim>` | permanode ref + attribute | reverse: which permanodes point at a blob or permanode (child → parent), for claims whose value is a ref |
//! | `i:p:<permanode>` | signer ref | every permanode whose signature verifies |
//! | `i:root` | root permanode ref | the filesystem's root |
//! | `i:n:`, `i:e:` | current state | the latest state by point lookups (see [`crate::state`]) |
//!
//! A claim blob may be a `multi` claim making several changes (at most one
//! per permanode, and no two with the same ref as value), so `<claim>` in
//! the keys above names the blob and the permanode or value makes each
//! change's keys unique.
//! A summary is `claim type: u8 (1 set, 2 add, 3 del) | has value: u8 |
//! length-prefixed attribute | length-prefixed value (if any)`, enough to
//! fold attributes without reading claim blobs. Attributes may not contain
//! NUL (it ends the attribute in `i:a:` keys).
//!
//! Claims at the same instant are ordered by claim ref; the write path
//! forbids two claims on one (permanode, attribute) at one instant, so that
//! order never changes a result.

use crate::blob::{BlobRef, REF_TEXT_BYTES};
use crate::error::{FsError, Result};
use crate::kv;
use crate::schema::ClaimType;
use crate::time::{self, ClaimTime, SORTABLE_BYTES};
use std::collections::BTreeMap;
use strata_api::coding::{get_length_prefixed_slice, put_length_prefixed_slice};
use strata_api::{Engine, ReadOptions};

/// Prefix of every index key.
pub const INDEX_PREFIX: &[u8] = b"i:";
/// Prefix of claims by permanode and time.
pub const CLAIMS_PREFIX: &[u8] = b"i:c:";
/// Prefix of claims by permanode, attribute and time.
pub const ATTR_PREFIX: &[u8] = b"i:a:";
/// Prefix of reverse entries by value ref and time.
pub const REVERSE_PREFIX: &[u8] = b"i:r:";
/// Prefix of the permanode registry.
pub const PERMANODE_PREFIX: &[u8] = b"i:p:";
/// Key of the root permanode.
pub const ROOT_KEY: &[u8] = b"i:root";

const WHAT: &str = "index";

/// One claim as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedClaim {
    /// The claim blob.
    pub claim_ref: BlobRef,
    /// The permanode it changes.
    pub permanode: BlobRef,
    /// When it takes effect.
    pub date: ClaimTime,
    /// What it does.
    pub claim_type: ClaimType,
    /// The attribute.
    pub attribute: String,
    /// The value, if any.
    pub value: Option<String>,
}

/// Checks that `attribute` can be indexed: non-empty, no NUL.
///
/// # Errors
/// A reason string otherwise.
pub fn check_attribute(attribute: &str) -> std::result::Result<(), String> {
    if attribute.is_empty() || attribute.contains('\0') {
        return Err(format!("attribute {attribute:?} is empty or holds NUL"));
    }
    Ok(())
}

fn ref_bytes(r: &BlobRef) -> Vec<u8> {
    r.to_string().into_bytes()
}

fn permanode_prefix(base: &[u8], pn: &BlobRef) -> Vec<u8> {
    let mut k = base.to_vec();
    k.extend_from_slice(&ref_bytes(pn));
    k.push(b':');
    k
}

fn attribute_prefix(pn: &BlobRef, attribute: &str) -> Vec<u8> {
    let mut k = permanode_prefix(ATTR_PREFIX, pn);
    k.extend_from_slice(attribute.as_bytes());
    k.push(0);
    k
}

fn dated_suffix(k: &mut Vec<u8>, date: ClaimTime, claim: &BlobRef) {
    k.extend_from_slice(time::sortable(date).as_bytes());
    k.push(b':');
    k.extend_from_slice(&ref_bytes(claim));
}

fn encode_summary(c: &IndexedClaim) -> Vec<u8> {
    let mut v = vec![
        match c.claim_type {
            ClaimType::SetAttribute => 1,
            ClaimType::AddAttribute => 2,
            ClaimType::DelAttribute => 3,
        },
        u8::from(c.value.is_some()),
    ];
    put_length_prefixed_slice(&mut v, c.attribute.as_bytes());
    if let Some(value) = &c.value {
        put_length_prefixed_slice(&mut v, value.as_bytes());
    }
    v
}

fn utf8(bytes: &[u8]) -> Result<String> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| FsError::corruption(WHAT, "summary text is not UTF-8"))
}

fn decode_summary(v: &[u8]) -> Result<(ClaimType, String, Option<String>)> {
    let bad = |reason: &str| FsError::corruption(WHAT, format!("bad claim summary: {reason}"));
    if v.len() < 2 {
        return Err(bad("short"));
    }
    let (kind, has_value, rest) = (v[0], v[1], &v[2..]);
    let claim_type = match kind {
        1 => ClaimType::SetAttribute,
        2 => ClaimType::AddAttribute,
        3 => ClaimType::DelAttribute,
        _ => return Err(bad("unknown claim type")),
    };
    let (attr, n) = get_length_prefixed_slice(rest).ok_or_else(|| bad("attribute"))?;
    let rest = &rest[n..];
    let value = match has_value {
        0 if rest.is_empty() => None,
        1 => {
            let (value, m) = get_length_prefixed_slice(rest).ok_or_else(|| bad("value"))?;
            if m != rest.len() {
                return Err(bad("trailing bytes"));
            }
            Some(utf8(value)?)
        }
        _ => return Err(bad("value flag")),
    };
    Ok((claim_type, utf8(attr)?, value))
}

/// Parses `<date>:<claim>` at the end of an index key.
fn decode_dated_tail(key: &[u8]) -> Result<(ClaimTime, BlobRef)> {
    let tail_bytes = SORTABLE_BYTES + 1 + REF_TEXT_BYTES;
    let tail = key
        .len()
        .checked_sub(tail_bytes)
        .map(|at| &key[at..])
        .ok_or_else(|| FsError::corruption(WHAT, "index key too short"))?;
    if tail[SORTABLE_BYTES] != b':' {
        return Err(FsError::corruption(
            WHAT,
            "index key lacks ':' before the claim ref",
        ));
    }
    let date = time::parse_sortable(&tail[..SORTABLE_BYTES], WHAT)?;
    let claim = BlobRef::parse_bytes(&tail[SORTABLE_BYTES + 1..])
        .ok_or_else(|| FsError::corruption(WHAT, "bad claim ref in index key"))?;
    Ok((date, claim))
}

/// The index entries of a verified claim: `i:c:`, `i:a:`, and `i:r:` when
/// its value is a ref.
pub fn claim_entries(c: &IndexedClaim) -> Vec<(Vec<u8>, Vec<u8>)> {
    let summary = encode_summary(c);
    let mut tail = Vec::with_capacity(SORTABLE_BYTES + 1 + REF_TEXT_BYTES);
    dated_suffix(&mut tail, c.date, &c.claim_ref);
    let mut by_time = permanode_prefix(CLAIMS_PREFIX, &c.permanode);
    by_time.extend_from_slice(&tail);
    let mut by_attr = attribute_prefix(&c.permanode, &c.attribute);
    by_attr.extend_from_slice(&tail);
    let mut out = vec![(by_time, summary.clone()), (by_attr, summary)];
    if let Some(target) = c.value.as_deref().and_then(BlobRef::parse) {
        let mut reverse = permanode_prefix(REVERSE_PREFIX, &target);
        reverse.extend_from_slice(&tail);
        let mut value = ref_bytes(&c.permanode);
        value.extend_from_slice(c.attribute.as_bytes());
        out.push((reverse, value));
    }
    out
}

/// The registry entry of a verified permanode.
pub fn permanode_entry(pn: &BlobRef, signer: &BlobRef) -> (Vec<u8>, Vec<u8>) {
    let mut k = PERMANODE_PREFIX.to_vec();
    k.extend_from_slice(&ref_bytes(pn));
    (k, ref_bytes(signer))
}

/// The root entry.
pub fn root_entry(pn: &BlobRef) -> (Vec<u8>, Vec<u8>) {
    (ROOT_KEY.to_vec(), ref_bytes(pn))
}

/// The root permanode, if the store has been initialised.
///
/// # Errors
/// `Corruption` if the entry is not a ref; the engine's errors.
pub fn root(engine: &dyn Engine, options: &ReadOptions) -> Result<Option<BlobRef>> {
    match engine.get(options, ROOT_KEY)? {
        None => Ok(None),
        Some(v) => BlobRef::parse_bytes(&v)
            .map(Some)
            .ok_or_else(|| FsError::corruption(WHAT, "root entry is not a ref")),
    }
}

/// The signer of permanode `pn` if it is registered (its signature
/// verified when it was indexed).
///
/// # Errors
/// `Corruption` if the entry is not a ref; the engine's errors.
pub fn permanode_signer(
    engine: &dyn Engine,
    options: &ReadOptions,
    pn: &BlobRef,
) -> Result<Option<BlobRef>> {
    let (key, _) = permanode_entry(pn, pn);
    match engine.get(options, &key)? {
        None => Ok(None),
        Some(v) => BlobRef::parse_bytes(&v)
            .map(Some)
            .ok_or_else(|| FsError::corruption(WHAT, "permanode entry is not a ref")),
    }
}

fn scan_claims(
    engine: &dyn Engine,
    options: &ReadOptions,
    prefix: &[u8],
    pn: &BlobRef,
    at: Option<ClaimTime>,
) -> Result<Vec<IndexedClaim>> {
    let mut out = Vec::new();
    kv::scan_prefix(engine, options, prefix, |key, value| {
        let (date, claim_ref) = decode_dated_tail(key)?;
        if at.is_some_and(|limit| date > limit) {
            return Ok(false);
        }
        let (claim_type, attribute, value) = decode_summary(value)?;
        out.push(IndexedClaim {
            claim_ref,
            permanode: *pn,
            date,
            claim_type,
            attribute,
            value,
        });
        Ok(true)
    })?;
    Ok(out)
}

/// Every claim on `pn` with a date at or before `at` (all if `None`), in
/// (date, claim ref) order: one range scan of `i:c:`.
///
/// # Errors
/// `Corruption` for an undecodable entry; the engine's errors.
pub fn claims_of(
    engine: &dyn Engine,
    options: &ReadOptions,
    pn: &BlobRef,
    at: Option<ClaimTime>,
) -> Result<Vec<IndexedClaim>> {
    scan_claims(
        engine,
        options,
        &permanode_prefix(CLAIMS_PREFIX, pn),
        pn,
        at,
    )
}

/// The claims on `pn`'s `attribute` up to `at`: one range scan of `i:a:`.
///
/// # Errors
/// As [`claims_of`].
pub fn attribute_claims(
    engine: &dyn Engine,
    options: &ReadOptions,
    pn: &BlobRef,
    attribute: &str,
    at: Option<ClaimTime>,
) -> Result<Vec<IndexedClaim>> {
    scan_claims(engine, options, &attribute_prefix(pn, attribute), pn, at)
}

/// The values of `pn`'s `attribute` at `at`.
///
/// # Errors
/// As [`claims_of`].
pub fn attribute_at(
    engine: &dyn Engine,
    options: &ReadOptions,
    pn: &BlobRef,
    attribute: &str,
    at: Option<ClaimTime>,
) -> Result<Vec<String>> {
    let claims = attribute_claims(engine, options, pn, attribute, at)?;
    Ok(Attributes::fold(&claims).values(attribute).to_vec())
}

fn last_date(
    engine: &dyn Engine,
    options: &ReadOptions,
    prefix: &[u8],
) -> Result<Option<ClaimTime>> {
    match kv::last_with_prefix(engine, options, prefix)? {
        None => Ok(None),
        Some((key, _)) => Ok(Some(decode_dated_tail(&key)?.0)),
    }
}

/// The date of the latest claim on `pn`.
///
/// # Errors
/// As [`claims_of`].
pub fn last_claim_date(
    engine: &dyn Engine,
    options: &ReadOptions,
    pn: &BlobRef,
) -> Result<Option<ClaimTime>> {
    last_date(engine, options, &permanode_prefix(CLAIMS_PREFIX, pn))
}

/// The date of the latest claim on `pn`'s `attribute`.
///
/// # Errors
/// As [`claims_of`].
pub fn last_attribute_date(
    engine: &dyn Engine,
    options: &ReadOptions,
    pn: &BlobRef,
    attribute: &str,
) -> Result<Option<ClaimTime>> {
    last_date(engine, options, &attribute_prefix(pn, attribute))
}

/// Calls `f` for every indexed claim, in (permanode, date, claim) order.
///
/// # Errors
/// As [`claims_of`], and `f`'s first error.
pub fn for_each_claim(
    engine: &dyn Engine,
    options: &ReadOptions,
    mut f: impl FnMut(IndexedClaim) -> Result<()>,
) -> Result<()> {
    kv::scan_prefix(engine, options, CLAIMS_PREFIX, |key, value| {
        let permanode = key
            .get(CLAIMS_PREFIX.len()..CLAIMS_PREFIX.len() + REF_TEXT_BYTES)
            .and_then(BlobRef::parse_bytes)
            .ok_or_else(|| FsError::corruption(WHAT, "claim key lacks a permanode"))?;
        let (date, claim_ref) = decode_dated_tail(key)?;
        let (claim_type, attribute, value) = decode_summary(value)?;
        f(IndexedClaim {
            claim_ref,
            permanode,
            date,
            claim_type,
            attribute,
            value,
        })?;
        Ok(true)
    })
}

/// A key as text for reports: refs held as 32 raw bytes (in `i:n:`,
/// `i:e:`, `l:` and `d:` keys) are shown as `sha256-<hex>`, a sequence
/// number in decimal, and NUL as `\0`.
pub fn key_text(key: &[u8]) -> String {
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).replace('\0', "\\0");
    let digest = |b: &[u8]| BlobRef::from_digest_bytes(b).map(|r| r.to_string());
    for prefix in [crate::state::NODE_PREFIX, crate::state::ENTRY_PREFIX] {
        if let Some(rest) = key.strip_prefix(prefix) {
            if let Some(r) = rest.get(..32).and_then(digest) {
                return format!("{}{r}:{}", lossy(prefix), lossy(&rest[32..]));
            }
        }
    }
    if let Some(r) = crate::blob::parse_location_key(key) {
        return format!("l:{r}");
    }
    if let Some((seq, r)) = crate::blob::parse_data_key(key) {
        return format!("d:{seq}:{r}");
    }
    lossy(key)
}

/// A claim that points at a ref (from the reverse entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    /// When.
    pub date: ClaimTime,
    /// The claim.
    pub claim_ref: BlobRef,
    /// The permanode that pointed.
    pub permanode: BlobRef,
    /// Through which attribute.
    pub attribute: String,
}

/// Every claim (up to `at`) whose value is `target`, in time order. A
/// referrer may have been superseded since; callers check the referrer's
/// attribute at their time.
///
/// # Errors
/// As [`claims_of`].
pub fn referrers(
    engine: &dyn Engine,
    options: &ReadOptions,
    target: &BlobRef,
    at: Option<ClaimTime>,
) -> Result<Vec<Referrer>> {
    let prefix = permanode_prefix(REVERSE_PREFIX, target);
    let mut out = Vec::new();
    kv::scan_prefix(engine, options, &prefix, |key, value| {
        let (date, claim_ref) = decode_dated_tail(key)?;
        if at.is_some_and(|limit| date > limit) {
            return Ok(false);
        }
        let pn = value
            .get(..REF_TEXT_BYTES)
            .and_then(BlobRef::parse_bytes)
            .ok_or_else(|| FsError::corruption(WHAT, "reverse entry lacks a permanode"))?;
        out.push(Referrer {
            date,
            claim_ref,
            permanode: pn,
            attribute: utf8(&value[REF_TEXT_BYTES..])?,
        });
        Ok(true)
    })?;
    Ok(out)
}

/// A permanode's attributes: the fold of its claims in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    values: BTreeMap<String, Vec<String>>,
    last_date: Option<ClaimTime>,
}

impl Attributes {
    /// Folds `claims` (in index order): set replaces, add appends (once),
    /// del removes the value or, without a value, the attribute.
    pub fn fold(claims: &[IndexedClaim]) -> Self {
        let mut a = Attributes::default();
        for c in claims {
            a.apply(c);
        }
        a
    }

    fn apply(&mut self, c: &IndexedClaim) {
        let values = self.values.entry(c.attribute.clone()).or_default();
        crate::state::fold_values(values, c.claim_type, c.value.as_deref());
        if values.is_empty() {
            self.values.remove(&c.attribute);
        }
        self.last_date = Some(self.last_date.map_or(c.date, |d| d.max(c.date)));
    }

    /// Every value of `attribute` (empty if unset).
    pub fn values(&self, attribute: &str) -> &[String] {
        self.values.get(attribute).map_or(&[], Vec::as_slice)
    }

    /// The last value of `attribute`, if set.
    pub fn get(&self, attribute: &str) -> Option<&str> {
        self.values(attribute).last().map(String::as_str)
    }

    /// (attribute minus `prefix`, last value) for every attribute starting
    /// with `prefix`, in attribute order.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.values
            .range(prefix.to_string()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
            .filter_map(move |(k, vs)| Some((&k[prefix.len()..], vs.last()?.as_str())))
    }

    /// The date of the latest claim folded in.
    pub fn last_date(&self) -> Option<ClaimTime> {
        self.last_date
    }

    /// True when no claim has been folded in.
    pub fn is_empty(&self) -> bool {
        self.last_date.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(n: u8, claim_type: ClaimType, attr: &str, value: Option<&str>) -> IndexedClaim {
        IndexedClaim {
            claim_ref: BlobRef::of(&[n]),
            permanode: BlobRef::of(b"pn"),
            date: time::parse_rfc3339(&format!("2024-01-01T00:00:{n:02}Z")).expect("time"),
            claim_type,
            attribute: attr.into(),
            value: value.map(Into::into),
        }
    }

    #[test]
    fn summaries_round_trip_and_keys_sort_by_time() {
        let target = BlobRef::of(b"t").to_string();
        let a = claim(1, ClaimType::SetAttribute, "camliPath:x", Some(&target));
        let b = claim(2, ClaimType::DelAttribute, "camliPath:x", None);
        let ea = claim_entries(&a);
        let eb = claim_entries(&b);
        assert_eq!(ea.len(), 3, "a ref value gets a reverse entry");
        assert_eq!(eb.len(), 2);
        assert!(ea[0].0 < eb[0].0 && ea[1].0 < eb[1].0);
        for (c, e) in [(&a, &ea), (&b, &eb)] {
            let (t, attr, v) = decode_summary(&e[0].1).expect("decode");
            assert_eq!(
                (t, attr, v),
                (c.claim_type, c.attribute.clone(), c.value.clone())
            );
            assert_eq!(
                decode_dated_tail(&e[1].0).expect("tail"),
                (c.date, c.claim_ref)
            );
        }
        assert!(decode_summary(&[9, 0, 0]).is_err());
        assert!(decode_summary(&[1]).is_err());
        assert!(decode_summary(&[1, 1, 1, b'a']).is_err());
    }

    #[test]
    fn fold_applies_set_add_del() {
        let claims = vec![
            claim(1, ClaimType::SetAttribute, "t", Some("a")),
            claim(2, ClaimType::AddAttribute, "t", Some("b")),
            claim(3, ClaimType::AddAttribute, "t", Some("b")),
            claim(4, ClaimType::SetAttribute, "camliPath:z", Some("z")),
            claim(5, ClaimType::DelAttribute, "t", Some("a")),
        ];
        let a = Attributes::fold(&claims);
        assert_eq!(a.values("t"), ["b".to_string()]);
        assert_eq!(
            a.with_prefix("camliPath:").collect::<Vec<_>>(),
            vec![("z", "z")]
        );
        assert_eq!(a.last_date(), Some(claims[4].date));
        let a = Attributes::fold(&[
            claims[0].clone(),
            claim(6, ClaimType::DelAttribute, "t", None),
        ]);
        assert_eq!(a.get("t"), None);
        assert!(check_attribute("a\0b").is_err() && check_attribute("").is_err());
    }
}
