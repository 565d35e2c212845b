//! The read path: point lookups, cursors and snapshots.

use super::DbInner;
use crate::format::internal_key::{compare_internal_keys, LookupKey};
use crate::iter::db_iter::DbIter;
use crate::iter::merging::MergingIterator;
use crate::memtable::MemGet;
use crate::version::{GetStats, TableGet, Version};
use std::any::Any;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use strata_api::{KvIterator, ReadOptions, Result, Snapshot};

impl DbInner {
    fn read_sequence(&self, options: &ReadOptions) -> u64 {
        match &options.snapshot {
            Some(s) => s.id(),
            None => self.visible_sequence.load(Ordering::Acquire),
        }
    }

    /// See `Engine::get_into`.
    pub(crate) fn get_into(
        &self,
        options: &ReadOptions,
        key: &[u8],
        value: &mut Vec<u8>,
    ) -> Result<bool> {
        let (mem, imm, version) = {
            let st = self.state.lock();
            (Arc::clone(&st.mem), st.imm.clone(), st.versions.current())
        };
        let sequence = self.read_sequence(options);
        self.counters.gets.fetch_add(1, Ordering::Relaxed);
        let lookup = LookupKey::new(key, sequence);
        for table in std::iter::once(&mem).chain(imm.as_ref()) {
            match table.get(&lookup, value) {
                MemGet::Found => return Ok(true),
                MemGet::Deleted => return Ok(false),
                MemGet::Absent => {}
            }
        }
        let mut stats = GetStats::default();
        let outcome = version.get(
            &self.table_cache,
            lookup.internal_key(),
            options.verify_checksums,
            options.fill_cache,
            value,
            &mut stats,
        );
        self.counters
            .tables_probed
            .fetch_add(stats.tables_probed, Ordering::Relaxed);
        if Version::update_stats(&stats) {
            let mut st = self.state.lock();
            // Only for the current version, as LevelDB keeps the candidate
            // in the version the lookup used: a candidate of a version a
            // compaction has since replaced names a file that may be gone,
            // the policy ignores it, and nothing would clear it until the
            // next flush or compaction, which a read-only run never has,
            // so seek compactions would stop for good.
            if st.seek_candidate.is_none() && Arc::ptr_eq(&version, &st.versions.current()) {
                st.seek_candidate = stats.seek_file.take();
                self.maybe_schedule();
            }
        }
        Ok(outcome? == TableGet::Found)
    }

    /// See `Engine::iter`.
    pub(crate) fn iter(&self, options: &ReadOptions) -> Result<Box<dyn KvIterator>> {
        let (mem, imm, version) = {
            let st = self.state.lock();
            (Arc::clone(&st.mem), st.imm.clone(), st.versions.current())
        };
        let sequence = self.read_sequence(options);
        let mut children: Vec<Box<dyn KvIterator>> = vec![mem.iter()];
        if let Some(imm) = &imm {
            children.push(imm.iter());
        }
        children.extend(version.iterators(
            &self.table_cache,
            options.verify_checksums,
            options.fill_cache,
        )?);
        let mut pins: Vec<Box<dyn Any + Send>> = vec![Box::new(version)];
        if let Some(s) = &options.snapshot {
            pins.push(Box::new(s.clone()));
        }
        let merged = MergingIterator::new(children, compare_internal_keys);
        Ok(Box::new(DbIter::new(Box::new(merged), sequence, pins)))
    }

    /// See `Engine::snapshot`.
    pub(crate) fn snapshot(this: &Arc<Self>) -> Snapshot {
        let mut st = this.state.lock();
        let sequence = this.visible_sequence.load(Ordering::Acquire);
        *st.snapshots.entry(sequence).or_insert(0) += 1;
        let weak = Arc::downgrade(this);
        Snapshot::new(
            sequence,
            Box::new(move |seq| {
                if let Some(inner) = weak.upgrade() {
                    let mut st = inner.state.lock();
                    if let Some(count) = st.snapshots.get_mut(&seq) {
                        *count -= 1;
                        if *count == 0 {
                            st.snapshots.remove(&seq);
                        }
                    }
                }
            }),
        )
    }
}
