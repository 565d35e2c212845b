//! `strata fs`: the blobfs filesystem's own commands: flags in
//! ([`crate::cli::fs`]), one function per command ([`ops`]) over a store opened by
//! [`strata_blobfs::store_dir`] (which documents the store's files); the
//! mount is `strata-blobfs-fuse`'s.
//!
//! Errors print one line on stderr. Exit status: 0 on success; 1 when
//! something is not found, a time is bad or would go backwards, stored data
//! fails verification, or the operation is refused by the tree's state
//! (exists, not a directory, not empty); 2 for bad usage (a malformed path,
//! an unknown engine, a store that does not match `--engine`).

pub mod ops;

use crate::cli::fs::FsArgs;
use crate::engines::open_engine;
use std::path::Path;
use std::sync::Arc;
use strata_api::{Engine, EngineSpec, PosixEnv};
use strata_blobfs::time::{self, ClaimTime};
use strata_blobfs::{BlobFs, FsError, Signer, StoreDir};

/// The exit status of `e`: 2 for bad usage (a malformed path, an unknown
/// engine, a store that does not match `--engine`), else 1.
pub fn exit_code(e: &FsError) -> u8 {
    match e {
        FsError::Usage(_) | FsError::Engine(strata_api::Error::InvalidArgument(_)) => 2,
        _ => 1,
    }
}

/// An optional RFC 3339 time flag.
///
/// # Errors
/// [`FsError::BadTime`] if it does not parse.
pub fn parse_time(text: Option<&String>) -> Result<Option<ClaimTime>, FsError> {
    text.map(|t| time::parse_rfc3339(t)).transpose()
}

/// Opens an engine of the store with the POSIX `Env`.
fn open_store_engine(spec: &EngineSpec, dir: &Path) -> strata_api::Result<Arc<dyn Engine>> {
    open_engine(spec, dir, Arc::new(PosixEnv::new()))
}

/// The store named by `--store`, and `--engine` as a spec to check the
/// store's against (`None` for the default, which accepts any store).
fn store(args: &FsArgs) -> (StoreDir, Option<&str>) {
    let asked = (args.engine != "lsm").then_some(args.engine.as_str());
    (StoreDir::new(&args.store), asked)
}

fn open(args: &FsArgs) -> Result<BlobFs, FsError> {
    let (store, asked) = store(args);
    store.open(asked, &open_store_engine)
}

fn open_parts(args: &FsArgs) -> Result<(Arc<dyn Engine>, Signer), FsError> {
    let (store, asked) = store(args);
    store.open_parts(asked, &open_store_engine)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_error_kind() {
        assert_eq!(exit_code(&FsError::Usage("x".into())), 2);
        assert_eq!(exit_code(&FsError::NotFound("x".into())), 1);
        assert_eq!(exit_code(&FsError::BadTime("x".into())), 1);
        assert_eq!(exit_code(&FsError::corruption("blob", "bad")), 1);
        assert!(matches!(
            parse_time(Some(&"nope".to_string())),
            Err(FsError::BadTime(_))
        ));
        assert_eq!(parse_time(None).expect("none"), None);
    }
}
