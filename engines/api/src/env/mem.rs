//! `MemEnv`: an in-memory file system (LevelDB's `helpers/memenv`).

use super::{Env, FileLock, RandomAccessFile, SequentialFile, WritableFile};
use crate::error::{Error, Result};
use parking_lot::{Mutex, RwLock};
use std::collections::{BTreeMap, HashSet};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

type FileData = Arc<RwLock<Vec<u8>>>;

#[derive(Default)]
struct State {
    files: BTreeMap<PathBuf, FileData>,
    dirs: HashSet<PathBuf>,
    locks: HashSet<PathBuf>,
}

/// A file system held in memory; cloning shares it. Durable by nature:
/// `sync` does nothing (wrap it in `FaultEnv` to model lost writes).
#[derive(Clone, Default)]
pub struct MemEnv {
    state: Arc<Mutex<State>>,
}

impl MemEnv {
    /// An empty in-memory file system.
    pub fn new() -> Self {
        Self::default()
    }

    /// Total bytes held in all files.
    pub fn total_bytes(&self) -> u64 {
        let state = self.state.lock();
        state.files.values().map(|f| f.read().len() as u64).sum()
    }

    fn get(&self, path: &Path) -> Result<FileData> {
        self.state
            .lock()
            .files
            .get(path)
            .cloned()
            .ok_or_else(|| not_found(path))
    }
}

fn not_found(path: &Path) -> Error {
    Error::io(
        path,
        std::io::Error::new(ErrorKind::NotFound, "no such file"),
    )
}

struct MemWritable(FileData);

impl WritableFile for MemWritable {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.0.write().extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

struct MemSequential {
    data: FileData,
    pos: usize,
}

impl SequentialFile for MemSequential {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let data = self.data.read();
        let start = self.pos.min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        self.pos = start + n;
        Ok(n)
    }
    fn skip(&mut self, n: u64) -> Result<()> {
        self.pos = self.pos.saturating_add(n as usize);
        Ok(())
    }
}

struct MemRandom(FileData);

impl RandomAccessFile for MemRandom {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let data = self.0.read();
        let start = (offset as usize).min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }

    fn read_at_into(&self, offset: u64, len: usize, buf: &mut Vec<u8>) -> Result<usize> {
        let data = self.0.read();
        let start = usize::try_from(offset).map_or(data.len(), |o| o.min(data.len()));
        let n = len.min(data.len() - start);
        buf.extend_from_slice(&data[start..start + n]);
        Ok(n)
    }
}

struct MemLock {
    env: MemEnv,
    path: PathBuf,
}

impl Drop for MemLock {
    fn drop(&mut self) {
        self.env.state.lock().locks.remove(&self.path);
    }
}

impl Env for MemEnv {
    fn new_writable_file(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let data: FileData = Arc::new(RwLock::new(Vec::new()));
        self.state
            .lock()
            .files
            .insert(path.to_path_buf(), Arc::clone(&data));
        Ok(Box::new(MemWritable(data)))
    }

    fn new_appendable_file(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let mut state = self.state.lock();
        let data = state
            .files
            .entry(path.to_path_buf())
            .or_insert_with(|| Arc::new(RwLock::new(Vec::new())));
        Ok(Box::new(MemWritable(Arc::clone(data))))
    }

    fn new_sequential_file(&self, path: &Path) -> Result<Box<dyn SequentialFile>> {
        Ok(Box::new(MemSequential {
            data: self.get(path)?,
            pos: 0,
        }))
    }

    fn new_random_access_file(&self, path: &Path) -> Result<Arc<dyn RandomAccessFile>> {
        Ok(Arc::new(MemRandom(self.get(path)?)))
    }

    fn file_exists(&self, path: &Path) -> bool {
        let state = self.state.lock();
        state.files.contains_key(path) || state.dirs.contains(path)
    }

    fn children(&self, dir: &Path) -> Result<Vec<String>> {
        let state = self.state.lock();
        let mut names: Vec<String> = state
            .files
            .keys()
            .chain(state.dirs.iter())
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn remove_file(&self, path: &Path) -> Result<()> {
        self.state
            .lock()
            .files
            .remove(path)
            .map(|_| ())
            .ok_or_else(|| not_found(path))
    }

    fn create_dir_all(&self, dir: &Path) -> Result<()> {
        let mut state = self.state.lock();
        for ancestor in dir.ancestors() {
            if !ancestor.as_os_str().is_empty() {
                state.dirs.insert(ancestor.to_path_buf());
            }
        }
        Ok(())
    }

    fn remove_dir_all(&self, dir: &Path) -> Result<()> {
        let mut state = self.state.lock();
        state.files.retain(|p, _| !p.starts_with(dir));
        state.dirs.retain(|p| !p.starts_with(dir));
        Ok(())
    }

    fn file_size(&self, path: &Path) -> Result<u64> {
        Ok(self.get(path)?.read().len() as u64)
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        let mut state = self.state.lock();
        let data = state.files.remove(from).ok_or_else(|| not_found(from))?;
        state.files.insert(to.to_path_buf(), data);
        Ok(())
    }

    fn sync_dir(&self, _dir: &Path) -> Result<()> {
        Ok(())
    }

    fn lock_file(&self, path: &Path) -> Result<FileLock> {
        let mut state = self.state.lock();
        if !state.locks.insert(path.to_path_buf()) {
            return Err(Error::io(
                path,
                std::io::Error::new(
                    ErrorKind::WouldBlock,
                    "lock already held (is the database open twice?)",
                ),
            ));
        }
        state
            .files
            .entry(path.to_path_buf())
            .or_insert_with(|| Arc::new(RwLock::new(Vec::new())));
        Ok(FileLock::new(Box::new(MemLock {
            env: self.clone(),
            path: path.to_path_buf(),
        })))
    }
}
