//! The mounted filesystem's state and what every operation shares:
//! resolving an inode to its node, attributes, and committing buffers.

use super::buffer::DirtyFile;
use super::errno::errno_of;
use super::inodes::{is_within, InodeTable, Node, AT_DIR_INO};
use fuser::{Errno, FileAttr, FileType, INodeNo};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};
use strata_blobfs::stream::FileReader;
use strata_blobfs::{BlobFs, FsError, NodeKind};

/// How long the kernel may cache entries and attributes. Every change to
/// the live tree goes through this mount, so the kernel's own updates keep
/// its cache right; the short time only matters for a `.at` view of an
/// instant still in the future, which follows the tree until then.
pub(crate) const TTL: Duration = Duration::from_secs(1);

/// Permission bits of the `.at` directory.
const AT_DIR_MODE: u32 = 0o555;
/// Write bits, cleared on everything under `.at`.
const WRITE_BITS: u32 = 0o222;

/// What an operation needs to know about a node to build its attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    /// File or directory.
    pub(crate) kind: NodeKind,
    /// Length in bytes (0 for directories).
    pub(crate) size_bytes: u64,
    /// Permission bits.
    pub(crate) perm: u32,
    /// Last change (the node's latest claim, or the last buffered write).
    pub(crate) modified: SystemTime,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    /// Inode number for `d_ino` ([`super::inodes::UNKNOWN_INO`] if the
    /// kernel has not looked the entry up).
    pub(crate) ino: u64,
    /// File or directory.
    pub(crate) kind: FileType,
    /// The entry's name.
    pub(crate) name: String,
}

/// Everything that changes while mounted.
#[derive(Debug)]
pub(crate) struct State {
    /// Node ↔ inode number.
    pub(crate) inodes: InodeTable,
    /// Unsaved writes by inode.
    pub(crate) dirty: HashMap<u64, DirtyFile>,
    /// Open files: handle → inode.
    pub(crate) files: HashMap<u64, u64>,
    /// Open directories: handle → the listing taken at `opendir`.
    pub(crate) dirs: HashMap<u64, Vec<Listed>>,
    /// The stored version each open file is read from, by inode: its
    /// parts loaded once, not at every read (dropped at the last release).
    pub(crate) readers: HashMap<u64, FileReader>,
    /// Entries the sweeper asked the kernel to drop.
    pub(crate) invalidated: u64,
    next_fh: u64,
}

impl State {
    /// A fresh handle number.
    pub(crate) fn new_fh(&mut self) -> u64 {
        self.next_fh += 1;
        self.next_fh
    }

    /// True while some handle has `ino` open.
    pub(crate) fn is_open(&self, ino: u64) -> bool {
        self.files.values().any(|i| *i == ino)
    }

    /// The node of `ino`, or `ENOENT` (unknown, or removed from the tree).
    pub(crate) fn node(&self, ino: u64) -> Result<Node, Errno> {
        self.inodes.node(ino).cloned().ok_or(Errno::ENOENT)
    }

    /// Inodes of files created through the mount and not committed yet,
    /// with their paths.
    pub(crate) fn uncommitted_files(&self) -> Vec<(u64, String)> {
        self.dirty
            .iter()
            .filter(|(_, d)| !d.in_store)
            .filter_map(|(ino, _)| match self.inodes.node(*ino) {
                Some(Node::Head(p)) => Some((*ino, p.clone())),
                _ => None,
            })
            .collect()
    }
}

/// blobfs behind FUSE.
pub(crate) struct MountFs {
    /// The store.
    pub(crate) fs: BlobFs,
    /// The store's directory (`statfs` reports its file system).
    pub(crate) store_dir: PathBuf,
    /// Owner reported for every node: the user who mounted.
    pub(crate) uid: u32,
    /// Group reported for every node.
    pub(crate) gid: u32,
    /// The most inodes to hold before asking the kernel to forget the
    /// coldest (0: no cap); see [`super::bound`].
    pub(crate) max_inodes: u64,
    /// Reported as the times of `.at` itself.
    mounted_at: SystemTime,
    /// Shared with the sweeper ([`super::bound`]).
    state: Arc<Mutex<State>>,
}

impl MountFs {
    /// Serves `fs`, stored in `store_dir`, with nodes owned by `uid`/`gid`
    /// and at most `max_inodes` inodes held (0: no cap).
    pub(crate) fn new(fs: BlobFs, store_dir: PathBuf, uid: u32, gid: u32, max_inodes: u64) -> Self {
        MountFs {
            fs,
            store_dir,
            uid,
            gid,
            max_inodes,
            mounted_at: SystemTime::now(),
            state: Arc::new(Mutex::new(State {
                inodes: InodeTable::new(),
                dirty: HashMap::new(),
                files: HashMap::new(),
                dirs: HashMap::new(),
                readers: HashMap::new(),
                invalidated: 0,
                next_fh: 0,
            })),
        }
    }

    /// The state, for the sweeper and the mount's counts.
    pub(crate) fn shared_state(&self) -> Arc<Mutex<State>> {
        Arc::clone(&self.state)
    }

    /// The state; a panic in an earlier operation leaves it usable (each
    /// operation's changes to it are complete or absent).
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The errno of `e` (printed on stderr when it is an I/O error, since
    /// the caller sees only `EIO`).
    pub(crate) fn fail(&self, e: &FsError) -> Errno {
        let errno = errno_of(e);
        if errno == Errno::EIO || matches!(e, FsError::Engine(_)) {
            eprintln!("strata fs mount: {e}");
        }
        errno
    }

    /// The meta of `node` as stored (no buffer applied).
    pub(crate) fn stored_meta(&self, node: &Node) -> Result<Meta, Errno> {
        match node {
            Node::AtDir => Ok(Meta {
                kind: NodeKind::Directory,
                size_bytes: 0,
                perm: AT_DIR_MODE,
                modified: self.mounted_at,
            }),
            Node::Head(path) => {
                let s = self.fs.stat(path, None).map_err(|e| self.fail(&e))?;
                Ok(Meta {
                    kind: s.kind,
                    size_bytes: s.size_bytes,
                    perm: s.mode,
                    modified: s.modified.map_or(SystemTime::UNIX_EPOCH, SystemTime::from),
                })
            }
            Node::At { time, path, .. } => {
                let s = self.fs.stat(path, Some(*time)).map_err(|e| self.fail(&e))?;
                Ok(Meta {
                    kind: s.kind,
                    size_bytes: s.size_bytes,
                    perm: s.mode & !WRITE_BITS,
                    modified: s.modified.map_or(SystemTime::UNIX_EPOCH, SystemTime::from),
                })
            }
        }
    }

    /// The meta of `ino` (`node`), with its unsaved writes applied.
    pub(crate) fn meta(&self, st: &State, ino: u64, node: &Node) -> Result<Meta, Errno> {
        match st.dirty.get(&ino) {
            Some(d) => Ok(Meta {
                kind: NodeKind::File,
                size_bytes: d.size_bytes(),
                perm: d.mode,
                modified: d.modified,
            }),
            None => self.stored_meta(node),
        }
    }

    /// FUSE attributes of `ino`.
    pub(crate) fn attr(&self, ino: u64, m: &Meta) -> FileAttr {
        let (kind, nlink) = match m.kind {
            NodeKind::Directory => (FileType::Directory, 2),
            NodeKind::File => (FileType::RegularFile, 1),
        };
        FileAttr {
            ino: INodeNo(ino),
            size: m.size_bytes,
            blocks: m.size_bytes.div_ceil(512),
            atime: m.modified,
            mtime: m.modified,
            ctime: m.modified,
            crtime: m.modified,
            kind,
            // Permission bits are at most 0o7777.
            perm: u16::try_from(m.perm & 0o7777).unwrap_or(0o644),
            nlink,
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        }
    }

    /// Attributes of `ino` (`node`), buffer applied.
    pub(crate) fn attr_of(&self, st: &State, ino: u64, node: &Node) -> Result<FileAttr, Errno> {
        Ok(self.attr(ino, &self.meta(st, ino, node)?))
    }

    /// Commits `ino`'s unsaved writes, if any, as one mutation (the
    /// chunks are stored already: this cuts the last one and signs the
    /// version). A buffer that cannot be saved is dropped and reported on
    /// stderr (its bytes are lost; the error also reaches the
    /// `close`/`fsync` that asked).
    pub(crate) fn commit(&self, st: &mut State, ino: u64) -> Result<(), Errno> {
        let Some(mut d) = st.dirty.remove(&ino) else {
            return Ok(());
        };
        let Some(Node::Head(path)) = st.inodes.node(ino).cloned() else {
            // Unlinked (or replaced) while open: nowhere to save it.
            return Ok(());
        };
        if d.is_noop() && d.in_store {
            return Ok(());
        }
        d.content
            .commit(&self.fs, &path, None)
            .map(|_| ())
            .map_err(|e| {
                eprintln!("strata fs mount: could not save {path}: {e}");
                errno_of(&e)
            })
    }

    /// Commits every buffer of a path within `dir` (the path itself or
    /// below it), before a rename moves them.
    pub(crate) fn commit_within(&self, st: &mut State, dir: &str) -> Result<(), Errno> {
        let inos: Vec<u64> = st
            .dirty
            .keys()
            .copied()
            .filter(|ino| matches!(st.inodes.node(*ino), Some(Node::Head(p)) if is_within(p, dir)))
            .collect();
        let mut first_error = Ok(());
        for ino in inos {
            let r = self.commit(st, ino);
            if first_error.is_ok() {
                first_error = r;
            }
        }
        first_error
    }

    /// Commits every buffer (at unmount).
    pub(crate) fn commit_all(&self) {
        let mut st = self.state();
        let inos: Vec<u64> = st.dirty.keys().copied().collect();
        for ino in inos {
            // Errors are printed by commit; nothing is left to tell.
            let _ = self.commit(&mut st, ino);
        }
    }

    /// The `.at` directory's inode.
    pub(crate) fn at_dir_attr(&self) -> FileAttr {
        let meta = Meta {
            kind: NodeKind::Directory,
            size_bytes: 0,
            perm: AT_DIR_MODE,
            modified: self.mounted_at,
        };
        self.attr(AT_DIR_INO, &meta)
    }
}
