//! The port's database and snapshots behind one mutex.
//!
//! `rusty_leveldb::DB` is neither `Send` nor `Sync`: it, its snapshots and
//! its iterators share `Rc`s. The wrapper keeps every one of those objects
//! behind (or, for iterators, only touched while holding) the single mutex
//! of [`Shared`], so no two threads ever touch the `Rc` graph at once and
//! every hand-over between threads goes through the mutex's
//! happens-before edge. That is what makes the `unsafe impl Send` below
//! sound.

use rusty_leveldb::{DBIterator, DB};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use strata_api::{Error, Result};

/// A point read at a held snapshot.
pub(crate) type SnapshotGet = dyn Fn(&mut DB, &[u8]) -> rusty_leveldb::Result<Option<Vec<u8>>>;
/// A cursor at a held snapshot.
pub(crate) type SnapshotIter = dyn Fn(&mut DB) -> rusty_leveldb::Result<DBIterator>;

/// Reads at one snapshot. The port does not export its `Snapshot` type, so
/// the snapshot lives inside these closures (captured where its type is
/// inferred) and is dropped with them.
pub(crate) struct HeldSnapshot {
    pub(crate) get: Box<SnapshotGet>,
    pub(crate) iter: Box<SnapshotIter>,
}

/// Everything of one open database that holds `Rc`s.
pub(crate) struct State {
    pub(crate) db: DB,
    pub(crate) snapshots: HashMap<u64, HeldSnapshot>,
    pub(crate) next_snapshot_id: u64,
}

/// Moves `T` across threads; see the module docs for why that is sound for
/// the port's objects used only under [`Shared`]'s mutex.
pub(crate) struct SendCell<T>(pub(crate) T);

// SAFETY: a `SendCell` holds the port's `Rc`-sharing objects, which are only
// touched (including dropped) while the one mutex of their `Shared` is held,
// so their non-atomic reference counts are never updated concurrently.
unsafe impl<T> Send for SendCell<T> {}

/// The shared core of a [`super::RustyLevelDb`], its iterators and its
/// snapshots' release functions.
pub(crate) struct Shared {
    state: Mutex<SendCell<State>>,
    /// The database directory, for error messages.
    pub(crate) dir: String,
}

impl Shared {
    pub(crate) fn new(db: DB, dir: String) -> Shared {
        Shared {
            state: Mutex::new(SendCell(State {
                db,
                snapshots: HashMap::new(),
                next_snapshot_id: 1,
            })),
            dir,
        }
    }

    /// The locked state.
    ///
    /// # Errors
    /// `Unavailable` if an earlier call panicked inside the port.
    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, SendCell<State>>> {
        self.state
            .lock()
            .map_err(|_| Error::Unavailable("rusty-leveldb panicked in an earlier call".into()))
    }

    /// The locked state even after a panic, for releasing resources.
    pub(crate) fn lock_for_release(&self) -> MutexGuard<'_, SendCell<State>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
