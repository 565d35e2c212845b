//! Snapshots: a consistent read view, released when the last handle drops.

use std::fmt;
use std::sync::Arc;

/// Called once with the snapshot's id when the last handle drops.
pub type ReleaseFn = Box<dyn Fn(u64) + Send + Sync>;

struct Inner {
    id: u64,
    release: ReleaseFn,
}

impl Drop for Inner {
    fn drop(&mut self) {
        (self.release)(self.id);
    }
}

/// A read view of an engine as of the moment it was taken.
///
/// Cloning shares the view; the engine is told to release it when the last
/// clone drops. Pass it in [`crate::ReadOptions::snapshot`].
#[derive(Clone)]
pub struct Snapshot {
    inner: Arc<Inner>,
}

impl Snapshot {
    /// A snapshot with the engine-defined `id` (for the LSM engine, the last
    /// sequence number it covers); `release` runs once when the last handle
    /// drops.
    pub fn new(id: u64, release: ReleaseFn) -> Self {
        Snapshot {
            inner: Arc::new(Inner { id, release }),
        }
    }

    /// The engine-defined identity of this view (a sequence number for the
    /// LSM engine, a handle for wrapped engines).
    pub fn id(&self) -> u64 {
        self.inner.id
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("id", &self.inner.id)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn released_once_when_last_clone_drops() {
        let released = Arc::new(AtomicU64::new(0));
        let r = Arc::clone(&released);
        let s = Snapshot::new(
            7,
            Box::new(move |id| {
                r.fetch_add(id, Ordering::SeqCst);
            }),
        );
        let t = s.clone();
        drop(s);
        assert_eq!(released.load(Ordering::SeqCst), 0);
        assert_eq!(t.id(), 7);
        drop(t);
        assert_eq!(released.load(Ordering::SeqCst), 7);
    }
}
