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
