//! The options of a baseline, with LevelDB 1.23's defaults; the spec keys
//! that set them, and `BaselineOptions::from_spec`, are in [`crate::spec`].

/// The options every baseline takes from its spec (`compression`,
/// `bloom_bits`, `write_buffer_size`, `max_file_size`, `block_size`,
/// `cache_size`, `open_files`), with LevelDB 1.23's defaults for the keys a
/// spec leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaselineOptions {
    /// Snappy block compression (`compression=snappy`, the default) or none.
    pub snappy: bool,
    /// Bloom filter bits per key; `0` means no filter (the default).
    pub bloom_bits_per_key: u32,
    /// Memtable bytes before a flush. Default 4 MiB.
    pub write_buffer_size_bytes: usize,
    /// Target table file bytes. Default 2 MiB.
    pub max_file_size_bytes: usize,
    /// Uncompressed data block bytes. Default 4 KiB.
    pub block_size_bytes: usize,
    /// Block cache bytes. Default 8 MiB.
    pub cache_size_bytes: usize,
    /// Files the engine may keep open. Default 1000.
    pub open_files: usize,
}

impl Default for BaselineOptions {
    fn default() -> Self {
        BaselineOptions {
            snappy: true,
            bloom_bits_per_key: 0,
            write_buffer_size_bytes: 4 << 20,
            max_file_size_bytes: 2 << 20,
            block_size_bytes: 4 << 10,
            cache_size_bytes: 8 << 20,
            open_files: 1000,
        }
    }
}
