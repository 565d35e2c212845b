//! The common spec keys of a baseline, resolved against LevelDB's defaults.

use strata_api::{EngineSpec, Error, Result};

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

impl BaselineOptions {
    /// The options of `spec`, which must be of kind `kind`.
    ///
    /// # Errors
    /// `InvalidArgument` if the spec is of another kind or a size does not
    /// fit this machine's `usize` (or a bloom setting `u32`).
    pub fn from_spec(spec: &EngineSpec, kind: &str) -> Result<Self> {
        if spec.kind() != kind {
            return Err(Error::InvalidArgument(format!(
                "spec '{spec}' is not a {kind} spec"
            )));
        }
        let mut o = BaselineOptions::default();
        if let Some(c) = spec.get("compression") {
            o.snappy = c == "snappy";
        }
        if let Some(b) = spec.number("bloom_bits") {
            o.bloom_bits_per_key = u32::try_from(b).map_err(|_| too_big("bloom_bits", b))?;
        }
        let sizes: [(&str, &mut usize); 5] = [
            ("write_buffer_size", &mut o.write_buffer_size_bytes),
            ("max_file_size", &mut o.max_file_size_bytes),
            ("block_size", &mut o.block_size_bytes),
            ("cache_size", &mut o.cache_size_bytes),
            ("open_files", &mut o.open_files),
        ];
        for (key, slot) in sizes {
            if let Some(v) = spec.number(key) {
                *slot = usize::try_from(v).map_err(|_| too_big(key, v))?;
            }
        }
        Ok(o)
    }
}

fn too_big(key: &str, value: u64) -> Error {
    Error::InvalidArgument(format!("{key}={value} does not fit this machine"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_leveldbs() {
        let spec = EngineSpec::parse("leveldb").expect("spec");
        let o = BaselineOptions::from_spec(&spec, "leveldb").expect("options");
        assert_eq!(o, BaselineOptions::default());
        assert!(o.snappy);
        assert_eq!(o.bloom_bits_per_key, 0);
        assert_eq!(o.write_buffer_size_bytes, 4 << 20);
        assert_eq!(o.open_files, 1000);
    }

    #[test]
    fn every_common_key_is_mapped() {
        let spec = EngineSpec::parse(
            "rusty-leveldb:compression=none,bloom_bits=10,write_buffer_size=64K,\
             max_file_size=1M,block_size=1K,cache_size=16M,open_files=200",
        )
        .expect("spec");
        let o = BaselineOptions::from_spec(&spec, "rusty-leveldb").expect("options");
        assert_eq!(
            o,
            BaselineOptions {
                snappy: false,
                bloom_bits_per_key: 10,
                write_buffer_size_bytes: 64 << 10,
                max_file_size_bytes: 1 << 20,
                block_size_bytes: 1 << 10,
                cache_size_bytes: 16 << 20,
                open_files: 200,
            }
        );
    }

    #[test]
    fn wrong_kind_and_oversized_values_are_rejected() {
        let spec = EngineSpec::parse("lsm").expect("spec");
        let e = BaselineOptions::from_spec(&spec, "leveldb").expect_err("kind");
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
        let spec = EngineSpec::parse("leveldb:bloom_bits=8G").expect("spec");
        let e = BaselineOptions::from_spec(&spec, "leveldb").expect_err("bloom");
        assert!(e.to_string().contains("bloom_bits"), "{e}");
    }
}
