//! Raw flags → a validated run: the [`Plan`] and where its results go.
//! Everything is checked here, before anything touches the disk; code
//! after this trusts the plan.

use super::args::{at_least, BenchArgs, RngArg};
use crate::engines;
use crate::error::HarnessError;
use crate::plan::{EnginePlan, Plan, Shard};
use std::path::{Path, PathBuf};
use strata_api::{EngineSpec, SpecSchema};
use strata_workloads::db_bench::config::MAX_NUM;
use strata_workloads::db_bench::{Config, RngKind};
use strata_workloads::external::PeerWorkload;
use strata_workloads::fs::{check_order, parse_vias, FsBenchmark, FsVia, FsWorkloadConfig};
use strata_workloads::registry::parse_list;
use strata_workloads::ycsb::YcsbConfig;
use strata_workloads::{BenchmarkId, Family, Settings};

/// Most repetitions a run may ask for.
const MAX_REPEAT: i64 = 1000;
/// Most engines one run may have, after `--matrix` expansion.
const MAX_ENGINES: usize = 256;
/// Most shards a plan may be split into.
const MAX_SHARDS: u32 = 100_000;
/// Largest `--fs_bigfile_mb`.
const MAX_BIGFILE_MB: u64 = 16 << 10;

/// A validated `strata bench` invocation.
#[derive(Debug, Clone)]
pub struct BenchRun {
    /// What runs, in which order.
    pub plan: Plan,
    /// Which of the plan's cells this process runs.
    pub shard: Shard,
    /// The directory under which databases live.
    pub db_root: PathBuf,
    /// True when `db_root` is ours (not given): removed at the end.
    pub db_root_is_temp: bool,
    /// The results CSV.
    pub out: PathBuf,
    /// Draw charts at the end.
    pub plot: bool,
    /// `YYYYmmdd-HHMMSS-<engines>e`.
    pub run_id: String,
    /// When the run started, RFC 3339 UTC.
    pub start_time: String,
}

fn bad<T>(flag: &str, reason: impl std::fmt::Display) -> Result<T, HarnessError> {
    Err(HarnessError::flag(flag, reason))
}

fn in_range(flag: &str, value: i64, min: i64, max: i64) -> Result<i64, HarnessError> {
    if value < min || value > max {
        return bad(
            flag,
            format!("must be between {min} and {max}, got {value}"),
        );
    }
    Ok(value)
}

/// Validates `args` into a run; `now` names it.
///
/// # Errors
/// The first bad flag ([`HarnessError::Flag`]), or the unknown benchmark
/// with the list of valid ones.
pub fn plan(
    args: &BenchArgs,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<BenchRun, HarnessError> {
    let list = parse_list(&args.benchmarks).or_else(|e| bad("--benchmarks", e))?;
    if list.is_empty() {
        return bad("--benchmarks", "no benchmark given");
    }
    let vias = parse_vias(&args.fs_via).map_err(flag_error)?;
    let list = with_fs_via(list, &vias);
    let settings = settings_of(args, &list)?;
    check_mount_possible(&list)?;
    let specs = engine_specs(args)?;
    let repeat = in_range("--repeat", args.repeat, 1, MAX_REPEAT)? as u32;
    let shard = match &args.shard {
        Some(text) => parse_shard(text)?,
        None => Shard::ALL,
    };
    let run_id = format!("{}-{}e", now.format("%Y%m%d-%H%M%S"), specs.len());
    let (db_root, db_root_is_temp) = match &args.db {
        Some(dir) => (dir.clone(), false),
        None => (
            std::env::temp_dir().join(format!("strata-dbbench-{}", std::process::id())),
            true,
        ),
    };
    let engines = engine_dirs(&specs, &db_root, args.use_existing_db)?;
    let out = match &args.out {
        Some(path) => path.clone(),
        None => PathBuf::from("results").join(format!("{run_id}.csv")),
    };
    if out.is_dir() {
        return bad("--out", format!("{} is a directory", out.display()));
    }
    check_peers(&engines, &list, &settings)?;
    let plan = Plan::new(settings, list, engines, repeat, args.interleave);
    Ok(BenchRun {
        plan,
        shard,
        db_root,
        db_root_is_temp,
        out,
        plot: !args.no_plot,
        run_id,
        start_time: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// A peer's own db_bench (`db_bench:…`) runs db_bench's benchmarks only,
/// and must be installed.
fn check_peers(
    engines: &[EnginePlan],
    list: &[BenchmarkId],
    settings: &Settings,
) -> Result<(), HarnessError> {
    for engine in engines.iter().filter(|e| engines::is_peer(&e.spec)) {
        if let Some(other) = list.iter().find(|b| b.family() != Family::DbBench) {
            return bad(
                "--engine",
                format!(
                    "{} runs db_bench's own benchmarks only; {other} is strata's",
                    engine.spec
                ),
            );
        }
        let (peer, options) = engines::peer_of(&engine.spec).or_else(|e| bad("--engine", e))?;
        // The peer's command line, checked now: a setting it cannot
        // express fails here, before anything runs.
        let suite = &settings.db_bench;
        PeerWorkload::new(
            peer,
            suite.config().clone(),
            &options,
            suite.benchmarks().to_vec(),
            engine.dir.clone(),
        )
        .or_else(|e| bad(&format!("--{}", e.flag.trim_start_matches("--")), e))?;
    }
    Ok(())
}

/// `I/N` with `0 <= I < N`.
fn parse_shard(text: &str) -> Result<Shard, HarnessError> {
    let parsed = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((index, count)) if (1..=MAX_SHARDS).contains(&count) && index < count => {
            Ok(Shard { index, count })
        }
        Some((index, count)) if count >= 1 && index >= count => bad(
            "--shard",
            format!(
                "shard {index} of {count} does not exist (shards are numbered 0 to {})",
                count - 1
            ),
        ),
        _ => bad(
            "--shard",
            format!("expected I/N with 0 <= I < N <= {MAX_SHARDS}, got '{text}'"),
        ),
    }
}

/// Every family's settings for the benchmarks of `list`.
fn settings_of(args: &BenchArgs, list: &[BenchmarkId]) -> Result<Settings, HarnessError> {
    let fs = fs_config_of(args)?;
    let settings = Settings::new(config_of(args)?, ycsb_config_of(args)?, fs, list)
        .map_err(|e| HarnessError::flag(e.flag, e.reason))?;
    check_order(&settings.fs_benchmarks, settings.fs.source.is_some())
        .or_else(|e| bad("--benchmarks", e))?;
    check_order(&settings.fs_mount_benchmarks, settings.fs.source.is_some())
        .or_else(|e| bad("--benchmarks", e))?;
    Ok(settings)
}

/// `list` with `--fs_via` applied: through the API the filesystem
/// benchmarks stay as they are; through the mount each becomes its
/// `@mount` twin; with both, the twins follow the last filesystem
/// benchmark of the list (each way on a store of its own, the API's
/// first, so the two never run at once).
fn with_fs_via(list: Vec<BenchmarkId>, vias: &[FsVia]) -> Vec<BenchmarkId> {
    let fs: Vec<FsBenchmark> = list
        .iter()
        .filter_map(|b| match b {
            BenchmarkId::Fs(b) => Some(*b),
            _ => None,
        })
        .collect();
    if !vias.contains(&FsVia::Mount) {
        return list;
    }
    if !vias.contains(&FsVia::Api) {
        return list
            .into_iter()
            .map(|b| match b {
                BenchmarkId::Fs(f) => BenchmarkId::FsMount(f),
                other => other,
            })
            .collect();
    }
    let Some(last) = list.iter().rposition(|b| matches!(b, BenchmarkId::Fs(_))) else {
        return list;
    };
    let mut out = list[..=last].to_vec();
    out.extend(fs.into_iter().map(BenchmarkId::FsMount));
    out.extend_from_slice(&list[last + 1..]);
    out
}

/// When the list runs benchmarks through a mount: checks, before anything
/// runs, that this process can mount (one line saying why not: exit 2).
fn check_mount_possible(list: &[BenchmarkId]) -> Result<(), HarnessError> {
    if !list.iter().any(|b| matches!(b, BenchmarkId::FsMount(_))) {
        return Ok(());
    }
    mount_check().or_else(|why| bad("--fs_via", format!("cannot mount here: {why}")))
}

#[cfg(feature = "fuse")]
fn mount_check() -> Result<(), String> {
    strata_blobfs_fuse::check_mount(&std::env::temp_dir())
}

#[cfg(not(feature = "fuse"))]
fn mount_check() -> Result<(), String> {
    Err(
        "this strata was built without the `fuse` feature (cargo build --release --features fuse)"
            .into(),
    )
}

/// The YCSB flags.
fn ycsb_config_of(args: &BenchArgs) -> Result<YcsbConfig, HarnessError> {
    let config = YcsbConfig {
        records: at_least("--ycsb_records", args.ycsb_records, 1)?,
        operations: at_least("--ycsb_ops", args.ycsb_ops, 0)?,
        zipf_constant: args.ycsb_zipf,
        seed: args.seed,
        histogram: args.histogram,
    };
    config.validate().map_err(flag_error)?;
    Ok(config)
}

/// The filesystem flags (`scratch_dir` is set per database by the runner).
fn fs_config_of(args: &BenchArgs) -> Result<FsWorkloadConfig, HarnessError> {
    let files = at_least("--fs_files", args.fs_files, 1)?;
    let ops = if args.fs_ops < 0 {
        files
    } else {
        at_least("--fs_ops", args.fs_ops, 0)?
    };
    let bigfile_mb = at_least("--fs_bigfile_mb", args.fs_bigfile_mb, 1)?;
    if bigfile_mb > MAX_BIGFILE_MB {
        // fs_bigfile writes its file from one buffer.
        return bad(
            "--fs_bigfile_mb",
            format!("at most {MAX_BIGFILE_MB} (the file is held in memory), got {bigfile_mb}"),
        );
    }
    let config = FsWorkloadConfig {
        files,
        ops,
        bigfile_bytes: bigfile_mb << 20,
        bigfile_edits: at_least("--fs_bigfile_edits", args.fs_bigfile_edits, 1)?,
        source: args.fs_source.clone(),
        scratch_dir: PathBuf::new(),
        seed: args.seed,
        histogram: args.histogram,
        mount_max_inodes: at_least("--fs_max_inodes", args.fs_max_inodes, 0)?,
    };
    config.validate().map_err(flag_error)?;
    Ok(config)
}

/// A workload's own `--flag: why` message as a flag error.
fn flag_error(message: impl std::fmt::Display) -> HarnessError {
    let message = message.to_string();
    match message.split_once(": ") {
        Some((flag, reason)) if flag.starts_with("--") => HarnessError::flag(flag, reason),
        _ => HarnessError::flag("--benchmarks", message),
    }
}

fn config_of(args: &BenchArgs) -> Result<Config, HarnessError> {
    let max = i64::from(MAX_NUM);
    let num = in_range("--num", args.num, 1, max)? as u32;
    let reads = if args.reads < 0 {
        None
    } else {
        Some(in_range("--reads", args.reads, 0, max)? as u32)
    };
    let threads = in_range("--threads", args.threads, 1, 1024)? as u32;
    let value_size = in_range("--value_size", args.value_size, 1, 1_048_576)? as usize;
    let config = Config {
        num,
        reads,
        threads,
        value_size,
        compression_ratio: args.compression_ratio,
        histogram: args.histogram,
        use_existing_db: args.use_existing_db,
        seed: args.seed,
        rng: match args.rng {
            RngArg::Leveldb => RngKind::LevelDb,
            RngArg::Xoshiro => RngKind::Xoshiro,
        },
        progress: true,
        stats_interval_seconds: args.stats_interval_seconds,
        ..Config::default()
    };
    config
        .validate()
        .map_err(|e| HarnessError::flag(e.flag, e.reason))?;
    Ok(config)
}

/// One `--matrix` axis: a spec key and the values it takes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MatrixAxis {
    key: String,
    values: Vec<String>,
}

/// Parses `--matrix` items `KEY=V1,V2,...`. Only the syntax is checked
/// here; keys and values are checked against each engine's spec schema
/// when applied.
fn parse_matrix(items: &[String]) -> Result<Vec<MatrixAxis>, HarnessError> {
    let mut axes: Vec<MatrixAxis> = Vec::with_capacity(items.len());
    for item in items {
        let Some((key, values)) = item.split_once('=') else {
            return bad("--matrix", format!("'{item}' is not KEY=V1,V2,..."));
        };
        let key = key.trim();
        if key.is_empty() || key.contains([':', ',', ' ']) {
            return bad("--matrix", format!("'{item}' has no valid KEY before '='"));
        }
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
        if values.iter().any(String::is_empty) {
            return bad("--matrix", format!("'{item}' has an empty value"));
        }
        if let Some(v) = values
            .iter()
            .enumerate()
            .find_map(|(i, v)| values[..i].contains(v).then_some(v))
        {
            return bad("--matrix", format!("'{item}' lists '{v}' twice"));
        }
        if axes.iter().any(|a| a.key == key) {
            return bad("--matrix", format!("key '{key}' is given twice"));
        }
        axes.push(MatrixAxis {
            key: key.to_string(),
            values,
        });
    }
    Ok(axes)
}

/// The cartesian product of `axes` as (key, value) lists, the first axis
/// varying slowest; one empty combination when there are no axes.
fn combinations(axes: &[MatrixAxis]) -> Vec<Vec<(&str, &str)>> {
    let mut combos: Vec<Vec<(&str, &str)>> = vec![Vec::new()];
    for axis in axes {
        combos = combos
            .iter()
            .flat_map(|prefix| {
                axis.values.iter().map(move |value| {
                    let mut combo = prefix.clone();
                    combo.push((axis.key.as_str(), value.as_str()));
                    combo
                })
            })
            .collect();
    }
    combos
}

/// An engine flag (`--bloom_bits` …) that was given: its spec key and value.
struct EngineFlag {
    flag: &'static str,
    key: &'static str,
    value: String,
}

/// The engine flags that were given, validated.
fn engine_flags(args: &BenchArgs) -> Result<Vec<EngineFlag>, HarnessError> {
    let positive = |flag: &str, v: Option<i64>| -> Result<Option<String>, HarnessError> {
        match v {
            None => Ok(None),
            Some(n) if n > 0 => Ok(Some(n.to_string())),
            Some(n) => bad(flag, format!("must be positive, got {n}")),
        }
    };
    // db_bench: negative bloom_bits / cache_size mean "the default".
    let non_negative = |v: Option<i64>| v.filter(|n| *n >= 0).map(|n| n.to_string());
    let given: Vec<(&'static str, &'static str, Option<String>)> = vec![
        (
            "--write_buffer_size",
            "write_buffer_size",
            positive("--write_buffer_size", args.write_buffer_size)?,
        ),
        (
            "--max_file_size",
            "max_file_size",
            positive("--max_file_size", args.max_file_size)?,
        ),
        (
            "--block_size",
            "block_size",
            positive("--block_size", args.block_size)?,
        ),
        (
            "--open_files",
            "open_files",
            positive("--open_files", args.open_files)?,
        ),
        ("--cache_size", "cache_size", non_negative(args.cache_size)),
        ("--bloom_bits", "bloom_bits", non_negative(args.bloom_bits)),
    ];
    Ok(given
        .into_iter()
        .filter_map(|(flag, key, value)| value.map(|value| EngineFlag { flag, key, value }))
        .collect())
}

/// `spec` with the engine flags applied under its explicit keys, checked
/// by the engine's own option validation; errors are charged to `flag`.
fn finish_spec(
    spec: EngineSpec,
    flags: &[EngineFlag],
    flag: &str,
) -> Result<EngineSpec, HarnessError> {
    let mut spec = spec;
    let schema = schema_of(&spec, flag)?;
    for f in flags {
        spec = spec
            .with_default(f.key, &f.value, schema)
            .or_else(|e| bad(f.flag, e))?;
    }
    // The engine's own option checks, without opening anything.
    engines::check_spec(&spec).or_else(|e| bad(flag, format!("{spec}: {e}")))?;
    Ok(spec)
}

/// The schema of `spec`'s kind (known: the spec was parsed against
/// [`engines::KINDS`]); errors are charged to `flag`.
fn schema_of(spec: &EngineSpec, flag: &str) -> Result<&'static SpecSchema, HarnessError> {
    match engines::schema(spec.kind()) {
        Some(schema) => Ok(schema),
        None => bad(flag, format!("no engine of kind '{}'", spec.kind())),
    }
}

/// Parses every `--engine`, expands `--matrix` over each, and applies the
/// engine flags that were given (an explicit key in a spec or a matrix
/// wins over a flag). Engines that come out equal are an error.
fn engine_specs(args: &BenchArgs) -> Result<Vec<EngineSpec>, HarnessError> {
    let texts: Vec<String> = if args.engine.is_empty() {
        vec!["lsm".to_string()]
    } else {
        args.engine.clone()
    };
    let axes = parse_matrix(&args.matrix)?;
    let engine_count = axes
        .iter()
        .try_fold(texts.len(), |n, a| n.checked_mul(a.values.len()))
        .filter(|n| *n <= MAX_ENGINES);
    if engine_count.is_none() {
        let flag = if axes.is_empty() {
            "--engine"
        } else {
            "--matrix"
        };
        return bad(flag, format!("more than {MAX_ENGINES} engines"));
    }
    let combos = combinations(&axes);
    let flags = engine_flags(args)?;
    let mut specs: Vec<EngineSpec> = Vec::with_capacity(texts.len() * combos.len());
    for text in &texts {
        let base = engines::parse_spec(text).or_else(|e| bad("--engine", e))?;
        let schema = schema_of(&base, "--engine")?;
        // Checked alone first, so that a bad --engine is not blamed on --matrix.
        finish_spec(base.clone(), &flags, "--engine")?;
        for combo in &combos {
            let mut spec = base.clone();
            for (key, value) in combo {
                if base.get(key).is_some() {
                    return bad(
                        "--matrix",
                        format!("key '{key}' is also set by --engine {base}"),
                    );
                }
                spec = spec
                    .with_checked(key, value, schema)
                    .or_else(|e| bad("--matrix", e))?;
            }
            let spec = finish_spec(spec, &flags, "--matrix")?;
            if specs.contains(&spec) {
                let flag = if axes.is_empty() {
                    "--engine"
                } else {
                    "--matrix"
                };
                return bad(
                    flag,
                    format!("engine {spec} is given twice; give each engine once"),
                );
            }
            specs.push(spec);
        }
    }
    Ok(specs)
}

/// One engine: `--db` is its database (as in db_bench). Several: each
/// gets `<db>/<n>-<kind>`. A directory that exists, is not empty and has
/// no `CURRENT` file is refused: strata never destroys what is not a
/// database.
fn engine_dirs(
    specs: &[EngineSpec],
    db_root: &Path,
    use_existing_db: bool,
) -> Result<Vec<EnginePlan>, HarnessError> {
    let mut engines = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let dir = if specs.len() == 1 {
            db_root.to_path_buf()
        } else {
            db_root.join(format!("{i}-{}", spec.kind()))
        };
        let exists = dir.exists();
        if exists && !dir.is_dir() {
            return bad("--db", format!("{} is not a directory", dir.display()));
        }
        let is_database = dir.join("CURRENT").exists();
        if use_existing_db && !is_database {
            return bad(
                "--use_existing_db",
                format!("no database at {}", dir.display()),
            );
        }
        let empty = !exists
            || std::fs::read_dir(&dir)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
        if !empty && !is_database {
            return bad(
                "--db",
                format!(
                    "{} exists and is not a database (no CURRENT file); refusing to destroy it",
                    dir.display()
                ),
            );
        }
        engines.push(EnginePlan {
            spec: spec.clone(),
            dir,
        });
    }
    Ok(engines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    fn plan_of(argv: &[&str]) -> Result<BenchRun, HarnessError> {
        let cli = Cli::try_parse_from(std::iter::once("strata").chain(argv.iter().copied()))
            .expect("flags parse");
        plan(&cli.bench, chrono::Utc::now())
    }

    #[test]
    fn the_list_keeps_its_order_across_families() {
        let p = plan_of(&["--benchmarks", "fs_create,ycsbc,fs_read"]).expect("plan");
        let names: Vec<&str> = p.plan.list.iter().map(|b| b.name()).collect();
        assert_eq!(names, ["fs_create", "ycsbc", "fs_read"]);
        assert!(p.plan.settings.db_bench.benchmarks().is_empty());
        assert_eq!(p.plan.settings.fs_benchmarks.len(), 2);
        let p = plan_of(&["--benchmarks", "fillseq, fs ,readrandom"]).expect("plan");
        assert_eq!(p.plan.settings.db_bench.benchmarks().len(), 2);
        assert_eq!(p.plan.settings.fs_benchmarks.len(), 9, "fs is the suite");
        assert_eq!(p.plan.list.len(), 11);
        let e = plan_of(&["--benchmarks", ","]).expect_err("empty");
        assert_eq!(e.to_string(), "--benchmarks: no benchmark given");
    }

    #[test]
    fn fs_via_places_the_mount_twins() {
        let names = |argv: &[&str]| -> Vec<String> {
            let list = parse_list(argv[0]).expect("list");
            let vias = parse_vias(argv[1]).expect("vias");
            with_fs_via(list, &vias)
                .iter()
                .map(|b| b.name().to_string())
                .collect()
        };
        assert_eq!(
            names(&["fillseq,fs_create,fs_stat,readrandom", "api"]),
            ["fillseq", "fs_create", "fs_stat", "readrandom"]
        );
        assert_eq!(
            names(&["fillseq,fs_create,fs_stat,readrandom", "mount"]),
            ["fillseq", "fs_create@mount", "fs_stat@mount", "readrandom"]
        );
        assert_eq!(
            names(&["fillseq,fs_create,fs_stat,readrandom", "mount,api"]),
            [
                "fillseq",
                "fs_create",
                "fs_stat",
                "fs_create@mount",
                "fs_stat@mount",
                "readrandom"
            ]
        );
        assert_eq!(names(&["fillseq", "api,mount"]), ["fillseq"]);
        let e = plan_of(&["--fs_via", "fuse"]).expect_err("unknown");
        assert!(e.to_string().starts_with("--fs_via: unknown 'fuse'"), "{e}");
        assert_eq!(e.exit_status(), crate::error::EXIT_USAGE);
        // The default list has no filesystem benchmark: nothing to mount.
        plan_of(&["--fs_via", "mount"]).expect("no fs benchmark");
    }

    #[test]
    fn fs_via_mount_is_checked_before_anything_runs() {
        let r = plan_of(&["--benchmarks", "fs_create", "--fs_via", "mount"]);
        let refused = "--fs_via: cannot mount here: ";
        if cfg!(feature = "fuse") {
            // This machine may or may not mount; either way it is said now.
            match r {
                Ok(p) => assert_eq!(p.plan.list[0].name(), "fs_create@mount"),
                Err(e) => assert!(e.to_string().starts_with(refused), "{e}"),
            }
        } else {
            let e = r.expect_err("no fuse feature");
            assert!(e.to_string().starts_with(refused), "{e}");
            assert!(e.to_string().contains("--features fuse"), "{e}");
            assert_eq!(e.exit_status(), crate::error::EXIT_USAGE);
        }
    }

    #[test]
    fn shards_are_i_of_n() {
        let p = plan_of(&["--shard", "2/3"]).expect("shard");
        assert_eq!(p.shard, Shard { index: 2, count: 3 });
        assert_eq!(plan_of(&[]).expect("default").shard, Shard::ALL);
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2", "1/2/3"] {
            let e = plan_of(&["--shard", bad]).expect_err(bad);
            assert!(e.to_string().starts_with("--shard: "), "{bad}: {e}");
            assert_eq!(e.exit_status(), crate::error::EXIT_USAGE);
        }
    }

    #[test]
    fn defaults_are_db_benchs() {
        let p = plan_of(&[]).expect("defaults");
        assert_eq!(p.plan.settings.db_bench.config().num, 1_000_000);
        assert_eq!(
            p.plan.settings.db_bench.config().resolved_reads(),
            1_000_000
        );
        assert_eq!(p.plan.list.len(), 16);
        assert_eq!(p.plan.engines.len(), 1);
        assert_eq!(p.plan.engines[0].spec.to_string(), "lsm");
        assert!(p.db_root_is_temp);
        assert!(p.run_id.ends_with("-1e"));
        assert!(p.out.starts_with("results"));
    }

    #[test]
    fn engine_flags_apply_under_explicit_spec_keys() {
        let p = plan_of(&[
            "--engine",
            "lsm:bloom_bits=10",
            "--engine=lsm:compression=none",
            "--bloom_bits=5",
            "--cache_size=-1",
            "--write_buffer_size=65536",
        ])
        .expect("plan");
        assert_eq!(p.plan.engines[0].spec.number("bloom_bits"), Some(10));
        assert_eq!(p.plan.engines[1].spec.number("bloom_bits"), Some(5));
        assert_eq!(p.plan.engines[1].spec.get("cache_size"), None);
        assert_eq!(
            p.plan.engines[1].spec.number("write_buffer_size"),
            Some(65536)
        );
        assert!(p.plan.engines[1].dir.ends_with("1-lsm"));
    }

    #[test]
    fn bad_values_name_their_flag() {
        let e = plan_of(&["--num=0"]).expect_err("num");
        assert!(
            e.to_string().starts_with("--num: must be between 1 and"),
            "{e}"
        );
        let e = plan_of(&["--threads", "-2"]).expect_err("threads");
        assert!(e.to_string().starts_with("--threads: "), "{e}");
        let e = plan_of(&["--compression_ratio=2"]).expect_err("ratio");
        assert!(e.to_string().starts_with("--compression_ratio: "), "{e}");
        let e = plan_of(&["--benchmarks=fillseq,nope"]).expect_err("bench");
        assert!(
            e.to_string().contains("'nope'") && e.to_string().contains("readrandom"),
            "{e}"
        );
        let e = plan_of(&["--engine=lsm:write_buffer_size=10"]).expect_err("engine");
        assert!(e.to_string().starts_with("--engine: "), "{e}");
        let e = plan_of(&["--block_size=0"]).expect_err("block");
        assert!(e.to_string().starts_with("--block_size: "), "{e}");
        let e = plan_of(&["--repeat=0"]).expect_err("repeat");
        assert!(e.to_string().starts_with("--repeat: "), "{e}");
    }

    fn specs_of(p: &BenchRun) -> Vec<String> {
        p.plan.engines.iter().map(|e| e.spec.to_string()).collect()
    }

    #[test]
    fn matrix_expands_the_product_over_every_engine() {
        let p =
            plan_of(&["--matrix", "memtable=skiplist,btree", "bloom_bits=0,10"]).expect("matrix");
        assert_eq!(
            specs_of(&p),
            [
                "lsm:bloom_bits=0,memtable=skiplist",
                "lsm:bloom_bits=10,memtable=skiplist",
                "lsm:bloom_bits=0,memtable=btree",
                "lsm:bloom_bits=10,memtable=btree",
            ]
        );
        assert!(p.run_id.ends_with("-4e"));
        let dirs: std::collections::BTreeSet<_> = p.plan.engines.iter().map(|e| &e.dir).collect();
        assert_eq!(dirs.len(), 4, "each engine has its own directory");
        let p = plan_of(&[
            "--engine=lsm",
            "--engine=lsm:compression=none",
            "--matrix=memtable=vector,btree",
            "--bloom_bits=5",
        ])
        .expect("two bases");
        assert_eq!(
            specs_of(&p),
            [
                "lsm:bloom_bits=5,memtable=vector",
                "lsm:bloom_bits=5,memtable=btree",
                "lsm:bloom_bits=5,compression=none,memtable=vector",
                "lsm:bloom_bits=5,compression=none,memtable=btree",
            ]
        );
        // A matrix key wins over the engine flag of the same key.
        let p = plan_of(&["--bloom_bits=5", "--matrix", "bloom_bits=0,10"]).expect("flag");
        assert_eq!(specs_of(&p), ["lsm:bloom_bits=0", "lsm:bloom_bits=10"]);
    }

    #[test]
    fn bad_matrices_name_the_flag() {
        let cases: &[(&[&str], &str)] = &[
            (&["--matrix", "memtable"], "is not KEY=V1,V2"),
            (&["--matrix", "=skiplist"], "no valid KEY"),
            (&["--matrix", "memtable=skiplist,"], "empty value"),
            (&["--matrix", "memtable=btree,btree"], "lists 'btree' twice"),
            (
                &["--matrix", "memtable=btree", "memtable=vector"],
                "key 'memtable' is given twice",
            ),
            (&["--matrix", "memtabel=btree"], "allowed: memtable"),
            (&["--matrix", "memtable=splay"], "allowed: skiplist, btree"),
            (
                &["--engine=lsm:memtable=btree", "--matrix", "memtable=vector"],
                "also set by --engine lsm:memtable=btree",
            ),
            (
                &["--engine=leveldb", "--matrix", "memtable=btree"],
                "unknown key",
            ),
            (
                &["--matrix", "write_buffer_size=10,64K"],
                "write_buffer_size",
            ),
            (
                &["--engine=lsm:bloom_bits=10", "--matrix", "bloom_bits=0,10"],
                "also set by --engine",
            ),
        ];
        for (argv, needle) in cases {
            let e = plan_of(argv).expect_err("bad matrix");
            assert!(e.to_string().starts_with("--matrix: "), "{argv:?}: {e}");
            assert!(e.to_string().contains(needle), "{argv:?}: {e}");
            assert!(!e.to_string().contains('\n'), "{argv:?}: one line: {e}");
        }
    }

    #[test]
    fn equal_engines_are_refused() {
        let e = plan_of(&["--engine=lsm", "--engine", "lsm"]).expect_err("twice");
        assert!(
            e.to_string()
                .starts_with("--engine: engine lsm is given twice"),
            "{e}"
        );
        let e = plan_of(&[
            "--engine=lsm:bloom_bits=5",
            "--engine=lsm",
            "--bloom_bits=5",
        ])
        .expect_err("equal after flags");
        assert!(
            e.to_string().contains("lsm:bloom_bits=5 is given twice"),
            "{e}"
        );
        let e = plan_of(&[
            "--engine=lsm:memtable=btree",
            "--engine=lsm",
            "--matrix",
            "bloom_bits=0",
            "memtable=btree",
        ])
        .expect_err("base sets a matrix key");
        assert!(e.to_string().starts_with("--matrix: "), "{e}");
    }

    #[test]
    fn matrix_size_is_limited() {
        let values: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        let axis = |key: &str| format!("{key}={}", values.join(","));
        let (a, b) = (axis("bloom_bits"), axis("block_restart_interval"));
        let e = plan_of(&["--matrix", &a, &b]).expect_err("400 engines");
        assert!(e.to_string().starts_with("--matrix: more than"), "{e}");
    }

    #[test]
    fn value_size_must_be_positive() {
        for v in ["--value_size=0", "--value_size=-3"] {
            let e = plan_of(&[v]).expect_err("value size");
            assert!(e.to_string().starts_with("--value_size: "), "{e}");
        }
    }
}
