//! The `EngineHost` of real runs (`strata bench`, `strata reproduce`): one
//! engine spec in one directory on the real file system, opened through
//! the engine factory.

use crate::engines::{destroy_engine, open_engine};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use strata_api::{Engine, EngineSpec, Env, PosixEnv};
use strata_workloads::EngineHost;

/// Opens `spec` in `dir`.
pub struct DirHost {
    spec: EngineSpec,
    dir: PathBuf,
    env: Arc<dyn Env>,
}

impl DirHost {
    /// A host for `spec` in `dir` on the real file system.
    pub fn new(spec: EngineSpec, dir: PathBuf) -> Self {
        DirHost {
            spec,
            dir,
            env: Arc::new(PosixEnv::new()),
        }
    }

    /// A host for `spec` in `dir` whose engine runs on `env`.
    pub fn with_env(spec: EngineSpec, dir: PathBuf, env: Arc<dyn Env>) -> Self {
        DirHost { spec, dir, env }
    }
}

impl EngineHost for DirHost {
    fn open(&mut self, fresh: bool) -> strata_api::Result<Arc<dyn Engine>> {
        if fresh {
            destroy_engine(&self.spec, &self.dir, Arc::clone(&self.env))?;
        }
        self.env.create_dir_all(&self.dir)?;
        open_engine(&self.spec, &self.dir, Arc::clone(&self.env))
    }

    fn db_size_bytes(&self) -> u64 {
        dir_size_bytes(&self.dir)
    }
}

/// Bytes of every file below `dir` (0 if it is gone).
pub fn dir_size_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(m) if m.is_dir() => dir_size_bytes(&entry.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
