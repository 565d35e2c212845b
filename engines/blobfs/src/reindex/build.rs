//! The passes after the scan: each walks sorted records, joins them with
//! another sort walked in the same key order, and writes the index entries
//! the blobs imply into one more sort, so that nothing is held per blob,
//! claim or entry.
//!
//! 1. permanodes (first good copy of each): `i:p:`;
//! 2. claims' changes by permanode, against the valid permanodes: the
//!    changes naming a permanode that is missing or not valid;
//! 3. claims (first good copy), with those: refused, or `i:c:`/`i:a:`/
//!    `i:r:`, the root, and the changes by (permanode, attribute, date);
//! 4. those folded per permanode and attribute: `i:e:`, and `i:n:` (for a
//!    file, after a join with its `file` blob);
//! 5. file versions (first claim naming each) against the `file` blobs,
//!    then their chunks against the good copies.

use super::codec::{put_bytes, put_time, Dec, TIME_BYTES};
use super::scan::{Scanned, OK};
use super::sorter::{Sorted, SortedIter};
use super::{problem, Ctx, Phase, Problems};
use crate::blob::BlobRef;
use crate::error::Result;
use crate::fs::{ATTR_CONTENT, ATTR_PATH_PREFIX, ATTR_ROOT, ROOT_NAME};
use crate::index::{self, IndexedClaim};
use crate::schema::ClaimType;
use crate::state::{self, FileInfo, NodeState};
use crate::time::ClaimTime;

/// A cursor on the first record of each ref of a sort keyed by
/// `digest ‖ seq` (the first good copy: lowest sequence number).
pub struct FirstCopies<'a> {
    it: SortedIter<'a>,
}

impl<'a> FirstCopies<'a> {
    /// On the first ref of `sorted`.
    ///
    /// # Errors
    /// `Io` reading the sort.
    pub fn new(sorted: &'a Sorted<'_>) -> Result<Self> {
        Ok(Self { it: sorted.iter()? })
    }

    /// True while on a record.
    pub fn valid(&self) -> bool {
        self.it.valid()
    }

    /// The current ref's digest.
    pub fn digest(&self) -> &[u8] {
        &self.it.key()[..32]
    }

    /// The current ref.
    pub fn blob_ref(&self) -> BlobRef {
        Dec(self.digest()).blob_ref()
    }

    /// The current copy's sequence number.
    pub fn seq(&self) -> u64 {
        Dec(&self.it.key()[32..]).u64_be()
    }

    /// The current record's value.
    pub fn value(&self) -> &[u8] {
        self.it.value()
    }

    /// Moves to the next ref.
    ///
    /// # Errors
    /// `Io` reading the sort.
    pub fn advance(&mut self) -> Result<()> {
        let mut digest = [0u8; 32];
        digest.copy_from_slice(self.digest());
        while self.it.valid() && self.it.key()[..32] == digest {
            self.it.advance()?;
        }
        Ok(())
    }

    /// Moves to `digest` (which must not sort before the current ref) and
    /// returns its value, if the sort has it.
    ///
    /// # Errors
    /// `Io` reading the sort.
    pub fn find(&mut self, digest: &[u8]) -> Result<Option<&[u8]>> {
        self.it.skip_before(digest)?;
        Ok((self.it.valid() && self.it.key()[..32] == *digest).then(|| self.it.value()))
    }
}

/// Emits the `i:p:` entry of every valid permanode; refused ones are
/// problems.
pub fn permanodes(
    scanned: &Scanned<'_>,
    owner: &BlobRef,
    out: &mut super::sorter::Sorter<'_>,
    problems: &mut Problems,
) -> Result<u64> {
    let mut n = 0;
    let mut it = FirstCopies::new(&scanned.permanodes)?;
    while it.valid() {
        let r = it.blob_ref();
        let mut v = Dec(it.value());
        if v.u8() == OK {
            let (k, e) = index::permanode_entry(&r, owner);
            out.push(&k, &e)?;
            n += 1;
        } else {
            problems.push(
                (Phase::Permanodes, it.seq(), 0, 0),
                problem(format!("permanode {r}"), format!("{}; ignored", v.text())),
            );
        }
        it.advance()?;
    }
    Ok(n)
}

/// One change of a claim record.
struct ChangeRec {
    permanode: BlobRef,
    claim_type: ClaimType,
    attribute: String,
    value: Option<String>,
}

/// The date and changes of an [`OK`] claim record (after its first byte).
fn changes(v: &mut Dec<'_>) -> (ClaimTime, Vec<ChangeRec>) {
    let date = v.time();
    let n = v.u32();
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let permanode = v.blob_ref();
        let claim_type = v.claim_type();
        let attribute = v.text();
        let value = (v.u8() == 1).then(|| v.text());
        out.push(ChangeRec {
            permanode,
            claim_type,
            attribute,
            value,
        });
    }
    (date, out)
}

/// Pass 2: `claim digest ‖ change index` → permanode digest, for every
/// change of a signed claim whose permanode is missing or not valid.
pub fn refused_changes<'s>(scanned: &Scanned<'s>, ctx: &'s Ctx) -> Result<Sorted<'s>> {
    let mut by_permanode = ctx.sorter();
    let mut it = FirstCopies::new(&scanned.claims)?;
    let mut k = Vec::with_capacity(68);
    while it.valid() {
        let mut v = Dec(it.value());
        if v.u8() == OK {
            let (_, chs) = changes(&mut v);
            for (i, c) in chs.iter().enumerate() {
                k.clear();
                k.extend_from_slice(c.permanode.digest());
                k.extend_from_slice(it.digest());
                k.extend_from_slice(&(i as u32).to_be_bytes());
                by_permanode.push(&k, &[])?;
            }
        }
        it.advance()?;
    }
    let by_permanode = by_permanode.finish()?;
    let mut bad = ctx.sorter();
    let mut pns = FirstCopies::new(&scanned.permanodes)?;
    let mut it = by_permanode.iter()?;
    while it.valid() {
        let (pn, rest) = it.key().split_at(32);
        if pns.find(pn)?.and_then(|v| v.first()) != Some(&OK) {
            bad.push(rest, pn)?;
        }
        it.advance()?;
    }
    bad.finish()
}

/// What pass 3 leaves: the root claim and the sorts of the later passes.
pub struct Claims<'s> {
    /// The claims' changes by permanode, attribute, date and claim.
    pub changes: Sorted<'s>,
    /// File versions: `file digest ‖ claim seq ‖ change index` → permanode.
    pub contents: Sorted<'s>,
    /// (date, claim, permanode) of the earliest claim setting the root.
    pub root: Option<(ClaimTime, BlobRef, BlobRef)>,
    /// Changes indexed.
    pub claims: u64,
}

/// Pass 3 (see the module documentation).
pub fn claims<'s>(
    scanned: &Scanned<'s>,
    bad: &Sorted<'_>,
    ctx: &'s Ctx,
    out: &mut super::sorter::Sorter<'_>,
    problems: &mut Problems,
) -> Result<Claims<'s>> {
    let mut by_node = ctx.sorter();
    let mut contents = ctx.sorter();
    let mut root: Option<(ClaimTime, BlobRef, BlobRef)> = None;
    let mut n = 0;
    let mut bad = bad.iter()?;
    let mut it = FirstCopies::new(&scanned.claims)?;
    let (mut k, mut val) = (Vec::new(), Vec::new());
    while it.valid() {
        let (r, seq) = (it.blob_ref(), it.seq());
        let mut v = Dec(it.value());
        let refusal = if v.u8() == OK {
            bad.skip_before(it.digest())?;
            (bad.valid() && bad.key()[..32] == *it.digest()).then(|| {
                format!(
                    "its permanode {} is missing or not valid",
                    Dec(bad.value()).blob_ref()
                )
            })
        } else {
            Some(v.text())
        };
        if let Some(reason) = refusal {
            problems.push(
                (Phase::Claims, seq, 0, 0),
                problem(format!("claim {r}"), format!("{reason}; ignored")),
            );
            it.advance()?;
            continue;
        }
        let (date, chs) = changes(&mut v);
        for (i, c) in chs.into_iter().enumerate() {
            if c.claim_type == ClaimType::SetAttribute
                && c.attribute == ATTR_ROOT
                && c.value.as_deref() == Some(ROOT_NAME)
                && !matches!(root, Some((d, cr, _)) if (d, cr) <= (date, r))
            {
                root = Some((date, r, c.permanode));
            }
            if c.attribute == ATTR_CONTENT {
                if let Some(value) = c.value.as_deref() {
                    match BlobRef::parse(value) {
                        Some(file) => {
                            k.clear();
                            k.extend_from_slice(file.digest());
                            k.extend_from_slice(&seq.to_be_bytes());
                            k.extend_from_slice(&(i as u32).to_be_bytes());
                            contents.push(&k, c.permanode.digest())?;
                        }
                        None => problems.push(
                            (Phase::Contents, seq, i as u64, 0),
                            problem(
                                format!("permanode {}", c.permanode),
                                format!("camliContent '{value}' is not a ref"),
                            ),
                        ),
                    }
                }
            }
            k.clear();
            k.extend_from_slice(c.permanode.digest());
            k.extend_from_slice(c.attribute.as_bytes());
            k.push(0);
            put_time(&mut k, date);
            k.extend_from_slice(r.digest());
            val.clear();
            val.push(super::codec::claim_type_code(c.claim_type));
            if let Some(value) = &c.value {
                put_bytes(&mut val, value.as_bytes());
            }
            by_node.push(&k, &val)?;
            let claim = IndexedClaim {
                claim_ref: r,
                permanode: c.permanode,
                date,
                claim_type: c.claim_type,
                attribute: c.attribute,
                value: c.value,
            };
            for (ek, ev) in index::claim_entries(&claim) {
                out.push(&ek, &ev)?;
            }
            n += 1;
        }
        it.advance()?;
    }
    Ok(Claims {
        changes: by_node.finish()?,
        contents: contents.finish()?,
        root,
        claims: n,
    })
}

/// Pass 4: the current state. `i:e:` entries go to `out`; `i:n:` too, but
/// for nodes with a `camliContent` ref, which go (keyed `file digest ‖
/// permanode digest`, valued without their file) to the returned sort.
pub fn current_state<'s>(
    changes: &Sorted<'_>,
    ctx: &'s Ctx,
    out: &mut super::sorter::Sorter<'_>,
) -> Result<Sorted<'s>> {
    let mut files = ctx.sorter();
    let mut it = changes.iter()?;
    let mut node = NodeState::default();
    let mut pn = [0u8; 32];
    let mut name: Vec<u8> = Vec::new();
    let mut values: Vec<String> = Vec::new();
    let mut started = false;
    let flush_entry = |out: &mut super::sorter::Sorter<'_>,
                       pn: &[u8; 32],
                       name: &[u8],
                       values: &mut Vec<String>|
     -> Result<()> {
        if !values.is_empty() {
            let dir = Dec(pn).blob_ref();
            let name = String::from_utf8_lossy(name);
            out.push(&state::entry_key(&dir, &name), &state::encode_entry(values))?;
        }
        values.clear();
        Ok(())
    };
    let mut flush_node =
        |out: &mut super::sorter::Sorter<'_>, pn: &[u8; 32], node: &mut NodeState| -> Result<()> {
            let r = Dec(pn).blob_ref();
            let node = std::mem::take(node);
            match node.get(ATTR_CONTENT).and_then(BlobRef::parse) {
                Some(file) => {
                    let mut k = file.digest().to_vec();
                    k.extend_from_slice(pn);
                    files.push(&k, &state::encode_node(&node))
                }
                None => out.push(&state::node_key(&r), &state::encode_node(&node)),
            }
        };
    while it.valid() {
        let key = it.key();
        let tail = TIME_BYTES + 32;
        let (head, rest) = key.split_at(key.len() - tail);
        let (this_pn, attr) = head.split_at(32);
        let attr = &attr[..attr.len() - 1];
        let date = Dec(&rest[..TIME_BYTES]).time();
        let new_pn = !started || this_pn != pn;
        if started && (new_pn || attr != name.as_slice()) {
            flush_entry(out, &pn, strip_path(&name), &mut values)?;
        }
        if new_pn {
            if started {
                flush_node(out, &pn, &mut node)?;
            }
            pn.copy_from_slice(this_pn);
            started = true;
        }
        name.clear();
        name.extend_from_slice(attr);
        let mut v = Dec(it.value());
        let claim_type = v.claim_type();
        let value = (!v.is_empty()).then(|| v.text());
        let attr = String::from_utf8_lossy(attr);
        if attr.starts_with(ATTR_PATH_PREFIX) {
            state::fold_values(&mut values, claim_type, value.as_deref());
            node.touch(date);
        } else {
            node.apply(date, claim_type, &attr, value.as_deref());
        }
        it.advance()?;
    }
    if started {
        flush_entry(out, &pn, strip_path(&name), &mut values)?;
        flush_node(out, &pn, &mut node)?;
    }
    files.finish()
}

/// The entry name of a `camliPath:NAME` attribute (values are only
/// collected for those).
fn strip_path(attr: &[u8]) -> &[u8] {
    attr.strip_prefix(ATTR_PATH_PREFIX.as_bytes())
        .unwrap_or(attr)
}

/// Pass 4, end: the `i:n:` entries of nodes naming a file blob, with its
/// length and mode when it is a valid one.
pub fn file_nodes(
    nodes: &Sorted<'_>,
    scanned: &Scanned<'_>,
    out: &mut super::sorter::Sorter<'_>,
) -> Result<()> {
    let mut files = FirstCopies::new(&scanned.files)?;
    let mut it = nodes.iter()?;
    while it.valid() {
        let (file, pn) = it.key().split_at(32);
        let mut node = state::decode_node(it.value())?;
        node.file = files.find(file)?.and_then(|v| {
            let mut v = Dec(v);
            (v.u8() == OK).then(|| FileInfo {
                size_bytes: v.u64(),
                mode: v.u32(),
            })
        });
        let r = Dec(pn).blob_ref();
        out.push(&state::node_key(&r), &state::encode_node(&node))?;
        it.advance()?;
    }
    Ok(())
}

/// Pass 5: every file version whose `file` blob or chunks are missing or
/// corrupt is a problem (once per file blob, at its first version).
pub fn check_contents(
    contents: &Sorted<'_>,
    scanned: &Scanned<'_>,
    ctx: &Ctx,
    problems: &mut Problems,
) -> Result<()> {
    let mut parts = ctx.sorter();
    let mut files = FirstCopies::new(&scanned.files)?;
    let mut it = contents.iter()?;
    let mut k = Vec::with_capacity(56);
    while it.valid() {
        let (file, tag) = it.key().split_at(32);
        let file_ref = Dec(file).blob_ref();
        let pn = Dec(it.value()).blob_ref();
        let mut t = Dec(tag);
        let (seq, change) = (t.u64_be(), u64::from(t.u32_be()));
        match files.find(file)? {
            None => problems.push(
                (Phase::Contents, seq, change, 0),
                problem(
                    format!("file {file_ref}"),
                    format!("content of permanode {pn} is missing or corrupt"),
                ),
            ),
            Some(v) => {
                let mut v = Dec(v);
                if v.u8() == OK {
                    let _size_mode = (v.u64(), v.u32());
                    let n = v.u32();
                    for j in 0..n {
                        k.clear();
                        k.extend_from_slice(v.take(32));
                        k.extend_from_slice(tag);
                        k.extend_from_slice(&j.to_be_bytes());
                        let mut val = file.to_vec();
                        val.extend_from_slice(pn.digest());
                        parts.push(&k, &val)?;
                    }
                } else {
                    problems.push(
                        (Phase::Contents, seq, change, 0),
                        problem(format!("file {file_ref}"), v.text()),
                    );
                }
            }
        }
        // Once per file blob: skip its later versions.
        let mut digest = [0u8; 32];
        digest.copy_from_slice(file);
        while it.valid() && it.key()[..32] == digest {
            it.advance()?;
        }
    }
    let parts = parts.finish()?;
    let mut copies = scanned.copies.iter()?;
    let mut last: Option<([u8; 32], bool)> = None;
    let mut it = parts.iter()?;
    while it.valid() {
        let (part, tag) = it.key().split_at(32);
        let good = match last {
            Some((d, good)) if d == *part => good,
            _ => {
                copies.skip_before(part)?;
                let mut good = false;
                while copies.valid() && copies.key()[..32] == *part {
                    good |= copies.value()[5] == 1;
                    copies.advance()?;
                }
                let mut d = [0u8; 32];
                d.copy_from_slice(part);
                last = Some((d, good));
                good
            }
        };
        if !good {
            let mut t = Dec(tag);
            let (seq, change, j) = (t.u64_be(), t.u32_be(), t.u32_be());
            let mut v = Dec(it.value());
            let (file_ref, pn) = (v.blob_ref(), v.blob_ref());
            problems.push(
                (Phase::Contents, seq, u64::from(change), u64::from(j) + 1),
                problem(
                    format!("file {file_ref}"),
                    format!(
                        "chunk {} (of permanode {pn}) is missing or corrupt",
                        Dec(part).blob_ref()
                    ),
                ),
            );
        }
        it.advance()?;
    }
    Ok(())
}

/// The root entry, if a claim set one.
pub fn root_entry(root: Option<(ClaimTime, BlobRef, BlobRef)>) -> Option<(Vec<u8>, Vec<u8>)> {
    root.map(|(_, _, pn)| index::root_entry(&pn))
}
