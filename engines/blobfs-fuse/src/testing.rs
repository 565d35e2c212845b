//! Test helpers: a blobfs store in memory.

use std::sync::Arc;
use strata_api::{EngineSpec, Env, MemEnv};
use strata_blobfs::{BlobFs, FsConfig, Signer};

/// A fresh store on the LSM engine over an in-memory `Env`.
pub(crate) fn memory_fs() -> BlobFs {
    let spec = EngineSpec::parse("lsm").expect("spec");
    let env: Arc<dyn Env> = Arc::new(MemEnv::new());
    let options = strata_lsm::DbOptions::from_spec(&spec, env).expect("options");
    let engine = Arc::new(strata_lsm::Db::open(options, "/db").expect("engine"));
    BlobFs::init(engine, Signer::generate(), FsConfig::default()).expect("init")
}
