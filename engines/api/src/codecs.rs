//! The checksum and compression code an engine runs, as db_bench's
//! `crc32c`, `snappycomp` and `snappyuncomp` time it: those benchmarks
//! measure an engine's libraries, not its database, so each engine names
//! its own (LevelDB's `crc32c::Value` and libsnappy for the LevelDB
//! baseline; the `crc32c` and `snap` crates for strata's engine).

/// One engine's CRC-32C and Snappy, held by one benchmark thread (so the
/// compressor may keep scratch state between calls).
pub trait Codecs: Send {
    /// CRC-32C (Castagnoli) of `data`, unmasked, as LevelDB's
    /// `crc32c::Value`.
    fn crc32c(&self, data: &[u8]) -> u32;

    /// The largest Snappy output for `input_len` bytes of input.
    fn snappy_max_compressed_len(&self, input_len: usize) -> usize;

    /// Snappy-compresses `input` into `output` (at least
    /// [`Codecs::snappy_max_compressed_len`] bytes); the compressed length,
    /// or `None` if the codec failed.
    fn snappy_compress(&mut self, input: &[u8], output: &mut [u8]) -> Option<usize>;

    /// Uncompresses a raw Snappy block into `output` (exactly its
    /// uncompressed length); the uncompressed length, or `None` for a
    /// corrupt block or a wrong-sized `output`.
    fn snappy_uncompress(&mut self, input: &[u8], output: &mut [u8]) -> Option<usize>;
}

/// Why an engine's own codecs are missing from this build
/// ([`crate::Engine::codecs_unavailable`]): [`crate::Engine::codecs`] then
/// returns `None` and strata's `crc32c` and `snap` crates stand in, so a
/// `crc32c`, `snappycomp` or `snappyuncomp` row timed for that engine times
/// strata's code, not the engine's, and must say so (or not run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecsUnavailable {
    /// The engine's own codecs, as a reader would name them (for LevelDB:
    /// "LevelDB 1.23's crc32c and libsnappy").
    pub own: String,
    /// Why they are not in this build (for LevelDB: which file the build
    /// script did not find or could not unpack).
    pub reason: String,
}

impl std::fmt::Display for CodecsUnavailable {
    /// The note for such a row (CSV `message`, console line):
    /// `timed strata's crc32c/snap crates, not <own>: <reason>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "timed strata's crc32c/snap crates, not {}: {}",
            self.own, self.reason
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_names_what_was_timed_and_why() {
        let missing = CodecsUnavailable {
            own: "LevelDB 1.23's crc32c and libsnappy".into(),
            reason: "no libleveldb.a".into(),
        };
        assert_eq!(
            missing.to_string(),
            "timed strata's crc32c/snap crates, not LevelDB 1.23's crc32c and libsnappy: no libleveldb.a"
        );
    }
}
