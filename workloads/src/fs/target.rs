//! Where the benchmarks' operations go ([`FsVia`]): each operation is one
//! blobfs call with an explicit claim time from the benchmarks' [`Clock`]
//! (the API), or the system calls a program would make on the mounted
//! store (the mount), where the claim time is the mount's clock and the
//! model records the instant the call returned.
//!
//! Through the mount a version's claim time lies between the instants
//! before and after its call; the model keeps the instant after, and
//! `fs_history` asks a view at exactly a version's recorded instant (see
//! [`Target::history_instant`]), where the store and the model agree.

use super::model::{ClaimTime, Clock};
use super::via::FsVia;
use crate::measure::RunError;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use strata_blobfs::{BlobFs, FsError, NodeKind, WriteReport};

/// An operation that failed: blobfs's error, or a system call's on a path
/// of the mount.
#[derive(Debug)]
pub(crate) enum OpError {
    /// From blobfs's API.
    Fs(FsError),
    /// From a system call on the mount.
    Io(PathBuf, std::io::Error),
}

impl OpError {
    /// The error of `benchmark`.
    pub(crate) fn into_run(self, benchmark: &str) -> RunError {
        match self {
            OpError::Fs(e) => super::run::fs_error(benchmark, e),
            OpError::Io(path, e) => RunError::Workload {
                benchmark: benchmark.to_string(),
                reason: format!("{}: {e}", path.display()),
            },
        }
    }
}

impl From<FsError> for OpError {
    fn from(e: FsError) -> Self {
        OpError::Fs(e)
    }
}

type OpResult<T> = Result<T, OpError>;

/// A store mounted by this process for the run, unmounted (and its
/// mount point removed) when dropped.
pub(crate) struct Mounted {
    root: PathBuf,
    #[cfg(feature = "fuse")]
    session: Option<strata_blobfs_fuse::BackgroundMount>,
}

impl Mounted {
    /// Mounts `fs` (stored in `store_dir`) at `root`, which must not exist
    /// or be an empty directory, its inode table capped at `max_inodes`
    /// (0: no cap).
    #[cfg(feature = "fuse")]
    pub(crate) fn mount(
        fs: BlobFs,
        store_dir: &Path,
        root: &Path,
        max_inodes: u64,
    ) -> Result<Mounted, String> {
        std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
        let options = strata_blobfs_fuse::MountOptions::default().max_inodes(max_inodes);
        let session =
            strata_blobfs_fuse::BackgroundMount::mount_with(fs, store_dir, root, &options)?;
        Ok(Mounted {
            root: root.to_path_buf(),
            session: Some(session),
        })
    }

    /// Without the `fuse` feature there is no mount.
    #[cfg(not(feature = "fuse"))]
    pub(crate) fn mount(
        _fs: BlobFs,
        _store_dir: &Path,
        _root: &Path,
        _max_inodes: u64,
    ) -> Result<Mounted, String> {
        Err("this strata was built without FUSE support (cargo build --features fuse)".into())
    }
}

impl Mounted {
    /// Starts the mount's inode peak afresh (before a benchmark).
    fn reset_inode_peak(&self) {
        #[cfg(feature = "fuse")]
        if let Some(session) = &self.session {
            session.reset_inode_peak();
        }
    }

    /// The mount's inode table since the last reset, as a message:
    /// `(inodes: peak P, held H)`.
    fn inode_note(&self) -> Option<String> {
        #[cfg(feature = "fuse")]
        if let Some(session) = &self.session {
            let c = session.inodes();
            return Some(format!("(inodes: peak {}, held {})", c.peak, c.held));
        }
        None
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        #[cfg(feature = "fuse")]
        if let Some(session) = self.session.take() {
            if let Err(e) = session.unmount() {
                eprintln!("strata bench: {e}");
                return;
            }
        }
        let _ = std::fs::remove_dir(&self.root);
    }
}

/// The way operations go, and the clock of their claim times.
pub(crate) struct Target {
    /// The API's claim times.
    pub(crate) clock: Clock,
    mount: Option<Mounted>,
    /// Through the mount: the instant the latest mutation returned.
    last: Option<ClaimTime>,
}

impl Target {
    /// Operations through blobfs's API.
    pub(crate) fn api() -> Self {
        Target {
            clock: Clock::default(),
            mount: None,
            last: None,
        }
    }

    /// Operations through `mounted`.
    pub(crate) fn mount(mounted: Mounted) -> Self {
        Target {
            clock: Clock::default(),
            mount: Some(mounted),
            last: None,
        }
    }

    /// Through the mount: starts the inode table's peak afresh.
    pub(crate) fn reset_inode_peak(&self) {
        if let Some(m) = &self.mount {
            m.reset_inode_peak();
        }
    }

    /// Through the mount: the inode table's peak since
    /// [`Target::reset_inode_peak`] and its size now, as a message.
    pub(crate) fn inode_note(&self) -> Option<String> {
        self.mount.as_ref().and_then(Mounted::inode_note)
    }

    /// Which way this is.
    pub(crate) fn via(&self) -> FsVia {
        if self.mount.is_some() {
            FsVia::Mount
        } else {
            FsVia::Api
        }
    }

    /// The latest claim time handed out (the API) or recorded (the mount).
    pub(crate) fn last(&self) -> ClaimTime {
        self.last.unwrap_or_else(|| self.clock.last())
    }

    /// The instant `fs_history` asks for when it drew `drawn` and the
    /// model's version then began at `version_time`: `drawn` through the
    /// API (whose claim times are exact); through the mount the version's
    /// recorded instant, after its claim and before the next one.
    pub(crate) fn history_instant(&self, drawn: ClaimTime, version_time: ClaimTime) -> ClaimTime {
        match self.via() {
            FsVia::Api => drawn,
            FsVia::Mount => version_time,
        }
    }

    /// The local path of store path `path` in the mount, as of `at` (a
    /// `.at/<time>/` view) or now; `None` through the API.
    pub(crate) fn local(&self, path: &str, at: Option<ClaimTime>) -> Option<PathBuf> {
        let m = self.mount.as_ref()?;
        let mut local = m.root.clone();
        if let Some(t) = at {
            local.push(".at");
            local.push(t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true));
        }
        local.push(path.trim_start_matches('/'));
        Some(local)
    }

    /// A mutation's claim time: the next tick through the API (passed to
    /// the call), the instant after the call through the mount.
    fn stamp(&mut self) -> ClaimTime {
        let t = chrono::Utc::now();
        self.last = Some(t);
        t
    }

    fn io<T>(path: &Path, r: std::io::Result<T>) -> OpResult<T> {
        r.map_err(|e| OpError::Io(path.to_path_buf(), e))
    }

    /// `mkdir path`.
    pub(crate) fn mkdir(&mut self, fs: &BlobFs, path: &str) -> OpResult<ClaimTime> {
        match self.local(path, None) {
            None => {
                let t = self.clock.tick();
                fs.mkdir(path, Some(t))?;
                Ok(t)
            }
            Some(p) => {
                Self::io(&p, std::fs::create_dir(&p))?;
                Ok(self.stamp())
            }
        }
    }

    /// `mkdir -p path`.
    pub(crate) fn mkdir_all(&mut self, fs: &BlobFs, path: &str) -> OpResult<ClaimTime> {
        match self.local(path, None) {
            None => {
                let t = self.clock.tick();
                fs.mkdir_all(path, Some(t))?;
                Ok(t)
            }
            Some(p) => {
                Self::io(&p, std::fs::create_dir_all(&p))?;
                Ok(self.stamp())
            }
        }
    }

    /// The whole content of `path` (created if absent): `write_file`, or
    /// open with `O_CREAT|O_TRUNC`, write, close. The API's report comes
    /// back too.
    pub(crate) fn write_file(
        &mut self,
        fs: &BlobFs,
        path: &str,
        data: &[u8],
    ) -> OpResult<(ClaimTime, Option<WriteReport>)> {
        match self.local(path, None) {
            None => {
                let t = self.clock.tick();
                let report = fs.write_file(path, data, Some(t))?;
                Ok((t, Some(report)))
            }
            Some(p) => {
                Self::io(&p, write_and_close(&p, data))?;
                Ok((self.stamp(), None))
            }
        }
    }

    /// `data` at `offset` of `path`: `write_at`, or open for writing (no
    /// truncation), `pwrite`, close.
    pub(crate) fn write_at(
        &mut self,
        fs: &BlobFs,
        path: &str,
        offset: u64,
        data: &[u8],
    ) -> OpResult<(ClaimTime, Option<WriteReport>)> {
        match self.local(path, None) {
            None => {
                let t = self.clock.tick();
                let report = fs.write_at(path, offset, data, Some(t))?;
                Ok((t, Some(report)))
            }
            Some(p) => {
                use std::os::unix::fs::FileExt;
                let file = Self::io(&p, std::fs::OpenOptions::new().write(true).open(&p))?;
                Self::io(&p, file.write_all_at(data, offset))?;
                // The close commits the version (and reports its error).
                Self::io(&p, close(file))?;
                Ok((self.stamp(), None))
            }
        }
    }

    /// `mv from to`.
    pub(crate) fn rename(&mut self, fs: &BlobFs, from: &str, to: &str) -> OpResult<ClaimTime> {
        match (self.local(from, None), self.local(to, None)) {
            (Some(a), Some(b)) => {
                Self::io(&a, std::fs::rename(&a, &b))?;
                Ok(self.stamp())
            }
            _ => {
                let t = self.clock.tick();
                fs.rename(from, to, Some(t))?;
                Ok(t)
            }
        }
    }

    /// `rm path`.
    pub(crate) fn unlink(&mut self, fs: &BlobFs, path: &str) -> OpResult<ClaimTime> {
        match self.local(path, None) {
            None => {
                let t = self.clock.tick();
                fs.unlink(path, Some(t))?;
                Ok(t)
            }
            Some(p) => {
                Self::io(&p, std::fs::remove_file(&p))?;
                Ok(self.stamp())
            }
        }
    }

    /// `rmdir path`.
    pub(crate) fn rmdir(&mut self, fs: &BlobFs, path: &str) -> OpResult<ClaimTime> {
        match self.local(path, None) {
            None => {
                let t = self.clock.tick();
                fs.rmdir(path, Some(t))?;
                Ok(t)
            }
            Some(p) => {
                Self::io(&p, std::fs::remove_dir(&p))?;
                Ok(self.stamp())
            }
        }
    }

    /// The whole content of `path` as of `at` (now if `None`).
    pub(crate) fn read(&self, fs: &BlobFs, path: &str, at: Option<ClaimTime>) -> OpResult<Vec<u8>> {
        match self.local(path, at) {
            None => Ok(fs.read(path, at)?),
            Some(p) => Self::io(&p, std::fs::read(&p)),
        }
    }

    /// Kind and length of `path` now (`stat`).
    pub(crate) fn stat(&self, fs: &BlobFs, path: &str) -> OpResult<(NodeKind, u64)> {
        match self.local(path, None) {
            None => {
                let s = fs.stat(path, None)?;
                Ok((s.kind, s.size_bytes))
            }
            Some(p) => {
                let m = Self::io(&p, std::fs::metadata(&p))?;
                let kind = if m.is_dir() {
                    NodeKind::Directory
                } else {
                    NodeKind::File
                };
                Ok((kind, m.len()))
            }
        }
    }

    /// How many entries directory `path` lists now (`.` and `..` aside).
    pub(crate) fn readdir_len(&self, fs: &BlobFs, path: &str) -> OpResult<u64> {
        match self.local(path, None) {
            None => Ok(fs.readdir(path, None)?.len() as u64),
            Some(p) => {
                let mut n = 0;
                for entry in Self::io(&p, std::fs::read_dir(&p))? {
                    Self::io(&p, entry)?;
                    n += 1;
                }
                Ok(n)
            }
        }
    }

    /// True when `path` exists as of `at`.
    pub(crate) fn exists(&self, fs: &BlobFs, path: &str, at: Option<ClaimTime>) -> OpResult<bool> {
        match self.local(path, at) {
            None => Ok(fs.exists(path, at)?),
            Some(p) => match std::fs::symlink_metadata(&p) {
                Ok(_) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(OpError::Io(p, e)),
            },
        }
    }
}

/// Closes `file`, reporting the error `close(2)` returns (the mount
/// commits a file's version there; dropping a `File` ignores it).
fn close(file: std::fs::File) -> std::io::Result<()> {
    use std::os::fd::IntoRawFd;
    let fd = file.into_raw_fd();
    // SAFETY: `fd` was just released by `file`, so it is open and owned
    // here, and closed exactly once.
    if unsafe { libc::close(fd) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Reads `file` into `buf` until `buf` is full or the end; returns how
/// many bytes were read.
pub(crate) fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Writes `data` to a new or truncated `path` and closes it, reporting
/// the close's error.
pub(crate) fn write_and_close(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(data)?;
    close(file)
}
