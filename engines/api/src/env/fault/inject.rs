//! What fails and when: fault rules, the global count of mutating calls,
//! "fail call k" and "crash after call k".

use super::rng::Rng;
use crate::error::Error;
use std::path::{Path, PathBuf};

/// Which calls a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultOp {
    /// `WritableFile::append`.
    Append,
    /// `WritableFile::flush`.
    Flush,
    /// `WritableFile::sync` (fdatasync of a file).
    Sync,
    /// `WritableFile::close`.
    Close,
    /// `Env::sync_dir` (fsync of a directory).
    SyncDir,
    /// Creating or opening a file for writing (`new_writable_file`,
    /// `new_appendable_file`).
    Create,
    /// `Env::rename`.
    Rename,
    /// `Env::remove_file` and `Env::remove_dir_all`.
    Remove,
    /// `Env::create_dir_all`.
    CreateDir,
    /// `Env::lock_file`.
    Lock,
    /// Reading through an open file: `SequentialFile::read` and `skip`,
    /// `RandomAccessFile::read_at` and `read_at_into`.
    Read,
    /// Opening a file for reading (`new_sequential_file`,
    /// `new_random_access_file`).
    OpenRead,
    /// `Env::children`.
    Children,
    /// Every mutating call (see [`FaultOp::is_mutating`]).
    AnyWrite,
}

impl FaultOp {
    /// True for the calls that change files or directories: these are the
    /// calls counted by `FaultEnv::mutating_calls` and indexed by
    /// `FaultEnv::crash_after_call` and `FaultEnv::fail_call`.
    pub fn is_mutating(self) -> bool {
        !matches!(self, FaultOp::Read | FaultOp::OpenRead | FaultOp::Children)
    }

    /// True if a rule on `self` applies to a call of kind `call`.
    fn matches(self, call: FaultOp) -> bool {
        self == call || (self == FaultOp::AnyWrite && call.is_mutating())
    }
}

/// What error a failing call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// EIO: an input/output error.
    Eio,
    /// ENOSPC: no space left on device.
    NoSpace,
}

impl FaultKind {
    /// The error a call on `path` fails with.
    pub(super) fn error(self, path: &Path) -> Error {
        let code = match self {
            FaultKind::Eio => libc::EIO,
            FaultKind::NoSpace => libc::ENOSPC,
        };
        Error::io(path, std::io::Error::from_raw_os_error(code))
    }
}

/// When a [`FaultRule`] fires, counting the calls it matches from the
/// moment it is added.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// Only the n-th matching call fails (1-based); later ones succeed.
    Nth(u64),
    /// The n-th matching call and every later one fail.
    FromNth(u64),
    /// Each matching call fails with this probability, drawn from the
    /// env's seeded generator.
    Probability(f64),
}

/// One injected fault: calls of kind `op` fail with `kind` when `trigger`
/// says so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultRule {
    /// The calls the rule watches.
    pub op: FaultOp,
    /// The error they fail with.
    pub kind: FaultKind,
    /// Which of them fail.
    pub trigger: Trigger,
}

impl FaultRule {
    /// Only the `n`-th call of kind `op` (1-based) fails.
    pub fn nth(op: FaultOp, kind: FaultKind, n: u64) -> Self {
        FaultRule {
            op,
            kind,
            trigger: Trigger::Nth(n),
        }
    }

    /// The `n`-th call of kind `op` (1-based) and every later one fail.
    pub fn from_nth(op: FaultOp, kind: FaultKind, n: u64) -> Self {
        FaultRule {
            op,
            kind,
            trigger: Trigger::FromNth(n),
        }
    }

    /// Each call of kind `op` fails with probability `p`.
    pub fn probability(op: FaultOp, kind: FaultKind, p: f64) -> Self {
        FaultRule {
            op,
            kind,
            trigger: Trigger::Probability(p),
        }
    }
}

/// One call seen by the env: its index among mutating calls (0 for a
/// read-side call), its kind, its path and the error injected, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// 1-based index among mutating calls; 0 for reads, opens for read and
    /// listings (they are not counted).
    pub index: u64,
    /// The kind of call.
    pub op: FaultOp,
    /// The file or directory it was on.
    pub path: PathBuf,
    /// The error injected into it, if one was.
    pub injected: Option<FaultKind>,
}

struct ArmedRule {
    rule: FaultRule,
    /// Matching calls seen since the rule was added.
    seen: u64,
}

/// The decision for one call.
pub(super) struct Verdict {
    /// Fail the call with this error kind.
    pub(super) fail: Option<FaultKind>,
    /// This call is the crash point: the env is down once it returns.
    pub(super) freeze: bool,
}

/// Rules, counters and the generator; lives under the env's lock.
pub(super) struct Injector {
    rules: Vec<ArmedRule>,
    rng: Rng,
    mutating_calls: u64,
    crash_after: Option<u64>,
    fail_call: Option<(u64, FaultKind)>,
    record_calls: bool,
    calls: Vec<CallRecord>,
    injected: Vec<CallRecord>,
}

impl Injector {
    pub(super) fn new(seed: u64) -> Self {
        Injector {
            rules: Vec::new(),
            rng: Rng::new(seed ^ 0x6661_756c_7473),
            mutating_calls: 0,
            crash_after: None,
            fail_call: None,
            record_calls: false,
            calls: Vec::new(),
            injected: Vec::new(),
        }
    }

    pub(super) fn add_rule(&mut self, rule: FaultRule) {
        self.rules.push(ArmedRule { rule, seen: 0 });
    }

    pub(super) fn clear_rules(&mut self) {
        self.rules.clear();
    }

    pub(super) fn clear_fail_call(&mut self) {
        self.fail_call = None;
    }

    /// True if some rule watches reads (then reads take the slow path).
    pub(super) fn watches_reads(&self) -> bool {
        self.rules.iter().any(|r| {
            matches!(
                r.rule.op,
                FaultOp::Read | FaultOp::OpenRead | FaultOp::Children
            )
        })
    }

    pub(super) fn set_crash_after(&mut self, k: Option<u64>) {
        self.crash_after = k;
    }

    pub(super) fn set_fail_call(&mut self, k: u64, kind: FaultKind) {
        self.fail_call = Some((k, kind));
    }

    pub(super) fn mutating_calls(&self) -> u64 {
        self.mutating_calls
    }

    pub(super) fn set_record_calls(&mut self, on: bool) {
        self.record_calls = on;
    }

    pub(super) fn calls(&self) -> &[CallRecord] {
        &self.calls
    }

    pub(super) fn injected(&self) -> &[CallRecord] {
        &self.injected
    }

    /// Counts a call of kind `op` on `path` and decides its fate.
    pub(super) fn decide(&mut self, op: FaultOp, path: &Path) -> Verdict {
        let mut index = 0;
        let mut fail = None;
        let mut freeze = false;
        if op.is_mutating() {
            self.mutating_calls += 1;
            index = self.mutating_calls;
            freeze = self.crash_after == Some(index);
            if let Some((k, kind)) = self.fail_call {
                if k == index {
                    fail = Some(kind);
                }
            }
        }
        for armed in &mut self.rules {
            if !armed.rule.op.matches(op) {
                continue;
            }
            armed.seen += 1;
            let fires = match armed.rule.trigger {
                Trigger::Nth(n) => armed.seen == n,
                Trigger::FromNth(n) => armed.seen >= n,
                Trigger::Probability(p) => self.rng.chance(p),
            };
            if fires && fail.is_none() {
                fail = Some(armed.rule.kind);
            }
        }
        let record = || CallRecord {
            index,
            op,
            path: path.to_path_buf(),
            injected: fail,
        };
        if self.record_calls && index > 0 {
            self.calls.push(record());
        }
        if fail.is_some() {
            self.injected.push(record());
        }
        Verdict { fail, freeze }
    }
}
