//! Operations that change the live tree. Each maps to one blobfs mutation
//! (one batch of claims at one time), except file contents, which are
//! chunked and stored as they are written and committed as one version on
//! the first flush (a `close`) after a write, on fsync, or on the last
//! release ([`super::buffer`]). Anything under `.at` is `EROFS`.

use super::buffer::DirtyFile;
use super::inodes::{child_path, is_within, Node};
use super::mount_fs::MountFs;
use super::mount_fs::State;
use super::read_ops::{utf8, AT_NAME};
use fuser::{Errno, FileAttr};
use std::collections::hash_map::Entry;
use std::ffi::OsStr;
use strata_blobfs::fs::DEFAULT_FILE_MODE;
use strata_blobfs::NodeKind;

/// What `setattr` asks for (times are accepted and ignored: a node's times
/// are its claim times).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SetAttr {
    /// New permission bits (with the file type bits).
    pub(crate) mode: Option<u32>,
    /// New owner.
    pub(crate) uid: Option<u32>,
    /// New group.
    pub(crate) gid: Option<u32>,
    /// New length.
    pub(crate) size: Option<u64>,
}

impl MountFs {
    /// The path of the live-tree directory `parent` (`EROFS` under `.at`).
    fn head_dir(st: &State, parent: u64) -> Result<String, Errno> {
        match st.node(parent)? {
            Node::Head(dir) => Ok(dir),
            _ => Err(Errno::EROFS),
        }
    }

    /// The path of entry `name` of live-tree directory `parent`, refusing
    /// the reserved `.at` at the root with `reserved`.
    fn head_child(st: &State, parent: u64, name: &OsStr, reserved: Errno) -> Result<String, Errno> {
        let dir = Self::head_dir(st, parent)?;
        let name = utf8(name).ok_or(Errno::EINVAL)?;
        if dir == "/" && name == AT_NAME {
            return Err(reserved);
        }
        Ok(child_path(&dir, name))
    }

    /// `ino`'s buffer, started over the stored file if it has none (its
    /// parts loaded; none when `emptied`, for `O_TRUNC`, which replaces
    /// whatever buffer there was with an empty one).
    pub(crate) fn buffer<'s>(
        &self,
        st: &'s mut State,
        ino: u64,
        node: &Node,
        emptied: bool,
    ) -> Result<&'s mut DirtyFile, Errno> {
        let Node::Head(path) = node else {
            return Err(Errno::EROFS);
        };
        match st.dirty.entry(ino) {
            Entry::Occupied(e) if !emptied => Ok(e.into_mut()),
            Entry::Occupied(mut e) => {
                let d = e.get_mut();
                d.truncate(&self.fs, 0).map_err(|e| self.fail(&e))?;
                Ok(e.into_mut())
            }
            Entry::Vacant(e) => {
                let meta = self.stored_meta(node)?;
                if meta.kind == NodeKind::Directory {
                    return Err(Errno::EISDIR);
                }
                let d = if emptied {
                    DirtyFile::truncated(&self.fs, meta.perm)
                } else {
                    DirtyFile::over_stored(&self.fs, path, meta.perm).map_err(|e| self.fail(&e))?
                };
                Ok(e.insert(d))
            }
        }
    }

    /// True when `path` holds something now (stored, or created here and
    /// not committed yet).
    fn exists_now(&self, st: &State, path: &str) -> Result<bool, Errno> {
        if st.uncommitted_files().iter().any(|(_, p)| p == path) {
            return Ok(true);
        }
        self.fs.exists(path, None).map_err(|e| self.fail(&e))
    }

    /// Checks that `dir` is a directory of the live tree now.
    fn check_dir(&self, dir: &str) -> Result<(), Errno> {
        match self.stored_meta(&Node::Head(dir.to_string()))?.kind {
            NodeKind::Directory => Ok(()),
            NodeKind::File => Err(Errno::ENOTDIR),
        }
    }

    /// `create`: a new empty file, open; it exists in this mount at once
    /// and in the store when first committed. The requested mode is not
    /// kept (blobfs gives new files 0644). Returns its attributes and
    /// handle.
    pub(crate) fn create(&self, parent: u64, name: &OsStr) -> Result<(FileAttr, u64), Errno> {
        let mut st = self.state();
        let path = Self::head_child(&st, parent, name, Errno::EEXIST)?;
        self.check_dir(&Self::head_dir(&st, parent)?)?;
        if self.exists_now(&st, &path)? {
            return Err(Errno::EEXIST);
        }
        let node = Node::Head(path);
        let ino = st.inodes.ino_of(&node);
        st.dirty
            .insert(ino, DirtyFile::new_file(&self.fs, DEFAULT_FILE_MODE));
        st.inodes.looked_up(ino);
        let fh = st.new_fh();
        st.files.insert(fh, ino);
        Ok((self.attr_of(&st, ino, &node)?, fh))
    }

    /// `mknod` of a regular file: an empty file, committed at once. Other
    /// node types (devices, fifos, sockets) are `EPERM`.
    pub(crate) fn mknod(&self, parent: u64, name: &OsStr, mode: u32) -> Result<FileAttr, Errno> {
        if mode & libc::S_IFMT != libc::S_IFREG {
            return Err(Errno::EPERM);
        }
        let (attr, fh) = self.create(parent, name)?;
        self.release(fh)?;
        self.getattr(attr.ino.0)
    }

    /// `write`: into the inode's buffer (full chunks are stored at once).
    pub(crate) fn write(&self, ino: u64, offset: u64, data: &[u8]) -> Result<u32, Errno> {
        let mut st = self.state();
        let node = st.node(ino)?;
        self.buffer(&mut st, ino, &node, false)?
            .write(&self.fs, offset, data)
            .map_err(|e| self.fail(&e))?;
        u32::try_from(data.len()).map_err(|_| Errno::EINVAL)
    }

    /// `flush` (each `close`): commits the inode's buffer if bytes were
    /// written to it (see [`DirtyFile::written`]).
    pub(crate) fn flush(&self, ino: u64) -> Result<(), Errno> {
        let mut st = self.state();
        if st.dirty.get(&ino).is_some_and(|d| d.written) {
            self.commit(&mut st, ino)?;
        }
        Ok(())
    }

    /// `fsync`: commits the inode's buffer.
    pub(crate) fn fsync(&self, ino: u64) -> Result<(), Errno> {
        let mut st = self.state();
        self.commit(&mut st, ino)
    }

    /// `release`: the last close of handle `fh`; commits what is left if
    /// no other handle has the inode open.
    pub(crate) fn release(&self, fh: u64) -> Result<(), Errno> {
        let mut st = self.state();
        let Some(ino) = st.files.remove(&fh) else {
            return Ok(());
        };
        if st.is_open(ino) {
            return Ok(());
        }
        st.readers.remove(&ino);
        self.commit(&mut st, ino)
    }

    /// `setattr`: a new length is buffered like a write (and committed at
    /// once when no handle has the file open, as `truncate(1)` needs). A
    /// mode, owner or group other than the current one is `EPERM`: blobfs
    /// keeps a file's mode but has no claim that changes it.
    pub(crate) fn setattr(&self, ino: u64, req: SetAttr) -> Result<FileAttr, Errno> {
        let mut st = self.state();
        let node = st.node(ino)?;
        if node.is_read_only() {
            return Err(Errno::EROFS);
        }
        let meta = self.meta(&st, ino, &node)?;
        if req.mode.is_some_and(|m| m & 0o7777 != meta.perm & 0o7777)
            || req.uid.is_some_and(|u| u != self.uid)
            || req.gid.is_some_and(|g| g != self.gid)
        {
            return Err(Errno::EPERM);
        }
        if let (Some(size), Node::Head(_)) = (req.size, &node) {
            if meta.kind == NodeKind::Directory {
                return Err(Errno::EISDIR);
            }
            let d = self.buffer(&mut st, ino, &node, size == 0)?;
            d.truncate(&self.fs, size).map_err(|e| self.fail(&e))?;
            d.written = true;
            if !st.is_open(ino) {
                self.commit(&mut st, ino)?;
            }
        }
        self.attr_of(&st, ino, &node)
    }

    /// `mkdir`: one mutation. The requested mode is not kept (directories
    /// are 0755).
    pub(crate) fn mkdir(&self, parent: u64, name: &OsStr) -> Result<FileAttr, Errno> {
        let mut st = self.state();
        let path = Self::head_child(&st, parent, name, Errno::EEXIST)?;
        if self.exists_now(&st, &path)? {
            return Err(Errno::EEXIST);
        }
        self.fs.mkdir(&path, None).map_err(|e| self.fail(&e))?;
        let node = Node::Head(path);
        let meta = self.stored_meta(&node)?;
        let ino = st.inodes.ino_of(&node);
        st.inodes.looked_up(ino);
        Ok(self.attr(ino, &meta))
    }

    /// `unlink`: one mutation (a file created here and never committed
    /// just disappears). Unsaved writes of the file are dropped.
    pub(crate) fn unlink(&self, parent: u64, name: &OsStr) -> Result<(), Errno> {
        let mut st = self.state();
        let path = Self::head_child(&st, parent, name, Errno::EROFS)?;
        let known = st.inodes.known(&Node::Head(path.clone()));
        let uncommitted = known
            .and_then(|ino| st.dirty.get(&ino))
            .is_some_and(|d| !d.in_store);
        if !uncommitted {
            self.fs.unlink(&path, None).map_err(|e| self.fail(&e))?;
        }
        if let Some(ino) = known {
            st.dirty.remove(&ino);
        }
        st.inodes.detach_tree(&path);
        Ok(())
    }

    /// `rmdir`: one mutation.
    pub(crate) fn rmdir(&self, parent: u64, name: &OsStr) -> Result<(), Errno> {
        let mut st = self.state();
        let path = Self::head_child(&st, parent, name, Errno::EROFS)?;
        if st
            .uncommitted_files()
            .iter()
            .any(|(_, p)| p != &path && is_within(p, &path))
        {
            return Err(Errno::ENOTEMPTY);
        }
        self.fs.rmdir(&path, None).map_err(|e| self.fail(&e))?;
        st.inodes.detach_tree(&path);
        Ok(())
    }

    /// `rename` (and `renameat2` with `RENAME_NOREPLACE`; `RENAME_EXCHANGE`
    /// is `EINVAL`): one mutation, after committing the buffers of both
    /// paths. Inode numbers move with the paths.
    pub(crate) fn rename(
        &self,
        parent: u64,
        name: &OsStr,
        new_parent: u64,
        new_name: &OsStr,
        no_replace: bool,
    ) -> Result<(), Errno> {
        let mut st = self.state();
        let from = Self::head_child(&st, parent, name, Errno::EROFS)?;
        let to = Self::head_child(&st, new_parent, new_name, Errno::EROFS)?;
        if no_replace && self.exists_now(&st, &to)? {
            return Err(Errno::EEXIST);
        }
        self.commit_within(&mut st, &from)?;
        self.commit_within(&mut st, &to)?;
        self.fs
            .rename(&from, &to, None)
            .map_err(|e| self.fail(&e))?;
        if from != to {
            st.inodes.rename_tree(&from, &to);
        }
        Ok(())
    }
}
