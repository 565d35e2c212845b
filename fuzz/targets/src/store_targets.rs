//! Targets over blobfs's formats: schema blobs, signed claims, and the
//! claim index entries derived from them.

use crate::index_engine::IndexEngine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;
use std::sync::OnceLock;
use strata_api::coding::get_length_prefixed_slice;
use strata_api::ReadOptions;
use strata_blobfs::index::{self, Attributes, IndexedClaim, Referrer};
use strata_blobfs::schema::{
    self, Claim, DirectoryBlob, FileBlob, Permanode, PublicKey, StaticSet, CAMLI_VERSION,
    TYPE_CLAIM,
};
use strata_blobfs::time::{self, ClaimTime};
use strata_blobfs::{sign, BlobRef, Signer};

/// Parses `data` as a `T`; one that parses must encode canonically and
/// parse back to itself.
fn json_round_trip<T>(data: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let r = BlobRef::of(data);
    let value: T = schema::parse_json(&r, data).ok()?;
    let encoded = schema::to_canonical(&value).expect("schema values encode");
    let back: T =
        schema::parse_json(&BlobRef::of(&encoded), &encoded).expect("a canonical encoding parses");
    assert_eq!(back, value, "schema JSON round trip");
    Some(value)
}

/// An RFC 3339 time that parsed must print and parse back to the same
/// instant, and its sortable form (what index keys hold) must be
/// [`time::SORTABLE_BYTES`] long and parse back to it too.
fn check_time(t: ClaimTime) {
    let text = time::to_rfc3339(t);
    let back = time::parse_rfc3339(&text).expect("a printed time parses");
    assert_eq!(back, t, "RFC 3339 round trip of {text}");
    let sortable = time::sortable(t);
    assert_eq!(
        sortable.len(),
        time::SORTABLE_BYTES,
        "sortable form {sortable:?} of {text}"
    );
    let back = time::parse_sortable(sortable.as_bytes(), "fuzz").expect("sortable form parses");
    assert_eq!(back, t, "sortable round trip of {text}");
}

/// Schema blobs (`engines/blobfs/src/schema.rs`) and the public-key and
/// time parsers they lean on. Every schema type is tried: what parses must
/// round-trip through its canonical JSON; a file blob that validates must
/// also give the same parts and mode when rebuilt with `FileBlob::new`.
pub fn schema(data: &[u8]) {
    let _ = schema::camli_type(data);
    let r = BlobRef::of(data);
    if let Ok(file) = FileBlob::parse(&r, data) {
        let encoded = schema::to_canonical(&file).expect("schema values encode");
        let er = BlobRef::of(&encoded);
        let back = FileBlob::parse(&er, &encoded).expect("a canonical file blob parses");
        assert_eq!(back, file, "file blob round trip");
        assert_eq!(
            schema::camli_type(&encoded).as_deref(),
            Some(schema::TYPE_FILE)
        );
        let parts = file.checked_parts(&r).expect("parse checked the parts");
        let mode = file.mode().expect("parse checked the mode");
        let mtime = match file.unix_mtime.as_deref().map(time::parse_rfc3339) {
            Some(Ok(t)) => Some(t),
            Some(Err(_)) => return,
            None => None,
        };
        let rebuilt = FileBlob::new(&file.file_name, mode, mtime, &parts.parts);
        assert_eq!(rebuilt.checked_parts(&er).expect("rebuilt parts"), parts);
        assert_eq!(rebuilt.mode(), Some(mode));
    }
    let _ = json_round_trip::<Permanode>(data);
    if let Some(claim) = json_round_trip::<Claim>(data) {
        if let Ok((_, date)) = claim.parsed() {
            check_time(date);
        }
    }
    let _ = json_round_trip::<DirectoryBlob>(data);
    let _ = json_round_trip::<StaticSet>(data);
    let _ = json_round_trip::<PublicKey>(data);
    if let Ok(key) = sign::parse_public_key(data) {
        let canonical = PublicKey {
            camli_version: CAMLI_VERSION,
            camli_type: schema::TYPE_PUBLIC_KEY.to_string(),
            public_key: hex_lower(key.as_bytes()),
        };
        let encoded = schema::to_canonical(&canonical).expect("schema values encode");
        let back = sign::parse_public_key(&encoded).expect("a canonical key parses");
        assert_eq!(back, key, "public key round trip");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(t) = time::parse_rfc3339(text) {
            check_time(t);
        }
        if let Ok(t) = time::parse_sortable(data, "fuzz") {
            check_time(t);
        }
    }
}

/// Lowercase hex of `bytes`.
fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The fixed signer the claim seeds are signed with.
pub(crate) fn fuzz_signer() -> &'static Signer {
    static SIGNER: OnceLock<Signer> = OnceLock::new();
    SIGNER.get_or_init(|| Signer::from_secret([7u8; 32]))
}

/// A signed claim blob, as reindexing reads one (`sign::split_signed`,
/// `sign::verify_signed`, the claim's JSON, `Claim::parsed`,
/// `index::check_attribute`). A blob the fixed fuzz signer's key verifies
/// must be exactly what that key signs of its payload. A claim that passes
/// every check is indexed (`index::claim_entries`), and reading the index
/// back (`claims_of`, `attribute_claims`, `last_claim_date`, `referrers`)
/// must give back exactly that claim.
pub fn claim(data: &[u8]) {
    let signer = fuzz_signer();
    let key = sign::parse_public_key(signer.public_key_blob()).expect("the signer's key parses");
    let payload = match sign::split_signed(data) {
        Ok((payload, _)) => payload,
        // Unsigned: still parse it, to reach the claim checks.
        Err(_) => data.to_vec(),
    };
    if let Ok(verified) = sign::verify_signed(data, &key) {
        assert_eq!(verified, payload, "verified payload");
        let resigned = signer.sign(&verified).expect("a verified payload signs");
        assert!(
            resigned.eq_ignore_ascii_case(data),
            "re-signing a verified claim gives other bytes"
        );
    }
    let Some(claim) = json_round_trip::<Claim>(&payload) else {
        return;
    };
    if claim.camli_version != CAMLI_VERSION || claim.camli_type != TYPE_CLAIM {
        return;
    }
    let Ok((permanode, date)) = claim.parsed() else {
        return;
    };
    check_time(date);
    if index::check_attribute(&claim.attribute).is_err() {
        return;
    }
    let indexed = IndexedClaim {
        claim_ref: BlobRef::of(data),
        permanode,
        date,
        claim_type: claim.claim_type,
        attribute: claim.attribute.clone(),
        value: claim.value.clone(),
    };
    check_indexed_claim(&indexed);
}

/// Indexes `c` alone and checks that every reader of the index gives it
/// back.
fn check_indexed_claim(c: &IndexedClaim) {
    let engine = IndexEngine::with(index::claim_entries(c));
    let ro = ReadOptions::default();
    let pn = &c.permanode;
    let all = index::claims_of(&engine, &ro, pn, None).expect("claims_of an indexed claim");
    assert_eq!(all, vec![c.clone()], "claims_of round trip");
    let until = index::claims_of(&engine, &ro, pn, Some(c.date)).expect("claims_of at its date");
    assert_eq!(until, vec![c.clone()], "claims_of at the claim's date");
    let by_attr = index::attribute_claims(&engine, &ro, pn, &c.attribute, None)
        .expect("attribute_claims of an indexed claim");
    assert_eq!(by_attr, vec![c.clone()], "attribute_claims round trip");
    let values = index::attribute_at(&engine, &ro, pn, &c.attribute, None).expect("attribute_at");
    assert_eq!(
        values,
        Attributes::fold(std::slice::from_ref(c))
            .values(&c.attribute)
            .to_vec()
    );
    let last = index::last_claim_date(&engine, &ro, pn).expect("last_claim_date");
    assert_eq!(last, Some(c.date));
    let mut every = Vec::new();
    index::for_each_claim(&engine, &ro, |x| {
        every.push(x);
        Ok(())
    })
    .expect("for_each_claim of an indexed claim");
    assert_eq!(every, vec![c.clone()], "for_each_claim round trip");
    if let Some(target) = c.value.as_deref().and_then(BlobRef::parse) {
        let got = index::referrers(&engine, &ro, &target, None).expect("referrers");
        let want = Referrer {
            date: c.date,
            claim_ref: c.claim_ref,
            permanode: c.permanode,
            attribute: c.attribute.clone(),
        };
        assert_eq!(got, vec![want], "referrers round trip");
    }
}

/// Most index entries read from one `claim_index` input.
const MAX_INDEX_ENTRIES: usize = 64;

/// The refs an index key names right after its prefix, if it has one.
fn key_ref(key: &[u8]) -> Option<BlobRef> {
    let prefixes = [
        index::CLAIMS_PREFIX,
        index::ATTR_PREFIX,
        index::REVERSE_PREFIX,
        index::PERMANODE_PREFIX,
    ];
    let prefix = prefixes.iter().find(|p| key.starts_with(p))?;
    key.get(prefix.len()..prefix.len() + strata_blobfs::blob::REF_TEXT_BYTES)
        .and_then(BlobRef::parse_bytes)
}

/// Entries of blobfs's claim index as stored in the engine (`index.rs`:
/// keys with dates and claim refs, claim summaries, reverse entries, the
/// root and permanode registry). The input is a sequence of
/// length-prefixed (varint32) key and value pairs. Every reader of the index
/// is run over them; every claim `for_each_claim` decodes must, indexed
/// again on its own, read back as itself.
pub fn claim_index(data: &[u8]) {
    let mut pairs = Vec::new();
    let mut rest = data;
    while pairs.len() < MAX_INDEX_ENTRIES {
        let Some((key, n)) = get_length_prefixed_slice(rest) else {
            break;
        };
        let Some((value, m)) = get_length_prefixed_slice(&rest[n..]) else {
            break;
        };
        pairs.push((key.to_vec(), value.to_vec()));
        rest = &rest[n + m..];
    }
    let engine = IndexEngine::with(pairs.iter().cloned());
    let ro = ReadOptions::default();
    let _ = index::root(&engine, &ro);
    for (key, _) in &pairs {
        let Some(r) = key_ref(key) else {
            continue;
        };
        let _ = index::claims_of(&engine, &ro, &r, None);
        let _ = index::last_claim_date(&engine, &ro, &r);
        let _ = index::referrers(&engine, &ro, &r, None);
        let _ = index::permanode_signer(&engine, &ro, &r);
        let attribute_start = index::ATTR_PREFIX.len() + strata_blobfs::blob::REF_TEXT_BYTES + 1;
        if key.starts_with(index::ATTR_PREFIX) {
            if let Some(tail) = key.get(attribute_start..) {
                let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
                if let Ok(attribute) = std::str::from_utf8(&tail[..end]) {
                    let _ = index::attribute_claims(&engine, &ro, &r, attribute, None);
                    let _ = index::last_attribute_date(&engine, &ro, &r, attribute);
                }
            }
        }
    }
    let mut decoded = Vec::new();
    let walked = index::for_each_claim(&engine, &ro, |c| {
        decoded.push(c);
        Ok(())
    });
    if walked.is_err() {
        return;
    }
    for c in &decoded {
        if index::check_attribute(&c.attribute).is_ok() && time::check_range(c.date).is_ok() {
            check_indexed_claim(c);
        }
    }
}
