//! `FaultEnv`: wraps any env to simulate machine crashes and failing disks,
//! as strictly as LevelDB's `db/fault_injection_test.cc` and RocksDB's
//! `FaultInjectionTestFS`.
//!
//! **Crashes** ([`FaultEnv::crash`]) follow POSIX's promises, nothing more
//! (see `durability`):
//! - a file keeps only the bytes of its last successful `sync`; under
//!   [`CrashMode::TornTail`] a random prefix of the rest survives, followed
//!   by a torn tail of garbage or zeros;
//! - a failed `sync` poisons the file: bytes not durable then never become
//!   durable by a later sync (Linux drops the dirty pages);
//! - a creation, rename or removal is durable only once its directory is
//!   `sync_dir`'d; otherwise a crash undoes it: the created file vanishes
//!   (even if its bytes were synced), a renamed file gets its old name back
//!   and a replaced target its durable content, a removed file comes back
//!   with its durable content. Directory creation and `remove_dir_all` are
//!   taken as durable at once.
//!
//! A file whose bytes are all durable is never rewritten by a crash (a
//! `PosixEnv` reader may hold it memory-mapped: truncating would SIGBUS).
//!
//! **Errors** (EIO or ENOSPC) can be injected into any call kind
//! ([`FaultOp`]): at the n-th call, from the n-th call on, or with a
//! seeded probability ([`FaultRule`]); or into the k-th *mutating* call
//! whatever its kind ([`FaultEnv::fail_call`]). An injected error leaves
//! the inner env untouched.
//!
//! **Crash points**: every mutating call (writes, syncs, creations,
//! renames, removals, closes, locks) gets an index
//! ([`FaultEnv::mutating_calls`]); [`FaultEnv::crash_after_call`] freezes
//! the env once call k has run: every later call fails and nothing more
//! reaches the inner env until the test calls [`FaultEnv::crash`] and
//! [`FaultEnv::restart`]. File handles opened before a crash stay dead
//! after the restart.

mod durability;
mod files;
mod inject;
mod rng;

#[cfg(test)]
mod tests;

pub use durability::CrashMode;
pub use inject::{CallRecord, FaultKind, FaultOp, FaultRule, Trigger};

use super::{read_file_to_vec, Env, FileLock, RandomAccessFile, SequentialFile, WritableFile};
use crate::error::{Error, Result};
use durability::{Durability, NodeId};
use files::{FaultRandom, FaultSequential, FaultWritable, Slot, WeakSlot};
use inject::Injector;
use parking_lot::Mutex;
use rng::Rng;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

struct State {
    injector: Injector,
    model: Durability,
    crash_mode: CrashMode,
    torn_rng: Rng,
    /// Every writable file handed out, so that a crash can detach them.
    writables: Vec<WeakSlot>,
    writables_live: usize,
    /// Inner files dropped while the machine was down, kept until the
    /// crash is applied (dropping may flush them).
    graveyard: Vec<Box<dyn WritableFile>>,
}

struct Shared {
    inner: Arc<dyn Env>,
    /// Frozen at a crash point or crashed: every call fails.
    down: AtomicBool,
    /// Counts crashes; a handle from an earlier generation is dead.
    generation: AtomicU64,
    /// Some rule watches reads, so reads must take the lock.
    watch_reads: AtomicBool,
    state: Mutex<State>,
}

/// An env that can crash (dropping what is not durable) and fail chosen
/// calls. Cloning shares it.
#[derive(Clone)]
pub struct FaultEnv {
    shared: Arc<Shared>,
}

fn machine_down(path: &Path) -> Error {
    Error::io(
        path,
        std::io::Error::other("simulated crash: machine is down"),
    )
}

fn handle_from_before_crash(path: &Path) -> Error {
    Error::io(
        path,
        std::io::Error::other("simulated crash: file opened before the crash"),
    )
}

/// What a crash would leave of `path`: its durable prefix.
fn durable_content(inner: &dyn Env, model: &Durability, path: &Path) -> Result<Vec<u8>> {
    let mut data = read_file_to_vec(inner, path)?;
    if let Some(len) = model.durable_len(path) {
        data.truncate(len as usize);
    }
    Ok(data)
}

impl FaultEnv {
    /// Wraps `inner` (a `MemEnv` or a `PosixEnv`), with seed 0.
    pub fn new(inner: Arc<dyn Env>) -> Self {
        Self::with_seed(inner, 0)
    }

    /// Wraps `inner`; `seed` drives probabilistic faults and torn tails.
    pub fn with_seed(inner: Arc<dyn Env>, seed: u64) -> Self {
        FaultEnv {
            shared: Arc::new(Shared {
                inner,
                down: AtomicBool::new(false),
                generation: AtomicU64::new(0),
                watch_reads: AtomicBool::new(false),
                state: Mutex::new(State {
                    injector: Injector::new(seed),
                    model: Durability::default(),
                    crash_mode: CrashMode::default(),
                    torn_rng: Rng::new(seed),
                    writables: Vec::new(),
                    writables_live: 0,
                    graveyard: Vec::new(),
                }),
            }),
        }
    }

    /// Replaces every rule with one: the `remaining_ok + 1`-th and every
    /// later call of kind `op` fail with `kind`, until
    /// [`FaultEnv::clear_fault`].
    pub fn set_fault(&self, op: FaultOp, kind: FaultKind, remaining_ok: u64) {
        let mut st = self.shared.state.lock();
        st.injector.clear_rules();
        st.injector
            .add_rule(FaultRule::from_nth(op, kind, remaining_ok + 1));
        self.note_rules(&st);
    }

    /// Adds `rule` to the rules in force; its calls are counted from now.
    pub fn add_fault(&self, rule: FaultRule) {
        let mut st = self.shared.state.lock();
        st.injector.add_rule(rule);
        self.note_rules(&st);
    }

    /// Removes every rule and the [`FaultEnv::fail_call`] point.
    pub fn clear_fault(&self) {
        let mut st = self.shared.state.lock();
        st.injector.clear_rules();
        st.injector.clear_fail_call();
        self.note_rules(&st);
    }

    /// Makes the `k`-th mutating call (1-based, counted since the env was
    /// made) fail with `kind`; the calls after it succeed.
    pub fn fail_call(&self, k: u64, kind: FaultKind) {
        self.shared.state.lock().injector.set_fail_call(k, kind);
    }

    /// Freezes the env once the `k`-th mutating call (1-based, counted since
    /// the env was made) has run: every later call fails until
    /// [`FaultEnv::crash`] and [`FaultEnv::restart`]. A `k` already passed
    /// never fires.
    pub fn crash_after_call(&self, k: u64) {
        self.shared.state.lock().injector.set_crash_after(Some(k));
    }

    /// Mutating calls made so far (see [`FaultOp::is_mutating`]), including
    /// those that failed.
    pub fn mutating_calls(&self) -> u64 {
        self.shared.state.lock().injector.mutating_calls()
    }

    /// True while frozen at a crash point or crashed (every call fails).
    pub fn is_down(&self) -> bool {
        self.shared.down.load(Ordering::SeqCst)
    }

    /// What later crashes keep of unsynced bytes.
    pub fn set_crash_mode(&self, mode: CrashMode) {
        self.shared.state.lock().crash_mode = mode;
    }

    /// Starts (or stops) keeping a [`CallRecord`] of every mutating call.
    pub fn record_calls(&self, on: bool) {
        self.shared.state.lock().injector.set_record_calls(on);
    }

    /// The mutating calls recorded since [`FaultEnv::record_calls`].
    pub fn calls(&self) -> Vec<CallRecord> {
        self.shared.state.lock().injector.calls().to_vec()
    }

    /// Every call an error was injected into, oldest first.
    pub fn injected(&self) -> Vec<CallRecord> {
        self.shared.state.lock().injector.injected().to_vec()
    }

    /// Simulates a machine crash: detaches every open file (handles opened
    /// before it stay dead), cuts each file back to its durable bytes and
    /// undoes the directory changes never synced (see the module doc).
    /// Every call fails until [`FaultEnv::restart`].
    ///
    /// # Errors
    /// `Io` if the inner env fails while the crash is applied.
    pub fn crash(&self) -> Result<()> {
        // The lock is held throughout (lock order: state, then a file's
        // slot), so no call can slip in between the steps.
        let mut st = self.shared.state.lock();
        self.shared.down.store(true, Ordering::SeqCst);
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        // Dropping an inner file may flush its buffer: harmless now, the
        // unsynced bytes are cut below.
        for slot in st.writables.drain(..).filter_map(|w| w.upgrade()) {
            let file = slot.lock().take();
            drop(file);
        }
        st.writables_live = 0;
        st.graveyard.clear();
        let State {
            model,
            crash_mode,
            torn_rng,
            ..
        } = &mut *st;
        model.crash(self.shared.inner.as_ref(), *crash_mode, torn_rng)
    }

    /// Lets calls succeed again (the "reboot"); clears the crash point.
    /// Without a [`FaultEnv::crash`] first, a frozen env resumes as if the
    /// disk had only stalled.
    pub fn restart(&self) {
        let graveyard = {
            let mut st = self.shared.state.lock();
            st.injector.set_crash_after(None);
            self.shared.down.store(false, Ordering::SeqCst);
            std::mem::take(&mut st.graveyard)
        };
        drop(graveyard);
    }

    fn note_rules(&self, st: &State) {
        self.shared
            .watch_reads
            .store(st.injector.watches_reads(), Ordering::SeqCst);
    }

    fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::SeqCst)
    }

    /// Counts a call and decides it, with the lock held.
    fn decide_locked(
        &self,
        st: &mut State,
        op: FaultOp,
        path: &Path,
        node: Option<NodeId>,
    ) -> Result<()> {
        if self.is_down() {
            return Err(machine_down(path));
        }
        let verdict = st.injector.decide(op, path);
        if verdict.freeze {
            // This call still runs; every later one fails.
            self.shared.down.store(true, Ordering::SeqCst);
        }
        if let Some(kind) = verdict.fail {
            if let (FaultOp::Sync, Some(node)) = (op, node) {
                st.model.sync_failed(node);
            }
            return Err(kind.error(path));
        }
        Ok(())
    }

    /// The fault decision for a call on an open writable file.
    fn begin(&self, op: FaultOp, path: &Path, node: Option<NodeId>) -> Result<()> {
        let mut st = self.shared.state.lock();
        self.decide_locked(&mut st, op, path, node)
    }

    /// Runs a directory-level call with the lock held throughout, so that a
    /// crash sees it either wholly done and recorded or not begun.
    fn mutate<T>(
        &self,
        op: FaultOp,
        path: &Path,
        f: impl FnOnce(&dyn Env, &mut State) -> Result<T>,
    ) -> Result<T> {
        let mut st = self.shared.state.lock();
        self.decide_locked(&mut st, op, path, None)?;
        f(self.shared.inner.as_ref(), &mut st)
    }

    /// Records the outcome of a sync of `node` made with `len_bytes` in the
    /// file; a crash since the file was opened makes it a failure (the
    /// crash did not count the bytes as durable).
    fn sync_done(
        &self,
        path: &Path,
        node: NodeId,
        generation: u64,
        len_bytes: u64,
        result: Result<()>,
    ) -> Result<()> {
        let mut st = self.shared.state.lock();
        if self.generation() != generation {
            return Err(machine_down(path));
        }
        match result {
            Ok(()) => {
                st.model.synced(node, len_bytes);
                Ok(())
            }
            Err(e) => {
                st.model.sync_failed(node);
                Err(e)
            }
        }
    }

    /// Disposes of the inner file of a dropped handle.
    fn retire(&self, slot: &Slot) {
        let mut st = self.shared.state.lock();
        let file = slot.lock().take();
        if let Some(file) = file {
            if self.is_down() {
                st.graveyard.push(file);
            } else {
                drop(file);
            }
        }
    }

    /// The fault decision for a read-side call (not counted).
    fn check_read(&self, op: FaultOp, path: &Path, generation: u64) -> Result<()> {
        if self.is_down() {
            return Err(machine_down(path));
        }
        if self.generation() != generation {
            return Err(handle_from_before_crash(path));
        }
        if !self.shared.watch_reads.load(Ordering::SeqCst) {
            return Ok(());
        }
        let mut st = self.shared.state.lock();
        self.decide_locked(&mut st, op, path, None)
    }

    fn reads_may_fail(&self, generation: u64) -> bool {
        self.is_down()
            || self.generation() != generation
            || self.shared.watch_reads.load(Ordering::SeqCst)
    }

    fn wrap_writable(
        &self,
        st: &mut State,
        path: &Path,
        node: NodeId,
        file: Box<dyn WritableFile>,
        len_bytes: u64,
    ) -> Box<dyn WritableFile> {
        let slot: Slot = Arc::new(Mutex::new(Some(file)));
        st.writables.push(Arc::downgrade(&slot));
        if st.writables.len() > 2 * st.writables_live.max(32) {
            st.writables.retain(|w| w.strong_count() > 0);
            st.writables_live = st.writables.len();
        }
        Box::new(FaultWritable {
            env: self.clone(),
            path: path.to_path_buf(),
            node,
            slot,
            len_bytes,
            generation: self.generation(),
        })
    }
}

impl Env for FaultEnv {
    fn new_writable_file(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        self.mutate(FaultOp::Create, path, |inner, st| {
            let existed = inner.file_exists(path);
            let file = inner.new_writable_file(path)?;
            let node = st.model.created(path, existed);
            Ok(self.wrap_writable(st, path, node, file, 0))
        })
    }

    fn new_appendable_file(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        self.mutate(FaultOp::Create, path, |inner, st| {
            let existing = if inner.file_exists(path) {
                Some(inner.file_size(path)?)
            } else {
                None
            };
            let file = inner.new_appendable_file(path)?;
            let node = st.model.opened_for_append(path, existing);
            Ok(self.wrap_writable(st, path, node, file, existing.unwrap_or(0)))
        })
    }

    fn new_sequential_file(&self, path: &Path) -> Result<Box<dyn SequentialFile>> {
        let generation = self.generation();
        self.check_read(FaultOp::OpenRead, path, generation)?;
        let file = self.shared.inner.new_sequential_file(path)?;
        Ok(Box::new(FaultSequential {
            env: self.clone(),
            path: path.to_path_buf(),
            file,
            generation,
        }))
    }

    fn new_random_access_file(&self, path: &Path) -> Result<Arc<dyn RandomAccessFile>> {
        let generation = self.generation();
        self.check_read(FaultOp::OpenRead, path, generation)?;
        let file = self.shared.inner.new_random_access_file(path)?;
        Ok(Arc::new(FaultRandom {
            env: self.clone(),
            path: path.to_path_buf(),
            file,
            generation,
        }))
    }

    fn file_exists(&self, path: &Path) -> bool {
        self.shared.inner.file_exists(path)
    }

    fn children(&self, dir: &Path) -> Result<Vec<String>> {
        self.check_read(FaultOp::Children, dir, self.generation())?;
        self.shared.inner.children(dir)
    }

    fn remove_file(&self, path: &Path) -> Result<()> {
        self.mutate(FaultOp::Remove, path, |inner, st| {
            let durable = if inner.file_exists(path) {
                durable_content(inner, &st.model, path)?
            } else {
                Vec::new()
            };
            inner.remove_file(path)?;
            st.model.removed(path, durable);
            Ok(())
        })
    }

    fn create_dir_all(&self, dir: &Path) -> Result<()> {
        self.mutate(FaultOp::CreateDir, dir, |inner, _| {
            inner.create_dir_all(dir)
        })
    }

    fn remove_dir_all(&self, dir: &Path) -> Result<()> {
        self.mutate(FaultOp::Remove, dir, |inner, st| {
            inner.remove_dir_all(dir)?;
            st.model.forget_under(dir);
            Ok(())
        })
    }

    fn file_size(&self, path: &Path) -> Result<u64> {
        if self.is_down() {
            return Err(machine_down(path));
        }
        self.shared.inner.file_size(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.mutate(FaultOp::Rename, from, |inner, st| {
            let overwritten = if inner.file_exists(to) {
                Some(durable_content(inner, &st.model, to)?)
            } else {
                None
            };
            let from_len = inner.file_size(from)?;
            st.model.ensure_known(from, from_len);
            inner.rename(from, to)?;
            st.model.renamed(from, to, overwritten);
            Ok(())
        })
    }

    fn sync_dir(&self, dir: &Path) -> Result<()> {
        self.mutate(FaultOp::SyncDir, dir, |inner, st| {
            inner.sync_dir(dir)?;
            st.model.dir_synced(dir);
            Ok(())
        })
    }

    fn lock_file(&self, path: &Path) -> Result<FileLock> {
        self.mutate(FaultOp::Lock, path, |inner, st| {
            let existed = inner.file_exists(path);
            let lock = inner.lock_file(path)?;
            if !existed {
                st.model.created(path, false);
            }
            Ok(lock)
        })
    }
}
