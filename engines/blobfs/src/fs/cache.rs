//! A bounded in-memory cache of directory bindings: for a (directory,
//! name), every claim ever made on its `camliPath:NAME`, so that the
//! directories on the way to a path are resolved without the engine, now
//! or at any past time.
//!
//! Only the bindings met while walking *through* a path (and the directory
//! that `readdir` lists) are cached, so the cache holds directories, not
//! the files below them. It is filled lazily (nothing is read at open) and
//! bounded: two generations of at most `capacity / 2` entries each; when
//! the young one fills up, the old one is dropped.
//!
//! Coherence with the engine: a committed batch that claims `camliPath:NAME`
//! of a directory invalidates that binding and bumps the generation, under
//! the same lock that guards taking a snapshot (see
//! [`super::BlobFs::view`]). An entry records the generation at which it
//! was loaded; a reader uses it only if the reader's snapshot is at least
//! that recent, and a loaded history is inserted only if no commit happened
//! since the reader's snapshot, so the cache never holds a binding staler
//! than the engine nor serves one newer than the reader's snapshot.

use crate::blob::BlobRef;
use crate::schema::ClaimType;
use crate::state::fold_values;
use crate::time::ClaimTime;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// Default bound on cached bindings (a few hundred bytes each, so at most
/// about 80 MB). Each generation holds half, and a generation must hold
/// every directory a workload walks through or lookups miss in turn: at
/// 1<<17 a million-file tree (83,334 directories) missed enough to spend
/// 14 % of `stat` building engine iterators for the reloads (perf, 1M
/// files); 1<<18 keeps 131,072 directories per generation.
pub const DEFAULT_PATH_CACHE_ENTRIES: usize = 1 << 18;

/// One claim on a binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    pub(crate) date: ClaimTime,
    pub(crate) claim_type: ClaimType,
    pub(crate) value: Option<String>,
    /// `value` parsed as a ref, once, so that resolving through the cache
    /// decodes no hex.
    pub(crate) target: Option<BlobRef>,
}

impl Binding {
    /// A claim of `claim_type` with `value` at `date`.
    pub(crate) fn new(date: ClaimTime, claim_type: ClaimType, value: Option<String>) -> Self {
        let target = value.as_deref().and_then(BlobRef::parse);
        Binding {
            date,
            claim_type,
            value,
            target,
        }
    }
}

/// What a binding names at a time.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Bound {
    /// Nothing.
    Unbound,
    /// A child permanode.
    Child(BlobRef),
    /// A value that is not a ref (a corrupt directory entry).
    NotARef(String),
}

/// [`value_at`], with the value as a [`Bound`].
pub(crate) fn bound_at(history: &[Binding], at: Option<ClaimTime>) -> Bound {
    let upto = history.partition_point(|b| at.is_none_or(|limit| b.date <= limit));
    if let Some(last) = history[..upto].last() {
        if is_simple(&history[..upto]) {
            return match (last.claim_type, last.target) {
                (ClaimType::SetAttribute, Some(r)) => Bound::Child(r),
                (ClaimType::SetAttribute, None) => {
                    Bound::NotARef(last.value.clone().unwrap_or_default())
                }
                _ => Bound::Unbound,
            };
        }
    }
    match value_at(history, at) {
        None => Bound::Unbound,
        Some(v) => match BlobRef::parse(&v) {
            Some(r) => Bound::Child(r),
            None => Bound::NotARef(v),
        },
    }
}

/// True for claims that are all set or delete-all (then the last one says
/// everything).
fn is_simple(claims: &[Binding]) -> bool {
    claims.iter().all(|b| {
        b.claim_type == ClaimType::SetAttribute
            || (b.claim_type == ClaimType::DelAttribute && b.value.is_none())
    })
}

/// Every claim on one binding, in (date, claim) order.
pub(crate) type History = Arc<[Binding]>;

/// The last value of a binding whose claims are `history`, as of `at`
/// (`None`: all of them).
pub(crate) fn value_at(history: &[Binding], at: Option<ClaimTime>) -> Option<String> {
    let upto = history.partition_point(|b| at.is_none_or(|limit| b.date <= limit));
    let claims = &history[..upto];
    // A binding changed only by set and by delete-all (as this crate's
    // mutations change them) is what its last claim says.
    if is_simple(claims) {
        return claims.last().and_then(|b| match b.claim_type {
            ClaimType::SetAttribute => Some(b.value.clone().unwrap_or_default()),
            _ => None,
        });
    }
    let mut values = Vec::new();
    for b in claims {
        fold_values(&mut values, b.claim_type, b.value.as_deref());
    }
    values.pop()
}

struct Entry {
    loaded_at: u64,
    history: History,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    young: HashMap<Vec<u8>, Entry>,
    old: HashMap<Vec<u8>, Entry>,
}

/// The cache.
pub(crate) struct PathCache {
    half: usize,
    inner: Mutex<Inner>,
}

fn key(dir: &BlobRef, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(32 + name.len());
    k.extend_from_slice(dir.digest());
    k.extend_from_slice(name.as_bytes());
    k
}

impl PathCache {
    /// A cache of at most `capacity` bindings (0 disables it).
    pub(crate) fn new(capacity: usize) -> Self {
        PathCache {
            half: capacity / 2,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The number of commits that changed bindings so far.
    pub(crate) fn generation(&self) -> u64 {
        self.inner.lock().generation
    }

    /// The history of (`dir`, `name`) if cached and usable by a reader
    /// whose snapshot is at `generation`.
    pub(crate) fn get(&self, dir: &BlobRef, name: &str, generation: u64) -> Option<History> {
        if self.half == 0 {
            return None;
        }
        let k = key(dir, name);
        let mut inner = self.inner.lock();
        if let Some(e) = inner.young.get(&k) {
            return (e.loaded_at <= generation).then(|| Arc::clone(&e.history));
        }
        let e = inner.old.remove(&k)?;
        let found = (e.loaded_at <= generation).then(|| Arc::clone(&e.history));
        Self::put_young(&mut inner, self.half, k, e);
        found
    }

    /// Caches `history`, read from a snapshot at `loaded_at`, unless a
    /// commit happened since (then it may already be stale).
    pub(crate) fn insert(&self, dir: &BlobRef, name: &str, history: History, loaded_at: u64) {
        if self.half == 0 {
            return;
        }
        let mut inner = self.inner.lock();
        if inner.generation != loaded_at {
            return;
        }
        let e = Entry { loaded_at, history };
        Self::put_young(&mut inner, self.half, key(dir, name), e);
    }

    fn put_young(inner: &mut Inner, half: usize, k: Vec<u8>, e: Entry) {
        if inner.young.len() >= half {
            inner.old = std::mem::take(&mut inner.young);
        }
        inner.young.insert(k, e);
    }

    /// Forgets the bindings a commit changed and starts a new generation.
    pub(crate) fn invalidate<'a>(&self, changed: impl Iterator<Item = (&'a BlobRef, &'a str)>) {
        let mut inner = self.inner.lock();
        for (dir, name) in changed {
            let k = key(dir, name);
            inner.young.remove(&k);
            inner.old.remove(&k);
        }
        inner.generation += 1;
    }

    /// Cached bindings (both generations).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        let inner = self.inner.lock();
        inner.young.len() + inner.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339;

    fn history(value: &str) -> History {
        Arc::from(vec![Binding::new(
            parse_rfc3339("2024-01-01T00:00:00Z").expect("t"),
            ClaimType::SetAttribute,
            Some(value.to_string()),
        )])
    }

    #[test]
    fn stale_loads_are_dropped_and_new_snapshots_only_see_their_past() {
        let cache = PathCache::new(8);
        let dir = BlobRef::of(b"d");
        let g0 = cache.generation();
        cache.insert(&dir, "a", history("x"), g0);
        assert!(cache.get(&dir, "a", g0).is_some());
        // A commit elsewhere: the entry stays valid for new snapshots...
        cache.invalidate(std::iter::empty());
        let g1 = cache.generation();
        assert!(cache.get(&dir, "a", g1).is_some());
        // ...but a history loaded at g0 may be stale now: not inserted.
        cache.insert(&dir, "b", history("y"), g0);
        assert!(cache.get(&dir, "b", g1).is_none());
        // Loaded at g1: not served to a reader of an older snapshot.
        cache.insert(&dir, "b", history("y"), g1);
        assert!(cache.get(&dir, "b", g0).is_none());
        assert!(cache.get(&dir, "b", g1).is_some());
        // Changed binding: gone.
        let name = "a".to_string();
        cache.invalidate(std::iter::once((&dir, name.as_str())));
        assert!(cache.get(&dir, "a", cache.generation()).is_none());
    }

    #[test]
    fn stays_bounded() {
        let cache = PathCache::new(8);
        let dir = BlobRef::of(b"d");
        for i in 0..100 {
            cache.insert(&dir, &format!("n{i}"), history("x"), 0);
            assert!(cache.len() <= 8);
        }
        assert!(cache.get(&dir, "n99", 0).is_some());
        let off = PathCache::new(0);
        off.insert(&dir, "a", history("x"), 0);
        assert!(off.get(&dir, "a", 0).is_none());
    }

    #[test]
    fn value_at_folds_up_to_the_time() {
        let t = |s: &str| parse_rfc3339(s).expect("t");
        let h = vec![
            Binding::new(
                t("2024-01-01T00:00:00Z"),
                ClaimType::SetAttribute,
                Some("a".into()),
            ),
            Binding::new(t("2024-01-02T00:00:00Z"), ClaimType::DelAttribute, None),
        ];
        assert_eq!(value_at(&h, Some(t("2023-12-31T00:00:00Z"))), None);
        assert_eq!(
            value_at(&h, Some(t("2024-01-01T12:00:00Z"))).as_deref(),
            Some("a")
        );
        assert_eq!(value_at(&h, None), None);
        // Adds and value deletes take the general fold.
        let mut h = h;
        for (claim_type, value) in [
            (ClaimType::AddAttribute, "b"),
            (ClaimType::AddAttribute, "c"),
            (ClaimType::DelAttribute, "c"),
        ] {
            h.push(Binding::new(
                t("2024-01-03T00:00:00Z"),
                claim_type,
                Some(value.into()),
            ));
        }
        assert_eq!(value_at(&h, None).as_deref(), Some("b"));
        assert_eq!(bound_at(&h, None), Bound::NotARef("b".into()));
        let r = BlobRef::of(b"child");
        let h = vec![Binding::new(
            t("2024-01-01T00:00:00Z"),
            ClaimType::SetAttribute,
            Some(r.to_string()),
        )];
        assert_eq!(bound_at(&h, None), Bound::Child(r));
        assert_eq!(
            bound_at(&h, Some(t("2023-01-01T00:00:00Z"))),
            Bound::Unbound
        );
    }
}
