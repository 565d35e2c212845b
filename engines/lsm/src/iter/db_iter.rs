//! The database cursor (LevelDB's `db/db_iter.cc`): over a merged cursor of
//! internal keys, shows for each user key the newest value visible at the
//! read's sequence number and hides deleted keys, in both directions.

use crate::format::internal_key::{
    append_internal_key, extract_user_key, parse_internal_key, ValueType, VALUE_TYPE_FOR_SEEK,
};
use std::any::Any;
use strata_api::{Error, KvIterator, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// The inner cursor is at the entry that yields `key()`.
    Forward,
    /// The inner cursor is just before all entries of `key()`, which is held
    /// in `saved_key` with its value in `saved_value`.
    Reverse,
}

/// User-key cursor over an internal-key cursor at a fixed sequence number.
pub struct DbIter {
    inner: Box<dyn KvIterator>,
    sequence: u64,
    direction: Direction,
    valid: bool,
    saved_key: Vec<u8>,
    saved_value: Vec<u8>,
    error: Option<Error>,
    /// Memtables, versions and snapshot handles the cursor reads from, kept
    /// alive as long as it is.
    _pins: Vec<Box<dyn Any + Send>>,
}

impl DbIter {
    /// A cursor showing `inner` as of `sequence`; `pins` are kept alive
    /// with it.
    pub fn new(inner: Box<dyn KvIterator>, sequence: u64, pins: Vec<Box<dyn Any + Send>>) -> Self {
        DbIter {
            inner,
            sequence,
            direction: Direction::Forward,
            valid: false,
            saved_key: Vec::new(),
            saved_value: Vec::new(),
            error: None,
            _pins: pins,
        }
    }

    fn note_bad_key(&mut self) {
        if self.error.is_none() {
            self.error = Some(Error::corruption(
                "iterator",
                0,
                "corrupted internal key in DBIter",
            ));
        }
    }

    fn find_next_user_entry(&mut self, mut skipping: bool) {
        debug_assert!(self.inner.valid());
        debug_assert_eq!(self.direction, Direction::Forward);
        loop {
            match parse_internal_key(self.inner.key()) {
                Some(k) if k.sequence <= self.sequence => match k.value_type {
                    ValueType::Deletion => {
                        // Later entries of this user key are hidden by it.
                        self.saved_key.clear();
                        self.saved_key.extend_from_slice(k.user_key);
                        skipping = true;
                    }
                    ValueType::Value => {
                        if !(skipping && k.user_key <= self.saved_key.as_slice()) {
                            self.valid = true;
                            self.saved_key.clear();
                            return;
                        }
                    }
                },
                Some(_) => {}
                None => self.note_bad_key(),
            }
            self.inner.next();
            if !self.inner.valid() {
                break;
            }
        }
        self.saved_key.clear();
        self.valid = false;
    }

    fn find_prev_user_entry(&mut self) {
        debug_assert_eq!(self.direction, Direction::Reverse);
        let mut value_type = ValueType::Deletion;
        if self.inner.valid() {
            loop {
                match parse_internal_key(self.inner.key()) {
                    Some(k) if k.sequence <= self.sequence => {
                        if value_type != ValueType::Deletion
                            && k.user_key < self.saved_key.as_slice()
                        {
                            // A live value of the next user key was found;
                            // stop before older keys.
                            break;
                        }
                        value_type = k.value_type;
                        if value_type == ValueType::Deletion {
                            self.saved_key.clear();
                            self.saved_value.clear();
                        } else {
                            self.saved_key.clear();
                            self.saved_key.extend_from_slice(k.user_key);
                            self.saved_value.clear();
                            self.saved_value.extend_from_slice(self.inner.value());
                        }
                    }
                    Some(_) => {}
                    None => self.note_bad_key(),
                }
                self.inner.prev();
                if !self.inner.valid() {
                    break;
                }
            }
        }
        // A cursor that failed may have stopped before this key's newer
        // entries (met after the older ones going backwards): what was
        // saved could be an overwritten value or a deleted key.
        let failed = !self.inner.valid() && self.inner.status().is_err();
        if value_type == ValueType::Deletion || failed {
            self.valid = false;
            self.saved_key.clear();
            self.saved_value.clear();
            self.direction = Direction::Forward;
        } else {
            self.valid = true;
        }
    }
}

impl KvIterator for DbIter {
    fn valid(&self) -> bool {
        self.valid
    }

    fn seek_to_first(&mut self) {
        self.direction = Direction::Forward;
        self.saved_value.clear();
        self.inner.seek_to_first();
        if self.inner.valid() {
            self.find_next_user_entry(false);
        } else {
            self.valid = false;
        }
    }

    fn seek_to_last(&mut self) {
        self.direction = Direction::Reverse;
        self.saved_value.clear();
        self.inner.seek_to_last();
        self.find_prev_user_entry();
    }

    fn seek(&mut self, target: &[u8]) {
        self.direction = Direction::Forward;
        self.saved_value.clear();
        self.saved_key.clear();
        append_internal_key(
            &mut self.saved_key,
            target,
            self.sequence,
            VALUE_TYPE_FOR_SEEK,
        );
        self.inner.seek(&self.saved_key);
        if self.inner.valid() {
            self.find_next_user_entry(false);
        } else {
            self.valid = false;
        }
    }

    fn next(&mut self) {
        debug_assert!(self.valid);
        if self.direction == Direction::Reverse {
            self.direction = Direction::Forward;
            // The inner cursor is before the entries of key(): step into
            // them, then skip them as usual (saved_key holds key()).
            if self.inner.valid() {
                self.inner.next();
            } else {
                self.inner.seek_to_first();
            }
            if !self.inner.valid() {
                self.valid = false;
                self.saved_key.clear();
                return;
            }
        } else {
            self.saved_key.clear();
            self.saved_key
                .extend_from_slice(extract_user_key(self.inner.key()));
            self.inner.next();
            if !self.inner.valid() {
                self.valid = false;
                self.saved_key.clear();
                return;
            }
        }
        self.find_next_user_entry(true);
    }

    fn prev(&mut self) {
        debug_assert!(self.valid);
        if self.direction == Direction::Forward {
            // Walk back to the last entry of an earlier user key.
            self.saved_key.clear();
            self.saved_key
                .extend_from_slice(extract_user_key(self.inner.key()));
            loop {
                self.inner.prev();
                if !self.inner.valid() {
                    self.valid = false;
                    self.saved_key.clear();
                    self.saved_value.clear();
                    return;
                }
                if extract_user_key(self.inner.key()) < self.saved_key.as_slice() {
                    break;
                }
            }
            self.direction = Direction::Reverse;
        }
        self.find_prev_user_entry();
    }

    fn key(&self) -> &[u8] {
        match self.direction {
            Direction::Forward => extract_user_key(self.inner.key()),
            Direction::Reverse => &self.saved_key,
        }
    }

    fn value(&self) -> &[u8] {
        match self.direction {
            Direction::Forward => self.inner.value(),
            Direction::Reverse => &self.saved_value,
        }
    }

    fn status(&self) -> Result<()> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        self.inner.status()
    }
}
