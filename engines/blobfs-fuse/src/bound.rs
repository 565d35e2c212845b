//! A bound on the inode table: the kernel forgets an inode only under
//! memory pressure, so without one the table (and the mount's memory)
//! grows with every path ever looked up: 780,000 inodes after a million
//! files were created, 1.9 million after their past views were read.
//!
//! A sweeper thread looks at the table every [`SWEEP_INTERVAL`]; when it
//! holds more than the cap it takes the coldest entries (see
//! [`InodeTable::coldest`]) down to the cap less a [`HEADROOM`]th of it
//! and asks the kernel to drop each one's directory entry
//! (`FUSE_NOTIFY_INVAL_ENTRY`). A dropped entry whose inode nothing else
//! holds is evicted, and the kernel's `FORGET` removes it from the table;
//! the next access to its path looks it up again.
//!
//! Deadlocks: the kernel handles a notification while holding the parent
//! directory's lock, which an in-flight request may hold until the
//! session answers it. So notifications are sent only from the sweeper's
//! own thread (never from a request handler), and never while the state
//! lock is held: the victims are taken under the lock, which is released
//! before the first notification.
//!
//! [`InodeTable::coldest`]: super::inodes::InodeTable::coldest

use super::mount_fs::{MountFs, State};
use fuser::{BackgroundSession, Config, INodeNo, Notifier};
use std::collections::HashSet;
use std::ffi::OsStr;
use std::io;
use std::path::Path;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// The default cap on the inodes a mount holds.
///
/// 65,536 inodes keep the table near 18 MB (about 274 bytes each with
/// 100-byte paths, plus the kernel's own inode and dentry for each,
/// about 1 KB, outside the process) while covering the working set of a
/// build or a tool walking one project; past it, the coldest entries
/// cost one `LOOKUP` each when used again.
pub const DEFAULT_MAX_INODES: u64 = 65_536;

/// How often the sweeper compares the table with its cap.
pub(crate) const SWEEP_INTERVAL: Duration = Duration::from_millis(100);

/// A sweep brings the table down to the cap less `cap / HEADROOM`, so
/// that a table at the cap is not swept at every interval for a few
/// entries.
pub(crate) const HEADROOM: u64 = 8;

/// At most this many notifications per sweep (the state lock is held
/// while they are chosen).
const MAX_VICTIMS_PER_SWEEP: usize = 16_384;

/// How a store is mounted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MountOptions {
    /// The most inodes the mount keeps in its table before it asks the
    /// kernel to forget the least recently used ones ([`DEFAULT_MAX_INODES`]
    /// by default; 0: no cap, the kernel forgets on its own, under memory
    /// pressure only). The root, `.at` and open files are never asked
    /// for, so the table can exceed the cap by the files held open.
    pub max_inodes: u64,
}

impl Default for MountOptions {
    fn default() -> Self {
        MountOptions {
            max_inodes: DEFAULT_MAX_INODES,
        }
    }
}

impl MountOptions {
    /// Sets [`MountOptions::max_inodes`] (0: no cap).
    #[must_use]
    pub fn max_inodes(mut self, n: u64) -> Self {
        self.max_inodes = n;
        self
    }
}

/// The inode table's size, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InodeCounts {
    /// Inodes held now (the root and `.at` included).
    pub held: u64,
    /// The most held at once since the mount (or the last
    /// [`super::BackgroundMount::reset_inode_peak`]).
    pub peak: u64,
    /// Entries the kernel was asked to drop since the mount.
    pub invalidated: u64,
}

/// The counts of `state`.
pub(crate) fn counts(state: &Mutex<State>) -> InodeCounts {
    let st = state.lock().unwrap_or_else(PoisonError::into_inner);
    InodeCounts {
        held: st.inodes.len() as u64,
        peak: st.inodes.peak() as u64,
        invalidated: st.invalidated,
    }
}

/// The thread that keeps the table under its cap; stopped (and joined)
/// by [`Sweeper::stop`] or when dropped.
#[derive(Debug)]
pub(crate) struct Sweeper {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Sweeper {
    /// Starts sweeping `state` down to `cap` inodes through `notifier`;
    /// `None` for no cap.
    ///
    /// # Errors
    /// When the thread cannot be spawned.
    pub(crate) fn start(
        state: Arc<Mutex<State>>,
        notifier: Notifier,
        cap: u64,
    ) -> io::Result<Option<Sweeper>> {
        if cap == 0 {
            return Ok(None);
        }
        let (stop, stopped) = channel();
        let thread = thread::Builder::new()
            .name("strata-inode-sweep".into())
            .spawn(move || sweep_until_stopped(&state, &notifier, cap, &stopped))?;
        Ok(Some(Sweeper {
            stop: Some(stop),
            thread: Some(thread),
        }))
    }

    /// Stops the thread and waits for it: at most the notification it is
    /// sending, which the kernel answers once the directory it touches is
    /// free (the session must still be running).
    pub(crate) fn stop(mut self) {
        self.end();
    }

    fn end(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            // A panic in the sweeper has been printed already.
            let _ = t.join();
        }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.end();
    }
}

/// True once the sweeper has been told to stop (its sender dropped).
fn stopping(stopped: &Receiver<()>) -> bool {
    !matches!(stopped.try_recv(), Err(TryRecvError::Empty))
}

fn sweep_until_stopped(
    state: &Mutex<State>,
    notifier: &Notifier,
    cap: u64,
    stopped: &Receiver<()>,
) {
    let mut reported = false;
    loop {
        match stopped.recv_timeout(SWEEP_INTERVAL) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        let victims = take_victims(state, cap);
        let mut sent = 0u64;
        for v in &victims {
            if stopping(stopped) {
                return;
            }
            // ENOENT (the kernel dropped the entry already) is turned into
            // Ok by fuser.
            match notifier.inval_entry(INodeNo(v.parent), OsStr::new(&v.name)) {
                Ok(()) => sent += 1,
                Err(e) if !reported && !stopping(stopped) => {
                    reported = true;
                    eprintln!(
                        "strata fs mount: cannot ask the kernel to forget inodes ({e}); the inode table may exceed its cap of {cap}"
                    );
                }
                Err(_) => {}
            }
        }
        if sent > 0 {
            state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .invalidated += sent;
        }
    }
}

/// The entries to drop so that the table comes down to the low water
/// mark of `cap` (none while it is within `cap`), taken under the lock.
fn take_victims(state: &Mutex<State>, cap: u64) -> Vec<super::inodes::Victim> {
    let mut st = state.lock().unwrap_or_else(PoisonError::into_inner);
    let held = st.inodes.len() as u64;
    if held <= cap {
        return Vec::new();
    }
    let target = cap - cap / HEADROOM;
    let n = usize::try_from(held - target)
        .unwrap_or(usize::MAX)
        .min(MAX_VICTIMS_PER_SWEEP);
    let pinned: HashSet<u64> = st.files.values().chain(st.dirty.keys()).copied().collect();
    st.inodes.coldest(n, |ino| pinned.contains(&ino))
}

/// A session serving `mount_fs`, with its sweeper.
pub(crate) struct Served {
    /// fuser's session.
    pub(crate) session: BackgroundSession,
    /// The sweeper (`None` without a cap).
    pub(crate) sweeper: Option<Sweeper>,
    /// The mount's state, for its counts.
    pub(crate) state: Arc<Mutex<State>>,
}

/// Mounts `mount_fs` at `mountpoint` with `config` on fuser's background
/// thread and starts its sweeper.
///
/// # Errors
/// The mount's error, or the sweeper thread's (the mount is undone).
pub(crate) fn serve_bounded(
    mount_fs: MountFs,
    mountpoint: &Path,
    config: &Config,
) -> io::Result<Served> {
    let state = mount_fs.shared_state();
    let cap = mount_fs.max_inodes;
    let session = fuser::spawn_mount(mount_fs, mountpoint, config)?;
    match Sweeper::start(Arc::clone(&state), session.notifier(), cap) {
        Ok(sweeper) => Ok(Served {
            session,
            sweeper,
            state,
        }),
        Err(e) => {
            let _ = session.umount_and_join();
            Err(e)
        }
    }
}
