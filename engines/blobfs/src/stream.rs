//! Streaming writes: a file's new version built while its bytes arrive,
//! with a few chunks in memory whatever the file's size.
//!
//! A [`StreamWriter`] stands for one file's content while it is being
//! changed. It starts over a *base* (the stored version, or nothing) and
//! holds the new content as three pieces: the chunks already cut and
//! stored (`[0, frontier)`), a *tail* of bytes not yet cut (`[frontier,
//! frontier + tail)`), and the base from there on (zeros past the base's
//! end or a truncation). Bytes written are copied into the tail; as soon
//! as the tail holds `max_bytes` the content-defined chunker
//! ([`ChunkerConfig::cut_point`]) cuts the next chunk, which is stored as
//! a blob at once. A chunk's cut depends only on the bytes from its start
//! to the cut, so the cuts are exactly those of chunking the whole new
//! content in one go: writing 10 GiB stores the same blobs as
//! [`BlobFs::write_file`] would, holding at most two chunks' worth of
//! bytes (plus one chunk of the base being read).
//!
//! [`StreamWriter::commit`] cuts what is left and commits the version (one
//! signed `file` blob and claim naming the stored chunks, through
//! `BlobFs::write_parts`). Until then nothing refers to the new chunks: a
//! crash before the commit leaves the previous version as it was (the
//! chunks stay unreferenced and harmless), and a committed version is
//! complete, since its chunks were written before its claim.
//!
//! Writes need not be sequential:
//! - **Forward** (past the tail's end): the bytes in between are taken
//!   from the base. Whenever the frontier reaches a base part boundary
//!   with no written byte after it, the base's parts are reused as they
//!   are, up to the part holding the write, without reading them: a
//!   write in the middle of a large file re-stores only the chunks around
//!   it, and unchanged chunks are shared.
//! - **Backward** (before the frontier, into chunks already stored): the
//!   writer finishes the content so far into parts (re-storing the
//!   chunks around its tail until the cuts meet the base's again) and
//!   takes that as its new base, in memory only (no version is
//!   committed), then goes forward to the write as above. Memory stays
//!   bounded; the cost is a few chunks per backward jump.
//! - **Truncation** cuts the tail and the base; growing reads zeros.

use crate::blob::BlobRef;
use crate::chunk::ChunkerConfig;
use crate::error::Result;
use crate::fs::{BlobFs, WriteReport};
use crate::schema::Parts;
use crate::time::ClaimTime;
use strata_api::{ReadOptions, WriteOptions};

/// Parts with their start offsets, to find the part holding a byte.
#[derive(Debug, Clone, Default)]
struct Layout {
    parts: Vec<(BlobRef, u64)>,
    starts: Vec<u64>,
    size_bytes: u64,
}

impl Layout {
    fn of(parts: &Parts) -> Self {
        let mut layout = Layout::default();
        for &(r, len) in &parts.parts {
            layout.push(r, len);
        }
        layout
    }

    fn push(&mut self, r: BlobRef, len: u64) {
        self.parts.push((r, len));
        self.starts.push(self.size_bytes);
        self.size_bytes += len;
    }

    /// The index of the part holding byte `pos` (`pos < size_bytes`).
    fn part_at(&self, pos: u64) -> usize {
        self.starts.partition_point(|s| *s <= pos).saturating_sub(1)
    }

    /// The index of the part starting at `pos`, if one does.
    fn starting_at(&self, pos: u64) -> Option<usize> {
        self.starts.binary_search(&pos).ok()
    }

    fn end(&self, index: usize) -> u64 {
        self.starts[index] + self.parts[index].1
    }

    /// Appends bytes `[pos, to)` (within one part) to `out`, reading and
    /// verifying that part's chunk.
    fn read_into(&self, fs: &BlobFs, pos: u64, to: u64, out: &mut Vec<u8>) -> Result<u64> {
        let ro = ReadOptions::default();
        let j = self.part_at(pos);
        let (r, len) = self.parts[j];
        let part_start = self.starts[j];
        let to = to.min(part_start + len);
        let chunk = fs.fetch_chunk(&ro, &r, len)?;
        out.extend_from_slice(&chunk[(pos - part_start) as usize..(to - part_start) as usize]);
        Ok(to)
    }

    fn to_parts(&self) -> Parts {
        Parts {
            parts: self.parts.clone(),
            size_bytes: self.size_bytes,
        }
    }
}

/// One file's new content, chunked and stored as it is written (see the
/// module docs). Every method that may store or read chunks takes the
/// store it works on; use one store per writer.
#[derive(Debug)]
pub struct StreamWriter {
    chunker: ChunkerConfig,
    /// The content the writer started from (or last finished).
    base: Layout,
    /// Bytes of the base that still count; past them the content is zeros.
    base_len: u64,
    /// New chunks, stored, covering `[0, frontier)`.
    done: Layout,
    /// Bytes `[frontier, frontier + tail_len)` are `buf[start..]`.
    buf: Vec<u8>,
    start: usize,
    /// The end of the bytes written since the base: from here on the
    /// content is the base's (or zeros).
    dirty_end: u64,
    /// The content's length.
    size_bytes: u64,
    /// One base chunk, read while copying base bytes into the tail.
    cache: Option<(usize, Vec<u8>)>,
    /// Chunks stored since the last commit.
    stored: WriteReport,
}

impl StreamWriter {
    /// A writer for an empty file.
    pub fn new(chunker: ChunkerConfig) -> Self {
        Self::over_parts(
            chunker,
            Parts {
                parts: Vec::new(),
                size_bytes: 0,
            },
        )
    }

    /// A writer whose content starts as the file made of `base`.
    pub fn over_parts(chunker: ChunkerConfig, base: Parts) -> Self {
        StreamWriter {
            chunker,
            base_len: base.size_bytes,
            size_bytes: base.size_bytes,
            base: Layout::of(&base),
            done: Layout::default(),
            buf: Vec::new(),
            start: 0,
            dirty_end: 0,
            cache: None,
            stored: WriteReport::default(),
        }
    }

    /// A writer over the current version of file `path` in `fs` (empty if
    /// there is no such file).
    ///
    /// # Errors
    /// `IsADirectory`; `NotADirectory` for a file on the way; the store's
    /// read errors.
    pub fn over(fs: &BlobFs, path: &str) -> Result<Self> {
        let chunker = fs.config().chunker;
        if !fs.exists(path, None)? {
            return Ok(Self::new(chunker));
        }
        let stat = fs.stat(path, None)?;
        let Some(content) = stat.content else {
            return Err(crate::FsError::IsADirectory(path.to_string()));
        };
        let (_, parts) = fs.load_file(&ReadOptions::default(), &content)?;
        Ok(Self::over_parts(chunker, parts))
    }

    /// The content's length.
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    /// Bytes held in memory now (the tail and the cached base chunk): at
    /// most about three times the chunker's `max_bytes`, whatever was
    /// written.
    pub fn buffered_bytes(&self) -> usize {
        self.buf.len() + self.cache.as_ref().map_or(0, |(_, c)| c.len())
    }

    /// Bytes stored as chunks so far for the content (`[0, frontier)`).
    pub fn stored_prefix_bytes(&self) -> u64 {
        self.done.size_bytes
    }

    fn max(&self) -> usize {
        self.chunker.max_bytes as usize
    }

    fn tail(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn frontier(&self) -> u64 {
        self.done.size_bytes
    }

    fn pending_end(&self) -> u64 {
        self.frontier() + self.tail().len() as u64
    }

    fn clear_tail(&mut self) {
        self.buf.clear();
        self.start = 0;
    }

    /// Stores the first `n` bytes of the tail as the next chunk.
    fn store(&mut self, fs: &BlobFs, n: usize) -> Result<()> {
        let chunk = &self.buf[self.start..self.start + n];
        let (r, new) = fs.blobs.put(&WriteOptions::default(), chunk)?;
        if new {
            self.stored.chunks_new += 1;
            self.stored.blobs_new += 1;
            self.stored.bytes_new += n as u64;
        }
        self.done.push(r, n as u64);
        self.start += n;
        // Drop the cut bytes once they outweigh what is left, so the
        // buffer never holds more than two chunks and moves each byte
        // about once.
        if self.start >= self.max() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        Ok(())
    }

    /// Cuts and stores every chunk the tail already determines (while it
    /// holds `max_bytes`: a cut depends on nothing after it).
    fn cut_full(&mut self, fs: &BlobFs, skip_limit: u64) -> Result<()> {
        let max = self.max();
        while self.tail().len() >= max {
            let n = self.chunker.cut_point(&self.tail()[..max]);
            self.store(fs, n)?;
            self.skip_base(skip_limit);
        }
        Ok(())
    }

    /// Reuses the base's parts from the frontier on, up to `limit`, when
    /// the frontier is a base part boundary and nothing was written past
    /// it: the content from there is the base's, and a cut depends only on
    /// the bytes since the chunk's start, so chunking it again would give
    /// those very parts. The base's last part (cut by the end of the base,
    /// not by its content) is reused only where the content ends too.
    fn skip_base(&mut self, limit: u64) {
        let frontier = self.frontier();
        if frontier < self.dirty_end || frontier >= self.base_len {
            return;
        }
        let Some(mut j) = self.base.starting_at(frontier) else {
            return;
        };
        let bound = limit.min(self.base_len);
        let mut skipped = false;
        while j < self.base.parts.len() {
            let end = self.base.end(j);
            let last = end == self.base.size_bytes;
            if end > bound || (last && self.size_bytes != end) {
                break;
            }
            let (r, len) = self.base.parts[j];
            self.done.push(r, len);
            j += 1;
            skipped = true;
        }
        if skipped {
            // The tail held base bytes only; they are in the parts now.
            self.clear_tail();
        }
    }

    /// Base chunk `index`, read (and verified) once.
    fn base_chunk(&mut self, fs: &BlobFs, index: usize) -> Result<Vec<u8>> {
        match self.cache.take() {
            Some((i, chunk)) if i == index => Ok(chunk),
            _ => {
                let (r, len) = self.base.parts[index];
                fs.fetch_chunk(&ReadOptions::default(), &r, len)
            }
        }
    }

    /// Extends the tail with the content up to `upto` (base bytes, then
    /// zeros), cutting chunks as it fills and reusing base parts up to
    /// `upto` where it can.
    fn pull(&mut self, fs: &BlobFs, upto: u64) -> Result<()> {
        self.skip_base(upto);
        let max = self.max() as u64;
        while self.pending_end() < upto {
            let pe = self.pending_end();
            let piece_end = upto.min(pe + max);
            if pe < self.base_len {
                let j = self.base.part_at(pe);
                let part_start = self.base.starts[j];
                let end = piece_end.min(self.base.end(j)).min(self.base_len);
                let chunk = self.base_chunk(fs, j)?;
                self.buf.extend_from_slice(
                    &chunk[(pe - part_start) as usize..(end - part_start) as usize],
                );
                self.cache = Some((j, chunk));
            } else {
                self.buf
                    .resize(self.buf.len() + (piece_end - pe) as usize, 0);
            }
            self.cut_full(fs, upto)?;
        }
        Ok(())
    }

    /// Writes `data` at `offset` (zeros fill a gap past the end).
    ///
    /// # Errors
    /// The store's errors while storing chunks or reading base chunks.
    pub fn write(&mut self, fs: &BlobFs, offset: u64, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        if offset < self.frontier() {
            self.rewind(fs, offset)?;
        }
        // The new length first: the base's last part is reused only if the
        // content still ends where it does.
        let end = offset + data.len() as u64;
        self.size_bytes = self.size_bytes.max(end);
        if offset > self.pending_end() {
            self.pull(fs, offset)?;
        }
        let mut pos = offset;
        for piece in data.chunks(self.max()) {
            // frontier <= pos <= pending end: cuts stop at the tail's end
            // and nothing is skipped while writing.
            let at = self.start + (pos - self.frontier()) as usize;
            let overlap = (self.buf.len() - at).min(piece.len());
            self.buf[at..at + overlap].copy_from_slice(&piece[..overlap]);
            self.buf.extend_from_slice(&piece[overlap..]);
            pos += piece.len() as u64;
            self.dirty_end = self.dirty_end.max(pos);
            self.cut_full(fs, 0)?;
        }
        Ok(())
    }

    /// Sets the length to `size_bytes` (cutting, or extending with zeros).
    ///
    /// # Errors
    /// As [`StreamWriter::write`].
    pub fn truncate(&mut self, fs: &BlobFs, size_bytes: u64) -> Result<()> {
        if size_bytes == 0 {
            *self = Self::new(self.chunker);
            return Ok(());
        }
        if size_bytes >= self.size_bytes {
            // Past base_len (<= the old size) the content reads as zeros.
            self.size_bytes = size_bytes;
            return Ok(());
        }
        if size_bytes < self.frontier() {
            self.rewind(fs, size_bytes)?;
        }
        if size_bytes < self.pending_end() {
            let keep = self.start + (size_bytes - self.frontier()) as usize;
            self.buf.truncate(keep);
        }
        self.base_len = self.base_len.min(size_bytes);
        self.dirty_end = self.dirty_end.min(size_bytes);
        self.size_bytes = size_bytes;
        Ok(())
    }

    /// Makes the content so far the base and goes forward to `offset`, so
    /// that the frontier is at or before it.
    fn rewind(&mut self, fs: &BlobFs, offset: u64) -> Result<()> {
        self.finish(fs)?;
        self.pull(fs, offset)
    }

    /// Cuts and stores the rest of the content; returns its parts, which
    /// become the base of what is written next. Nothing is committed.
    ///
    /// # Errors
    /// As [`StreamWriter::write`].
    pub fn finish(&mut self, fs: &BlobFs) -> Result<Parts> {
        self.pull(fs, self.size_bytes)?;
        while !self.tail().is_empty() {
            let n = self.chunker.cut_point(&self.tail()[..self.tail().len()]);
            self.store(fs, n)?;
        }
        let parts = self.done.to_parts();
        debug_assert_eq!(parts.size_bytes, self.size_bytes);
        let stored = std::mem::take(&mut self.stored);
        *self = Self::over_parts(self.chunker, parts.clone());
        self.stored = stored;
        Ok(parts)
    }

    /// Finishes the content and commits it as the new version of file
    /// `path` at `at` (`None`: now), creating the file if absent. The
    /// report counts the chunks this writer stored since the last commit.
    ///
    /// # Errors
    /// As [`StreamWriter::write`]; then as [`BlobFs::write_file`]. After a
    /// failed commit the content is kept: a later commit may succeed.
    pub fn commit(
        &mut self,
        fs: &BlobFs,
        path: &str,
        at: Option<ClaimTime>,
    ) -> Result<WriteReport> {
        let parts = self.finish(fs)?;
        let mut report = fs.write_parts(path, &parts.parts, at)?;
        let stored = std::mem::take(&mut self.stored);
        report.chunks_total = parts.parts.len() as u64;
        report.bytes_total = parts.size_bytes;
        report.chunks_new += stored.chunks_new;
        report.blobs_new += stored.blobs_new;
        report.bytes_new += stored.bytes_new;
        Ok(report)
    }

    /// Up to `len_bytes` bytes of the content from `offset_bytes` (fewer
    /// at the end, none past it).
    ///
    /// # Errors
    /// The store's errors reading (and verifying) chunks.
    pub fn read(&self, fs: &BlobFs, offset_bytes: u64, len_bytes: u64) -> Result<Vec<u8>> {
        let end = offset_bytes.saturating_add(len_bytes).min(self.size_bytes);
        let mut out = Vec::with_capacity(end.saturating_sub(offset_bytes) as usize);
        let mut pos = offset_bytes;
        while pos < end {
            pos = if pos < self.frontier() {
                self.done
                    .read_into(fs, pos, end.min(self.frontier()), &mut out)?
            } else if pos < self.pending_end() {
                let to = end.min(self.pending_end());
                let at = self.start + (pos - self.frontier()) as usize;
                out.extend_from_slice(&self.buf[at..at + (to - pos) as usize]);
                to
            } else if pos < self.base_len {
                self.base
                    .read_into(fs, pos, end.min(self.base_len), &mut out)?
            } else {
                out.resize(out.len() + (end - pos) as usize, 0);
                end
            };
        }
        Ok(out)
    }
}

/// One version of a file opened for reading: its parts are loaded once,
/// and each read fetches (and verifies) only the chunks it covers — where
/// [`BlobFs::read_range`] loads the whole `file` blob every call, which for
/// a 4 GiB file is 6 MB of JSON per 128 KiB a FUSE read asks for.
#[derive(Debug, Clone)]
pub struct FileReader {
    content: BlobRef,
    layout: Layout,
}

impl FileReader {
    /// File `path` as of `at` (`None`: now).
    ///
    /// # Errors
    /// `NotFound`; `IsADirectory`; the store's read errors.
    pub fn open(fs: &BlobFs, path: &str, at: Option<ClaimTime>) -> Result<Self> {
        let stat = fs.stat(path, at)?;
        let Some(content) = stat.content else {
            return Err(crate::FsError::IsADirectory(path.to_string()));
        };
        let (_, parts) = fs.load_file(&ReadOptions::default(), &content)?;
        Ok(FileReader {
            content,
            layout: Layout::of(&parts),
        })
    }

    /// The `file` blob read.
    pub fn content(&self) -> BlobRef {
        self.content
    }

    /// The file's length.
    pub fn size_bytes(&self) -> u64 {
        self.layout.size_bytes
    }

    /// The version's chunks, (ref, length) in file order.
    pub fn parts(&self) -> &[(BlobRef, u64)] {
        &self.layout.parts
    }

    /// Up to `len_bytes` bytes from `offset_bytes` (fewer at the end, none
    /// past it).
    ///
    /// # Errors
    /// The store's errors reading (and verifying) chunks.
    pub fn read(&self, fs: &BlobFs, offset_bytes: u64, len_bytes: u64) -> Result<Vec<u8>> {
        let end = offset_bytes
            .saturating_add(len_bytes)
            .min(self.layout.size_bytes);
        let mut out = Vec::with_capacity(end.saturating_sub(offset_bytes) as usize);
        let mut pos = offset_bytes;
        while pos < end {
            pos = self.layout.read_into(fs, pos, end, &mut out)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FsConfig, Signer};
    use rand::{Rng, RngCore, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;
    use std::sync::Arc;
    use strata_api::{EngineSpec, Env, MemEnv};

    const SMALL: ChunkerConfig = ChunkerConfig {
        min_bytes: 256,
        avg_bytes: 1024,
        max_bytes: 4096,
    };

    fn store() -> BlobFs {
        let spec = EngineSpec::parse("lsm").expect("spec");
        let env: Arc<dyn Env> = Arc::new(MemEnv::new());
        let options = strata_lsm::DbOptions::from_spec(&spec, env).expect("options");
        let engine = Arc::new(strata_lsm::Db::open(options, "/db").expect("engine"));
        let config = FsConfig {
            chunker: SMALL,
            ..FsConfig::default()
        };
        BlobFs::init(engine, Signer::generate(), config).expect("init")
    }

    fn random_bytes(rng: &mut Xoshiro256PlusPlus, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        rng.fill_bytes(&mut v);
        v
    }

    /// The parts of chunking `data` whole, as `write_file` would.
    fn whole_chunking(data: &[u8]) -> Vec<(BlobRef, u64)> {
        let mut parts = Vec::new();
        let mut at = 0;
        for n in SMALL.chunk_lengths(data) {
            parts.push((BlobRef::of(&data[at..at + n]), n as u64));
            at += n;
        }
        parts
    }

    fn overwrite(model: &mut Vec<u8>, offset: usize, data: &[u8]) {
        if model.len() < offset + data.len() {
            model.resize(offset + data.len(), 0);
        }
        model[offset..offset + data.len()].copy_from_slice(data);
    }

    #[test]
    fn sequential_writes_cut_the_chunks_of_the_whole_content_and_hold_two_chunks() {
        let fs = store();
        for seed in 0..40u64 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let total = rng.gen_range(0..200_000usize);
            let data = random_bytes(&mut rng, total);
            let mut w = StreamWriter::new(SMALL);
            let mut at = 0;
            let mut peak = 0;
            while at < total {
                // FUSE sends at most 128 KiB per write; anything goes here.
                let n = rng.gen_range(1..=9000usize).min(total - at);
                w.write(&fs, at as u64, &data[at..at + n]).expect("write");
                at += n;
                peak = peak.max(w.buffered_bytes());
                assert!(
                    w.stored_prefix_bytes() + 2 * 4096 >= at as u64,
                    "seed {seed}: chunks are stored as the bytes arrive"
                );
            }
            assert!(
                peak <= 2 * 4096 + 9000,
                "seed {seed}: buffered {peak} bytes"
            );
            let parts = w.finish(&fs).expect("finish");
            assert_eq!(parts.size_bytes, total as u64, "seed {seed}");
            assert_eq!(parts.parts, whole_chunking(&data), "seed {seed}");
            let path = format!("/seq{seed}");
            let mut w = StreamWriter::over_parts(SMALL, parts);
            let report = w.commit(&fs, &path, None).expect("commit");
            assert_eq!(report.bytes_total, total as u64, "seed {seed}");
            assert_eq!(fs.read(&path, None).expect("read"), data, "seed {seed}");
        }
    }

    /// Random writes (forward, backward, past the end), truncations and
    /// reads over a stored base, against a model: the content is right at
    /// every step, and once finished the parts are exactly those of
    /// chunking the whole content, whatever the order of the writes.
    #[test]
    fn random_writes_and_truncations_match_a_model_and_whole_chunking() {
        let fs = store();
        for seed in 0..60u64 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(1000 + seed);
            let path = format!("/f{seed}");
            let base_len = rng.gen_range(0..60_000usize);
            let mut model = random_bytes(&mut rng, base_len);
            fs.write_file(&path, &model, None).expect("base");
            let mut w = StreamWriter::over(&fs, &path).expect("over");
            for step in 0..rng.gen_range(1..40) {
                let len = model.len();
                match rng.gen_range(0..10) {
                    0..=5 => {
                        let offset = rng.gen_range(0..=len + 3000);
                        let n = rng.gen_range(1..6000);
                        let data = random_bytes(&mut rng, n);
                        w.write(&fs, offset as u64, &data).expect("write");
                        overwrite(&mut model, offset, &data);
                    }
                    6 => {
                        // Sequential: append.
                        let n = rng.gen_range(1..10_000);
                        let data = random_bytes(&mut rng, n);
                        w.write(&fs, len as u64, &data).expect("append");
                        model.extend_from_slice(&data);
                    }
                    7 => {
                        let n = rng.gen_range(0..=len + 5000);
                        w.truncate(&fs, n as u64).expect("truncate");
                        model.resize(n, 0);
                    }
                    8 => {
                        let offset = rng.gen_range(0..=len);
                        let n = rng.gen_range(0..9000);
                        let got = w.read(&fs, offset as u64, n).expect("read");
                        let to = (offset + n as usize).min(len);
                        assert_eq!(got, &model[offset..to], "seed {seed} step {step}: read");
                    }
                    _ => {
                        let parts = w.finish(&fs).expect("finish");
                        assert_eq!(
                            parts.parts,
                            whole_chunking(&model),
                            "seed {seed} step {step}"
                        );
                    }
                }
                assert_eq!(
                    w.size_bytes(),
                    model.len() as u64,
                    "seed {seed} step {step}"
                );
                assert!(
                    w.buffered_bytes() <= 3 * 4096 + 6000,
                    "seed {seed} step {step}"
                );
            }
            let all = w.read(&fs, 0, u64::MAX).expect("read all");
            assert_eq!(all, model, "seed {seed}: content before commit");
            w.commit(&fs, &path, None).expect("commit");
            let stored = fs.stat(&path, None).expect("stat").content.expect("file");
            let (_, parts) = fs
                .load_file(&ReadOptions::default(), &stored)
                .expect("load");
            assert_eq!(
                parts.parts,
                whole_chunking(&model),
                "seed {seed}: committed parts"
            );
            assert_eq!(fs.read(&path, None).expect("read"), model, "seed {seed}");
        }
    }

    #[test]
    fn an_edit_in_a_large_file_stores_only_the_chunks_around_it() {
        let fs = store();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let data = random_bytes(&mut rng, 1 << 20);
        fs.write_file("/big", &data, None).expect("base");
        let mut w = StreamWriter::over(&fs, "/big").expect("over");
        w.write(&fs, 500_000, b"an edit").expect("write");
        assert!(
            w.buffered_bytes() <= 3 * 4096,
            "the base is not read but around the edit"
        );
        let report = w.commit(&fs, "/big", None).expect("commit");
        assert!(
            (1..=3).contains(&report.chunks_new),
            "{} new chunks",
            report.chunks_new
        );
        assert!(report.bytes_new <= 3 * 4096);
        let mut model = data.clone();
        overwrite(&mut model, 500_000, b"an edit");
        assert_eq!(fs.read("/big", None).expect("read"), model);

        // An append re-cuts the old last chunk only.
        let mut w = StreamWriter::over(&fs, "/big").expect("over");
        w.write(&fs, model.len() as u64, b"tail").expect("append");
        let report = w.commit(&fs, "/big", None).expect("commit");
        assert!(report.chunks_new <= 2, "{} new chunks", report.chunks_new);
        model.extend_from_slice(b"tail");
        assert_eq!(fs.read("/big", None).expect("read"), model);
        // A writer that wrote nothing commits the same parts.
        let mut w = StreamWriter::over(&fs, "/big").expect("over");
        let report = w.commit(&fs, "/big", None).expect("commit");
        assert_eq!(report.chunks_new, 0);
    }

    #[test]
    fn a_reader_reads_any_range_of_one_version() {
        let fs = store();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let data = random_bytes(&mut rng, 100_000);
        fs.write_file("/r", &data, None).expect("write");
        let t = chrono::Utc::now();
        let reader = FileReader::open(&fs, "/r", None).expect("open");
        fs.write_file("/r", b"later", None).expect("rewrite");
        assert_eq!(reader.size_bytes(), 100_000);
        for _ in 0..200 {
            let offset = rng.gen_range(0..110_000u64);
            let len = rng.gen_range(0..20_000u64);
            let to = (offset + len).min(100_000) as usize;
            let want = data.get(offset as usize..to).unwrap_or(&[]);
            assert_eq!(reader.read(&fs, offset, len).expect("read"), want);
        }
        let past = FileReader::open(&fs, "/r", Some(t)).expect("past");
        assert_eq!(past.content(), reader.content());
        assert_eq!(past.parts(), reader.parts());
        assert_eq!(
            reader.parts().iter().map(|p| p.1).sum::<u64>(),
            100_000,
            "the parts cover the file"
        );
        assert_eq!(past.read(&fs, 0, u64::MAX).expect("all"), data);
        assert!(FileReader::open(&fs, "/", None).is_err());
    }

    #[test]
    fn nothing_is_visible_before_the_commit() {
        let fs = store();
        fs.write_file("/f", b"old version", None).expect("base");
        let mut w = StreamWriter::over(&fs, "/f").expect("over");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let data = random_bytes(&mut rng, 50_000);
        w.write(&fs, 0, &data).expect("write");
        assert!(w.stored_prefix_bytes() > 0, "chunks were stored");
        assert_eq!(fs.read("/f", None).expect("read"), b"old version");
        drop(w); // a crash before close
        assert_eq!(fs.read("/f", None).expect("read"), b"old version");
        assert_eq!(fs.history("/f").expect("history").len(), 1);
        let mut w = StreamWriter::over(&fs, "/f").expect("over");
        w.truncate(&fs, 0).expect("truncate");
        w.write(&fs, 0, &data).expect("write");
        w.commit(&fs, "/f", None).expect("commit");
        assert_eq!(fs.read("/f", None).expect("read"), data);
        assert!(StreamWriter::over(&fs, "/").is_err(), "a directory");
    }
}
