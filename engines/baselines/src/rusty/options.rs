//! Spec options to `rusty_leveldb::Options`, and its errors to strata's.

use super::env::SyncingDiskEnv;
use crate::options::BaselineOptions;
use rusty_leveldb::{BloomPolicy, CompressorId, FilterPolicy, Status, StatusCode};
use std::rc::Rc;
use strata_api::Error;

/// The port's options for `o`: LevelDB's names, with `create_if_missing`.
pub(crate) fn to_rusty(o: &BaselineOptions) -> rusty_leveldb::Options {
    let filter_policy: Box<dyn FilterPolicy> = if o.bloom_bits_per_key > 0 {
        Box::new(BloomPolicy::new(o.bloom_bits_per_key))
    } else {
        Box::new(PassThroughFilter)
    };
    rusty_leveldb::Options {
        create_if_missing: true,
        write_buffer_size: o.write_buffer_size_bytes,
        max_open_files: o.open_files,
        max_file_size: o.max_file_size_bytes,
        block_cache_capacity_bytes: o.cache_size_bytes,
        block_size: o.block_size_bytes,
        compressor: if o.snappy {
            rusty_leveldb::compressor::SnappyCompressor::ID
        } else {
            rusty_leveldb::compressor::NoneCompressor::ID
        },
        filter_policy: Rc::new(filter_policy),
        env: Rc::new(Box::new(SyncingDiskEnv::new())),
        ..rusty_leveldb::Options::default()
    }
}

/// The port always writes a filter block and its "no filter" policy is not
/// exported, so `bloom_bits=0` uses this one: a one-byte filter that lets
/// every key through (the lookup then reads the data block, as LevelDB
/// without a filter does). The byte is there because the port's filter
/// reader asserts that every filter is non-empty.
struct PassThroughFilter;

impl FilterPolicy for PassThroughFilter {
    fn name(&self) -> &'static str {
        "strata.PassThroughFilter"
    }
    fn create_filter(&self, _keys: &[u8], _key_offsets: &[usize]) -> Vec<u8> {
        vec![0]
    }
    fn key_may_match(&self, _key: &[u8], _filter: &[u8]) -> bool {
        true
    }
}

/// The port's `Status` as a strata error about the database in `dir`.
pub(crate) fn map_status(dir: &str, status: Status) -> Error {
    match status.code {
        StatusCode::Corruption => Error::corruption(dir, 0, status.err),
        StatusCode::InvalidArgument => Error::InvalidArgument(status.err),
        StatusCode::NotFound => Error::NotFound(status.err),
        _ => Error::io(dir, std::io::Error::other(status.err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_follow_the_spec() {
        let o = BaselineOptions {
            snappy: false,
            bloom_bits_per_key: 0,
            write_buffer_size_bytes: 1 << 16,
            max_file_size_bytes: 1 << 20,
            block_size_bytes: 1 << 10,
            cache_size_bytes: 1 << 22,
            open_files: 100,
        };
        let r = to_rusty(&o);
        assert!(r.create_if_missing);
        assert_eq!(r.compressor, 0);
        assert_eq!(r.write_buffer_size, 1 << 16);
        assert_eq!(r.max_file_size, 1 << 20);
        assert_eq!(r.block_size, 1 << 10);
        assert_eq!(r.block_cache_capacity_bytes, 1 << 22);
        assert_eq!(r.max_open_files, 100);
        assert_eq!(r.filter_policy.name(), "strata.PassThroughFilter");
        let r = to_rusty(&BaselineOptions {
            bloom_bits_per_key: 10,
            ..BaselineOptions::default()
        });
        assert_eq!(r.compressor, 1);
        assert_ne!(r.filter_policy.name(), "strata.PassThroughFilter");
    }

    #[test]
    fn statuses_map_by_code() {
        let s = |code| Status {
            code,
            err: "boom".into(),
        };
        assert!(map_status("d", s(StatusCode::Corruption)).is_corruption());
        assert!(matches!(
            map_status("d", s(StatusCode::LockError)),
            Error::Io { .. }
        ));
        assert!(matches!(
            map_status("d", s(StatusCode::InvalidArgument)),
            Error::InvalidArgument(_)
        ));
    }
}
