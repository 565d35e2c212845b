//! Write-back buffers: a file's unsaved writes per inode, committed as one
//! blobfs version on the first `flush` (a `close`) after a write, on
//! `fsync`, or on the last `release` — so `echo > f`, `cp` or `dd` make one
//! version per close rather than one per `write(2)`.
//!
//! The bytes do not wait in memory for the commit: a buffer is a
//! [`StreamWriter`], which cuts content-defined chunks as writes arrive and
//! stores each as a blob at once, holding about two chunks (512 KiB with
//! the default chunker) whatever the file's size. `cp` of a 10 GiB file
//! into the mount needs no more memory than `cp` of a 1 MiB one. The
//! commit then signs one `file` blob naming the stored chunks; a crash
//! before it leaves the previous version intact (the chunks stored so far
//! are referenced by nothing, which is harmless).
//!
//! A buffer over a stored file starts from its parts without reading them:
//! an append or an in-place write re-stores only the chunks around it.
//! `O_TRUNC` (and a new file) starts empty, with nothing to load. Writes
//! out of order are handled by the writer (see [`strata_blobfs::stream`]):
//! a backward write finishes what was written into parts in memory and
//! goes on from there, still with bounded memory.

use std::time::SystemTime;
use strata_blobfs::stream::StreamWriter;
use strata_blobfs::{BlobFs, Result};

/// One file's unsaved writes.
#[derive(Debug)]
pub(crate) struct DirtyFile {
    /// The file's new content, chunked and stored as it is written.
    pub(crate) content: StreamWriter,
    /// False for a file created through the mount and not committed yet:
    /// it exists only here.
    pub(crate) in_store: bool,
    /// Permission bits to report.
    pub(crate) mode: u32,
    /// When the buffer last changed (reported as mtime until committed).
    pub(crate) modified: SystemTime,
    /// Bytes were written (or the length set by `ftruncate`) since the
    /// buffer began: a `flush` commits only then. A buffer that holds just
    /// a creation or an `O_TRUNC` waits for the writes or the release —
    /// a shell's `echo > f` opens, `dup2`s and closes (a flush) before
    /// `echo` writes, and must still make one version.
    pub(crate) written: bool,
    /// The content differs from the stored version (a write, or a
    /// truncation that changed the length or emptied the file): committing
    /// makes a version only then.
    changed: bool,
}

impl DirtyFile {
    /// A new file, empty, not in the store yet.
    pub(crate) fn new_file(fs: &BlobFs, mode: u32) -> Self {
        DirtyFile {
            content: StreamWriter::new(fs.config().chunker),
            in_store: false,
            mode,
            modified: SystemTime::now(),
            written: false,
            changed: true,
        }
    }

    /// A buffer over stored file `path` (its parts are loaded, not its
    /// bytes).
    ///
    /// # Errors
    /// The store's errors reading the file's `file` blob.
    pub(crate) fn over_stored(fs: &BlobFs, path: &str, mode: u32) -> Result<Self> {
        Ok(DirtyFile {
            content: StreamWriter::over(fs, path)?,
            in_store: true,
            mode,
            modified: SystemTime::now(),
            written: false,
            changed: false,
        })
    }

    /// A buffer over stored file, emptied (`O_TRUNC`): nothing is loaded.
    pub(crate) fn truncated(fs: &BlobFs, mode: u32) -> Self {
        DirtyFile {
            in_store: true,
            ..Self::new_file(fs, mode)
        }
    }

    /// The file's length with the buffer applied.
    pub(crate) fn size_bytes(&self) -> u64 {
        self.content.size_bytes()
    }

    /// True when committing would change nothing.
    pub(crate) fn is_noop(&self) -> bool {
        !self.changed
    }

    /// Writes `bytes` at `offset_bytes`; full chunks are stored at once.
    ///
    /// # Errors
    /// The store's errors while storing chunks or reading the ones an
    /// edit re-cuts.
    pub(crate) fn write(&mut self, fs: &BlobFs, offset_bytes: u64, bytes: &[u8]) -> Result<()> {
        self.modified = SystemTime::now();
        self.written = true;
        if !bytes.is_empty() {
            self.changed = true;
        }
        self.content.write(fs, offset_bytes, bytes)
    }

    /// Sets the length to `size_bytes` (cutting, or extending with zeros).
    ///
    /// # Errors
    /// As [`DirtyFile::write`].
    pub(crate) fn truncate(&mut self, fs: &BlobFs, size_bytes: u64) -> Result<()> {
        self.modified = SystemTime::now();
        if size_bytes == 0 || size_bytes != self.content.size_bytes() {
            self.changed = true;
        }
        self.content.truncate(fs, size_bytes)
    }

    /// Up to `len_bytes` bytes from `offset_bytes` with the buffer applied.
    ///
    /// # Errors
    /// The store's errors reading chunks.
    pub(crate) fn read(&self, fs: &BlobFs, offset_bytes: u64, len_bytes: u64) -> Result<Vec<u8>> {
        self.content.read(fs, offset_bytes, len_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::memory_fs;

    fn all(fs: &BlobFs, d: &DirtyFile) -> Vec<u8> {
        d.read(fs, 0, u64::MAX).expect("read")
    }

    #[test]
    fn writes_over_a_stored_file() {
        let fs = memory_fs();
        fs.write_file("/f", b"0123456789", None).expect("base");
        let mut d = DirtyFile::over_stored(&fs, "/f", 0o644).expect("over");
        assert!(d.is_noop() && d.in_store);
        d.write(&fs, 10, b"ab").expect("append");
        d.write(&fs, 2, b"xy").expect("overwrite");
        d.write(&fs, 14, b"!").expect("past the end");
        assert!(!d.is_noop() && d.written);
        assert_eq!(d.size_bytes(), 15);
        assert_eq!(all(&fs, &d), b"01xy456789ab\0\0!");
        assert_eq!(d.read(&fs, 8, 4).expect("read"), b"89ab");
        assert_eq!(
            fs.read("/f", None).expect("stored"),
            b"0123456789",
            "nothing committed"
        );
    }

    #[test]
    fn truncation() {
        let fs = memory_fs();
        fs.write_file("/f", b"0123456789", None).expect("base");
        let mut d = DirtyFile::over_stored(&fs, "/f", 0o644).expect("over");
        d.truncate(&fs, 10).expect("same size");
        assert!(d.is_noop(), "the same length changes nothing");
        d.truncate(&fs, 4).expect("shrink");
        assert_eq!(all(&fs, &d), b"0123");
        d.truncate(&fs, 6).expect("grow");
        assert_eq!(all(&fs, &d), b"0123\0\0");
        let mut t = DirtyFile::truncated(&fs, 0o644);
        assert!(!t.is_noop() && t.in_store, "O_TRUNC makes a version");
        t.write(&fs, 0, b"new").expect("write");
        assert_eq!(all(&fs, &t), b"new");
    }

    #[test]
    fn a_new_file_starts_empty_and_outside_the_store() {
        let fs = memory_fs();
        let mut d = DirtyFile::new_file(&fs, 0o644);
        assert!(!d.in_store && !d.is_noop());
        assert_eq!(d.size_bytes(), 0);
        d.write(&fs, 0, b"hi").expect("write");
        assert_eq!(d.read(&fs, 0, 10).expect("read"), b"hi");
        assert_eq!(d.read(&fs, 5, 10).expect("read"), b"");
    }
}
