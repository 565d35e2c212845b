//! File contents: text that looks like source code (tokens of a small
//! vocabulary, spaces and line breaks), drawn from a seeded generator so
//! that every version of every file can be regenerated and checksummed.
//!
//! The text compresses about 3× with Snappy, like real source, and two
//! different seeds share no chunk (64 tokens drawn at random make each
//! 16 KiB chunk unique with overwhelming probability), so the dedupe the
//! benchmarks report comes from blobfs, not from the generator.

use rand::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The vocabulary: 64 tokens, 6 bits each.
const TOKENS: [&str; 64] = [
    "fn", "let", "mut", "self", "return", "if", "else", "for", "while", "match", "struct", "impl",
    "pub", "use", "const", "static", "int", "char", "void", "include", "define", "string", "value",
    "key", "index", "buffer", "length", "count", "error", "result", "data", "node", "list", "map",
    "table", "block", "file", "read", "write", "open", "close", "size", "offset", "bytes", "next",
    "prev", "head", "tail", "0", "1", "2", "16", "32", "64", "=", "==", "+", "-", "*", "{", "}",
    "(", ")", ";",
];

/// The generator of one version of one file: `seed` is the run's,
/// `file` and `version` say which content.
pub fn content_rng(seed: u64, file: u64, version: u64) -> Xoshiro256PlusPlus {
    // Distinct odd multipliers keep (file, version) pairs apart.
    let mixed = seed
        ^ file.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ version.wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
    Xoshiro256PlusPlus::seed_from_u64(mixed)
}

/// Replaces `out`'s contents with `len_bytes` bytes of text from `rng`
/// (reusing `out`'s allocation).
pub fn fill_text(out: &mut Vec<u8>, len_bytes: usize, rng: &mut Xoshiro256PlusPlus) {
    out.clear();
    out.reserve(len_bytes);
    let mut tokens_on_line = 0u32;
    while out.len() < len_bytes {
        let mut bits = rng.next_u64();
        // Ten 6-bit tokens per draw.
        for _ in 0..10 {
            out.extend_from_slice(TOKENS[(bits & 63) as usize].as_bytes());
            bits >>= 6;
            tokens_on_line += 1;
            if tokens_on_line == 9 {
                out.push(b'\n');
                tokens_on_line = 0;
            } else {
                out.push(b' ');
            }
        }
    }
    out.truncate(len_bytes);
}

/// The CRC-32C of `data` (the model's fingerprint of a version).
pub fn checksum(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_text_other_seed_other_text() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        fill_text(&mut a, 10_000, &mut content_rng(1, 2, 3));
        fill_text(&mut b, 10_000, &mut content_rng(1, 2, 3));
        assert_eq!(a, b);
        assert_eq!(a.len(), 10_000);
        fill_text(&mut b, 10_000, &mut content_rng(1, 2, 4));
        assert_ne!(a, b);
        fill_text(&mut b, 10_000, &mut content_rng(1, 3, 3));
        assert_ne!(a, b);
        assert!(a
            .iter()
            .all(|c| c.is_ascii_graphic() || *c == b' ' || *c == b'\n'));
    }

    #[test]
    fn text_compresses_like_source() {
        let mut a = Vec::new();
        fill_text(&mut a, 1 << 16, &mut content_rng(9, 0, 0));
        let packed = snap::raw::Encoder::new()
            .compress_vec(&a)
            .expect("snappy compresses any input");
        let ratio = a.len() as f64 / packed.len() as f64;
        assert!((1.5..6.0).contains(&ratio), "snappy ratio {ratio}");
    }

    #[test]
    fn zero_length_is_empty() {
        let mut a = vec![1, 2, 3];
        fill_text(&mut a, 0, &mut content_rng(0, 0, 0));
        assert!(a.is_empty());
    }
}
