//! A mutation in progress: new blobs, signed claims and their index
//! entries, gathered into one batch and committed atomically.

use super::{BlobFs, WriteReport};
use crate::blob::BlobRef;
use crate::error::{FsError, Result};
use crate::index::{self, IndexedClaim};
use crate::schema::{self, Claim, ClaimType, Permanode, CAMLI_VERSION, TYPE_CLAIM, TYPE_PERMANODE};
use crate::time::{self, ClaimTime};
use rand::RngCore;
use std::collections::HashSet;
use strata_api::{ReadOptions, WriteBatch, WriteOptions};

/// Data chunks pending beyond this many bytes are written ahead of the
/// claims, so a large file never sits in one engine batch. Chunks nothing
/// refers to yet are harmless if the mutation then fails.
const CHUNK_FLUSH_BYTES: usize = 4 << 20;

pub(crate) struct Txn<'a> {
    fs: &'a BlobFs,
    time: ClaimTime,
    batch: WriteBatch,
    chunk_batch: WriteBatch,
    chunk_batch_bytes: usize,
    staged: HashSet<BlobRef>,
    claimed: HashSet<(BlobRef, String)>,
    fresh: HashSet<BlobRef>,
    report: WriteReport,
}

impl<'a> Txn<'a> {
    /// Starts a mutation at `at`, or now (moved past the latest claim of
    /// each permanode in `touched`).
    pub(crate) fn begin(
        fs: &'a BlobFs,
        at: Option<ClaimTime>,
        touched: &[BlobRef],
    ) -> Result<Self> {
        let time = match at {
            Some(t) => t,
            None => {
                let ro = ReadOptions::default();
                let mut t = chrono::Utc::now();
                for pn in touched {
                    if let Some(last) = index::last_claim_date(fs.engine.as_ref(), &ro, pn)? {
                        if last >= t {
                            t = last + chrono::Duration::nanoseconds(1);
                        }
                    }
                }
                t
            }
        };
        time::check_range(time)?;
        Ok(Txn {
            fs,
            time,
            batch: WriteBatch::new(),
            chunk_batch: WriteBatch::new(),
            chunk_batch_bytes: 0,
            staged: HashSet::new(),
            claimed: HashSet::new(),
            fresh: HashSet::new(),
            report: WriteReport::default(),
        })
    }

    /// The claim time of this mutation.
    pub(crate) fn time(&self) -> ClaimTime {
        self.time
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
            self.fs
                .engine
                .write(&WriteOptions::default(), &self.chunk_batch)?;
            self.chunk_batch.clear();
            self.chunk_batch_bytes = 0;
        }
        Ok(())
    }

    /// Creates, signs and stages a new permanode.
    pub(crate) fn new_permanode(&mut self) -> Result<BlobRef> {
        let mut random = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut random);
        let pn = Permanode {
            camli_version: CAMLI_VERSION,
            camli_type: TYPE_PERMANODE.to_string(),
            random: hex::encode(random),
            camli_signer: self.fs.signer.public_key_ref().to_string(),
        };
        let signed = self.fs.signer.sign(&schema::to_canonical(&pn)?)?;
        let r = self.stage_schema(&signed)?;
        let (k, v) = index::permanode_entry(&r, &self.fs.signer.public_key_ref());
        self.batch.put(&k, &v);
        self.fresh.insert(r);
        Ok(r)
    }

    /// Signs and stages a claim on `pn` at this mutation's time, with its
    /// index entries.
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
        let ro = ReadOptions::default();
        let engine = self.fs.engine.as_ref();
        let when = time::to_rfc3339(self.time);
        if !self.fresh.contains(&pn) {
            if let Some(last) = index::last_claim_date(engine, &ro, &pn)? {
                if self.time < last {
                    return Err(FsError::BadTime(format!(
                        "{when} is before the latest claim ({}) on the node being changed; claim times may not go backwards",
                        time::to_rfc3339(last)
                    )));
                }
            }
            if index::last_attribute_date(engine, &ro, &pn, attribute)? == Some(self.time) {
                return Err(FsError::BadTime(format!(
                    "{attribute} of the node being changed already has a claim at {when}; use a later time"
                )));
            }
        }
        if !self.claimed.insert((pn, attribute.to_string())) {
            return Err(FsError::BadTime(format!(
                "one mutation claimed {attribute} twice at {when}"
            )));
        }
        let claim = Claim {
            camli_version: CAMLI_VERSION,
            camli_type: TYPE_CLAIM.to_string(),
            camli_signer: self.fs.signer.public_key_ref().to_string(),
            perma_node: pn.to_string(),
            claim_type,
            claim_date: when,
            attribute: attribute.to_string(),
            value,
        };
        let signed = self.fs.signer.sign(&schema::to_canonical(&claim)?)?;
        let claim_ref = self.stage_schema(&signed)?;
        let indexed = IndexedClaim {
            claim_ref,
            permanode: pn,
            date: self.time,
            claim_type,
            attribute: claim.attribute,
            value: claim.value,
        };
        for (k, v) in index::claim_entries(&indexed) {
            self.batch.put(&k, &v);
        }
        self.report.claims += 1;
        Ok(())
    }

    /// Stages an index entry that is not a claim's (the root entry).
    pub(crate) fn put_index(&mut self, key: &[u8], value: &[u8]) {
        self.batch.put(key, value);
    }

    /// Writes the remaining chunks, then every blob, claim and index entry
    /// in one batch.
    pub(crate) fn commit(mut self) -> Result<WriteReport> {
        self.flush_chunks()?;
        if !self.batch.is_empty() {
            self.fs
                .engine
                .write(&WriteOptions::with_sync(self.fs.config.sync), &self.batch)?;
        }
        Ok(self.report)
    }
}
