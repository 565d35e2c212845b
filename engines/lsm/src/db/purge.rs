//! The purge thread: deletes the files `remove_obsolete_files` found
//! obsolete, off the background thread (RocksDB's background purge).
//!
//! An `unlink` can block for milliseconds (on a file system mounted with
//! `discard` it waits for the device to trim the file's blocks); on the
//! background thread every such wait delayed the next flush, and writers
//! stalled behind it. A file is queued only once nothing live names it
//! (no version, pending output or WAL replay), and its number is marked
//! used first (a file a crashed run left may carry a number the MANIFEST
//! never recorded, which would otherwise be handed out again and its new
//! file deleted here), so deleting it later changes nothing a reader or a
//! recovery sees. A path already queued is not queued twice. Errors are ignored, as
//! they were on the background thread: a leftover file is found again by
//! the next scan. Closing waits for every queued deletion.

use parking_lot::{Condvar, Mutex};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use strata_api::Env;

/// A thread deleting queued files, in the order queued.
pub(crate) struct Purger {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    state: Mutex<QueueState>,
    /// Signalled when files are queued, a batch is done, or on close.
    cv: Condvar,
}

#[derive(Default)]
struct QueueState {
    /// Queued, not yet taken by the thread.
    pending: Vec<PathBuf>,
    /// Queued or being deleted.
    queued: HashSet<PathBuf>,
    /// No more files come: the thread exits once `pending` is empty.
    closed: bool,
}

impl Purger {
    /// Starts the thread, deleting through `env`.
    ///
    /// # Errors
    /// The thread could not be spawned.
    pub(crate) fn start(env: Arc<dyn Env>) -> std::io::Result<Purger> {
        let shared = Arc::new(Shared {
            state: Mutex::new(QueueState::default()),
            cv: Condvar::new(),
        });
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("strata-lsm-purge".into())
            .spawn(move || run(&for_thread, env.as_ref()))?;
        Ok(Purger {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues `paths` for deletion (those already queued are skipped).
    /// After [`Purger::close`], deletes them on the calling thread.
    pub(crate) fn delete(&self, env: &dyn Env, paths: Vec<PathBuf>) {
        let mut st = self.shared.state.lock();
        if st.closed {
            drop(st);
            for path in paths {
                let _ = env.remove_file(&path);
            }
            return;
        }
        for path in paths {
            if st.queued.insert(path.clone()) {
                st.pending.push(path);
            }
        }
        self.shared.cv.notify_all();
    }

    /// Waits until every file queued so far is deleted (or failed to be).
    pub(crate) fn wait_idle(&self) {
        let mut st = self.shared.state.lock();
        while !st.queued.is_empty() {
            self.shared.cv.wait(&mut st);
        }
    }

    /// Deletes what is queued, then stops the thread and waits for it.
    pub(crate) fn close(&self) {
        {
            let mut st = self.shared.state.lock();
            st.closed = true;
            self.shared.cv.notify_all();
        }
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Purger {
    fn drop(&mut self) {
        self.close();
    }
}

fn run(shared: &Shared, env: &dyn Env) {
    let mut st = shared.state.lock();
    loop {
        if st.pending.is_empty() {
            if st.closed {
                return;
            }
            shared.cv.wait(&mut st);
            continue;
        }
        let batch = std::mem::take(&mut st.pending);
        drop(st);
        for path in &batch {
            let _ = env.remove_file(path);
        }
        st = shared.state.lock();
        for path in &batch {
            st.queued.remove(path);
        }
        shared.cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_api::env::PosixEnv;

    #[test]
    fn queued_files_are_deleted_once_and_close_waits_for_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env: Arc<dyn Env> = Arc::new(PosixEnv::new());
        let paths: Vec<PathBuf> = (0..50)
            .map(|i| dir.path().join(format!("{i:06}.ldb")))
            .collect();
        for p in &paths {
            std::fs::write(p, b"x").expect("write");
        }
        let purger = Purger::start(Arc::clone(&env)).expect("start");
        purger.delete(env.as_ref(), paths[..25].to_vec());
        // Queuing the same paths again is harmless.
        purger.delete(env.as_ref(), paths[..25].to_vec());
        purger.wait_idle();
        assert!(paths[..25].iter().all(|p| !p.exists()));
        assert!(paths[25..].iter().all(|p| p.exists()));
        purger.delete(env.as_ref(), paths[25..].to_vec());
        purger.close();
        assert!(paths.iter().all(|p| !p.exists()), "close waits");
        // After close, deletion happens on the caller's thread.
        let late = dir.path().join("late.log");
        std::fs::write(&late, b"x").expect("write");
        purger.delete(env.as_ref(), vec![late.clone()]);
        assert!(!late.exists());
    }
}
