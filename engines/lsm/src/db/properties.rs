//! `leveldb.*` properties and `EngineMetrics`.

use super::DbInner;
use crate::version::edit::NUM_LEVELS;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use strata_api::EngineMetrics;

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
        let (live, manifest_bytes) = {
            let st = self.state.lock();
            (
                st.versions.current().total_bytes(),
                st.versions.manifest_bytes_written,
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
            stall_time_us: get(&c.stall_time_us),
            stalls: get(&c.stalls),
            live_table_bytes: live,
        }
    }
}
