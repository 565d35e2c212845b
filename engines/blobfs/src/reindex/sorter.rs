//! An external sort of byte records in bounded memory: records are
//! buffered up to a budget, sorted and written to run files in a scratch
//! directory, and read back merged in (key, value) order. A sort that fits
//! its budget stays in memory and writes nothing.
//!
//! Every buffer held (sort buffers and read buffers) is counted on a
//! [`Meter`], so that what a rebuild holds can be checked against its
//! budget.

use crate::error::{FsError, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Runs merged at once; more are first merged into longer runs.
const FAN_IN: usize = 8;
/// Bytes of bookkeeping per buffered record (offset and two lengths).
const INDEX_ENTRY_BYTES: usize = 16;

/// Bytes held by the sorts of one rebuild (and its blobs in flight to the
/// signature checker), now and at most.
#[derive(Debug, Default)]
pub struct Meter {
    now_bytes: AtomicUsize,
    peak_bytes: AtomicUsize,
}

impl Meter {
    /// Counts `n` more bytes held.
    pub fn add(&self, n: usize) {
        let now = self.now_bytes.fetch_add(n, Ordering::Relaxed) + n;
        self.peak_bytes.fetch_max(now, Ordering::Relaxed);
    }

    /// Counts `n` bytes released.
    pub fn sub(&self, n: usize) {
        self.now_bytes.fetch_sub(n, Ordering::Relaxed);
    }

    /// The most bytes held at once.
    pub fn peak_bytes(&self) -> usize {
        self.peak_bytes.load(Ordering::Relaxed)
    }
}

/// A scratch directory of run files, removed with everything in it when
/// dropped.
pub struct Scratch {
    dir: PathBuf,
    next_file: AtomicU64,
    runs_written: AtomicU64,
}

impl Scratch {
    /// A new, empty directory under `parent`.
    ///
    /// # Errors
    /// `Io` if it cannot be created.
    pub fn new(parent: &Path) -> Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = parent.join(format!(
            "strata-blobfs-scan-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| FsError::io(&dir, e))?;
        Ok(Self {
            dir,
            next_file: AtomicU64::new(0),
            runs_written: AtomicU64::new(0),
        })
    }

    fn new_path(&self) -> PathBuf {
        let n = self.next_file.fetch_add(1, Ordering::Relaxed);
        self.dir.join(format!("run-{n:06}"))
    }

    /// Run files written so far (initial runs and merged runs).
    pub fn runs_written(&self) -> u64 {
        self.runs_written.load(Ordering::Relaxed)
    }

    fn count_run(&self) {
        self.runs_written.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Best effort: a leftover scratch directory is only wasted space.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sizes of the buffers of one rebuild, from its memory budget.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Sort buffer of one sorter.
    pub sort_bytes: usize,
    /// A finished sort smaller than this stays in memory.
    pub keep_bytes: usize,
    /// Read buffer of one run.
    pub read_bytes: usize,
    /// A batch of blobs handed to the signature checker.
    pub batch_bytes: usize,
}

impl Budget {
    /// Splits `total_bytes`: at most four sorters fill at once (half the
    /// budget), a dozen small finished sorts may stay in memory (a sixth),
    /// at most three merges of [`FAN_IN`] runs read at once (a tenth), and
    /// three batches of blobs are in the hands of the signature checker
    /// (a twentieth, each batch one blob over its size at most).
    pub fn of(total_bytes: usize) -> Self {
        Self {
            sort_bytes: (total_bytes / 8).max(1024),
            keep_bytes: total_bytes / 64,
            read_bytes: (total_bytes / 256).clamp(256, 128 << 10),
            batch_bytes: (total_bytes / 64).clamp(256, 256 << 10),
        }
    }
}

/// Where a buffered record is: offset in the arena, key and value lengths.
type Slot = (usize, u32, u32);

/// Collects records, then sorts them ([`Sorter::finish`]).
pub struct Sorter<'s> {
    scratch: &'s Scratch,
    meter: &'s Meter,
    budget: Budget,
    arena: Vec<u8>,
    index: Vec<Slot>,
    counted_bytes: usize,
    runs: Vec<PathBuf>,
}

impl<'s> Sorter<'s> {
    /// An empty sorter writing its runs into `scratch`.
    pub fn new(scratch: &'s Scratch, meter: &'s Meter, budget: Budget) -> Self {
        Self {
            scratch,
            meter,
            budget,
            arena: Vec::new(),
            index: Vec::new(),
            counted_bytes: 0,
            runs: Vec::new(),
        }
    }

    fn recount(&mut self) {
        let held = self.arena.capacity() + self.index.capacity() * INDEX_ENTRY_BYTES;
        if held > self.counted_bytes {
            self.meter.add(held - self.counted_bytes);
        } else {
            self.meter.sub(self.counted_bytes - held);
        }
        self.counted_bytes = held;
    }

    fn held_after(&self, record_bytes: usize) -> usize {
        self.arena.len() + record_bytes + (self.index.len() + 1) * INDEX_ENTRY_BYTES
    }

    /// Adds one record.
    ///
    /// # Errors
    /// `Io` writing a run.
    pub fn push(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let bytes = key.len() + value.len();
        if !self.index.is_empty() && self.held_after(bytes) > self.budget.sort_bytes {
            self.spill()?;
        }
        if self.arena.len() + bytes > self.arena.capacity() {
            // Grow at most to the budget (a record larger than it alone).
            let want = (self.arena.capacity() * 2)
                .max(self.arena.len() + bytes)
                .max(4096)
                .min(self.budget.sort_bytes.max(self.arena.len() + bytes));
            self.arena.reserve_exact(want - self.arena.len());
        }
        if self.index.len() == self.index.capacity() {
            let want = (self.index.capacity() * 2)
                .max(64)
                .min((self.budget.sort_bytes / INDEX_ENTRY_BYTES).max(self.index.len() + 1));
            self.index.reserve_exact(want - self.index.len());
        }
        let offset = self.arena.len();
        self.arena.extend_from_slice(key);
        self.arena.extend_from_slice(value);
        self.index
            .push((offset, len_u32(key.len())?, len_u32(value.len())?));
        self.recount();
        Ok(())
    }

    fn sort(&mut self) {
        let arena = &self.arena;
        self.index
            .sort_unstable_by(|a, b| record(arena, *a).cmp(&record(arena, *b)));
    }

    fn spill(&mut self) -> Result<()> {
        self.sort();
        let path = self.scratch.new_path();
        let file = File::create(&path).map_err(|e| FsError::io(&path, e))?;
        let mut w = BufWriter::with_capacity(self.budget.read_bytes, file);
        self.meter.add(self.budget.read_bytes);
        let written = (|| {
            for &entry in &self.index {
                let (k, v) = record(&self.arena, entry);
                write_record(&mut w, k, v)?;
            }
            w.flush()
        })();
        self.meter.sub(self.budget.read_bytes);
        written.map_err(|e| FsError::io(&path, e))?;
        self.scratch.count_run();
        self.runs.push(path);
        self.arena = Vec::new();
        self.index = Vec::new();
        self.recount();
        Ok(())
    }

    /// Sorts what was pushed: in memory if it is small and nothing was
    /// written yet, else as run files merged down to at most [`FAN_IN`].
    ///
    /// # Errors
    /// `Io` writing or reading runs.
    pub fn finish(mut self) -> Result<Sorted<'s>> {
        let small =
            self.arena.len() + self.index.len() * INDEX_ENTRY_BYTES <= self.budget.keep_bytes;
        if self.runs.is_empty() && small {
            self.sort();
            self.arena.shrink_to_fit();
            self.index.shrink_to_fit();
            self.recount();
            let counted = std::mem::take(&mut self.counted_bytes);
            return Ok(Sorted {
                meter: self.meter,
                budget: self.budget,
                memory: Some((
                    std::mem::take(&mut self.arena),
                    std::mem::take(&mut self.index),
                )),
                counted_bytes: counted,
                runs: Vec::new(),
            });
        }
        if !self.index.is_empty() {
            self.spill()?;
        }
        let mut runs = std::mem::take(&mut self.runs);
        while runs.len() > FAN_IN {
            let mut merged = Vec::new();
            for group in runs.chunks(FAN_IN) {
                merged.push(self.merge_to_run(group)?);
            }
            for old in &runs {
                // Best effort: the scratch directory goes at the end anyway.
                let _ = std::fs::remove_file(old);
            }
            runs = merged;
        }
        Ok(Sorted {
            meter: self.meter,
            budget: self.budget,
            memory: None,
            counted_bytes: 0,
            runs,
        })
    }

    fn merge_to_run(&self, group: &[PathBuf]) -> Result<PathBuf> {
        let sorted = Sorted {
            meter: self.meter,
            budget: self.budget,
            memory: None,
            counted_bytes: 0,
            runs: group.to_vec(),
        };
        let path = self.scratch.new_path();
        let file = File::create(&path).map_err(|e| FsError::io(&path, e))?;
        let mut w = BufWriter::with_capacity(self.budget.read_bytes, file);
        self.meter.add(self.budget.read_bytes);
        let mut it = sorted.iter()?;
        let mut result = Ok(());
        while it.valid() {
            if let Err(e) = write_record(&mut w, it.key(), it.value()) {
                result = Err(FsError::io(&path, e));
                break;
            }
            if let Err(e) = it.advance() {
                result = Err(e);
                break;
            }
        }
        if result.is_ok() {
            result = w.flush().map_err(|e| FsError::io(&path, e));
        }
        self.meter.sub(self.budget.read_bytes);
        result?;
        self.scratch.count_run();
        Ok(path)
    }
}

impl Drop for Sorter<'_> {
    fn drop(&mut self) {
        self.meter.sub(self.counted_bytes);
    }
}

fn len_u32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| FsError::Usage(format!("a scan record of {n} bytes")))
}

fn record(arena: &[u8], (offset, klen, vlen): Slot) -> (&[u8], &[u8]) {
    let k_end = offset + klen as usize;
    (&arena[offset..k_end], &arena[k_end..k_end + vlen as usize])
}

fn write_record(w: &mut impl Write, k: &[u8], v: &[u8]) -> std::io::Result<()> {
    // Lengths fit u32: push checked them.
    w.write_all(&(k.len() as u32).to_le_bytes())?;
    w.write_all(&(v.len() as u32).to_le_bytes())?;
    w.write_all(k)?;
    w.write_all(v)
}

/// Sorted records, read (any number of times) with [`Sorted::iter`].
pub struct Sorted<'s> {
    meter: &'s Meter,
    budget: Budget,
    memory: Option<(Vec<u8>, Vec<Slot>)>,
    counted_bytes: usize,
    runs: Vec<PathBuf>,
}

impl Drop for Sorted<'_> {
    fn drop(&mut self) {
        self.meter.sub(self.counted_bytes);
        for run in &self.runs {
            // Best effort: the scratch directory goes at the end anyway.
            let _ = std::fs::remove_file(run);
        }
    }
}

impl<'s> Sorted<'s> {
    /// A cursor on the first record (in key, then value, order).
    ///
    /// # Errors
    /// `Io` opening or reading a run.
    pub fn iter(&self) -> Result<SortedIter<'_>> {
        let mut it = match &self.memory {
            Some((arena, index)) => SortedIter {
                source: Source::Memory {
                    arena,
                    index,
                    at: 0,
                },
                meter: self.meter,
                counted_bytes: 0,
            },
            None => {
                let mut readers = Vec::with_capacity(self.runs.len());
                for path in &self.runs {
                    let file = File::open(path).map_err(|e| FsError::io(path, e))?;
                    readers.push(RunReader {
                        path: path.clone(),
                        reader: BufReader::with_capacity(self.budget.read_bytes, file),
                        key: Vec::new(),
                        value: Vec::new(),
                        live: true,
                    });
                }
                let counted = readers.len() * self.budget.read_bytes;
                self.meter.add(counted);
                SortedIter {
                    source: Source::Runs {
                        readers,
                        current: None,
                        started: false,
                    },
                    meter: self.meter,
                    counted_bytes: counted,
                }
            }
        };
        it.advance()?;
        Ok(it)
    }
}

struct RunReader {
    path: PathBuf,
    reader: BufReader<File>,
    key: Vec<u8>,
    value: Vec<u8>,
    live: bool,
}

impl RunReader {
    fn read_next(&mut self) -> Result<()> {
        let io = |e| FsError::io(&self.path, e);
        let mut lens = [0u8; 8];
        match self.reader.read_exact(&mut lens[..1]) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                self.live = false;
                return Ok(());
            }
            Err(e) => return Err(io(e)),
        }
        self.reader.read_exact(&mut lens[1..]).map_err(io)?;
        let klen = u32::from_le_bytes([lens[0], lens[1], lens[2], lens[3]]) as usize;
        let vlen = u32::from_le_bytes([lens[4], lens[5], lens[6], lens[7]]) as usize;
        self.key.resize(klen, 0);
        self.reader.read_exact(&mut self.key).map_err(io)?;
        self.value.resize(vlen, 0);
        self.reader.read_exact(&mut self.value).map_err(io)?;
        Ok(())
    }
}

enum Source<'a> {
    Memory {
        arena: &'a [u8],
        index: &'a [Slot],
        /// One past the current record.
        at: usize,
    },
    Runs {
        readers: Vec<RunReader>,
        current: Option<usize>,
        started: bool,
    },
}

/// A cursor over [`Sorted`] records.
pub struct SortedIter<'a> {
    source: Source<'a>,
    meter: &'a Meter,
    counted_bytes: usize,
}

impl Drop for SortedIter<'_> {
    fn drop(&mut self) {
        self.meter.sub(self.counted_bytes);
    }
}

impl SortedIter<'_> {
    /// True while on a record.
    pub fn valid(&self) -> bool {
        match &self.source {
            Source::Memory { index, at, .. } => *at >= 1 && *at <= index.len(),
            Source::Runs { current, .. } => current.is_some(),
        }
    }

    fn current(&self) -> (&[u8], &[u8]) {
        match &self.source {
            Source::Memory { arena, index, at } => record(arena, index[*at - 1]),
            Source::Runs {
                readers, current, ..
            } => {
                let r = &readers[current.expect("valid cursor")];
                (&r.key, &r.value)
            }
        }
    }

    /// The current record's key (requires [`SortedIter::valid`]).
    pub fn key(&self) -> &[u8] {
        self.current().0
    }

    /// The current record's value (requires [`SortedIter::valid`]).
    pub fn value(&self) -> &[u8] {
        self.current().1
    }

    /// Moves to the next record (the first, on a new cursor).
    ///
    /// # Errors
    /// `Io` reading a run.
    pub fn advance(&mut self) -> Result<()> {
        match &mut self.source {
            Source::Memory { index, at, .. } => {
                if *at <= index.len() {
                    *at += 1;
                }
            }
            Source::Runs {
                readers,
                current,
                started,
            } => {
                if !*started {
                    *started = true;
                    for r in readers.iter_mut() {
                        r.read_next()?;
                    }
                } else if let Some(i) = *current {
                    readers[i].read_next()?;
                }
                *current = readers
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.live)
                    .min_by(|(_, a), (_, b)| (&a.key, &a.value).cmp(&(&b.key, &b.value)))
                    .map(|(i, _)| i);
            }
        }
        Ok(())
    }

    /// Advances past every record whose key sorts before `target`.
    ///
    /// # Errors
    /// As [`SortedIter::advance`].
    pub fn skip_before(&mut self, target: &[u8]) -> Result<()> {
        while self.valid() && self.key() < target {
            self.advance()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn sorted_all(s: &Sorted<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut it = s.iter().expect("iter");
        let mut out = Vec::new();
        while it.valid() {
            out.push((it.key().to_vec(), it.value().to_vec()));
            it.advance().expect("advance");
        }
        out
    }

    #[test]
    fn sorts_in_memory_and_through_many_runs() {
        for (seed, total_bytes, n) in [(1u64, 1 << 20, 200usize), (2, 4096, 5000), (3, 2048, 1)] {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let tmp = std::env::temp_dir();
            let scratch = Scratch::new(&tmp).expect("scratch");
            let meter = Meter::default();
            let budget = Budget::of(total_bytes);
            let mut sorter = Sorter::new(&scratch, &meter, budget);
            let mut expected = Vec::new();
            for _ in 0..n {
                let k: Vec<u8> = (0..rng.gen_range(0..12))
                    .map(|_| rng.gen_range(0..4))
                    .collect();
                let v: Vec<u8> = (0..rng.gen_range(0..20)).map(|_| rng.gen()).collect();
                sorter.push(&k, &v).expect("push");
                expected.push((k, v));
            }
            expected.sort();
            let sorted = sorter.finish().expect("finish");
            assert_eq!(sorted_all(&sorted), expected, "seed {seed}");
            assert_eq!(sorted_all(&sorted), expected, "seed {seed}: read twice");
            if n == 5000 {
                assert!(
                    scratch.runs_written() > FAN_IN as u64,
                    "seed {seed}: spilled"
                );
            }
            drop(sorted);
            assert_eq!(
                meter.now_bytes.load(Ordering::Relaxed),
                0,
                "seed {seed}: all returned"
            );
        }
    }
}
