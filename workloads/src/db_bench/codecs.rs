//! The codecs db_bench's `crc32c`, `snappycomp` and `snappyuncomp` time:
//! the engine's own ([`strata_api::Engine::codecs`]), or the `crc32c` and
//! `snap` crates that strata's engine uses.

use strata_api::{Codecs, Engine};

/// The `crc32c` and `snap` crates (strata's engine and rusty-leveldb).
pub struct CrateCodecs {
    encoder: snap::raw::Encoder,
    decoder: snap::raw::Decoder,
}

impl Default for CrateCodecs {
    fn default() -> Self {
        CrateCodecs {
            encoder: snap::raw::Encoder::new(),
            decoder: snap::raw::Decoder::new(),
        }
    }
}

impl Codecs for CrateCodecs {
    fn crc32c(&self, data: &[u8]) -> u32 {
        crc32c::crc32c(data)
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

/// The codecs of `engine`: its own, or the crates strata uses.
pub fn codecs_of(engine: &dyn Engine) -> Box<dyn Codecs> {
    engine
        .codecs()
        .unwrap_or_else(|| Box::new(CrateCodecs::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_codecs_check_values_and_round_trip() {
        let mut c = CrateCodecs::default();
        // RFC 3720, B.4: 32 bytes of zeros.
        assert_eq!(c.crc32c(&[0u8; 32]), 0x8a91_36aa);
        let input = b"strata strata strata strata strata".repeat(10);
        let mut packed = vec![0u8; c.snappy_max_compressed_len(input.len())];
        let n = c.snappy_compress(&input, &mut packed).expect("compress");
        assert!(n < input.len());
        let mut out = vec![0u8; input.len()];
        assert_eq!(
            c.snappy_uncompress(&packed[..n], &mut out),
            Some(input.len())
        );
        assert_eq!(out, input);
        let mut short = vec![0u8; input.len() - 1];
        assert_eq!(c.snappy_uncompress(&packed[..n], &mut short), None);
        assert_eq!(c.snappy_uncompress(&[0xff, 0xff], &mut out), None);
    }
}
