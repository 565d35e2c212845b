//! Operations that change nothing in the store: lookup, getattr,
//! directory listings, open, read, access, statfs, and the kernel's
//! forget/release bookkeeping.

use super::inodes::{child_path, parent_path, Node, AT_DIR_INO, ROOT_INO, UNKNOWN_INO};
use super::mount_fs::{Listed, MountFs, State};
use super::views::{parse_view_name, version_times, view_name, LISTED_VERSIONS};
use fuser::{Errno, FileAttr, FileType, OpenAccMode};
use std::ffi::OsStr;
use strata_blobfs::stream::FileReader;
use strata_blobfs::NodeKind;

/// The name of the views directory at the root.
pub(crate) const AT_NAME: &str = ".at";

/// What `statfs` reports (the store's own file system).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FsStats {
    /// Total blocks of `frsize` bytes.
    pub(crate) blocks: u64,
    /// Free blocks.
    pub(crate) bfree: u64,
    /// Free blocks for unprivileged users.
    pub(crate) bavail: u64,
    /// Total inodes.
    pub(crate) files: u64,
    /// Free inodes.
    pub(crate) ffree: u64,
    /// Preferred block size.
    pub(crate) bsize: u32,
    /// Longest name.
    pub(crate) namelen: u32,
    /// Fragment size.
    pub(crate) frsize: u32,
}

/// `name` as UTF-8 (blobfs names are strings); `None` for other bytes.
pub(crate) fn utf8(name: &OsStr) -> Option<&str> {
    name.to_str()
}

fn file_type(kind: NodeKind) -> FileType {
    match kind {
        NodeKind::Directory => FileType::Directory,
        NodeKind::File => FileType::RegularFile,
    }
}

impl MountFs {
    /// The node `name` in directory `parent`, not yet numbered.
    pub(crate) fn child_node(st: &State, parent: u64, name: &str) -> Result<Node, Errno> {
        match st.node(parent)? {
            Node::Head(dir) if dir == "/" && name == AT_NAME => Ok(Node::AtDir),
            Node::Head(dir) => Ok(Node::Head(child_path(&dir, name))),
            Node::AtDir => {
                let time = parse_view_name(name).ok_or(Errno::ENOENT)?;
                Ok(Node::At {
                    view: name.to_string(),
                    time,
                    path: "/".to_string(),
                })
            }
            Node::At { view, time, path } => Ok(Node::At {
                view,
                time,
                path: child_path(&path, name),
            }),
        }
    }

    /// `lookup`: the attributes of `name` in `parent`, counting one lookup.
    pub(crate) fn lookup(&self, parent: u64, name: &OsStr) -> Result<FileAttr, Errno> {
        let name = utf8(name).ok_or(Errno::ENOENT)?;
        let mut st = self.state();
        let node = Self::child_node(&st, parent, name)?;
        if node == Node::AtDir {
            return Ok(self.at_dir_attr());
        }
        let meta = match st.inodes.known(&node) {
            Some(ino) => self.meta(&st, ino, &node)?,
            None => self.stored_meta(&node)?,
        };
        let ino = st.inodes.ino_of(&node);
        st.inodes.looked_up(ino);
        // The parent is in use too: dropping it would drop its children.
        st.inodes.touch(parent);
        st.inodes.touch(ino);
        Ok(self.attr(ino, &meta))
    }

    /// `getattr`.
    pub(crate) fn getattr(&self, ino: u64) -> Result<FileAttr, Errno> {
        let mut st = self.state();
        let node = st.node(ino)?;
        st.inodes.touch(ino);
        if node == Node::AtDir {
            return Ok(self.at_dir_attr());
        }
        self.attr_of(&st, ino, &node)
    }

    /// `forget`: the kernel dropped `n` lookups of `ino`.
    pub(crate) fn forget(&self, ino: u64, n: u64) {
        let mut st = self.state();
        if st.inodes.forget(ino, n) {
            st.dirty.remove(&ino);
            st.readers.remove(&ino);
        }
    }

    /// The entries of directory `ino`, with `.` and `..`.
    fn list(&self, st: &State, ino: u64) -> Result<Vec<Listed>, Errno> {
        let node = st.node(ino)?;
        let known = |n: &Node| st.inodes.known(n).unwrap_or(UNKNOWN_INO);
        let mut out = Vec::new();
        let parent_ino = match &node {
            Node::Head(p) if p == "/" => ROOT_INO,
            Node::Head(p) => known(&Node::Head(parent_path(p).to_string())),
            Node::AtDir => ROOT_INO,
            Node::At { path, .. } if path == "/" => AT_DIR_INO,
            Node::At { view, time, path } => known(&Node::At {
                view: view.clone(),
                time: *time,
                path: parent_path(path).to_string(),
            }),
        };
        for (name, i) in [(".", ino), ("..", parent_ino)] {
            out.push(Listed {
                ino: i,
                kind: FileType::Directory,
                name: name.to_string(),
            });
        }
        let mut children = Vec::new();
        match &node {
            Node::Head(path) => {
                let entries = self.fs.readdir(path, None).map_err(|e| self.fail(&e))?;
                for e in entries {
                    if path == "/" && e.name == AT_NAME {
                        continue;
                    }
                    let child = Node::Head(child_path(path, &e.name));
                    children.push(Listed {
                        ino: known(&child),
                        kind: file_type(e.kind),
                        name: e.name,
                    });
                }
                for (i, p) in st.uncommitted_files() {
                    if parent_path(&p) == path {
                        let name = p.rsplit('/').next().unwrap_or_default().to_string();
                        if !children.iter().any(|c| c.name == name) {
                            children.push(Listed {
                                ino: i,
                                kind: FileType::RegularFile,
                                name,
                            });
                        }
                    }
                }
            }
            Node::AtDir => {
                let times = version_times(&self.fs, LISTED_VERSIONS).map_err(|e| self.fail(&e))?;
                for t in times {
                    let name = view_name(t);
                    let view = Node::At {
                        view: name.clone(),
                        time: t,
                        path: "/".to_string(),
                    };
                    children.push(Listed {
                        ino: known(&view),
                        kind: FileType::Directory,
                        name,
                    });
                }
            }
            Node::At { view, time, path } => {
                let entries = self
                    .fs
                    .readdir(path, Some(*time))
                    .map_err(|e| self.fail(&e))?;
                for e in entries {
                    let child = Node::At {
                        view: view.clone(),
                        time: *time,
                        path: child_path(path, &e.name),
                    };
                    children.push(Listed {
                        ino: known(&child),
                        kind: file_type(e.kind),
                        name: e.name,
                    });
                }
            }
        }
        children.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(children);
        Ok(out)
    }

    /// `opendir`: takes the listing once, so that reading it in pieces
    /// sees one state. Returns the handle.
    pub(crate) fn opendir(&self, ino: u64) -> Result<u64, Errno> {
        let mut st = self.state();
        let listing = self.list(&st, ino)?;
        st.inodes.touch(ino);
        let fh = st.new_fh();
        st.dirs.insert(fh, listing);
        Ok(fh)
    }

    /// `readdir`: the entries from position `offset` on, each with the
    /// offset of the entry after it.
    pub(crate) fn readdir(
        &self,
        ino: u64,
        fh: u64,
        offset: u64,
    ) -> Result<Vec<(u64, Listed)>, Errno> {
        let st = self.state();
        let listing = match st.dirs.get(&fh) {
            Some(l) => l.clone(),
            None => self.list(&st, ino)?,
        };
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        Ok(listing
            .into_iter()
            .enumerate()
            .skip(skip)
            .map(|(i, l)| (i as u64 + 1, l))
            .collect())
    }

    /// `releasedir`.
    pub(crate) fn releasedir(&self, fh: u64) {
        self.state().dirs.remove(&fh);
    }

    /// `open`: a handle on file `ino`. Under `.at` only reading is allowed
    /// (`EROFS`). `O_TRUNC` (passed here because the mount asks for atomic
    /// truncation) empties the buffer, so that truncation and the writes
    /// after it make one version.
    pub(crate) fn open(&self, ino: u64, acc: OpenAccMode, flags: i32) -> Result<u64, Errno> {
        let mut st = self.state();
        let node = st.node(ino)?;
        let writes = acc != OpenAccMode::O_RDONLY || flags & libc::O_TRUNC != 0;
        if node.is_read_only() && writes {
            return Err(Errno::EROFS);
        }
        let meta = self.meta(&st, ino, &node)?;
        if meta.kind == NodeKind::Directory {
            return Err(Errno::EISDIR);
        }
        if flags & libc::O_TRUNC != 0 && acc != OpenAccMode::O_RDONLY {
            self.buffer(&mut st, ino, &node, true)?;
        }
        let fh = st.new_fh();
        st.files.insert(fh, ino);
        st.inodes.touch(ino);
        Ok(fh)
    }

    /// `read`: up to `size` bytes from `offset`, unsaved writes included.
    /// A stored version is read through a [`FileReader`] kept per inode
    /// while the file is open: a view's version never changes; the live
    /// file's is checked (one `stat`) against the reader's at every read.
    pub(crate) fn read(&self, ino: u64, offset: u64, size: u32) -> Result<Vec<u8>, Errno> {
        let mut st = self.state();
        let len = u64::from(size);
        let (path, at) = match st.node(ino)? {
            Node::AtDir => return Err(Errno::EISDIR),
            Node::At { time, path, .. } => (path, Some(time)),
            Node::Head(path) => {
                if let Some(d) = st.dirty.get(&ino) {
                    return d.read(&self.fs, offset, len).map_err(|e| self.fail(&e));
                }
                (path, None)
            }
        };
        let current = match (st.readers.get(&ino), at) {
            (Some(_), Some(_)) => true,
            (Some(r), None) => {
                let stat = self.fs.stat(&path, None).map_err(|e| self.fail(&e))?;
                stat.content == Some(r.content())
            }
            (None, _) => false,
        };
        if !current {
            let reader = FileReader::open(&self.fs, &path, at).map_err(|e| self.fail(&e))?;
            st.readers.insert(ino, reader);
        }
        let reader = st.readers.get(&ino).ok_or(Errno::EIO)?;
        reader
            .read(&self.fs, offset, len)
            .map_err(|e| self.fail(&e))
    }

    /// `access`: existence, and `EROFS` for write access under `.at`.
    /// Permission bits are not checked (the mount is its owner's only).
    pub(crate) fn access(&self, ino: u64, wants_write: bool) -> Result<(), Errno> {
        let st = self.state();
        let node = st.node(ino)?;
        if node != Node::AtDir {
            self.meta(&st, ino, &node)?;
        }
        if wants_write && node.is_read_only() {
            return Err(Errno::EROFS);
        }
        Ok(())
    }

    /// `statfs`: the file system holding the store (zeros if it cannot be
    /// asked).
    pub(crate) fn statfs(&self) -> FsStats {
        match nix::sys::statvfs::statvfs(&self.store_dir) {
            Ok(s) => FsStats {
                blocks: s.blocks(),
                bfree: s.blocks_free(),
                bavail: s.blocks_available(),
                files: s.files(),
                ffree: s.files_free(),
                bsize: u32::try_from(s.block_size()).unwrap_or(4096),
                namelen: u32::try_from(s.name_max()).unwrap_or(255),
                frsize: u32::try_from(s.fragment_size()).unwrap_or(4096),
            },
            Err(_) => FsStats {
                bsize: 4096,
                namelen: 255,
                frsize: 4096,
                ..FsStats::default()
            },
        }
    }
}
