//! A mutation in progress: new blobs, signed claims and their index
//! entries, gathered into one batch and committed atomically.
//!
//! Claims are signed in groups: consecutive changes on different
//! permanodes (with different ref values) go into one `multi` claim blob
//! ([`crate::schema::MultiClaim`]) under one signature; a lone change is a
//! plain claim. Creating a file is then two signatures (its permanode, and
//! one claim binding it in its directory and naming its content), not
//! three.
//!
//! Write ordering: data chunks go out in batches ahead of the claims
//! (every [`CHUNK_FLUSH_BYTES`]), and a batch of claims holds the schema
//! blobs (file blobs, permanodes, claim blobs) they reference, so that no
//! claim is ever visible before the blobs it names. The engine applies
//! batches in order and recovers a prefix of them after a crash (its log is
//! handed to the kernel at every write, and synced, with every earlier log,
//! when [`super::FsConfig::sync`] asks).

use super::{BlobFs, WriteReport, ATTR_CONTENT, ATTR_PATH_PREFIX, DEFAULT_FILE_MODE};
use crate::blob::{BlobKind, BlobRef};
use crate::error::{FsError, Result};
use crate::index::{self, IndexedClaim};
use crate::presign;
use crate::schema::{
    self, Claim, ClaimType, FileBlob, MultiClaim, SubClaim, CAMLI_VERSION, CLAIM_TYPE_MULTI,
    TYPE_CLAIM,
};
use crate::state::{self, fold_values, FileInfo, NodeState};
use crate::time::{self, ClaimTime};
use std::collections::{HashMap, HashSet};
use strata_api::{ReadOptions, WriteBatch, WriteOptions};

/// Data chunks pending beyond this many bytes are written ahead of the
/// claims, so a large file never sits in one engine batch. Chunks nothing
/// refers to yet are harmless if the mutation then fails.
pub const CHUNK_FLUSH_BYTES: usize = 4 << 20;
/// A mutation that calls [`Txn::maybe_flush`] (a mirror) commits its claims
/// once they pass this many bytes (the default of
/// [`super::FsConfig::claim_flush_bytes`]), so that its memory stays
/// bounded.
pub const CLAIM_FLUSH_BYTES: usize = 8 << 20;
/// Most changes in one claim blob.
const MAX_CHANGES_PER_CLAIM: usize = 64;

/// A permanode this mutation touches.
struct NodeEdit {
    /// The date of its latest claim before this mutation (or before its
    /// last flush), which the mutation's time may not precede.
    committed_last: Option<ClaimTime>,
    /// Created by this mutation (no earlier claims to check).
    fresh: bool,
    /// Its state with this mutation's claims folded in.
    state: NodeState,
    dirty: bool,
}

/// One change waiting for its claim blob.
struct Change {
    pn: BlobRef,
    claim_type: ClaimType,
    attribute: String,
    value: Option<String>,
}

impl Change {
    fn target(&self) -> Option<BlobRef> {
        self.value.as_deref().and_then(BlobRef::parse)
    }
}

pub(crate) struct Txn<'a> {
    fs: &'a BlobFs,
    time: ClaimTime,
    when: String,
    batch: WriteBatch,
    chunk_batch: WriteBatch,
    chunk_batch_bytes: usize,
    staged: HashSet<BlobRef>,
    claimed: HashSet<(BlobRef, String)>,
    nodes: HashMap<BlobRef, NodeEdit>,
    /// (directory, name) → the values of `camliPath:name`.
    entries: HashMap<(BlobRef, String), Vec<String>>,
    /// File blobs staged by this mutation.
    files: HashMap<BlobRef, FileInfo>,
    group: Vec<Change>,
    report: WriteReport,
}

impl<'a> Txn<'a> {
    /// Starts a mutation at `at`, or now (moved past the latest claim of
    /// each permanode in `touched`, whose current states are `known`, or
    /// else read).
    pub(crate) fn begin(
        fs: &'a BlobFs,
        at: Option<ClaimTime>,
        touched: &[BlobRef],
        known: Vec<(BlobRef, NodeState)>,
    ) -> Result<Self> {
        let mut txn = Txn {
            fs,
            time: at.unwrap_or_else(chrono::Utc::now),
            when: String::new(),
            batch: WriteBatch::new(),
            chunk_batch: WriteBatch::new(),
            chunk_batch_bytes: 0,
            staged: HashSet::new(),
            claimed: HashSet::new(),
            nodes: HashMap::new(),
            entries: HashMap::new(),
            files: HashMap::new(),
            group: Vec::new(),
            report: WriteReport::default(),
        };
        for (pn, state) in known {
            let edit = NodeEdit {
                committed_last: state.last_date,
                fresh: false,
                state,
                dirty: false,
            };
            txn.nodes.entry(pn).or_insert(edit);
        }
        for pn in touched {
            let last = txn.node(*pn)?.committed_last;
            if let (None, Some(last)) = (at, last) {
                if last >= txn.time {
                    txn.time = last + chrono::Duration::nanoseconds(1);
                }
            }
        }
        time::check_range(txn.time)?;
        txn.when = time::to_rfc3339(txn.time);
        Ok(txn)
    }

    /// The claim time of this mutation.
    pub(crate) fn time(&self) -> ClaimTime {
        self.time
    }

    /// The permanode `pn` as this mutation sees it (loaded on first use).
    fn node(&mut self, pn: BlobRef) -> Result<&mut NodeEdit> {
        if !self.nodes.contains_key(&pn) {
            let now = state::node(self.fs.engine.as_ref(), &ReadOptions::default(), &pn)?;
            let edit = NodeEdit {
                committed_last: now.as_ref().and_then(|n| n.last_date),
                fresh: false,
                state: now.unwrap_or_default(),
                dirty: false,
            };
            self.nodes.insert(pn, edit);
        }
        self.nodes
            .get_mut(&pn)
            .ok_or_else(|| FsError::Usage("node vanished from the mutation".into()))
    }

    /// Stages a schema blob (goes out with the claims).
    pub(crate) fn stage_schema(&mut self, data: &[u8]) -> Result<BlobRef> {
        let (r, new) = self
            .fs
            .blobs
            .stage(&mut self.batch, &mut self.staged, data)?;
        self.report.blobs_new += u64::from(new);
        Ok(r)
    }

    /// Stages the `file` blob of `parts`, remembering its length and mode.
    /// With `mtime` this mutation's time the blob is new by construction
    /// (no other mutation has that time for this file) and is staged
    /// without a lookup; else it is deduplicated.
    pub(crate) fn stage_file(
        &mut self,
        name: &str,
        mode: u32,
        mtime: Option<ClaimTime>,
        parts: &[(BlobRef, u64)],
    ) -> Result<BlobRef> {
        let file = FileBlob::new(name, mode, mtime, parts);
        let data = schema::to_canonical(&file)?;
        let r = if mtime == Some(self.time) {
            let r = BlobRef::of(&data);
            if self.staged.insert(r) {
                self.fs
                    .blobs
                    .stage_known(&mut self.batch, r, &data, BlobKind::Schema)?;
                self.report.blobs_new += 1;
            }
            r
        } else {
            self.stage_schema(&data)?
        };
        let info = FileInfo {
            size_bytes: parts.iter().map(|(_, n)| n).sum(),
            mode: file.mode().unwrap_or(DEFAULT_FILE_MODE),
        };
        self.files.insert(r, info);
        Ok(r)
    }

    /// Stages a data chunk, counting it in the report.
    pub(crate) fn stage_chunk(&mut self, data: &[u8]) -> Result<BlobRef> {
        let (r, new) = self
            .fs
            .blobs
            .stage(&mut self.chunk_batch, &mut self.staged, data)?;
        self.report.chunks_total += 1;
        self.report.bytes_total += data.len() as u64;
        if new {
            self.report.chunks_new += 1;
            self.report.blobs_new += 1;
            self.report.bytes_new += data.len() as u64;
            self.chunk_batch_bytes += data.len();
            if self.chunk_batch_bytes >= CHUNK_FLUSH_BYTES {
                self.flush_chunks()?;
            }
        }
        Ok(r)
    }

    fn flush_chunks(&mut self) -> Result<()> {
        if !self.chunk_batch.is_empty() {
            // Synced like the claims: a claim synced later must not outlive
            // the chunks it names (the engine syncs its log in order, but
            // say so rather than rely on it).
            self.fs.engine.write(
                &WriteOptions::with_sync(self.fs.config.sync),
                &self.chunk_batch,
            )?;
            self.chunk_batch.clear();
            self.chunk_batch_bytes = 0;
        }
        Ok(())
    }

    /// Creates, signs and stages a new permanode.
    pub(crate) fn new_permanode(&mut self) -> Result<BlobRef> {
        let (r, signed) = match self.fs.permanodes.take(&self.fs.signer) {
            Some(ready) => ready,
            None => presign::sign_permanode(&self.fs.signer)?,
        };
        self.fs
            .blobs
            .stage_known(&mut self.batch, r, &signed, BlobKind::Schema)?;
        self.report.blobs_new += 1;
        let (k, v) = index::permanode_entry(&r, &self.fs.signer.public_key_ref());
        self.batch.put(&k, &v);
        let edit = NodeEdit {
            committed_last: None,
            fresh: true,
            state: NodeState::default(),
            dirty: false,
        };
        self.nodes.insert(r, edit);
        Ok(r)
    }

    /// Checks and makes a claim on `pn` at this mutation's time; it is
    /// signed (possibly with the changes around it) when the group is
    /// sealed.
    ///
    /// # Errors
    /// `BadTime` if the time precedes `pn`'s latest claim or `pn`'s
    /// `attribute` already has a claim at this instant.
    pub(crate) fn claim(
        &mut self,
        pn: BlobRef,
        claim_type: ClaimType,
        attribute: &str,
        value: Option<String>,
    ) -> Result<()> {
        index::check_attribute(attribute).map_err(FsError::Usage)?;
        self.check_time(pn, attribute)?;
        if !self.claimed.insert((pn, attribute.to_string())) {
            return Err(FsError::BadTime(format!(
                "one mutation claimed {attribute} twice at {}",
                self.when
            )));
        }
        let time = self.time;
        if let Some(name) = attribute.strip_prefix(ATTR_PATH_PREFIX) {
            let values = self.entry(pn, name)?;
            fold_values(values, claim_type, value.as_deref());
            let node = self.node(pn)?;
            node.state.touch(time);
            node.dirty = true;
        } else {
            let node = self.node(pn)?;
            node.state
                .apply(time, claim_type, attribute, value.as_deref());
            node.dirty = true;
            if attribute == ATTR_CONTENT {
                let content = node.state.get(ATTR_CONTENT).map(str::to_string);
                let file = self.file_info(content.as_deref())?;
                self.node(pn)?.state.file = file;
            }
        }
        self.queue(Change {
            pn,
            claim_type,
            attribute: attribute.to_string(),
            value,
        })?;
        self.report.claims += 1;
        Ok(())
    }

    fn check_time(&mut self, pn: BlobRef, attribute: &str) -> Result<()> {
        let node = self.node(pn)?;
        if node.fresh {
            return Ok(());
        }
        let Some(last) = node.committed_last else {
            return Ok(());
        };
        if self.time < last {
            return Err(FsError::BadTime(format!(
                "{} is before the latest claim ({}) on the node being changed; claim times may not go backwards",
                self.when,
                time::to_rfc3339(last)
            )));
        }
        // An attribute's claims are no later than the node's latest, so
        // only a mutation at exactly that instant can repeat one.
        if self.time == last
            && index::last_attribute_date(
                self.fs.engine.as_ref(),
                &ReadOptions::default(),
                &pn,
                attribute,
            )? == Some(self.time)
        {
            return Err(FsError::BadTime(format!(
                "{attribute} of the node being changed already has a claim at {}; use a later time",
                self.when
            )));
        }
        Ok(())
    }

    /// Tells the mutation what `dir`'s entry `name` holds now (the caller
    /// just looked it up), sparing a second lookup.
    pub(crate) fn known_entry(&mut self, dir: BlobRef, name: &str, values: Vec<String>) {
        self.entries
            .entry((dir, name.to_string()))
            .or_insert(values);
    }

    /// The values of `dir`'s entry `name` as this mutation sees them.
    fn entry(&mut self, dir: BlobRef, name: &str) -> Result<&mut Vec<String>> {
        let key = (dir, name.to_string());
        let fresh = self.nodes.get(&dir).is_some_and(|n| n.fresh);
        if !self.entries.contains_key(&key) {
            let now = if fresh {
                Vec::new()
            } else {
                state::entry(self.fs.engine.as_ref(), &ReadOptions::default(), &dir, name)?
            };
            self.entries.insert(key.clone(), now);
        }
        self.entries
            .get_mut(&key)
            .ok_or_else(|| FsError::Usage("entry vanished from the mutation".into()))
    }

    /// The length and mode of the file blob `content` names, if it is one
    /// (as the index rebuilt from the blobs would record them).
    fn file_info(&self, content: Option<&str>) -> Result<Option<FileInfo>> {
        let Some(r) = content.and_then(BlobRef::parse) else {
            return Ok(None);
        };
        if let Some(info) = self.files.get(&r) {
            return Ok(Some(*info));
        }
        let data = match self.fs.blobs.get(&ReadOptions::default(), &r) {
            Ok(Some(data)) => data,
            Ok(None) => return Ok(None),
            Err(e) if e.is_corruption() => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(FileBlob::parse(&r, &data)
            .and_then(|f| Ok((f.checked_parts(&r)?.size_bytes, f)))
            .ok()
            .map(|(size_bytes, f)| FileInfo {
                size_bytes,
                mode: f.mode().unwrap_or(DEFAULT_FILE_MODE),
            }))
    }

    fn queue(&mut self, change: Change) -> Result<()> {
        let target = change.target();
        let conflict = self
            .group
            .iter()
            .any(|c| c.pn == change.pn || (target.is_some() && c.target() == target));
        if conflict || self.group.len() >= MAX_CHANGES_PER_CLAIM {
            self.seal()?;
        }
        self.group.push(change);
        Ok(())
    }

    /// Signs the waiting changes as one claim blob and stages it with the
    /// index entries of each change.
    fn seal(&mut self) -> Result<()> {
        if self.group.is_empty() {
            return Ok(());
        }
        let changes = std::mem::take(&mut self.group);
        let signer = self.fs.signer.public_key_ref().to_string();
        let payload = if let [c] = changes.as_slice() {
            schema::to_canonical(&Claim {
                camli_version: CAMLI_VERSION,
                camli_type: TYPE_CLAIM.to_string(),
                camli_signer: signer,
                perma_node: c.pn.to_string(),
                claim_type: c.claim_type,
                claim_date: self.when.clone(),
                attribute: c.attribute.clone(),
                value: c.value.clone(),
            })?
        } else {
            schema::to_canonical(&MultiClaim {
                camli_version: CAMLI_VERSION,
                camli_type: TYPE_CLAIM.to_string(),
                camli_signer: signer,
                claim_date: self.when.clone(),
                claim_type: CLAIM_TYPE_MULTI.to_string(),
                claims: changes
                    .iter()
                    .map(|c| SubClaim {
                        claim_type: c.claim_type,
                        perma_node: c.pn.to_string(),
                        attribute: c.attribute.clone(),
                        value: c.value.clone(),
                    })
                    .collect(),
            })?
        };
        let signed = self.fs.signer.sign(&payload)?;
        let claim_ref = self
            .fs
            .blobs
            .stage_fresh(&mut self.batch, &signed, BlobKind::Schema)?;
        self.report.blobs_new += 1;
        for c in changes {
            let indexed = IndexedClaim {
                claim_ref,
                permanode: c.pn,
                date: self.time,
                claim_type: c.claim_type,
                attribute: c.attribute,
                value: c.value,
            };
            for (k, v) in index::claim_entries(&indexed) {
                self.batch.put(&k, &v);
            }
        }
        Ok(())
    }

    /// Stages an index entry that is not a claim's (the root entry, the
    /// format).
    pub(crate) fn put_index(&mut self, key: &[u8], value: &[u8]) {
        self.batch.put(key, value);
    }

    /// Commits what is staged so far if it passed the config's
    /// `claim_flush_bytes`
    /// (for a mirror, between files): memory stays bounded, and after a
    /// crash each file is at its old or its new version.
    pub(crate) fn maybe_flush(&mut self) -> Result<()> {
        if self.batch.approximate_size_bytes() >= self.fs.config.claim_flush_bytes {
            self.flush_claims()?;
        }
        Ok(())
    }

    /// Seals the last group, stages the new current state of every node
    /// and entry touched, writes the chunks, then everything else in one
    /// batch; starts afresh (what was touched is reloaded from the engine).
    fn flush_claims(&mut self) -> Result<()> {
        self.seal()?;
        for (pn, edit) in &self.nodes {
            if edit.dirty && edit.state.last_date.is_some() {
                self.batch
                    .put(&state::node_key(pn), &state::encode_node(&edit.state));
            }
        }
        let mut changed = Vec::with_capacity(self.entries.len());
        for ((dir, name), values) in self.entries.drain() {
            let key = state::entry_key(&dir, &name);
            if values.is_empty() {
                self.batch.delete(&key);
            } else {
                self.batch.put(&key, &state::encode_entry(&values));
            }
            changed.push((dir, name));
        }
        if self.chunk_batch_bytes + self.batch.approximate_size_bytes() < CHUNK_FLUSH_BYTES {
            // Small: the chunks go in the claims' own batch (one write,
            // and still never a claim without its chunks). The claims are
            // appended to the chunks, the smaller copied into the larger.
            self.chunk_batch.append(&self.batch);
            std::mem::swap(&mut self.batch, &mut self.chunk_batch);
            self.chunk_batch.clear();
            self.chunk_batch_bytes = 0;
        }
        self.flush_chunks()?;
        if !self.batch.is_empty() {
            self.fs.commit_batch(&self.batch, &changed)?;
        }
        self.batch.clear();
        self.staged.clear();
        self.claimed.clear();
        self.nodes.clear();
        self.files.clear();
        Ok(())
    }

    /// Writes the remaining chunks, then every blob, claim and index entry
    /// in one batch.
    pub(crate) fn commit(mut self) -> Result<WriteReport> {
        self.flush_claims()?;
        Ok(self.report)
    }
}
