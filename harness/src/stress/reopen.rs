//! The parent's reopen: open the database, read every key (a full scan and
//! a get per key, which must agree), close; each step bounded in time, so
//! a hang is a failure and not a stuck run.

use super::model::{Found, Violation, ViolationKind};
use super::record::{identify, key, key_index, preview};
use crate::engines::open_engine;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_api::{Engine, EngineSpec, PosixEnv, ReadOptions};

/// What a reopen found.
pub struct Reopened {
    /// Per key, its value's write (or why it is no write's).
    pub found: Vec<Found>,
    /// How long the open took.
    pub open_time: Duration,
}

enum Step {
    Opened(Result<Duration, strata_api::Error>),
    Read(Result<Vec<Found>, Violation>),
    Closed,
}

/// Opens `dir` with `spec`, reads keys `0..keys`, closes.
///
/// # Errors
/// `OpenFailed` if the engine refuses to open; `Hung` if the open, the
/// read or the close takes longer than `timeout` (the stuck thread is left
/// behind: the run ends); what [`read_all`] finds wrong.
pub fn reopen(
    spec: &EngineSpec,
    dir: &Path,
    keys: u64,
    value_size: usize,
    timeout: Duration,
) -> Result<Reopened, Violation> {
    let (tx, rx) = mpsc::channel();
    let (spec_c, dir_c): (EngineSpec, PathBuf) = (spec.clone(), dir.to_path_buf());
    std::thread::Builder::new()
        .name("stress-reopen".into())
        .spawn(move || {
            let started = Instant::now();
            let db = match open_engine(&spec_c, &dir_c, Arc::new(PosixEnv::new())) {
                Ok(db) => db,
                Err(e) => {
                    let _ = tx.send(Step::Opened(Err(e)));
                    return;
                }
            };
            let _ = tx.send(Step::Opened(Ok(started.elapsed())));
            let _ = tx.send(Step::Read(read_all(db.as_ref(), keys, value_size)));
            drop(db);
            let _ = tx.send(Step::Closed);
        })
        .map_err(|e| {
            Violation::new(
                ViolationKind::OpenFailed,
                format!("cannot start the reopen thread: {e}"),
            )
        })?;
    let hung = |what: &str| {
        Violation::new(
            ViolationKind::Hung,
            format!(
                "the {what} of {} with {spec} took longer than {} ms",
                dir.display(),
                timeout.as_millis()
            ),
        )
    };
    let open_time = match rx.recv_timeout(timeout) {
        Ok(Step::Opened(Ok(t))) => t,
        Ok(Step::Opened(Err(e))) => {
            return Err(Violation::new(
                ViolationKind::OpenFailed,
                format!("open with {spec}: {e}"),
            ))
        }
        _ => return Err(hung("open")),
    };
    let found = match rx.recv_timeout(timeout) {
        Ok(Step::Read(result)) => result?,
        _ => return Err(hung("read")),
    };
    match rx.recv_timeout(timeout) {
        Ok(Step::Closed) => Ok(Reopened { found, open_time }),
        _ => Err(hung("close")),
    }
}

/// Every key's value by a full scan, each confirmed by a get.
///
/// # Errors
/// `Invented` for a key this test never writes; `NotAPrefix` when a get
/// and the scan disagree; `OpenFailed` for an error reading.
pub fn read_all(db: &dyn Engine, keys: u64, value_size: usize) -> Result<Vec<Found>, Violation> {
    let read_error = |e: strata_api::Error| {
        Violation::new(
            ViolationKind::OpenFailed,
            format!("reading after the open: {e}"),
        )
    };
    let mut scanned: Vec<Option<Vec<u8>>> = vec![None; keys as usize];
    let mut it = db.iter(&ReadOptions::default()).map_err(read_error)?;
    it.seek_to_first();
    while it.valid() {
        match key_index(it.key()).filter(|&k| k < keys) {
            Some(k) => scanned[k as usize] = Some(it.value().to_vec()),
            None => {
                return Err(Violation::new(
                    ViolationKind::Invented,
                    format!("a key this test never writes: {}", preview(it.key())),
                ))
            }
        }
        it.next();
    }
    it.status().map_err(read_error)?;
    let mut got = Vec::new();
    let options = ReadOptions::default();
    let mut found = Vec::with_capacity(keys as usize);
    for (k, scan) in scanned.iter().enumerate() {
        let name = key(k as u64);
        let present = db
            .get_into(&options, name.as_bytes(), &mut got)
            .map_err(read_error)?;
        if present != scan.is_some() || (present && scan.as_deref() != Some(got.as_slice())) {
            let show = |v: Option<&[u8]>| v.map_or("nothing".to_string(), preview);
            return Err(Violation::new(
                ViolationKind::NotAPrefix,
                format!(
                    "key {name}: the scan found {} but a get found {}",
                    show(scan.as_deref()),
                    show(present.then_some(got.as_slice()))
                ),
            ));
        }
        found.push(match scan {
            None => Found::Absent,
            Some(v) => match identify(k as u64, v, value_size) {
                Ok(id) => Found::Value(id),
                Err(why) => Found::Foreign {
                    preview: preview(v),
                    why,
                },
            },
        });
    }
    Ok(found)
}
