//! What the database must hold after a kill, and the check.
//!
//! The child has one writer thread and SIGKILL keeps the page cache, so
//! the parent knows the total order of everything the child attempted: a
//! prefix of acknowledged ops, then at most one op in flight. strata (as
//! LevelDB) hands every log record to the kernel before acknowledging it,
//! so a process crash loses nothing acknowledged, synced or not. The
//! strongest true statement, and the one checked, is therefore: the
//! reopened database holds exactly the state after all acknowledged ops
//! (A), or exactly the state after those plus the op in flight, all of its
//! batch (B). Every difference is named: a lost synced write (the claim
//! rests on the fsync'd side file alone), a lost unsynced acknowledged
//! write, an invented value (no attempted write produced it), a deleted key
//! that reappeared, a half-applied batch.

use super::oplog::{LoggedOp, RoundLog};
use super::record::{key, NotAWrite, WriteId};
use std::fmt;

/// The latest update of a key the parent expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Last {
    /// Which write.
    pub id: WriteId,
    /// A put (else a delete).
    pub put: bool,
    /// Issued with sync.
    pub synced: bool,
    /// Acknowledged (false for an op in flight at a kill that was found
    /// applied).
    pub acked: bool,
}

impl Last {
    fn visible(last: Option<Last>) -> Option<WriteId> {
        last.filter(|l| l.put).map(|l| l.id)
    }
}

impl fmt::Display for Last {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match (self.put, self.synced) {
            (true, true) => "a synced put",
            (true, false) => "an unsynced put",
            (false, true) => "a synced delete",
            (false, false) => "an unsynced delete",
        };
        let how = if self.acked {
            "acknowledged"
        } else {
            "in flight at its round's kill and found applied"
        };
        write!(f, "{} ({what}, {how})", self.id)
    }
}

/// What the parent found under one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// No value.
    Absent,
    /// The value of this write (checked byte for byte).
    Value(WriteId),
    /// A value no write of this test could produce.
    Foreign {
        /// The value, shortened.
        preview: String,
        /// Why it is not a value of this key.
        why: NotAWrite,
    },
}

/// The kinds of failure a run counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// An acknowledged synced write is missing.
    LostSynced,
    /// An acknowledged unsynced write is missing (a process crash must
    /// keep it).
    LostUnsynced,
    /// A value (or key) that no attempted write produced.
    Invented,
    /// A key deleted by an acknowledged delete holds an older value again.
    Reappeared,
    /// The state is not the state after a prefix of the ops (a batch half
    /// applied, a write from a round that was found without it, a get and
    /// a scan that disagree).
    NotAPrefix,
    /// The database did not open (parent or child).
    OpenFailed,
    /// The parent's open, read or close did not finish in time.
    Hung,
    /// The child failed or exited before its kill.
    ChildFailed,
}

impl ViolationKind {
    /// The name printed in the failure line.
    pub fn name(self) -> &'static str {
        match self {
            ViolationKind::LostSynced => "lost synced write",
            ViolationKind::LostUnsynced => "lost acknowledged unsynced write",
            ViolationKind::Invented => "invented value",
            ViolationKind::Reappeared => "deleted key reappeared",
            ViolationKind::NotAPrefix => "not a prefix of the writes",
            ViolationKind::OpenFailed => "open failed",
            ViolationKind::Hung => "hang",
            ViolationKind::ChildFailed => "child failed",
        }
    }
}

/// A failed check: its kind and the details (key, expected, found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What kind.
    pub kind: ViolationKind,
    /// Key, expected and found, on one line.
    pub detail: String,
}

impl Violation {
    /// A violation of `kind`.
    pub fn new(kind: ViolationKind, detail: impl Into<String>) -> Self {
        Violation {
            kind,
            detail: detail.into(),
        }
    }
}

/// The expected state, carried from round to round.
pub struct Model {
    /// Per key, its latest update (None: never written).
    current: Vec<Option<Last>>,
    /// Per key, every put ever attempted (packed ids, ascending).
    puts: Vec<Vec<u64>>,
}

/// How the round's in-flight op turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InFlight {
    /// There was none.
    None,
    /// It was found applied (state B).
    Applied,
    /// It was found not applied (state A).
    Dropped,
}

impl Model {
    /// The model of a new, empty database of `keys` keys.
    pub fn new(keys: u64) -> Self {
        Model {
            current: vec![None; keys as usize],
            puts: vec![Vec::new(); keys as usize],
        }
    }

    /// Keys holding a value.
    pub fn live_keys(&self) -> usize {
        self.current
            .iter()
            .filter(|l| Last::visible(**l).is_some())
            .count()
    }

    /// Checks `found` (one entry per key) against round `round`'s log and,
    /// if it passes, makes the found state the model's.
    ///
    /// # Errors
    /// The first violation, by key.
    pub fn check(
        &mut self,
        round: u64,
        log: &RoundLog,
        found: &[Found],
    ) -> Result<InFlight, Violation> {
        self.record_attempts(round, log);
        let acked = self.after(round, &log.ops[..log.acked], true, self.current.clone());
        let in_flight = log.in_flight();
        let applied =
            in_flight.map(|op| self.after(round, std::slice::from_ref(op), false, acked.clone()));
        let mut all_a = true;
        let mut all_b = applied.is_some();
        for (k, f) in found.iter().enumerate() {
            let a = acked[k];
            let b = applied.as_ref().map(|b| b[k]);
            let is_a = matches_(f, Last::visible(a));
            let is_b = b.is_some_and(|b| matches_(f, Last::visible(b)));
            if !is_a && !is_b {
                return Err(self.explain(k as u64, f, a, b));
            }
            all_a &= is_a;
            all_b &= is_b;
        }
        let (state, outcome) = match (all_a, all_b, applied) {
            (true, _, None) => (acked, InFlight::None),
            (true, _, Some(_)) => (acked, InFlight::Dropped),
            (false, true, Some(b)) => (b, InFlight::Applied),
            (_, _, b) => return Err(half_applied(in_flight, &acked, b.as_deref(), found)),
        };
        self.current = state;
        Ok(outcome)
    }

    /// Adds every put of the round's ops (in flight too) to the history.
    fn record_attempts(&mut self, round: u64, log: &RoundLog) {
        for op in &log.ops {
            for (slot, u) in op.updates.iter().enumerate() {
                if u.put {
                    let id = write_id(round, op, slot);
                    self.puts[u.key as usize].push(id.pack());
                }
            }
        }
    }

    /// `state` after `ops`.
    fn after(
        &self,
        round: u64,
        ops: &[LoggedOp],
        acked: bool,
        mut state: Vec<Option<Last>>,
    ) -> Vec<Option<Last>> {
        for op in ops {
            for (slot, u) in op.updates.iter().enumerate() {
                state[u.key as usize] = Some(Last {
                    id: write_id(round, op, slot),
                    put: u.put,
                    synced: op.sync,
                    acked,
                });
            }
        }
        state
    }

    fn ever_put(&self, k: u64, id: WriteId) -> bool {
        self.puts[k as usize].binary_search(&id.pack()).is_ok()
    }

    /// Names what is wrong with key `k`: found `f` where `a` (or `b`, with
    /// the in-flight op) was expected.
    fn explain(&self, k: u64, f: &Found, a: Option<Last>, b: Option<Option<Last>>) -> Violation {
        let name = key(k);
        let expected = match (a, b) {
            (Some(a), Some(b)) if Some(a) != b => {
                format!("{} or, with the op in flight, {}", show(Some(a)), show(b))
            }
            _ => show(a),
        };
        let found_text = match f {
            Found::Absent => "nothing".to_string(),
            Found::Value(id) => format!("the value of {id}"),
            Found::Foreign { preview, why } => format!("{preview} ({why})"),
        };
        let line = |kind| {
            Violation::new(
                kind,
                format!("key {name}: expected {expected}, found {found_text}"),
            )
        };
        match (f, a) {
            (Found::Foreign { .. }, _) => line(ViolationKind::Invented),
            (Found::Value(id), _) if !self.ever_put(k, *id) => Violation::new(
                ViolationKind::Invented,
                format!("key {name}: found the value of {id}, which no attempted write put under this key; expected {expected}"),
            ),
            (Found::Value(id), Some(a)) if !a.put && *id < a.id => line(ViolationKind::Reappeared),
            (Found::Value(id), Some(a)) if *id > a.id => line(ViolationKind::NotAPrefix),
            (Found::Value(_), None) => line(ViolationKind::NotAPrefix),
            (_, Some(a)) if a.put && a.synced => line(ViolationKind::LostSynced),
            _ => line(ViolationKind::LostUnsynced),
        }
    }
}

fn write_id(round: u64, op: &LoggedOp, slot: usize) -> WriteId {
    WriteId {
        round: round as u32,
        seq: op.seq,
        slot: slot as u8,
    }
}

fn matches_(found: &Found, expected: Option<WriteId>) -> bool {
    match (found, expected) {
        (Found::Absent, None) => true,
        (Found::Value(id), Some(e)) => *id == e,
        _ => false,
    }
}

fn show(last: Option<Last>) -> String {
    match last {
        None => "nothing (never written)".to_string(),
        Some(l) if l.put => format!("the value of {l}"),
        Some(l) => format!("nothing (deleted by {l})"),
    }
}

/// Every key matches A or B, but not all the same one: the in-flight batch
/// is visible under one key and missing under another.
fn half_applied(
    op: Option<&LoggedOp>,
    a: &[Option<Last>],
    b: Option<&[Option<Last>]>,
    found: &[Found],
) -> Violation {
    let (Some(op), Some(b)) = (op, b) else {
        return Violation::new(ViolationKind::NotAPrefix, "state matches neither prefix");
    };
    let differs = |k: usize| Last::visible(a[k]) != Last::visible(b[k]);
    let seen = (0..found.len()).find(|&k| differs(k) && matches_(&found[k], Last::visible(b[k])));
    let missing =
        (0..found.len()).find(|&k| differs(k) && matches_(&found[k], Last::visible(a[k])));
    let name = |k: Option<usize>| k.map(|k| key(k as u64)).unwrap_or_default();
    Violation::new(
        ViolationKind::NotAPrefix,
        format!(
            "op {} ({} updates, in flight at the kill) is applied under key {} but not under key {}: a batch is all or nothing",
            op.seq,
            op.updates.len(),
            name(seen),
            name(missing)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::oplog::Update;
    use super::*;

    fn op(seq: u64, sync: bool, updates: &[(u64, bool)]) -> LoggedOp {
        LoggedOp {
            seq,
            sync,
            updates: updates
                .iter()
                .map(|&(key, put)| Update { key, put })
                .collect(),
        }
    }

    fn id(round: u32, seq: u64, slot: u8) -> Found {
        Found::Value(WriteId { round, seq, slot })
    }

    fn log(ops: Vec<LoggedOp>, acked: usize) -> RoundLog {
        RoundLog {
            open_ms: Some(1),
            ops,
            acked,
        }
    }

    #[test]
    fn a_prefix_passes_with_or_without_the_op_in_flight() {
        let ops = vec![
            op(1, true, &[(0, true)]),
            op(2, false, &[(1, true), (2, true)]),
        ];
        let mut m = Model::new(3);
        let a = [id(1, 1, 0), Found::Absent, Found::Absent];
        assert_eq!(m.check(1, &log(ops.clone(), 1), &a), Ok(InFlight::Dropped));
        let mut m = Model::new(3);
        let b = [id(1, 1, 0), id(1, 2, 0), id(1, 2, 1)];
        assert_eq!(m.check(1, &log(ops, 1), &b), Ok(InFlight::Applied));
        assert_eq!(m.live_keys(), 3);
    }

    #[test]
    fn every_kind_of_difference_is_named() {
        let ops = [
            op(1, true, &[(0, true)]),
            op(2, false, &[(1, true)]),
            op(3, true, &[(2, true)]),
            op(4, true, &[(2, false)]),
            op(5, false, &[(0, true), (1, false)]),
        ];
        let kind = |found: [Found; 3], acked: usize| {
            let mut m = Model::new(3);
            // At most one op in flight after the acknowledged ones.
            let issued = ops[..(acked + 1).min(ops.len())].to_vec();
            m.check(1, &log(issued, acked), &found)
                .expect_err("must fail")
                .kind
        };
        use ViolationKind::*;
        assert_eq!(
            kind([Found::Absent, id(1, 2, 0), Found::Absent], 4),
            LostSynced
        );
        assert_eq!(
            kind([id(1, 1, 0), Found::Absent, Found::Absent], 2),
            LostUnsynced
        );
        assert_eq!(kind([id(1, 1, 0), id(1, 2, 0), id(1, 3, 0)], 4), Reappeared);
        assert_eq!(kind([id(1, 9, 0), id(1, 2, 0), Found::Absent], 4), Invented);
        assert_eq!(kind([id(1, 1, 0), id(1, 1, 0), Found::Absent], 4), Invented);
        let foreign = Found::Foreign {
            preview: "'x'".into(),
            why: NotAWrite::NoHeader,
        };
        assert_eq!(kind([foreign, id(1, 2, 0), Found::Absent], 4), Invented);
        // Op 5 in flight: applied under key 0, not under key 1.
        assert_eq!(
            kind([id(1, 5, 0), id(1, 2, 0), Found::Absent], 4),
            NotAPrefix
        );
    }

    #[test]
    fn the_model_carries_over_rounds() {
        let mut m = Model::new(2);
        let r1 = log(vec![op(1, false, &[(0, true)])], 1);
        m.check(1, &r1, &[id(1, 1, 0), Found::Absent])
            .expect("round 1");
        let r2 = log(vec![op(1, false, &[(1, true)])], 0);
        assert_eq!(
            m.check(2, &r2, &[id(1, 1, 0), Found::Absent]),
            Ok(InFlight::Dropped)
        );
        // Round 3 writes nothing: round 1's value must still be there, and
        // round 2's dropped op must not surface later.
        let r3 = log(Vec::new(), 0);
        let e = m
            .check(3, &r3, &[Found::Absent, Found::Absent])
            .expect_err("lost");
        assert_eq!(e.kind, ViolationKind::LostUnsynced);
        assert!(e.detail.contains("key 0000000000000000"), "{}", e.detail);
        let e = m
            .check(3, &r3, &[id(1, 1, 0), id(2, 1, 0)])
            .expect_err("resurrected");
        assert_eq!(e.kind, ViolationKind::NotAPrefix);
    }
}
