//! The last pass: the index in the engine against the rebuilt one, both
//! walked in key order (`i:` against the sorted entries, `l:` against the
//! locations chosen from the sorted copies).

use super::codec::Dec;
use super::sorter::{Sorted, SortedIter};
use crate::blob::{location_key, BlobKind, Location, LOCATION_PREFIX};
use crate::error::Result;
use crate::index::INDEX_PREFIX;
use strata_api::{Engine, ReadOptions};

/// One difference between the engine's index and the rebuilt one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diff<'a> {
    /// The engine lacks `key`; `expected` is its value.
    Missing {
        /// The key.
        key: &'a [u8],
        /// The value the blobs imply.
        expected: &'a [u8],
    },
    /// The engine has `key`, which no valid blob implies.
    Extra {
        /// The key.
        key: &'a [u8],
    },
    /// The engine's value of `key` is not `expected`.
    Different {
        /// The key.
        key: &'a [u8],
        /// The value the blobs imply.
        expected: &'a [u8],
    },
}

/// Counts over the blobs' copies, taken while comparing locations.
#[derive(Debug, Default, Clone, Copy)]
pub struct CopyCounts {
    /// Distinct refs.
    pub blobs: u64,
    /// Their bytes (of each ref's first copy).
    pub blob_bytes: u64,
    /// Copies beyond the located one and the first (harmless duplicates).
    pub duplicate_copies: u64,
}

/// One ref's copies reduced to its expected location.
struct LocationGroup {
    key: [u8; crate::blob::LOCATION_KEY_BYTES],
    expected: [u8; crate::blob::LOCATION_VALUE_BYTES],
    first_len: u32,
    /// Sequence numbers of the other copies (a location may name any).
    duplicates: Vec<u64>,
}

struct Copy {
    seq: u64,
    len: u32,
    kind: BlobKind,
    good: bool,
}

/// Reduces the sorted copies to one [`LocationGroup`] per ref: the
/// location names the first good copy, or the first copy if none is good
/// (so that reads report it corrupt, not missing).
struct Locations<'a> {
    it: SortedIter<'a>,
    group: Option<LocationGroup>,
}

impl<'a> Locations<'a> {
    fn new(copies: &'a Sorted<'_>) -> Result<Self> {
        let mut l = Self {
            it: copies.iter()?,
            group: None,
        };
        l.advance()?;
        Ok(l)
    }

    fn copy(&self) -> Copy {
        let mut k = Dec(&self.it.key()[32..]);
        let mut v = Dec(self.it.value());
        Copy {
            seq: k.u64_be(),
            len: v.u32(),
            kind: if v.u8() == 1 {
                BlobKind::Schema
            } else {
                BlobKind::Data
            },
            good: v.u8() == 1,
        }
    }

    fn advance(&mut self) -> Result<()> {
        if !self.it.valid() {
            self.group = None;
            return Ok(());
        }
        let r = Dec(&self.it.key()[..32]).blob_ref();
        let first = self.copy();
        let mut chosen: Option<Copy> = None;
        let mut others = Vec::new();
        self.it.advance()?;
        while self.it.valid() && self.it.key()[..32] == *r.digest() {
            let c = self.copy();
            if !first.good && chosen.is_none() && c.good {
                chosen = Some(c);
            } else {
                others.push(c.seq);
            }
            self.it.advance()?;
        }
        let first_len = first.len;
        let at = chosen.unwrap_or(first);
        self.group = Some(LocationGroup {
            key: location_key(&r),
            expected: Location {
                seq: at.seq,
                len: at.len,
                kind: at.kind,
            }
            .encode(),
            first_len,
            duplicates: others,
        });
        Ok(())
    }
}

/// True when `actual` names a duplicate copy of the group's blob with the
/// expected length and kind.
fn names_a_copy(g: &LocationGroup, actual: &[u8]) -> bool {
    let r = Dec(&g.key[2..]).blob_ref();
    let (Ok(actual), Ok(expected)) = (
        Location::decode(&r, actual),
        Location::decode(&r, &g.expected),
    ) else {
        return false;
    };
    (actual.len, actual.kind) == (expected.len, expected.kind) && g.duplicates.contains(&actual.seq)
}

/// An expected stream in key order, walked beside the engine's keys.
trait Expected {
    /// The current entry (key, value), or `None` at the end.
    fn current(&self) -> Option<(&[u8], &[u8])>;
    /// Moves to the next entry.
    fn step(&mut self) -> Result<()>;
    /// Whether an engine value that differs from the current expected one
    /// still counts as equal.
    fn same(&self, _actual: &[u8]) -> bool {
        false
    }
}

impl Expected for SortedIter<'_> {
    fn current(&self) -> Option<(&[u8], &[u8])> {
        self.valid().then(|| (self.key(), self.value()))
    }

    fn step(&mut self) -> Result<()> {
        self.advance()
    }
}

/// [`Locations`], counting the groups it passes.
struct CountedLocations<'a> {
    locations: Locations<'a>,
    counts: CopyCounts,
}

impl CountedLocations<'_> {
    fn count(&mut self) {
        if let Some(g) = &self.locations.group {
            self.counts.blobs += 1;
            self.counts.blob_bytes += u64::from(g.first_len);
            self.counts.duplicate_copies += g.duplicates.len() as u64;
        }
    }
}

impl Expected for CountedLocations<'_> {
    fn current(&self) -> Option<(&[u8], &[u8])> {
        self.locations
            .group
            .as_ref()
            .map(|g| (&g.key[..], &g.expected[..]))
    }

    fn step(&mut self) -> Result<()> {
        self.locations.advance()?;
        self.count();
        Ok(())
    }

    fn same(&self, actual: &[u8]) -> bool {
        self.locations
            .group
            .as_ref()
            .is_some_and(|g| names_a_copy(g, actual))
    }
}

/// Walks the engine's keys under `prefix` beside `expected`, calling `f`
/// for each difference.
fn merge_prefix(
    engine: &dyn Engine,
    ro: &ReadOptions,
    prefix: &[u8],
    expected: &mut dyn Expected,
    f: &mut dyn FnMut(Diff<'_>) -> Result<()>,
) -> Result<()> {
    let mut it = engine.iter(ro)?;
    it.seek(prefix);
    while it.valid() && it.key().starts_with(prefix) {
        let key = it.key();
        while let Some((k, v)) = expected.current().filter(|(k, _)| *k < key) {
            f(Diff::Missing {
                key: k,
                expected: v,
            })?;
            expected.step()?;
        }
        match expected.current() {
            Some((k, v)) if k == key => {
                if v != it.value() && !expected.same(it.value()) {
                    f(Diff::Different { key, expected: v })?;
                }
                expected.step()?;
            }
            _ => f(Diff::Extra { key })?,
        }
        it.next();
    }
    it.status()?;
    while let Some((k, v)) = expected.current() {
        f(Diff::Missing {
            key: k,
            expected: v,
        })?;
        expected.step()?;
    }
    Ok(())
}

/// Compares the engine's `i:` entries with `entries` (sorted, `i:` keys
/// only) and its `l:` entries with the locations `copies` imply, calling
/// `f` for each difference in key order. A location that names another
/// copy of its blob with the same length and kind is not a difference.
///
/// # Errors
/// The engine's errors, `Io` reading the sorts, and `f`'s errors.
pub fn compare(
    engine: &dyn Engine,
    ro: &ReadOptions,
    entries: &Sorted<'_>,
    copies: &Sorted<'_>,
    f: &mut dyn FnMut(Diff<'_>) -> Result<()>,
) -> Result<CopyCounts> {
    let mut expected = entries.iter()?;
    merge_prefix(engine, ro, INDEX_PREFIX, &mut expected, f)?;
    let mut locations = CountedLocations {
        locations: Locations::new(copies)?,
        counts: CopyCounts::default(),
    };
    locations.count();
    merge_prefix(engine, ro, LOCATION_PREFIX, &mut locations, f)?;
    Ok(locations.counts)
}
