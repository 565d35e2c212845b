//! `verify`: re-hash every blob, check every permanode's and claim's
//! signature, check that every file version's blobs are present and sound,
//! and compare the index with the one the blobs imply, in bounded memory
//! (see [`crate::reindex`]).

use crate::blob::BlobRef;
use crate::error::Result;
use crate::index;
use crate::reindex::{self, Diff, Problem, ScanOptions, ScanStats};
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
    /// straight into the index) or different: the missing first, then the
    /// extra, then the different, each in key order.
    pub index_problems: Vec<Problem>,
    /// What the rebuild's sorts used.
    pub scan: ScanStats,
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
/// public-key blob), with the default [`ScanOptions`].
///
/// # Errors
/// `UnsupportedFormat` for a store of another format; the engine's errors;
/// `Io` on the scratch directory (what is wrong with the store is in the
/// report).
pub fn verify(engine: &dyn Engine, owner: &BlobRef) -> Result<VerifyReport> {
    verify_with(engine, owner, &ScanOptions::default())
}

/// [`verify`] with the given [`ScanOptions`].
///
/// # Errors
/// As [`verify`].
pub fn verify_with(
    engine: &dyn Engine,
    owner: &BlobRef,
    options: &ScanOptions,
) -> Result<VerifyReport> {
    crate::format::check(engine)?;
    let ro = ReadOptions {
        snapshot: Some(engine.snapshot()),
        verify_checksums: true,
        fill_cache: false,
    };
    let key = |k: &[u8]| format!("index key {}", index::key_text(k));
    let (mut missing, mut extra, mut different) = (Vec::new(), Vec::new(), Vec::new());
    let summary = reindex::rebuild(engine, &ro, owner, options, &mut |d| {
        match d {
            Diff::Missing { key: k, .. } => missing.push(Problem {
                object: key(k),
                reason: "missing".into(),
            }),
            Diff::Extra { key: k } => extra.push(Problem {
                object: key(k),
                reason: "not implied by any valid blob (forged or stale)".into(),
            }),
            Diff::Different { key: k, .. } => different.push(Problem {
                object: key(k),
                reason: "value differs".into(),
            }),
        }
        Ok(())
    })?;
    missing.append(&mut extra);
    missing.append(&mut different);
    Ok(VerifyReport {
        blobs: summary.copies.blobs,
        blob_bytes: summary.copies.blob_bytes,
        permanodes: summary.permanodes,
        claims: summary.claims,
        duplicate_copies: summary.copies.duplicate_copies,
        blob_problems: summary.problems,
        index_problems: missing,
        scan: summary.scan,
    })
}
