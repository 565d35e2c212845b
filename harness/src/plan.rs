//! A run as data: a deterministic, numbered list of cells. A *cell* is one
//! engine in one repetition running the benchmarks of the list that share
//! one database: all of db_bench's (one db_bench invocation, as db_bench
//! runs its list), one YCSB workload (each loads a fresh database), or all
//! of the filesystem benchmarks (one store). Cells apart share nothing, so
//! a shard (`--shard I/N`: the cells with `index % N == I`) measures what
//! the whole run would.
//!
//! A *block* is one engine in one repetition: its steps run in the order
//! of the list across families (`ycsbc,fillseq,fs_create,fs_stat,
//! readrandom` runs in that order), each step in its cell's database.
//! Blocks run repetition by repetition (every engine's first repetition,
//! then every engine's second: interleaved, so machine noise falls on all
//! engines alike) or engine by engine.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use strata_api::EngineSpec;
use strata_workloads::{BenchmarkId, Family, Part, Settings};

/// One engine of the matrix and where its databases live.
#[derive(Debug, Clone)]
pub struct EnginePlan {
    /// The spec, with the command line's engine flags applied.
    pub spec: EngineSpec,
    /// Its database directory (the first family's database; the others
    /// go beside it: see [`part_dir`]).
    pub dir: PathBuf,
}

/// A plan cell: the unit a shard runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Its number, 0-based, in run order.
    pub index: usize,
    /// Index into [`Plan::engines`].
    pub engine: usize,
    /// Repetition, 0-based.
    pub repetition: u32,
    /// The benchmarks it runs.
    pub part: Part,
    /// Its database directory.
    pub dir: PathBuf,
}

/// One benchmark of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Position in the benchmark list, 0-based.
    pub position: usize,
    /// The benchmark.
    pub benchmark: BenchmarkId,
    /// The cell it runs in; `None` when it is skipped because the
    /// database must be kept (`--use_existing_db`).
    pub cell: Option<usize>,
}

/// One engine in one repetition: the whole list, in order.
#[derive(Debug, Clone)]
pub struct Block {
    /// Index into [`Plan::engines`].
    pub engine: usize,
    /// Repetition, 0-based.
    pub repetition: u32,
    /// The steps, in list order.
    pub steps: Vec<Step>,
}

/// Which cells a process runs: `index % count == index_of_shard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u32,
    /// How many shards the plan is split into.
    pub count: u32,
}

impl Shard {
    /// The whole plan in one process.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// True when this shard runs `cell`.
    pub fn runs(self, cell: usize) -> bool {
        cell % self.count as usize == self.index as usize
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A validated run: what every engine runs, and in which order.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Every family's settings.
    pub settings: Settings,
    /// The benchmark list, in the order given.
    pub list: Vec<BenchmarkId>,
    /// The engines, in order.
    pub engines: Vec<EnginePlan>,
    /// Repetitions of the matrix.
    pub repeat: u32,
    /// The blocks, in run order.
    pub blocks: Vec<Block>,
    /// The cells, numbered in run order.
    pub cells: Vec<Cell>,
    /// 16 hex digits naming what the plan measures (see [`Plan::hash`]).
    pub hash: String,
}

impl Plan {
    /// The plan of `list` over `engines`, `repeat` times.
    pub fn new(
        settings: Settings,
        list: Vec<BenchmarkId>,
        engines: Vec<EnginePlan>,
        repeat: u32,
        interleave: bool,
    ) -> Plan {
        let order: Vec<(usize, u32)> = if interleave {
            (0..repeat)
                .flat_map(|r| (0..engines.len()).map(move |e| (e, r)))
                .collect()
        } else {
            (0..engines.len())
                .flat_map(|e| (0..repeat).map(move |r| (e, r)))
                .collect()
        };
        let families = families_in_order(&list);
        let mut cells: Vec<Cell> = Vec::new();
        let mut blocks = Vec::with_capacity(order.len());
        for (engine, repetition) in order {
            let mut block_cells: Vec<(Part, Option<usize>, usize)> = Vec::new();
            let mut steps = Vec::with_capacity(list.len());
            for (position, &benchmark) in list.iter().enumerate() {
                let part = part_of(benchmark);
                let cell = if skipped(&settings, part) {
                    None
                } else if let Some(&(_, index, _)) = block_cells
                    .iter()
                    .find(|(p, _, _)| *p == part && !part.family().each_alone())
                {
                    index
                } else {
                    let index = cells.len();
                    let family_rank = families.iter().position(|f| *f == part.family());
                    cells.push(Cell {
                        index,
                        engine,
                        repetition,
                        part,
                        dir: mount_dir(
                            part,
                            part_dir(&engines[engine].dir, part.family(), family_rank == Some(0)),
                        ),
                    });
                    block_cells.push((part, Some(index), position));
                    Some(index)
                };
                steps.push(Step {
                    position,
                    benchmark,
                    cell,
                });
            }
            blocks.push(Block {
                engine,
                repetition,
                steps,
            });
        }
        let hash = plan_hash(&settings, &list, &engines, repeat, interleave);
        Plan {
            settings,
            list,
            engines,
            repeat,
            blocks,
            cells,
            hash,
        }
    }

    /// True when some cell of `block` runs in `shard`.
    pub fn block_runs_in(&self, block: &Block, shard: Shard) -> bool {
        block
            .steps
            .iter()
            .any(|s| s.cell.is_some_and(|c| shard.runs(c)))
    }
}

/// The part a benchmark runs in.
fn part_of(benchmark: BenchmarkId) -> Part {
    match benchmark {
        BenchmarkId::DbBench(_) => Part::DbBench,
        BenchmarkId::Ycsb(w) => Part::Ycsb(w),
        BenchmarkId::Fs(_) => Part::Fs,
        BenchmarkId::FsMount(_) => Part::FsMount,
    }
}

/// True when `part` runs nothing because the database must be kept:
/// under `--use_existing_db` YCSB and the filesystem benchmarks (which
/// make fresh databases) and a db_bench list of nothing but fills.
fn skipped(settings: &Settings, part: Part) -> bool {
    let suite = &settings.db_bench;
    if !suite.config().use_existing_db {
        return false;
    }
    match part {
        Part::DbBench => suite.benchmarks().iter().all(|b| b.fresh_db()),
        Part::Ycsb(_) | Part::Fs | Part::FsMount => true,
    }
}

/// The families of `list` in the order they first appear.
fn families_in_order(list: &[BenchmarkId]) -> Vec<Family> {
    let mut families = Vec::new();
    for b in list {
        if !families.contains(&b.family()) {
            families.push(b.family());
        }
    }
    families
}

/// The database directory of `family` on the engine whose directory is
/// `engine_dir`: the first family of the list uses it (so a list of one
/// family runs where db_bench would), the others go beside it as
/// `<dir>.ycsb` and `<dir>.fs`, so that no family destroys another's
/// database between two of its benchmarks.
pub fn part_dir(engine_dir: &Path, family: Family, first: bool) -> PathBuf {
    if first {
        return engine_dir.to_path_buf();
    }
    let mut name = engine_dir.as_os_str().to_owned();
    name.push(".");
    name.push(family.name());
    PathBuf::from(name)
}

/// The filesystem benchmarks through a mount run on a store of their
/// own, beside the API's: `<dir>.mount`.
fn mount_dir(part: Part, dir: PathBuf) -> PathBuf {
    if part != Part::FsMount {
        return dir;
    }
    let mut name = dir.into_os_string();
    name.push(".mount");
    PathBuf::from(name)
}

/// Where `fs_import` of the store in `dir` puts its changed copy: beside
/// the database, never inside it.
pub fn scratch_dir(dir: &Path) -> PathBuf {
    let mut name = dir.as_os_str().to_owned();
    name.push(".fs_import");
    PathBuf::from(name)
}

/// SHA-256 (first 16 hex digits) of what the plan measures: strata's
/// version, the list, the engine specs, the repetitions and order, and
/// every family's settings. Paths (`--db`, `--out`) are left out, so the
/// shards of one plan run on different machines hash alike.
fn plan_hash(
    settings: &Settings,
    list: &[BenchmarkId],
    engines: &[EnginePlan],
    repeat: u32,
    interleave: bool,
) -> String {
    let names: Vec<&str> = list.iter().map(|b| b.name()).collect();
    let specs: Vec<String> = engines.iter().map(|e| e.spec.to_string()).collect();
    let fs = strata_workloads::fs::FsWorkloadConfig {
        scratch_dir: PathBuf::new(),
        ..settings.fs.clone()
    };
    let text = format!(
        "strata {}\nlist {}\nengines {}\nrepeat {repeat}\ninterleave {interleave}\n\
         db_bench {:?}\nycsb {:?}\nfs {:?}\n",
        env!("CARGO_PKG_VERSION"),
        names.join(","),
        specs.join(" "),
        settings.db_bench.config(),
        settings.ycsb,
        fs,
    );
    let digest = Sha256::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_workloads::db_bench::Config;
    use strata_workloads::fs::FsWorkloadConfig;
    use strata_workloads::registry::parse_list;
    use strata_workloads::ycsb::YcsbConfig;

    fn settings(list: &[BenchmarkId], use_existing_db: bool) -> Settings {
        let config = Config {
            use_existing_db,
            ..Config::default()
        };
        let fs = FsWorkloadConfig {
            files: 10,
            ops: 10,
            ..FsWorkloadConfig::default()
        };
        Settings::new(config, YcsbConfig::default(), fs, list).expect("settings")
    }

    fn engines(n: usize) -> Vec<EnginePlan> {
        (0..n)
            .map(|i| EnginePlan {
                spec: crate::engines::parse_spec(if i == 0 { "lsm" } else { "lsm:memtable=btree" })
                    .expect("spec"),
                dir: PathBuf::from(format!("/db/{i}-lsm")),
            })
            .collect()
    }

    fn plan(text: &str, engine_count: usize, repeat: u32, interleave: bool) -> Plan {
        let list = parse_list(text).expect("list");
        Plan::new(
            settings(&list, false),
            list,
            engines(engine_count),
            repeat,
            interleave,
        )
    }

    #[test]
    fn cells_group_benchmarks_that_share_a_database() {
        let p = plan(
            "ycsbc,fillseq,fs_create,fs_stat,readrandom,ycsbc",
            1,
            1,
            true,
        );
        let steps: Vec<(&str, Option<usize>)> = p.blocks[0]
            .steps
            .iter()
            .map(|s| (s.benchmark.name(), s.cell))
            .collect();
        assert_eq!(
            steps,
            [
                ("ycsbc", Some(0)),
                ("fillseq", Some(1)),
                ("fs_create", Some(2)),
                ("fs_stat", Some(2)),
                ("readrandom", Some(1)),
                ("ycsbc", Some(3)),
            ]
        );
        let dirs: Vec<&Path> = p.cells.iter().map(|c| c.dir.as_path()).collect();
        assert_eq!(
            dirs,
            [
                Path::new("/db/0-lsm"),
                Path::new("/db/0-lsm.db_bench"),
                Path::new("/db/0-lsm.fs"),
                Path::new("/db/0-lsm"),
            ]
        );
    }

    #[test]
    fn blocks_interleave_repetitions_or_not_and_cells_number_in_run_order() {
        let p = plan("fillseq,readrandom", 2, 2, true);
        let order: Vec<(usize, u32)> = p.blocks.iter().map(|b| (b.engine, b.repetition)).collect();
        assert_eq!(order, [(0, 0), (1, 0), (0, 1), (1, 1)]);
        let q = plan("fillseq,readrandom", 2, 2, false);
        let order: Vec<(usize, u32)> = q.blocks.iter().map(|b| (b.engine, b.repetition)).collect();
        assert_eq!(order, [(0, 0), (0, 1), (1, 0), (1, 1)]);
        assert_ne!(p.hash, q.hash, "the order is part of the plan");
        for (i, cell) in p.cells.iter().enumerate() {
            assert_eq!(cell.index, i);
        }
        assert_eq!(p.cells.len(), 4);
    }

    #[test]
    fn shards_split_cells_by_index() {
        let p = plan("fillseq,ycsba,ycsbb", 2, 3, true);
        assert_eq!(p.cells.len(), 2 * 3 * 3);
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, count: 3 }).collect();
        for cell in &p.cells {
            let owners = shards.iter().filter(|s| s.runs(cell.index)).count();
            assert_eq!(owners, 1, "cell {} runs in exactly one shard", cell.index);
        }
        assert_eq!(Shard { index: 1, count: 3 }.to_string(), "1/3");
    }

    #[test]
    fn the_hash_names_what_is_measured_not_where() {
        let a = plan("fillseq,readrandom", 2, 1, true);
        let mut moved = engines(2);
        for e in &mut moved {
            e.dir = PathBuf::from("/elsewhere").join(e.dir.file_name().expect("name"));
        }
        let list = parse_list("fillseq,readrandom").expect("list");
        let b = Plan::new(settings(&list, false), list, moved, 1, true);
        assert_eq!(a.hash, b.hash);
        assert_eq!(a.hash.len(), 16);
        assert_ne!(a.hash, plan("fillseq,readseq", 2, 1, true).hash);
        assert_ne!(a.hash, plan("fillseq,readrandom", 1, 1, true).hash);
        assert_ne!(a.hash, plan("fillseq,readrandom", 2, 2, true).hash);
    }

    #[test]
    fn parts_that_would_destroy_a_kept_database_have_no_cell() {
        let list = parse_list("fillseq,ycsba,fs_create").expect("list");
        let p = Plan::new(settings(&list, true), list, engines(1), 1, true);
        assert!(p.cells.is_empty(), "{:?}", p.cells);
        assert!(p.blocks[0].steps.iter().all(|s| s.cell.is_none()));
        let list = parse_list("fillseq,readrandom").expect("list");
        let p = Plan::new(settings(&list, true), list, engines(1), 1, true);
        assert_eq!(p.cells.len(), 1, "readrandom reads the kept database");
    }
}
