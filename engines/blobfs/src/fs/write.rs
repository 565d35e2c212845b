//! Mutations: each is one [`Txn`] of claims at one time.

use super::content::{splice, stage_file_blob, stage_source};
use super::path::{components, join};
use super::read::describe;
use super::txn::Txn;
use super::{
    BlobFs, NodeKind, View, WriteReport, ATTR_CONTENT, ATTR_NODE_TYPE, ATTR_PATH_PREFIX, ATTR_ROOT,
    DEFAULT_FILE_MODE, NODE_TYPE_DIRECTORY, ROOT_NAME,
};
use crate::blob::BlobRef;
use crate::chunk::SliceSource;
use crate::error::{FsError, Result};
use crate::format;
use crate::index;
use crate::schema::{ClaimType, Parts};
use crate::state::{self, NodeState};
use crate::time::ClaimTime;
use chrono::DateTime;
use strata_api::ReadOptions;

/// Stores the signer's key and the root permanode with its claims, dated
/// at the Unix epoch; returns the root.
pub(crate) fn init_root(fs: &BlobFs) -> Result<BlobRef> {
    let _guard = fs.write_lock.lock();
    let mut txn = Txn::begin(fs, Some(DateTime::UNIX_EPOCH), &[], Vec::new())?;
    txn.stage_schema(fs.signer.public_key_blob())?;
    let root = txn.new_permanode()?;
    txn.claim(
        root,
        ClaimType::SetAttribute,
        ATTR_ROOT,
        Some(ROOT_NAME.into()),
    )?;
    txn.claim(
        root,
        ClaimType::SetAttribute,
        ATTR_NODE_TYPE,
        Some(NODE_TYPE_DIRECTORY.into()),
    )?;
    let (k, v) = index::root_entry(&root);
    txn.put_index(&k, &v);
    let (k, v) = format::format_entry();
    txn.put_index(k, &v);
    txn.commit()?;
    Ok(root)
}

/// The attribute naming child `name`.
pub(crate) fn path_attr(name: &str) -> String {
    format!("{ATTR_PATH_PREFIX}{name}")
}

/// A node as it is now: its permanode and kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Existing {
    pub(crate) pn: BlobRef,
    pub(crate) kind: Option<NodeKind>,
}

impl BlobFs {
    /// The latest kind of `pn`.
    pub(crate) fn kind_now(&self, ro: &ReadOptions, pn: &BlobRef) -> Result<Option<NodeKind>> {
        Ok(self.node_now(ro, pn)?.kind())
    }

    /// The child `name` of `dir` now, with its kind.
    pub(crate) fn child_now(
        &self,
        ro: &ReadOptions,
        dir: &BlobRef,
        name: &str,
    ) -> Result<Option<Existing>> {
        match self.lookup(ro, dir, name, None)? {
            None => Ok(None),
            Some(pn) => Ok(Some(Existing {
                pn,
                kind: self.kind_now(ro, &pn)?,
            })),
        }
    }

    /// The chain to the parent of `names` (which must be a directory now)
    /// and the last name.
    fn parent_dir<'n>(
        &self,
        view: &View,
        names: &'n [String],
        op: &str,
    ) -> Result<(Vec<BlobRef>, &'n str, NodeState)> {
        let Some((name, parent_names)) = names.split_last() else {
            return Err(FsError::Usage(format!("cannot {op} the root")));
        };
        let chain = self.resolve_view(view, parent_names, None, true)?;
        let parent = chain[chain.len() - 1];
        let state = self.node_now(&view.ro, &parent)?;
        if state.kind() != Some(NodeKind::Directory) {
            return Err(FsError::NotADirectory(join(parent_names)));
        }
        Ok((chain, name.as_str(), state))
    }

    /// Creates directory `path` at `at` (`None`: now). Its parent must exist.
    ///
    /// # Errors
    /// `AlreadyExists`; `NotFound` for a missing parent; `NotADirectory`;
    /// `BadTime` (see the module docs); `Usage` for the root or a bad path.
    pub fn mkdir(&self, path: &str, at: Option<ClaimTime>) -> Result<WriteReport> {
        let _guard = self.write_lock.lock();
        let view = self.write_view();
        let names = components(path)?;
        let (chain, name, parent_state) = self.parent_dir(&view, &names, "create")?;
        let parent = chain[chain.len() - 1];
        if self.lookup(&view.ro, &parent, name, None)?.is_some() {
            return Err(FsError::AlreadyExists(join(&names)));
        }
        let mut txn = Txn::begin(self, at, &[parent], vec![(parent, parent_state)])?;
        txn.known_entry(parent, name, Vec::new());
        new_directory(&mut txn, parent, name)?;
        txn.commit()
    }

    /// Creates directory `path` and any missing ancestors at `at`; nothing
    /// if it exists.
    ///
    /// # Errors
    /// `NotADirectory` if a file is in the way; `BadTime`; `Usage`.
    pub fn mkdir_all(&self, path: &str, at: Option<ClaimTime>) -> Result<WriteReport> {
        let _guard = self.write_lock.lock();
        let ro = ReadOptions::default();
        let names = components(path)?;
        let (dir, done) = self.existing_prefix(&ro, &names)?;
        if done == names.len() {
            return Ok(WriteReport::default());
        }
        let mut txn = Txn::begin(self, at, &[dir], Vec::new())?;
        let mut cur = dir;
        for name in &names[done..] {
            cur = new_directory(&mut txn, cur, name)?;
        }
        txn.commit()
    }

    /// The deepest existing directory on the way to `names` and how many
    /// names it covers.
    pub(crate) fn existing_prefix(
        &self,
        ro: &ReadOptions,
        names: &[String],
    ) -> Result<(BlobRef, usize)> {
        let mut cur = self.root;
        for (i, name) in names.iter().enumerate() {
            match self.child_now(ro, &cur, name)? {
                None => return Ok((cur, i)),
                Some(Existing {
                    pn,
                    kind: Some(NodeKind::Directory),
                }) => cur = pn,
                Some(_) => return Err(FsError::NotADirectory(join(&names[..=i]))),
            }
        }
        Ok((cur, names.len()))
    }

    /// Sets the whole content of file `path` to `data` at `at`, creating the
    /// file if absent (its parent must exist). Unchanged chunks are shared.
    ///
    /// # Errors
    /// `IsADirectory`; `NotFound` for a missing parent; `BadTime`; `Usage`.
    pub fn write_file(
        &self,
        path: &str,
        data: &[u8],
        at: Option<ClaimTime>,
    ) -> Result<WriteReport> {
        self.write_with(path, at, false, |fs, _ro, txn, _old| {
            stage_source(txn, SliceSource(data), fs.config.chunker)
        })
    }

    /// Writes `data` at `offset_bytes` of file `path` at `at` (zeros fill
    /// any gap past the old end; the file is created if absent). Only the
    /// chunks around the edit are stored anew.
    ///
    /// # Errors
    /// As [`BlobFs::write_file`]; `Corruption` of an old chunk it re-reads.
    pub fn write_at(
        &self,
        path: &str,
        offset_bytes: u64,
        data: &[u8],
        at: Option<ClaimTime>,
    ) -> Result<WriteReport> {
        self.write_with(path, at, true, |fs, ro, txn, old| {
            let empty = Parts {
                parts: Vec::new(),
                size_bytes: 0,
            };
            splice(fs, ro, txn, old.unwrap_or(&empty), offset_bytes, data)
        })
    }

    /// Points file `path` at a new version made of `parts` at `at`,
    /// creating the file if absent: the commit of a
    /// [`crate::stream::StreamWriter`], whose chunks are already stored
    /// (written before this claim, so never referenced before they are).
    ///
    /// # Errors
    /// As [`BlobFs::write_file`].
    pub(crate) fn write_parts(
        &self,
        path: &str,
        parts: &[(BlobRef, u64)],
        at: Option<ClaimTime>,
    ) -> Result<WriteReport> {
        self.write_with(path, at, false, |_, _, _, _| Ok(parts.to_vec()))
    }

    /// Points `path` at a new version whose parts `make_parts` stages
    /// (given the old version's parts when `needs_old`).
    fn write_with(
        &self,
        path: &str,
        at: Option<ClaimTime>,
        needs_old: bool,
        make_parts: impl FnOnce(
            &BlobFs,
            &ReadOptions,
            &mut Txn<'_>,
            Option<&Parts>,
        ) -> Result<Vec<(BlobRef, u64)>>,
    ) -> Result<WriteReport> {
        let _guard = self.write_lock.lock();
        let view = self.write_view();
        let ro = &view.ro;
        let names = components(path)?;
        let (chain, name, parent_state) = self.parent_dir(&view, &names, "write")?;
        let parent = chain[chain.len() - 1];
        let existing = match self.lookup(ro, &parent, name, None)? {
            None => None,
            Some(pn) => Some((pn, self.node_now(ro, &pn)?)),
        };
        let mut old = None;
        let mut mode = DEFAULT_FILE_MODE;
        let mut touched = vec![parent];
        if let Some((pn, node)) = &existing {
            if node.kind() == Some(NodeKind::Directory) {
                return Err(FsError::IsADirectory(join(&names)));
            }
            touched.push(*pn);
            if let Some(content) = node.get(ATTR_CONTENT).and_then(BlobRef::parse) {
                match (node.file, needs_old) {
                    (Some(info), false) => mode = info.mode,
                    _ => {
                        let (file, parts) = self.load_file(ro, &content)?;
                        mode = file.mode().unwrap_or(DEFAULT_FILE_MODE);
                        old = Some(parts);
                    }
                }
            }
        }
        let existing_pn = existing.as_ref().map(|(pn, _)| *pn);
        let mut known = vec![(parent, parent_state)];
        known.extend(existing);
        let mut txn = Txn::begin(self, at, &touched, known)?;
        if existing_pn.is_none() {
            txn.known_entry(parent, name, Vec::new());
        }
        let parts = make_parts(self, ro, &mut txn, old.as_ref())?;
        let mtime = Some(txn.time());
        let file = stage_file_blob(&mut txn, name, mode, mtime, &parts)?;
        set_file(&mut txn, parent, name, existing_pn, file)?;
        txn.commit()
    }

    /// Removes file `path` at `at` (its versions stay readable at earlier
    /// times).
    ///
    /// # Errors
    /// `NotFound`; `IsADirectory`; `BadTime`; `Usage`.
    pub fn unlink(&self, path: &str, at: Option<ClaimTime>) -> Result<WriteReport> {
        self.remove_with(path, at, |kind, _empty, p| match kind {
            Some(NodeKind::Directory) => Err(FsError::IsADirectory(p.to_string())),
            _ => Ok(()),
        })
    }

    /// Removes empty directory `path` at `at`.
    ///
    /// # Errors
    /// `NotFound`; `NotADirectory`; `DirectoryNotEmpty`; `BadTime`; `Usage`
    /// for the root.
    pub fn rmdir(&self, path: &str, at: Option<ClaimTime>) -> Result<WriteReport> {
        self.remove_with(path, at, |kind, empty, p| match (kind, empty) {
            (Some(NodeKind::Directory), true) => Ok(()),
            (Some(NodeKind::Directory), false) => Err(FsError::DirectoryNotEmpty(p.to_string())),
            _ => Err(FsError::NotADirectory(p.to_string())),
        })
    }

    /// Removes `path` at `at`: a file, or a directory (with everything in
    /// it if `recursive`; one claim either way, since the subtree simply
    /// becomes unreachable).
    ///
    /// # Errors
    /// `NotFound`; `DirectoryNotEmpty` without `recursive`; `BadTime`;
    /// `Usage` for the root.
    pub fn remove(
        &self,
        path: &str,
        recursive: bool,
        at: Option<ClaimTime>,
    ) -> Result<WriteReport> {
        self.remove_with(path, at, |kind, empty, p| {
            if kind == Some(NodeKind::Directory) && !empty && !recursive {
                Err(FsError::DirectoryNotEmpty(p.to_string()))
            } else {
                Ok(())
            }
        })
    }

    fn remove_with(
        &self,
        path: &str,
        at: Option<ClaimTime>,
        allow: impl FnOnce(Option<NodeKind>, bool, &str) -> Result<()>,
    ) -> Result<WriteReport> {
        let _guard = self.write_lock.lock();
        let view = self.write_view();
        let ro = &view.ro;
        let names = components(path)?;
        let (chain, name, parent_state) = self.parent_dir(&view, &names, "remove")?;
        let parent = chain[chain.len() - 1];
        let child = self
            .child_now(ro, &parent, name)?
            .ok_or_else(|| FsError::NotFound(describe(&join(&names), None)))?;
        let empty = match child.kind {
            Some(NodeKind::Directory) => !state::has_entries(self.engine.as_ref(), ro, &child.pn)?,
            _ => true,
        };
        allow(child.kind, empty, &join(&names))?;
        let mut txn = Txn::begin(self, at, &[parent], vec![(parent, parent_state)])?;
        txn.claim(parent, ClaimType::DelAttribute, &path_attr(name), None)?;
        txn.commit()
    }

    /// Moves `from` to `to` at `at`, replacing a file at `to` or an empty
    /// directory at `to` (for a directory `from`), as POSIX `rename`.
    ///
    /// # Errors
    /// `NotFound`; `IsADirectory` / `NotADirectory` for a kind mismatch with
    /// the target; `DirectoryNotEmpty`; `Usage` for the root or a move into
    /// itself; `BadTime`.
    pub fn rename(&self, from: &str, to: &str, at: Option<ClaimTime>) -> Result<WriteReport> {
        let _guard = self.write_lock.lock();
        let view = self.write_view();
        let ro = &view.ro;
        let from_names = components(from)?;
        let to_names = components(to)?;
        let (from_chain, from_name, from_state) = self.parent_dir(&view, &from_names, "rename")?;
        let from_parent = from_chain[from_chain.len() - 1];
        let src = self
            .child_now(ro, &from_parent, from_name)?
            .ok_or_else(|| FsError::NotFound(join(&from_names)))?;
        if from_names == to_names {
            return Ok(WriteReport::default());
        }
        let (to_chain, to_name, to_state) = self.parent_dir(&view, &to_names, "rename onto")?;
        let to_parent = to_chain[to_chain.len() - 1];
        if to_chain.contains(&src.pn) {
            return Err(FsError::Usage(format!(
                "cannot move {} into itself ({})",
                join(&from_names),
                join(&to_names)
            )));
        }
        if let Some(target) = self.child_now(ro, &to_parent, to_name)? {
            match (src.kind, target.kind) {
                (Some(NodeKind::Directory), Some(NodeKind::Directory))
                    if state::has_entries(self.engine.as_ref(), ro, &target.pn)? =>
                {
                    return Err(FsError::DirectoryNotEmpty(join(&to_names)));
                }
                (Some(NodeKind::Directory), Some(NodeKind::Directory)) => {}
                (Some(NodeKind::Directory), _) => {
                    return Err(FsError::NotADirectory(join(&to_names)))
                }
                (_, Some(NodeKind::Directory)) => {
                    return Err(FsError::IsADirectory(join(&to_names)))
                }
                _ => {}
            }
        }
        let known = vec![(from_parent, from_state), (to_parent, to_state)];
        let mut txn = Txn::begin(self, at, &[from_parent, to_parent], known)?;
        txn.claim(
            to_parent,
            ClaimType::SetAttribute,
            &path_attr(to_name),
            Some(src.pn.to_string()),
        )?;
        txn.claim(
            from_parent,
            ClaimType::DelAttribute,
            &path_attr(from_name),
            None,
        )?;
        txn.commit()
    }
}

/// A new directory `name` in `parent`; returns its permanode.
pub(crate) fn new_directory(txn: &mut Txn<'_>, parent: BlobRef, name: &str) -> Result<BlobRef> {
    let pn = txn.new_permanode()?;
    txn.claim(
        pn,
        ClaimType::SetAttribute,
        ATTR_NODE_TYPE,
        Some(NODE_TYPE_DIRECTORY.into()),
    )?;
    txn.claim(
        parent,
        ClaimType::SetAttribute,
        &path_attr(name),
        Some(pn.to_string()),
    )?;
    Ok(pn)
}

/// Points file `existing` (or a new file `name` in `parent`) at `file`.
pub(crate) fn set_file(
    txn: &mut Txn<'_>,
    parent: BlobRef,
    name: &str,
    existing: Option<BlobRef>,
    file: BlobRef,
) -> Result<BlobRef> {
    let pn = match existing {
        Some(pn) => pn,
        None => {
            let pn = txn.new_permanode()?;
            txn.claim(
                parent,
                ClaimType::SetAttribute,
                &path_attr(name),
                Some(pn.to_string()),
            )?;
            pn
        }
    };
    txn.claim(
        pn,
        ClaimType::SetAttribute,
        ATTR_CONTENT,
        Some(file.to_string()),
    )?;
    Ok(pn)
}
