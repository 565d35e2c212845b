//! Writing file contents: chunking a source into staged chunks, and
//! splicing a write-at-offset into an existing file so that only the chunks
//! around the edit are cut again.

use super::txn::Txn;
use super::BlobFs;
use crate::blob::BlobRef;
use crate::chunk::{ChunkStream, ChunkerConfig, Source};
use crate::error::Result;
use crate::schema::Parts;
use crate::time::ClaimTime;
use strata_api::ReadOptions;

/// Chunks all of `source` into `txn`; returns the parts.
pub(crate) fn stage_source<S: Source>(
    txn: &mut Txn<'_>,
    source: S,
    chunker: ChunkerConfig,
) -> Result<Vec<(BlobRef, u64)>> {
    let mut stream = ChunkStream::new(source, chunker);
    let mut parts = Vec::new();
    while let Some(chunk) = stream.next_chunk()? {
        parts.push((txn.stage_chunk(&chunk)?, chunk.len() as u64));
    }
    Ok(parts)
}

/// Stages the `file` blob of `parts`.
pub(crate) fn stage_file_blob(
    txn: &mut Txn<'_>,
    name: &str,
    mode: u32,
    mtime: Option<ClaimTime>,
    parts: &[(BlobRef, u64)],
) -> Result<BlobRef> {
    txn.stage_file(name, mode, mtime, parts)
}

/// The bytes of the file after writing `data` at `offset` into the file
/// made of `old`, produced from `pos` on: new data inside the edit, old
/// chunks (fetched and verified) around it, zeros in a gap past the old end.
struct SpliceSource<'a> {
    fs: &'a BlobFs,
    ro: &'a ReadOptions,
    old: &'a Parts,
    starts: Vec<u64>,
    offset: u64,
    data: &'a [u8],
    new_size: u64,
    pos: u64,
    cached: Option<(usize, Vec<u8>)>,
}

impl SpliceSource<'_> {
    fn old_chunk(&mut self, index: usize) -> Result<&[u8]> {
        if self.cached.as_ref().map(|(i, _)| *i) != Some(index) {
            let (r, size) = self.old.parts[index];
            self.cached = Some((index, self.fs.fetch_chunk(self.ro, &r, size)?));
        }
        Ok(self.cached.as_ref().map_or(&[][..], |(_, c)| c.as_slice()))
    }
}

impl Source for SpliceSource<'_> {
    fn read_more(&mut self, buf: &mut Vec<u8>, want: usize) -> Result<usize> {
        let begin = self.pos;
        let target = self.new_size.min(self.pos + want as u64);
        let edit_end = self.offset + self.data.len() as u64;
        while self.pos < target {
            let pos = self.pos;
            let n = if pos >= self.offset && pos < edit_end {
                let n = target.min(edit_end) - pos;
                let from = (pos - self.offset) as usize;
                buf.extend_from_slice(&self.data[from..from + n as usize]);
                n
            } else if pos < self.old.size_bytes {
                let index = self.starts.partition_point(|s| *s <= pos) - 1;
                let start = self.starts[index];
                let part_end = start + self.old.parts[index].1;
                let limit = if pos < self.offset {
                    target.min(part_end).min(self.offset)
                } else {
                    target.min(part_end)
                };
                let chunk = self.old_chunk(index)?;
                buf.extend_from_slice(&chunk[(pos - start) as usize..(limit - start) as usize]);
                limit - pos
            } else {
                // A gap between the old end and the write: zeros, as POSIX.
                let n = target.min(self.offset) - pos;
                buf.resize(buf.len() + n as usize, 0);
                n
            };
            self.pos += n;
        }
        Ok((self.pos - begin) as usize)
    }
}

/// The parts of the file `old` after writing `data` at `offset`: parts
/// before the edit are kept, chunks are cut again from the start of the part
/// holding the edit until a new cut falls on an old part boundary after the
/// edit, and the old parts from there on are kept.
pub(crate) fn splice(
    fs: &BlobFs,
    ro: &ReadOptions,
    txn: &mut Txn<'_>,
    old: &Parts,
    offset: u64,
    data: &[u8],
) -> Result<Vec<(BlobRef, u64)>> {
    if data.is_empty() {
        return Ok(old.parts.clone());
    }
    let mut starts = Vec::with_capacity(old.parts.len());
    let mut ends = Vec::with_capacity(old.parts.len());
    let mut at = 0u64;
    for (_, size) in &old.parts {
        starts.push(at);
        at += size;
        ends.push(at);
    }
    let edit_end = offset + data.len() as u64;
    let mut first = ends.partition_point(|e| *e <= offset);
    if first == old.parts.len() {
        // Appending: cut the old last chunk again together with the new bytes.
        first = first.saturating_sub(1);
    }
    let start = starts.get(first).copied().unwrap_or(0);
    let mut parts = old.parts[..first.min(old.parts.len())].to_vec();
    let source = SpliceSource {
        fs,
        ro,
        old,
        starts,
        offset,
        data,
        new_size: old.size_bytes.max(edit_end),
        pos: start,
        cached: None,
    };
    let mut stream = ChunkStream::new(source, fs.config.chunker);
    let mut pos = start;
    while let Some(chunk) = stream.next_chunk()? {
        pos += chunk.len() as u64;
        parts.push((txn.stage_chunk(&chunk)?, chunk.len() as u64));
        if pos >= edit_end && pos < old.size_bytes {
            if let Ok(j) = ends.binary_search(&pos) {
                parts.extend_from_slice(&old.parts[j + 1..]);
                return Ok(parts);
            }
        }
    }
    Ok(parts)
}
