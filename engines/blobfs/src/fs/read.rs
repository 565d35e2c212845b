//! Reads: path resolution, stat, readdir and file contents, each as of an
//! optional time.

use super::cache::{bound_at, Binding, Bound, History};
use super::path::{components, join};
use super::{
    BlobFs, DirEntry, NodeKind, Stat, View, ATTR_CONTENT, ATTR_NODE_TYPE, ATTR_PATH_PREFIX,
    DIRECTORY_MODE, NODE_TYPE_DIRECTORY,
};
use crate::blob::BlobRef;
use crate::error::{FsError, Result};
use crate::index::{self, Attributes};
use crate::schema::{FileBlob, Parts};
use crate::state::{self, NodeState, RawValue};
use crate::time::{self, ClaimTime};
use std::sync::Arc;
use strata_api::ReadOptions;

/// `path` (and the time, if any) for messages.
pub(crate) fn describe(path: &str, at: Option<ClaimTime>) -> String {
    match at {
        Some(t) => format!("{path} at {}", time::to_rfc3339(t)),
        None => path.to_string(),
    }
}

/// The kind a node's attributes make it, if any.
pub(crate) fn kind_of(attrs: &Attributes) -> Option<NodeKind> {
    if attrs.get(ATTR_NODE_TYPE) == Some(NODE_TYPE_DIRECTORY) {
        Some(NodeKind::Directory)
    } else if attrs.get(ATTR_CONTENT).is_some() {
        Some(NodeKind::File)
    } else {
        None
    }
}

fn parse_ref(value: &str, what: &BlobRef) -> Result<BlobRef> {
    BlobRef::parse(value).ok_or_else(|| {
        FsError::corruption(
            format!("permanode {what}"),
            format!("attribute value '{value}' is not a ref"),
        )
    })
}

impl BlobFs {
    /// The child permanode `name` of directory `dir` at `at` (no cache):
    /// now, one lookup of the entry; in the past, the claims on the
    /// binding up to `at`.
    pub(crate) fn lookup(
        &self,
        ro: &ReadOptions,
        dir: &BlobRef,
        name: &str,
        at: Option<ClaimTime>,
    ) -> Result<Option<BlobRef>> {
        if at.is_none() {
            return match state::entry_last(self.engine.as_ref(), ro, dir, name)? {
                None => Ok(None),
                Some(RawValue::Ref(r)) => Ok(Some(r)),
                Some(RawValue::Text(v)) => parse_ref(&v, dir).map(Some),
            };
        }
        let attribute = format!("{ATTR_PATH_PREFIX}{name}");
        let mut values = index::attribute_at(self.engine.as_ref(), ro, dir, &attribute, at)?;
        values.pop().map(|v| parse_ref(&v, dir)).transpose()
    }

    /// [`BlobFs::lookup`] through the cache of bindings: a miss reads every
    /// claim on the binding once and caches them, so that later lookups of
    /// it, at any time, need no engine read.
    fn lookup_cached(
        &self,
        view: &View,
        dir: &BlobRef,
        name: &str,
        at: Option<ClaimTime>,
    ) -> Result<Option<BlobRef>> {
        let history = match self.cache.get(dir, name, view.generation) {
            Some(h) => h,
            None => {
                let attribute = format!("{ATTR_PATH_PREFIX}{name}");
                let claims =
                    index::attribute_claims(self.engine.as_ref(), &view.ro, dir, &attribute, None)?;
                let h: History = claims
                    .into_iter()
                    .map(|c| Binding::new(c.date, c.claim_type, c.value))
                    .collect();
                self.cache
                    .insert(dir, name, Arc::clone(&h), view.generation);
                h
            }
        };
        match bound_at(&history, at) {
            Bound::Unbound => Ok(None),
            Bound::Child(r) => Ok(Some(r)),
            Bound::NotARef(v) => parse_ref(&v, dir).map(Some),
        }
    }

    /// The permanodes from the root to `names` (root first), at `at`,
    /// without the cache (for reads pinned to a snapshot the cache does not
    /// know).
    ///
    /// # Errors
    /// `NotFound` naming the first missing prefix.
    pub(crate) fn resolve(
        &self,
        ro: &ReadOptions,
        names: &[String],
        at: Option<ClaimTime>,
    ) -> Result<Vec<BlobRef>> {
        self.walk(names, at, |fs, dir, name, _| fs.lookup(ro, dir, name, at))
    }

    /// [`BlobFs::resolve`] in `view`, the directories on the way through
    /// the cache (and the last name too when `cache_last`, for a path known
    /// to be a directory).
    pub(crate) fn resolve_view(
        &self,
        view: &View,
        names: &[String],
        at: Option<ClaimTime>,
        cache_last: bool,
    ) -> Result<Vec<BlobRef>> {
        self.walk(names, at, |fs, dir, name, last| {
            if last && !cache_last {
                fs.lookup(&view.ro, dir, name, at)
            } else {
                fs.lookup_cached(view, dir, name, at)
            }
        })
    }

    fn walk(
        &self,
        names: &[String],
        at: Option<ClaimTime>,
        mut step: impl FnMut(&BlobFs, &BlobRef, &str, bool) -> Result<Option<BlobRef>>,
    ) -> Result<Vec<BlobRef>> {
        let mut chain = Vec::with_capacity(names.len() + 1);
        chain.push(self.root);
        for (i, name) in names.iter().enumerate() {
            let parent = chain[chain.len() - 1];
            match step(self, &parent, name, i + 1 == names.len())? {
                Some(child) => chain.push(child),
                None => {
                    return Err(FsError::NotFound(describe(&join(&names[..=i]), at)));
                }
            }
        }
        Ok(chain)
    }

    /// The attributes of `pn` at `at`: one range scan.
    pub(crate) fn node_attrs(
        &self,
        ro: &ReadOptions,
        pn: &BlobRef,
        at: Option<ClaimTime>,
    ) -> Result<Attributes> {
        let claims = index::claims_of(self.engine.as_ref(), ro, pn, at)?;
        Ok(Attributes::fold(&claims))
    }

    /// The state of `pn` now (empty if it has no claim): one lookup.
    pub(crate) fn node_now(&self, ro: &ReadOptions, pn: &BlobRef) -> Result<NodeState> {
        Ok(state::node(self.engine.as_ref(), ro, pn)?.unwrap_or_default())
    }

    /// The `file` blob `content`, parsed, with its parts.
    pub(crate) fn load_file(
        &self,
        ro: &ReadOptions,
        content: &BlobRef,
    ) -> Result<(FileBlob, Parts)> {
        let data = self.blobs.fetch(ro, content)?;
        let file = FileBlob::parse(content, &data)?;
        let parts = file.checked_parts(content)?;
        Ok((file, parts))
    }

    /// The content ref of file node `attrs` (of permanode `pn`).
    pub(crate) fn content_of(attrs: &Attributes, pn: &BlobRef) -> Result<Option<BlobRef>> {
        attrs
            .get(ATTR_CONTENT)
            .map(|v| parse_ref(v, pn))
            .transpose()
    }

    /// The entries (name, child permanode) of directory node `attrs`.
    pub(crate) fn entries_of(attrs: &Attributes, pn: &BlobRef) -> Result<Vec<(String, BlobRef)>> {
        attrs
            .with_prefix(ATTR_PATH_PREFIX)
            .map(|(name, v)| Ok((name.to_string(), parse_ref(v, pn)?)))
            .collect()
    }

    /// The entries (name, child permanode) of directory `pn` now: one scan
    /// of its live entries.
    pub(crate) fn entries_now(
        &self,
        ro: &ReadOptions,
        pn: &BlobRef,
    ) -> Result<Vec<(String, BlobRef)>> {
        let mut out = Vec::new();
        state::for_each_entry(self.engine.as_ref(), ro, pn, |name, values| {
            if let Some(v) = values.last() {
                out.push((name.to_string(), parse_ref(v, pn)?));
            }
            Ok(())
        })?;
        Ok(out)
    }

    pub(crate) fn stat_node(
        &self,
        ro: &ReadOptions,
        pn: &BlobRef,
        at: Option<ClaimTime>,
        path: &str,
    ) -> Result<Stat> {
        if at.is_none() {
            return self.stat_now(ro, pn, path);
        }
        let attrs = self.node_attrs(ro, pn, at)?;
        match kind_of(&attrs) {
            Some(NodeKind::Directory) => Ok(Stat {
                kind: NodeKind::Directory,
                size_bytes: 0,
                permanode: *pn,
                content: None,
                mode: DIRECTORY_MODE,
                modified: attrs.last_date(),
            }),
            Some(NodeKind::File) => {
                let content = Self::content_of(&attrs, pn)?
                    .ok_or_else(|| FsError::NotFound(describe(path, at)))?;
                let (file, parts) = self.load_file(ro, &content)?;
                Ok(Stat {
                    kind: NodeKind::File,
                    size_bytes: parts.size_bytes,
                    permanode: *pn,
                    content: Some(content),
                    mode: file.mode().unwrap_or(super::DEFAULT_FILE_MODE),
                    modified: attrs.last_date(),
                })
            }
            None => Err(FsError::NotFound(describe(path, at))),
        }
    }

    /// `stat` of `pn` now, from its current state alone (the file's length
    /// and mode are recorded there; the `file` blob is read only if they
    /// are not, which [`crate::verify`] reports as a store problem).
    fn stat_now(&self, ro: &ReadOptions, pn: &BlobRef, path: &str) -> Result<Stat> {
        let node = self.node_now(ro, pn)?;
        match node.kind() {
            Some(NodeKind::Directory) => Ok(Stat {
                kind: NodeKind::Directory,
                size_bytes: 0,
                permanode: *pn,
                content: None,
                mode: DIRECTORY_MODE,
                modified: node.last_date,
            }),
            Some(NodeKind::File) => {
                let content = node
                    .get(ATTR_CONTENT)
                    .map(|v| parse_ref(v, pn))
                    .transpose()?
                    .ok_or_else(|| FsError::NotFound(describe(path, None)))?;
                let (size_bytes, mode) = match node.file {
                    Some(info) => (info.size_bytes, info.mode),
                    None => {
                        let (file, parts) = self.load_file(ro, &content)?;
                        (
                            parts.size_bytes,
                            file.mode().unwrap_or(super::DEFAULT_FILE_MODE),
                        )
                    }
                };
                Ok(Stat {
                    kind: NodeKind::File,
                    size_bytes,
                    permanode: *pn,
                    content: Some(content),
                    mode,
                    modified: node.last_date,
                })
            }
            None => Err(FsError::NotFound(describe(path, None))),
        }
    }

    /// What `path` is at `at` (`None`: now).
    ///
    /// # Errors
    /// `NotFound` if nothing is there then; `Usage` for a malformed path;
    /// `Corruption` of a blob or index entry on the way.
    pub fn stat(&self, path: &str, at: Option<ClaimTime>) -> Result<Stat> {
        let names = components(path)?;
        let view = self.view();
        let chain = self.resolve_view(&view, &names, at, false)?;
        self.stat_node(&view.ro, &chain[chain.len() - 1], at, &join(&names))
    }

    /// True when something is at `path` at `at`.
    ///
    /// # Errors
    /// As [`BlobFs::stat`], except that absence is `Ok(false)`.
    pub fn exists(&self, path: &str, at: Option<ClaimTime>) -> Result<bool> {
        match self.stat(path, at) {
            Ok(_) => Ok(true),
            Err(FsError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The entries of directory `path` at `at`, sorted by name.
    ///
    /// # Errors
    /// `NotADirectory` if `path` is a file; otherwise as [`BlobFs::stat`].
    pub fn readdir(&self, path: &str, at: Option<ClaimTime>) -> Result<Vec<DirEntry>> {
        let names = components(path)?;
        let view = self.view();
        let chain = self.resolve_view(&view, &names, at, true)?;
        self.readdir_node(&view.ro, &chain[chain.len() - 1], at, &join(&names))
    }

    pub(crate) fn readdir_node(
        &self,
        ro: &ReadOptions,
        pn: &BlobRef,
        at: Option<ClaimTime>,
        path: &str,
    ) -> Result<Vec<DirEntry>> {
        let kind_at = |fs: &BlobFs, child: &BlobRef| -> Result<Option<NodeKind>> {
            Ok(match at {
                None => fs.node_now(ro, child)?.kind(),
                Some(_) => kind_of(&fs.node_attrs(ro, child, at)?),
            })
        };
        let entries = match at {
            None => {
                match self.node_now(ro, pn)?.kind() {
                    Some(NodeKind::Directory) => {}
                    Some(NodeKind::File) => return Err(FsError::NotADirectory(describe(path, at))),
                    None => return Err(FsError::NotFound(describe(path, at))),
                }
                self.entries_now(ro, pn)?
            }
            Some(_) => {
                let attrs = self.node_attrs(ro, pn, at)?;
                match kind_of(&attrs) {
                    Some(NodeKind::Directory) => {}
                    Some(NodeKind::File) => return Err(FsError::NotADirectory(describe(path, at))),
                    None => return Err(FsError::NotFound(describe(path, at))),
                }
                Self::entries_of(&attrs, pn)?
            }
        };
        let mut out = Vec::with_capacity(entries.len());
        for (name, child) in entries {
            if let Some(kind) = kind_at(self, &child)? {
                out.push(DirEntry {
                    name,
                    kind,
                    permanode: child,
                });
            }
        }
        Ok(out)
    }

    /// The whole of file `path` at `at`.
    ///
    /// # Errors
    /// `IsADirectory` for a directory; `Corruption` naming the ref of any
    /// chunk or file blob that fails verification; otherwise as
    /// [`BlobFs::stat`].
    pub fn read(&self, path: &str, at: Option<ClaimTime>) -> Result<Vec<u8>> {
        self.read_range(path, 0, u64::MAX, at)
    }

    /// Up to `len_bytes` bytes of file `path` from `offset_bytes`, at `at`
    /// (fewer at the end of the file; none past it).
    ///
    /// # Errors
    /// As [`BlobFs::read`].
    pub fn read_range(
        &self,
        path: &str,
        offset_bytes: u64,
        len_bytes: u64,
        at: Option<ClaimTime>,
    ) -> Result<Vec<u8>> {
        let names = components(path)?;
        let view = self.view();
        let chain = self.resolve_view(&view, &names, at, false)?;
        let stat = self.stat_node(&view.ro, &chain[chain.len() - 1], at, &join(&names))?;
        let Some(content) = stat.content else {
            return Err(FsError::IsADirectory(describe(&join(&names), at)));
        };
        let (_, parts) = self.load_file(&view.ro, &content)?;
        self.read_parts(&view.ro, &parts, offset_bytes, len_bytes)
    }

    /// Bytes `[offset, offset + len)` of the file made of `parts`, each chunk
    /// verified against its ref and its stated size.
    pub(crate) fn read_parts(
        &self,
        ro: &ReadOptions,
        parts: &Parts,
        offset_bytes: u64,
        len_bytes: u64,
    ) -> Result<Vec<u8>> {
        let end = offset_bytes.saturating_add(len_bytes).min(parts.size_bytes);
        let mut out =
            Vec::with_capacity(usize::try_from(end.saturating_sub(offset_bytes)).unwrap_or(0));
        let mut start = 0u64;
        for (r, size) in &parts.parts {
            let part_end = start + size;
            if part_end > offset_bytes && start < end {
                let chunk = self.fetch_chunk(ro, r, *size)?;
                let from = offset_bytes.saturating_sub(start);
                let to = end.min(part_end) - start;
                // from < to <= size == chunk.len(), checked by fetch_chunk.
                out.extend_from_slice(&chunk[from as usize..to as usize]);
            }
            if part_end >= end {
                break;
            }
            start = part_end;
        }
        Ok(out)
    }

    /// Chunk `r`, verified, and checked to be `size` bytes long.
    pub(crate) fn fetch_chunk(&self, ro: &ReadOptions, r: &BlobRef, size: u64) -> Result<Vec<u8>> {
        let chunk = self.blobs.fetch(ro, r)?;
        if chunk.len() as u64 != size {
            return Err(FsError::corruption(
                format!("blob {r}"),
                format!("chunk is {} bytes, its file says {size}", chunk.len()),
            ));
        }
        Ok(chunk)
    }
}
