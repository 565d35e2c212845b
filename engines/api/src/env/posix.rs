//! `PosixEnv`: the real file system, with LevelDB's buffering and locking.

use super::mmap::{MmapLimiter, PosixMmapFile};
use super::mmap_log::MmapLogFile;
use super::{Env, FileLock, RandomAccessFile, SequentialFile, WritableFile};
use crate::error::{Error, Result};
use parking_lot::Mutex;
use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Bytes a writable file buffers before handing them to the kernel
/// (LevelDB's `kWritableFileBufferSize`).
const WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// Most slices of one `writev` by `append_vectored` (the buffer and up to
/// 7 parts); more parts are appended one by one.
const MAX_WRITEV_PARTS: usize = 8;

/// The operating system's file system. Random-access files are
/// memory-mapped, up to [`super::DEFAULT_MMAP_LIMIT`] at once in the
/// process, and read with `pread` beyond that (as LevelDB's `PosixEnv`);
/// log files ([`Env::new_log_file`]) are written through a mapping.
#[derive(Debug, Default, Clone, Copy)]
pub struct PosixEnv;

impl PosixEnv {
    /// The env over the real file system.
    pub fn new() -> Self {
        PosixEnv
    }
}

/// Paths this process holds a lock on: `fcntl` locks are per process, so a
/// second open in the same process must be refused here (as LevelDB's
/// `PosixLockTable` does).
fn locked_paths() -> &'static Mutex<HashSet<PathBuf>> {
    static LOCKS: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    LOCKS.get_or_init(|| Mutex::new(HashSet::new()))
}

struct PosixWritableFile {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
}

impl PosixWritableFile {
    fn write_out(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.file
                .write_all(&self.buf)
                .map_err(|e| Error::io(&self.path, e))?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes what is buffered, then `parts` (fewer than
    /// [`MAX_WRITEV_PARTS`]), with one `writev(2)`: no copy of a large
    /// part into the buffer, no system call per part.
    fn write_out_with(&mut self, parts: &[&[u8]]) -> Result<()> {
        debug_assert!(parts.len() < MAX_WRITEV_PARTS);
        let mut slices = [std::io::IoSlice::new(&[]); MAX_WRITEV_PARTS];
        slices[0] = std::io::IoSlice::new(&self.buf);
        for (slot, part) in slices[1..].iter_mut().zip(parts) {
            *slot = std::io::IoSlice::new(part);
        }
        let mut left = &mut slices[..=parts.len()];
        while !left.is_empty() {
            match self.file.write_vectored(left) {
                Ok(0) => {
                    return Err(Error::io(
                        &self.path,
                        std::io::Error::from(ErrorKind::WriteZero),
                    ))
                }
                Ok(n) => std::io::IoSlice::advance_slices(&mut left, n),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    // How much of the buffer reached the file is unknown:
                    // never write it again (on drop).
                    self.buf.clear();
                    return Err(Error::io(&self.path, e));
                }
            }
        }
        self.buf.clear();
        Ok(())
    }
}

impl WritableFile for PosixWritableFile {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        // A part as large as the buffer goes out with it in one `writev`,
        // without being copied.
        if data.len() >= WRITE_BUFFER_BYTES {
            return self.write_out_with(&[data]);
        }
        // Otherwise fill the buffer first (LevelDB's `Append`): writes then
        // go out in whole 64 KiB buffers, page-aligned from the start of
        // the file, so the kernel never zero-fills the rest of a page it is
        // given only part of.
        let n = (WRITE_BUFFER_BYTES - self.buf.len()).min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        let rest = &data[n..];
        if !rest.is_empty() {
            self.write_out()?;
            self.buf.extend_from_slice(rest);
        }
        Ok(())
    }

    fn append_vectored(&mut self, parts: &[&[u8]]) -> Result<()> {
        // Only a large part is worth a `writev` (it saves copying it into
        // the buffer); small ones fill the buffer, keeping writes whole.
        let large = parts.iter().any(|p| p.len() >= WRITE_BUFFER_BYTES / 2);
        if !large || parts.len() >= MAX_WRITEV_PARTS {
            for part in parts {
                self.append(part)?;
            }
            return Ok(());
        }
        self.write_out_with(parts)
    }

    fn flush(&mut self) -> Result<()> {
        self.write_out()
    }

    fn sync(&mut self) -> Result<()> {
        self.write_out()?;
        self.file.sync_data().map_err(|e| Error::io(&self.path, e))
    }

    fn close(&mut self) -> Result<()> {
        self.write_out()
    }
}

impl Drop for PosixWritableFile {
    fn drop(&mut self) {
        // Best effort: a file dropped without close still gets its bytes.
        let _ = self.write_out();
    }
}

struct PosixSequentialFile {
    path: PathBuf,
    file: File,
}

impl SequentialFile for PosixSequentialFile {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            match self.file.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(&self.path, e)),
            }
        }
    }

    fn skip(&mut self, n: u64) -> Result<()> {
        let delta =
            i64::try_from(n).map_err(|_| Error::InvalidArgument("skip too large".into()))?;
        self.file
            .seek(SeekFrom::Current(delta))
            .map(|_| ())
            .map_err(|e| Error::io(&self.path, e))
    }
}

struct PosixRandomAccessFile {
    path: PathBuf,
    file: File,
}

impl RandomAccessFile for PosixRandomAccessFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        pread_exact(&self.file, &self.path, offset, buf)
    }

    fn read_at_into(&self, offset: u64, len: usize, buf: &mut Vec<u8>) -> Result<usize> {
        pread_into(&self.file, &self.path, offset, len, buf)
    }
}

/// Fills `buf` from `file` at `offset`, short only at end of file.
pub(super) fn pread_exact(file: &File, path: &Path, offset: u64, buf: &mut [u8]) -> Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(done)
}

/// Appends up to `len` bytes of `file` at `offset` to `buf`, reading
/// straight into its spare capacity so that the bytes are never zero-filled
/// first (a 4 KiB `memset` per block read showed up at 7 % of `readrandom`).
pub(super) fn pread_into(
    file: &File,
    path: &Path,
    offset: u64,
    len: usize,
    buf: &mut Vec<u8>,
) -> Result<usize> {
    buf.reserve(len);
    let mut done = 0;
    while done < len {
        let at = offset
            .checked_add(done as u64)
            .and_then(|o| libc::off_t::try_from(o).ok())
            .ok_or_else(|| Error::InvalidArgument("read offset overflows off_t".into()))?;
        let spare = &mut buf.spare_capacity_mut()[..len - done];
        // SAFETY: the descriptor is open for the call's duration, and the
        // kernel writes at most `spare.len()` bytes into `spare`, memory
        // that `buf` owns and nothing else references while we hold `&mut`.
        let rc =
            unsafe { libc::pread(file.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len(), at) };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(Error::io(path, e));
        }
        let n = rc.unsigned_abs();
        if n == 0 {
            break;
        }
        // SAFETY: `pread` succeeded and initialised exactly `n` bytes at the
        // start of the spare capacity (n <= spare.len(), so within the
        // reservation); the elements are `u8`, valid for any bit pattern.
        unsafe { buf.set_len(buf.len() + n) };
        done += n;
    }
    Ok(done)
}

/// Opens `path` memory-mapped if `limiter` allows one more mapping, else
/// for `pread` (LevelDB's `PosixEnv::NewRandomAccessFile`).
pub(super) fn open_random_access(
    path: &Path,
    limiter: &Arc<MmapLimiter>,
) -> Result<Arc<dyn RandomAccessFile>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    match PosixMmapFile::open(path, file, limiter) {
        Ok(mapped) => Ok(Arc::new(mapped)),
        Err(file) => Ok(Arc::new(PosixRandomAccessFile {
            path: path.to_path_buf(),
            file,
        })),
    }
}

struct PosixLock {
    path: PathBuf,
    _file: File,
}

impl Drop for PosixLock {
    fn drop(&mut self) {
        // Closing the descriptor releases the fcntl lock.
        locked_paths().lock().remove(&self.path);
    }
}

fn fcntl_lock(file: &File) -> std::io::Result<()> {
    // SAFETY: `flock` is plain old data; zeroed is a valid initial value.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_WRLCK as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = 0;
    fl.l_len = 0;
    // SAFETY: the descriptor is open for the call's duration and `fl` is a
    // valid, initialised `flock`.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &fl) };
    if rc == -1 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

impl Env for PosixEnv {
    fn new_writable_file(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(Box::new(PosixWritableFile {
            path: path.to_path_buf(),
            file,
            buf: Vec::with_capacity(WRITE_BUFFER_BYTES),
        }))
    }

    fn new_appendable_file(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(Box::new(PosixWritableFile {
            path: path.to_path_buf(),
            file,
            buf: Vec::with_capacity(WRITE_BUFFER_BYTES),
        }))
    }

    fn new_log_file(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(Box::new(MmapLogFile::new(path, file)))
    }

    fn new_sequential_file(&self, path: &Path) -> Result<Box<dyn SequentialFile>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(Box::new(PosixSequentialFile {
            path: path.to_path_buf(),
            file,
        }))
    }

    fn new_random_access_file(&self, path: &Path) -> Result<Arc<dyn RandomAccessFile>> {
        open_random_access(path, MmapLimiter::global())
    }

    fn file_exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn children(&self, dir: &Path) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }

    fn remove_file(&self, path: &Path) -> Result<()> {
        fs::remove_file(path).map_err(|e| Error::io(path, e))
    }

    fn create_dir_all(&self, dir: &Path) -> Result<()> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
    }

    fn remove_dir_all(&self, dir: &Path) -> Result<()> {
        match fs::remove_dir_all(dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(dir, e)),
        }
    }

    fn file_size(&self, path: &Path) -> Result<u64> {
        fs::metadata(path)
            .map(|m| m.len())
            .map_err(|e| Error::io(path, e))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        fs::rename(from, to).map_err(|e| Error::io(from, e))
    }

    fn sync_dir(&self, dir: &Path) -> Result<()> {
        let d = File::open(dir).map_err(|e| Error::io(dir, e))?;
        d.sync_all().map_err(|e| Error::io(dir, e))
    }

    fn lock_file(&self, path: &Path) -> Result<FileLock> {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if !locked_paths().lock().insert(key.clone()) {
            return Err(Error::io(
                path,
                std::io::Error::new(
                    ErrorKind::WouldBlock,
                    "lock already held by this process (is the database open twice?)",
                ),
            ));
        }
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path);
        let file = match opened {
            Ok(f) => f,
            Err(e) => {
                locked_paths().lock().remove(&key);
                return Err(Error::io(path, e));
            }
        };
        if let Err(e) = fcntl_lock(&file) {
            locked_paths().lock().remove(&key);
            return Err(Error::io(
                path,
                std::io::Error::new(e.kind(), format!("lock held by another process: {e}")),
            ));
        }
        Ok(FileLock::new(Box::new(PosixLock {
            path: key,
            _file: file,
        })))
    }
}
