//! blobfs: a Perkeep-style content-addressed filesystem with time travel,
//! layered on any [`strata_api::Engine`].
//!
//! # Model
//! - **Blobs** ([`blob`]) are immutable byte strings named by their SHA-256,
//!   `sha256-<64 hex>`, stored in insertion order (`d:<seq><ref>`, found
//!   through a small `l:<ref>` location) and verified on every read.
//! - **Schema blobs** ([`schema`]) are JSON with Perkeep's field names:
//!   `permanode`, `claim`, `file` (with `parts`), `directory`, `static-set`.
//! - **Permanodes** are the mutable objects: a permanode is a signed blob
//!   holding only randomness; its state is the fold of the signed **claims**
//!   ([`sign`]) that name it, in claim-date order. Nothing is overwritten, so
//!   any state can be read as of any past instant.
//! - **Files** are split by content-defined chunking ([`chunk`]) so that an
//!   edit stores only the chunks it changed.
//! - The **index** ([`index`]) lives in the same engine under `i:`; it maps
//!   each permanode to its claims by time (one range scan gives the
//!   attributes at time T), keeps the current state of every node and
//!   directory entry ([`state`]: the latest state in point lookups), and can
//!   be rebuilt from the blobs alone ([`reindex`]). Nothing is loaded into
//!   memory when a store is opened.
//! - The keys' layout is versioned ([`format`]); [`upgrade`] converts an
//!   older store.
//! - The **filesystem** ([`fs`]) is a tree of permanodes: a directory has
//!   `camliPath:NAME` attributes naming children, a file has a
//!   `camliContent` attribute naming a `file` blob.
//!
//! Tools over a store: [`mirror`] (put a local tree as of a time),
//! [`export`] (write a tree as of a time to disk, or snapshot it as
//! `directory`/`static-set` blobs), [`verify`], [`reindex`], [`stats`].
//! A store on disk (engine directory, signer key, config file) is laid out
//! and opened by [`store_dir`].

pub mod blob;
pub mod chunk;
pub mod error;
pub mod export;
pub mod format;
pub mod fs;
pub mod index;
pub mod kv;
pub mod mirror;
pub mod pread_env;
pub mod presign;
pub mod reindex;
pub mod schema;
pub mod sign;
pub mod state;
pub mod stats;
pub mod store_dir;
pub mod stream;
pub mod time;
pub mod upgrade;
pub mod verify;

pub use blob::{BlobRef, BlobStore};
pub use chunk::ChunkerConfig;
pub use error::{FsError, Result};
pub use fs::{BlobFs, DirEntry, FsConfig, NodeKind, Stat, Version, VersionState, WriteReport};
pub use sign::Signer;
pub use store_dir::StoreDir;
