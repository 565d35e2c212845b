//! CRC-32C (Castagnoli) and LevelDB's masking of stored checksums
//! (`util/crc32c.h`).
//!
//! A checksum stored next to the data it covers is masked: computing the
//! CRC of a string that itself contains embedded CRCs is otherwise
//! problematic (the CRC of data followed by its CRC is a constant).

/// Added after rotation when masking (LevelDB's `kMaskDelta`).
const MASK_DELTA: u32 = 0xa282_ead8;

/// CRC-32C of `data`.
pub fn value(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// CRC-32C of `A || data`, where `crc` is the CRC-32C of some string `A`.
pub fn extend(crc: u32, data: &[u8]) -> u32 {
    crc32c::crc32c_append(crc, data)
}

/// The masked form of `crc`, as stored on disk: rotate right by 15 bits,
/// then add a constant.
pub fn mask(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// The CRC whose masked form is `masked` (inverse of [`mask`]).
pub fn unmask(masked: u32) -> u32 {
    masked.wrapping_sub(MASK_DELTA).rotate_left(15)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Check values from RFC 3720, section B.4.
    #[test]
    fn rfc3720_check_values() {
        assert_eq!(value(&[0u8; 32]), 0x8a91_36aa);
        assert_eq!(value(&[0xffu8; 32]), 0x62a8_ab43);
        let ascending: Vec<u8> = (0u8..32).collect();
        assert_eq!(value(&ascending), 0x46dd_794e);
        let descending: Vec<u8> = (0u8..32).rev().collect();
        assert_eq!(value(&descending), 0x113f_db5c);
    }

    #[test]
    fn distinct_inputs_give_distinct_crcs() {
        assert_ne!(value(b"a"), value(b"foo"));
    }

    #[test]
    fn extend_equals_value_of_concatenation() {
        assert_eq!(value(b"hello world"), extend(value(b"hello "), b"world"));
        assert_eq!(value(b"abc"), extend(value(b""), b"abc"));
    }

    #[test]
    fn mask_changes_value_and_unmask_inverts() {
        let crc = value(b"foo");
        assert_ne!(crc, mask(crc));
        assert_ne!(crc, mask(mask(crc)));
        assert_eq!(crc, unmask(mask(crc)));
        assert_eq!(crc, unmask(unmask(mask(mask(crc)))));
    }

    #[test]
    fn mask_hand_computed() {
        // 0x0000_8000 rotated right by 15 is 1; plus the delta.
        assert_eq!(mask(0x0000_8000), 0xa282_ead9);
        assert_eq!(unmask(0xa282_ead9), 0x0000_8000);
    }

    proptest! {
        #[test]
        fn mask_round_trips(crc in any::<u32>()) {
            prop_assert_eq!(unmask(mask(crc)), crc);
        }

        #[test]
        fn extend_splits_anywhere(data in proptest::collection::vec(any::<u8>(), 0..200),
                                  split in any::<prop::sample::Index>()) {
            let at = if data.is_empty() { 0 } else { split.index(data.len() + 1) };
            prop_assert_eq!(extend(value(&data[..at]), &data[at..]), value(&data));
        }
    }
}
