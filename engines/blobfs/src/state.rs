//! The tree as it is now, kept in the index beside the claims so that the
//! latest state is read with point lookups instead of folding claims:
//!
//! | key | value | serves |
//! | --- | --- | --- |
//! | `i:n:<permanode: 32 bytes>` | [`NodeState`]: the date of its latest claim, every attribute but `camliPath:*` with its values, and the length and mode of the `file` blob its `camliContent` names | `stat`, the kind of a node, the time checks of a mutation |
//! | `i:e:<directory: 32 bytes><name>` | the values of the directory's `camliPath:<name>` (the entry exists only while it has a value) | path lookups, `readdir` (one scan of live entries) |
//!
//! Both are the fold of every claim on the permanode ([`fold_values`], the
//! same fold [`crate::index::Attributes`] does up to a time), so they are
//! derived from the blobs like the rest of the index and rebuilt by
//! [`crate::reindex`] byte for byte. The write path keeps them up to date
//! incrementally: claims on one attribute always come with increasing
//! dates (a mutation may not go back before a node's latest claim, nor
//! repeat the instant of a claim on the same attribute), so folding in
//! commit order is folding in date order.
//!
//! Encodings (all integers fixed-width unless varint):
//! - date: `seconds: i64 BE`, `nanoseconds: u32 BE` (12 bytes);
//! - value: `0x00` + length-prefixed text, or `0x01` + 32 digest bytes for
//!   a value that is the canonical text of a ref (`sha256-<hex>`);
//! - node: `0x01` (encoding), date, file (`0x00`, or `0x01` + size u64 LE +
//!   mode u32 LE), varint count of attributes, then per attribute:
//!   length-prefixed name, varint count of values, values;
//! - entry: varint count of values, values.

use crate::blob::BlobRef;
use crate::error::{FsError, Result};
use crate::fs::{NodeKind, ATTR_CONTENT, ATTR_NODE_TYPE, NODE_TYPE_DIRECTORY};
use crate::schema::ClaimType;
use crate::time::ClaimTime;
use chrono::DateTime;
use std::collections::BTreeMap;
use strata_api::coding::{
    get_length_prefixed_slice, get_varint32, put_length_prefixed_slice, put_varint32,
};
use strata_api::{Engine, ReadOptions};

/// Prefix of node states.
pub const NODE_PREFIX: &[u8] = b"i:n:";
/// Prefix of directory entries.
pub const ENTRY_PREFIX: &[u8] = b"i:e:";
/// Bytes of an encoded date.
pub const DATE_BYTES: usize = 12;
const NODE_ENCODING: u8 = 1;
const WHAT: &str = "index (current state)";

/// The length and mode of a `file` blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    /// Sum of its parts' lengths.
    pub size_bytes: u64,
    /// Permission bits.
    pub mode: u32,
}

/// A permanode as it is now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeState {
    /// The date of its latest claim (any attribute, `camliPath:*` too).
    pub last_date: Option<ClaimTime>,
    /// Every attribute but `camliPath:*` that has values, with them.
    pub attrs: BTreeMap<String, Vec<String>>,
    /// The `file` blob named by the last `camliContent` value, if that is a
    /// valid file blob.
    pub file: Option<FileInfo>,
}

impl NodeState {
    /// The last value of `attribute`.
    pub fn get(&self, attribute: &str) -> Option<&str> {
        self.attrs
            .get(attribute)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// Directory if `camliNodeType` is `directory`, else file if it has
    /// `camliContent`, else nothing.
    pub fn kind(&self) -> Option<NodeKind> {
        if self.get(ATTR_NODE_TYPE) == Some(NODE_TYPE_DIRECTORY) {
            Some(NodeKind::Directory)
        } else if self.get(ATTR_CONTENT).is_some() {
            Some(NodeKind::File)
        } else {
            None
        }
    }

    /// Folds one claim on a non-path attribute in.
    pub fn apply(
        &mut self,
        date: ClaimTime,
        claim_type: ClaimType,
        attribute: &str,
        value: Option<&str>,
    ) {
        let values = self.attrs.entry(attribute.to_string()).or_default();
        fold_values(values, claim_type, value);
        if values.is_empty() {
            self.attrs.remove(attribute);
        }
        self.touch(date);
    }

    /// Moves the latest claim date up to `date`.
    pub fn touch(&mut self, date: ClaimTime) {
        self.last_date = Some(self.last_date.map_or(date, |d| d.max(date)));
    }
}

/// Folds one claim into an attribute's values: set replaces them, add
/// appends (once), del removes the value or, without one, every value. A
/// set or add without a value counts as the empty string.
pub fn fold_values(values: &mut Vec<String>, claim_type: ClaimType, value: Option<&str>) {
    match claim_type {
        ClaimType::SetAttribute => {
            values.clear();
            values.push(value.unwrap_or_default().to_string());
        }
        ClaimType::AddAttribute => {
            let v = value.unwrap_or_default();
            if !values.iter().any(|x| x == v) {
                values.push(v.to_string());
            }
        }
        ClaimType::DelAttribute => match value {
            None => values.clear(),
            Some(v) => values.retain(|x| x != v),
        },
    }
}

fn keyed(prefix: &[u8], r: &BlobRef) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + 32 + 16);
    k.extend_from_slice(prefix);
    k.extend_from_slice(r.digest());
    k
}

/// The `i:n:` key of `pn`.
pub fn node_key(pn: &BlobRef) -> Vec<u8> {
    keyed(NODE_PREFIX, pn)
}

/// The prefix of every `i:e:` key of directory `dir`.
pub fn entries_prefix(dir: &BlobRef) -> Vec<u8> {
    keyed(ENTRY_PREFIX, dir)
}

/// The `i:e:` key of entry `name` of `dir`.
pub fn entry_key(dir: &BlobRef, name: &str) -> Vec<u8> {
    let mut k = entries_prefix(dir);
    k.extend_from_slice(name.as_bytes());
    k
}

/// Appends the 12-byte form of `t`.
pub fn put_date(out: &mut Vec<u8>, t: ClaimTime) {
    out.extend_from_slice(&t.timestamp().to_be_bytes());
    out.extend_from_slice(&t.timestamp_subsec_nanos().to_be_bytes());
}

fn bad(why: &str) -> FsError {
    FsError::corruption(WHAT, why.to_string())
}

/// Reads a 12-byte date at the start of `src`.
///
/// # Errors
/// `Corruption` if short or out of range.
pub fn get_date(src: &[u8]) -> Result<ClaimTime> {
    let (secs, nanos) = match (src.get(..8), src.get(8..DATE_BYTES)) {
        (Some(s), Some(n)) => (s, n),
        _ => return Err(bad("short date")),
    };
    let mut s = [0u8; 8];
    s.copy_from_slice(secs);
    let mut n = [0u8; 4];
    n.copy_from_slice(nanos);
    DateTime::from_timestamp(i64::from_be_bytes(s), u32::from_be_bytes(n))
        .ok_or_else(|| bad("date out of range"))
}

fn put_value(out: &mut Vec<u8>, value: &str) {
    match BlobRef::parse(value) {
        Some(r) => {
            out.push(1);
            out.extend_from_slice(r.digest());
        }
        None => {
            out.push(0);
            put_length_prefixed_slice(out, value.as_bytes());
        }
    }
}

fn put_values(out: &mut Vec<u8>, values: &[String]) {
    put_varint32(out, values.len() as u32);
    for v in values {
        put_value(out, v);
    }
}

/// A cursor over encoded bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8> {
        let (&b, rest) = self.0.split_first().ok_or_else(|| bad("truncated"))?;
        self.0 = rest;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(bad("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn varint(&mut self) -> Result<u32> {
        let (v, n) = get_varint32(self.0).ok_or_else(|| bad("bad varint"))?;
        self.0 = &self.0[n..];
        Ok(v)
    }

    fn text(&mut self) -> Result<String> {
        let (s, n) = get_length_prefixed_slice(self.0).ok_or_else(|| bad("bad text"))?;
        self.0 = &self.0[n..];
        String::from_utf8(s.to_vec()).map_err(|_| bad("text is not UTF-8"))
    }

    fn value(&mut self) -> Result<String> {
        match self.byte()? {
            0 => self.text(),
            1 => {
                let digest = self.take(32)?;
                Ok(BlobRef::from_digest_bytes(digest)
                    .ok_or_else(|| bad("bad ref"))?
                    .to_string())
            }
            _ => Err(bad("unknown value tag")),
        }
    }

    fn values(&mut self) -> Result<Vec<String>> {
        let n = self.varint()?;
        (0..n).map(|_| self.value()).collect()
    }

    fn end(&self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(bad("trailing bytes"))
        }
    }
}

/// The `i:n:` value of `node`, which must have a latest claim date.
pub fn encode_node(node: &NodeState) -> Vec<u8> {
    let mut out = vec![NODE_ENCODING];
    put_date(&mut out, node.last_date.unwrap_or(DateTime::UNIX_EPOCH));
    match node.file {
        None => out.push(0),
        Some(f) => {
            out.push(1);
            out.extend_from_slice(&f.size_bytes.to_le_bytes());
            out.extend_from_slice(&f.mode.to_le_bytes());
        }
    }
    put_varint32(&mut out, node.attrs.len() as u32);
    for (attr, values) in &node.attrs {
        put_length_prefixed_slice(&mut out, attr.as_bytes());
        put_values(&mut out, values);
    }
    out
}

/// Decodes [`encode_node`]'s output.
///
/// # Errors
/// `Corruption` for anything else.
pub fn decode_node(v: &[u8]) -> Result<NodeState> {
    let mut r = Reader(v);
    if r.byte()? != NODE_ENCODING {
        return Err(bad("unknown node encoding"));
    }
    let last_date = Some(get_date(r.take(DATE_BYTES)?)?);
    let file = match r.byte()? {
        0 => None,
        1 => {
            let mut size = [0u8; 8];
            size.copy_from_slice(r.take(8)?);
            let mut mode = [0u8; 4];
            mode.copy_from_slice(r.take(4)?);
            Some(FileInfo {
                size_bytes: u64::from_le_bytes(size),
                mode: u32::from_le_bytes(mode),
            })
        }
        _ => return Err(bad("bad file flag")),
    };
    let n = r.varint()?;
    let mut attrs = BTreeMap::new();
    for _ in 0..n {
        let attr = r.text()?;
        let values = r.values()?;
        attrs.insert(attr, values);
    }
    r.end()?;
    Ok(NodeState {
        last_date,
        attrs,
        file,
    })
}

/// The `i:e:` value of an entry with `values`.
pub fn encode_entry(values: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    put_values(&mut out, values);
    out
}

/// Decodes [`encode_entry`]'s output.
///
/// # Errors
/// `Corruption` for anything else.
pub fn decode_entry(v: &[u8]) -> Result<Vec<String>> {
    let mut r = Reader(v);
    let values = r.values()?;
    r.end()?;
    Ok(values)
}

/// A stored value as it is encoded: a ref (no hex to decode) or text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    /// A value that is the canonical text of this ref.
    Ref(BlobRef),
    /// Any other value.
    Text(String),
}

/// The last value of an encoded entry, if it has any.
///
/// # Errors
/// As [`decode_entry`].
pub fn decode_entry_last(v: &[u8]) -> Result<Option<RawValue>> {
    let mut r = Reader(v);
    let n = r.varint()?;
    let mut last = None;
    for _ in 0..n {
        last = Some(match r.byte()? {
            0 => RawValue::Text(r.text()?),
            1 => RawValue::Ref(
                BlobRef::from_digest_bytes(r.take(32)?).ok_or_else(|| bad("bad ref"))?,
            ),
            _ => return Err(bad("unknown value tag")),
        });
    }
    r.end()?;
    Ok(last)
}

/// The last value of `dir`'s entry `name` now, if it is bound.
///
/// # Errors
/// As [`node`].
pub fn entry_last(
    engine: &dyn Engine,
    ro: &ReadOptions,
    dir: &BlobRef,
    name: &str,
) -> Result<Option<RawValue>> {
    match engine.get(ro, &entry_key(dir, name))? {
        Some(v) => decode_entry_last(&v),
        None => Ok(None),
    }
}

/// The state of `pn` now, if it has any claim.
///
/// # Errors
/// `Corruption` for an undecodable entry; the engine's errors.
pub fn node(engine: &dyn Engine, ro: &ReadOptions, pn: &BlobRef) -> Result<Option<NodeState>> {
    engine
        .get(ro, &node_key(pn))?
        .map(|v| decode_node(&v))
        .transpose()
}

/// The values of `dir`'s entry `name` now (empty if there is none).
///
/// # Errors
/// As [`node`].
pub fn entry(
    engine: &dyn Engine,
    ro: &ReadOptions,
    dir: &BlobRef,
    name: &str,
) -> Result<Vec<String>> {
    match engine.get(ro, &entry_key(dir, name))? {
        Some(v) => decode_entry(&v),
        None => Ok(Vec::new()),
    }
}

/// Calls `f(name, values)` for every entry of `dir` now, by name.
///
/// # Errors
/// As [`node`], and `f`'s first error.
pub fn for_each_entry(
    engine: &dyn Engine,
    ro: &ReadOptions,
    dir: &BlobRef,
    mut f: impl FnMut(&str, Vec<String>) -> Result<()>,
) -> Result<()> {
    let prefix = entries_prefix(dir);
    crate::kv::scan_prefix(engine, ro, &prefix, |key, value| {
        let name = std::str::from_utf8(&key[prefix.len()..])
            .map_err(|_| bad("entry name is not UTF-8"))?;
        f(name, decode_entry(value)?)?;
        Ok(true)
    })
}

/// True when `dir` has at least one entry now.
///
/// # Errors
/// As [`node`].
pub fn has_entries(engine: &dyn Engine, ro: &ReadOptions, dir: &BlobRef) -> Result<bool> {
    let mut any = false;
    crate::kv::scan_prefix(engine, ro, &entries_prefix(dir), |_, _| {
        any = true;
        Ok(false)
    })?;
    Ok(any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339;

    fn t() -> ClaimTime {
        parse_rfc3339("2024-01-02T03:04:05.000000006Z").expect("time")
    }

    #[test]
    fn keys_against_hand_built_bytes() {
        let pn = BlobRef::from_digest([7; 32]);
        let mut want = b"i:n:".to_vec();
        want.extend_from_slice(&[7; 32]);
        assert_eq!(node_key(&pn), want);
        let mut want = b"i:e:".to_vec();
        want.extend_from_slice(&[7; 32]);
        assert_eq!(entries_prefix(&pn), want);
        want.extend_from_slice(b"a.txt");
        assert_eq!(entry_key(&pn, "a.txt"), want);
    }

    #[test]
    fn node_against_hand_built_bytes() {
        let r = BlobRef::from_digest([9; 32]);
        let node = NodeState {
            last_date: Some(t()),
            attrs: BTreeMap::from([
                ("camliContent".to_string(), vec![r.to_string()]),
                ("tag".to_string(), vec!["x".to_string(), String::new()]),
            ]),
            file: Some(FileInfo {
                size_bytes: 513,
                mode: 0o644,
            }),
        };
        let mut want = vec![1u8];
        want.extend_from_slice(&t().timestamp().to_be_bytes());
        want.extend_from_slice(&[0, 0, 0, 6]);
        want.extend_from_slice(&[1, 1, 2, 0, 0, 0, 0, 0, 0, 0xa4, 1, 0, 0]);
        want.push(2);
        want.push(12);
        want.extend_from_slice(b"camliContent");
        want.extend_from_slice(&[1, 1]);
        want.extend_from_slice(&[9; 32]);
        want.extend_from_slice(&[3, b't', b'a', b'g', 2, 0, 1, b'x', 0, 0]);
        assert_eq!(encode_node(&node), want);
        assert_eq!(decode_node(&want).expect("decode"), node);
        for cut in 0..want.len() {
            assert!(decode_node(&want[..cut]).is_err(), "cut at {cut}");
        }
        let mut trailing = want.clone();
        trailing.push(0);
        assert!(decode_node(&trailing).is_err());
        let mut other = want;
        other[0] = 2;
        assert!(decode_node(&other).expect_err("encoding").is_corruption());
    }

    #[test]
    fn entry_against_hand_built_bytes() {
        let r = BlobRef::from_digest([3; 32]);
        let mut want = vec![1u8, 1];
        want.extend_from_slice(&[3; 32]);
        assert_eq!(encode_entry(&[r.to_string()]), want);
        assert_eq!(decode_entry(&want).expect("decode"), vec![r.to_string()]);
        // A ref-like text that is not canonical stays text.
        let upper = r.to_string().to_uppercase();
        let enc = encode_entry(std::slice::from_ref(&upper));
        assert_eq!(enc[1], 0);
        assert_eq!(decode_entry(&enc).expect("decode"), vec![upper]);
        assert!(decode_entry(&[1, 7]).is_err());
        assert_eq!(
            decode_entry_last(&want).expect("last"),
            Some(RawValue::Ref(r))
        );
        assert_eq!(
            decode_entry_last(&enc).expect("last"),
            Some(RawValue::Text(r.to_string().to_uppercase()))
        );
        assert_eq!(decode_entry_last(&[0]).expect("none"), None);
        assert!(decode_entry_last(&[1, 1, 3]).is_err());
    }

    #[test]
    fn fold_matches_set_add_del() {
        let mut v = Vec::new();
        fold_values(&mut v, ClaimType::AddAttribute, Some("a"));
        fold_values(&mut v, ClaimType::AddAttribute, Some("b"));
        fold_values(&mut v, ClaimType::AddAttribute, Some("a"));
        assert_eq!(v, ["a", "b"]);
        fold_values(&mut v, ClaimType::DelAttribute, Some("a"));
        assert_eq!(v, ["b"]);
        fold_values(&mut v, ClaimType::SetAttribute, None);
        assert_eq!(v, [""]);
        fold_values(&mut v, ClaimType::DelAttribute, None);
        assert!(v.is_empty());
        let mut n = NodeState::default();
        n.apply(
            t(),
            ClaimType::SetAttribute,
            ATTR_NODE_TYPE,
            Some("directory"),
        );
        assert_eq!(n.kind(), Some(NodeKind::Directory));
        n.apply(t(), ClaimType::DelAttribute, ATTR_NODE_TYPE, None);
        assert!(n.attrs.is_empty() && n.kind().is_none());
        assert_eq!(n.last_date, Some(t()));
    }
}
