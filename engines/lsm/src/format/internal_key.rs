//! Internal keys (`db/dbformat.h`): a user key followed by an 8-byte
//! little-endian tag packing a 56-bit sequence number and an 8-bit
//! [`ValueType`].
//!
//! Internal keys order by user key ascending, then by tag descending, so
//! that for one user key the newest entry comes first.

use crate::format::coding::{
    decode_fixed64, encode_varint32, put_fixed64, put_varint32, varint_length,
};
use std::cmp::Ordering;
use std::fmt;

/// A write's position in the total order of writes.
pub type SequenceNumber = u64;

/// Largest sequence number: the tag leaves 56 bits for it.
pub const MAX_SEQUENCE_NUMBER: SequenceNumber = (1 << 56) - 1;

/// Bytes of the tag that ends every internal key.
pub const TAG_SIZE_BYTES: usize = 8;

/// What an internal key records. Stored on disk: the values are fixed.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// A tombstone: the user key was deleted.
    Deletion = 0,
    /// A value for the user key.
    Value = 1,
}

impl ValueType {
    /// The type stored as `b`, or `None` for an unknown byte.
    pub fn from_u8(b: u8) -> Option<ValueType> {
        match b {
            0 => Some(ValueType::Deletion),
            1 => Some(ValueType::Value),
            _ => None,
        }
    }
}

/// The type used in a seek key: since tags sort descending and `Value` is
/// the highest type, a seek key with sequence `s` sorts before every entry
/// of its user key with sequence `<= s`.
pub const VALUE_TYPE_FOR_SEEK: ValueType = ValueType::Value;

/// The tag of an entry: `seq << 8 | t`. `seq` must be at most
/// [`MAX_SEQUENCE_NUMBER`] (a programmer error otherwise).
pub fn pack_sequence_and_type(seq: SequenceNumber, t: ValueType) -> u64 {
    debug_assert!(seq <= MAX_SEQUENCE_NUMBER, "sequence {seq} exceeds 56 bits");
    (seq << 8) | u64::from(t as u8)
}

/// Appends the internal key for (`user_key`, `seq`, `t`) to `dst`.
pub fn append_internal_key(dst: &mut Vec<u8>, user_key: &[u8], seq: SequenceNumber, t: ValueType) {
    dst.reserve(user_key.len() + TAG_SIZE_BYTES);
    dst.extend_from_slice(user_key);
    put_fixed64(dst, pack_sequence_and_type(seq, t));
}

/// An internal key split into its parts, borrowing the user key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedInternalKey<'a> {
    /// The key the user wrote.
    pub user_key: &'a [u8],
    /// The write's sequence number.
    pub sequence: SequenceNumber,
    /// Value or tombstone.
    pub value_type: ValueType,
}

impl ParsedInternalKey<'_> {
    /// Appends the encoded internal key to `dst`.
    pub fn encode_to(&self, dst: &mut Vec<u8>) {
        append_internal_key(dst, self.user_key, self.sequence, self.value_type);
    }
}

impl fmt::Display for ParsedInternalKey<'_> {
    /// LevelDB's `DebugString`: `'user_key' @ seq : type`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' @ {} : {}",
            escape_bytes(self.user_key),
            self.sequence,
            self.value_type as u8
        )
    }
}

/// Splits `ikey` into its parts; `None` if it is shorter than the tag or
/// its type byte is unknown (corrupt input, never a panic).
pub fn parse_internal_key(ikey: &[u8]) -> Option<ParsedInternalKey<'_>> {
    let split = ikey.len().checked_sub(TAG_SIZE_BYTES)?;
    let (user_key, tag_bytes) = ikey.split_at(split);
    let tag = decode_fixed64(tag_bytes);
    let value_type = ValueType::from_u8((tag & 0xff) as u8)?;
    Some(ParsedInternalKey {
        user_key,
        sequence: tag >> 8,
        value_type,
    })
}

/// The user key of a well-formed internal key.
///
/// An `ikey` shorter than 8 bytes can come from a damaged table block read
/// without checksum verification (comparators see its keys before anything
/// parses them): the whole slice is returned then, never a panic.
#[inline]
pub fn extract_user_key(ikey: &[u8]) -> &[u8] {
    match ikey.len().checked_sub(TAG_SIZE_BYTES) {
        Some(split) => &ikey[..split],
        None => ikey,
    }
}

/// The tag (`seq << 8 | type`) of a well-formed internal key.
///
/// An `ikey` shorter than 8 bytes (from a damaged block, see
/// [`extract_user_key`]) has tag 0.
#[inline]
pub fn extract_tag(ikey: &[u8]) -> u64 {
    match ikey.len().checked_sub(TAG_SIZE_BYTES) {
        Some(split) => decode_fixed64(&ikey[split..]),
        None => 0,
    }
}

/// Orders internal keys: user key ascending (bytewise), then tag
/// descending, so newer entries of one user key come first.
#[inline]
pub fn compare_internal_keys(a: &[u8], b: &[u8]) -> Ordering {
    compare_bytes(extract_user_key(a), extract_user_key(b))
        .then_with(|| extract_tag(b).cmp(&extract_tag(a)))
}

/// Bytewise order of `a` and `b` (as `a.cmp(b)`), eight bytes at a time
/// as big-endian words: short keys (db_bench's are 16 bytes) compare in a
/// few instructions without a call to `memcmp`.
#[inline]
pub fn compare_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let common = a.len().min(b.len());
    if common >= 8 {
        let mut at = 0;
        while at + 8 <= common {
            let (x, y) = (be_word(a, at), be_word(b, at));
            if x != y {
                return x.cmp(&y);
            }
            at += 8;
        }
        if at < common {
            // The last word of the common part overlaps the one before,
            // whose bytes were equal: it decides on the rest.
            let (x, y) = (be_word(a, common - 8), be_word(b, common - 8));
            if x != y {
                return x.cmp(&y);
            }
        }
    } else {
        for (x, y) in a[..common].iter().zip(&b[..common]) {
            if x != y {
                return x.cmp(y);
            }
        }
    }
    a.len().cmp(&b.len())
}

/// The eight bytes of `bytes` at `at` as a big-endian word.
#[inline(always)]
fn be_word(bytes: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// Writes `bytes` as LevelDB's `EscapeString` does: printable ASCII as is,
/// every other byte as `\xNN`.
fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (b' '..=b'~').contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// An owned, encoded internal key (as stored in a MANIFEST or a table
/// index). The default value is empty, which no well-formed key is.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct InternalKey(Vec<u8>);

impl InternalKey {
    /// The internal key for (`user_key`, `seq`, `t`).
    pub fn new(user_key: &[u8], seq: SequenceNumber, t: ValueType) -> Self {
        let mut rep = Vec::with_capacity(user_key.len() + TAG_SIZE_BYTES);
        append_internal_key(&mut rep, user_key, seq, t);
        InternalKey(rep)
    }

    /// Takes `bytes` as an encoded internal key; `None` unless it parses
    /// (at least 8 bytes and a known type). LevelDB only rejects empty
    /// input here; rejecting every malformed key keeps corrupt MANIFEST
    /// bytes from reaching code that assumes a tag.
    pub fn decode_from(bytes: &[u8]) -> Option<Self> {
        parse_internal_key(bytes)?;
        Some(InternalKey(bytes.to_vec()))
    }

    /// The encoded bytes (user key + tag).
    pub fn encoded(&self) -> &[u8] {
        &self.0
    }

    /// The user key (empty for the default, empty key).
    pub fn user_key(&self) -> &[u8] {
        match self.0.len().checked_sub(TAG_SIZE_BYTES) {
            Some(split) => &self.0[..split],
            None => &[],
        }
    }

    /// The parts of the key; `None` only for the default, empty key.
    pub fn parsed(&self) -> Option<ParsedInternalKey<'_>> {
        parse_internal_key(&self.0)
    }

    /// True for the default, empty key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Consumes the key, returning its encoded bytes.
    pub fn into_encoded(self) -> Vec<u8> {
        self.0
    }
}

impl fmt::Debug for InternalKey {
    /// LevelDB's `InternalKey::DebugString`: the parsed form, or `(bad)`
    /// and the escaped bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parsed() {
            Some(parsed) => write!(f, "{parsed}"),
            None => write!(f, "(bad){}", escape_bytes(&self.0)),
        }
    }
}

/// The key a point lookup searches for, encoded once in the three forms the
/// read path needs (LevelDB's `LookupKey`):
///
/// ```text
/// varint32(len(user_key) + 8) | user_key | fixed64(seq << 8 | VALUE_TYPE_FOR_SEEK)
/// ^ memtable_key               ^ internal_key                                 end
///                              ^ user_key      ^
/// ```
#[derive(Clone)]
pub struct LookupKey {
    rep: Rep,
    /// Where the user key starts (after the varint length).
    user_key_start: usize,
}

/// Encodings up to this many bytes live inside the key, as in LevelDB's
/// `LookupKey::space_[200]`: a point lookup of an ordinary key allocates
/// nothing.
const INLINE_BYTES: usize = 200;

/// The encoding's storage.
#[derive(Clone)]
enum Rep {
    /// `buf[..len]`.
    Inline { buf: [u8; INLINE_BYTES], len: usize },
    /// A key too long for the inline buffer.
    Heap(Vec<u8>),
}

impl LookupKey {
    /// The key that finds the newest entry of `user_key` with sequence
    /// number at most `seq`.
    pub fn new(user_key: &[u8], seq: SequenceNumber) -> Self {
        let internal_len = user_key.len() + TAG_SIZE_BYTES;
        // User keys are bounded far below 4 GiB by the write path; a longer
        // one is a programmer error.
        let prefix = u32::try_from(internal_len).expect("user key shorter than 4 GiB");
        let user_key_start = varint_length(u64::from(prefix));
        let total = user_key_start + internal_len;
        if total > INLINE_BYTES {
            let mut rep = Vec::with_capacity(total);
            put_varint32(&mut rep, prefix);
            append_internal_key(&mut rep, user_key, seq, VALUE_TYPE_FOR_SEEK);
            return LookupKey {
                rep: Rep::Heap(rep),
                user_key_start,
            };
        }
        let mut buf = [0u8; INLINE_BYTES];
        let mut n = encode_varint32(&mut buf, prefix);
        buf[n..n + user_key.len()].copy_from_slice(user_key);
        n += user_key.len();
        let tag = pack_sequence_and_type(seq, VALUE_TYPE_FOR_SEEK);
        buf[n..n + TAG_SIZE_BYTES].copy_from_slice(&tag.to_le_bytes());
        LookupKey {
            rep: Rep::Inline { buf, len: total },
            user_key_start,
        }
    }

    fn bytes(&self) -> &[u8] {
        match &self.rep {
            Rep::Inline { buf, len } => &buf[..*len],
            Rep::Heap(v) => v,
        }
    }

    /// The whole encoding: length-prefixed internal key, as memtables store
    /// their entries' keys.
    pub fn memtable_key(&self) -> &[u8] {
        self.bytes()
    }

    /// The internal key (user key + tag), without the length prefix.
    pub fn internal_key(&self) -> &[u8] {
        &self.bytes()[self.user_key_start..]
    }

    /// The user key alone.
    pub fn user_key(&self) -> &[u8] {
        let bytes = self.bytes();
        &bytes[self.user_key_start..bytes.len() - TAG_SIZE_BYTES]
    }
}

impl PartialEq for LookupKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for LookupKey {}

impl fmt::Debug for LookupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match parse_internal_key(self.internal_key()) {
            Some(parsed) => write!(f, "LookupKey({parsed})"),
            None => write!(f, "LookupKey(bad)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::coding::get_varint32;
    use proptest::prelude::*;

    fn ikey(user_key: &[u8], seq: u64, t: ValueType) -> Vec<u8> {
        let mut out = Vec::new();
        append_internal_key(&mut out, user_key, seq, t);
        out
    }

    proptest! {
        #[test]
        fn compare_bytes_is_bytewise_order(
            a in proptest::collection::vec(any::<u8>(), 0..40),
            b in proptest::collection::vec(any::<u8>(), 0..40),
            shared in 0usize..24,
        ) {
            prop_assert_eq!(compare_bytes(&a, &b), a.cmp(&b));
            // Keys sharing a long prefix reach the word loop's later words.
            let mut c = a.clone();
            c.truncate(shared.min(c.len()));
            c.extend_from_slice(&b);
            let mut d = a.clone();
            d.truncate(shared.min(d.len()));
            d.extend_from_slice(&a);
            prop_assert_eq!(compare_bytes(&c, &d), c.cmp(&d));
        }
    }

    #[test]
    fn compare_bytes_on_hand_picked_pairs() {
        let pairs: [(&[u8], &[u8]); 6] = [
            (b"", b""),
            (b"", b"a"),
            (b"0000000000000001", b"0000000000000002"),
            (b"00000000\xff", b"00000000\x01"),
            (b"abcdefgh", b"abcdefghi"),
            (b"\x80bcdefgh", b"\x7fbcdefgh"),
        ];
        for (a, b) in pairs {
            assert_eq!(compare_bytes(a, b), a.cmp(b), "{a:?} vs {b:?}");
            assert_eq!(compare_bytes(b, a), b.cmp(a), "{b:?} vs {a:?}");
        }
    }

    #[test]
    fn hand_built_encoding() {
        // Tag = (0x0102 << 8) | 1 = 0x010201, little-endian in 8 bytes.
        let key = ikey(b"foo", 0x0102, ValueType::Value);
        assert_eq!(key, b"foo\x01\x02\x01\x00\x00\x00\x00\x00");
        let del = ikey(b"", 7, ValueType::Deletion);
        assert_eq!(del, [0x00, 0x07, 0, 0, 0, 0, 0, 0]);
        let max = ikey(b"k", MAX_SEQUENCE_NUMBER, ValueType::Value);
        assert_eq!(max, [b'k', 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn pack_and_extract() {
        assert_eq!(
            pack_sequence_and_type(0x0102, ValueType::Value),
            0x0001_0201
        );
        assert_eq!(pack_sequence_and_type(5, ValueType::Deletion), 0x500);
        let key = ikey(b"bar", 99, ValueType::Deletion);
        assert_eq!(extract_user_key(&key), b"bar");
        assert_eq!(extract_tag(&key), 99 << 8);
    }

    #[test]
    fn parse_rejects_short_and_bad_type() {
        assert_eq!(parse_internal_key(b""), None);
        assert_eq!(parse_internal_key(&[1, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(
            parse_internal_key(b"foo\x02\x00\x00\x00\x00\x00\x00\x00"),
            None
        );
        let ok = parse_internal_key(b"foo\x01\x02\x01\x00\x00\x00\x00\x00").expect("valid key");
        assert_eq!(
            ok,
            ParsedInternalKey {
                user_key: b"foo",
                sequence: 0x0102,
                value_type: ValueType::Value
            }
        );
    }

    #[test]
    fn value_type_bytes() {
        assert_eq!(ValueType::from_u8(0), Some(ValueType::Deletion));
        assert_eq!(ValueType::from_u8(1), Some(ValueType::Value));
        assert_eq!(ValueType::from_u8(2), None);
        assert_eq!(ValueType::from_u8(0xff), None);
    }

    #[test]
    fn ordering() {
        let a1 = ikey(b"a", 1, ValueType::Value);
        let a2 = ikey(b"a", 2, ValueType::Value);
        let a2_del = ikey(b"a", 2, ValueType::Deletion);
        let b0 = ikey(b"b", 0, ValueType::Deletion);
        let ab = ikey(b"ab", 100, ValueType::Value);
        // Same user key: higher sequence first.
        assert_eq!(compare_internal_keys(&a2, &a1), Ordering::Less);
        assert_eq!(compare_internal_keys(&a1, &a2), Ordering::Greater);
        // Same sequence: Value (1) sorts before Deletion (0).
        assert_eq!(compare_internal_keys(&a2, &a2_del), Ordering::Less);
        // User key dominates the tag.
        assert_eq!(compare_internal_keys(&a1, &b0), Ordering::Less);
        assert_eq!(compare_internal_keys(&a1, &ab), Ordering::Less);
        assert_eq!(compare_internal_keys(&ab, &b0), Ordering::Less);
        assert_eq!(compare_internal_keys(&a1, &a1), Ordering::Equal);
    }

    #[test]
    fn seek_key_sorts_before_entries_at_or_below_its_sequence() {
        let seek = LookupKey::new(b"k", 10);
        let at = ikey(b"k", 10, ValueType::Deletion);
        let below = ikey(b"k", 9, ValueType::Value);
        let above = ikey(b"k", 11, ValueType::Deletion);
        assert_eq!(
            compare_internal_keys(seek.internal_key(), &at),
            Ordering::Less
        );
        assert_eq!(
            compare_internal_keys(seek.internal_key(), &below),
            Ordering::Less
        );
        assert_eq!(
            compare_internal_keys(seek.internal_key(), &above),
            Ordering::Greater
        );
    }

    #[test]
    fn internal_key_owned() {
        let k = InternalKey::new(b"foo", 0x0102, ValueType::Value);
        assert_eq!(k.encoded(), b"foo\x01\x02\x01\x00\x00\x00\x00\x00");
        assert_eq!(k.user_key(), b"foo");
        assert_eq!(InternalKey::decode_from(k.encoded()), Some(k.clone()));
        assert_eq!(InternalKey::decode_from(b"short"), None);
        assert_eq!(InternalKey::decode_from(b""), None);
        assert_eq!(format!("{k:?}"), "'foo' @ 258 : 1");
        let odd = InternalKey::new(b"a\x00\xff", 3, ValueType::Deletion);
        assert_eq!(format!("{odd:?}"), "'a\\x00\\xff' @ 3 : 0");
        let empty = InternalKey::default();
        assert!(empty.is_empty());
        assert_eq!(empty.user_key(), b"");
        assert_eq!(format!("{empty:?}"), "(bad)");
    }

    #[test]
    fn lookup_key_hand_built() {
        let lk = LookupKey::new(b"foo", 0x0102);
        // varint32(3 + 8) = 0x0b, then the internal key with a Value tag.
        assert_eq!(
            lk.memtable_key(),
            b"\x0bfoo\x01\x02\x01\x00\x00\x00\x00\x00"
        );
        assert_eq!(lk.internal_key(), b"foo\x01\x02\x01\x00\x00\x00\x00\x00");
        assert_eq!(lk.user_key(), b"foo");
        let long = vec![b'x'; 200];
        let lk = LookupKey::new(&long, 1);
        // 208 needs a two-byte varint (and no longer fits inline).
        assert_eq!(&lk.memtable_key()[..2], &[0xd0, 0x01]);
        assert_eq!(lk.user_key(), &long[..]);
        assert!(matches!(lk.rep, Rep::Heap(_)));
    }

    #[test]
    fn lookup_key_inline_and_heap_encode_alike() {
        // Around the inline limit: 200 bytes in all is inline, 201 is not;
        // a 2-byte varint starts at 128 - 8 = 120 bytes of user key.
        for user_len in [0, 119, 120, 121, 189, 190, 191, 300] {
            let user_key: Vec<u8> = (0..user_len).map(|i| i as u8).collect();
            let lk = LookupKey::new(&user_key, 0x00ab_cdef);
            let mut want = Vec::new();
            put_varint32(&mut want, (user_len + TAG_SIZE_BYTES) as u32);
            append_internal_key(&mut want, &user_key, 0x00ab_cdef, VALUE_TYPE_FOR_SEEK);
            assert_eq!(lk.memtable_key(), &want[..], "user key of {user_len}");
            assert_eq!(lk.user_key(), &user_key[..]);
            assert_eq!(lk.internal_key(), &want[want.len() - user_len - 8..]);
            assert_eq!(
                matches!(lk.rep, Rep::Inline { .. }),
                want.len() <= INLINE_BYTES,
                "user key of {user_len}"
            );
        }
    }

    proptest! {
        #[test]
        fn round_trip(user_key in proptest::collection::vec(any::<u8>(), 0..40),
                      seq in 0..=MAX_SEQUENCE_NUMBER,
                      deletion in any::<bool>()) {
            let t = if deletion { ValueType::Deletion } else { ValueType::Value };
            let key = ikey(&user_key, seq, t);
            let parsed = parse_internal_key(&key).expect("just encoded");
            prop_assert_eq!(parsed.user_key, &user_key[..]);
            prop_assert_eq!(parsed.sequence, seq);
            prop_assert_eq!(parsed.value_type, t);
            let mut again = Vec::new();
            parsed.encode_to(&mut again);
            prop_assert_eq!(&again, &key);
            let owned = InternalKey::decode_from(&key).expect("valid");
            prop_assert_eq!(owned.user_key(), &user_key[..]);

            let lk = LookupKey::new(&user_key, seq);
            let (len, n) = get_varint32(lk.memtable_key()).expect("prefix");
            prop_assert_eq!(len as usize, user_key.len() + 8);
            prop_assert_eq!(&lk.memtable_key()[n..], lk.internal_key());
            prop_assert_eq!(lk.user_key(), &user_key[..]);
        }

        #[test]
        fn order_matches_definition(a in proptest::collection::vec(0u8..4, 0..4), sa in 0u64..5,
                                    b in proptest::collection::vec(0u8..4, 0..4), sb in 0u64..5) {
            let ka = ikey(&a, sa, ValueType::Value);
            let kb = ikey(&b, sb, ValueType::Value);
            let expected = a.cmp(&b).then(sb.cmp(&sa));
            prop_assert_eq!(compare_internal_keys(&ka, &kb), expected);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..20)) {
            if let Some(p) = parse_internal_key(&bytes) {
                let mut again = Vec::new();
                p.encode_to(&mut again);
                prop_assert_eq!(again, bytes);
            }
        }
    }
}
