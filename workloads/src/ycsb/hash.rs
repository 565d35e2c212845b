//! YCSB's 64-bit FNV-1a hash of an integer (`Utils.fnvhash64`): the eight
//! bytes of the value, low byte first, folded into the FNV offset basis.
//! YCSB uses it both to scatter insertion order into key names and to
//! scramble zipfian ranks across the key space.

/// FNV-1a's 64-bit offset basis.
const FNV_OFFSET_BASIS_64: u64 = 0xCBF2_9CE4_8422_2325;
/// FNV-1a's 64-bit prime.
const FNV_PRIME_64: u64 = 1_099_511_628_211;

/// FNV-1a over the little-endian bytes of `value`, then the absolute value
/// of the result read as a signed 64-bit number (as YCSB's Java does, so
/// the result is below 2^63; Java's `Math.abs(Long.MIN_VALUE)` stays
/// negative, here it is 2^63 — the only difference, for one input in 2^64).
pub fn fnv_hash64(value: u64) -> u64 {
    let mut hash = FNV_OFFSET_BASIS_64;
    for byte in value.to_le_bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME_64);
    }
    (hash as i64).unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_fnv1a_definition_and_is_non_negative() {
        // FNV-1a of eight zero bytes, computed byte by byte.
        let mut expected = FNV_OFFSET_BASIS_64;
        for _ in 0..8 {
            expected = expected.wrapping_mul(FNV_PRIME_64);
        }
        assert_eq!(fnv_hash64(0), (expected as i64).unsigned_abs());
        for v in 0..10_000u64 {
            assert!(fnv_hash64(v) < 1 << 63);
        }
        assert_ne!(fnv_hash64(1), fnv_hash64(2));
    }
}
