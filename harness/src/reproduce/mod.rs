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

mod chart;
mod measure;
mod published;
mod stats;
mod table;

use crate::machine::Machine;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use strata_workloads::db_bench::config::MAX_NUM;
use strata_workloads::db_bench::{parse_list, Config, Suite};

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
const SEED_NUM: u32 = 1_000_000;
/// Most repetitions a run may ask for.
const MAX_REPEAT: i64 = 100;

/// `strata reproduce`: regenerate the seed's table on this machine.
#[derive(clap::Args, Debug, Clone)]
pub struct ReproduceArgs {
    /// Entries (db_bench's --num); lower it for a quick look. crc32c's
    /// 500 MiB shrink in proportion.
    #[arg(long, default_value_t = i64::from(SEED_NUM), allow_negative_numbers = true)]
    pub num: i64,
    /// Repetitions per engine, interleaved (rep 1 strata, rep 1 LevelDB,
    /// rep 2 strata, ...); at least 1.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true)]
    pub repeat: i64,
    /// Folder with the published CSVs [default: the copies of
    /// results/published/ built into strata].
    #[arg(long, value_name = "DIR")]
    pub published: Option<PathBuf>,
    /// Database folder (gets 0-lsm/ and 1-leveldb/) [default: a new
    /// /tmp/strata-reproduce-<pid>, removed at the end].
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
}

/// Runs `strata reproduce`: exit 0 on success, 2 for bad flags or when
/// LevelDB is not compiled in, 1 when the run fails.
pub fn run(args: ReproduceArgs) -> ExitCode {
    if !cfg!(feature = "leveldb") {
        eprintln!(
            "strata reproduce: LevelDB 1.23 is not compiled in: build with `--features leveldb` (needs libleveldb-dev)"
        );
        return ExitCode::from(2);
    }
    let plan = match Plan::from_args(&args) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("strata reproduce: {e}");
            return ExitCode::from(2);
        }
    };
    match execute(&plan) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("strata reproduce: {e}");
            ExitCode::from(1)
        }
    }
}

/// Validated flags.
struct Plan {
    config: Config,
    repeat: u32,
    published: published::PublishedPair,
    db_root: PathBuf,
    db_root_is_temp: bool,
    run_id: String,
    start_time: String,
}

impl Plan {
    fn from_args(args: &ReproduceArgs) -> Result<Plan, String> {
        if args.num < 1 || args.num > i64::from(MAX_NUM) {
            return Err(format!(
                "--num: must be between 1 and {MAX_NUM}, got {}",
                args.num
            ));
        }
        if args.repeat < 1 || args.repeat > MAX_REPEAT {
            return Err(format!(
                "--repeat: must be between 1 and {MAX_REPEAT}, got {}",
                args.repeat
            ));
        }
        let num = u32::try_from(args.num).map_err(|e| format!("--num: {e}"))?;
        let defaults = Config::default();
        // 500 MiB at the seed's size; never below one 4 KiB block.
        let crc32c_total_bytes =
            (defaults.crc32c_total_bytes * u64::from(num) / u64::from(SEED_NUM)).max(4096);
        let config = Config {
            num,
            crc32c_total_bytes,
            progress: true,
            ..defaults
        };
        config.validate().map_err(|e| e.to_string())?;
        let published =
            published::load(args.published.as_deref()).map_err(|e| format!("--published: {e}"))?;
        let now = chrono::Utc::now();
        let (db_root, db_root_is_temp) = match &args.db {
            Some(dir) => (dir.clone(), false),
            None => (
                std::env::temp_dir().join(format!("strata-reproduce-{}", std::process::id())),
                true,
            ),
        };
        Ok(Plan {
            config,
            repeat: u32::try_from(args.repeat).map_err(|e| format!("--repeat: {e}"))?,
            published,
            db_root,
            db_root_is_temp,
            run_id: now.format("%Y%m%d-%H%M%S").to_string(),
            start_time: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }
}

fn execute(plan: &Plan) -> Result<(), String> {
    let machine = Machine::probe();
    let benchmarks = parse_list(&SEED_BENCHMARKS.join(",")).map_err(|e| e.to_string())?;
    let suite = Suite::new(plan.config.clone(), benchmarks).map_err(|e| e.to_string())?;
    let csv_path = PathBuf::from("results").join(format!("reproduce-{}.csv", plan.run_id));
    std::fs::create_dir_all("results").map_err(|e| format!("cannot create results/: {e}"))?;
    let mut csv = csv::Writer::from_path(&csv_path)
        .map_err(|e| format!("cannot create {}: {e}", csv_path.display()))?;
    eprintln!("Run:        {} ({} repetitions)", plan.run_id, plan.repeat);
    let facts = measure::RunFacts {
        run_id: &plan.run_id,
        start_time: &plan.start_time,
        machine: &machine,
    };
    let stderr = std::io::stderr();
    let outcome = measure::run_interleaved(
        &suite,
        plan.repeat,
        &plan.db_root,
        &facts,
        &mut csv,
        &mut stderr.lock(),
    );
    if plan.db_root_is_temp {
        // Ours alone (a fresh per-process path): remove it, failed run or not.
        let _ = std::fs::remove_dir_all(&plan.db_root);
    }
    let measured = outcome?;
    let rows = table::build(SEED_BENCHMARKS, &plan.published, &measured);
    let table_text = table::render_markdown(&rows);
    print!("{table_text}");
    let dir = PathBuf::from("reports")
        .join("reproduce")
        .join(&plan.run_id);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let charts = chart::draw_ratios(&rows, &dir)?;
    let index = dir.join("index.md");
    let page = index_page(plan, &machine, &csv_path, &table_text);
    std::fs::write(&index, page).map_err(|e| format!("cannot write {}: {e}", index.display()))?;
    eprintln!("results:    {}", csv_path.display());
    eprintln!(
        "report:     {} (+ {} chart files)",
        index.display(),
        charts.len()
    );
    Ok(())
}

fn index_page(plan: &Plan, machine: &Machine, csv_path: &Path, table_text: &str) -> String {
    let num = plan.config.num;
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
        run_id = plan.run_id,
        ratio = plan.config.compression_ratio,
        strata = measure::STRATA_SPEC,
        leveldb = measure::LEVELDB_SPEC,
        repeat = plan.repeat,
        cores = machine.cpu_cores,
        cpu = machine.cpu_model,
        git = machine.git_rev,
        start = plan.start_time,
        source = plan.published.source,
        csv = csv_path.display(),
    )
}
