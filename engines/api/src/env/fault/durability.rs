//! The durability model: what of the files' bytes and of the directory
//! entries a machine crash keeps, as POSIX promises it.
//!
//! - A file's bytes are durable up to its last successful `sync`. A failed
//!   sync caps that forever: Linux may drop the dirty pages, and a later
//!   `fsync` then "succeeds" without them (the fsync-retry problem).
//! - A directory entry (a creation, a rename, a removal) is durable only
//!   once its directory is `sync_dir`'d; syncing the file does not make its
//!   name durable. Until then a crash undoes it.
//!
//! Files this env has not seen written (they existed before it wrapped the
//! inner env, or survived the last crash) are durable as they are.

use super::rng::Rng;
use crate::env::{read_file_to_vec, write_file, Env};
use crate::error::Result;
use std::collections::{BTreeMap, HashMap};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Identifies one file (an inode) across renames.
pub(super) type NodeId = u64;

/// What a crash keeps of the bytes appended since a file's last sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CrashMode {
    /// Nothing: every file is cut back to its durable length (LevelDB's
    /// `fault_injection_test`).
    #[default]
    DropUnsynced,
    /// A random prefix of the unsynced bytes (all of them a quarter of the
    /// time, none a quarter, else a uniform length), then a torn tail of
    /// random length holding garbage or zeros (RocksDB's
    /// `DropRandomUnsyncedFileData`); the env's seed decides. Directory
    /// changes never synced are undone as in the other mode, so "the data
    /// reached the disk but the new names did not" is among the outcomes.
    TornTail,
}

#[derive(Debug, Clone, Copy)]
struct FileState {
    /// Bytes made durable by the last successful sync.
    synced_len: u64,
    /// Set by the first failed sync: no later sync makes bytes past here
    /// durable.
    sync_cap: Option<u64>,
}

impl FileState {
    fn durable_len(&self) -> u64 {
        self.sync_cap
            .map_or(self.synced_len, |cap| cap.min(self.synced_len))
    }
}

/// How to take back a directory change that was never made durable.
enum Undo {
    Create {
        path: PathBuf,
    },
    Rename {
        from: PathBuf,
        to: PathBuf,
        /// The durable content of the file `to` replaced, if there was one.
        overwritten: Option<Vec<u8>>,
    },
    Remove {
        path: PathBuf,
        /// The durable content of the removed file.
        durable: Vec<u8>,
    },
}

struct Pending {
    undo: Undo,
    /// Directories whose sync would make the change durable; it is once
    /// none is left.
    unsynced_dirs: Vec<PathBuf>,
}

/// Per-file durable lengths and the directory changes not yet durable.
#[derive(Default)]
pub(super) struct Durability {
    next_node: NodeId,
    paths: BTreeMap<PathBuf, NodeId>,
    nodes: HashMap<NodeId, FileState>,
    pending: Vec<Pending>,
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn is_not_found(e: &crate::error::Error) -> bool {
    matches!(e, crate::error::Error::Io { source, .. } if source.kind() == ErrorKind::NotFound)
}

impl Durability {
    fn new_node(&mut self, path: &Path, synced_len: u64) -> NodeId {
        self.next_node += 1;
        let id = self.next_node;
        self.nodes.insert(
            id,
            FileState {
                synced_len,
                sync_cap: None,
            },
        );
        if let Some(old) = self.paths.insert(path.to_path_buf(), id) {
            self.nodes.remove(&old);
        }
        id
    }

    fn push(&mut self, undo: Undo, mut dirs: Vec<PathBuf>) {
        dirs.dedup();
        self.pending.push(Pending {
            undo,
            unsynced_dirs: dirs,
        });
    }

    /// `path` was created, or truncated if it `existed`, for writing.
    /// Truncation is taken as durable at once (the old bytes are lost);
    /// a creation is not until the directory is synced.
    pub(super) fn created(&mut self, path: &Path, existed: bool) -> NodeId {
        let id = self.new_node(path, 0);
        if !existed {
            self.push(
                Undo::Create {
                    path: path.to_path_buf(),
                },
                vec![parent(path)],
            );
        }
        id
    }

    /// `path` was opened for appending; `existing_len` is its size before,
    /// `None` if the open created it.
    pub(super) fn opened_for_append(&mut self, path: &Path, existing_len: Option<u64>) -> NodeId {
        if let Some(&id) = self.paths.get(path) {
            return id;
        }
        match existing_len {
            Some(len) => self.new_node(path, len),
            None => self.created(path, false),
        }
    }

    /// Makes `path` known, durable at `len` bytes, if it is not yet.
    pub(super) fn ensure_known(&mut self, path: &Path, len: u64) {
        if !self.paths.contains_key(path) {
            self.new_node(path, len);
        }
    }

    /// The durable length of `path`; `None` if all of it is durable.
    pub(super) fn durable_len(&self, path: &Path) -> Option<u64> {
        let id = self.paths.get(path)?;
        self.nodes.get(id).map(FileState::durable_len)
    }

    /// A sync of `node` succeeded with `len` bytes appended in all.
    pub(super) fn synced(&mut self, node: NodeId, len: u64) {
        if let Some(s) = self.nodes.get_mut(&node) {
            s.synced_len = s.synced_len.max(len);
        }
    }

    /// A sync of `node` failed: its unsynced bytes may be gone for good.
    pub(super) fn sync_failed(&mut self, node: NodeId) {
        if let Some(s) = self.nodes.get_mut(&node) {
            let durable = s.durable_len();
            s.sync_cap.get_or_insert(durable);
        }
    }

    /// `from` was renamed to `to`, replacing a file whose durable content
    /// was `overwritten`.
    pub(super) fn renamed(&mut self, from: &Path, to: &Path, overwritten: Option<Vec<u8>>) {
        if let Some(old) = self.paths.remove(to) {
            self.nodes.remove(&old);
        }
        if let Some(id) = self.paths.remove(from) {
            self.paths.insert(to.to_path_buf(), id);
        }
        self.push(
            Undo::Rename {
                from: from.to_path_buf(),
                to: to.to_path_buf(),
                overwritten,
            },
            vec![parent(from), parent(to)],
        );
    }

    /// `path` was removed; `durable` is what a crash brings back.
    pub(super) fn removed(&mut self, path: &Path, durable: Vec<u8>) {
        if let Some(id) = self.paths.remove(path) {
            self.nodes.remove(&id);
        }
        self.push(
            Undo::Remove {
                path: path.to_path_buf(),
                durable,
            },
            vec![parent(path)],
        );
    }

    /// `dir` was synced: its entries' changes are durable.
    pub(super) fn dir_synced(&mut self, dir: &Path) {
        for p in &mut self.pending {
            p.unsynced_dirs.retain(|d| d != dir);
        }
        self.pending.retain(|p| !p.unsynced_dirs.is_empty());
    }

    /// `dir` and everything below it was removed (taken as durable at once).
    pub(super) fn forget_under(&mut self, dir: &Path) {
        let nodes = &mut self.nodes;
        self.paths.retain(|p, id| {
            let keep = !p.starts_with(dir);
            if !keep {
                nodes.remove(id);
            }
            keep
        });
        self.pending.retain(|p| match &p.undo {
            Undo::Create { path } | Undo::Remove { path, .. } => !path.starts_with(dir),
            Undo::Rename { from, to, .. } => !from.starts_with(dir) && !to.starts_with(dir),
        });
    }

    /// Applies a crash to `inner`: cuts every file back to its durable
    /// bytes (keeping a torn tail under [`CrashMode::TornTail`]), undoes
    /// the directory changes never synced, newest first, and forgets
    /// everything (what is left is durable).
    ///
    /// A file whose bytes are all durable is not rewritten: a reader may
    /// hold it memory-mapped, and truncating it would be SIGBUS.
    pub(super) fn crash(&mut self, inner: &dyn Env, mode: CrashMode, rng: &mut Rng) -> Result<()> {
        for (path, id) in &self.paths {
            let Some(state) = self.nodes.get(id) else {
                continue;
            };
            if !inner.file_exists(path) {
                continue;
            }
            let durable = state.durable_len();
            if inner.file_size(path)? <= durable {
                continue;
            }
            let data = read_file_to_vec(inner, path)?;
            let kept = survivor(&data, durable as usize, mode, rng);
            write_file(inner, path, &kept, false)?;
        }
        for pending in std::mem::take(&mut self.pending).into_iter().rev() {
            undo(inner, pending.undo)?;
        }
        self.paths.clear();
        self.nodes.clear();
        Ok(())
    }
}

/// What a crash leaves of `data` whose first `durable` bytes are durable.
fn survivor(data: &[u8], durable: usize, mode: CrashMode, rng: &mut Rng) -> Vec<u8> {
    let durable = durable.min(data.len());
    match mode {
        CrashMode::DropUnsynced => data[..durable].to_vec(),
        CrashMode::TornTail => {
            let unsynced = (data.len() - durable) as u64;
            // The extremes get a quarter each: all unsynced bytes written
            // back (while directory changes are still lost) is the case
            // that finds ordering bugs, none is the common crash.
            let prefix = match rng.up_to(3) {
                0 => unsynced,
                1 => 0,
                _ => rng.up_to(unsynced),
            } as usize;
            let torn = rng.up_to(unsynced - prefix as u64) as usize;
            let zeros = rng.chance(0.5);
            let mut out = data[..durable + prefix].to_vec();
            out.extend((0..torn).map(|_| if zeros { 0 } else { rng.next_u64() as u8 }));
            out
        }
    }
}

fn undo(inner: &dyn Env, undo: Undo) -> Result<()> {
    match undo {
        Undo::Create { path } => match inner.remove_file(&path) {
            Err(e) if !is_not_found(&e) => Err(e),
            _ => Ok(()),
        },
        Undo::Rename {
            from,
            to,
            overwritten,
        } => {
            if inner.file_exists(&to) {
                inner.rename(&to, &from)?;
            }
            match overwritten {
                Some(content) => write_file(inner, &to, &content, false),
                None => Ok(()),
            }
        }
        Undo::Remove { path, durable } => write_file(inner, &path, &durable, false),
    }
}
