//! The parent loop: per round, start a child, kill it with SIGKILL after
//! the planned delay, note what the kill interrupted, reopen the database
//! and check it against the model; stop at the first violation.

use super::args::InjectFault;
use super::interrupted::{during_background_work, orphan_tables, DirFiles};
use super::model::{Model, Violation, ViolationKind};
use super::oplog::RoundLog;
use super::plan::{Plan, RoundPlan};
use super::reopen::reopen;
use super::summary::Tally;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};
use strata_lsm::format::filename::{log_file_name, table_file_name};

/// How long an injected-fault round waits for the child to put its fault
/// in place before killing it.
const INJECT_WAIT: Duration = Duration::from_secs(120);

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
        .map_err(|e| Violation::new(ViolationKind::ChildFailed, e))?;
    if let Err(message) = outcome {
        let kind = if log.open_ms.is_none() {
            ViolationKind::OpenFailed
        } else {
            ViolationKind::ChildFailed
        };
        return Err(Violation::new(kind, message));
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
/// The child exited by itself (its stderr is in the message), or an
/// injected fault was not in place in time.
fn wait_then_kill(
    plan: &Plan,
    round: u64,
    delay: Duration,
    child: &mut Child,
) -> Result<(), String> {
    let mut result = Ok(());
    if plan.inject.is_some() {
        result = wait_for_first_ack(&plan.place.side_log, round, child);
    }
    if result.is_ok() {
        result = wait_alive(child, delay);
    }
    // SIGKILL (std's kill on Unix); the child may already be gone.
    let _ = child.kill();
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the child: {e}"))?;
    result.map_err(|early| {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        format!("{early} ({status}): {}", stderr.trim())
    })
}

/// Sleeps `delay`, failing early if the child exits.
fn wait_alive(child: &mut Child, delay: Duration) -> Result<(), String> {
    let deadline = Instant::now() + delay;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return Err("the child exited before its kill".into());
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(());
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(5)));
    }
}

/// Waits until the child's side file shows an acknowledged op.
fn wait_for_first_ack(side_log: &Path, round: u64, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + INJECT_WAIT;
    while Instant::now() < deadline {
        if RoundLog::read(side_log, round).is_ok_and(|log| log.acked > 0) {
            return Ok(());
        }
        if let Ok(Some(_)) = child.try_wait() {
            return Err("the child exited before its fault was in place".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(format!(
        "no acknowledged op within {} s",
        INJECT_WAIT.as_secs()
    ))
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
