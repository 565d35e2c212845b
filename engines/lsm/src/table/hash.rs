//! LevelDB's 32-bit string hash (`util/hash.cc`), a murmur-like mix.
//!
//! Bloom filters store bit positions derived from it, so any change would
//! make our filters disagree with LevelDB's: this must stay bit-exact.

/// Multiplier of LevelDB's hash.
const MULTIPLIER: u32 = 0xc6a4_a793;
/// Final shift applied after the tail bytes.
const TAIL_SHIFT: u32 = 24;

/// LevelDB's `Hash(data, n, seed)`.
pub fn leveldb_hash(data: &[u8], seed: u32) -> u32 {
    // LevelDB computes `n * m` in size_t and keeps the low 32 bits.
    let mut h = seed ^ (data.len() as u32).wrapping_mul(MULTIPLIER);
    let mut words = data.chunks_exact(4);
    for word in &mut words {
        let w = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        h = h.wrapping_add(w).wrapping_mul(MULTIPLIER);
        h ^= h >> 16;
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        // Bytes are unsigned here (LevelDB fixed a signed-char bug in 2018;
        // 1.23 hashes bytes >= 0x80 as unsigned).
        for (i, &b) in tail.iter().enumerate() {
            h = h.wrapping_add(u32::from(b) << (8 * i));
        }
        h = h.wrapping_mul(MULTIPLIER);
        h ^= h >> TAIL_SHIFT;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOOM_SEED: u32 = 0xbc9f_1d34;

    #[test]
    fn empty_input_is_the_seed() {
        // h = seed ^ (0 * m) and no words or tail: the seed itself.
        assert_eq!(leveldb_hash(b"", BLOOM_SEED), BLOOM_SEED);
        assert_eq!(leveldb_hash(b"", 7), 7);
    }

    #[test]
    fn one_byte_by_hand() {
        // seed ^ (1 * m)          = 0xbc9f1d34 ^ 0xc6a4a793 = 0x7a3bbaa7
        // + 0x62                  = 0x7a3bbb09
        // * m (mod 2^32)          = 0xef13452b
        // ^= h >> 24 (0xef)       = 0xef1345c4
        assert_eq!(leveldb_hash(&[0x62], BLOOM_SEED), 0xef13_45c4);
    }

    #[test]
    fn one_word_and_a_tail_by_hand() {
        // "abcde": seed ^ (5 * m mod 2^32)          = 0x5da858eb
        // + fixed32("abcd") = 0x64636261            = 0xc20bbb4c
        // * m                                       = 0xd89b20a4
        // ^= h >> 16                                = 0xd89bf83f
        // tail: + 'e' (0x65)                        = 0xd89bf8a4
        // * m                                       = 0x41d2c22c
        // ^= h >> 24                                = 0x41d2c26d
        assert_eq!(leveldb_hash(b"abcde", BLOOM_SEED), 0x41d2_c26d);
    }

    #[test]
    fn bytes_above_0x7f_are_unsigned() {
        // The vectors LevelDB's own hash_test pins (its "SignedUnsignedIssue").
        assert_eq!(leveldb_hash(&[0xc3, 0x97], BLOOM_SEED), 0x5b66_3814);
        assert_eq!(leveldb_hash(&[0xe2, 0x99, 0xa5], BLOOM_SEED), 0x323c_078f);
        assert_eq!(
            leveldb_hash(&[0xe1, 0x80, 0xb9, 0x32], BLOOM_SEED),
            0xed21_633a
        );
        let data5: [u8; 48] = [
            0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14,
            0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        assert_eq!(leveldb_hash(&data5, 0x1234_5678), 0xf333_dabb);
    }
}
