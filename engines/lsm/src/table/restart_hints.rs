//! A compact search aid over a block's restart keys, built in memory when a
//! table's index block is loaded (nothing on disk changes).
//!
//! A point lookup binary-searches the index block's restart points; each
//! step reads a restart offset and then the key it points at, two
//! dependent loads that mostly miss the processor's caches. The hints keep
//! one word per restart point in a contiguous array: the search runs over
//! that array and compares whole keys only where two words are equal.
//!
//! A word is a class byte and seven bytes of the user key. The prefix is
//! what the first and the second-to-last restart keys share (the last
//! index key is often a short successor like `"1"` that shares nothing);
//! the class says whether a user key sorts before every key with that
//! prefix (0), has it (1), or sorts after them (2); for class 1 the seven
//! bytes after the prefix follow, zero-padded. Valid only for internal keys
//! over the bytewise user order: a smaller (larger) word means a smaller
//! (larger) user key, because zero-padding a truncated window never inverts
//! bytewise order, it can only make two windows equal.

use crate::format::internal_key::TAG_SIZE_BYTES;
use crate::format::internal_key::{compare_bytes, extract_user_key};
use std::cmp::Ordering;

/// Bytes of user key each hint word holds (after its class byte).
const WINDOW_BYTES: usize = 7;
/// Class of a user key that sorts before every key with the prefix.
const CLASS_BEFORE: u64 = 0;
/// Class of a user key that starts with the prefix.
const CLASS_PREFIXED: u64 = 1;
/// Class of a user key that sorts after every key with the prefix.
const CLASS_AFTER: u64 = 2;

/// One word per restart point of a block, in restart order.
#[derive(Debug, Clone)]
pub struct RestartHints {
    /// The user-key bytes the first and second-to-last restart keys share.
    prefix: Vec<u8>,
    /// Per restart point: its user key's word (see the module).
    words: Vec<u64>,
}

/// Where the restart key that a search wants can be: restart keys before
/// `lo` are smaller than the target, those at or after `hi` larger; those
/// in `lo..hi` need a whole-key comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidates {
    /// First restart point not known to be smaller than the target.
    pub lo: u32,
    /// First restart point known to be larger than the target.
    pub hi: u32,
}

impl RestartHints {
    /// Hints over `restart_keys` (internal keys, in block order), or `None`
    /// if there are none or one is shorter than a tag (not an internal key:
    /// the ordinary search then reports what is wrong).
    pub fn build<'a>(
        restart_keys: impl ExactSizeIterator<Item = &'a [u8]> + Clone,
    ) -> Option<Self> {
        let count = restart_keys.len();
        let mut keys = restart_keys.clone();
        let first = keys.next()?;
        let second_to_last = keys.nth(count.saturating_sub(3)).unwrap_or(first);
        if first.len() < TAG_SIZE_BYTES || second_to_last.len() < TAG_SIZE_BYTES {
            return None;
        }
        // Sorted keys between these two share what they share.
        let (a, b) = (extract_user_key(first), extract_user_key(second_to_last));
        let shared = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let mut hints = RestartHints {
            prefix: a[..shared].to_vec(),
            words: Vec::with_capacity(count),
        };
        for key in restart_keys {
            if key.len() < TAG_SIZE_BYTES {
                return None;
            }
            let word = hints.word(extract_user_key(key));
            hints.words.push(word);
        }
        Some(hints)
    }

    /// Number of restart points covered.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True if no restart point is covered.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Bytes of memory the hints hold.
    pub fn size_bytes(&self) -> usize {
        self.prefix.capacity() + self.words.capacity() * std::mem::size_of::<u64>()
    }

    /// The restart points that can hold the last key smaller than
    /// `target` (an internal key), or `None` if `target` is not one.
    pub fn candidates(&self, target: &[u8]) -> Option<Candidates> {
        if target.len() < TAG_SIZE_BYTES {
            return None;
        }
        let word = self.word(extract_user_key(target));
        let lo = self.words.partition_point(|&w| w < word);
        let hi = lo + self.words[lo..].partition_point(|&w| w == word);
        Some(Candidates {
            lo: lo as u32,
            hi: hi as u32,
        })
    }
}

impl RestartHints {
    /// The word of `user_key`: its class, then for a prefixed key the
    /// seven bytes after the prefix.
    fn word(&self, user_key: &[u8]) -> u64 {
        let shared = self.prefix.len().min(user_key.len());
        match compare_bytes(&user_key[..shared], &self.prefix[..shared]) {
            Ordering::Less => CLASS_BEFORE << 56,
            Ordering::Greater => CLASS_AFTER << 56,
            // A proper prefix of the prefix sorts before it.
            Ordering::Equal if user_key.len() < self.prefix.len() => CLASS_BEFORE << 56,
            Ordering::Equal => (CLASS_PREFIXED << 56) | window(&user_key[self.prefix.len()..]),
        }
    }
}

/// The first seven bytes of `bytes`, zero-padded, as a big-endian number.
fn window(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    for (w, b) in word[8 - WINDOW_BYTES..].iter_mut().zip(bytes) {
        *w = *b;
    }
    u64::from_be_bytes(word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::internal_key::{append_internal_key, compare_internal_keys, ValueType};
    use proptest::prelude::*;

    fn ikey(user_key: &[u8], sequence: u64) -> Vec<u8> {
        let mut key = Vec::new();
        append_internal_key(&mut key, user_key, sequence, ValueType::Value);
        key
    }

    #[test]
    fn words_are_the_bytes_after_the_shared_prefix() {
        // db_bench's keys: the last index key is a short successor.
        let keys = [
            ikey(b"0000000000123456", 9),
            ikey(b"000000000012346", 7),
            ikey(b"0000000000999999", 1),
            ikey(b"1", 1),
        ];
        let hints = RestartHints::build(keys.iter().map(Vec::as_slice)).expect("hints");
        assert_eq!(hints.prefix, b"0000000000");
        assert_eq!(hints.words[0], u64::from_be_bytes(*b"\x01123456\0"));
        assert_eq!(hints.words[1], u64::from_be_bytes(*b"\x0112346\0\0"));
        assert_eq!(hints.words[2], u64::from_be_bytes(*b"\x01999999\0"));
        assert_eq!(hints.words[3], 2 << 56, "sorts after the prefixed keys");
        let c = hints
            .candidates(&ikey(b"0000000000123457", 5))
            .expect("ikey");
        assert_eq!(c, Candidates { lo: 1, hi: 1 });
        // Equal words: the key itself needs a whole-key comparison.
        let c = hints
            .candidates(&ikey(b"000000000012346", 100))
            .expect("ikey");
        assert_eq!(c, Candidates { lo: 1, hi: 2 });
        // Outside the shared prefix: before everything, or with the keys
        // past the prefix.
        assert_eq!(
            hints.candidates(&ikey(b"00000", 1)),
            Some(Candidates { lo: 0, hi: 0 })
        );
        assert_eq!(
            hints.candidates(&ikey(b"1", 1)),
            Some(Candidates { lo: 3, hi: 4 })
        );
        assert_eq!(
            hints.candidates(&ikey(b"2", 1)),
            Some(Candidates { lo: 3, hi: 4 })
        );
        assert_eq!(hints.candidates(b"short"), None);
    }

    #[test]
    fn keys_that_are_not_internal_keys_get_no_hints() {
        let keys: [&[u8]; 2] = [b"abc", b"abcdefghij"];
        assert!(RestartHints::build(keys.iter().copied()).is_none());
        let none: [&[u8]; 0] = [];
        assert!(RestartHints::build(none.iter().copied()).is_none());
    }

    proptest! {
        /// The candidates bracket exactly where a whole-key search lands:
        /// every key before `lo` is smaller than the target and every key
        /// from `hi` on is larger.
        #[test]
        fn candidates_bracket_the_whole_key_order(
            mut users in proptest::collection::vec(proptest::collection::vec(0u8..4, 0..12), 1..40),
            target_user in proptest::collection::vec(0u8..4, 0..12),
            target_seq in 0u64..4,
        ) {
            users.sort();
            users.dedup();
            let keys: Vec<Vec<u8>> = users.iter().map(|u| ikey(u, 2)).collect();
            let hints = RestartHints::build(keys.iter().map(Vec::as_slice)).expect("hints");
            let target = ikey(&target_user, target_seq);
            let c = hints.candidates(&target).expect("internal key");
            prop_assert!(c.lo <= c.hi);
            for (i, key) in keys.iter().enumerate() {
                let order = compare_internal_keys(key, &target);
                if (i as u32) < c.lo {
                    prop_assert_eq!(order, Ordering::Less, "key {} before lo", i);
                }
                if (i as u32) >= c.hi {
                    prop_assert_eq!(order, Ordering::Greater, "key {} at or after hi", i);
                }
            }
        }
    }
}
