//! rusty-leveldb's own CRC-32C and Snappy, for db_bench's `crc32c`,
//! `snappycomp` and `snappyuncomp` on the `rusty-leveldb` engine: the
//! `crc` crate's CRC-32/ISCSI with a one-table (byte at a time) lookup, as
//! its `src/crc.rs` declares it, and the `snap` crate's raw format, which
//! its table blocks use.

use strata_api::Codecs;

/// rusty-leveldb's `crc::Crc<u32, crc::Table<1>>` over CRC-32/ISCSI.
const CRC: crc::Crc<u32, crc::Table<1>> = crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISCSI);

/// rusty-leveldb's codecs.
pub struct RustyCodecs {
    encoder: snap::raw::Encoder,
    decoder: snap::raw::Decoder,
}

impl Default for RustyCodecs {
    fn default() -> Self {
        RustyCodecs {
            encoder: snap::raw::Encoder::new(),
            decoder: snap::raw::Decoder::new(),
        }
    }
}

impl Codecs for RustyCodecs {
    fn crc32c(&self, data: &[u8]) -> u32 {
        CRC.checksum(data)
    }

    fn snappy_max_compressed_len(&self, input_len: usize) -> usize {
        snap::raw::max_compress_len(input_len)
    }

    fn snappy_compress(&mut self, input: &[u8], output: &mut [u8]) -> Option<usize> {
        self.encoder.compress(input, output).ok()
    }

    fn snappy_uncompress(&mut self, input: &[u8], output: &mut [u8]) -> Option<usize> {
        match snap::raw::decompress_len(input) {
            Ok(n) if n == output.len() => self.decoder.decompress(input, output).ok(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_crc32c_and_snappy_round_trips() {
        let mut c = RustyCodecs::default();
        assert_eq!(c.crc32c(&[0u8; 32]), 0x8a91_36aa);
        assert_eq!(c.crc32c(&[0xffu8; 32]), 0x62a8_ab43);
        let input = b"rusty rusty rusty rusty".repeat(16);
        let mut packed = vec![0u8; c.snappy_max_compressed_len(input.len())];
        let n = c.snappy_compress(&input, &mut packed).expect("compress");
        let mut out = vec![0u8; input.len()];
        assert_eq!(
            c.snappy_uncompress(&packed[..n], &mut out),
            Some(input.len())
        );
        assert_eq!(out, input);
    }
}
