//! Write-back buffers: a file's unsaved writes, held in memory per inode
//! until the first `flush` (a `close`) after a write, an `fsync`, or the
//! last `release` commits them as one blobfs mutation — so `echo > f`,
//! `cp` or `dd` make one version per close rather than one per `write(2)`.
//!
//! A buffer starts as a [`Pending::Patch`]: one contiguous run of bytes
//! over the stored content, which is never read (appends and in-place
//! rewrites of one region stay cheap and commit with `write_at`, which
//! re-stores only the chunks around the edit). A second, disjoint write or
//! a truncation to a non-zero size loads the stored content once and turns
//! the buffer into [`Pending::Whole`], committed with `write_file` (whose
//! chunking still shares every unchanged chunk). A truncation to zero
//! (`O_TRUNC`) or a new file starts `Whole` and empty, with nothing to load.

use std::time::SystemTime;
use strata_blobfs::Result;

/// The bytes a buffer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pending {
    /// The file's whole new content.
    Whole(Vec<u8>),
    /// `data` written at `offset_bytes` over the stored content of
    /// `base_size_bytes` bytes (a gap past its end reads as zeros).
    Patch {
        /// Length of the stored content.
        base_size_bytes: u64,
        /// Where `data` starts.
        offset_bytes: u64,
        /// The written bytes.
        data: Vec<u8>,
    },
}

/// One file's unsaved writes.
#[derive(Debug, Clone)]
pub(crate) struct DirtyFile {
    /// The content to commit.
    pub(crate) pending: Pending,
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
}

/// Converts a length to `usize` (buffers live in memory, so any length
/// reaching here fits unless the file is larger than the address space).
fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Copies `bytes` into `buf` at `offset_bytes`, growing it with zeros.
fn overwrite(buf: &mut Vec<u8>, offset_bytes: u64, bytes: &[u8]) {
    let from = to_usize(offset_bytes);
    let to = from.saturating_add(bytes.len());
    if buf.len() < to {
        buf.resize(to, 0);
    }
    buf[from..to].copy_from_slice(bytes);
}

impl DirtyFile {
    /// A new file, empty, not in the store yet.
    pub(crate) fn new_file(mode: u32) -> Self {
        DirtyFile {
            pending: Pending::Whole(Vec::new()),
            in_store: false,
            mode,
            modified: SystemTime::now(),
            written: false,
        }
    }

    /// An empty buffer over a stored file of `size_bytes` bytes.
    pub(crate) fn over_stored(size_bytes: u64, mode: u32) -> Self {
        DirtyFile {
            pending: Pending::Patch {
                base_size_bytes: size_bytes,
                offset_bytes: size_bytes,
                data: Vec::new(),
            },
            in_store: true,
            mode,
            modified: SystemTime::now(),
            written: false,
        }
    }

    /// The file's length with the buffer applied.
    pub(crate) fn size_bytes(&self) -> u64 {
        match &self.pending {
            Pending::Whole(data) => data.len() as u64,
            Pending::Patch {
                base_size_bytes,
                offset_bytes,
                data,
            } => (*base_size_bytes).max(offset_bytes + data.len() as u64),
        }
    }

    /// True when committing would change nothing (a patch of no bytes that
    /// does not extend the file).
    pub(crate) fn is_noop(&self) -> bool {
        matches!(&self.pending, Pending::Patch { base_size_bytes, offset_bytes, data }
            if data.is_empty() && offset_bytes <= base_size_bytes)
    }

    /// Turns a patch into the whole content; `load_base` reads the stored
    /// content (called at most once).
    fn materialise(&mut self, load_base: impl FnOnce() -> Result<Vec<u8>>) -> Result<()> {
        if let Pending::Patch {
            offset_bytes, data, ..
        } = &self.pending
        {
            let mut whole = load_base()?;
            overwrite(&mut whole, *offset_bytes, data);
            self.pending = Pending::Whole(whole);
        }
        Ok(())
    }

    /// Writes `bytes` at `offset_bytes`; `load_base` reads the stored
    /// content if the write cannot extend the patch.
    ///
    /// # Errors
    /// `load_base`'s.
    pub(crate) fn write(
        &mut self,
        offset_bytes: u64,
        bytes: &[u8],
        load_base: impl FnOnce() -> Result<Vec<u8>>,
    ) -> Result<()> {
        self.modified = SystemTime::now();
        self.written = true;
        if let Pending::Patch {
            offset_bytes: start,
            data,
            ..
        } = &mut self.pending
        {
            let end = *start + data.len() as u64;
            if data.is_empty() {
                // The first write chooses where the patch begins.
                *start = offset_bytes;
                data.extend_from_slice(bytes);
                return Ok(());
            }
            if offset_bytes >= *start && offset_bytes <= end {
                overwrite(data, offset_bytes - *start, bytes);
                return Ok(());
            }
        }
        self.materialise(load_base)?;
        if let Pending::Whole(whole) = &mut self.pending {
            overwrite(whole, offset_bytes, bytes);
        }
        Ok(())
    }

    /// Sets the length to `size_bytes` (cutting, or extending with zeros).
    ///
    /// # Errors
    /// `load_base`'s.
    pub(crate) fn truncate(
        &mut self,
        size_bytes: u64,
        load_base: impl FnOnce() -> Result<Vec<u8>>,
    ) -> Result<()> {
        self.modified = SystemTime::now();
        if size_bytes == 0 {
            self.pending = Pending::Whole(Vec::new());
            return Ok(());
        }
        if size_bytes == self.size_bytes() {
            return Ok(());
        }
        self.materialise(load_base)?;
        if let Pending::Whole(whole) = &mut self.pending {
            whole.resize(to_usize(size_bytes), 0);
        }
        Ok(())
    }

    /// Up to `len_bytes` bytes from `offset_bytes` with the buffer applied;
    /// `read_base(offset, len)` reads the stored content.
    ///
    /// # Errors
    /// `read_base`'s.
    pub(crate) fn read(
        &self,
        offset_bytes: u64,
        len_bytes: u64,
        read_base: impl FnOnce(u64, u64) -> Result<Vec<u8>>,
    ) -> Result<Vec<u8>> {
        let size = self.size_bytes();
        let end = offset_bytes.saturating_add(len_bytes).min(size);
        if offset_bytes >= end {
            return Ok(Vec::new());
        }
        match &self.pending {
            Pending::Whole(data) => Ok(data[to_usize(offset_bytes)..to_usize(end)].to_vec()),
            Pending::Patch {
                base_size_bytes,
                offset_bytes: p_start,
                data,
            } => {
                let mut out = if offset_bytes < *base_size_bytes {
                    let base_end = end.min(*base_size_bytes);
                    read_base(offset_bytes, base_end - offset_bytes)?
                } else {
                    Vec::new()
                };
                out.resize(to_usize(end - offset_bytes), 0);
                let p_end = p_start + data.len() as u64;
                let from = offset_bytes.max(*p_start);
                let to = end.min(p_end);
                if from < to {
                    let dst = to_usize(from - offset_bytes);
                    let src = to_usize(from - p_start);
                    let n = to_usize(to - from);
                    out[dst..dst + n].copy_from_slice(&data[src..src + n]);
                }
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_blobfs::FsError;

    const BASE: &[u8] = b"0123456789";

    fn load() -> Result<Vec<u8>> {
        Ok(BASE.to_vec())
    }

    fn no_load() -> Result<Vec<u8>> {
        Err(FsError::Usage("the stored content must not be read".into()))
    }

    fn read_base(off: u64, len: u64) -> Result<Vec<u8>> {
        let from = (off as usize).min(BASE.len());
        let to = (from + len as usize).min(BASE.len());
        Ok(BASE[from..to].to_vec())
    }

    fn all(d: &DirtyFile) -> Vec<u8> {
        d.read(0, u64::MAX, read_base).expect("read")
    }

    #[test]
    fn an_append_stays_a_patch_and_never_loads() {
        let mut d = DirtyFile::over_stored(10, 0o644);
        assert!(d.is_noop());
        d.write(10, b"ab", no_load).expect("write");
        d.write(12, b"cd", no_load).expect("write");
        assert_eq!(d.size_bytes(), 14);
        assert!(!d.is_noop());
        assert!(
            matches!(&d.pending, Pending::Patch { offset_bytes: 10, data, .. } if data == b"abcd")
        );
        assert_eq!(all(&d), b"0123456789abcd");
        assert_eq!(d.read(8, 4, read_base).expect("read"), b"89ab");
    }

    #[test]
    fn an_overwrite_inside_the_file_is_a_patch() {
        let mut d = DirtyFile::over_stored(10, 0o644);
        d.write(2, b"xy", no_load).expect("write");
        d.write(3, b"zz", no_load)
            .expect("overlapping write extends the patch");
        assert_eq!(all(&d), b"01xzz56789");
        assert_eq!(d.size_bytes(), 10);
    }

    #[test]
    fn a_write_past_the_end_reads_zeros_in_the_gap() {
        let mut d = DirtyFile::over_stored(10, 0o644);
        d.write(12, b"!", no_load).expect("write");
        assert_eq!(all(&d), b"0123456789\0\0!");
    }

    #[test]
    fn a_disjoint_write_loads_the_stored_content_once() {
        let mut d = DirtyFile::over_stored(10, 0o644);
        d.write(1, b"a", no_load).expect("write");
        d.write(8, b"b", load).expect("write");
        assert_eq!(d.pending, Pending::Whole(b"0a234567b9".to_vec()));
        d.write(0, b"c", no_load)
            .expect("a whole buffer needs no load");
        assert_eq!(all(&d), b"ca234567b9");
    }

    #[test]
    fn truncation() {
        let mut d = DirtyFile::over_stored(10, 0o644);
        d.truncate(0, no_load)
            .expect("truncate to zero loads nothing");
        assert_eq!(d.pending, Pending::Whole(Vec::new()));
        d.write(0, b"new", no_load).expect("write");
        assert_eq!(all(&d), b"new");

        let mut d = DirtyFile::over_stored(10, 0o644);
        d.truncate(10, no_load).expect("same size");
        d.truncate(4, load).expect("shrink");
        assert_eq!(all(&d), b"0123");
        d.truncate(6, no_load).expect("grow");
        assert_eq!(all(&d), b"0123\0\0");
    }

    #[test]
    fn a_new_file_starts_empty_and_outside_the_store() {
        let mut d = DirtyFile::new_file(0o644);
        assert!(!d.in_store && !d.is_noop());
        assert_eq!(d.size_bytes(), 0);
        d.write(0, b"hi", no_load).expect("write");
        assert_eq!(d.read(0, 10, |_, _| no_load()).expect("read"), b"hi");
        assert_eq!(d.read(5, 10, |_, _| no_load()).expect("read"), b"");
    }
}
