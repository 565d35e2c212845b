//! The parent loop: per round, start a child, kill it with SIGKILL after
//! the planned delay, note what the kill interrupted, reopen the database
//! and check it against the model; stop at the first violation.

use super::interrupted::{during_background_work, orphan_tables, DirFiles};
use super::model::{Model, Violation, ViolationKind};
use super::oplog::RoundLog;
use super::plan::{Plan, RoundPlan};
use super::reopen::reopen;
use super::summary::Tally;
use crate::cli::stress::InjectFault;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use strata_lsm::format::filename::{log_file_name, table_file_name};

/// How long an injected-fault round waits for the child to put its fault
/// in place before killing it.
const INJECT_WAIT: Duration = Duration::from_secs(120);

/// Why a child stopped before its kill came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Early {
    /// It exited by itself.
    Exited,
    /// It exited before its injected fault was in place.
    ExitedBeforeFault,
    /// Its injected fault was not in place within this long.
    NoAck {
        /// How long the parent waited.
        waited: Duration,
    },
}

impl fmt::Display for Early {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Early::Exited => write!(f, "the child exited before its kill"),
            Early::ExitedBeforeFault => {
                write!(f, "the child exited before its fault was in place")
            }
            Early::NoAck { waited } => {
                write!(f, "no acknowledged op within {} s", waited.as_secs())
            }
        }
    }
}

/// Why a round's child did not run until its SIGKILL.
#[derive(Debug)]
enum ChildFailed {
    /// Reaping the child failed.
    Wait(std::io::Error),
    /// The child stopped early.
    Early {
        /// How.
        why: Early,
        /// Its exit status.
        status: ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },
}

impl fmt::Display for ChildFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChildFailed::Wait(e) => write!(f, "waiting for the child: {e}"),
            ChildFailed::Early {
                why,
                status,
                stderr,
            } => write!(f, "{why} ({status}): {}", stderr.trim()),
        }
    }
}

/// Runs every round of `plan`; prints progress on stderr and the summary
/// line on stdout. Exit 0 if every round passed, 1 at the first violation.
pub fn run(plan: &Plan) -> ExitCode {
    if let Some(parent) = plan.place.db.parent() {
        if let Err(e) = std::fs::create_dir_all(parent) {
            eprintln!("strata: stress: {}: {e}", parent.display());
            return ExitCode::from(1);
        }
    }
    let mut model = Model::new(plan.keys);
    let mut tally = Tally::new();
    let total = plan.rounds.len() as u64;
    for (i, round_plan) in plan.rounds.iter().enumerate() {
        let round = i as u64 + 1;
        if let Err(v) = run_round(plan, round, round_plan, &mut model, &mut tally) {
            tally.violation(v.kind);
            eprintln!(
                "strata: stress: round {round} of {total} failed (seed {}): {}: {}",
                plan.seed,
                v.kind.name(),
                v.detail
            );
            eprintln!(
                "strata: stress: the child wrote with {}, killed after {} ms; the parent reopened with {}; \
                 the database is kept at {} (--seed {} reproduces the options and the writes, not the kill's timing)",
                round_plan.child_spec,
                round_plan.kill_after.as_millis(),
                round_plan.verify_spec,
                plan.place.db.display(),
                plan.seed
            );
            println!("{}", tally.summary_line(plan.variants, plan.seed));
            return ExitCode::from(1);
        }
        if plan.progress_every > 0 && round.is_multiple_of(plan.progress_every) && round < total {
            eprintln!("{}", tally.progress_line(total, model.live_keys()));
        }
    }
    println!("{}", tally.summary_line(plan.variants, plan.seed));
    clean_up(plan);
    ExitCode::SUCCESS
}

/// Removes what a passing run leaves: the temporary directory, or the side
/// file beside a `--db` the user keeps.
fn clean_up(plan: &Plan) {
    let result = match &plan.place.temp_root {
        Some(root) => std::fs::remove_dir_all(root),
        None => std::fs::remove_file(&plan.place.side_log),
    };
    if let Err(e) = result {
        if e.kind() != std::io::ErrorKind::NotFound {
            eprintln!("strata: stress: cleaning up: {e}");
        }
    }
}

fn run_round(
    plan: &Plan,
    round: u64,
    rp: &RoundPlan,
    model: &mut Model,
    tally: &mut Tally,
) -> Result<(), Violation> {
    let db = &plan.place.db;
    let side_log = &plan.place.side_log;
    let setup = |what: &str, e: std::io::Error| {
        Violation::new(ViolationKind::ChildFailed, format!("{what}: {e}"))
    };
    match std::fs::remove_file(side_log) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(setup("removing the side file", e))
        }
        _ => {}
    }
    let orphans_at_start = orphan_tables(db);
    let mut child = spawn_child(plan, round, rp).map_err(|e| setup("starting the child", e))?;
    let outcome = wait_then_kill(plan, round, rp.kill_after, &mut child);
    let log = RoundLog::read(side_log, round)
        .map_err(|e| Violation::new(ViolationKind::ChildFailed, e.to_string()))?;
    if let Err(failed) = outcome {
        let kind = if log.open_ms.is_none() {
            ViolationKind::OpenFailed
        } else {
            ViolationKind::ChildFailed
        };
        return Err(Violation::new(kind, failed.to_string()));
    }
    tally.kills += 1;
    if log.open_ms.is_none() {
        tally.kills_in_open += 1;
    } else if during_background_work(db, &orphans_at_start) {
        tally.kills_in_background += 1;
    }
    if plan.inject == Some(InjectFault::DropFiles) {
        drop_files(db).map_err(|e| setup("injecting drop_files", e))?;
    }
    tally.acked += log.acked as u64;
    tally.acked_synced += log.ops[..log.acked].iter().filter(|op| op.sync).count() as u64;
    let reopened = reopen(
        &rp.verify_spec,
        db,
        plan.keys,
        plan.value_size,
        plan.open_timeout,
    )?;
    tally.slowest_open = tally.slowest_open.max(reopened.open_time);
    let in_flight = model.check(round, &log, &reopened.found)?;
    tally.in_flight(in_flight);
    tally.rounds += 1;
    Ok(())
}

fn spawn_child(plan: &Plan, round: u64, rp: &RoundPlan) -> std::io::Result<Child> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("stress")
        .arg("--child_round")
        .arg(round.to_string())
        .arg("--child_log")
        .arg(&plan.place.side_log)
        .arg("--db")
        .arg(&plan.place.db)
        .arg("--engine")
        .arg(rp.child_spec.to_string())
        .arg("--seed")
        .arg(plan.seed.to_string())
        .arg("--keys")
        .arg(plan.keys.to_string())
        .arg("--value_size")
        .arg(plan.value_size.to_string())
        .arg("--sync_percent")
        .arg(plan.sync_percent.to_string());
    if let Some(fault) = plan.inject {
        use clap::ValueEnum;
        if let Some(name) = fault.to_possible_value() {
            command.arg("--inject_fault").arg(name.get_name());
        }
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
}

/// Lets the child run for `delay` (with an injected fault: from the moment
/// its fault is in place), then kills it with SIGKILL and reaps it.
///
/// # Errors
/// The child exited by itself (with its stderr), or an injected fault was
/// not in place in time.
fn wait_then_kill(
    plan: &Plan,
    round: u64,
    delay: Duration,
    child: &mut Child,
) -> Result<(), ChildFailed> {
    let mut result = Ok(());
    if plan.inject.is_some() {
        result = wait_for_first_ack(&plan.place.side_log, round, child);
    }
    if result.is_ok() {
        result = wait_alive(child, delay);
    }
    // SIGKILL (std's kill on Unix); the child may already be gone.
    let _ = child.kill();
    let status = child.wait().map_err(ChildFailed::Wait)?;
    result.map_err(|why| {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        ChildFailed::Early {
            why,
            status,
            stderr,
        }
    })
}

/// Sleeps `delay`, failing early if the child exits.
fn wait_alive(child: &mut Child, delay: Duration) -> Result<(), Early> {
    let deadline = Instant::now() + delay;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return Err(Early::Exited);
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(());
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(5)));
    }
}

/// Waits until the child's side file shows an acknowledged op.
fn wait_for_first_ack(side_log: &Path, round: u64, child: &mut Child) -> Result<(), Early> {
    let deadline = Instant::now() + INJECT_WAIT;
    while Instant::now() < deadline {
        if RoundLog::read(side_log, round).is_ok_and(|log| log.acked > 0) {
            return Ok(());
        }
        if let Ok(Some(_)) = child.try_wait() {
            return Err(Early::ExitedBeforeFault);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(Early::NoAck {
        waited: INJECT_WAIT,
    })
}

/// The injected fault `drop_files`: every log and table file deleted.
fn drop_files(db: &Path) -> std::io::Result<()> {
    let files = DirFiles::list(db);
    for n in files.logs {
        std::fs::remove_file(log_file_name(db, n))?;
    }
    for n in files.tables {
        let ldb = table_file_name(db, n);
        if ldb.exists() {
            std::fs::remove_file(ldb)?;
        } else {
            std::fs::remove_file(strata_lsm::format::filename::sst_table_file_name(db, n))?;
        }
    }
    Ok(())
}
