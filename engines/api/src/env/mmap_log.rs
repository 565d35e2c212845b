//! A write-ahead log written through a shared memory mapping
//! (`PosixEnv::new_log_file`), as LevelDB's `PosixMmapFile` wrote logs
//! before 1.17: an append is a `memcpy` into the page cache, with no system
//! call, and survives a process crash exactly as a `write(2)` would (the
//! bytes are in the kernel's page cache the moment they are copied).
//!
//! The file grows in regions: each is allocated with `fallocate` (so a full
//! disk is an `Io` error at allocation, never a `SIGBUS` on a later store
//! into the mapping), then mapped; regions start at 64 KiB and double up to
//! 1 MiB, LevelDB's sizes. The file is therefore longer than the log while
//! it is open, its tail zero-filled: `close` truncates it to the bytes
//! appended. After a crash the zeros stay, and log readers skip them: a
//! zero-length record of type 0 marks preallocated space in LevelDB's log
//! format, and LevelDB 1.23's reader (like strata's) skips the rest of the
//! block without reporting a drop.
//!
//! Large appends (16 KiB and more, or a large record's header with its
//! payload through `append_vectored`) are written with `pwrite(2)` at their
//! place in the mapped region instead: the same page cache pages, without a
//! page fault per 4 KiB page.
//!
//! `sync` is `fdatasync` on the descriptor: on Linux the page cache is one,
//! so it writes back the pages stored through the mapping as well as the
//! allocated size; elsewhere the mapped range is `msync`ed first.

use super::WritableFile;
use crate::error::{Error, Result};
use memmap2::{MmapMut, MmapOptions};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Size of the first region (LevelDB's initial `map_size_`).
const FIRST_REGION_BYTES: usize = 64 * 1024;
/// Largest region (LevelDB's cap on `map_size_`).
const MAX_REGION_BYTES: usize = 1024 * 1024;

/// Appends of at least this many bytes (of one region) are written with
/// `pwrite(2)` at their place in the mapped region instead of copied into
/// the mapping: a store into a page the mapping has not touched faults it in
/// (reading the allocated page in as zeros, then making it writable), which
/// for a 100 KiB record cost more than the one system call; below it the
/// copy wins (no system call per small record).
const WRITE_THROUGH_MIN_BYTES: usize = 16 * 1024;

/// A log file appended through a mapping of its current region.
pub(crate) struct MmapLogFile {
    path: PathBuf,
    file: File,
    /// The mapped region, if any yet.
    map: Option<MmapMut>,
    /// File offset where `map` starts.
    map_offset_bytes: u64,
    /// Bytes of `map` already written.
    map_used_bytes: usize,
    /// Size of the next region.
    next_region_bytes: usize,
    /// Bytes appended to the log (the file's length once closed).
    logical_bytes: u64,
    /// Bytes of the file allocated so far (its length while open).
    allocated_bytes: u64,
    closed: bool,
}

impl MmapLogFile {
    /// A log over `file`, newly created and empty, at `path`.
    pub(crate) fn new(path: &Path, file: File) -> Self {
        MmapLogFile {
            path: path.to_path_buf(),
            file,
            map: None,
            map_offset_bytes: 0,
            map_used_bytes: 0,
            next_region_bytes: FIRST_REGION_BYTES,
            logical_bytes: 0,
            allocated_bytes: 0,
            closed: false,
        }
    }

    /// Unmaps the full region and maps the next one, allocating it first.
    fn map_next_region(&mut self) -> Result<()> {
        self.unmap()?;
        let region_bytes = self.next_region_bytes;
        let offset = self.logical_bytes;
        let end = offset + region_bytes as u64;
        allocate(&self.file, offset, end).map_err(|e| Error::io(&self.path, e))?;
        self.allocated_bytes = self.allocated_bytes.max(end);
        // SAFETY: the mapping is of a file this writer alone writes (a new
        // log, created and truncated by `new_log_file`); nothing truncates
        // it below `end` while it is mapped (`close` unmaps first), so every
        // page of the mapping stays backed by the file.
        let map = unsafe {
            MmapOptions::new()
                .offset(offset)
                .len(region_bytes)
                .map_mut(&self.file)
        }
        .map_err(|e| Error::io(&self.path, e))?;
        self.map = Some(map);
        self.map_offset_bytes = offset;
        self.map_used_bytes = 0;
        self.next_region_bytes = (region_bytes * 2).min(MAX_REGION_BYTES);
        Ok(())
    }

    /// Drops the current mapping (its stores stay in the page cache).
    fn unmap(&mut self) -> Result<()> {
        #[cfg(not(target_os = "linux"))]
        if let Some(map) = &self.map {
            map.flush_async_range(0, self.map_used_bytes)
                .map_err(|e| Error::io(&self.path, e))?;
        }
        self.map = None;
        Ok(())
    }
}

/// Makes `[offset, end)` of `file` allocated and the file at least `end`
/// bytes long: `fallocate` where the file system has it, else `ftruncate`.
fn allocate(file: &File, offset: u64, end: u64) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        let len = end - offset;
        let (Ok(off), Ok(len)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
            return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput));
        };
        // SAFETY: the descriptor is open for the call's duration.
        let rc = unsafe { libc::fallocate(file.as_raw_fd(), 0, off, len) };
        if rc == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EOPNOTSUPP) {
            return Err(err);
        }
    }
    file.set_len(end)
}

impl MmapLogFile {
    /// Appends `data`: chunks of [`WRITE_THROUGH_MIN_BYTES`] or more (or
    /// every chunk, if `write_through`) with `pwrite(2)` at their place in
    /// the mapped region, the rest stored through the mapping.
    fn append_with(&mut self, mut data: &[u8], write_through: bool) -> Result<()> {
        while !data.is_empty() {
            let room = match &self.map {
                Some(map) => map.len() - self.map_used_bytes,
                None => 0,
            };
            if room == 0 {
                self.map_next_region()?;
                continue;
            }
            let n = room.min(data.len());
            if write_through || n >= WRITE_THROUGH_MIN_BYTES {
                // Into the same page cache pages the mapping shows, without
                // a fault per page (each fault reads the unwritten page in as
                // zeros, then marks it writable).
                use std::os::unix::fs::FileExt;
                let offset = self.map_offset_bytes + self.map_used_bytes as u64;
                self.file
                    .write_all_at(&data[..n], offset)
                    .map_err(|e| Error::io(&self.path, e))?;
            } else {
                let map = self.map.as_mut().expect("a region is mapped");
                map[self.map_used_bytes..self.map_used_bytes + n].copy_from_slice(&data[..n]);
            }
            self.map_used_bytes += n;
            self.logical_bytes += n as u64;
            data = &data[n..];
        }
        Ok(())
    }
}

impl WritableFile for MmapLogFile {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.append_with(data, false)
    }

    fn append_vectored(&mut self, parts: &[&[u8]]) -> Result<()> {
        // A large record's header goes the payload's way: stored through the
        // mapping, it would fault its page in (with the readahead window
        // after it) just before the payload's `pwrite` fills those pages.
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let write_through = total >= WRITE_THROUGH_MIN_BYTES;
        for part in parts {
            self.append_with(part, write_through)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        // Every append is already in the page cache.
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        #[cfg(not(target_os = "linux"))]
        if let Some(map) = &self.map {
            map.flush_range(0, self.map_used_bytes)
                .map_err(|e| Error::io(&self.path, e))?;
        }
        self.file.sync_data().map_err(|e| Error::io(&self.path, e))
    }

    fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        self.unmap()?;
        if self.allocated_bytes != self.logical_bytes {
            self.file
                .set_len(self.logical_bytes)
                .map_err(|e| Error::io(&self.path, e))?;
        }
        Ok(())
    }
}

impl Drop for MmapLogFile {
    fn drop(&mut self) {
        // Best effort, as for buffered files: trim the preallocated tail.
        let _ = self.close();
    }
}

#[cfg(test)]
mod tests {
    use crate::env::{read_file_to_vec, Env, PosixEnv};

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn vectored_appends_mixed_with_small_ones_read_back_exactly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("000002.log");
        let env = PosixEnv::new();
        let mut log = env.new_log_file(&path).expect("create");
        let mut expected = Vec::new();
        // Small parts (stored through the mapping), large totals (written
        // through), a header landing in the page a write-through filled,
        // and parts straddling the 64 KiB and 128 KiB region ends.
        let shapes: [&[usize]; 7] = [
            &[7, 100],
            &[7, 32_761],
            &[3],
            &[7, 40_000, 7],
            &[7, 20_000],
            &[11],
            &[7, 150_000],
        ];
        for (i, shape) in shapes.into_iter().enumerate() {
            let parts: Vec<Vec<u8>> = shape
                .iter()
                .enumerate()
                .map(|(j, &len)| pattern(len, (i * 7 + j) as u8))
                .collect();
            let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            log.append_vectored(&refs).expect("append_vectored");
            for p in &parts {
                expected.extend_from_slice(p);
            }
            // Every byte is in the page cache at once, either way.
            let open_bytes = read_file_to_vec(&env, &path).expect("read");
            assert_eq!(&open_bytes[..expected.len()], &expected[..], "after {i}");
        }
        log.close().expect("close");
        assert_eq!(read_file_to_vec(&env, &path).expect("read"), expected);
    }

    #[test]
    fn appends_across_regions_read_back_exactly_and_close_trims_the_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("000001.log");
        let env = PosixEnv::new();
        let mut log = env.new_log_file(&path).expect("create");
        let mut expected = Vec::new();
        // Sizes straddle the 64 KiB first region and the doubling ones.
        for (i, len) in [1usize, 7, 100, 65_530, 3, 200_000, 1 << 20, 5]
            .into_iter()
            .enumerate()
        {
            let chunk = pattern(len, i as u8);
            log.append(&chunk).expect("append");
            expected.extend_from_slice(&chunk);
        }
        log.flush().expect("flush");
        // While open, every appended byte is visible to other readers and
        // the file is at least as long (its preallocated tail is zeros).
        let open_bytes = read_file_to_vec(&env, &path).expect("read");
        assert!(open_bytes.len() >= expected.len());
        assert_eq!(&open_bytes[..expected.len()], &expected[..]);
        assert!(open_bytes[expected.len()..].iter().all(|&b| b == 0));
        log.sync().expect("sync");
        log.close().expect("close");
        assert_eq!(read_file_to_vec(&env, &path).expect("read"), expected);
        assert_eq!(env.file_size(&path).expect("size"), expected.len() as u64);
    }

    #[test]
    fn a_dropped_log_is_trimmed_and_an_empty_one_stays_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = PosixEnv::new();
        let empty = dir.path().join("empty.log");
        drop(env.new_log_file(&empty).expect("create"));
        assert_eq!(env.file_size(&empty).expect("size"), 0);
        let some = dir.path().join("some.log");
        let mut log = env.new_log_file(&some).expect("create");
        log.append(b"abc").expect("append");
        drop(log);
        assert_eq!(read_file_to_vec(&env, &some).expect("read"), b"abc");
    }

    #[test]
    fn new_log_file_truncates_an_existing_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = PosixEnv::new();
        let path = dir.path().join("000002.log");
        std::fs::write(&path, vec![9u8; 100_000]).expect("seed");
        let mut log = env.new_log_file(&path).expect("create");
        log.append(b"xy").expect("append");
        log.close().expect("close");
        assert_eq!(read_file_to_vec(&env, &path).expect("read"), b"xy");
    }
}
