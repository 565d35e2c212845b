//! The port's `DBIterator` as a [`KvIterator`].

use super::shared::{SendCell, Shared};
use rusty_leveldb::{DBIterator, LdbIterator};
use std::sync::Arc;
use strata_api::{KvIterator, Result};

/// A cursor of the port. Every move locks the database (the port is
/// single-threaded) and copies the current entry into buffers of the cursor,
/// which is how the port's own `current` hands entries out.
pub(crate) struct RustyIter {
    /// Touched only while `shared` is locked; `None` only during drop.
    it: Option<SendCell<DBIterator>>,
    key: Vec<u8>,
    value: Vec<u8>,
    valid: bool,
    shared: Arc<Shared>,
}

impl RustyIter {
    pub(crate) fn new(it: DBIterator, shared: Arc<Shared>) -> Self {
        RustyIter {
            it: Some(SendCell(it)),
            key: Vec::new(),
            value: Vec::new(),
            valid: false,
            shared,
        }
    }

    /// Runs `step` on the port's iterator under the lock, then caches where
    /// it stands.
    fn step(&mut self, step: impl FnOnce(&mut DBIterator)) {
        let _guard = self.shared.lock_for_release();
        let Some(SendCell(it)) = self.it.as_mut() else {
            self.valid = false;
            return;
        };
        step(it);
        self.valid = it.valid() && it.current(&mut self.key, &mut self.value);
    }
}

impl KvIterator for RustyIter {
    fn valid(&self) -> bool {
        self.valid
    }

    fn seek_to_first(&mut self) {
        self.step(|it| it.seek_to_first());
    }

    /// The port's cursor cannot start from the end: this walks forward over
    /// the whole database to find the last key, then seeks to it.
    fn seek_to_last(&mut self) {
        self.step(|it| {
            it.seek_to_first();
            let (mut last, mut key, mut value) = (None::<Vec<u8>>, Vec::new(), Vec::new());
            while it.valid() {
                if it.current(&mut key, &mut value) {
                    last = Some(std::mem::take(&mut key));
                }
                it.advance();
            }
            match last {
                Some(k) => it.seek(&k),
                None => it.reset(),
            }
        });
    }

    fn seek(&mut self, target: &[u8]) {
        self.step(|it| it.seek(target));
    }

    fn next(&mut self) {
        if self.valid {
            self.step(|it| {
                it.advance();
            });
        }
    }

    fn prev(&mut self) {
        if self.valid {
            self.step(|it| {
                it.prev();
            });
        }
    }

    fn key(&self) -> &[u8] {
        if self.valid {
            &self.key
        } else {
            &[]
        }
    }

    fn value(&self) -> &[u8] {
        if self.valid {
            &self.value
        } else {
            &[]
        }
    }

    /// The port's iterators report no errors (a table that fails to read
    /// ends the scan), so this is always `Ok`.
    fn status(&self) -> Result<()> {
        Ok(())
    }
}

impl Drop for RustyIter {
    fn drop(&mut self) {
        // The port's iterator shares `Rc`s with the database: drop it under
        // the lock, before `shared` (a field) can drop the database.
        let _guard = self.shared.lock_for_release();
        drop(self.it.take());
    }
}
