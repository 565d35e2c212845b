//! The file-system seam: every file operation an engine does goes through an
//! [`Env`], so that tests can run in memory ([`MemEnv`]) and simulate
//! crashes and failing disks (`FaultEnv`).

mod fault;
mod mem;
mod mmap;
mod mmap_log;
mod posix;

pub use fault::{CallRecord, CrashMode, FaultEnv, FaultKind, FaultOp, FaultRule, Trigger};
pub use mem::MemEnv;
pub use mmap::{MappedBytes, DEFAULT_MMAP_LIMIT};
pub use posix::PosixEnv;

use crate::error::Result;
use std::any::Any;
use std::path::Path;
use std::sync::Arc;

/// A file written front to back.
pub trait WritableFile: Send {
    /// Appends `data` (possibly buffered in memory).
    ///
    /// # Errors
    /// `Io` from the operating system (for example ENOSPC).
    fn append(&mut self, data: &[u8]) -> Result<()>;
    /// Appends each of `parts` in order: the same bytes as one
    /// [`WritableFile::append`] per part, which is what it does unless the
    /// file can store them together more cheaply (a mapped log writes a
    /// large record's header and payload with one `pwritev(2)`).
    ///
    /// # Errors
    /// As [`WritableFile::append`]; some parts may have been appended.
    fn append_vectored(&mut self, parts: &[&[u8]]) -> Result<()> {
        for part in parts {
            self.append(part)?;
        }
        Ok(())
    }
    /// Hands buffered bytes to the operating system (they survive a process
    /// crash, not a machine crash).
    ///
    /// # Errors
    /// `Io`.
    fn flush(&mut self) -> Result<()>;
    /// Makes every appended byte durable (flush, then `fdatasync`).
    ///
    /// # Errors
    /// `Io`.
    fn sync(&mut self) -> Result<()>;
    /// Flushes and closes; further calls are programmer errors.
    ///
    /// # Errors
    /// `Io`.
    fn close(&mut self) -> Result<()>;
}

/// A file read front to back.
pub trait SequentialFile: Send {
    /// Reads up to `buf.len()` bytes; 0 means end of file.
    ///
    /// # Errors
    /// `Io`.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize>;
    /// Skips `n` bytes.
    ///
    /// # Errors
    /// `Io`.
    fn skip(&mut self, n: u64) -> Result<()>;
}

/// A file read at arbitrary offsets, shareable between threads.
pub trait RandomAccessFile: Send + Sync {
    /// Reads up to `buf.len()` bytes at `offset`; fewer only at end of file.
    ///
    /// # Errors
    /// `Io`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;

    /// Appends up to `len` bytes read at `offset` to `buf` (fewer only at
    /// end of file) and returns how many were appended. Unlike
    /// [`RandomAccessFile::read_at`] the caller need not zero-fill a buffer
    /// first: an implementation may read straight into `buf`'s spare
    /// capacity. The default zero-fills and calls `read_at`.
    ///
    /// # Errors
    /// `Io`; on error `buf` may hold part of the bytes after its old length.
    fn read_at_into(&self, offset: u64, len: usize, buf: &mut Vec<u8>) -> Result<usize> {
        let start = buf.len();
        buf.resize(start + len, 0);
        let result = self.read_at(offset, &mut buf[start..]);
        let n = *result.as_ref().unwrap_or(&0);
        buf.truncate(start + n);
        result
    }

    /// The `len` bytes at `offset` without copying them, if this file is
    /// memory-mapped and the mapping holds all of them; `None` otherwise
    /// (then read with [`RandomAccessFile::read_at_into`]). The default is
    /// `None`; `PosixEnv` maps files (see [`DEFAULT_MMAP_LIMIT`]).
    fn read_mapped(&self, offset: u64, len: usize) -> Option<MappedBytes> {
        let _ = (offset, len);
        None
    }
}

/// A held lock on a database directory's `LOCK` file; released on drop.
pub struct FileLock {
    _guard: Box<dyn Any + Send + Sync>,
}

impl FileLock {
    /// Wraps whatever releases the lock when dropped.
    pub fn new(guard: Box<dyn Any + Send + Sync>) -> Self {
        FileLock { _guard: guard }
    }
}

impl std::fmt::Debug for FileLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileLock")
    }
}

/// Every file operation an engine performs.
pub trait Env: Send + Sync {
    /// Creates (or truncates) `path` for writing.
    ///
    /// # Errors
    /// `Io`.
    fn new_writable_file(&self, path: &Path) -> Result<Box<dyn WritableFile>>;
    /// Opens `path` for appending, creating it if absent.
    ///
    /// # Errors
    /// `Io`.
    fn new_appendable_file(&self, path: &Path) -> Result<Box<dyn WritableFile>>;
    /// Creates (or truncates) `path` for a write-ahead log: many small
    /// appends, each handed to the operating system by `flush` before it is
    /// acknowledged. The default is [`Env::new_writable_file`]; `PosixEnv`
    /// writes logs through a memory mapping (no system call per record; a
    /// crash may leave a zero-filled tail, which log readers skip).
    ///
    /// # Errors
    /// `Io`.
    fn new_log_file(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        self.new_writable_file(path)
    }
    /// Opens `path` for reading front to back.
    ///
    /// # Errors
    /// `Io` (NotFound kind if absent).
    fn new_sequential_file(&self, path: &Path) -> Result<Box<dyn SequentialFile>>;
    /// Opens `path` for reads at offsets. The file must not be truncated
    /// or rewritten while it is open: `PosixEnv` may memory-map it, as
    /// LevelDB does (engines open only immutable table files this way).
    ///
    /// # Errors
    /// `Io` (NotFound kind if absent).
    fn new_random_access_file(&self, path: &Path) -> Result<Arc<dyn RandomAccessFile>>;
    /// True if `path` exists.
    fn file_exists(&self, path: &Path) -> bool;
    /// Names (not paths) of the entries of directory `dir`.
    ///
    /// # Errors
    /// `Io`.
    fn children(&self, dir: &Path) -> Result<Vec<String>>;
    /// Removes file `path`.
    ///
    /// # Errors
    /// `Io`.
    fn remove_file(&self, path: &Path) -> Result<()>;
    /// Creates directory `dir` and its parents (no error if it exists).
    ///
    /// # Errors
    /// `Io`.
    fn create_dir_all(&self, dir: &Path) -> Result<()>;
    /// Removes directory `dir` and everything below it (no error if absent).
    ///
    /// # Errors
    /// `Io`.
    fn remove_dir_all(&self, dir: &Path) -> Result<()>;
    /// Size of file `path` in bytes.
    ///
    /// # Errors
    /// `Io`.
    fn file_size(&self, path: &Path) -> Result<u64>;
    /// Renames `from` to `to`, replacing `to` atomically if it exists.
    ///
    /// # Errors
    /// `Io`.
    fn rename(&self, from: &Path, to: &Path) -> Result<()>;
    /// Makes the entries of directory `dir` (creations, renames) durable.
    ///
    /// # Errors
    /// `Io`.
    fn sync_dir(&self, dir: &Path) -> Result<()>;
    /// Takes an exclusive lock on `path` (created if absent), held until the
    /// returned guard drops.
    ///
    /// # Errors
    /// `Io` if another holder (this process or another) has it.
    fn lock_file(&self, path: &Path) -> Result<FileLock>;
}

/// Reads all of `path` through `env`.
///
/// # Errors
/// `Io`.
pub fn read_file_to_vec(env: &dyn Env, path: &Path) -> Result<Vec<u8>> {
    let mut file = env.new_sequential_file(path)?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Writes `data` to `path` through `env`, syncing if `sync`.
///
/// # Errors
/// `Io`.
pub fn write_file(env: &dyn Env, path: &Path, data: &[u8], sync: bool) -> Result<()> {
    let mut file = env.new_writable_file(path)?;
    file.append(data)?;
    if sync {
        file.sync()?;
    }
    file.close()
}

#[cfg(test)]
mod conformance;
