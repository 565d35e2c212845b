//! The validated plan of a stress run: where the database lives, which
//! engine spec each round's child writes with and which one the parent
//! reopens with, and when each child is killed. Everything is fixed by
//! the seed before the first round.

use super::rng::Rng;
use crate::cli::stress::{InjectFault, StressArgs};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use strata_api::EngineSpec;
use strata_lsm::compaction::CompactionKind;
use strata_lsm::memtable::MemTableKind;

/// Block compressions every variant is tried with.
const COMPRESSIONS: &[&str] = &["none", "snappy"];
/// Write buffer sizes a variant round picks from: tiny, so that flushes
/// (and so compactions) run all the time and kills land in them.
const WRITE_BUFFERS: &[&str] = &["16K", "64K", "256K"];
/// Table file sizes a variant round picks from.
const FILE_SIZES: &[&str] = &["16K", "64K"];
/// Level-1 size targets a variant round picks from (64K is the minimum).
const LEVEL_BASES: &[&str] = &["64K", "256K"];

/// Why the parent's flags do not make a run (exit 2); each names its flag.
#[derive(Debug)]
pub enum PlanError {
    /// A flag only the child processes take (`--child_log`).
    ChildOnly {
        /// The flag.
        flag: &'static str,
    },
    /// `--kill_min_ms` is above `--kill_max_ms`.
    KillOrder {
        /// `--kill_min_ms`.
        min_ms: u64,
        /// `--kill_max_ms`.
        max_ms: u64,
    },
    /// An `--engine` that is not a valid spec.
    BadSpec {
        /// The spec as given.
        spec: String,
        /// Why it does not parse.
        source: strata_api::Error,
    },
    /// A default variant (with this round's sizes) that does not make a
    /// spec.
    Variant {
        /// The variant, as far as it was built.
        spec: String,
        /// Why it does not parse.
        source: strata_api::Error,
    },
    /// `--db` cannot be listed.
    DbUnreadable {
        /// The directory.
        db: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// `--db` holds files: stress must have seen every write of its
    /// database.
    DbNotEmpty {
        /// The directory.
        db: PathBuf,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::ChildOnly { flag } => {
                write!(f, "{flag} is for the child processes, with --child_round")
            }
            PlanError::KillOrder { min_ms, max_ms } => {
                write!(f, "--kill_min_ms {min_ms} is above --kill_max_ms {max_ms}")
            }
            PlanError::BadSpec { spec, source } => {
                write!(f, "bad engine spec '{spec}': {source}")
            }
            PlanError::Variant { spec, source } => write!(f, "variant {spec}: {source}"),
            PlanError::DbUnreadable { db, source } => write!(f, "--db {}: {source}", db.display()),
            PlanError::DbNotEmpty { db } => write!(
                f,
                "--db {} is not empty: stress checks a database whose every write it has seen",
                db.display()
            ),
        }
    }
}

impl std::error::Error for PlanError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PlanError::BadSpec { source, .. } | PlanError::Variant { source, .. } => Some(source),
            PlanError::DbUnreadable { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// One round: the child's spec, the parent's reopen spec, the kill delay.
#[derive(Debug, Clone)]
pub struct RoundPlan {
    /// The spec the child opens and writes with.
    pub child_spec: EngineSpec,
    /// The spec the parent reopens and verifies with: the next round's,
    /// so that every database is read by another variant than its writer.
    pub verify_spec: EngineSpec,
    /// Time from the child's start to its SIGKILL.
    pub kill_after: Duration,
}

/// Where the run keeps its files.
#[derive(Debug, Clone)]
pub struct Place {
    /// The database directory.
    pub db: PathBuf,
    /// The children's side file of acknowledged writes.
    pub side_log: PathBuf,
    /// A temporary directory to remove at the end of a passing run (when
    /// `--db` was not given).
    pub temp_root: Option<PathBuf>,
}

/// A validated stress run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Files of the run.
    pub place: Place,
    /// The seed everything derives from.
    pub seed: u64,
    /// Size of the key space.
    pub keys: u64,
    /// Bytes of every value.
    pub value_size: usize,
    /// Percent of writes issued with sync.
    pub sync_percent: u64,
    /// Progress line every this many rounds (0: never).
    pub progress_every: u64,
    /// Bound on each of the parent's open, read and close.
    pub open_timeout: Duration,
    /// Distinct specs the rounds cycle through.
    pub variants: usize,
    /// One entry per round.
    pub rounds: Vec<RoundPlan>,
    /// A fault the checker must catch (tests only).
    pub inject: Option<InjectFault>,
}

impl Plan {
    /// Validates the parent's flags and fixes the schedule.
    ///
    /// # Errors
    /// A [`PlanError`] naming the bad flag (exit 2): kill delays out of
    /// order, a bad engine spec, child-only flags, a `--db` that is not new.
    pub fn from_args(args: &StressArgs) -> Result<Plan, PlanError> {
        if args.child_log.is_some() {
            return Err(PlanError::ChildOnly {
                flag: "--child_log",
            });
        }
        if args.kill_min_ms > args.kill_max_ms {
            return Err(PlanError::KillOrder {
                min_ms: args.kill_min_ms,
                max_ms: args.kill_max_ms,
            });
        }
        let given = args
            .engine
            .iter()
            .map(|text| {
                crate::engines::parse_spec(text).map_err(|source| PlanError::BadSpec {
                    spec: text.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut rng = Rng::derived(args.seed, 0);
        let child_specs = schedule_specs(&given, args.rounds, &mut rng)?;
        let variants = if given.is_empty() {
            default_variants().len()
        } else {
            given.len()
        };
        let rounds = (0..child_specs.len())
            .map(|i| RoundPlan {
                child_spec: child_specs[i].clone(),
                verify_spec: child_specs[(i + 1) % child_specs.len()].clone(),
                kill_after: Duration::from_millis(rng.between(args.kill_min_ms, args.kill_max_ms)),
            })
            .collect();
        Ok(Plan {
            place: place(args.db.as_deref())?,
            seed: args.seed,
            keys: args.keys,
            value_size: args.value_size as usize,
            sync_percent: args.sync_percent,
            progress_every: args.progress_every,
            open_timeout: Duration::from_millis(args.open_timeout_ms),
            variants,
            rounds,
            inject: args.inject_fault,
        })
    }
}

/// The default cycle: bare `lsm` (every default) and every memtable x
/// compaction x compression variant.
pub fn default_variants() -> Vec<String> {
    let mut specs = vec!["lsm".to_string()];
    for memtable in MemTableKind::ALL {
        for compaction in CompactionKind::ALL {
            for compression in COMPRESSIONS {
                specs.push(format!(
                    "lsm:memtable={},compaction={},compression={compression}",
                    memtable.name(),
                    compaction.name()
                ));
            }
        }
    }
    specs
}

/// One child spec per round: the cycle (given specs, or the defaults)
/// shuffled anew for each pass, so every spec runs once per pass. Default
/// variants get this round's tiny sizes; given specs run as given.
fn schedule_specs(
    given: &[EngineSpec],
    rounds: u64,
    rng: &mut Rng,
) -> Result<Vec<EngineSpec>, PlanError> {
    let defaults = given.is_empty();
    let cycle: Vec<EngineSpec> = if defaults {
        default_variants()
            .iter()
            .map(|s| {
                EngineSpec::parse(s).map_err(|source| PlanError::Variant {
                    spec: s.clone(),
                    source,
                })
            })
            .collect::<Result<_, _>>()?
    } else {
        given.to_vec()
    };
    let mut specs = Vec::with_capacity(rounds as usize);
    while (specs.len() as u64) < rounds {
        let mut pass = cycle.clone();
        rng.shuffle(&mut pass);
        for spec in pass
            .into_iter()
            .take((rounds - specs.len() as u64) as usize)
        {
            let tiny = defaults && spec.get("memtable").is_some();
            specs.push(if tiny {
                with_tiny_sizes(&spec, rng)?
            } else {
                spec
            });
        }
    }
    Ok(specs)
}

fn with_tiny_sizes(spec: &EngineSpec, rng: &mut Rng) -> Result<EngineSpec, PlanError> {
    let mut pick = |choices: &[&'static str]| choices[rng.below(choices.len() as u64) as usize];
    let (buffer, file, base) = (pick(WRITE_BUFFERS), pick(FILE_SIZES), pick(LEVEL_BASES));
    spec.with("write_buffer_size", buffer)
        .and_then(|s| s.with("max_file_size", file))
        .and_then(|s| s.with("max_bytes_for_level_base", base))
        .map_err(|source| PlanError::Variant {
            spec: format!(
                "{spec} with write_buffer_size={buffer},max_file_size={file},max_bytes_for_level_base={base}"
            ),
            source,
        })
}

/// The run's files: `--db` (which must be new or empty) with its side file
/// beside it, or a fresh temporary directory holding both.
fn place(db: Option<&Path>) -> Result<Place, PlanError> {
    let Some(db) = db else {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let root =
            std::env::temp_dir().join(format!("strata-stress-{}-{nanos}", std::process::id()));
        return Ok(Place {
            db: root.join("db"),
            side_log: root.join("acknowledged.log"),
            temp_root: Some(root),
        });
    };
    let not_new = match std::fs::read_dir(db) {
        Ok(mut entries) => entries.next().is_some(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(source) => {
            return Err(PlanError::DbUnreadable {
                db: db.to_path_buf(),
                source,
            })
        }
    };
    if not_new {
        return Err(PlanError::DbNotEmpty {
            db: db.to_path_buf(),
        });
    }
    let mut side = db.as_os_str().to_owned();
    side.push(".stress-acknowledged.log");
    Ok(Place {
        db: db.to_path_buf(),
        side_log: PathBuf::from(side),
        temp_root: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: StressArgs,
    }

    fn plan(flags: &[&str]) -> Result<Plan, PlanError> {
        let cli = Cli::try_parse_from(std::iter::once("stress").chain(flags.iter().copied()))
            .expect("the flags parse");
        Plan::from_args(&cli.args)
    }

    #[test]
    fn every_variant_runs_once_per_pass_and_the_seed_fixes_the_order() {
        let n = default_variants().len();
        assert_eq!(n, 1 + 3 * 3 * 2);
        let a = plan(&["--rounds", &(2 * n).to_string(), "--seed", "7"]).expect("plan");
        let b = plan(&["--rounds", &(2 * n).to_string(), "--seed", "7"]).expect("plan");
        let names = |p: &Plan| -> Vec<String> {
            p.rounds.iter().map(|r| r.child_spec.to_string()).collect()
        };
        assert_eq!(names(&a), names(&b));
        for pass in a.rounds.chunks(n) {
            let mut kinds: Vec<String> = pass
                .iter()
                .map(|r| {
                    let s = &r.child_spec;
                    format!(
                        "{:?}{:?}{:?}",
                        s.get("memtable"),
                        s.get("compaction"),
                        s.get("compression")
                    )
                })
                .collect();
            kinds.sort();
            kinds.dedup();
            assert_eq!(kinds.len(), n, "a pass repeats a variant");
        }
        assert_eq!(
            a.rounds[0].verify_spec.to_string(),
            a.rounds[1].child_spec.to_string()
        );
    }

    #[test]
    fn bad_combinations_are_refused() {
        let e = plan(&["--kill_min_ms", "9", "--kill_max_ms", "3"]).expect_err("order");
        assert!(
            matches!(
                e,
                PlanError::KillOrder {
                    min_ms: 9,
                    max_ms: 3
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.to_string(), "--kill_min_ms 9 is above --kill_max_ms 3");
        let e = plan(&["--engine", "lsm:memtable=nope"]).expect_err("spec");
        assert!(
            matches!(&e, PlanError::BadSpec { spec, .. } if spec == "lsm:memtable=nope"),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .starts_with("bad engine spec 'lsm:memtable=nope': "),
            "{e}"
        );
        let e = plan(&["--child_log", "x"]).expect_err("child only");
        assert_eq!(
            e.to_string(),
            "--child_log is for the child processes, with --child_round"
        );
        let given = plan(&["--engine", "lsm:compression=none", "--rounds", "3"]).expect("given");
        assert!(given
            .rounds
            .iter()
            .all(|r| r.child_spec.to_string() == "lsm:compression=none"));
    }
}
