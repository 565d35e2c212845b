//! Record keys and values. A key is YCSB's `buildKeyName` with hashed
//! insertion order: `user` followed by the decimal FNV-1a hash of the
//! record's insertion index (no zero padding, YCSB's default
//! `zeropadding=1`), so consecutive inserts land all over the key space.
//! A value is YCSB's default record, 10 fields of 100 bytes, stored as one
//! 1000-byte value: field `i` is bytes `100*i .. 100*(i+1)` (no field
//! names or lengths; every field has the same fixed size).

use super::hash::fnv_hash64;
use rand::Rng;

/// YCSB's default `fieldcount`.
pub const FIELD_COUNT: usize = 10;
/// YCSB's default `fieldlength`, bytes.
pub const FIELD_BYTES: usize = 100;
/// Bytes of one stored record value.
pub const RECORD_BYTES: usize = FIELD_COUNT * FIELD_BYTES;

/// The key of the record inserted `index`-th (0-based).
pub fn key_of(index: u64) -> Vec<u8> {
    format!("user{}", fnv_hash64(index)).into_bytes()
}

/// Fills `value` with a fresh record: printable ASCII, as YCSB's
/// `RandomByteIterator` produces.
pub fn fill_record(value: &mut Vec<u8>, rng: &mut impl Rng) {
    value.clear();
    value.extend((0..RECORD_BYTES).map(|_| b' ' + rng.gen_range(0..95u8)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn keys_are_user_hash_and_values_are_printable_records() {
        assert_eq!(key_of(0), format!("user{}", fnv_hash64(0)).into_bytes());
        assert_ne!(key_of(1), key_of(2));
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        let mut v = Vec::new();
        fill_record(&mut v, &mut rng);
        assert_eq!(v.len(), 1000);
        assert!(v.iter().all(|b| (b' '..=b'~').contains(b)));
    }
}
