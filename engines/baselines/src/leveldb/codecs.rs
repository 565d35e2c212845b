//! LevelDB 1.23's own CRC-32C and Snappy, for db_bench's `crc32c`,
//! `snappycomp` and `snappyuncomp` on the `leveldb` engine.
//!
//! - CRC-32C: `leveldb::crc32c::Extend`, the very code inside
//!   `libleveldb.so`. The shared library does not export it, so
//!   `build.rs` takes its object file (`crc32c.cc.o`) out of Debian's
//!   `libleveldb.a` (same package, same build) and links it statically.
//!   Without `libleveldb.a` (cfg `leveldb_crc32c` unset; the build script
//!   puts its reason in `STRATA_LEVELDB_CODECS_MISSING`) the engine has no
//!   codecs of its own: [`LevelDbCodecs::available`] is `None` and
//!   [`LevelDbCodecs::unavailable`] says why, so that db_bench's rows say
//!   they timed strata's crates (`Engine::codecs_unavailable`). Building
//!   with `STRATA_LEVELDB_SKIP_CRC32C=1` makes such a build on purpose.
//! - Snappy: libsnappy's C API (`snappy-c.h`), which wraps the same
//!   `RawCompress`/`RawUncompress` that LevelDB's `port::Snappy_*` call.

use libc::{c_char, c_int, size_t};
use strata_api::codecs::CodecsUnavailable;
use strata_api::Codecs;

/// `SNAPPY_OK` of `snappy_status`.
const SNAPPY_OK: c_int = 0;

#[link(name = "snappy")]
extern "C" {
    fn snappy_compress(
        input: *const c_char,
        input_length: size_t,
        compressed: *mut c_char,
        compressed_length: *mut size_t,
    ) -> c_int;
    fn snappy_uncompress(
        compressed: *const c_char,
        compressed_length: size_t,
        uncompressed: *mut c_char,
        uncompressed_length: *mut size_t,
    ) -> c_int;
    fn snappy_max_compressed_length(source_length: size_t) -> size_t;
}

#[cfg(leveldb_crc32c)]
extern "C" {
    /// `uint32_t leveldb::crc32c::Extend(uint32_t init_crc, const char*
    /// data, size_t n)`: a free C++ function, whose calling convention on
    /// the SysV ABI is C's.
    #[link_name = "_ZN7leveldb6crc32c6ExtendEjPKcm"]
    fn leveldb_crc32c_extend(init_crc: u32, data: *const c_char, n: size_t) -> u32;
}

/// LevelDB's CRC-32C and libsnappy.
pub struct LevelDbCodecs;

/// What the engine's own codecs are, for [`CodecsUnavailable::own`].
const OWN: &str = "LevelDB 1.23's crc32c and libsnappy";

/// Why the build has no LevelDB CRC-32C, or `None` if it has it.
fn missing_reason() -> Option<&'static str> {
    if cfg!(leveldb_crc32c) {
        None
    } else {
        Some(option_env!("STRATA_LEVELDB_CODECS_MISSING").unwrap_or(
            "LevelDB's crc32c object was not linked at build time (cfg leveldb_crc32c unset)",
        ))
    }
}

/// The report for a build whose CRC-32C is `missing` for that reason.
fn report(missing: Option<&str>) -> Option<CodecsUnavailable> {
    missing.map(|reason| CodecsUnavailable {
        own: OWN.to_string(),
        reason: reason.to_string(),
    })
}

impl LevelDbCodecs {
    /// The codecs, when LevelDB's CRC-32C was linked (see the module docs).
    pub fn available() -> Option<LevelDbCodecs> {
        missing_reason().is_none().then_some(LevelDbCodecs)
    }

    /// Why [`LevelDbCodecs::available`] is `None` in this build (which
    /// file the build script did not find or could not unpack), or `None`
    /// when LevelDB's own codecs are linked. Both halves go together:
    /// libsnappy alone is not offered, so that the three codec rows of one
    /// engine never mix two libraries.
    pub fn unavailable() -> Option<CodecsUnavailable> {
        report(missing_reason())
    }
}

impl Codecs for LevelDbCodecs {
    fn crc32c(&self, data: &[u8]) -> u32 {
        #[cfg(leveldb_crc32c)]
        {
            // SAFETY: `data` is a live slice; Extend reads exactly `n`
            // bytes from it and keeps no pointer.
            unsafe { leveldb_crc32c_extend(0, data.as_ptr().cast(), data.len()) }
        }
        #[cfg(not(leveldb_crc32c))]
        {
            // Unreachable: `available` hands out no value without the cfg.
            let _ = data;
            0
        }
    }

    fn snappy_max_compressed_len(&self, input_len: usize) -> usize {
        // SAFETY: a pure function of its argument.
        unsafe { snappy_max_compressed_length(input_len) }
    }

    fn snappy_compress(&mut self, input: &[u8], output: &mut [u8]) -> Option<usize> {
        if output.len() < self.snappy_max_compressed_len(input.len()) {
            return None;
        }
        let mut len: size_t = output.len();
        // SAFETY: both buffers are live for the call; libsnappy writes at
        // most `len` (the output's length, checked above to be the maximum
        // compressed length) bytes and stores the count in `len`.
        let status = unsafe {
            snappy_compress(
                input.as_ptr().cast(),
                input.len(),
                output.as_mut_ptr().cast(),
                &mut len,
            )
        };
        (status == SNAPPY_OK).then_some(len)
    }

    fn snappy_uncompress(&mut self, input: &[u8], output: &mut [u8]) -> Option<usize> {
        let mut len: size_t = output.len();
        // SAFETY: both buffers are live for the call; libsnappy checks the
        // block's uncompressed length against `len` (the output's length)
        // before writing and fails with BUFFER_TOO_SMALL otherwise.
        let status = unsafe {
            snappy_uncompress(
                input.as_ptr().cast(),
                input.len(),
                output.as_mut_ptr().cast(),
                &mut len,
            )
        };
        (status == SNAPPY_OK && len == output.len()).then_some(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leveldb_crc32c_has_the_rfc_3720_check_values() {
        let Some(c) = LevelDbCodecs::available() else {
            // Says so plainly rather than passing silently; under CI, which
            // installs libleveldb-dev, a missing archive is a failure.
            assert!(
                std::env::var_os("STRATA_CI_STRICT").is_none_or(|v| v != "1"),
                "STRATA_CI_STRICT=1 (CI installed libleveldb-dev), yet libleveldb.a was not found at build time"
            );
            eprintln!(
                "SKIPPED: {}",
                LevelDbCodecs::unavailable().map_or(String::new(), |m| m.reason)
            );
            return;
        };
        assert_eq!(c.crc32c(&[0u8; 32]), 0x8a91_36aa);
        assert_eq!(c.crc32c(&[0xffu8; 32]), 0x62a8_ab43);
        let ascending: Vec<u8> = (0u8..32).collect();
        assert_eq!(c.crc32c(&ascending), 0x46dd_794e);
        assert_eq!(
            c.crc32c(b"x".repeat(4096).as_slice()),
            crc_by_bits(&b"x".repeat(4096))
        );
    }

    /// Bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78), from the
    /// definition.
    fn crc_by_bits(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0x82f6_3b78
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_build_without_the_crc32c_object_reports_why_and_offers_no_codecs() {
        // The report a build without `libleveldb.a` gives (the cfg itself
        // is fixed per build; `STRATA_LEVELDB_SKIP_CRC32C=1` makes one).
        let missing = report(Some("no /usr/lib/libleveldb.a")).expect("reported");
        assert_eq!(missing.own, OWN);
        assert_eq!(missing.reason, "no /usr/lib/libleveldb.a");
        assert!(
            missing.to_string().contains("strata's crc32c/snap crates"),
            "{missing}"
        );
        assert_eq!(report(None), None);
        // This build: exactly one of the two is given, as the cfg says.
        assert_eq!(
            LevelDbCodecs::available().is_some(),
            LevelDbCodecs::unavailable().is_none()
        );
        assert_eq!(LevelDbCodecs::available().is_some(), cfg!(leveldb_crc32c));
        if let Some(missing) = LevelDbCodecs::unavailable() {
            eprintln!("this build has no LevelDB codecs: {missing}");
            assert!(!missing.reason.is_empty());
        }
    }

    #[test]
    fn libsnappy_round_trips_and_rejects_bad_input() {
        let mut c = LevelDbCodecs;
        let input = b"leveldb leveldb leveldb leveldb".repeat(20);
        let mut packed = vec![0u8; c.snappy_max_compressed_len(input.len())];
        let n = c.snappy_compress(&input, &mut packed).expect("compress");
        assert!(n < input.len() / 4, "repetitive input compresses: {n}");
        let mut out = vec![0u8; input.len()];
        assert_eq!(
            c.snappy_uncompress(&packed[..n], &mut out),
            Some(input.len())
        );
        assert_eq!(out, input);
        // The raw Snappy format: a varint of the uncompressed length first.
        assert_eq!(packed[..2], [0xec, 0x04], "620 as a varint");
        let mut short = vec![0u8; input.len() - 1];
        assert_eq!(c.snappy_uncompress(&packed[..n], &mut short), None);
        assert_eq!(c.snappy_uncompress(&[0xff, 0xff, 0xff], &mut out), None);
        let mut tiny = [0u8; 4];
        assert_eq!(c.snappy_compress(&input, &mut tiny), None);
    }
}
