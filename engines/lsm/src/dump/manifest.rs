//! Dumps a MANIFEST: each record is a `VersionEdit`, printed as LevelDB's
//! `VersionEdit::DebugString` prints it after `--- offset N; `.
//!
//! ```text
//! --- offset 0; VersionEdit {
//!   Comparator: leveldb.BytewiseComparator
//!   LogNumber: 3
//!   NextFile: 4
//!   LastSeq: 2
//!   RemoveFile: 0 5
//!   AddFile: 0 6 1020 'a' @ 1 : 1 .. 'z' @ 2 : 1
//! }
//! ```

use super::{escape, for_each_record, DumpError};
use crate::format::internal_key::InternalKey;
use crate::version::edit::VersionEdit;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use strata_api::{Env, Error};

/// Prints every edit of the MANIFEST at `path`.
///
/// # Errors
/// As [`for_each_record`]: a record that does not decode is a corruption
/// at its offset (its line shows LevelDB's reason).
pub(super) fn dump(
    env: &dyn Env,
    path: &Path,
    shown: &str,
    out: &mut dyn Write,
) -> Result<(), DumpError> {
    for_each_record(env, path, shown, |offset, record| {
        match VersionEdit::decode(record) {
            Ok(edit) => write!(out, "--- offset {offset}; {}", describe(&edit))?,
            Err(reason) => {
                writeln!(out, "--- offset {offset}; Corruption: {reason}")?;
                return Err(DumpError::File(Error::corruption(shown, offset, reason)));
            }
        }
        Ok(())
    })
}

/// LevelDB's `VersionEdit::DebugString`: the fields present, in its order.
fn describe(edit: &VersionEdit) -> String {
    let mut r = String::from("VersionEdit {");
    // Writing to a String cannot fail.
    if let Some(name) = &edit.comparator {
        let _ = write!(r, "\n  Comparator: {name}");
    }
    if let Some(n) = edit.log_number {
        let _ = write!(r, "\n  LogNumber: {n}");
    }
    if let Some(n) = edit.prev_log_number {
        let _ = write!(r, "\n  PrevLogNumber: {n}");
    }
    if let Some(n) = edit.next_file_number {
        let _ = write!(r, "\n  NextFile: {n}");
    }
    if let Some(n) = edit.last_sequence {
        let _ = write!(r, "\n  LastSeq: {n}");
    }
    for (level, key) in &edit.compact_pointers {
        let _ = write!(r, "\n  CompactPointer: {level} {}", key_debug(key));
    }
    for (level, number) in &edit.deleted_files {
        let _ = write!(r, "\n  RemoveFile: {level} {number}");
    }
    for (level, f) in &edit.new_files {
        let _ = write!(
            r,
            "\n  AddFile: {level} {} {} {} .. {}",
            f.number,
            f.file_size_bytes,
            key_debug(&f.smallest),
            key_debug(&f.largest)
        );
    }
    r.push_str("\n}\n");
    r
}

/// LevelDB's `InternalKey::DebugString`: `'user' @ seq : type`, or `(bad)`
/// and the escaped bytes.
fn key_debug(key: &InternalKey) -> String {
    match key.parsed() {
        Some(p) => format!(
            "'{}' @ {} : {}",
            escape(p.user_key),
            p.sequence,
            p.value_type as u8
        ),
        None => format!("(bad){}", escape(key.encoded())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::internal_key::ValueType;
    use crate::version::edit::FileMetaData;

    #[test]
    fn describes_every_field_in_leveldbs_order() {
        let mut edit = VersionEdit::new();
        edit.set_comparator_name("leveldb.BytewiseComparator");
        edit.set_log_number(3);
        edit.set_prev_log_number(0);
        edit.set_next_file_number(7);
        edit.set_last_sequence(42);
        edit.set_compact_pointer(1, InternalKey::new(b"m", 5, ValueType::Value));
        edit.delete_file(0, 5);
        edit.add_file(
            1,
            FileMetaData {
                number: 6,
                file_size_bytes: 1020,
                smallest: InternalKey::new(b"a", 1, ValueType::Value),
                largest: InternalKey::new(b"z\x00", 2, ValueType::Deletion),
            },
        );
        assert_eq!(
            describe(&edit),
            "VersionEdit {\n  Comparator: leveldb.BytewiseComparator\n  LogNumber: 3\n  \
             PrevLogNumber: 0\n  NextFile: 7\n  LastSeq: 42\n  CompactPointer: 1 'm' @ 5 : 1\n  \
             RemoveFile: 0 5\n  AddFile: 1 6 1020 'a' @ 1 : 1 .. 'z\\x00' @ 2 : 0\n}\n"
        );
    }
}
