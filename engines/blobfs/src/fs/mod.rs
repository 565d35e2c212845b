//! The filesystem model: a tree of permanodes changed only by claims.
//!
//! - The **root** is a permanode carrying `camliRoot = strata` and
//!   `camliNodeType = directory`, both claimed at the Unix epoch so that
//!   imports with any later time are accepted. `i:root` names it.
//! - A **directory** is a permanode with `camliNodeType = directory`; each
//!   `camliPath:NAME` attribute names a child permanode.
//! - A **file** is a permanode whose `camliContent` names a `file` blob.
//!
//! Every mutation is one batch of claims at one claim time, written
//! atomically (data chunks may be written ahead of it; unreferenced chunks
//! are harmless). Every read takes an optional time `at` and sees the state
//! as of that instant (claims dated at or before it); `None` means now.
//!
//! Claim times: a mutation with an explicit time fails with `BadTime` if it
//! precedes the latest claim of any permanode it changes, or equals the
//! time of an earlier claim on the same (permanode, attribute); one without
//! a time takes the current clock, moved past the latest claim of every
//! permanode it changes if the clock is behind them.

pub(crate) mod content;
mod history;
pub(crate) mod path;
pub(crate) mod read;
pub(crate) mod txn;
pub(crate) mod write;

pub use path::{components, join};

use crate::blob::{BlobRef, BlobStore, DEFAULT_MAX_BLOB_BYTES};
use crate::chunk::ChunkerConfig;
use crate::error::{FsError, Result};
use crate::index;
use crate::sign::Signer;
use crate::time::ClaimTime;
use parking_lot::Mutex;
use std::sync::Arc;
use strata_api::{Engine, ReadOptions};

/// Attribute naming a directory child: `camliPath:NAME`.
pub const ATTR_PATH_PREFIX: &str = "camliPath:";
/// Attribute naming a file's `file` blob.
pub const ATTR_CONTENT: &str = "camliContent";
/// Attribute marking directories (`directory`).
pub const ATTR_NODE_TYPE: &str = "camliNodeType";
/// Attribute marking the root (`strata`).
pub const ATTR_ROOT: &str = "camliRoot";
/// Value of [`ATTR_NODE_TYPE`] for directories.
pub const NODE_TYPE_DIRECTORY: &str = "directory";
/// Value of [`ATTR_ROOT`].
pub const ROOT_NAME: &str = "strata";
/// Mode of new files.
pub const DEFAULT_FILE_MODE: u32 = 0o644;
/// Mode reported for directories.
pub const DIRECTORY_MODE: u32 = 0o755;

/// Options of a store.
#[derive(Debug, Clone, Copy)]
pub struct FsConfig {
    /// How file contents are chunked.
    pub chunker: ChunkerConfig,
    /// Size limit of one blob (data chunk or schema blob); at least
    /// `chunker.max_bytes`. Default 16 MiB.
    pub max_blob_bytes: u32,
    /// Sync the engine's log when a mutation commits. Default `false`.
    pub sync: bool,
}

impl Default for FsConfig {
    fn default() -> Self {
        FsConfig {
            chunker: ChunkerConfig::default(),
            max_blob_bytes: DEFAULT_MAX_BLOB_BYTES,
            sync: false,
        }
    }
}

impl FsConfig {
    /// Checks the chunker and that a maximal chunk fits in a blob.
    ///
    /// # Errors
    /// `Usage` naming the broken rule.
    pub fn validate(&self) -> Result<()> {
        self.chunker.validate()?;
        if self.max_blob_bytes < self.chunker.max_bytes {
            return Err(FsError::Usage(format!(
                "max_blob_bytes {} is below the chunker's max {}",
                self.max_blob_bytes, self.chunker.max_bytes
            )));
        }
        Ok(())
    }
}

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// A directory.
    Directory,
    /// A regular file.
    File,
}

/// What `stat` tells about a path at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// File or directory.
    pub kind: NodeKind,
    /// File length (0 for directories).
    pub size_bytes: u64,
    /// The node's permanode.
    pub permanode: BlobRef,
    /// The `file` blob (files only).
    pub content: Option<BlobRef>,
    /// Permission bits.
    pub mode: u32,
    /// The date of the node's latest claim at the time asked.
    pub modified: Option<ClaimTime>,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The name within the directory.
    pub name: String,
    /// File or directory.
    pub kind: NodeKind,
    /// The child's permanode.
    pub permanode: BlobRef,
}

/// What a mutation stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Data chunks the written contents consist of.
    pub chunks_total: u64,
    /// Of those, chunks not stored before (the rest were deduplicated).
    pub chunks_new: u64,
    /// Content bytes written (the files' lengths).
    pub bytes_total: u64,
    /// Bytes of new data chunks.
    pub bytes_new: u64,
    /// New blobs of any kind (chunks, file blobs, permanodes, claims).
    pub blobs_new: u64,
    /// Claims made.
    pub claims: u64,
}

impl WriteReport {
    /// Adds `other`'s counts to this one.
    pub fn add(&mut self, other: &WriteReport) {
        self.chunks_total += other.chunks_total;
        self.chunks_new += other.chunks_new;
        self.bytes_total += other.bytes_total;
        self.bytes_new += other.bytes_new;
        self.blobs_new += other.blobs_new;
        self.claims += other.claims;
    }
}

/// The state of a path in one version of its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionState {
    /// Nothing at the path.
    Absent,
    /// A file.
    File {
        /// Its permanode.
        permanode: BlobRef,
        /// Its `file` blob.
        content: BlobRef,
        /// Its length.
        size_bytes: u64,
    },
    /// A directory.
    Directory {
        /// Its permanode.
        permanode: BlobRef,
        /// Its entries' names, sorted.
        entries: Vec<String>,
    },
}

/// One version of a path: from `time` on (until the next version) the path
/// was in `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// When the version began.
    pub time: ClaimTime,
    /// What the path was.
    pub state: VersionState,
}

/// A blobfs filesystem over an engine.
pub struct BlobFs {
    pub(crate) engine: Arc<dyn Engine>,
    pub(crate) blobs: BlobStore,
    pub(crate) signer: Signer,
    pub(crate) config: FsConfig,
    pub(crate) root: BlobRef,
    /// Serialises mutations so that time checks and the batch they guard
    /// see no other writer in between.
    pub(crate) write_lock: Mutex<()>,
}

impl BlobFs {
    /// Initialises a new filesystem in `engine`: stores the signer's public
    /// key, the root permanode and its root claims.
    ///
    /// # Errors
    /// `AlreadyExists` if the engine already holds a root; `Usage` for a bad
    /// config; the engine's errors.
    pub fn init(engine: Arc<dyn Engine>, signer: Signer, config: FsConfig) -> Result<Self> {
        config.validate()?;
        let ro = ReadOptions::default();
        if let Some(root) = index::root(engine.as_ref(), &ro)? {
            return Err(FsError::AlreadyExists(format!(
                "a blobfs store (root {root})"
            )));
        }
        let mut fs = BlobFs {
            blobs: BlobStore::new(Arc::clone(&engine), config.max_blob_bytes),
            engine,
            signer,
            config,
            root: BlobRef::of(b""),
            write_lock: Mutex::new(()),
        };
        fs.root = write::init_root(&fs)?;
        Ok(fs)
    }

    /// Opens the filesystem in `engine`, to be changed with `signer`.
    ///
    /// # Errors
    /// `NotFound` if the engine holds no filesystem; `Usage` if `signer`
    /// does not own its root or the config is bad; the engine's errors.
    pub fn open(engine: Arc<dyn Engine>, signer: Signer, config: FsConfig) -> Result<Self> {
        config.validate()?;
        let ro = ReadOptions::default();
        let root = index::root(engine.as_ref(), &ro)?
            .ok_or_else(|| FsError::NotFound("no blobfs store in this engine (run init)".into()))?;
        let owner = index::permanode_signer(engine.as_ref(), &ro, &root)?;
        if owner != Some(signer.public_key_ref()) {
            return Err(FsError::Usage(format!(
                "signer {} does not own this store's root {root}",
                signer.public_key_ref()
            )));
        }
        Ok(BlobFs {
            blobs: BlobStore::new(Arc::clone(&engine), config.max_blob_bytes),
            engine,
            signer,
            config,
            root,
            write_lock: Mutex::new(()),
        })
    }

    /// The engine below.
    pub fn engine(&self) -> &Arc<dyn Engine> {
        &self.engine
    }

    /// The blob store.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// The signer.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The config.
    pub fn config(&self) -> &FsConfig {
        &self.config
    }

    /// The root permanode.
    pub fn root(&self) -> BlobRef {
        self.root
    }

    /// Read options pinned to a snapshot, so that one read operation sees
    /// one state even while a writer commits.
    pub(crate) fn read_view(&self) -> ReadOptions {
        ReadOptions {
            snapshot: Some(self.engine.snapshot()),
            ..ReadOptions::default()
        }
    }
}
