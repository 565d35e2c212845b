//! Rebuilding the index from the blobs alone, and comparing it with the
//! index in the engine (shared with [`crate::verify`]): the claim index,
//! the current state ([`crate::state`]) and the blob locations
//! ([`crate::blob`]).
//!
//! Only the store's owner is trusted: a permanode counts if its signature
//! verifies with the owner's key (the `ed25519-public-key` blob named by
//! `owner`); a claim counts if it is signed by the owner, its signature
//! verifies, and its permanode counts. Everything else (a forged or altered
//! claim, a foreign signer, a blob whose bytes do not hash to its ref) is
//! left out of the index and reported as a [`Problem`].
//!
//! # Memory
//! A rebuild holds nothing per blob, claim or index entry: it scans the
//! blobs once, puts what later steps need into external sorts (sorted runs
//! in a scratch directory, [`ScanOptions::scratch_dir`]), joins those by
//! walking them side by side in key order, and compares the rebuilt
//! entries with the engine's by walking both in key order. Its buffers are
//! bounded by [`ScanOptions::memory_budget_bytes`], whatever the size of
//! the store; only the problems found (and, for one permanode, its
//! attribute values) are held whole.

mod build;
mod codec;
mod compare;
mod scan;
mod sorter;

pub use compare::{CopyCounts, Diff};

use crate::blob::BlobRef;
use crate::error::Result;
use std::fmt;
use std::path::PathBuf;
use strata_api::{Engine, ReadOptions, WriteBatch, WriteOptions};

/// Something wrong with one object (a blob, a claim, an index key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What it is about: `blob sha256-…`, `claim sha256-…`, `index key …`.
    pub object: String,
    /// What is wrong, and what was done about it.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.object, self.reason)
    }
}

fn problem(object: String, reason: impl Into<String>) -> Problem {
    Problem {
        object,
        reason: reason.into(),
    }
}

/// How a rebuild may use memory and disk.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Bytes of sort and read buffers a rebuild may hold at once; larger
    /// sorts spill to run files. Default 64 MiB.
    pub memory_budget_bytes: usize,
    /// Where the run files go (a directory of their own is made inside and
    /// removed at the end). Default [`std::env::temp_dir`] (`$TMPDIR`).
    pub scratch_dir: PathBuf,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            memory_budget_bytes: 64 << 20,
            scratch_dir: std::env::temp_dir(),
        }
    }
}

/// What a rebuild's sorts used.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanStats {
    /// The most bytes of sort and read buffers held at once (at most
    /// [`ScanOptions::memory_budget_bytes`]).
    pub peak_buffer_bytes: u64,
    /// Sorted run files written (0 when everything fit in memory).
    pub runs_written: u64,
}

/// The scratch space, meter and buffer sizes of one rebuild.
struct Ctx {
    scratch: sorter::Scratch,
    meter: sorter::Meter,
    budget: sorter::Budget,
}

impl Ctx {
    fn new(options: &ScanOptions) -> Result<Self> {
        Ok(Self {
            scratch: sorter::Scratch::new(&options.scratch_dir)?,
            meter: sorter::Meter::default(),
            budget: sorter::Budget::of(options.memory_budget_bytes),
        })
    }

    fn sorter(&self) -> sorter::Sorter<'_> {
        sorter::Sorter::new(&self.scratch, &self.meter, self.budget)
    }

    fn stats(&self) -> ScanStats {
        ScanStats {
            peak_buffer_bytes: self.meter.peak_bytes() as u64,
            runs_written: self.scratch.runs_written(),
        }
    }
}

/// The steps that find problems, in the order problems are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Blobs,
    Permanodes,
    Claims,
    Contents,
}

/// Problems found, each with where it was found, so that they come out in
/// the order of the blobs (by sequence number) whatever order the sorted
/// steps met them in.
#[derive(Default)]
struct Problems(Vec<((Phase, u64, u64, u64), Problem)>);

impl Problems {
    fn push(&mut self, at: (Phase, u64, u64, u64), p: Problem) {
        self.0.push((at, p));
    }

    fn into_sorted(mut self) -> Vec<Problem> {
        self.0.sort_by_key(|(at, _)| *at);
        self.0.into_iter().map(|(_, p)| p).collect()
    }
}

/// A rebuild's outcome, before it is summed up.
struct Rebuilt {
    ctx: Ctx,
    problems: Vec<Problem>,
    permanodes: u64,
    claims: u64,
}

/// Rebuilds the index of `engine`'s blobs for store owner `owner` (the ref
/// of the owner's public-key blob), then compares it with the engine's
/// (see [`compare`]), calling `f` for every difference in key order.
///
/// # Errors
/// The engine's errors, `Io` on the scratch directory, and `f`'s errors
/// (bad blobs and claims are [`Problem`]s, not errors).
fn rebuild_and_compare(
    engine: &dyn Engine,
    ro: &ReadOptions,
    owner: &BlobRef,
    options: &ScanOptions,
    f: &mut dyn FnMut(Diff<'_>) -> Result<()>,
) -> Result<(Rebuilt, CopyCounts)> {
    let ctx = Ctx::new(options)?;
    let mut problems = Problems::default();
    let key = scan::owner_key(engine, ro, owner)?;
    let scanned = scan::scan_blobs(engine, ro, owner, key.as_ref(), &ctx, &mut problems)?;
    let mut out = ctx.sorter();
    let permanodes = build::permanodes(&scanned, owner, &mut out, &mut problems)?;
    let bad = build::refused_changes(&scanned, &ctx)?;
    let claims = build::claims(&scanned, &bad, &ctx, &mut out, &mut problems)?;
    drop(bad);
    if let Some((k, v)) = build::root_entry(claims.root) {
        out.push(&k, &v)?;
    }
    let nodes = build::current_state(&claims.changes, &ctx, &mut out)?;
    build::file_nodes(&nodes, &scanned, &mut out)?;
    drop(nodes);
    build::check_contents(&claims.contents, &scanned, &ctx, &mut problems)?;
    let n_claims = claims.claims;
    drop(claims);
    let entries = out.finish()?;
    let counts = compare::compare(engine, ro, &entries, &scanned.copies, f)?;
    drop(entries);
    drop(scanned);
    Ok((
        Rebuilt {
            ctx,
            problems: problems.into_sorted(),
            permanodes,
            claims: n_claims,
        },
        counts,
    ))
}

/// What a rebuild found: counts, problems, what its sorts used.
#[derive(Debug, Default, Clone)]
pub struct RebuildSummary {
    /// Distinct blobs, their bytes and duplicate copies.
    pub copies: CopyCounts,
    /// Permanodes indexed.
    pub permanodes: u64,
    /// Claims indexed (changes: a multi claim counts each).
    pub claims: u64,
    /// Blobs and claims left out, and broken references, in the order of
    /// the blobs.
    pub problems: Vec<Problem>,
    /// What the sorts used.
    pub scan: ScanStats,
}

/// Rebuilds the index of `engine`'s blobs for owner `owner` in bounded
/// memory and compares it with the engine's `i:` and `l:` entries,
/// calling `f` for each difference in key order (a location naming a good
/// duplicate copy of its blob is not one).
///
/// # Errors
/// The engine's errors, `Io` on the scratch directory, and `f`'s errors.
pub fn rebuild(
    engine: &dyn Engine,
    ro: &ReadOptions,
    owner: &BlobRef,
    options: &ScanOptions,
    f: &mut dyn FnMut(Diff<'_>) -> Result<()>,
) -> Result<RebuildSummary> {
    let (rebuilt, copies) = rebuild_and_compare(engine, ro, owner, options, f)?;
    Ok(RebuildSummary {
        copies,
        permanodes: rebuilt.permanodes,
        claims: rebuilt.claims,
        scan: rebuilt.ctx.stats(),
        problems: rebuilt.problems,
    })
}

/// What a reindex did.
#[derive(Debug, Default)]
pub struct ReindexReport {
    /// Blobs scanned.
    pub blobs: u64,
    /// Permanodes indexed.
    pub permanodes: u64,
    /// Claims indexed.
    pub claims: u64,
    /// Entries written (missing or different before).
    pub entries_written: u64,
    /// Entries deleted (not implied by the blobs).
    pub entries_deleted: u64,
    /// Blobs and claims left out, and broken references.
    pub problems: Vec<Problem>,
    /// What the rebuild's sorts used.
    pub scan: ScanStats,
}

/// Entries per engine batch while repairing the index.
const REPAIR_BATCH_ENTRIES: usize = 4096;

/// Rebuilds the index of `engine` from its blobs for owner `owner` and
/// makes the `i:` entries and blob locations equal to it (writing what is
/// missing or different, deleting the rest), with the default
/// [`ScanOptions`]. Interrupted, it can simply be run again.
///
/// # Errors
/// `UnsupportedFormat` for a store of another format; the engine's
/// errors; `Io` on the scratch directory.
pub fn reindex(engine: &dyn Engine, owner: &BlobRef, sync: bool) -> Result<ReindexReport> {
    reindex_with(engine, owner, sync, &ScanOptions::default())
}

/// [`reindex`] with the given [`ScanOptions`].
///
/// # Errors
/// As [`reindex`].
pub fn reindex_with(
    engine: &dyn Engine,
    owner: &BlobRef,
    sync: bool,
    options: &ScanOptions,
) -> Result<ReindexReport> {
    crate::format::check(engine)?;
    reindex_unchecked_with(engine, owner, sync, options)
}

/// [`reindex`] without the format check (for [`crate::upgrade`], which
/// reindexes before it records the new format).
pub(crate) fn reindex_unchecked(
    engine: &dyn Engine,
    owner: &BlobRef,
    sync: bool,
) -> Result<ReindexReport> {
    reindex_unchecked_with(engine, owner, sync, &ScanOptions::default())
}

fn reindex_unchecked_with(
    engine: &dyn Engine,
    owner: &BlobRef,
    sync: bool,
    options: &ScanOptions,
) -> Result<ReindexReport> {
    // Read one snapshot while the repairs are written.
    let ro = ReadOptions {
        snapshot: Some(engine.snapshot()),
        verify_checksums: false,
        fill_cache: false,
    };
    let write = WriteOptions::with_sync(sync);
    let mut batch = WriteBatch::new();
    let (mut written, mut deleted) = (0u64, 0u64);
    let summary = rebuild(engine, &ro, owner, options, &mut |d| {
        match d {
            Diff::Missing { key, expected } | Diff::Different { key, expected } => {
                batch.put(key, expected);
                written += 1;
            }
            Diff::Extra { key } => {
                batch.delete(key);
                deleted += 1;
            }
        }
        if batch.count() as usize >= REPAIR_BATCH_ENTRIES {
            engine.write(&write, &batch)?;
            batch.clear();
        }
        Ok(())
    })?;
    if !batch.is_empty() {
        engine.write(&write, &batch)?;
    }
    Ok(ReindexReport {
        blobs: summary.copies.blobs,
        permanodes: summary.permanodes,
        claims: summary.claims,
        entries_written: written,
        entries_deleted: deleted,
        problems: summary.problems,
        scan: summary.scan,
    })
}
