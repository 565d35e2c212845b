//! The six YCSB core workloads (the `workloada` … `workloadf` property
//! files shipped with YCSB): their names here, operation mixes and request
//! distributions.

use std::fmt;

/// A kind of YCSB operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpType {
    /// Point read of one record.
    Read,
    /// Overwrite of one existing record.
    Update,
    /// A new record, after the last one inserted.
    Insert,
    /// Forward scan of 1..=max records from a chosen key.
    Scan,
    /// Read of a record, then its update (measured as one operation).
    ReadModifyWrite,
}

impl OpType {
    /// Every type, in report order.
    pub const ALL: [OpType; 5] = [
        OpType::Read,
        OpType::Update,
        OpType::Insert,
        OpType::Scan,
        OpType::ReadModifyWrite,
    ];

    /// Lower-case label, used in CSV row names (`ycsba.read`).
    pub fn label(self) -> &'static str {
        match self {
            OpType::Read => "read",
            OpType::Update => "update",
            OpType::Insert => "insert",
            OpType::Scan => "scan",
            OpType::ReadModifyWrite => "rmw",
        }
    }

    /// Plural label for the report line (`reads 500`).
    pub fn plural(self) -> &'static str {
        match self {
            OpType::Read => "reads",
            OpType::Update => "updates",
            OpType::Insert => "inserts",
            OpType::Scan => "scans",
            OpType::ReadModifyWrite => "rmws",
        }
    }

    /// Position in [`OpType::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// How the key of a read, update, scan or read-modify-write is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyDistribution {
    /// YCSB's `zipfian` request distribution (a scrambled zipfian).
    ScrambledZipfian,
    /// YCSB's `latest`: skewed toward the most recent insert.
    Latest,
}

/// One YCSB core workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workload {
    /// A, update heavy: 50% read, 50% update, zipfian.
    A,
    /// B, read mostly: 95% read, 5% update, zipfian.
    B,
    /// C, read only: 100% read, zipfian.
    C,
    /// D, read latest: 95% read, 5% insert, latest.
    D,
    /// E, short ranges: 95% scan (1..=100 records, uniform), 5% insert,
    /// zipfian.
    E,
    /// F, read-modify-write: 50% read, 50% read-modify-write, zipfian.
    F,
}

/// Every workload with its name in `--benchmarks`.
pub const ALL: &[(&str, Workload)] = &[
    ("ycsba", Workload::A),
    ("ycsbb", Workload::B),
    ("ycsbc", Workload::C),
    ("ycsbd", Workload::D),
    ("ycsbe", Workload::E),
    ("ycsbf", Workload::F),
];

/// YCSB's `maxscanlength` for workload E.
pub const MAX_SCAN_LENGTH: u32 = 100;

impl Workload {
    /// The name in `--benchmarks` (`ycsba` …).
    pub fn name(self) -> &'static str {
        ALL.iter()
            .find(|(_, w)| *w == self)
            .map_or("?", |(name, _)| name)
    }

    /// The workload called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        ALL.iter().find(|(n, _)| *n == name).map(|(_, w)| *w)
    }

    /// The operation mix: each type with its proportion (summing to 1).
    pub fn mix(self) -> &'static [(OpType, f64)] {
        match self {
            Workload::A => &[(OpType::Read, 0.5), (OpType::Update, 0.5)],
            Workload::B => &[(OpType::Read, 0.95), (OpType::Update, 0.05)],
            Workload::C => &[(OpType::Read, 1.0)],
            Workload::D => &[(OpType::Read, 0.95), (OpType::Insert, 0.05)],
            Workload::E => &[(OpType::Scan, 0.95), (OpType::Insert, 0.05)],
            Workload::F => &[(OpType::Read, 0.5), (OpType::ReadModifyWrite, 0.5)],
        }
    }

    /// The proportion of `op` in the mix (0 when absent).
    pub fn proportion(self, op: OpType) -> f64 {
        self.mix()
            .iter()
            .find(|(o, _)| *o == op)
            .map_or(0.0, |(_, p)| *p)
    }

    /// The request distribution.
    pub fn distribution(self) -> KeyDistribution {
        match self {
            Workload::D => KeyDistribution::Latest,
            _ => KeyDistribution::ScrambledZipfian,
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// True when `name` is a YCSB workload name.
pub fn is_workload_name(name: &str) -> bool {
    Workload::from_name(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_mixes_sum_to_one() {
        for (name, w) in ALL {
            assert_eq!(w.name(), *name);
            assert_eq!(Workload::from_name(name), Some(*w));
            let total: f64 = w.mix().iter().map(|(_, p)| p).sum();
            assert!((total - 1.0).abs() < 1e-12, "{name}");
        }
        assert!(is_workload_name("ycsbf"));
        assert!(!is_workload_name("ycsbg"));
    }
}
