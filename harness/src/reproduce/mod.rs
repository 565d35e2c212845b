//! `strata reproduce`: the seed's published db_bench table, regenerated.
//!
//! The seed's setup (1,000,000 entries, 16-byte keys, 100-byte values that
//! compress to half, Snappy off, db_bench's list as the seed ran it) runs
//! on strata's default engine and on LevelDB 1.23, interleaved, `--repeat`
//! times. Published numbers come from another machine, so the report sets
//! ratios beside ratios: the published Zig/LevelDB against the measured
//! strata/LevelDB. Writes `results/reproduce-<run-id>.csv` (the bench
//! schema) and `reports/reproduce/<run-id>/` (`index.md`, `ratios.svg`,
//! `ratios.png`); prints the table on stdout, db_bench's lines on stderr.

mod published;
mod table;

use crate::engines::parse_spec;
use crate::error::HarnessError;
use crate::machine::Machine;
use crate::plan::{EnginePlan, Plan, Shard};
use crate::plot::ratios::{draw_ratios, RatioBar};
use crate::record::RunFacts;
use crate::report::{Collected, Console, CsvFile, IntervalsFile, Reporter};
use std::path::{Path, PathBuf};
use strata_workloads::db_bench::Config;
use strata_workloads::fs::FsWorkloadConfig;
use strata_workloads::registry::parse_list;
use strata_workloads::ycsb::YcsbConfig;
use strata_workloads::Settings;

pub use published::{load as load_published, PublishedPair};

/// The seed's benchmark list, in its order: db_bench 1.23's default list
/// as the published files hold it (no Snappy benchmarks: Snappy was off).
pub const SEED_BENCHMARKS: &[&str] = &[
    "fillseq",
    "fillsync",
    "fillrandom",
    "overwrite",
    "readrandom",
    "readrandom",
    "readseq",
    "readreverse",
    "compact",
    "readrandom",
    "readseq",
    "readreverse",
    "fill100K",
    "crc32c",
];

/// The seed's entry count.
pub const SEED_NUM: u32 = 1_000_000;
/// strata's engine with Snappy off, as in the seed's run.
pub const STRATA_SPEC: &str = "lsm:compression=none";
/// LevelDB 1.23 through its C API in strata's process, Snappy off.
pub const LEVELDB_C_API_SPEC: &str = "leveldb:compression=none";

/// Which LevelDB the table sets strata beside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LevelDbPeer {
    /// LevelDB 1.23's own db_bench, built without Snappy (the binary).
    Native(PathBuf),
    /// LevelDB 1.23 through its C API, inside strata's process.
    CApi,
}

impl LevelDbPeer {
    /// Its engine spec.
    pub fn spec(&self) -> String {
        match self {
            LevelDbPeer::Native(path) => {
                format!("db_bench:leveldb,compression=none,path={}", path.display())
            }
            LevelDbPeer::CApi => LEVELDB_C_API_SPEC.to_string(),
        }
    }

    /// What it is, in words, for the console and the report.
    pub fn describe(&self) -> String {
        match self {
            LevelDbPeer::Native(path) => format!(
                "LevelDB 1.23's own db_bench, unmodified, built without Snappy ({})",
                path.display()
            ),
            LevelDbPeer::CApi => {
                "LevelDB 1.23 through its C API inside strata's process (Debian's libleveldb)"
                    .to_string()
            }
        }
    }
}

/// A validated `strata reproduce` run.
pub struct ReproduceRun {
    /// The seed's list on both engines, interleaved, repeated.
    pub plan: Plan,
    /// The published figures to set beside.
    pub published: PublishedPair,
    /// Which LevelDB was measured.
    pub leveldb: LevelDbPeer,
    /// Where the databases live.
    pub db_root: PathBuf,
    /// True when `db_root` is ours: removed at the end.
    pub db_root_is_temp: bool,
    /// `YYYYmmdd-HHMMSS`.
    pub run_id: String,
    /// RFC 3339 UTC.
    pub start_time: String,
}

impl ReproduceRun {
    /// The run of the seed's list with `config` on strata and LevelDB in
    /// `db_root` (`0-lsm/`, `1-leveldb/`), `repeat` times, interleaved.
    ///
    /// # Errors
    /// A spec or list that does not parse (a bug: they are constants).
    pub fn new(
        config: Config,
        repeat: u32,
        published: PublishedPair,
        leveldb: LevelDbPeer,
        db_root: (PathBuf, bool),
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<ReproduceRun, HarnessError> {
        let list = parse_list(&SEED_BENCHMARKS.join(","))
            .map_err(|e| HarnessError::flag("--benchmarks", e))?;
        let settings = Settings::new(
            config,
            YcsbConfig::default(),
            FsWorkloadConfig::default(),
            &list,
        )
        .map_err(|e| HarnessError::flag(e.flag, e.reason))?;
        let mut engines = Vec::new();
        let leveldb_spec = leveldb.spec();
        for (text, folder) in [(STRATA_SPEC, "0-lsm"), (leveldb_spec.as_str(), "1-leveldb")] {
            engines.push(EnginePlan {
                spec: parse_spec(text).map_err(|e| HarnessError::flag("--leveldb", e))?,
                dir: db_root.0.join(folder),
            });
        }
        Ok(ReproduceRun {
            plan: Plan::new(settings, list, engines, repeat, true),
            published,
            leveldb,
            db_root: db_root.0,
            db_root_is_temp: db_root.1,
            run_id: now.format("%Y%m%d-%H%M%S").to_string(),
            start_time: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }
}

/// Runs the plan (db_bench's lines on stderr), writes the CSV, prints the
/// table on stdout and writes the report folder.
///
/// # Errors
/// An engine error, or a file that cannot be written.
pub fn execute(run: &ReproduceRun) -> Result<(), HarnessError> {
    let facts = RunFacts {
        run_id: run.run_id.clone(),
        start_time: run.start_time.clone(),
        machine: Machine::probe(),
    };
    let csv_path = PathBuf::from("results").join(format!("reproduce-{}.csv", run.run_id));
    let mut csv = CsvFile::create(&csv_path)?;
    let mut intervals = IntervalsFile::beside(&csv_path);
    let mut collected = Collected::default();
    eprintln!(
        "Run:        {} ({} repetitions)",
        run.run_id, run.plan.repeat
    );
    eprintln!("LevelDB:    {}", run.leveldb.describe());
    let mut console = Console::new(Box::new(std::io::stderr()));
    let outcome = crate::runner::run(
        &run.plan,
        Shard::ALL,
        &facts,
        &mut console,
        &mut [
            &mut csv as &mut dyn Reporter,
            &mut intervals,
            &mut collected,
        ],
    );
    if run.db_root_is_temp {
        // Ours alone (a fresh per-process path): remove it, failed run or not.
        let _ = std::fs::remove_dir_all(&run.db_root);
    }
    outcome?;
    let mut measured = table::Measured::default();
    for record in &collected.records {
        let samples = if record.engine == 0 {
            &mut measured.strata
        } else {
            &mut measured.leveldb
        };
        samples.add(record.position, record.row.micros_per_op);
    }
    let rows = table::build(SEED_BENCHMARKS, &run.published, &measured);
    let table_text = table::render_markdown(&rows);
    print!("{table_text}");
    let dir = PathBuf::from("reports").join("reproduce").join(&run.run_id);
    std::fs::create_dir_all(&dir).map_err(|e| HarnessError::io("create", &dir, e))?;
    let bars: Vec<RatioBar> = rows
        .iter()
        .map(|r| RatioBar {
            position: r.position,
            benchmark: r.benchmark.clone(),
            published: r.published_ratio(),
            measured: r.measured_ratio(),
        })
        .collect();
    let charts = draw_ratios(&bars, &dir)?;
    let index = dir.join("index.md");
    let page = index_page(run, &facts.machine, &csv_path, &table_text);
    std::fs::write(&index, page).map_err(|e| HarnessError::io("write", &index, e))?;
    eprintln!("results:    {}", csv_path.display());
    eprintln!(
        "report:     {} (+ {} chart files)",
        index.display(),
        charts.len()
    );
    Ok(())
}

fn index_page(run: &ReproduceRun, machine: &Machine, csv_path: &Path, table_text: &str) -> String {
    let config = run.plan.settings.db_bench.config();
    let num = config.num;
    let scale_note = if num == SEED_NUM {
        String::new()
    } else {
        format!(
            "\n**Quick look:** `--num {num}` instead of the seed's 1,000,000; \
             the published figures are at full size and do not compare.\n"
        )
    };
    format!(
        "# strata reproduce {run_id}\n\n\
         The seed's db_bench setup: {num} entries, 16-byte keys, 100-byte values \
         (compression ratio {ratio}), Snappy off on both engines \
         (`{strata}` and `{leveldb}`), db_bench 1.23's list as the seed ran it. \
         LevelDB: {leveldb_what}. \
         {repeat} repetitions, interleaved (strata, LevelDB, strata, ...); \
         measured cells give the median and (min–max) micros/op.\n\n\
         Machine: {cores} × {cpu}; strata git {git}; started {start}.\n\
         {scale_note}\n\
         Published figures ({source}) were measured on their authors' machine: \
         compare the ratio columns, not absolute times. Ratios above 1 are \
         slower than LevelDB.\n\n\
         {table_text}\n\
         ![ratios against LevelDB](ratios.svg)\n\n\
         Raw rows: `{csv}`.\n",
        run_id = run.run_id,
        ratio = config.compression_ratio,
        strata = STRATA_SPEC,
        leveldb = run.leveldb.spec(),
        leveldb_what = run.leveldb.describe(),
        repeat = run.plan.repeat,
        cores = machine.cpu_cores,
        cpu = machine.cpu_model,
        git = machine.git_rev,
        start = run.start_time,
        source = run.published.source,
        csv = csv_path.display(),
    )
}
