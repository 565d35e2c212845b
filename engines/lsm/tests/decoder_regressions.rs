//! Regressions found by the corruption sweep (`tests/corruption_sweep.rs`),
//! each reduced to the decoder that misread damaged bytes.

use std::path::Path;
use std::sync::Arc;
use strata_api::env::read_file_to_vec;
use strata_api::{Engine, Env, Error, KvIterator, MemEnv, ReadOptions, Result, WriteOptions};
use strata_lsm::format::internal_key::{append_internal_key, compare_internal_keys, ValueType};
use strata_lsm::iter::db_iter::DbIter;
use strata_lsm::table::CompressionType;
use strata_lsm::wal::reader::{CollectingReporter, LogReader};
use strata_lsm::wal::writer::LogWriter;
use strata_lsm::{Db, DbOptions};

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

fn log_file(env: &MemEnv, path: &Path, records: &[&[u8]]) -> Vec<u8> {
    let mut w = LogWriter::new(env.new_writable_file(path).expect("create"));
    for r in records {
        w.add_record(r).expect("append");
    }
    w.close().expect("close");
    read_file_to_vec(env, path).expect("read back")
}

fn read_log(env: &MemEnv, path: &Path, bytes: &[u8]) -> (Vec<Vec<u8>>, CollectingReporter) {
    strata_api::env::write_file(env, path, bytes, false).expect("write");
    let reporter = CollectingReporter::new("000009.log");
    let mut reader = LogReader::new(
        env.new_sequential_file(path).expect("open"),
        "000009.log".into(),
        Some(Box::new(reporter.clone())),
        true,
        0,
    );
    let mut records = Vec::new();
    let mut record = Vec::new();
    while reader.read_record(&mut record).expect("read") {
        records.push(record.clone());
    }
    (records, reporter)
}

/// A length field damaged so that it claims more bytes than the file has
/// used to read as a torn write (end of log, nothing reported), even under
/// `paranoid_checks`: the records after it vanished silently, and a
/// MANIFEST opened an older version of the tree. The payload's CRC tells
/// the two apart: a torn write's prefix does not match it, an intact
/// payload under a damaged length does.
#[test]
fn a_damaged_length_in_the_last_block_is_reported_not_read_as_a_torn_tail() {
    let env = MemEnv::new();
    let path = Path::new("/000009.log");
    let records: [&[u8]; 3] = [b"first", b"second record", b"third"];
    let pristine = log_file(&env, path, &records);
    let second_at = 7 + records[0].len();
    let third_at = second_at + 7 + records[1].len();

    // The high length byte of a middle record, and of the last one.
    for (header_at, kept) in [(second_at, 1), (third_at, 2)] {
        let mut bytes = pristine.clone();
        bytes[header_at + 5] ^= 0x01;
        let (read, reporter) = read_log(&env, path, &bytes);
        assert_eq!(read.len(), kept, "records before the damage are read");
        let drops = reporter.drops();
        assert_eq!(drops.len(), 1, "the damage is reported: {drops:?}");
        assert_eq!(drops[0].reason, "bad record length");
        assert_eq!(drops[0].offset_bytes, header_at as u64);
    }

    // A real torn write (the file cut inside the last payload, or inside
    // its header) stays the silent end of the log.
    for cut in [third_at + 3, third_at + 7 + 2, pristine.len() - 1] {
        let (read, reporter) = read_log(&env, path, &pristine[..cut]);
        assert_eq!(read, vec![records[0].to_vec(), records[1].to_vec()]);
        assert!(reporter.is_empty(), "cut at {cut}: {:?}", reporter.drops());
    }
}

mod common;

/// Builds a database with two overlapping tables (200 keys written twice)
/// with uncompressed blocks, and returns the newer table's path.
fn two_overlapping_tables(dir: &Path) -> std::path::PathBuf {
    let db = Db::open(damage_options(), dir).expect("create");
    for round in ["old", "new"] {
        for i in 0..200 {
            db.put(
                &WriteOptions::default(),
                format!("k{i:03}").as_bytes(),
                format!("{round}-{i:03}").as_bytes(),
            )
            .expect("put");
        }
        db.flush().expect("flush");
        db.wait_for_background().expect("settle");
    }
    drop(db);
    let mut tables: Vec<_> = std::fs::read_dir(dir)
        .expect("list")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ldb"))
        .collect();
    tables.sort();
    assert!(tables.len() >= 2, "two tables: {tables:?}");
    tables.pop().expect("the newest table")
}

fn damage_options() -> DbOptions {
    DbOptions {
        create_if_missing: true,
        compression: CompressionType::None,
        block_size: 512,
        ..DbOptions::default()
    }
}

/// Without `paranoid_checks`, compactions read their inputs without
/// checking block CRCs (as LevelDB does). A damaged data block was then
/// merged as if intact: a flipped key byte put keys out of order and the
/// table builder's assertion panicked the background thread (and
/// `compact_range` then waited forever); a flipped value byte was written
/// into a new table with a valid CRC and served as data from then on.
#[test]
fn a_compaction_over_a_damaged_block_fails_instead_of_panicking_or_rewriting_it() {
    for (what, in_value) in [("key", false), ("value", true)] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let victim = two_overlapping_tables(tmp.path());
        let mut bytes = std::fs::read(&victim).expect("read table");
        let (regions, _) = common::table_regions(&bytes);
        let block = regions
            .iter()
            .find(|r| r.what == "data block")
            .expect("a data block");
        // The first entry of a block: shared 0, key length, value length
        // (one-byte varints here), key, value.
        let key_len = usize::from(bytes[block.start + 1]);
        let at = block.start + 3 + if in_value { key_len } else { 0 };
        bytes[at] ^= 0x80;
        std::fs::write(&victim, &bytes).expect("damage");

        let db = Arc::new(Db::open(damage_options(), tmp.path()).expect("reopen"));
        let (tx, rx) = std::sync::mpsc::channel();
        let compacting = Arc::clone(&db);
        std::thread::spawn(move || {
            let _ = tx.send(compacting.compact_range(None, None));
        });
        let outcome = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| {
                panic!("{what} damage: compact_range did not return (background thread died?)")
            });
        let err = outcome.expect_err("the compaction meets the damaged block");
        let name = victim.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(
            err.is_corruption() && err.to_string().contains(name),
            "{what} damage: {err}"
        );
        let verify = ReadOptions {
            verify_checksums: true,
            ..ReadOptions::default()
        };
        for i in 0..200 {
            match db.get(&verify, format!("k{i:03}").as_bytes()) {
                Ok(v) => assert_eq!(
                    v,
                    Some(format!("new-{i:03}").into_bytes()),
                    "{what} damage: key {i}"
                ),
                Err(e) => assert!(e.is_corruption(), "{what} damage: {e}"),
            }
        }
    }
}
