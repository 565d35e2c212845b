//! Counters an engine keeps: the inputs of write, read and space
//! amplification.

/// Cumulative counters since the engine was opened.
///
/// Engines that cannot observe their own I/O (peers wrapped through an API
/// that hides it) count only what passes through the [`crate::Engine`]
/// calls, `user_bytes_written` and `gets`, and leave
/// [`EngineMetrics::internal_io_counted`] false: their other counters then
/// read zero and mean "unknown", not "none".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineMetrics {
    /// Whether the engine counts its own I/O and work: disk bytes, tables
    /// probed, flushes, compactions, stalls. Only then are write and read
    /// amplification known.
    pub internal_io_counted: bool,
    /// Key plus value bytes the user asked to write (puts and deletes).
    pub user_bytes_written: u64,
    /// Bytes appended to any file: WAL, tables, MANIFEST.
    pub disk_bytes_written: u64,
    /// Bytes read from table files (by gets, scans and compactions).
    pub disk_bytes_read: u64,
    /// Point lookups served.
    pub gets: u64,
    /// Table files consulted by those lookups (bloom-filtered ones included
    /// only if their filter said "maybe").
    pub tables_probed: u64,
    /// Memtable flushes completed.
    pub flushes: u64,
    /// Compactions completed (trivial moves included).
    pub compactions: u64,
    /// Wall time spent in flushes and compactions, microseconds.
    pub compaction_time_us: u64,
    /// Bytes read by compactions.
    pub compaction_bytes_read: u64,
    /// Bytes written by compactions and flushes.
    pub compaction_bytes_written: u64,
    /// Time writers spent in write stalls, slowdowns and stops together,
    /// microseconds (RocksDB's `stall_micros`; `stall%` is this over the
    /// elapsed time). A stall still in progress counts up to now.
    pub stall_time_us: u64,
    /// Write stalls: slowdowns (a write delayed once, LevelDB's 1 ms sleep
    /// when level 0 reaches its slowdown trigger) plus stops (a write
    /// waiting for the background thread: the memtable is full while the
    /// previous one is still being flushed, or level 0 reached its stop
    /// trigger). One write delayed and then stopped counts twice.
    pub stalls: u64,
    /// Of [`EngineMetrics::stalls`], the stops.
    pub stall_stops: u64,
    /// Of [`EngineMetrics::stall_time_us`], the time spent in stops,
    /// microseconds.
    pub stall_stop_time_us: u64,
    /// Total bytes of live table files now.
    pub live_table_bytes: u64,
}

impl EngineMetrics {
    /// Disk bytes written per user byte written (0 when nothing was written).
    pub fn write_amplification(&self) -> f64 {
        if self.user_bytes_written == 0 {
            0.0
        } else {
            self.disk_bytes_written as f64 / self.user_bytes_written as f64
        }
    }

    /// Tables probed per point lookup (0 when there were none).
    pub fn read_amplification(&self) -> f64 {
        if self.gets == 0 {
            0.0
        } else {
            self.tables_probed as f64 / self.gets as f64
        }
    }

    /// Of [`EngineMetrics::stalls`], the slowdowns (stalls that were not
    /// stops).
    pub fn stall_slowdowns(&self) -> u64 {
        self.stalls.saturating_sub(self.stall_stops)
    }

    /// Of [`EngineMetrics::stall_time_us`], the time spent in slowdowns,
    /// microseconds.
    pub fn stall_slowdown_time_us(&self) -> u64 {
        self.stall_time_us.saturating_sub(self.stall_stop_time_us)
    }

    /// The counters accumulated since `earlier` (gauges such as
    /// `live_table_bytes` keep their current value).
    pub fn since(&self, earlier: &EngineMetrics) -> EngineMetrics {
        EngineMetrics {
            internal_io_counted: self.internal_io_counted,
            user_bytes_written: self
                .user_bytes_written
                .saturating_sub(earlier.user_bytes_written),
            disk_bytes_written: self
                .disk_bytes_written
                .saturating_sub(earlier.disk_bytes_written),
            disk_bytes_read: self.disk_bytes_read.saturating_sub(earlier.disk_bytes_read),
            gets: self.gets.saturating_sub(earlier.gets),
            tables_probed: self.tables_probed.saturating_sub(earlier.tables_probed),
            flushes: self.flushes.saturating_sub(earlier.flushes),
            compactions: self.compactions.saturating_sub(earlier.compactions),
            compaction_time_us: self
                .compaction_time_us
                .saturating_sub(earlier.compaction_time_us),
            compaction_bytes_read: self
                .compaction_bytes_read
                .saturating_sub(earlier.compaction_bytes_read),
            compaction_bytes_written: self
                .compaction_bytes_written
                .saturating_sub(earlier.compaction_bytes_written),
            stall_time_us: self.stall_time_us.saturating_sub(earlier.stall_time_us),
            stalls: self.stalls.saturating_sub(earlier.stalls),
            stall_stops: self.stall_stops.saturating_sub(earlier.stall_stops),
            stall_stop_time_us: self
                .stall_stop_time_us
                .saturating_sub(earlier.stall_stop_time_us),
            live_table_bytes: self.live_table_bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios() {
        let m = EngineMetrics {
            user_bytes_written: 100,
            disk_bytes_written: 250,
            gets: 4,
            tables_probed: 6,
            ..Default::default()
        };
        assert!((m.write_amplification() - 2.5).abs() < 1e-9);
        assert!((m.read_amplification() - 1.5).abs() < 1e-9);
        assert_eq!(EngineMetrics::default().write_amplification(), 0.0);
        let d = m.since(&EngineMetrics {
            user_bytes_written: 50,
            ..Default::default()
        });
        assert_eq!(d.user_bytes_written, 50);
    }

    #[test]
    fn stalls_split_into_slowdowns_and_stops_and_subtract() {
        let earlier = EngineMetrics {
            stalls: 3,
            stall_time_us: 5_000,
            stall_stops: 1,
            stall_stop_time_us: 2_000,
            ..Default::default()
        };
        let now = EngineMetrics {
            stalls: 10,
            stall_time_us: 40_000,
            stall_stops: 4,
            stall_stop_time_us: 30_000,
            ..Default::default()
        };
        assert_eq!(
            (now.stall_slowdowns(), now.stall_slowdown_time_us()),
            (6, 10_000)
        );
        let d = now.since(&earlier);
        assert_eq!((d.stalls, d.stall_time_us), (7, 35_000));
        assert_eq!((d.stall_stops, d.stall_stop_time_us), (3, 28_000));
        assert_eq!(
            (d.stall_slowdowns(), d.stall_slowdown_time_us()),
            (4, 7_000)
        );
        // Counters never run backwards, but a reopened engine starts over:
        // the difference saturates instead of wrapping.
        assert_eq!(earlier.since(&now).stall_stop_time_us, 0);
    }
}
