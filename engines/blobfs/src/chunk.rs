//! Content-defined chunking with a Gear rolling hash (as in FastCDC).
//!
//! The hash is `h = (h << 1) + GEAR[byte]`, so its top 32 bits depend only
//! on the last 64 bytes. No cut is considered in the first `min_bytes` of a
//! chunk; after that a chunk ends after the first byte at which the top 32
//! bits of `h` fall below `2^32 / (avg_bytes - min_bytes)`, and `max_bytes`
//! forces a cut. The expected chunk length is therefore about `avg_bytes`
//! (a little less, because `max_bytes` truncates the tail; the unit test
//! measures it), and no chunk but a file's last leaves
//! `[min_bytes, max_bytes]`.
//!
//! A cut depends only on the 64 bytes before it and on the chunk having
//! reached `min_bytes`, so after an edit the cuts line up again at the first
//! old cut point found past `min_bytes` from the new chunk start: a one-byte
//! edit stores one new chunk, sometimes two. FastCDC's "normalized chunking"
//! (a harder test before the average, an easier one after) is deliberately
//! not used: it narrows the size spread but makes a cut depend on the
//! distance from the chunk start, and measured on random data it let a
//! one-byte edit change up to six chunks instead of two.
//!
//! Defaults: min 16 KiB, average 64 KiB, max 256 KiB.

use crate::error::{FsError, Result};
use std::io::Read;
use std::path::PathBuf;

/// Default minimum chunk size.
pub const DEFAULT_MIN_BYTES: u32 = 16 << 10;
/// Default target average chunk size.
pub const DEFAULT_AVG_BYTES: u32 = 64 << 10;
/// Default maximum chunk size.
pub const DEFAULT_MAX_BYTES: u32 = 256 << 10;

/// Chunk size bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkerConfig {
    /// No chunk but a file's last is shorter. Default 16 KiB.
    pub min_bytes: u32,
    /// The target average. Default 64 KiB.
    pub avg_bytes: u32,
    /// No chunk is longer. Default 256 KiB.
    pub max_bytes: u32,
}

impl Default for ChunkerConfig {
    fn default() -> Self {
        ChunkerConfig {
            min_bytes: DEFAULT_MIN_BYTES,
            avg_bytes: DEFAULT_AVG_BYTES,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

const fn splitmix64(state: u64) -> (u64, u64) {
    let state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (state, z ^ (z >> 31))
}

const fn gear_table() -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut state = 0x5354_5241_5441_0001u64; // fixed: chunk cuts must never change
    let mut i = 0;
    while i < 256 {
        let (next, value) = splitmix64(state);
        state = next;
        table[i] = value;
        i += 1;
    }
    table
}

/// The Gear table: 256 fixed pseudo-random words (splitmix64 of a fixed
/// seed). Changing it would change every chunk boundary and so end dedupe
/// with earlier data.
static GEAR: [u64; 256] = gear_table();

impl ChunkerConfig {
    /// Checks `64 <= min < avg < max`.
    ///
    /// # Errors
    /// `Usage` naming the broken rule.
    pub fn validate(&self) -> Result<()> {
        if self.min_bytes < 64
            || self.min_bytes >= self.avg_bytes
            || self.avg_bytes >= self.max_bytes
        {
            return Err(FsError::Usage(format!(
                "chunker needs 64 <= min < avg < max, got {}/{}/{}",
                self.min_bytes, self.avg_bytes, self.max_bytes
            )));
        }
        Ok(())
    }

    /// The cut test's threshold on the hash's top 32 bits: a cut has
    /// probability `1 / (avg - min)` at each byte past `min`.
    fn threshold(&self) -> u64 {
        (1u64 << 32) / u64::from(self.avg_bytes.saturating_sub(self.min_bytes).max(1))
    }

    /// The length of the chunk that starts `data`, where `data` holds at
    /// least `max_bytes` bytes or everything left of the input.
    pub fn cut_point(&self, data: &[u8]) -> usize {
        let min = self.min_bytes as usize;
        if data.len() <= min {
            return data.len();
        }
        let max = data.len().min(self.max_bytes as usize);
        let threshold = self.threshold();
        let mut h = 0u64;
        for (i, &b) in data.iter().enumerate().take(max).skip(min) {
            h = (h << 1).wrapping_add(GEAR[usize::from(b)]);
            if (h >> 32) < threshold {
                return i + 1;
            }
        }
        max
    }

    /// The chunk lengths of all of `data`.
    pub fn chunk_lengths(&self, data: &[u8]) -> Vec<usize> {
        let mut lengths = Vec::new();
        let mut rest = data;
        while !rest.is_empty() {
            let n = self.cut_point(&rest[..rest.len().min(self.max_bytes as usize)]);
            lengths.push(n);
            rest = &rest[n..];
        }
        lengths
    }
}

/// Where a [`ChunkStream`] gets bytes.
pub trait Source {
    /// Appends up to `want` more bytes to `buf`; returns how many (0 at the
    /// end).
    ///
    /// # Errors
    /// The source's own (I/O, or corruption of blobs it reads).
    fn read_more(&mut self, buf: &mut Vec<u8>, want: usize) -> Result<usize>;
}

/// A [`Source`] over a byte slice.
pub struct SliceSource<'a>(pub &'a [u8]);

impl Source for SliceSource<'_> {
    fn read_more(&mut self, buf: &mut Vec<u8>, want: usize) -> Result<usize> {
        let n = want.min(self.0.len());
        buf.extend_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// A [`Source`] over a reader (a local file), naming `path` in errors.
pub struct ReaderSource<R> {
    reader: R,
    path: PathBuf,
}

impl<R: Read> ReaderSource<R> {
    /// Reads `reader`, which is the file at `path`.
    pub fn new(reader: R, path: PathBuf) -> Self {
        ReaderSource { reader, path }
    }
}

impl<R: Read> Source for ReaderSource<R> {
    fn read_more(&mut self, buf: &mut Vec<u8>, want: usize) -> Result<usize> {
        let start = buf.len();
        buf.resize(start + want, 0);
        let mut filled = 0;
        while filled < want {
            match self.reader.read(&mut buf[start + filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    buf.truncate(start);
                    return Err(FsError::io(&self.path, e));
                }
            }
        }
        buf.truncate(start + filled);
        Ok(filled)
    }
}

/// Cuts a [`Source`] into chunks, holding at most `2 * max_bytes` in memory.
pub struct ChunkStream<S> {
    source: S,
    config: ChunkerConfig,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<S: Source> ChunkStream<S> {
    /// Chunks of `source` under `config`.
    pub fn new(source: S, config: ChunkerConfig) -> Self {
        ChunkStream {
            source,
            config,
            buf: Vec::new(),
            pos: 0,
            eof: false,
        }
    }

    /// The next chunk, or `None` at the end.
    ///
    /// # Errors
    /// The source's errors.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        let max = self.config.max_bytes as usize;
        if self.pos > 0 && self.buf.len() - self.pos < max {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        while !self.eof && self.buf.len() - self.pos < max {
            let want = max - (self.buf.len() - self.pos);
            if self.source.read_more(&mut self.buf, want)? == 0 {
                self.eof = true;
            }
        }
        let available = &self.buf[self.pos..];
        if available.is_empty() {
            return Ok(None);
        }
        let n = self
            .config
            .cut_point(&available[..available.len().min(max)]);
        let chunk = available[..n].to_vec();
        self.pos += n;
        Ok(Some(chunk))
    }

    /// The source, for callers that read on after the chunks they needed.
    pub fn into_source(self) -> S {
        self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngCore, SeedableRng};
    use std::collections::HashSet;

    const SMALL: ChunkerConfig = ChunkerConfig {
        min_bytes: 256,
        avg_bytes: 1024,
        max_bytes: 4096,
    };

    fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut v = vec![0u8; n];
        rng.fill_bytes(&mut v);
        v
    }

    fn chunks(data: &[u8]) -> Vec<Vec<u8>> {
        let mut stream = ChunkStream::new(SliceSource(data), SMALL);
        let mut out = Vec::new();
        while let Some(c) = stream.next_chunk().expect("slice source cannot fail") {
            out.push(c);
        }
        out
    }

    #[test]
    fn chunks_cover_input_within_bounds_and_average_near_target() {
        assert!(SMALL.validate().is_ok());
        assert!(ChunkerConfig::default().validate().is_ok());
        let data = random_bytes(1 << 20, 1);
        let cs = chunks(&data);
        assert_eq!(cs.concat(), data);
        for c in &cs[..cs.len() - 1] {
            assert!(c.len() >= 256 && c.len() <= 4096, "{}", c.len());
        }
        let lengths: Vec<usize> = cs.iter().map(Vec::len).collect();
        assert_eq!(SMALL.chunk_lengths(&data), lengths);
        let avg = data.len() / cs.len();
        assert!((896..=1152).contains(&avg), "average chunk {avg} bytes");
    }

    #[test]
    fn a_middle_edit_changes_at_most_two_chunks() {
        let data = random_bytes(256 << 10, 2);
        let before: HashSet<Vec<u8>> = chunks(&data).into_iter().collect();
        for at in [1000usize, 100_000, 131_072, 200_001] {
            let mut edited = data.clone();
            edited[at] ^= 0x5a;
            let new = chunks(&edited)
                .into_iter()
                .filter(|c| !before.contains(c))
                .count();
            assert!((1..=2).contains(&new), "edit at {at}: {new} new chunks");
            let mut inserted = data.clone();
            inserted.splice(at..at, *b"inserted");
            let new = chunks(&inserted)
                .into_iter()
                .filter(|c| !before.contains(c))
                .count();
            assert!((1..=2).contains(&new), "insert at {at}: {new} new chunks");
        }
    }

    #[test]
    fn short_and_empty_inputs() {
        assert!(chunks(&[]).is_empty());
        assert_eq!(chunks(b"tiny"), vec![b"tiny".to_vec()]);
        let zeros = vec![0u8; 10_000];
        let cs = chunks(&zeros);
        assert_eq!(cs.concat(), zeros);
        assert!(cs.iter().all(|c| c.len() <= 4096));
        assert!(ChunkerConfig {
            min_bytes: 10,
            ..SMALL
        }
        .validate()
        .is_err());
        assert!(ChunkerConfig {
            avg_bytes: 5000,
            ..SMALL
        }
        .validate()
        .is_err());
    }
}
