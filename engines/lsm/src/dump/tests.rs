//! Whole-file dumps over an in-memory `Env`: the exact lines of each kind,
//! and damage reported after everything readable.

use super::*;
use crate::format::internal_key::{append_internal_key, ValueType};
use crate::table::{TableBuilder, TableOptions};
use crate::version::edit::VersionEdit;
use crate::wal::LogWriter;
use strata_api::{MemEnv, WriteBatch};

/// Writes `records` to a log-format file at `path`.
fn write_log(env: &MemEnv, path: &Path, records: &[&[u8]]) {
    let file = env.new_writable_file(path).expect("create log");
    let mut writer = LogWriter::new(file);
    for record in records {
        writer.add_record(record).expect("append record");
    }
    writer.close().expect("close log");
}

/// Dumps `path`, returning the outcome and everything printed.
fn dump(env: &MemEnv, path: &str) -> (Result<DumpOutcome, DumpError>, String) {
    let mut out = Vec::new();
    let outcome = dump_file(env, Path::new(path), &mut out);
    (outcome, String::from_utf8(out).expect("utf8 dump"))
}

fn batch(sequence: u64, ops: &[(&[u8], Option<&[u8]>)]) -> Vec<u8> {
    let mut b = WriteBatch::new();
    for (key, value) in ops {
        match value {
            Some(v) => b.put(key, v),
            None => b.delete(key),
        }
    }
    b.set_sequence(sequence);
    b.as_bytes().to_vec()
}

#[test]
fn escape_matches_leveldbutil() {
    assert_eq!(escape(b"k1 ~"), "k1 ~");
    assert_eq!(escape(b"a\x00\x7f\xff\n"), "a\\x00\\x7f\\xff\\x0a");
}

#[test]
fn a_log_prints_each_batch_with_its_count() {
    let env = MemEnv::new();
    let first = batch(1, &[(b"k1", Some(b"v1")), (b"k\x02", None)]);
    let second = batch(3, &[(b"a", Some(b""))]);
    write_log(&env, Path::new("/db/000003.log"), &[&first, &second]);
    let (outcome, text) = dump(&env, "/db/000003.log");
    assert_eq!(
        outcome.expect("clean log"),
        DumpOutcome::Dumped(FileType::Log)
    );
    let second_offset = 7 + first.len();
    assert_eq!(
        text,
        format!(
            "--- offset 0; sequence 1; count 2\n  put 'k1' 'v1'\n  del 'k\\x02'\n\
             --- offset {second_offset}; sequence 3; count 1\n  put 'a' ''\n"
        )
    );
}

#[test]
fn a_bad_record_is_reported_at_its_offset_after_the_rest_is_printed() {
    let env = MemEnv::new();
    let good = batch(5, &[(b"x", Some(b"y"))]);
    write_log(&env, Path::new("/db/000004.log"), &[b"abc", &good]);
    let (outcome, text) = dump(&env, "/db/000004.log");
    assert_eq!(
        text,
        "--- offset 0; log record length 3 is too small\n\
         --- offset 10; sequence 5; count 1\n  put 'x' 'y'\n"
    );
    match outcome {
        Err(DumpError::File(e)) => assert_eq!(
            e.to_string(),
            "corruption in /db/000004.log at offset 0: log record length 3 is too small"
        ),
        other => panic!("expected the short record's corruption, got {other:?}"),
    }
}

#[test]
fn a_checksum_failure_is_the_readers_corruption() {
    let env = MemEnv::new();
    let path = Path::new("/db/000005.log");
    let first = batch(1, &[(b"a", Some(b"1"))]);
    let second = batch(2, &[(b"b", Some(b"2"))]);
    write_log(&env, path, &[&first, &second]);
    let mut bytes = strata_api::env::read_file_to_vec(&env, path).expect("read log");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    strata_api::env::write_file(&env, path, &bytes, false).expect("rewrite log");
    let (outcome, text) = dump(&env, "/db/000005.log");
    assert_eq!(text, "--- offset 0; sequence 1; count 1\n  put 'a' '1'\n");
    match outcome {
        Err(DumpError::File(e)) => {
            let message = e.to_string();
            assert!(e.is_corruption(), "{message}");
            assert!(message.contains("/db/000005.log"), "{message}");
            assert!(message.contains("checksum mismatch"), "{message}");
        }
        other => panic!("expected a checksum corruption, got {other:?}"),
    }
}

#[test]
fn a_table_prints_every_internal_key() {
    let env = MemEnv::new();
    let path = Path::new("/db/000007.ldb");
    let file = env.new_writable_file(path).expect("create table");
    let mut builder = TableBuilder::new(TableOptions::default(), file);
    let mut key = Vec::new();
    append_internal_key(&mut key, b"a", 4, ValueType::Value);
    builder.add(&key, b"v\x00").expect("add a");
    key.clear();
    append_internal_key(&mut key, b"b", 3, ValueType::Deletion);
    builder.add(&key, b"").expect("add b");
    builder.finish().expect("finish table");
    let (outcome, text) = dump(&env, "/db/000007.ldb");
    assert_eq!(
        outcome.expect("clean table"),
        DumpOutcome::Dumped(FileType::Table)
    );
    assert_eq!(text, "'a' @ 4 : val => 'v\\x00'\n'b' @ 3 : del => ''\n");
}

#[test]
fn a_manifest_prints_each_edit() {
    let env = MemEnv::new();
    let mut edit = VersionEdit::new();
    edit.set_comparator_name("leveldb.BytewiseComparator");
    edit.set_log_number(3);
    let mut record = Vec::new();
    edit.encode(&mut record);
    write_log(&env, Path::new("/db/MANIFEST-000002"), &[&record, b"\xff"]);
    let (outcome, text) = dump(&env, "/db/MANIFEST-000002");
    let second_offset = 7 + record.len();
    assert!(
        text.starts_with(
            "--- offset 0; VersionEdit {\n  Comparator: leveldb.BytewiseComparator\n  \
             LogNumber: 3\n}\n"
        ),
        "{text}"
    );
    let bad_line = format!("--- offset {second_offset}; Corruption: ");
    assert!(text.contains(&bad_line), "{text}");
    match outcome {
        Err(DumpError::File(e)) => assert!(
            e.to_string().starts_with(&format!(
                "corruption in /db/MANIFEST-000002 at offset {second_offset}: "
            )),
            "{e}"
        ),
        other => panic!("expected the undecodable edit's corruption, got {other:?}"),
    }
}

#[test]
fn other_names_are_not_recognised_and_not_read() {
    let env = MemEnv::new();
    for name in [
        "/db/CURRENT",
        "/db/LOCK",
        "/db/notes.txt",
        "/db/000009.dbtmp",
    ] {
        let (outcome, text) = dump(&env, name);
        assert_eq!(outcome.expect(name), DumpOutcome::NotRecognised, "{name}");
        assert!(text.is_empty(), "{name}: {text}");
    }
}

#[test]
fn a_missing_file_is_an_io_error() {
    let env = MemEnv::new();
    let (outcome, text) = dump(&env, "/db/000011.log");
    assert!(text.is_empty(), "{text}");
    match outcome {
        Err(DumpError::File(e)) => assert!(!e.is_corruption(), "{e}"),
        other => panic!("expected an error reading the missing log, got {other:?}"),
    }
}
