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
//! are harmless). The exception is a mirror (`put`) too large for one
//! batch: it commits in batches of about [`FsConfig::claim_flush_bytes`], each
//! holding whole files and directories after the blobs they reference, so
//! that after a crash every file is at its old or its new version.
//!
//! Every read takes an optional time `at` and sees the state as of that
//! instant (claims dated at or before it); `None` means now. Reads of now
//! use the current-state index ([`crate::state`]: point lookups); reads of
//! the past fold claims from the claim index. Either way the directories
//! on the way are resolved through a bounded cache of bindings
//! ([`cache`]), and each read works on one engine snapshot.
//!
//! Claim times: a mutation with an explicit time fails with `BadTime` if it
//! precedes the latest claim of any permanode it changes, or equals the
//! time of an earlier claim on the same (permanode, attribute); one without
//! a time takes the current clock, moved past the latest claim of every
//! permanode it changes if the clock is behind them.

pub(crate) mod cache;
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
use crate::format;
use crate::index;
use crate::presign::PermanodePool;
use crate::sign::Signer;
use crate::time::ClaimTime;
use cache::{PathCache, DEFAULT_PATH_CACHE_ENTRIES};
use parking_lot::{Mutex, RwLock};
use std::sync::Arc;
use strata_api::{Engine, ReadOptions, WriteBatch, WriteOptions};

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
    /// Most directory bindings kept in memory to resolve paths (0: none).
    /// Default 262,144 (a few hundred bytes each).
    pub path_cache_entries: usize,
    /// A mirror (`put`) commits its claims in batches of about this many
    /// bytes. Default 8 MiB ([`txn::CLAIM_FLUSH_BYTES`]).
    pub claim_flush_bytes: usize,
}

impl Default for FsConfig {
    fn default() -> Self {
        FsConfig {
            chunker: ChunkerConfig::default(),
            max_blob_bytes: DEFAULT_MAX_BLOB_BYTES,
            sync: false,
            path_cache_entries: DEFAULT_PATH_CACHE_ENTRIES,
            claim_flush_bytes: txn::CLAIM_FLUSH_BYTES,
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
    /// Permanodes signed ahead for new files and directories.
    pub(crate) permanodes: PermanodePool,
    pub(crate) config: FsConfig,
    pub(crate) root: BlobRef,
    /// Serialises mutations so that time checks and the batch they guard
    /// see no other writer in between.
    pub(crate) write_lock: Mutex<()>,
    /// Directory bindings already read.
    pub(crate) cache: PathCache,
    /// Held (shared) while a reader takes its snapshot and the cache's
    /// generation, and (exclusive) while a batch of claims is written and
    /// the bindings it changed are invalidated: a snapshot and the
    /// generation it is paired with always agree.
    pub(crate) commit_lock: RwLock<()>,
}

/// What one read works on: an engine snapshot (or the latest state, for
/// mutations, which hold the write lock) and the cache generation it
/// matches.
pub(crate) struct View {
    pub(crate) ro: ReadOptions,
    pub(crate) generation: u64,
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
        let mut fs = Self::assemble(engine, signer, config, BlobRef::of(b""));
        fs.root = write::init_root(&fs)?;
        Ok(fs)
    }

    fn assemble(engine: Arc<dyn Engine>, signer: Signer, config: FsConfig, root: BlobRef) -> Self {
        BlobFs {
            blobs: BlobStore::new(Arc::clone(&engine), config.max_blob_bytes),
            engine,
            signer,
            permanodes: PermanodePool::new(),
            cache: PathCache::new(config.path_cache_entries),
            config,
            root,
            write_lock: Mutex::new(()),
            commit_lock: RwLock::new(()),
        }
    }

    /// Opens the filesystem in `engine`, to be changed with `signer`. Reads
    /// three keys (format, root, root's signer) and nothing else: the index
    /// stays in the engine.
    ///
    /// # Errors
    /// `NotFound` if the engine holds no filesystem; `UnsupportedFormat`
    /// for a store of another format; `Usage` if `signer` does not own its
    /// root or the config is bad; the engine's errors.
    pub fn open(engine: Arc<dyn Engine>, signer: Signer, config: FsConfig) -> Result<Self> {
        config.validate()?;
        let ro = ReadOptions::default();
        format::check(engine.as_ref())?;
        let root = index::root(engine.as_ref(), &ro)?
            .ok_or_else(|| FsError::NotFound("no blobfs store in this engine (run init)".into()))?;
        let owner = index::permanode_signer(engine.as_ref(), &ro, &root)?;
        if owner != Some(signer.public_key_ref()) {
            return Err(FsError::Usage(format!(
                "signer {} does not own this store's root {root}",
                signer.public_key_ref()
            )));
        }
        Ok(Self::assemble(engine, signer, config, root))
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
        self.view().ro
    }

    /// A snapshot and the cache generation that goes with it.
    pub(crate) fn view(&self) -> View {
        let _paired = self.commit_lock.read();
        View {
            ro: ReadOptions {
                snapshot: Some(self.engine.snapshot()),
                ..ReadOptions::default()
            },
            generation: self.cache.generation(),
        }
    }

    /// The latest state, for a mutation (which holds the write lock, so
    /// nothing changes bindings under it).
    pub(crate) fn write_view(&self) -> View {
        View {
            ro: ReadOptions::default(),
            generation: self.cache.generation(),
        }
    }

    /// Writes a batch of claims and forgets the cached bindings it changes.
    pub(crate) fn commit_batch(
        &self,
        batch: &WriteBatch,
        changed: &[(BlobRef, String)],
    ) -> Result<()> {
        let _exclusive = self.commit_lock.write();
        let written = self
            .engine
            .write(&WriteOptions::with_sync(self.config.sync), batch);
        // Even after a failed write: it may have been applied.
        self.cache
            .invalidate(changed.iter().map(|(d, n)| (d, n.as_str())));
        Ok(written?)
    }
}
