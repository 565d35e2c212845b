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

/// An engine opened for inspection, and the scratch copy it reads (for
/// the peers, which cannot open a database without writing to it).
pub struct Inspected {
    /// The open engine.
    pub engine: Arc<dyn Engine>,
    /// The copy a peer opened; removed when this is dropped, after the
    /// engine (fields drop in order).
    _scratch: Option<tempfile::TempDir>,
}

/// Opens the existing database `spec` names in `dir` without creating or
/// changing anything in `dir`: strata's engine opens it read-only (RocksDB's
/// `OpenForReadOnly`); a peer, whose open always writes a new log and
/// MANIFEST, opens a scratch copy of the directory instead.
///
/// # Errors
/// `InvalidArgument` naming `dir` if it holds no database (no `CURRENT`);
/// `Io` copying; whatever the engine's open returns.
pub fn open_engine_read_only(
    spec: &EngineSpec,
    dir: &Path,
    env: Arc<dyn Env>,
) -> Result<Inspected> {
    if !env.file_exists(&dir.join("CURRENT")) {
        return Err(Error::InvalidArgument(format!(
            "{}: no database (no CURRENT file)",
            dir.display()
        )));
    }
    if spec.kind() == "lsm" {
        let options = DbOptions::from_spec(spec, env)?;
        return Ok(Inspected {
            engine: Arc::new(Db::open_read_only(options, dir)?),
            _scratch: None,
        });
    }
    let scratch = tempfile::Builder::new()
        .prefix("strata-inspect-")
        .tempdir()
        .map_err(|e| Error::io(dir, e))?;
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let from = entry.path();
        if from.is_file() && entry.file_name() != "LOCK" {
            std::fs::copy(&from, scratch.path().join(entry.file_name()))
                .map_err(|e| Error::io(&from, e))?;
        }
    }
    let engine = open_engine(spec, scratch.path(), Arc::new(strata_api::PosixEnv::new()))?;
    Ok(Inspected {
        engine,
        _scratch: Some(scratch),
    })
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
