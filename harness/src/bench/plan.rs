//! Raw flags → a validated run plan. Everything is checked here, before
//! anything touches the disk; code after this trusts the plan.

use super::args::{BenchArgs, RngArg};
use super::fs_run::{self, FsPart};
use super::ycsb_run::{self, YcsbPart};
use crate::engines;
use std::path::{Path, PathBuf};
use strata_api::{EngineSpec, SpecSchema};
use strata_workloads::db_bench::config::MAX_NUM;
use strata_workloads::db_bench::{parse_list, Benchmark, Config, RngKind};

/// Most repetitions a run may ask for.
const MAX_REPEAT: i64 = 1000;
/// Most engines one run may have, after `--matrix` expansion.
const MAX_ENGINES: usize = 256;

/// One engine of the matrix and where its database lives.
#[derive(Debug, Clone)]
pub struct EnginePlan {
    /// The spec, with the command line's engine flags applied.
    pub spec: EngineSpec,
    /// Its database directory.
    pub dir: PathBuf,
}

/// A validated `strata bench` run.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// The db_bench settings.
    pub config: Config,
    /// The db_bench benchmarks, in order (may be empty when YCSB or
    /// filesystem benchmarks are named).
    pub benchmarks: Vec<Benchmark>,
    /// The YCSB workloads named in `--benchmarks`, and their settings.
    pub ycsb: YcsbPart,
    /// The filesystem benchmarks named in `--benchmarks`, and their
    /// settings.
    pub fs: FsPart,
    /// The engines, in order.
    pub engines: Vec<EnginePlan>,
    /// Repetitions of the matrix.
    pub repeat: u32,
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

/// Why the flags do not make a run: one line, naming the flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError(pub String);

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad<T>(flag: &str, reason: impl std::fmt::Display) -> Result<T, PlanError> {
    Err(PlanError(format!("{flag}: {reason}")))
}

fn in_range(flag: &str, value: i64, min: i64, max: i64) -> Result<i64, PlanError> {
    if value < min || value > max {
        return bad(
            flag,
            format!("must be between {min} and {max}, got {value}"),
        );
    }
    Ok(value)
}

/// Validates `args` into a plan; `now` names the run.
///
/// # Errors
/// The first bad flag, as `--flag: why`, or the unknown benchmark with the
/// list of valid ones.
pub fn plan(args: &BenchArgs, now: chrono::DateTime<chrono::Utc>) -> Result<RunPlan, PlanError> {
    // The filesystem and YCSB names come out first; the rest is db_bench's.
    let (rest, fs) = fs_run::split(args).map_err(PlanError)?;
    let (rest, ycsb) = ycsb_run::split(args, &rest).map_err(PlanError)?;
    let benchmarks = parse_list(&rest).map_err(|e| PlanError(e.to_string()))?;
    if benchmarks.is_empty() && ycsb.workloads.is_empty() && fs.benchmarks.is_empty() {
        return bad("--benchmarks", "no benchmark given");
    }
    let config = config_of(args)?;
    let specs = engine_specs(args)?;
    let repeat = in_range("--repeat", args.repeat, 1, MAX_REPEAT)? as u32;
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
    Ok(RunPlan {
        config,
        benchmarks,
        ycsb,
        fs,
        engines,
        repeat,
        db_root,
        db_root_is_temp,
        out,
        plot: !args.no_plot,
        run_id,
        start_time: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

fn config_of(args: &BenchArgs) -> Result<Config, PlanError> {
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
        ..Config::default()
    };
    config.validate().map_err(|e| PlanError(e.to_string()))?;
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
fn parse_matrix(items: &[String]) -> Result<Vec<MatrixAxis>, PlanError> {
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
fn engine_flags(args: &BenchArgs) -> Result<Vec<EngineFlag>, PlanError> {
    let positive = |flag: &str, v: Option<i64>| -> Result<Option<String>, PlanError> {
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
) -> Result<EngineSpec, PlanError> {
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
fn schema_of(spec: &EngineSpec, flag: &str) -> Result<&'static SpecSchema, PlanError> {
    match engines::schema(spec.kind()) {
        Some(schema) => Ok(schema),
        None => bad(flag, format!("no engine of kind '{}'", spec.kind())),
    }
}

/// Parses every `--engine`, expands `--matrix` over each, and applies the
/// engine flags that were given (an explicit key in a spec or a matrix
/// wins over a flag). Engines that come out equal are an error.
fn engine_specs(args: &BenchArgs) -> Result<Vec<EngineSpec>, PlanError> {
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
) -> Result<Vec<EnginePlan>, PlanError> {
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

    fn plan_of(argv: &[&str]) -> Result<RunPlan, PlanError> {
        let cli = Cli::try_parse_from(std::iter::once("strata").chain(argv.iter().copied()))
            .expect("flags parse");
        plan(&cli.bench, chrono::Utc::now())
    }

    #[test]
    fn ycsb_and_fs_names_are_planned_apart() {
        let p = plan_of(&["--benchmarks", "fs_create,ycsbc,fs_read"]).expect("plan");
        assert!(p.benchmarks.is_empty());
        assert_eq!(p.ycsb.workloads.len(), 1);
        let fs: Vec<&str> = p.fs.benchmarks.iter().map(|b| b.name()).collect();
        assert_eq!(fs, ["fs_create", "fs_read"]);
        let p = plan_of(&["--benchmarks", "fillseq, fs ,readrandom"]).expect("plan");
        assert_eq!(p.benchmarks.len(), 2);
        assert!(p.ycsb.workloads.is_empty());
        assert_eq!(p.fs.benchmarks.len(), 9, "fs is the suite");
        let e = plan_of(&["--benchmarks", ","]).expect_err("empty");
        assert_eq!(e.0, "--benchmarks: no benchmark given");
    }

    #[test]
    fn defaults_are_db_benchs() {
        let p = plan_of(&[]).expect("defaults");
        assert_eq!(p.config.num, 1_000_000);
        assert_eq!(p.config.resolved_reads(), 1_000_000);
        assert_eq!(p.benchmarks.len(), 16);
        assert_eq!(p.engines.len(), 1);
        assert_eq!(p.engines[0].spec.to_string(), "lsm");
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
        assert_eq!(p.engines[0].spec.number("bloom_bits"), Some(10));
        assert_eq!(p.engines[1].spec.number("bloom_bits"), Some(5));
        assert_eq!(p.engines[1].spec.get("cache_size"), None);
        assert_eq!(p.engines[1].spec.number("write_buffer_size"), Some(65536));
        assert!(p.engines[1].dir.ends_with("1-lsm"));
    }

    #[test]
    fn bad_values_name_their_flag() {
        let e = plan_of(&["--num=0"]).expect_err("num");
        assert!(e.0.starts_with("--num: must be between 1 and"), "{e}");
        let e = plan_of(&["--threads", "-2"]).expect_err("threads");
        assert!(e.0.starts_with("--threads: "), "{e}");
        let e = plan_of(&["--compression_ratio=2"]).expect_err("ratio");
        assert!(e.0.starts_with("--compression_ratio: "), "{e}");
        let e = plan_of(&["--benchmarks=fillseq,nope"]).expect_err("bench");
        assert!(e.0.contains("'nope'") && e.0.contains("readrandom"), "{e}");
        let e = plan_of(&["--engine=lsm:write_buffer_size=10"]).expect_err("engine");
        assert!(e.0.starts_with("--engine: "), "{e}");
        let e = plan_of(&["--block_size=0"]).expect_err("block");
        assert!(e.0.starts_with("--block_size: "), "{e}");
        let e = plan_of(&["--repeat=0"]).expect_err("repeat");
        assert!(e.0.starts_with("--repeat: "), "{e}");
    }

    fn specs_of(p: &RunPlan) -> Vec<String> {
        p.engines.iter().map(|e| e.spec.to_string()).collect()
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
        let dirs: std::collections::BTreeSet<_> = p.engines.iter().map(|e| &e.dir).collect();
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
            assert!(e.0.starts_with("--matrix: "), "{argv:?}: {e}");
            assert!(e.0.contains(needle), "{argv:?}: {e}");
            assert!(!e.0.contains('\n'), "{argv:?}: one line: {e}");
        }
    }

    #[test]
    fn equal_engines_are_refused() {
        let e = plan_of(&["--engine=lsm", "--engine", "lsm"]).expect_err("twice");
        assert!(
            e.0.starts_with("--engine: engine lsm is given twice"),
            "{e}"
        );
        let e = plan_of(&[
            "--engine=lsm:bloom_bits=5",
            "--engine=lsm",
            "--bloom_bits=5",
        ])
        .expect_err("equal after flags");
        assert!(e.0.contains("lsm:bloom_bits=5 is given twice"), "{e}");
        let e = plan_of(&[
            "--engine=lsm:memtable=btree",
            "--engine=lsm",
            "--matrix",
            "bloom_bits=0",
            "memtable=btree",
        ])
        .expect_err("base sets a matrix key");
        assert!(e.0.starts_with("--matrix: "), "{e}");
    }

    #[test]
    fn matrix_size_is_limited() {
        let values: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        let axis = |key: &str| format!("{key}={}", values.join(","));
        let (a, b) = (axis("bloom_bits"), axis("block_restart_interval"));
        let e = plan_of(&["--matrix", &a, &b]).expect_err("400 engines");
        assert!(e.0.starts_with("--matrix: more than"), "{e}");
    }

    #[test]
    fn value_size_must_be_positive() {
        for v in ["--value_size=0", "--value_size=-3"] {
            let e = plan_of(&[v]).expect_err("value size");
            assert!(e.0.starts_with("--value_size: "), "{e}");
        }
    }
}
