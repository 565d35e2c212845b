//! The run's counters, its progress lines and its one summary line.

use super::model::{InFlight, ViolationKind};
use std::time::{Duration, Instant};

/// Counters over the rounds so far.
pub struct Tally {
    started: Instant,
    /// Rounds verified.
    pub rounds: u64,
    /// Children killed with SIGKILL.
    pub kills: u64,
    /// Kills that left a flush or compaction unfinished.
    pub kills_in_background: u64,
    /// Kills before the child's open finished (during recovery).
    pub kills_in_open: u64,
    /// Ops acknowledged to the children.
    pub acked: u64,
    /// Of those, issued with sync.
    pub acked_synced: u64,
    /// In-flight ops found applied / not applied after the kill.
    pub in_flight: (u64, u64),
    /// The parent's slowest open.
    pub slowest_open: Duration,
    /// Violations by kind.
    violations: Vec<ViolationKind>,
}

impl Tally {
    /// Counters at zero; the clock starts now.
    pub fn new() -> Self {
        Tally {
            started: Instant::now(),
            rounds: 0,
            kills: 0,
            kills_in_background: 0,
            kills_in_open: 0,
            acked: 0,
            acked_synced: 0,
            in_flight: (0, 0),
            slowest_open: Duration::ZERO,
            violations: Vec::new(),
        }
    }

    /// Counts how a round's in-flight op turned out.
    pub fn in_flight(&mut self, outcome: InFlight) {
        match outcome {
            InFlight::Applied => self.in_flight.0 += 1,
            InFlight::Dropped => self.in_flight.1 += 1,
            InFlight::None => {}
        }
    }

    /// Counts a violation.
    pub fn violation(&mut self, kind: ViolationKind) {
        self.violations.push(kind);
    }

    fn count(&self, kind: ViolationKind) -> usize {
        self.violations.iter().filter(|&&k| k == kind).count()
    }

    /// Seconds since the start.
    pub fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// A progress line after `self.rounds` of `total` rounds.
    pub fn progress_line(&self, total: u64, live_keys: usize) -> String {
        format!(
            "stress: round {}/{total}: {} ops acknowledged ({} synced), {} kills during flush/compaction, \
             op in flight at the kill found applied {} times and not applied {} times, {} keys live, {:.1} s",
            self.rounds,
            thousands(self.acked),
            thousands(self.acked_synced),
            self.kills_in_background,
            self.in_flight.0,
            self.in_flight.1,
            thousands(live_keys as u64),
            self.elapsed_s()
        )
    }

    /// The one summary line of the run.
    pub fn summary_line(&self, variants: usize, seed: u64) -> String {
        use ViolationKind::*;
        let named = [LostSynced, LostUnsynced, Invented, OpenFailed, Hung];
        let others = self
            .violations
            .iter()
            .filter(|k| !named.contains(k))
            .count();
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut line = format!(
            "stress: {} rounds, {} kills ({} during flush/compaction, {} during open), {} ops acknowledged ({} synced), {}, {}, {}, {}, {}",
            self.rounds,
            self.kills,
            self.kills_in_background,
            self.kills_in_open,
            thousands(self.acked),
            thousands(self.acked_synced),
            plural(self.count(LostSynced), "lost synced write", "lost synced writes"),
            plural(self.count(LostUnsynced), "lost unsynced write", "lost unsynced writes"),
            plural(self.count(Invented), "invented value", "invented values"),
            plural(self.count(OpenFailed), "open failure", "open failures"),
            plural(self.count(Hung), "hang", "hangs"),
        );
        if others > 0 {
            line.push_str(&format!(
                ", {}",
                plural(others, "other violation", "other violations")
            ));
        }
        line.push_str(&format!(
            ", {variants} engine variants, slowest reopen {:.2} s, seed {seed}, {:.1} s",
            self.slowest_open.as_secs_f64(),
            self.elapsed_s()
        ));
        line
    }
}

/// `n` with commas between thousands.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(812_340), "812,340");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_summary_names_every_counted_violation() {
        let mut t = Tally::new();
        t.rounds = 3;
        t.kills = 3;
        t.acked = 1500;
        t.violation(ViolationKind::LostSynced);
        t.violation(ViolationKind::Reappeared);
        let line = t.summary_line(19, 7);
        assert!(line.starts_with("stress: 3 rounds, 3 kills (0 during flush/compaction, 0 during open), 1,500 ops acknowledged (0 synced), 1 lost synced write, 0 lost unsynced writes, 0 invented values, 0 open failures, 0 hangs, 1 other violation, 19 engine variants"), "{line}");
        assert!(line.contains("seed 7"), "{line}");
    }
}
