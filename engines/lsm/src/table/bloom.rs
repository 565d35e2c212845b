//! Filter policies: LevelDB's bloom filter (`util/bloom.cc`) and the
//! wrapper that lets it index internal keys (`db/dbformat.cc`).
//!
//! A filter is a bit array followed by one byte holding the number of
//! probes `k`. Each key sets `k` bits chosen by double hashing from
//! LevelDB's 32-bit hash: `h`, `h + delta`, `h + 2·delta`, … modulo the
//! number of bits, with `delta = h` rotated right by 17.

use crate::table::hash::leveldb_hash;

/// Seed of LevelDB's `BloomHash`.
const BLOOM_SEED: u32 = 0xbc9f_1d34;
/// Filters shorter than this many bits have poor false-positive rates on
/// small key sets; LevelDB rounds up to it.
const MIN_FILTER_BITS: usize = 64;
/// Probe counts above this are reserved by LevelDB for future encodings.
const MAX_PROBES: usize = 30;
/// Bytes of the sequence-and-type tag at the end of an internal key.
const INTERNAL_TAG_BYTES: usize = 8;

/// Builds and probes compact summaries of key sets (LevelDB's
/// `FilterPolicy`). The name is stored in the table's metaindex; a table
/// whose filter was written under another name is read without a filter.
pub trait FilterPolicy: Send + Sync {
    /// The name under which filters are stored (`filter.<name>`).
    fn name(&self) -> &'static str;
    /// Appends a filter summarising `keys` to `dst` (keys may repeat).
    fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>);
    /// False only if `key` was certainly not among the keys `filter` was
    /// built from; true may be a false positive.
    fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool;
}

/// LevelDB's built-in bloom filter, bit-compatible with
/// `NewBloomFilterPolicy(bits_per_key)`.
#[derive(Debug, Clone, Copy)]
pub struct BloomFilterPolicy {
    bits_per_key: usize,
    probes: usize,
}

impl BloomFilterPolicy {
    /// A policy spending `bits_per_key` bits per key (10 gives about 1%
    /// false positives).
    pub fn new(bits_per_key: usize) -> Self {
        // Rounded down on purpose (as LevelDB) to save a little probing;
        // 0.69 is about ln 2, the optimal probes per bit per key.
        let probes = ((bits_per_key as f64 * 0.69) as usize).clamp(1, MAX_PROBES);
        BloomFilterPolicy {
            bits_per_key,
            probes,
        }
    }

    /// Number of probes (bits set) per key.
    pub fn probes(&self) -> usize {
        self.probes
    }
}

/// Rotation giving the double-hashing step from the hash.
fn probe_delta(h: u32) -> u32 {
    h.rotate_right(17)
}

impl FilterPolicy for BloomFilterPolicy {
    fn name(&self) -> &'static str {
        "leveldb.BuiltinBloomFilter2"
    }

    fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>) {
        let bits = (keys.len() * self.bits_per_key).max(MIN_FILTER_BITS);
        let bytes = bits.div_ceil(8);
        let bits = bytes * 8;
        let start = dst.len();
        dst.resize(start + bytes, 0);
        // MAX_PROBES < 256: the count fits its byte.
        dst.push(self.probes as u8);
        let array = &mut dst[start..start + bytes];
        for key in keys {
            let mut h = leveldb_hash(key, BLOOM_SEED);
            let delta = probe_delta(h);
            for _ in 0..self.probes {
                let bit = h as usize % bits;
                array[bit / 8] |= 1 << (bit % 8);
                h = h.wrapping_add(delta);
            }
        }
    }

    fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool {
        let Some((&probes, array)) = filter.split_last() else {
            return false;
        };
        if array.is_empty() {
            return false;
        }
        // Use the stored count, so filters built with other settings work.
        let probes = usize::from(probes);
        if probes > MAX_PROBES {
            // Reserved for other encodings: treat as a match.
            return true;
        }
        let bits = array.len() * 8;
        let mut h = leveldb_hash(key, BLOOM_SEED);
        let delta = probe_delta(h);
        for _ in 0..probes {
            let bit = h as usize % bits;
            if array[bit / 8] & (1 << (bit % 8)) == 0 {
                return false;
            }
            h = h.wrapping_add(delta);
        }
        true
    }
}

/// Strips the 8-byte tag of an internal key; shorter keys (never written
/// by the engine) are used whole rather than panicking.
fn user_key_of(internal_key: &[u8]) -> &[u8] {
    match internal_key.len().checked_sub(INTERNAL_TAG_BYTES) {
        Some(n) => &internal_key[..n],
        None => internal_key,
    }
}

/// Adapts a user-key policy to the internal keys the engine stores in
/// tables (LevelDB's `InternalFilterPolicy`): filters hold user keys only,
/// so a probe matches every sequence number of a key. Keeps the wrapped
/// policy's name, so LevelDB finds the same filter.
#[derive(Clone)]
pub struct InternalFilterPolicy {
    user_policy: std::sync::Arc<dyn FilterPolicy>,
}

impl InternalFilterPolicy {
    /// Wraps `user_policy`.
    pub fn new(user_policy: std::sync::Arc<dyn FilterPolicy>) -> Self {
        InternalFilterPolicy { user_policy }
    }
}

impl std::fmt::Debug for InternalFilterPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InternalFilterPolicy({})", self.user_policy.name())
    }
}

impl FilterPolicy for InternalFilterPolicy {
    fn name(&self) -> &'static str {
        self.user_policy.name()
    }

    fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>) {
        let user_keys: Vec<&[u8]> = keys.iter().map(|k| user_key_of(k)).collect();
        self.user_policy.create_filter(&user_keys, dst);
    }

    fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool {
        self.user_policy.key_may_match(user_key_of(key), filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn filter_of(policy: &dyn FilterPolicy, keys: &[&[u8]]) -> Vec<u8> {
        let mut dst = Vec::new();
        policy.create_filter(keys, &mut dst);
        dst
    }

    #[test]
    fn probes_follow_leveldb() {
        assert_eq!(BloomFilterPolicy::new(10).probes(), 6); // 6.9 rounded down
        assert_eq!(BloomFilterPolicy::new(1).probes(), 1); // 0.69 -> 1
        assert_eq!(BloomFilterPolicy::new(0).probes(), 1);
        assert_eq!(BloomFilterPolicy::new(100).probes(), 30);
        assert_eq!(
            BloomFilterPolicy::new(10).name(),
            "leveldb.BuiltinBloomFilter2"
        );
    }

    #[test]
    fn tiny_filter_bytes_by_hand() {
        // Two keys at 10 bits/key: 20 bits, raised to the 64-bit minimum,
        // so 8 bytes + the probe count 6.
        // Hash("hello") = 0xf795964e, delta = rotr17 = 0x4b27fbca:
        //   bits 14, 24, 34, 44, 54, 0   (h mod 64, h += delta)
        // Hash("world") = 0x42c4e8fc:
        //   bits 60, 30, 0, 34, 4, 38
        // byte 0: bits 0,4 -> 0x11; byte 1: bit 14 -> 0x40; byte 3: bits
        // 24,30 -> 0x41; byte 4: bits 34,38 -> 0x44; byte 5: bit 44 -> 0x10;
        // byte 6: bit 54 -> 0x40; byte 7: bit 60 -> 0x10.
        assert_eq!(leveldb_hash(b"hello", BLOOM_SEED), 0xf795_964e);
        assert_eq!(leveldb_hash(b"world", BLOOM_SEED), 0x42c4_e8fc);
        let policy = BloomFilterPolicy::new(10);
        let filter = filter_of(&policy, &[b"hello", b"world"]);
        assert_eq!(
            filter,
            [0x11, 0x40, 0x00, 0x41, 0x44, 0x10, 0x40, 0x10, 0x06]
        );
        assert!(policy.key_may_match(b"hello", &filter));
        assert!(policy.key_may_match(b"world", &filter));
        assert!(!policy.key_may_match(b"x", &filter));
    }

    #[test]
    fn filter_appends_to_dst() {
        let policy = BloomFilterPolicy::new(10);
        let mut dst = vec![0xaa, 0xbb];
        policy.create_filter(&[b"hello", b"world"], &mut dst);
        assert_eq!(&dst[..2], &[0xaa, 0xbb]);
        assert_eq!(dst[2..], filter_of(&policy, &[b"hello", b"world"])[..]);
    }

    #[test]
    fn degenerate_filters() {
        let policy = BloomFilterPolicy::new(10);
        assert!(!policy.key_may_match(b"a", &[]));
        assert!(!policy.key_may_match(b"a", &[6]));
        // A probe count above 30 is reserved: always "may match".
        assert!(policy.key_may_match(b"a", &[0, 0, 0, 0, 31]));
        // Empty key set: all zero bits, nothing matches.
        let empty = filter_of(&policy, &[]);
        assert_eq!(empty.len(), 9);
        assert!(!policy.key_may_match(b"hello", &empty));
    }

    fn key(i: u32) -> [u8; 4] {
        i.to_le_bytes()
    }

    #[test]
    fn no_false_negatives_and_about_one_percent_false_positives() {
        let policy = BloomFilterPolicy::new(10);
        for n in [1u32, 10, 100, 1000, 10_000] {
            let keys: Vec<[u8; 4]> = (0..n).map(key).collect();
            let refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
            let filter = filter_of(&policy, &refs);
            // Size: n*10 bits (at least 64) rounded to bytes, plus k.
            assert_eq!(filter.len(), (n as usize * 10).max(64).div_ceil(8) + 1);
            for k in &keys {
                assert!(policy.key_may_match(k, &filter), "false negative");
            }
            if n == 10_000 {
                let probes = 10_000u32;
                let false_positives = (0..probes)
                    .filter(|i| policy.key_may_match(&key(1_000_000_000 + i), &filter))
                    .count();
                let rate = false_positives as f64 / f64::from(probes);
                assert!(rate < 0.02, "false-positive rate {rate}");
            }
        }
    }

    #[test]
    fn internal_policy_ignores_the_tag() {
        let inner: Arc<dyn FilterPolicy> = Arc::new(BloomFilterPolicy::new(10));
        let policy = InternalFilterPolicy::new(Arc::clone(&inner));
        assert_eq!(policy.name(), "leveldb.BuiltinBloomFilter2");
        let k1 = [b"hello".as_slice(), &[1, 0, 0, 0, 0, 0, 0, 9]].concat();
        let k2 = [b"world".as_slice(), &[1, 2, 3, 4, 5, 6, 7, 8]].concat();
        let filter = filter_of(&policy, &[&k1, &k2]);
        // Same bytes as a filter over the user keys.
        assert_eq!(filter, filter_of(&*inner, &[b"hello", b"world"]));
        let other_seq = [b"hello".as_slice(), &[0xff; 8]].concat();
        assert!(policy.key_may_match(&other_seq, &filter));
        let absent = [b"x".as_slice(), &[0; 8]].concat();
        assert!(!policy.key_may_match(&absent, &filter));
    }
}
