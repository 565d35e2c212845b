//! Key orders (`include/leveldb/comparator.h`, `util/comparator.cc`,
//! `db/dbformat.cc`).
//!
//! A comparator's name is stored in the MANIFEST, so a database can only be
//! reopened with a comparator of the same name. The shortening hooks let
//! tables store short index keys: any key between the last key of one
//! block and the first of the next serves as a separator.

use crate::format::coding::put_fixed64;
use crate::format::internal_key::{
    compare_bytes, compare_internal_keys, extract_tag, extract_user_key, pack_sequence_and_type,
    MAX_SEQUENCE_NUMBER, VALUE_TYPE_FOR_SEEK,
};
use std::cmp::Ordering;
use std::sync::Arc;

/// A total order over keys, plus the hooks tables use to shorten index
/// keys. Implementations must be thread-safe and never change their order
/// for a given name.
pub trait Comparator: Send + Sync {
    /// The name stored in the MANIFEST; a database refuses to open with a
    /// comparator of a different name.
    fn name(&self) -> &'static str;
    /// Three-way comparison of `a` and `b`.
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering;
    /// If *start < limit, may change *start to a short string in [start, limit).
    fn find_shortest_separator(&self, start: &mut Vec<u8>, limit: &[u8]);
    /// Changes *key to a short string >= *key.
    fn find_short_successor(&self, key: &mut Vec<u8>);
    /// True if this order is exactly
    /// [`compare_internal_keys`](crate::format::internal_key::compare_internal_keys)
    /// (internal keys over bytewise user keys), so hot searches may call
    /// that inline instead of this object. Default false.
    fn is_bytewise_internal(&self) -> bool {
        false
    }
}

/// Lexicographic order of unsigned bytes (LevelDB's default comparator).
#[derive(Debug, Clone, Copy, Default)]
pub struct BytewiseComparator;

impl Comparator for BytewiseComparator {
    fn name(&self) -> &'static str {
        "leveldb.BytewiseComparator"
    }

    #[inline]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        compare_bytes(a, b)
    }

    fn find_shortest_separator(&self, start: &mut Vec<u8>, limit: &[u8]) {
        let diff_index = start.iter().zip(limit).take_while(|(s, l)| s == l).count();
        if diff_index >= start.len().min(limit.len()) {
            // One is a prefix of the other: no shorter separator exists.
            return;
        }
        let diff_byte = start[diff_index];
        // Bump the first differing byte only if the result stays below
        // `limit`: e.g. "abcdefg" / "abzzz" gives "abd".
        if diff_byte < 0xff && diff_byte + 1 < limit[diff_index] {
            start[diff_index] = diff_byte + 1;
            start.truncate(diff_index + 1);
            debug_assert_eq!(self.compare(start, limit), Ordering::Less);
        }
    }

    fn find_short_successor(&self, key: &mut Vec<u8>) {
        // Bump the first byte that can be bumped and drop the rest; a key of
        // only 0xff bytes has no shorter successor and is left alone.
        if let Some(i) = key.iter().position(|&b| b != 0xff) {
            key[i] += 1;
            key.truncate(i + 1);
        }
    }
}

/// Orders internal keys: by a user comparator, then by tag descending
/// (newer first). Wraps the user's comparator; tables and the MANIFEST
/// store internal keys in this order.
#[derive(Clone)]
pub struct InternalKeyComparator {
    user: Arc<dyn Comparator>,
    /// `user` is LevelDB's bytewise order: compare inline, without a
    /// virtual call per comparison (the table and memtable searches make
    /// dozens per lookup).
    user_is_bytewise: bool,
}

impl InternalKeyComparator {
    /// An internal-key order over user keys ordered by `user`.
    pub fn new(user: Arc<dyn Comparator>) -> Self {
        let user_is_bytewise = user.name() == BytewiseComparator.name();
        InternalKeyComparator {
            user,
            user_is_bytewise,
        }
    }

    /// The comparator of the user keys.
    pub fn user_comparator(&self) -> &Arc<dyn Comparator> {
        &self.user
    }

    /// Appends the tag that makes a shortened user key the first internal
    /// key of that user key.
    fn append_seek_tag(user_key: &mut Vec<u8>) {
        put_fixed64(
            user_key,
            pack_sequence_and_type(MAX_SEQUENCE_NUMBER, VALUE_TYPE_FOR_SEEK),
        );
    }
}

impl std::fmt::Debug for InternalKeyComparator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InternalKeyComparator({})", self.user.name())
    }
}

impl Comparator for InternalKeyComparator {
    fn name(&self) -> &'static str {
        "leveldb.InternalKeyComparator"
    }

    #[inline]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        if self.user_is_bytewise {
            return compare_internal_keys(a, b);
        }
        self.user
            .compare(extract_user_key(a), extract_user_key(b))
            .then_with(|| extract_tag(b).cmp(&extract_tag(a)))
    }

    fn find_shortest_separator(&self, start: &mut Vec<u8>, limit: &[u8]) {
        let user_start = extract_user_key(start);
        let user_limit = extract_user_key(limit);
        let mut shortened = user_start.to_vec();
        self.user
            .find_shortest_separator(&mut shortened, user_limit);
        // Keep the physically shorter user key only if it is logically
        // larger; the maximal tag then makes it sort first among entries of
        // that user key, so it still lies in [start, limit).
        if shortened.len() < user_start.len()
            && self.user.compare(user_start, &shortened) == Ordering::Less
        {
            Self::append_seek_tag(&mut shortened);
            debug_assert_eq!(self.compare(start, &shortened), Ordering::Less);
            debug_assert_eq!(self.compare(&shortened, limit), Ordering::Less);
            *start = shortened;
        }
    }

    fn find_short_successor(&self, key: &mut Vec<u8>) {
        let user_key = extract_user_key(key);
        let mut shortened = user_key.to_vec();
        self.user.find_short_successor(&mut shortened);
        if shortened.len() < user_key.len()
            && self.user.compare(user_key, &shortened) == Ordering::Less
        {
            Self::append_seek_tag(&mut shortened);
            debug_assert_eq!(self.compare(key, &shortened), Ordering::Less);
            *key = shortened;
        }
    }

    fn is_bytewise_internal(&self) -> bool {
        self.user_is_bytewise
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::internal_key::{append_internal_key, ValueType};
    use proptest::prelude::*;

    fn separator(start: &[u8], limit: &[u8]) -> Vec<u8> {
        let mut s = start.to_vec();
        BytewiseComparator.find_shortest_separator(&mut s, limit);
        s
    }

    fn successor(key: &[u8]) -> Vec<u8> {
        let mut k = key.to_vec();
        BytewiseComparator.find_short_successor(&mut k);
        k
    }

    fn ikey(user_key: &[u8], seq: u64, t: ValueType) -> Vec<u8> {
        let mut out = Vec::new();
        append_internal_key(&mut out, user_key, seq, t);
        out
    }

    fn icmp() -> InternalKeyComparator {
        InternalKeyComparator::new(Arc::new(BytewiseComparator))
    }

    #[test]
    fn names() {
        assert_eq!(BytewiseComparator.name(), "leveldb.BytewiseComparator");
        assert_eq!(icmp().name(), "leveldb.InternalKeyComparator");
        assert_eq!(
            icmp().user_comparator().name(),
            "leveldb.BytewiseComparator"
        );
    }

    #[test]
    fn bytewise_compare_is_unsigned() {
        assert_eq!(BytewiseComparator.compare(b"a", b"b"), Ordering::Less);
        assert_eq!(
            BytewiseComparator.compare(b"\xff", b"\x01"),
            Ordering::Greater
        );
        assert_eq!(BytewiseComparator.compare(b"ab", b"a"), Ordering::Greater);
        assert_eq!(BytewiseComparator.compare(b"", b""), Ordering::Equal);
    }

    #[test]
    fn bytewise_separators() {
        assert_eq!(separator(b"abcdefg", b"abzzz"), b"abd");
        // Prefixes are left unchanged, whichever way round.
        assert_eq!(separator(b"abc", b"abcdef"), b"abc");
        assert_eq!(separator(b"abcdef", b"abc"), b"abcdef");
        assert_eq!(separator(b"", b"abc"), b"");
        // Adjacent differing bytes cannot be bumped.
        assert_eq!(separator(b"abc", b"abd"), b"abc");
        assert_eq!(separator(b"a1zzzz", b"a2"), b"a1zzzz");
        // Bumping must stay strictly below the limit's byte.
        assert_eq!(separator(b"a\xffz", b"b"), b"a\xffz");
        // A 0xff byte is never bumped (start > limit here).
        assert_eq!(separator(b"\xff", b"\x00"), b"\xff");
        assert_eq!(separator(b"\xffa", b"\xffc"), b"\xffb");
        assert_eq!(separator(b"\xff\xff", b"\xff\xff\x00"), b"\xff\xff");
        // start >= limit: unchanged.
        assert_eq!(separator(b"foo", b"bar"), b"foo");
        assert_eq!(separator(b"foo", b"foo"), b"foo");
    }

    #[test]
    fn bytewise_successors() {
        assert_eq!(successor(b"abc"), b"b");
        assert_eq!(successor(b"\xff\xffa\x00"), b"\xff\xffb");
        assert_eq!(successor(b"\xff\xff\xff"), b"\xff\xff\xff");
        assert_eq!(successor(b""), b"");
    }

    #[test]
    fn internal_compare() {
        let c = icmp();
        assert_eq!(
            c.compare(
                &ikey(b"a", 2, ValueType::Value),
                &ikey(b"a", 1, ValueType::Value)
            ),
            Ordering::Less
        );
        assert_eq!(
            c.compare(
                &ikey(b"a", 1, ValueType::Value),
                &ikey(b"b", 9, ValueType::Value)
            ),
            Ordering::Less
        );
        assert_eq!(
            c.compare(
                &ikey(b"a", 1, ValueType::Value),
                &ikey(b"a", 1, ValueType::Deletion)
            ),
            Ordering::Less
        );
    }

    #[test]
    fn internal_separator_shortens_with_max_tag() {
        let c = icmp();
        let mut start = ikey(b"foo", 100, ValueType::Value);
        c.find_shortest_separator(&mut start, &ikey(b"hello", 200, ValueType::Value));
        assert_eq!(start, ikey(b"g", MAX_SEQUENCE_NUMBER, VALUE_TYPE_FOR_SEEK));
    }

    #[test]
    fn internal_separator_keeps_start_when_user_keys_do_not_shorten() {
        let c = icmp();
        let cases: [(&[u8], &[u8]); 4] = [
            (b"foo", b"foo"),    // same user key
            (b"foo", b"foobar"), // prefix
            (b"foobar", b"foo"), // limit is a prefix (start > limit)
            (b"foo", b"bar"),    // start > limit
        ];
        for (s, l) in cases {
            let original = ikey(s, 100, ValueType::Value);
            let mut start = original.clone();
            c.find_shortest_separator(&mut start, &ikey(l, 99, ValueType::Value));
            assert_eq!(start, original, "start {s:?} limit {l:?}");
        }
    }

    #[test]
    fn internal_successor() {
        let c = icmp();
        let mut key = ikey(b"foo", 100, ValueType::Value);
        c.find_short_successor(&mut key);
        assert_eq!(key, ikey(b"g", MAX_SEQUENCE_NUMBER, VALUE_TYPE_FOR_SEEK));
        let original = ikey(b"\xff\xff", 100, ValueType::Value);
        let mut key = original.clone();
        c.find_short_successor(&mut key);
        assert_eq!(key, original);
    }

    proptest! {
        #[test]
        fn separator_lies_between(a in proptest::collection::vec(any::<u8>(), 0..8),
                                  b in proptest::collection::vec(any::<u8>(), 0..8)) {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            if lo < hi {
                let s = separator(&lo, &hi);
                prop_assert!(lo <= s && s < hi);
                prop_assert!(s.len() <= lo.len());

                let c = icmp();
                let start = ikey(&lo, 5, ValueType::Value);
                let limit = ikey(&hi, 5, ValueType::Value);
                let mut sep = start.clone();
                c.find_shortest_separator(&mut sep, &limit);
                prop_assert_ne!(c.compare(&start, &sep), Ordering::Greater);
                prop_assert_eq!(c.compare(&sep, &limit), Ordering::Less);
            }
        }

        #[test]
        fn successor_is_not_smaller(a in proptest::collection::vec(any::<u8>(), 0..8)) {
            let s = successor(&a);
            prop_assert!(s >= a);
            prop_assert!(s.len() <= a.len());
            let c = icmp();
            let key = ikey(&a, 3, ValueType::Deletion);
            let mut succ = key.clone();
            c.find_short_successor(&mut succ);
            prop_assert_ne!(c.compare(&succ, &key), Ordering::Less);
        }
    }
}
