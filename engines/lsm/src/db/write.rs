//! The write path: group commit, WAL append, memtable insert, memtable
//! switches and write stalls.

use super::state::{DbState, StallKind};
use super::DbInner;
use crate::format::filename::log_file_name;
use crate::format::internal_key::{ValueType, MAX_SEQUENCE_NUMBER};
use crate::wal::writer::LogWriter;
use parking_lot::MutexGuard;
use std::sync::atomic::Ordering;
use std::time::Duration;
use strata_api::{BatchOp, Error, Result, WriteBatch, WriteOptions};

/// Largest group a leader writes as one WAL record (LevelDB: 1 MiB).
const MAX_GROUP_BYTES: usize = 1 << 20;

impl DbInner {
    /// Applies `batch` atomically: joins the current write group or leads
    /// the next one. An empty batch with `sync` set is a sync barrier: it
    /// returns once every earlier write is durable.
    pub(crate) fn write(&self, options: &WriteOptions, batch: &WriteBatch) -> Result<()> {
        batch.check_encodable()?;
        let mut st = self.state.lock();
        if let Some((_, e)) = &st.failed_from_group {
            return Err(e.clone());
        }
        // Follow: hand the batch to the active leader and wait for its group.
        while st.leader_active {
            if st.pending_writers == 0
                || st.pending.approximate_size_bytes() + batch.approximate_size_bytes()
                    <= MAX_GROUP_BYTES
            {
                let group = st.pending_group;
                st.pending.append(batch);
                st.pending_sync |= options.sync;
                st.pending_writers += 1;
                while st.completed_groups <= group {
                    self.writer_cv.wait(&mut st);
                }
                return match &st.failed_from_group {
                    Some((failed, e)) if *failed <= group => Err(e.clone()),
                    _ => Ok(()),
                };
            }
            self.writer_cv.wait(&mut st);
        }
        // Lead: write our own batch, then every group that formed meanwhile.
        st.leader_active = true;
        let own = self.write_group(&mut st, Some((batch, options.sync)));
        self.release_leadership(&mut st);
        own
    }

    /// Writes every group that queued behind the leader (each writer that
    /// joined, even with an empty batch, is answered), then lets the next
    /// writer lead.
    fn release_leadership(&self, st: &mut MutexGuard<'_, DbState>) {
        while st.pending_writers > 0 {
            let _ = self.write_group(st, None);
        }
        st.leader_active = false;
        self.writer_cv.notify_all();
    }

    /// Forces the memtable to be switched and flushed, acting as a writer
    /// so it is ordered with writes, and waits for the flush.
    pub(crate) fn flush_memtable_and_wait(&self) -> Result<()> {
        let mut st = self.state.lock();
        while st.leader_active {
            self.writer_cv.wait(&mut st);
        }
        if let Some((_, e)) = &st.failed_from_group {
            return Err(e.clone());
        }
        st.leader_active = true;
        let switched = if st.mem.is_empty() {
            Ok(())
        } else {
            self.make_room_for_write(&mut st, true)
        };
        self.release_leadership(&mut st);
        switched?;
        while st.imm.is_some() && st.bg_error.is_none() {
            self.done_cv.wait(&mut st);
        }
        if let Some(e) = &st.bg_error {
            return Err(e.clone());
        }
        drop(st);
        // The flushed memtable's WAL is gone from disk when this returns.
        self.wait_for_purge();
        Ok(())
    }

    /// Writes one group: `own` (the leader's batch) or the pending group.
    /// Called by the leader with the lock held; releases it during I/O.
    fn write_group(
        &self,
        st: &mut MutexGuard<'_, DbState>,
        own: Option<(&WriteBatch, bool)>,
    ) -> Result<()> {
        // Taken, not swapped for a new batch: `WriteBatch::new` allocates
        // its header, and this runs once per write.
        let mut buf = st.leader_buf.take().unwrap_or_default();
        buf.clear();
        let (sync, group) = match own {
            Some((batch, sync)) => {
                buf.append(batch);
                (sync, None)
            }
            None => {
                std::mem::swap(&mut buf, &mut st.pending);
                let sync = std::mem::replace(&mut st.pending_sync, false);
                let group = st.pending_group;
                st.pending_group += 1;
                st.pending_writers = 0;
                self.writer_cv.notify_all();
                (sync, Some(group))
            }
        };
        // After a failure every later write fails (until reopen), written
        // or not: a group formed behind a failed one is not attempted.
        let result = match &st.failed_from_group {
            Some((_, e)) => Err(e.clone()),
            None => self.write_batch_locked(st, &mut buf, sync),
        };
        if let Err(e) = &result {
            if st.failed_from_group.is_none() {
                st.failed_from_group = Some((group.unwrap_or(st.pending_group), e.clone()));
            }
        }
        if let Some(g) = group {
            st.completed_groups = g + 1;
            self.writer_cv.notify_all();
        }
        buf.clear();
        st.leader_buf = Some(buf);
        result
    }

    fn write_batch_locked(
        &self,
        st: &mut MutexGuard<'_, DbState>,
        buf: &mut WriteBatch,
        sync: bool,
    ) -> Result<()> {
        if buf.is_empty() {
            return if sync {
                self.sync_log_locked(st)
            } else {
                Ok(())
            };
        }
        self.make_room_for_write(st, false)?;
        let first_seq = st.versions.last_sequence + 1;
        let last_seq = first_seq + u64::from(buf.count()) - 1;
        if last_seq > MAX_SEQUENCE_NUMBER {
            return Err(Error::InvalidArgument(format!(
                "sequence numbers exhausted: {last_seq} is beyond {MAX_SEQUENCE_NUMBER}"
            )));
        }
        buf.set_sequence(first_seq);
        st.versions.last_sequence = last_seq;
        let Some(mut log) = st.log.take() else {
            return Err(Error::Unavailable("write-ahead log is not open".into()));
        };
        let mem = std::sync::Arc::clone(&st.mem);
        let (prev, sync_dir) = if sync {
            (st.prev_log.take(), !st.log_dir_synced)
        } else {
            (None, false)
        };
        let outcome = MutexGuard::unlocked(st, || {
            let before = log.written_bytes();
            let mut r = log.add_record(buf.as_bytes());
            if r.is_ok() && sync {
                r = self.sync_wals(&mut log, prev, sync_dir);
            }
            self.counters.wal_bytes_written.fetch_add(
                log.written_bytes().saturating_sub(before),
                Ordering::Relaxed,
            );
            if r.is_ok() {
                let mut user_bytes = 0u64;
                for (i, op) in buf.iter().enumerate() {
                    match op {
                        Ok(BatchOp::Put { key, value }) => {
                            user_bytes += (key.len() + value.len()) as u64;
                            mem.add(first_seq + i as u64, ValueType::Value, key, value);
                        }
                        Ok(BatchOp::Delete { key }) => {
                            user_bytes += key.len() as u64;
                            mem.add(first_seq + i as u64, ValueType::Deletion, key, &[]);
                        }
                        Err(e) => return (log, Err(e)),
                    }
                }
                self.counters
                    .user_bytes_written
                    .fetch_add(user_bytes, Ordering::Relaxed);
            }
            (log, r)
        });
        let (log, r) = outcome;
        st.log = Some(log);
        if r.is_ok() && sync_dir {
            st.log_dir_synced = true;
        }
        if let Err(e) = r {
            // The WAL may now end in a partial record: stop accepting writes
            // (reads go on); reopening recovers everything acknowledged.
            st.bg_error.get_or_insert_with(|| e.clone());
            return Err(e);
        }
        self.visible_sequence.store(last_seq, Ordering::Release);
        Ok(())
    }

    /// Syncs the WAL without writing to it (an empty batch with `sync`).
    /// A failure stops every later write until reopen.
    fn sync_log_locked(&self, st: &mut MutexGuard<'_, DbState>) -> Result<()> {
        if let Some(e) = &st.bg_error {
            return Err(e.clone());
        }
        let Some(mut log) = st.log.take() else {
            return Err(Error::Unavailable("write-ahead log is not open".into()));
        };
        let prev = st.prev_log.take();
        let sync_dir = !st.log_dir_synced;
        let r = MutexGuard::unlocked(st, || self.sync_wals(&mut log, prev, sync_dir));
        st.log = Some(log);
        match &r {
            Ok(()) => st.log_dir_synced = true,
            Err(e) => {
                st.bg_error.get_or_insert_with(|| e.clone());
            }
        }
        r
    }

    /// Makes every record written so far durable: the previous WAL's
    /// (`prev`, if its memtable is not flushed yet), then the directory
    /// entry of the current WAL (if `sync_dir`: no directory sync ran
    /// since its creation), then the current WAL's. Called without the
    /// lock; the caller records a failure as the background error.
    fn sync_wals(
        &self,
        log: &mut LogWriter,
        prev: Option<LogWriter>,
        sync_dir: bool,
    ) -> Result<()> {
        if let Some(mut prev) = prev {
            prev.sync()?;
            // Its records are durable now; closing a mapped WAL only cuts
            // its trailing zeros, which recovery reads past anyway.
            let _ = prev.close();
        }
        if sync_dir {
            self.options.env.sync_dir(&self.dir)?;
        }
        log.sync()
    }

    /// LevelDB's `MakeRoomForWrite`: delays or stops the writer while
    /// level 0 is too deep, switches the memtable when it is full.
    ///
    /// Write stalls are counted here, the one place a writer waits for
    /// the background thread (only the write leader gets here; writers
    /// queued behind it wait inside its stall and are not counted again):
    /// - a slowdown: level 0 has at least the policy's slowdown trigger of
    ///   files, and the write sleeps 1 ms, once;
    /// - a stop: the memtable is full and either the previous one is not
    ///   flushed yet or level 0 has at least the stop trigger of files;
    ///   one stop lasts from the first wait until the writer may go on,
    ///   however many times it is woken in between.
    ///
    /// A `force`d switch (`flush`, `compact_range`) is not a write and
    /// its waits are not counted.
    pub(crate) fn make_room_for_write(
        &self,
        st: &mut MutexGuard<'_, DbState>,
        mut force: bool,
    ) -> Result<()> {
        let counted = !force;
        let mut allow_delay = !force;
        let mut stopped = false;
        let outcome = loop {
            if let Some(e) = &st.bg_error {
                break Err(e.clone());
            }
            let l0_files = st.versions.current().num_files(0);
            let full = force
                || !(st.mem.is_empty()
                    || st.mem.approximate_memory_usage() <= self.options.write_buffer_size);
            let must_wait = full && (st.imm.is_some() || l0_files >= self.policy.l0_stop_trigger());
            if stopped && !must_wait {
                st.stalls.end();
                stopped = false;
            }
            if allow_delay && l0_files >= self.policy.l0_slowdown_trigger() {
                // Spread the delay over many writes instead of one long stop.
                // (Reached while stopped only if level 0 deepened during
                // the stop: the sleep is then part of the stop.)
                if !stopped {
                    st.stalls.begin(StallKind::Slowdown);
                }
                MutexGuard::unlocked(st, || std::thread::sleep(Duration::from_millis(1)));
                if !stopped {
                    st.stalls.end();
                }
                allow_delay = false;
            } else if !full {
                // An empty memtable always takes the write: a memtable whose
                // fixed overhead exceeds a tiny write buffer must not be
                // switched (and flushed empty) forever.
                break Ok(());
            } else if must_wait {
                // The previous memtable is still being flushed, or level 0
                // is too deep: wait for the background thread.
                if counted && !stopped {
                    st.stalls.begin(StallKind::Stop);
                    stopped = true;
                }
                self.maybe_schedule();
                self.done_cv.wait(st);
            } else if let Err(e) = self.switch_memtable(st) {
                break Err(e);
            } else {
                force = false;
            }
        };
        if stopped {
            st.stalls.end();
        }
        outcome
    }

    /// Starts a new WAL and memtable; the old memtable becomes immutable.
    ///
    /// Neither the old WAL nor the directory is synced here (LevelDB syncs
    /// neither): the old WAL stays open as `prev_log` until its memtable
    /// is flushed, and the next synced write syncs it, the directory and
    /// the new WAL, in that order, before it is acknowledged. A machine
    /// crash may so keep records of the new WAL while losing the old one's
    /// unsynced tail; recovery detects that by the break in sequence
    /// numbers and keeps the prefix (`recovery::replay_logs`).
    fn switch_memtable(&self, st: &mut MutexGuard<'_, DbState>) -> Result<()> {
        let number = st.versions.new_file_number();
        let path = log_file_name(&self.dir, number);
        let file = self.options.new_wal_file(&path)?;
        // A switch waits until the previous memtable is flushed, and the
        // flush closed its WAL.
        debug_assert!(st.prev_log.is_none() && st.imm.is_none());
        st.prev_log = st.log.replace(LogWriter::new(file));
        st.log_dir_synced = false;
        st.imm_last_sequence = st.versions.last_sequence;
        st.log_number = number;
        let fresh = self.options.memtable.create();
        let old = std::mem::replace(&mut st.mem, fresh);
        st.imm = Some(old);
        self.has_imm.store(true, Ordering::Release);
        self.maybe_schedule();
        Ok(())
    }
}
