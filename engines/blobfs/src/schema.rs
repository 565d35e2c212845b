//! Schema blobs: JSON with Perkeep's field names.
//!
//! Every schema blob starts `{"camliVersion":1,"camliType":...`. The types:
//! - `permanode` (`random`, `camliSigner`; signed): a mutable object's
//!   identity.
//! - `claim` (`camliSigner`, `permaNode`, `claimType` one of
//!   `set-attribute` / `add-attribute` / `del-attribute`, `claimDate` in
//!   RFC 3339 UTC, `attribute`, optional `value`; signed): one change to a
//!   permanode.
//! - `file` (`fileName`, `unixPermission` as octal text, `unixMtime`,
//!   `parts`: a list of `{"blobRef","size"}`): a file's bytes.
//! - `directory` (`fileName`, `entries`: the ref of a `static-set`) and
//!   `static-set` (`members`: refs of `file` and `directory` blobs): an
//!   immutable snapshot of a tree.
//! - `ed25519-public-key` (`publicKey`: 64 hex digits): a signer, named by
//!   `camliSigner`. Perkeep uses an armored OpenPGP key here; blobfs uses
//!   ed25519 (see [`crate::sign`]).
//!
//! Blobs are encoded compactly by `serde_json` with the fields in the order
//! declared below; that encoding (without `camliSig`) is what gets signed.

use crate::blob::BlobRef;
use crate::error::{FsError, Result};
use crate::time::{self, ClaimTime};
use serde::{Deserialize, Serialize};

/// The only schema version.
pub const CAMLI_VERSION: u32 = 1;
/// `camliType` of a permanode.
pub const TYPE_PERMANODE: &str = "permanode";
/// `camliType` of a claim.
pub const TYPE_CLAIM: &str = "claim";
/// `camliType` of a file.
pub const TYPE_FILE: &str = "file";
/// `camliType` of a directory snapshot.
pub const TYPE_DIRECTORY: &str = "directory";
/// `camliType` of a static set.
pub const TYPE_STATIC_SET: &str = "static-set";
/// `camliType` of a signer's public key.
pub const TYPE_PUBLIC_KEY: &str = "ed25519-public-key";

/// The three kinds of claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimType {
    /// Replace every value of the attribute with `value`.
    SetAttribute,
    /// Add `value` to the attribute's values.
    AddAttribute,
    /// Remove `value` from the attribute, or every value if `value` is
    /// absent.
    DelAttribute,
}

impl ClaimType {
    /// The name used in `claimType`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimType::SetAttribute => "set-attribute",
            ClaimType::AddAttribute => "add-attribute",
            ClaimType::DelAttribute => "del-attribute",
        }
    }
}

/// A permanode blob (before signing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permanode {
    /// Always 1.
    #[serde(rename = "camliVersion")]
    pub camli_version: u32,
    /// Always `permanode`.
    #[serde(rename = "camliType")]
    pub camli_type: String,
    /// Random text making each permanode unique.
    pub random: String,
    /// Ref of the signer's public-key blob.
    #[serde(rename = "camliSigner")]
    pub camli_signer: String,
}

/// A claim blob (before signing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// Always 1.
    #[serde(rename = "camliVersion")]
    pub camli_version: u32,
    /// Always `claim`.
    #[serde(rename = "camliType")]
    pub camli_type: String,
    /// Ref of the signer's public-key blob.
    #[serde(rename = "camliSigner")]
    pub camli_signer: String,
    /// Ref of the permanode the claim changes.
    #[serde(rename = "permaNode")]
    pub perma_node: String,
    /// What the claim does.
    #[serde(rename = "claimType")]
    pub claim_type: ClaimType,
    /// When the claim takes effect, RFC 3339 UTC.
    #[serde(rename = "claimDate")]
    pub claim_date: String,
    /// The attribute changed.
    pub attribute: String,
    /// The value set, added or deleted (absent: delete every value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Claim {
    /// The permanode ref and claim date, parsed.
    ///
    /// # Errors
    /// A reason string if either does not parse or the date is out of range.
    pub fn parsed(&self) -> std::result::Result<(BlobRef, ClaimTime), String> {
        let pn = BlobRef::parse(&self.perma_node)
            .ok_or_else(|| format!("permaNode '{}' is not a ref", self.perma_node))?;
        let date = time::parse_rfc3339(&self.claim_date).map_err(|e| e.to_string())?;
        Ok((pn, date))
    }
}

/// `claimType` of a claim that makes several changes under one signature
/// (Perkeep's multi-claim).
pub const CLAIM_TYPE_MULTI: &str = "multi";

/// One change inside a [`MultiClaim`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubClaim {
    /// What the change does.
    #[serde(rename = "claimType")]
    pub claim_type: ClaimType,
    /// Ref of the permanode it changes.
    #[serde(rename = "permaNode")]
    pub perma_node: String,
    /// The attribute changed.
    pub attribute: String,
    /// The value set, added or deleted (absent: delete every value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A claim of several changes at one date, signed once (before signing):
/// `claimType` is `multi` and `claims` lists the changes. No two changes
/// name the same permanode, and no two have the same ref as their value,
/// so that each change has index keys of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiClaim {
    /// Always 1.
    #[serde(rename = "camliVersion")]
    pub camli_version: u32,
    /// Always `claim`.
    #[serde(rename = "camliType")]
    pub camli_type: String,
    /// Ref of the signer's public-key blob.
    #[serde(rename = "camliSigner")]
    pub camli_signer: String,
    /// When the changes take effect, RFC 3339 UTC.
    #[serde(rename = "claimDate")]
    pub claim_date: String,
    /// Always `multi`.
    #[serde(rename = "claimType")]
    pub claim_type: String,
    /// The changes, at least two.
    pub claims: Vec<SubClaim>,
}

/// One change a claim makes, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The permanode changed.
    pub permanode: BlobRef,
    /// What the change does.
    pub claim_type: ClaimType,
    /// The attribute.
    pub attribute: String,
    /// The value, if any.
    pub value: Option<String>,
}

/// A claim blob's payload (single or multi), parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedClaim {
    /// `camliSigner`, as written.
    pub signer: String,
    /// `claimDate`.
    pub date: ClaimTime,
    /// The changes: one for a single claim.
    pub changes: Vec<Change>,
}

#[derive(Deserialize)]
struct AnyClaim {
    #[serde(rename = "camliVersion")]
    camli_version: u32,
    #[serde(rename = "camliType")]
    camli_type: String,
    #[serde(rename = "camliSigner")]
    camli_signer: String,
    #[serde(rename = "claimDate")]
    claim_date: String,
    #[serde(rename = "claimType")]
    claim_type: String,
    #[serde(rename = "permaNode")]
    perma_node: Option<String>,
    attribute: Option<String>,
    value: Option<String>,
    claims: Option<Vec<SubClaim>>,
}

fn claim_type_named(name: &str) -> Option<ClaimType> {
    [
        ClaimType::SetAttribute,
        ClaimType::AddAttribute,
        ClaimType::DelAttribute,
    ]
    .into_iter()
    .find(|t| t.as_str() == name)
}

fn change(
    perma_node: &str,
    claim_type: ClaimType,
    attribute: String,
    value: Option<String>,
) -> std::result::Result<Change, String> {
    let permanode = BlobRef::parse(perma_node)
        .ok_or_else(|| format!("permaNode '{perma_node}' is not a ref"))?;
    crate::index::check_attribute(&attribute)?;
    Ok(Change {
        permanode,
        claim_type,
        attribute,
        value,
    })
}

/// Parses a claim's signed payload: a single claim (`set-attribute`,
/// `add-attribute`, `del-attribute` with `permaNode` and `attribute`) or a
/// `multi` claim (with `claims` only).
///
/// # Errors
/// A reason string for anything else: not a version-1 claim, a bad date,
/// permanode or attribute, fields of the other shape, an empty or nested
/// multi claim, two changes on one permanode or with one ref as value.
pub fn parse_claim(payload: &[u8]) -> std::result::Result<ParsedClaim, String> {
    let c: AnyClaim =
        serde_json::from_slice(payload).map_err(|e| format!("bad claim JSON: {e}"))?;
    if c.camli_version != CAMLI_VERSION || c.camli_type != TYPE_CLAIM {
        return Err("not a version-1 claim".into());
    }
    let date = time::parse_rfc3339(&c.claim_date).map_err(|e| e.to_string())?;
    let changes = if c.claim_type == CLAIM_TYPE_MULTI {
        if c.perma_node.is_some() || c.attribute.is_some() || c.value.is_some() {
            return Err("a multi claim has permaNode, attribute or value outside claims".into());
        }
        let subs = c.claims.unwrap_or_default();
        if subs.len() < 2 {
            return Err("a multi claim needs at least two changes".into());
        }
        let changes = subs
            .into_iter()
            .map(|s| change(&s.perma_node, s.claim_type, s.attribute, s.value))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut permanodes = std::collections::HashSet::new();
        let mut targets = std::collections::HashSet::new();
        for ch in &changes {
            if !permanodes.insert(ch.permanode) {
                return Err(format!("two changes of permanode {}", ch.permanode));
            }
            if let Some(r) = ch.value.as_deref().and_then(BlobRef::parse) {
                if !targets.insert(r) {
                    return Err(format!("two changes with value {r}"));
                }
            }
        }
        changes
    } else {
        let claim_type = claim_type_named(&c.claim_type)
            .ok_or_else(|| format!("unknown claimType '{}'", c.claim_type))?;
        if c.claims.is_some() {
            return Err("a single claim has a claims list".into());
        }
        let (Some(pn), Some(attribute)) = (c.perma_node, c.attribute) else {
            return Err("a single claim lacks permaNode or attribute".into());
        };
        vec![change(&pn, claim_type, attribute, c.value)?]
    };
    Ok(ParsedClaim {
        signer: c.camli_signer,
        date,
        changes,
    })
}

/// One part of a file: a chunk blob and its length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// Ref of the chunk blob.
    #[serde(rename = "blobRef")]
    pub blob_ref: String,
    /// Its length in bytes.
    pub size: u64,
}

/// A file blob: a file's name, mode, modification time and parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileBlob {
    /// Always 1.
    #[serde(rename = "camliVersion")]
    pub camli_version: u32,
    /// Always `file`.
    #[serde(rename = "camliType")]
    pub camli_type: String,
    /// The file's name when this version was written.
    #[serde(rename = "fileName")]
    pub file_name: String,
    /// Permission bits as octal text, for example `0644`.
    #[serde(rename = "unixPermission")]
    pub unix_permission: String,
    /// Modification time, RFC 3339 UTC.
    #[serde(rename = "unixMtime", default, skip_serializing_if = "Option::is_none")]
    pub unix_mtime: Option<String>,
    /// The chunks, in order.
    pub parts: Vec<Part>,
}

/// A file blob's parts, validated: refs parsed, sizes summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    /// (chunk ref, length) in file order.
    pub parts: Vec<(BlobRef, u64)>,
    /// Sum of the lengths.
    pub size_bytes: u64,
}

impl FileBlob {
    /// A file blob of `parts`.
    pub fn new(
        file_name: &str,
        mode: u32,
        mtime: Option<ClaimTime>,
        parts: &[(BlobRef, u64)],
    ) -> Self {
        FileBlob {
            camli_version: CAMLI_VERSION,
            camli_type: TYPE_FILE.to_string(),
            file_name: file_name.to_string(),
            unix_permission: format!("{:04o}", mode & 0o7777),
            unix_mtime: mtime.map(time::to_rfc3339),
            parts: parts
                .iter()
                .map(|(r, size)| Part {
                    blob_ref: r.to_string(),
                    size: *size,
                })
                .collect(),
        }
    }

    /// Parses and validates file blob `r`.
    ///
    /// # Errors
    /// `Corruption` naming `r` if it is not a valid file blob.
    pub fn parse(r: &BlobRef, data: &[u8]) -> Result<Self> {
        let blob: FileBlob = parse_json(r, data)?;
        check_header(r, blob.camli_version, &blob.camli_type, TYPE_FILE)?;
        blob.mode().ok_or_else(|| {
            FsError::corruption(
                format!("blob {r}"),
                format!("unixPermission '{}' is not octal", blob.unix_permission),
            )
        })?;
        blob.checked_parts(r)?;
        Ok(blob)
    }

    /// The permission bits.
    pub fn mode(&self) -> Option<u32> {
        u32::from_str_radix(&self.unix_permission, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
    }

    /// The parts with refs parsed and the total size.
    ///
    /// # Errors
    /// `Corruption` naming `r` for a bad ref, an empty part or a total
    /// above `u64::MAX`.
    pub fn checked_parts(&self, r: &BlobRef) -> Result<Parts> {
        let mut parts = Vec::with_capacity(self.parts.len());
        let mut size_bytes = 0u64;
        for p in &self.parts {
            let part_ref = BlobRef::parse(&p.blob_ref).ok_or_else(|| {
                FsError::corruption(
                    format!("blob {r}"),
                    format!("part '{}' is not a ref", p.blob_ref),
                )
            })?;
            if p.size == 0 {
                return Err(FsError::corruption(format!("blob {r}"), "part of size 0"));
            }
            size_bytes = size_bytes
                .checked_add(p.size)
                .ok_or_else(|| FsError::corruption(format!("blob {r}"), "file size overflows"))?;
            parts.push((part_ref, p.size));
        }
        Ok(Parts { parts, size_bytes })
    }
}

/// A directory snapshot blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryBlob {
    /// Always 1.
    #[serde(rename = "camliVersion")]
    pub camli_version: u32,
    /// Always `directory`.
    #[serde(rename = "camliType")]
    pub camli_type: String,
    /// The directory's name (empty for the root).
    #[serde(rename = "fileName")]
    pub file_name: String,
    /// Ref of the `static-set` of its entries.
    pub entries: String,
}

/// A static set: an immutable list of member refs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticSet {
    /// Always 1.
    #[serde(rename = "camliVersion")]
    pub camli_version: u32,
    /// Always `static-set`.
    #[serde(rename = "camliType")]
    pub camli_type: String,
    /// Member refs, sorted by the members' names.
    pub members: Vec<String>,
}

/// A signer's public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    /// Always 1.
    #[serde(rename = "camliVersion")]
    pub camli_version: u32,
    /// Always `ed25519-public-key`.
    #[serde(rename = "camliType")]
    pub camli_type: String,
    /// The 32-byte ed25519 public key, 64 lowercase hex digits.
    #[serde(rename = "publicKey")]
    pub public_key: String,
}

#[derive(Deserialize)]
struct Header {
    #[serde(rename = "camliVersion")]
    camli_version: Option<u32>,
    #[serde(rename = "camliType")]
    camli_type: Option<String>,
}

/// The `camliType` of a blob if it looks like a schema blob (a JSON object
/// with `camliVersion` 1 and a `camliType`), else `None` (a data chunk).
pub fn camli_type(data: &[u8]) -> Option<String> {
    if !data.starts_with(b"{\"camliVersion\"") {
        return None;
    }
    let header: Header = serde_json::from_slice(data).ok()?;
    if header.camli_version != Some(CAMLI_VERSION) {
        return None;
    }
    header.camli_type
}

/// The canonical encoding of a schema value: compact JSON, fields in
/// declaration order.
///
/// # Errors
/// `Usage` if the value cannot be encoded (not possible for this module's
/// types).
pub fn to_canonical<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| FsError::Usage(format!("cannot encode schema blob: {e}")))
}

/// Parses JSON `data` of blob `r`.
///
/// # Errors
/// `Corruption` naming `r` if it does not parse as `T`.
pub fn parse_json<'a, T: Deserialize<'a>>(r: &BlobRef, data: &'a [u8]) -> Result<T> {
    serde_json::from_slice(data)
        .map_err(|e| FsError::corruption(format!("blob {r}"), format!("bad schema JSON: {e}")))
}

/// Checks `camliVersion` and `camliType`.
///
/// # Errors
/// `Corruption` naming `r` when they are not 1 and `expected`.
pub fn check_header(r: &BlobRef, version: u32, camli_type: &str, expected: &str) -> Result<()> {
    if version != CAMLI_VERSION || camli_type != expected {
        return Err(FsError::corruption(
            format!("blob {r}"),
            format!("expected camliVersion 1 camliType {expected}, found {version} {camli_type}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_uses_perkeeps_field_names() {
        let c = Claim {
            camli_version: CAMLI_VERSION,
            camli_type: TYPE_CLAIM.into(),
            camli_signer: "sha256-aa".into(),
            perma_node: "sha256-bb".into(),
            claim_type: ClaimType::SetAttribute,
            claim_date: "2024-01-02T03:04:05Z".into(),
            attribute: "camliPath:a".into(),
            value: Some("sha256-cc".into()),
        };
        let text = String::from_utf8(to_canonical(&c).expect("encode")).expect("utf8");
        assert_eq!(
            text,
            "{\"camliVersion\":1,\"camliType\":\"claim\",\"camliSigner\":\"sha256-aa\",\
             \"permaNode\":\"sha256-bb\",\"claimType\":\"set-attribute\",\
             \"claimDate\":\"2024-01-02T03:04:05Z\",\"attribute\":\"camliPath:a\",\
             \"value\":\"sha256-cc\"}"
        );
        assert_eq!(camli_type(text.as_bytes()).as_deref(), Some("claim"));
        assert_eq!(camli_type(b"random bytes"), None);
    }

    #[test]
    fn multi_claim_parses_from_hand_written_json() {
        let a = BlobRef::of(b"a");
        let b = BlobRef::of(b"b");
        let text = format!(
            "{{\"camliVersion\":1,\"camliType\":\"claim\",\"camliSigner\":\"sha256-aa\",\
             \"claimDate\":\"2024-01-02T03:04:05Z\",\"claimType\":\"multi\",\"claims\":[\
             {{\"claimType\":\"set-attribute\",\"permaNode\":\"{a}\",\"attribute\":\"camliPath:x\",\"value\":\"{b}\"}},\
             {{\"claimType\":\"del-attribute\",\"permaNode\":\"{b}\",\"attribute\":\"t\"}}]}}"
        );
        let parsed = parse_claim(text.as_bytes()).expect("multi");
        assert_eq!(parsed.signer, "sha256-aa");
        assert_eq!(parsed.changes.len(), 2);
        assert_eq!(parsed.changes[0].permanode, a);
        assert_eq!(parsed.changes[0].value, Some(b.to_string()));
        assert_eq!(parsed.changes[1].claim_type, ClaimType::DelAttribute);
        assert_eq!(parsed.changes[1].value, None);
        // The encoder writes exactly this text.
        let m = MultiClaim {
            camli_version: CAMLI_VERSION,
            camli_type: TYPE_CLAIM.into(),
            camli_signer: "sha256-aa".into(),
            claim_date: "2024-01-02T03:04:05Z".into(),
            claim_type: CLAIM_TYPE_MULTI.into(),
            claims: vec![
                SubClaim {
                    claim_type: ClaimType::SetAttribute,
                    perma_node: a.to_string(),
                    attribute: "camliPath:x".into(),
                    value: Some(b.to_string()),
                },
                SubClaim {
                    claim_type: ClaimType::DelAttribute,
                    perma_node: b.to_string(),
                    attribute: "t".into(),
                    value: None,
                },
            ],
        };
        assert_eq!(to_canonical(&m).expect("encode"), text.as_bytes());

        let same_pn = text.replace(
            &format!("\"permaNode\":\"{b}\""),
            &format!("\"permaNode\":\"{a}\""),
        );
        assert!(parse_claim(same_pn.as_bytes())
            .expect_err("same pn")
            .contains("two changes"));
        let one = text.replace(
            &format!(
                ",{{\"claimType\":\"del-attribute\",\"permaNode\":\"{b}\",\"attribute\":\"t\"}}"
            ),
            "",
        );
        assert!(parse_claim(one.as_bytes())
            .expect_err("one")
            .contains("at least two"));
        let nested = text.replace("\"del-attribute\"", "\"multi\"");
        assert!(parse_claim(nested.as_bytes()).is_err());
        let mixed = text.replace(
            "\"claimType\":\"multi\"",
            "\"claimType\":\"multi\",\"attribute\":\"y\"",
        );
        assert!(parse_claim(mixed.as_bytes()).is_err());
    }

    #[test]
    fn single_claim_parses_through_parse_claim() {
        let text = "{\"camliVersion\":1,\"camliType\":\"claim\",\"camliSigner\":\"sha256-aa\",\
             \"permaNode\":\"sha256-2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\",\
             \"claimType\":\"add-attribute\",\"claimDate\":\"2024-01-02T03:04:05Z\",\"attribute\":\"tag\",\"value\":\"x\"}";
        let parsed = parse_claim(text.as_bytes()).expect("single");
        assert_eq!(parsed.changes.len(), 1);
        assert_eq!(parsed.changes[0].claim_type, ClaimType::AddAttribute);
        assert_eq!(parsed.changes[0].permanode, BlobRef::of(b"hello"));
        assert!(parse_claim(text.replace("add-attribute", "frob").as_bytes()).is_err());
        assert!(parse_claim(text.replace("\"attribute\":\"tag\",", "").as_bytes()).is_err());
        assert!(parse_claim(text.replace("\"tag\"", "\"a\\u0000b\"").as_bytes()).is_err());
    }

    #[test]
    fn file_blob_round_trips_and_validates() {
        let chunk = BlobRef::of(b"abc");
        let f = FileBlob::new("a.txt", 0o644, None, &[(chunk, 3)]);
        let bytes = to_canonical(&f).expect("encode");
        assert!(bytes.starts_with(b"{\"camliVersion\":1,\"camliType\":\"file\",\"fileName\":\"a.txt\",\"unixPermission\":\"0644\",\"parts\":[{\"blobRef\":\"sha256-"));
        let r = BlobRef::of(&bytes);
        let back = FileBlob::parse(&r, &bytes).expect("parse");
        assert_eq!(back, f);
        assert_eq!(back.checked_parts(&r).expect("parts").size_bytes, 3);
        let bad = String::from_utf8(bytes)
            .expect("utf8")
            .replace("\"size\":3", "\"size\":0");
        assert!(FileBlob::parse(&r, bad.as_bytes())
            .expect_err("size 0")
            .is_corruption());
    }
}
