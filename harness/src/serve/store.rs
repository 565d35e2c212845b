//! The blobfs store of `--store`, opened read-only: its engine through
//! [`crate::engines::open_engine_read_only`] (nothing in the store is
//! created, written or deleted, not even a lock), the filesystem through
//! [`strata_blobfs::BlobFs::open`] with the store's own signer (which a
//! read never uses). The open store is a view of the files as they were
//! when it was opened; it is opened again when the engine's files change.

use super::error::PageError;
use crate::engines::{open_engine_read_only, Inspected};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use strata_api::PosixEnv;
use strata_blobfs::store_dir::store_fs_config;
use strata_blobfs::{BlobFs, FsError, Signer, StoreDir};

/// A store opened for reading.
pub struct OpenStore {
    /// The filesystem.
    pub fs: BlobFs,
    /// The engine below it (and a peer's scratch copy); dropped after `fs`.
    _engine: Inspected,
}

impl std::fmt::Debug for OpenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpenStore")
    }
}

/// The engine folder's files: name, size, modification time.
type Signature = Vec<(String, u64, Option<SystemTime>)>;

/// The store directory and its latest opening.
#[derive(Debug)]
pub struct StoreView {
    dir: PathBuf,
    opened: Mutex<Option<(Signature, Arc<OpenStore>)>>,
}

impl StoreView {
    /// The store at `dir` (opened on first use).
    pub fn new(dir: PathBuf) -> Self {
        StoreView {
            dir,
            opened: Mutex::new(None),
        }
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The store as its files are now.
    ///
    /// # Errors
    /// 404 when there is no store there; 500 when it cannot be opened.
    pub fn open(&self) -> Result<Arc<OpenStore>, PageError> {
        let store = StoreDir::new(&self.dir);
        let signature = signature(&store.engine_dir());
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((seen, open)) = opened.as_ref() {
            if *seen == signature {
                return Ok(Arc::clone(open));
            }
        }
        *opened = None;
        let spec = store.spec(None).map_err(fs_error)?;
        let signer = Signer::load_file(&store.signer_path()).map_err(fs_error)?;
        let engine = open_engine_read_only(&spec, &store.engine_dir(), Arc::new(PosixEnv::new()))
            .map_err(|e| PageError::internal(format!("{}: {e}", self.dir.display())))?;
        let fs = BlobFs::open(Arc::clone(&engine.engine), signer, store_fs_config())
            .map_err(fs_error)?;
        let open = Arc::new(OpenStore {
            fs,
            _engine: engine,
        });
        *opened = Some((signature, Arc::clone(&open)));
        Ok(open)
    }
}

fn signature(dir: &Path) -> Signature {
    let mut files: Signature = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| {
                    let meta = e.metadata().ok()?;
                    Some((
                        e.file_name().to_string_lossy().into_owned(),
                        meta.len(),
                        meta.modified().ok(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// A store error as a refusal: absence is 404, a bad path or time 400,
/// anything else (corruption, I/O) 500.
pub fn fs_error(e: FsError) -> PageError {
    match e {
        FsError::NotFound(_) | FsError::NotADirectory(_) | FsError::IsADirectory(_) => {
            PageError::not_found(e.to_string())
        }
        FsError::Usage(_) | FsError::BadTime(_) => PageError::bad_request(e.to_string()),
        other => PageError::internal(other.to_string()),
    }
}
