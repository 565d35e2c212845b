//! LevelDB's integer and slice encodings (`util/coding.h`).
//!
//! Fixed-width integers are little-endian. Varints carry 7 bits per byte,
//! low bits first, with the high bit set on every byte but the last. A
//! length-prefixed slice is a varint32 length followed by the bytes.

/// Longest encoding of a varint32, in bytes.
pub const MAX_VARINT32_BYTES: usize = 5;
/// Longest encoding of a varint64, in bytes.
pub const MAX_VARINT64_BYTES: usize = 10;

/// Appends `v` as 4 little-endian bytes.
pub fn put_fixed32(dst: &mut Vec<u8>, v: u32) {
    dst.extend_from_slice(&v.to_le_bytes());
}

/// Appends `v` as 8 little-endian bytes.
pub fn put_fixed64(dst: &mut Vec<u8>, v: u64) {
    dst.extend_from_slice(&v.to_le_bytes());
}

/// Reads 4 little-endian bytes. Panics if `src` is shorter: callers check
/// lengths first (a programmer error otherwise).
pub fn decode_fixed32(src: &[u8]) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&src[..4]);
    u32::from_le_bytes(b)
}

/// Reads 8 little-endian bytes. Panics if `src` is shorter.
pub fn decode_fixed64(src: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&src[..8]);
    u64::from_le_bytes(b)
}

/// Appends `v` as a varint32.
pub fn put_varint32(dst: &mut Vec<u8>, v: u32) {
    put_varint64(dst, u64::from(v));
}

/// Writes `v` as a varint32 at the start of `dst`, which has room for it
/// (5 bytes always do), and returns its length: the bytes
/// [`put_varint32`] appends, into a buffer that is not a `Vec`.
///
/// # Panics
/// If `dst` is shorter than the varint.
#[inline]
pub fn encode_varint32(dst: &mut [u8], mut v: u32) -> usize {
    let mut n = 0;
    while v >= 0x80 {
        dst[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    dst[n] = v as u8;
    n + 1
}

/// Appends `v` as a varint64.
pub fn put_varint64(dst: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        dst.push((v as u8) | 0x80);
        v >>= 7;
    }
    dst.push(v as u8);
}

/// Number of bytes `v` takes as a varint.
pub fn varint_length(mut v: u64) -> usize {
    let mut len = 1;
    while v >= 0x80 {
        v >>= 7;
        len += 1;
    }
    len
}

/// Decodes a varint32 from the front of `src`: the value and the bytes used,
/// or `None` if `src` ends early or the encoding is longer than 5 bytes or
/// overflows 32 bits.
#[inline]
pub fn get_varint32(src: &[u8]) -> Option<(u32, usize)> {
    // One byte (values below 128) is by far the common case: key lengths.
    if let Some(&b) = src.first() {
        if b < 0x80 {
            return Some((u32::from(b), 1));
        }
    }
    let (v, n) = get_varint_bounded(src, MAX_VARINT32_BYTES)?;
    let v = u32::try_from(v).ok()?;
    Some((v, n))
}

/// Decodes a varint64 from the front of `src`: the value and the bytes used,
/// or `None` if `src` ends early or the encoding is malformed.
pub fn get_varint64(src: &[u8]) -> Option<(u64, usize)> {
    get_varint_bounded(src, MAX_VARINT64_BYTES)
}

fn get_varint_bounded(src: &[u8], max_bytes: usize) -> Option<(u64, usize)> {
    let mut result: u64 = 0;
    for (i, &byte) in src.iter().take(max_bytes).enumerate() {
        let shift = 7 * i as u32;
        let low = u64::from(byte & 0x7f);
        if shift == 63 && low > 1 {
            return None;
        }
        result |= low << shift;
        if byte & 0x80 == 0 {
            return Some((result, i + 1));
        }
    }
    None
}

/// Appends a varint32 length followed by `value`.
pub fn put_length_prefixed_slice(dst: &mut Vec<u8>, value: &[u8]) {
    put_varint32(dst, value.len() as u32);
    dst.extend_from_slice(value);
}

/// Decodes a length-prefixed slice from the front of `src`: the slice and the
/// total bytes used, or `None` if `src` is too short.
#[inline]
pub fn get_length_prefixed_slice(src: &[u8]) -> Option<(&[u8], usize)> {
    let (len, n) = get_varint32(src)?;
    let end = n.checked_add(len as usize)?;
    let bytes = src.get(n..end)?;
    Some((bytes, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_varint32_writes_put_varint32s_bytes() {
        for v in [
            0u32,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            70_000,
            1 << 28,
            u32::MAX,
        ] {
            let mut expected = Vec::new();
            put_varint32(&mut expected, v);
            let mut buf = [0xAAu8; 6];
            let n = encode_varint32(&mut buf, v);
            assert_eq!(&buf[..n], &expected[..], "{v}");
            assert_eq!(buf[n], 0xAA, "{v}: nothing past the varint");
        }
    }

    use proptest::prelude::*;

    #[test]
    fn fixed_are_little_endian() {
        let mut buf = Vec::new();
        put_fixed32(&mut buf, 0x0403_0201);
        put_fixed64(&mut buf, 0x0807_0605_0403_0201);
        assert_eq!(buf, [1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(decode_fixed32(&buf), 0x0403_0201);
        assert_eq!(decode_fixed64(&buf[4..]), 0x0807_0605_0403_0201);
    }

    #[test]
    fn varint_hand_built_bytes() {
        let cases: [(u64, &[u8]); 6] = [
            (0, &[0x00]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (u64::from(u32::MAX), &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for (v, bytes) in cases {
            let mut buf = Vec::new();
            put_varint64(&mut buf, v);
            assert_eq!(buf, bytes, "encoding {v}");
            assert_eq!(get_varint64(bytes), Some((v, bytes.len())));
            assert_eq!(varint_length(v), bytes.len());
        }
        let mut max = Vec::new();
        put_varint64(&mut max, u64::MAX);
        assert_eq!(max.len(), 10);
        assert_eq!(max[9], 0x01);
    }

    #[test]
    fn varint_rejects_truncated_and_overlong() {
        assert_eq!(get_varint32(&[0x80]), None);
        assert_eq!(get_varint32(&[]), None);
        // Six continuation bytes: too long for a varint32.
        assert_eq!(get_varint32(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), None);
        // Fits 5 bytes but overflows 32 bits.
        assert_eq!(get_varint32(&[0xff, 0xff, 0xff, 0xff, 0x1f]), None);
        // Eleven bytes: too long for a varint64.
        assert_eq!(get_varint64(&[0xff; 11]), None);
        // Ten bytes whose last carries more than bit 63.
        let mut over = vec![0xff; 9];
        over.push(0x02);
        assert_eq!(get_varint64(&over), None);
    }

    #[test]
    fn length_prefixed_slice_hand_built() {
        let mut buf = Vec::new();
        put_length_prefixed_slice(&mut buf, b"abc");
        assert_eq!(buf, [3, b'a', b'b', b'c']);
        assert_eq!(get_length_prefixed_slice(&buf), Some((&b"abc"[..], 4)));
        assert_eq!(get_length_prefixed_slice(&buf[..3]), None);
    }

    proptest! {
        #[test]
        fn varint64_round_trips(v in any::<u64>()) {
            let mut buf = Vec::new();
            put_varint64(&mut buf, v);
            prop_assert_eq!(get_varint64(&buf), Some((v, buf.len())));
        }

        #[test]
        fn varint32_round_trips(v in any::<u32>()) {
            let mut buf = Vec::new();
            put_varint32(&mut buf, v);
            prop_assert_eq!(get_varint32(&buf), Some((v, buf.len())));
        }

        #[test]
        fn slices_round_trip(a in proptest::collection::vec(any::<u8>(), 0..300),
                             b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut buf = Vec::new();
            put_length_prefixed_slice(&mut buf, &a);
            put_length_prefixed_slice(&mut buf, &b);
            let (x, n) = get_length_prefixed_slice(&buf).expect("first");
            prop_assert_eq!(x, &a[..]);
            let (y, m) = get_length_prefixed_slice(&buf[n..]).expect("second");
            prop_assert_eq!(y, &b[..]);
            prop_assert_eq!(n + m, buf.len());
        }
    }
}
