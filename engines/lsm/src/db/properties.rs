//! `leveldb.*` properties, `EngineMetrics` and `EngineState`.

use super::DbInner;
use crate::version::edit::NUM_LEVELS;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use strata_api::{EngineMetrics, EngineState};

impl DbInner {
    /// See `Engine::property`.
    pub(crate) fn property(&self, name: &str) -> Option<String> {
        let st = self.state.lock();
        let version = st.versions.current();
        if let Some(level) = name.strip_prefix("leveldb.num-files-at-level") {
            let level: usize = level.parse().ok()?;
            return (level < NUM_LEVELS).then(|| version.num_files(level).to_string());
        }
        match name {
            "leveldb.stats" => {
                let mut s = String::new();
                s.push_str("                               Compactions\n");
                s.push_str("Level  Files Size(MB) Time(sec) Read(MB) Write(MB)\n");
                s.push_str("--------------------------------------------------\n");
                for level in 0..NUM_LEVELS {
                    let files = version.num_files(level);
                    let stats = st.level_stats[level];
                    if stats.micros > 0 || files > 0 {
                        let _ = writeln!(
                            s,
                            "{:3} {:8} {:8.0} {:9.0} {:8.0} {:9.0}",
                            level,
                            files,
                            version.level_bytes(level) as f64 / 1_048_576.0,
                            stats.micros as f64 / 1e6,
                            stats.bytes_read as f64 / 1_048_576.0,
                            stats.bytes_written as f64 / 1_048_576.0
                        );
                    }
                }
                Some(s)
            }
            "leveldb.sstables" => Some(version.debug_string()),
            "leveldb.approximate-memory-usage" => {
                let mut total = self.block_cache.usage_bytes();
                total += st.mem.approximate_memory_usage();
                if let Some(imm) = &st.imm {
                    total += imm.approximate_memory_usage();
                }
                Some(total.to_string())
            }
            _ => None,
        }
    }

    /// See `Engine::metrics`.
    pub(crate) fn metrics(&self) -> EngineMetrics {
        let (live, manifest_bytes, stalls, stops, (slowdown_us, stop_us)) = {
            let st = self.state.lock();
            (
                st.versions.current().total_bytes(),
                st.versions.manifest_bytes_written,
                st.stalls.slowdowns + st.stalls.stops,
                st.stalls.stops,
                st.stalls.time_us_now(),
            )
        };
        let c = &self.counters;
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        EngineMetrics {
            internal_io_counted: true,
            user_bytes_written: get(&c.user_bytes_written),
            disk_bytes_written: get(&c.wal_bytes_written)
                + get(&c.table_bytes_written)
                + manifest_bytes,
            disk_bytes_read: self.table_cache.bytes_read(),
            gets: get(&c.gets),
            tables_probed: get(&c.tables_probed),
            flushes: get(&c.flushes),
            compactions: get(&c.compactions),
            compaction_time_us: get(&c.compaction_time_us),
            compaction_bytes_read: get(&c.compaction_bytes_read),
            compaction_bytes_written: get(&c.compaction_bytes_written),
            stall_time_us: slowdown_us + stop_us,
            stalls,
            stall_stops: stops,
            stall_stop_time_us: stop_us,
            live_table_bytes: live,
        }
    }
}

impl DbInner {
    /// See `Engine::state`. Holds the state lock for a few reads: no I/O,
    /// no allocation but the returned list.
    ///
    /// - `level0_files`: files in level 0 (for `tiered` and `lazy_leveled`,
    ///   each is one sorted run).
    /// - `level_bytes`: under `leveled`, the bytes of every level, level 0
    ///   first (always [`NUM_LEVELS`] entries). Under the policies that keep
    ///   sorted runs in level 0 (`tiered`, `lazy_leveled`), one entry per
    ///   sorted run, newest first: each level-0 file, then each non-empty
    ///   deeper level as one run (`lazy_leveled`'s level 1; `tiered` never
    ///   has one).
    /// - `memtable_bytes`: memory held by the mutable memtable and the
    ///   immutable one waiting for its flush (arena and node overhead
    ///   included, as `write_buffer_size` counts it).
    /// - `pending_compaction_bytes`: the policy's estimate
    ///   (`CompactionPolicy::pending_compaction_bytes`).
    /// - `compactions_running`: 1 while the one background thread runs a
    ///   flush or a compaction step, else 0.
    pub(crate) fn state(&self) -> EngineState {
        let st = self.state.lock();
        let version = st.versions.current();
        let level_bytes = if self.options.compaction.keeps_runs_in_level0() {
            let mut runs = Vec::with_capacity(version.num_files(0) + NUM_LEVELS - 1);
            runs.extend(
                version.files[0]
                    .iter()
                    .rev()
                    .map(|f| f.meta.file_size_bytes),
            );
            runs.extend(
                (1..NUM_LEVELS)
                    .map(|level| version.level_bytes(level))
                    .filter(|&bytes| bytes > 0),
            );
            runs
        } else {
            (0..NUM_LEVELS)
                .map(|level| version.level_bytes(level))
                .collect()
        };
        let memtable_bytes = st.mem.approximate_memory_usage()
            + st.imm
                .as_ref()
                .map_or(0, |imm| imm.approximate_memory_usage());
        let pending = self
            .policy
            .pending_compaction_bytes(&super::background::shape(self, &st, &version));
        EngineState {
            level0_files: Some(version.num_files(0) as u64),
            level_bytes,
            memtable_bytes: Some(memtable_bytes as u64),
            pending_compaction_bytes: Some(pending),
            compactions_running: Some(u64::from(st.bg_running)),
        }
    }
}
