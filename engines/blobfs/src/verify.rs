//! `verify`: re-hash every blob, check every permanode's and claim's
//! signature, check that every file version's blobs are present and sound,
//! and compare the index with the one the blobs imply.

use crate::blob::BlobRef;
use crate::error::Result;
use crate::reindex::{self, Problem};
use strata_api::{Engine, ReadOptions};

/// What `verify` found.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// Blobs re-hashed.
    pub blobs: u64,
    /// Their bytes.
    pub blob_bytes: u64,
    /// Permanodes whose signature verified.
    pub permanodes: u64,
    /// Claims whose signature verified (and that the index should hold);
    /// a multi claim counts each change.
    pub claims: u64,
    /// Extra copies of blobs stored twice by concurrent writers (harmless,
    /// not problems).
    pub duplicate_copies: u64,
    /// Bad blobs, ignored (forged, altered, foreign) permanodes and claims,
    /// file versions with missing or corrupt blobs.
    pub blob_problems: Vec<Problem>,
    /// Index entries missing, extra (for example a forged claim written
    /// straight into the index) or different.
    pub index_problems: Vec<Problem>,
}

impl VerifyReport {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.blob_problems.is_empty() && self.index_problems.is_empty()
    }

    /// Every problem, blobs first.
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.blob_problems.iter().chain(self.index_problems.iter())
    }
}

/// Verifies the store in `engine` owned by `owner` (the ref of the owner's
/// public-key blob).
///
/// # Errors
/// `UnsupportedFormat` for a store of another format; the engine's errors
/// (what is wrong with the store is in the report).
pub fn verify(engine: &dyn Engine, owner: &BlobRef) -> Result<VerifyReport> {
    crate::format::check(engine)?;
    let ro = ReadOptions {
        snapshot: Some(engine.snapshot()),
        verify_checksums: true,
        fill_cache: false,
    };
    let rebuilt = reindex::rebuild(engine, &ro, owner)?;
    let d = reindex::diff(engine, &ro, &rebuilt)?;
    Ok(VerifyReport {
        blobs: rebuilt.blobs,
        blob_bytes: rebuilt.blob_bytes,
        permanodes: rebuilt.permanodes,
        claims: rebuilt.claims,
        duplicate_copies: rebuilt
            .duplicate_copies
            .values()
            .map(|v| v.len() as u64)
            .sum(),
        blob_problems: rebuilt.problems,
        index_problems: d.problems(),
    })
}
