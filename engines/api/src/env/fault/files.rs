//! The file handles `FaultEnv` hands out: every call goes through the env's
//! fault decision, and a crash detaches them from the inner files for good.

use super::durability::NodeId;
use super::inject::FaultOp;
use super::FaultEnv;
use crate::env::{MappedBytes, RandomAccessFile, SequentialFile, WritableFile};
use crate::error::Result;
use parking_lot::Mutex;
use std::path::PathBuf;
use std::sync::Arc;

/// The inner writable file, shared with the env so that a crash can take it
/// away (and so flush what it buffers before the unsynced bytes are cut).
pub(super) type Slot = Arc<Mutex<Option<Box<dyn WritableFile>>>>;

/// The env's reference to a [`Slot`]: it does not keep the file open.
pub(super) type WeakSlot = std::sync::Weak<Mutex<Option<Box<dyn WritableFile>>>>;

pub(super) struct FaultWritable {
    pub(super) env: FaultEnv,
    pub(super) path: PathBuf,
    pub(super) node: NodeId,
    pub(super) slot: Slot,
    /// Bytes in the file: those there at open plus those appended.
    pub(super) len_bytes: u64,
    /// The env's crash generation when the file was opened.
    pub(super) generation: u64,
}

impl FaultWritable {
    fn with_inner<T>(
        &mut self,
        op: FaultOp,
        f: impl FnOnce(&mut dyn WritableFile) -> Result<T>,
    ) -> Result<T> {
        self.env.begin(op, &self.path, Some(self.node))?;
        let mut slot = self.slot.lock();
        let file = slot
            .as_mut()
            .ok_or_else(|| super::machine_down(&self.path))?;
        f(file.as_mut())
    }
}

impl WritableFile for FaultWritable {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.with_inner(FaultOp::Append, |f| f.append(data))?;
        self.len_bytes += data.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.with_inner(FaultOp::Flush, |f| f.flush())
    }

    fn sync(&mut self) -> Result<()> {
        self.env.begin(FaultOp::Sync, &self.path, Some(self.node))?;
        let result = {
            let mut slot = self.slot.lock();
            match slot.as_mut() {
                Some(file) => file.sync(),
                None => Err(super::machine_down(&self.path)),
            }
        };
        self.env.sync_done(
            &self.path,
            self.node,
            self.generation,
            self.len_bytes,
            result,
        )
    }

    fn close(&mut self) -> Result<()> {
        self.with_inner(FaultOp::Close, |f| f.close())
    }
}

impl Drop for FaultWritable {
    fn drop(&mut self) {
        // While the machine is down nothing may reach the inner env, not
        // even the flush a buffered file does when dropped: keep the inner
        // file until the crash is applied.
        self.env.retire(&self.slot);
    }
}

pub(super) struct FaultSequential {
    pub(super) env: FaultEnv,
    pub(super) path: PathBuf,
    pub(super) file: Box<dyn SequentialFile>,
    pub(super) generation: u64,
}

impl SequentialFile for FaultSequential {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        self.env
            .check_read(FaultOp::Read, &self.path, self.generation)?;
        self.file.read(buf)
    }

    fn skip(&mut self, n: u64) -> Result<()> {
        self.env
            .check_read(FaultOp::Read, &self.path, self.generation)?;
        self.file.skip(n)
    }
}

pub(super) struct FaultRandom {
    pub(super) env: FaultEnv,
    pub(super) path: PathBuf,
    pub(super) file: Arc<dyn RandomAccessFile>,
    pub(super) generation: u64,
}

impl RandomAccessFile for FaultRandom {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.env
            .check_read(FaultOp::Read, &self.path, self.generation)?;
        self.file.read_at(offset, buf)
    }

    fn read_at_into(&self, offset: u64, len: usize, buf: &mut Vec<u8>) -> Result<usize> {
        self.env
            .check_read(FaultOp::Read, &self.path, self.generation)?;
        self.file.read_at_into(offset, len, buf)
    }

    fn read_mapped(&self, offset: u64, len: usize) -> Option<MappedBytes> {
        // A mapped read cannot fail: when reads may fail, decline it so the
        // caller reads with `read_at_into`, where the fault fires.
        if self.env.reads_may_fail(self.generation) {
            return None;
        }
        self.file.read_mapped(offset, len)
    }
}
