//! Memory-mapped random-access files for `PosixEnv` (LevelDB's
//! `PosixMmapReadableFile` and its `Limiter`): a read is a slice of the
//! mapping, with no system call and no copy, and [`MappedBytes`] lets a
//! reader keep a range without copying it at all.
//!
//! Mapping is only sound for files nobody truncates or rewrites while they
//! are open: `Env::new_random_access_file` is used for table files, which
//! are written once, synced, and then only read until deleted (unlinking a
//! mapped file keeps the mapping valid).

use super::RandomAccessFile;
use crate::error::Result;
use memmap2::Mmap;
use std::fs::File;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// Files `PosixEnv` maps at once before it falls back to `pread`
/// (LevelDB's `kDefaultMmapLimit`: 1000 on 64-bit, none on 32-bit, where
/// address space is scarce).
pub const DEFAULT_MMAP_LIMIT: usize = if usize::BITS >= 64 { 1000 } else { 0 };

/// A byte range of a memory-mapped file, shared without copying. Cloning
/// is cheap; the mapping lives as long as any range of it.
#[derive(Clone)]
pub struct MappedBytes {
    map: Arc<Mapping>,
    start: usize,
    end: usize,
}

impl MappedBytes {
    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.map.bytes[self.start..self.end]
    }

    /// Shortens the range to its first `len` bytes (no-op if already
    /// shorter).
    pub fn truncate(&mut self, len: usize) {
        self.end = self.end.min(self.start.saturating_add(len));
    }
}

impl Deref for MappedBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl std::fmt::Debug for MappedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedBytes")
            .field("start", &self.start)
            .field("len_bytes", &(self.end - self.start))
            .finish()
    }
}

/// Counts mapped files against a limit, so that a process with many open
/// tables does not exhaust its address space or `vm.max_map_count`.
#[derive(Debug)]
pub(crate) struct MmapLimiter {
    available: AtomicUsize,
}

impl MmapLimiter {
    /// A limiter allowing `limit` files mapped at once.
    pub(crate) fn new(limit: usize) -> Self {
        MmapLimiter {
            available: AtomicUsize::new(limit),
        }
    }

    /// The process-wide limiter `PosixEnv` uses.
    pub(crate) fn global() -> &'static Arc<MmapLimiter> {
        static GLOBAL: OnceLock<Arc<MmapLimiter>> = OnceLock::new();
        GLOBAL.get_or_init(|| Arc::new(MmapLimiter::new(DEFAULT_MMAP_LIMIT)))
    }

    /// A permit to map one more file, or `None` at the limit.
    fn acquire(self: &Arc<Self>) -> Option<MmapPermit> {
        self.available
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .ok()
            .map(|_| MmapPermit(Arc::clone(self)))
    }

    /// Permits left.
    #[cfg(test)]
    pub(crate) fn available(&self) -> usize {
        self.available.load(Ordering::Acquire)
    }
}

/// One mapped file's share of the limit, given back on drop.
struct MmapPermit(Arc<MmapLimiter>);

/// A mapping and its permit: the permit is given back when the last user
/// of the mapping (the file or a [`MappedBytes`] range) drops it.
struct Mapping {
    bytes: Mmap,
    _permit: MmapPermit,
}

impl Drop for MmapPermit {
    fn drop(&mut self) {
        self.0.available.fetch_add(1, Ordering::AcqRel);
    }
}

/// A file served from a read-only shared mapping of its first bytes (its size at open). Reads past the mapping (if the file grew) go
/// to `pread`, so it behaves as the unmapped file does.
pub(crate) struct PosixMmapFile {
    path: PathBuf,
    file: File,
    map: Arc<Mapping>,
}

impl PosixMmapFile {
    /// Maps `file` if `limiter` has a permit left and the file is not empty
    /// (an empty mapping is invalid); otherwise gives the file back for
    /// `pread`. A failing `mmap` also falls back rather than failing the
    /// open.
    pub(crate) fn open(
        path: &Path,
        file: File,
        limiter: &Arc<MmapLimiter>,
    ) -> std::result::Result<PosixMmapFile, File> {
        let Some(permit) = limiter.acquire() else {
            return Err(file);
        };
        match file.metadata() {
            Ok(meta) if meta.len() > 0 => {}
            _ => return Err(file),
        }
        // SAFETY: the mapping is read-only and private to this struct.
        // `Mmap::map` is unsafe because another writer could change or
        // truncate the file under the mapping; the engines open random-access
        // files only for table files, which are never modified after they
        // are synced (see the module docs). As in LevelDB, truncating a
        // mapped table from outside the process is not supported.
        let mapped = unsafe { Mmap::map(&file) };
        match mapped {
            Ok(map) => Ok(PosixMmapFile {
                path: path.to_path_buf(),
                file,
                map: Arc::new(Mapping {
                    bytes: map,
                    _permit: permit,
                }),
            }),
            Err(_) => Err(file),
        }
    }

    /// The mapped range `offset..offset + len`, if the mapping holds it.
    fn range(&self, offset: u64, len: usize) -> Option<(usize, usize)> {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(len)?;
        (end <= self.map.bytes.len()).then_some((start, end))
    }
}

impl RandomAccessFile for PosixMmapFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        match self.range(offset, buf.len()) {
            Some((start, end)) => {
                buf.copy_from_slice(&self.map.bytes[start..end]);
                Ok(buf.len())
            }
            None => super::posix::pread_exact(&self.file, &self.path, offset, buf),
        }
    }

    fn read_at_into(&self, offset: u64, len: usize, buf: &mut Vec<u8>) -> Result<usize> {
        match self.range(offset, len) {
            Some((start, end)) => {
                buf.extend_from_slice(&self.map.bytes[start..end]);
                Ok(len)
            }
            None => super::posix::pread_into(&self.file, &self.path, offset, len, buf),
        }
    }

    fn read_mapped(&self, offset: u64, len: usize) -> Option<MappedBytes> {
        let (start, end) = self.range(offset, len)?;
        Some(MappedBytes {
            map: Arc::clone(&self.map),
            start,
            end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::posix::open_random_access;
    use std::io::Write;

    fn write(path: &Path, data: &[u8]) {
        std::fs::write(path, data).expect("write");
    }

    #[test]
    fn mapped_reads_agree_with_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.ldb");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        write(&path, &data);
        let limiter = Arc::new(MmapLimiter::new(4));
        let f = open_random_access(&path, &limiter).expect("open");
        assert_eq!(limiter.available(), 3, "the file is mapped");

        let m = f.read_mapped(100, 4000).expect("inside the mapping");
        assert_eq!(m.as_slice(), &data[100..4100]);
        let mut short = m.clone();
        short.truncate(10);
        assert_eq!(&*short, &data[100..110]);
        assert!(f.read_mapped(9_999, 1).is_some());
        assert!(f.read_mapped(9_999, 2).is_none(), "past the end");
        assert!(f.read_mapped(u64::MAX, 1).is_none());

        let mut buf = [0u8; 16];
        assert_eq!(f.read_at(5000, &mut buf).expect("read"), 16);
        assert_eq!(buf, data[5000..5016]);
        assert_eq!(f.read_at(9_990, &mut buf).expect("short read"), 10);
        assert_eq!(buf[..10], data[9_990..]);
        let mut v = vec![1u8];
        assert_eq!(f.read_at_into(20, 30, &mut v).expect("into"), 30);
        assert_eq!(v[1..], data[20..50]);
        assert_eq!(f.read_at_into(9_995, 30, &mut v).expect("short"), 5);
        assert_eq!(v.len(), 36);

        // A range outlives the file handle and the file's name.
        drop(f);
        std::fs::remove_file(&path).expect("unlink");
        assert_eq!(limiter.available(), 3, "the range keeps the mapping");
        assert_eq!(m.as_slice(), &data[100..4100]);
        drop((m, short));
        assert_eq!(
            limiter.available(),
            4,
            "the last range gives the permit back"
        );
    }

    #[test]
    fn the_limit_falls_back_to_pread_and_permits_come_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a");
        write(&path, b"0123456789");
        let limiter = Arc::new(MmapLimiter::new(1));
        let first = open_random_access(&path, &limiter).expect("open");
        assert!(first.read_mapped(0, 10).is_some());
        let second = open_random_access(&path, &limiter).expect("open past the limit");
        assert!(second.read_mapped(0, 10).is_none(), "over the limit: pread");
        let mut buf = [0u8; 4];
        assert_eq!(second.read_at(3, &mut buf).expect("pread"), 4);
        assert_eq!(&buf, b"3456");
        drop(first);
        assert_eq!(limiter.available(), 1);
        let third = open_random_access(&path, &limiter).expect("open");
        assert!(third.read_mapped(0, 10).is_some(), "permit reused");
        drop((second, third));
        assert_eq!(limiter.available(), 1);
    }

    #[test]
    fn empty_and_growing_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let limiter = Arc::new(MmapLimiter::new(2));
        let empty = dir.path().join("empty");
        write(&empty, b"");
        let f = open_random_access(&empty, &limiter).expect("open empty");
        assert_eq!(limiter.available(), 2, "an empty file is not mapped");
        let mut buf = [0u8; 4];
        assert_eq!(f.read_at(0, &mut buf).expect("read"), 0);

        // Bytes appended after open are past the mapping: read by pread.
        let grow = dir.path().join("grow");
        write(&grow, b"abc");
        let f = open_random_access(&grow, &limiter).expect("open");
        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .open(&grow)
            .expect("append");
        w.write_all(b"defg").expect("write");
        drop(w);
        assert!(f.read_mapped(2, 2).is_none());
        assert_eq!(f.read_at(2, &mut buf).expect("read"), 4);
        assert_eq!(&buf, b"cdef");
        let mut v = Vec::new();
        assert_eq!(f.read_at_into(0, 100, &mut v).expect("read"), 7);
        assert_eq!(v, b"abcdefg");
    }
}
