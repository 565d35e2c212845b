//! Test helpers: a blobfs store in memory.

use crate::engines::open_engine;
use std::path::Path;
use std::sync::Arc;
use strata_api::{EngineSpec, MemEnv};
use strata_blobfs::{BlobFs, FsConfig, Signer};

/// A fresh store on the LSM engine over an in-memory `Env`.
pub(crate) fn memory_fs() -> BlobFs {
    let spec = EngineSpec::parse("lsm").expect("spec");
    let engine = open_engine(&spec, Path::new("/db"), Arc::new(MemEnv::new())).expect("engine");
    BlobFs::init(engine, Signer::generate(), FsConfig::default()).expect("init")
}
