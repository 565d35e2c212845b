//! Every benchmark name strata runs, in one ordered registry: db_bench's
//! (in LevelDB 1.23's order), then YCSB's core workloads, then the
//! filesystem benchmarks (and `fs`, their default suite). A benchmark list
//! is parsed here once, in the order the user wrote it, across families.

use crate::db_bench::{self, Benchmark};
use crate::fs::{FsBenchmark, DEFAULT_SUITE};
use crate::ycsb;
use std::fmt;

/// The name that stands for the filesystem suite ([`DEFAULT_SUITE`]).
pub const FS_SUITE_NAME: &str = "fs";

/// A family of benchmarks: those of one family that run on one engine
/// share one database (db_bench's list, as one db_bench invocation runs
/// it; the filesystem benchmarks, on one store), except YCSB's, each of
/// which loads a fresh database of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// LevelDB 1.23's db_bench.
    DbBench,
    /// YCSB's core workloads A–F.
    Ycsb,
    /// Filesystem workloads on blobfs.
    Fs,
}

impl Family {
    /// Every family, in registry order.
    pub const ALL: [Family; 3] = [Family::DbBench, Family::Ycsb, Family::Fs];

    /// A short name (`db_bench`, `ycsb`, `fs`), used in folder names.
    pub fn name(self) -> &'static str {
        match self {
            Family::DbBench => "db_bench",
            Family::Ycsb => "ycsb",
            Family::Fs => "fs",
        }
    }

    /// True when every benchmark of the family starts from a fresh
    /// database of its own, so that it shares nothing with the others.
    pub fn each_alone(self) -> bool {
        self == Family::Ycsb
    }
}

/// One benchmark of any family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BenchmarkId {
    /// A db_bench benchmark.
    DbBench(Benchmark),
    /// A YCSB workload.
    Ycsb(ycsb::Workload),
    /// A filesystem benchmark.
    Fs(FsBenchmark),
    /// A filesystem benchmark through a FUSE mount of the store
    /// (`fs_create@mount`; `--fs_via mount`).
    FsMount(FsBenchmark),
}

impl BenchmarkId {
    /// The name as `--benchmarks` takes it.
    pub fn name(self) -> &'static str {
        match self {
            BenchmarkId::DbBench(b) => b.name(),
            BenchmarkId::Ycsb(w) => w.name(),
            BenchmarkId::Fs(b) => b.name(),
            BenchmarkId::FsMount(b) => b.mount_name(),
        }
    }

    /// Its family.
    pub fn family(self) -> Family {
        match self {
            BenchmarkId::DbBench(_) => Family::DbBench,
            BenchmarkId::Ycsb(_) => Family::Ycsb,
            BenchmarkId::Fs(_) | BenchmarkId::FsMount(_) => Family::Fs,
        }
    }

    /// The benchmark called `name` (`fs` is a suite, not one benchmark:
    /// see [`parse_list`]).
    pub fn from_name(name: &str) -> Option<BenchmarkId> {
        Benchmark::from_name(name)
            .map(BenchmarkId::DbBench)
            .or_else(|| ycsb::Workload::from_name(name).map(BenchmarkId::Ycsb))
            .or_else(|| FsBenchmark::from_name(name).map(BenchmarkId::Fs))
            .or_else(|| FsBenchmark::from_mount_name(name).map(BenchmarkId::FsMount))
    }
}

impl fmt::Display for BenchmarkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every name the registry knows, family by family, in registry order.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = db_bench::suite::ALL.iter().map(|(n, _)| *n).collect();
    names.extend(ycsb::workload::ALL.iter().map(|(n, _)| *n));
    names.push(FS_SUITE_NAME);
    names.extend(FsBenchmark::ALL.map(FsBenchmark::name));
    names
}

/// A name in a benchmark list that no family has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownBenchmark(pub String);

impl fmt::Display for UnknownBenchmark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let db_bench: Vec<&str> = db_bench::suite::ALL.iter().map(|(n, _)| *n).collect();
        let ycsb: Vec<&str> = ycsb::workload::ALL.iter().map(|(n, _)| *n).collect();
        write!(
            f,
            "unknown benchmark '{}'; valid: {}; YCSB: {}; filesystem: {FS_SUITE_NAME} (the suite), {}",
            self.0,
            db_bench.join(", "),
            ycsb.join(", "),
            FsBenchmark::ALL.map(FsBenchmark::name).join(", ")
        )
    }
}

impl std::error::Error for UnknownBenchmark {}

/// Parses a comma-separated list in the order written (blank names are
/// ignored; `fs` expands to the filesystem suite in place).
///
/// # Errors
/// The first name no family has.
pub fn parse_list(text: &str) -> Result<Vec<BenchmarkId>, UnknownBenchmark> {
    let mut list = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == FS_SUITE_NAME {
            list.extend(DEFAULT_SUITE.map(BenchmarkId::Fs));
            continue;
        }
        list.push(BenchmarkId::from_name(name).ok_or_else(|| UnknownBenchmark(name.to_string()))?);
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keep_the_order_written_across_families() {
        let list = parse_list("ycsbc, fillseq,fs_create,,fs_stat,readrandom").expect("parse");
        let names: Vec<&str> = list.iter().map(|b| b.name()).collect();
        assert_eq!(
            names,
            ["ycsbc", "fillseq", "fs_create", "fs_stat", "readrandom"]
        );
        let families: Vec<Family> = list.iter().map(|b| b.family()).collect();
        assert_eq!(
            families,
            [
                Family::Ycsb,
                Family::DbBench,
                Family::Fs,
                Family::Fs,
                Family::DbBench
            ]
        );
    }

    #[test]
    fn fs_expands_in_place_and_unknown_names_list_every_family() {
        let list = parse_list("fillseq,fs,readseq").expect("parse");
        assert_eq!(list.len(), 2 + DEFAULT_SUITE.len());
        assert_eq!(list[1], BenchmarkId::Fs(FsBenchmark::Create));
        assert_eq!(list[list.len() - 1].name(), "readseq");
        let e = parse_list("fillseq,nope").expect_err("unknown");
        let text = e.to_string();
        for needle in [
            "'nope'",
            "readrandom",
            "ycsbf",
            "fs_import",
            "fs (the suite)",
        ] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
    }

    #[test]
    fn every_name_resolves_to_itself() {
        for name in names() {
            if name == FS_SUITE_NAME {
                continue;
            }
            let id = BenchmarkId::from_name(name).expect("registered");
            assert_eq!(id.name(), name);
        }
        let mut sorted = names();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names().len(), "no name in two families");
    }
}
