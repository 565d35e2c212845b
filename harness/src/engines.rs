//! The engine factory: turns a spec into an open engine in a directory.
//!
//! `lsm` is strata's own engine (over the given `Env`). The baselines
//! (`leveldb`, `rusty-leveldb`) are compiled in only with their cargo
//! features and always use the real file system.

use std::path::Path;
use std::sync::Arc;
use strata_api::{Engine, EngineSpec, Env, Error, Result};
use strata_lsm::{Db, DbOptions};

/// Opens (creating if missing) the engine `spec` names in `dir`.
///
/// # Errors
/// `InvalidArgument` for a baseline not compiled in (naming the cargo
/// feature to enable) or a bad option value; whatever the engine's open
/// returns (`Io`, `Corruption`).
pub fn open_engine(spec: &EngineSpec, dir: &Path, env: Arc<dyn Env>) -> Result<Arc<dyn Engine>> {
    match spec.kind() {
        "lsm" => {
            let options = DbOptions::from_spec(spec, env)?;
            Ok(Arc::new(Db::open(options, dir)?))
        }
        "leveldb" => open_leveldb(spec, dir),
        "rusty-leveldb" => open_rusty(spec, dir),
        other => Err(Error::InvalidArgument(format!(
            "no engine of kind '{other}'"
        ))),
    }
}

/// Deletes the database `spec` names in `dir` (nothing if absent).
///
/// # Errors
/// `Io` if files cannot be removed or the database is open.
pub fn destroy_engine(spec: &EngineSpec, dir: &Path, env: Arc<dyn Env>) -> Result<()> {
    match spec.kind() {
        "lsm" => strata_lsm::destroy_db(env.as_ref(), dir),
        _ => {
            // Baselines write through the real file system.
            match std::fs::remove_dir_all(dir) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(Error::io(dir, e)),
            }
        }
    }
}

#[cfg(feature = "leveldb")]
fn open_leveldb(spec: &EngineSpec, dir: &Path) -> Result<Arc<dyn Engine>> {
    strata_baselines::open_leveldb(spec, dir)
}

#[cfg(not(feature = "leveldb"))]
fn open_leveldb(_spec: &EngineSpec, _dir: &Path) -> Result<Arc<dyn Engine>> {
    Err(Error::InvalidArgument(
        "engine 'leveldb' is not compiled in: build with `--features leveldb` (needs libleveldb-dev and libsnappy-dev)".into(),
    ))
}

#[cfg(feature = "rusty-leveldb")]
fn open_rusty(spec: &EngineSpec, dir: &Path) -> Result<Arc<dyn Engine>> {
    strata_baselines::open_rusty_leveldb(spec, dir)
}

#[cfg(not(feature = "rusty-leveldb"))]
fn open_rusty(_spec: &EngineSpec, _dir: &Path) -> Result<Arc<dyn Engine>> {
    Err(Error::InvalidArgument(
        "engine 'rusty-leveldb' is not compiled in: build with `--features rusty-leveldb`".into(),
    ))
}
