//! Regressions found by the corruption sweep (`tests/corruption_sweep.rs`),
//! each reduced to the decoder that misread damaged bytes.

use strata_api::{Error, KvIterator, Result};
use strata_lsm::format::internal_key::{append_internal_key, compare_internal_keys, ValueType};
use strata_lsm::iter::db_iter::DbIter;

/// A cursor over fixed internal entries that fails (invalid, with a
/// corruption in `status`) when it moves onto entry `fail_at`, as a table
/// cursor does when the block holding that entry fails its checksum.
struct FailingCursor {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    at: Option<usize>,
    fail_at: usize,
    failed: bool,
}

impl FailingCursor {
    fn new(entries: &[(&str, u64, ValueType, &str)], fail_at: usize) -> Self {
        let mut entries: Vec<(Vec<u8>, Vec<u8>)> = entries
            .iter()
            .map(|(k, seq, t, v)| {
                let mut ikey = Vec::new();
                append_internal_key(&mut ikey, k.as_bytes(), *seq, *t);
                (ikey, v.as_bytes().to_vec())
            })
            .collect();
        entries.sort_by(|a, b| compare_internal_keys(&a.0, &b.0));
        FailingCursor {
            entries,
            at: None,
            fail_at,
            failed: false,
        }
    }

    fn land(&mut self, i: Option<usize>) {
        if i == Some(self.fail_at) {
            self.failed = true;
            self.at = None;
        } else {
            self.at = i;
        }
    }
}

impl KvIterator for FailingCursor {
    fn valid(&self) -> bool {
        self.at.is_some()
    }
    fn seek_to_first(&mut self) {
        self.land((!self.entries.is_empty()).then_some(0));
    }
    fn seek_to_last(&mut self) {
        self.land(self.entries.len().checked_sub(1));
    }
    fn seek(&mut self, target: &[u8]) {
        let i = self
            .entries
            .partition_point(|(k, _)| compare_internal_keys(k, target).is_lt());
        self.land((i < self.entries.len()).then_some(i));
    }
    fn next(&mut self) {
        let i = self.at.map(|i| i + 1).filter(|&i| i < self.entries.len());
        self.land(i);
    }
    fn prev(&mut self) {
        let i = self.at.and_then(|i| i.checked_sub(1));
        self.land(i);
    }
    fn key(&self) -> &[u8] {
        &self.entries[self.at.expect("valid")].0
    }
    fn value(&self) -> &[u8] {
        &self.entries[self.at.expect("valid")].1
    }
    fn status(&self) -> Result<()> {
        if self.failed {
            Err(Error::corruption(
                "000007.ldb",
                512,
                "block checksum mismatch",
            ))
        } else {
            Ok(())
        }
    }
}

/// Walking backwards, the database cursor meets a user key's older
/// entries first. When the cursor below fails before the newer entries
/// (the block holding them is damaged), it used to show the older value
/// as the key's value — a value overwritten long ago, and a key deleted
/// since — and report the error only afterwards.
#[test]
fn a_reverse_scan_stops_at_damage_instead_of_showing_an_older_value() {
    use ValueType::{Deletion, Value};
    // Internal order: a@5 (new), a@3 (old), b@6 (deleted), b@4, c@1.
    // a@5 and b@6 live in the damaged block.
    let cases: [(usize, &str); 2] = [(0, "a"), (2, "b")];
    for (fail_at, damaged_key) in cases {
        let inner = FailingCursor::new(
            &[
                ("a", 5, Value, "a-new"),
                ("a", 3, Value, "a-old"),
                ("b", 6, Deletion, ""),
                ("b", 4, Value, "b-old"),
                ("c", 1, Value, "c"),
            ],
            fail_at,
        );
        let mut it = DbIter::new(Box::new(inner), 10, Vec::new());
        it.seek_to_last();
        let mut shown = Vec::new();
        while it.valid() {
            shown.push((
                String::from_utf8_lossy(it.key()).into_owned(),
                String::from_utf8_lossy(it.value()).into_owned(),
            ));
            it.prev();
        }
        let newest = [("a", "a-new"), ("c", "c")];
        for (k, v) in &shown {
            assert!(
                newest.contains(&(k.as_str(), v.as_str())),
                "damage at {damaged_key}: the scan showed {k}={v}, which is not the newest \
                 state (shown: {shown:?})"
            );
        }
        assert!(
            it.status().is_err(),
            "damage at {damaged_key}: the scan ends with the error"
        );
    }
}
