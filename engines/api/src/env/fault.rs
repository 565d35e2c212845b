//! `FaultEnv`: wraps an env to simulate machine crashes and failing disks
//! (LevelDB's `db/fault_injection_test.cc`).
//!
//! A crash drops, per file, every byte appended since that file's last
//! `sync`; files created and never synced vanish. Renames and removals are
//! taken as durable at once (as a journaling file system orders them after
//! the data they name only when the directory is synced, the engines sync
//! the directory after every rename that matters; this env does not model
//! a lost rename). From the crash until [`FaultEnv::restart`], every
//! operation fails, as if the process had died with the machine.

use super::{Env, FileLock, RandomAccessFile, SequentialFile, WritableFile};
use crate::error::{Error, Result};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Which calls a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultOp {
    /// `WritableFile::append`.
    Append,
    /// `WritableFile::sync`.
    Sync,
    /// Creating a writable file.
    Create,
    /// Any of the above.
    AnyWrite,
}

/// What error a failing call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// EIO: an input/output error.
    Eio,
    /// ENOSPC: no space left on device.
    NoSpace,
}

#[derive(Debug, Clone, Copy)]
struct Fault {
    op: FaultOp,
    kind: FaultKind,
    /// Matching calls that still succeed before the fault fires.
    remaining_ok: u64,
}

#[derive(Default)]
struct Tracking {
    /// Bytes of each file known durable; absent for files never synced
    /// since creation (they vanish on a crash).
    synced_bytes: HashMap<PathBuf, u64>,
    /// Files written through this env since their creation.
    written: HashMap<PathBuf, ()>,
    fault: Option<Fault>,
}

struct Shared {
    inner: Arc<dyn Env>,
    crashed: AtomicBool,
    tracking: Mutex<Tracking>,
}

/// An env that can crash (dropping unsynced bytes) and fail chosen calls.
#[derive(Clone)]
pub struct FaultEnv {
    shared: Arc<Shared>,
}

impl FaultEnv {
    /// Wraps `inner` (usually a `MemEnv`).
    pub fn new(inner: Arc<dyn Env>) -> Self {
        FaultEnv {
            shared: Arc::new(Shared {
                inner,
                crashed: AtomicBool::new(false),
                tracking: Mutex::new(Tracking::default()),
            }),
        }
    }

    /// Makes the `remaining_ok + 1`-th and every later call of kind `op` fail
    /// with `kind`, until [`FaultEnv::clear_fault`].
    pub fn set_fault(&self, op: FaultOp, kind: FaultKind, remaining_ok: u64) {
        self.shared.tracking.lock().fault = Some(Fault {
            op,
            kind,
            remaining_ok,
        });
    }

    /// Removes the fault set by [`FaultEnv::set_fault`].
    pub fn clear_fault(&self) {
        self.shared.tracking.lock().fault = None;
    }

    /// Simulates a machine crash: every file written through this env loses
    /// the bytes appended since its last sync (a never-synced file is
    /// removed), and every call fails until [`FaultEnv::restart`].
    ///
    /// # Errors
    /// `Io` if the inner env fails while truncating.
    pub fn crash(&self) -> Result<()> {
        self.shared.crashed.store(true, Ordering::SeqCst);
        let mut tracking = self.shared.tracking.lock();
        let inner = &self.shared.inner;
        for path in tracking.written.keys() {
            if !inner.file_exists(path) {
                continue;
            }
            match tracking.synced_bytes.get(path) {
                None => inner.remove_file(path)?,
                Some(&keep) => {
                    let data = super::read_file_to_vec(inner.as_ref(), path)?;
                    // A fully synced file (every table) is left alone rather
                    // than rewritten with the same bytes: rewriting truncates
                    // it first, which a reader holding it memory-mapped (a
                    // `PosixEnv` inside) would see as SIGBUS.
                    if (keep as usize) < data.len() {
                        super::write_file(inner.as_ref(), path, &data[..keep as usize], false)?;
                    }
                }
            }
        }
        tracking.written.clear();
        tracking.synced_bytes.clear();
        Ok(())
    }

    /// Lets calls succeed again after a crash (the "reboot").
    pub fn restart(&self) {
        self.shared.crashed.store(false, Ordering::SeqCst);
    }

    fn check(&self, op: FaultOp, path: &Path) -> Result<()> {
        if self.shared.crashed.load(Ordering::SeqCst) {
            return Err(machine_down(path));
        }
        let mut tracking = self.shared.tracking.lock();
        if let Some(fault) = tracking.fault.as_mut() {
            if fault.op == op || fault.op == FaultOp::AnyWrite {
                if fault.remaining_ok > 0 {
                    fault.remaining_ok -= 1;
                } else {
                    let code = match fault.kind {
                        FaultKind::Eio => libc::EIO,
                        FaultKind::NoSpace => libc::ENOSPC,
                    };
                    return Err(Error::io(path, std::io::Error::from_raw_os_error(code)));
                }
            }
        }
        Ok(())
    }

    fn check_alive(&self, path: &Path) -> Result<()> {
        if self.shared.crashed.load(Ordering::SeqCst) {
            return Err(machine_down(path));
        }
        Ok(())
    }

    fn wrap(
        &self,
        path: &Path,
        file: Box<dyn WritableFile>,
        appended: u64,
    ) -> Box<dyn WritableFile> {
        Box::new(FaultWritable {
            env: self.clone(),
            path: path.to_path_buf(),
            file,
            len_bytes: appended,
        })
    }
}

fn machine_down(path: &Path) -> Error {
    Error::io(
        path,
        std::io::Error::other("simulated crash: machine is down"),
    )
}

struct FaultWritable {
    env: FaultEnv,
    path: PathBuf,
    file: Box<dyn WritableFile>,
    len_bytes: u64,
}

impl WritableFile for FaultWritable {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.env.check(FaultOp::Append, &self.path)?;
        self.file.append(data)?;
        self.len_bytes += data.len() as u64;
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        self.env.check_alive(&self.path)?;
        self.file.flush()
    }
    fn sync(&mut self) -> Result<()> {
        self.env.check(FaultOp::Sync, &self.path)?;
        self.file.sync()?;
        let mut tracking = self.env.shared.tracking.lock();
        tracking
            .synced_bytes
            .insert(self.path.clone(), self.len_bytes);
        tracking.written.insert(self.path.clone(), ());
        Ok(())
    }
    fn close(&mut self) -> Result<()> {
        self.env.check_alive(&self.path)?;
        self.file.close()
    }
}

impl Env for FaultEnv {
    fn new_writable_file(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        self.check(FaultOp::Create, path)?;
        let file = self.shared.inner.new_writable_file(path)?;
        let mut tracking = self.shared.tracking.lock();
        tracking.synced_bytes.remove(path);
        tracking.written.insert(path.to_path_buf(), ());
        drop(tracking);
        Ok(self.wrap(path, file, 0))
    }

    fn new_appendable_file(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        self.check(FaultOp::Create, path)?;
        let existing = if self.shared.inner.file_exists(path) {
            self.shared.inner.file_size(path)?
        } else {
            0
        };
        let file = self.shared.inner.new_appendable_file(path)?;
        let mut tracking = self.shared.tracking.lock();
        if !tracking.written.contains_key(path) {
            // Bytes already there before we touched the file are durable.
            tracking.synced_bytes.insert(path.to_path_buf(), existing);
            tracking.written.insert(path.to_path_buf(), ());
        }
        drop(tracking);
        Ok(self.wrap(path, file, existing))
    }

    fn new_sequential_file(&self, path: &Path) -> Result<Box<dyn SequentialFile>> {
        self.check_alive(path)?;
        self.shared.inner.new_sequential_file(path)
    }

    fn new_random_access_file(&self, path: &Path) -> Result<Arc<dyn RandomAccessFile>> {
        self.check_alive(path)?;
        self.shared.inner.new_random_access_file(path)
    }

    fn file_exists(&self, path: &Path) -> bool {
        self.shared.inner.file_exists(path)
    }

    fn children(&self, dir: &Path) -> Result<Vec<String>> {
        self.check_alive(dir)?;
        self.shared.inner.children(dir)
    }

    fn remove_file(&self, path: &Path) -> Result<()> {
        self.check_alive(path)?;
        let mut tracking = self.shared.tracking.lock();
        tracking.written.remove(path);
        tracking.synced_bytes.remove(path);
        drop(tracking);
        self.shared.inner.remove_file(path)
    }

    fn create_dir_all(&self, dir: &Path) -> Result<()> {
        self.check_alive(dir)?;
        self.shared.inner.create_dir_all(dir)
    }

    fn remove_dir_all(&self, dir: &Path) -> Result<()> {
        self.check_alive(dir)?;
        let mut tracking = self.shared.tracking.lock();
        tracking.written.retain(|p, _| !p.starts_with(dir));
        tracking.synced_bytes.retain(|p, _| !p.starts_with(dir));
        drop(tracking);
        self.shared.inner.remove_dir_all(dir)
    }

    fn file_size(&self, path: &Path) -> Result<u64> {
        self.shared.inner.file_size(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.check_alive(from)?;
        self.shared.inner.rename(from, to)?;
        let mut tracking = self.shared.tracking.lock();
        if tracking.written.remove(from).is_some() {
            tracking.written.insert(to.to_path_buf(), ());
        } else {
            tracking.written.remove(to);
        }
        match tracking.synced_bytes.remove(from) {
            Some(n) => {
                tracking.synced_bytes.insert(to.to_path_buf(), n);
            }
            None => {
                tracking.synced_bytes.remove(to);
            }
        }
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> Result<()> {
        self.check(FaultOp::Sync, dir)?;
        self.shared.inner.sync_dir(dir)
    }

    fn lock_file(&self, path: &Path) -> Result<FileLock> {
        self.check_alive(path)?;
        self.shared.inner.lock_file(path)
    }
}
