//! `VersionEdit`: one change to the set of live files, as logged in the
//! MANIFEST (`db/version_edit.cc`).
//!
//! An edit is a sequence of tagged fields, each a varint32 tag followed by
//! its value; the tags and their order are LevelDB's, so either engine can
//! read the other's MANIFEST.

use crate::format::coding::{
    get_length_prefixed_slice, get_varint32, get_varint64, put_length_prefixed_slice, put_varint32,
    put_varint64,
};
use crate::format::internal_key::{InternalKey, SequenceNumber};
use std::collections::BTreeSet;
use std::fmt;

/// Number of levels in the tree; a level in an edit must be below it.
pub const NUM_LEVELS: usize = 7;

/// Field tags (`db/version_edit.cc`). Stored on disk: the values are fixed.
mod tag {
    pub const COMPARATOR: u32 = 1;
    pub const LOG_NUMBER: u32 = 2;
    pub const NEXT_FILE_NUMBER: u32 = 3;
    pub const LAST_SEQUENCE: u32 = 4;
    pub const COMPACT_POINTER: u32 = 5;
    pub const DELETED_FILE: u32 = 6;
    pub const NEW_FILE: u32 = 7;
    // 8 held large-value references in early LevelDB; it is rejected.
    pub const PREV_LOG_NUMBER: u32 = 9;
}

/// The persistent description of one table file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMetaData {
    /// The file's number (`NNNNNN.ldb`).
    pub number: u64,
    /// The file's size in bytes.
    pub file_size_bytes: u64,
    /// The smallest internal key in the file.
    pub smallest: InternalKey,
    /// The largest internal key in the file.
    pub largest: InternalKey,
}

/// A change to the set of live files and to the database's counters.
/// Fields that are `None` or empty are left unchanged by the edit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionEdit {
    /// Name of the user comparator (checked when the database is opened).
    pub comparator: Option<String>,
    /// Logs numbered below this one are no longer needed.
    pub log_number: Option<u64>,
    /// The log of the memtable being compacted when this was written
    /// (only by older LevelDB versions; 0 otherwise).
    pub prev_log_number: Option<u64>,
    /// The next file number to hand out.
    pub next_file_number: Option<u64>,
    /// The last sequence number used.
    pub last_sequence: Option<SequenceNumber>,
    /// Per level, the key where the next compaction of that level starts.
    pub compact_pointers: Vec<(u32, InternalKey)>,
    /// Files removed, as (level, file number).
    pub deleted_files: BTreeSet<(u32, u64)>,
    /// Files added, with their level.
    pub new_files: Vec<(u32, FileMetaData)>,
}

impl VersionEdit {
    /// An edit that changes nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resets every field to "unchanged".
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Records the user comparator's name.
    pub fn set_comparator_name(&mut self, name: &str) {
        self.comparator = Some(name.to_string());
    }

    /// Sets the oldest log still needed.
    pub fn set_log_number(&mut self, number: u64) {
        self.log_number = Some(number);
    }

    /// Sets the previous log number (0 in new databases).
    pub fn set_prev_log_number(&mut self, number: u64) {
        self.prev_log_number = Some(number);
    }

    /// Sets the next file number to hand out.
    pub fn set_next_file_number(&mut self, number: u64) {
        self.next_file_number = Some(number);
    }

    /// Sets the last sequence number used.
    pub fn set_last_sequence(&mut self, seq: SequenceNumber) {
        self.last_sequence = Some(seq);
    }

    /// Sets where the next compaction of `level` starts.
    pub fn set_compact_pointer(&mut self, level: u32, key: InternalKey) {
        debug_assert!((level as usize) < NUM_LEVELS, "level {level}");
        self.compact_pointers.push((level, key));
    }

    /// Adds the file `meta` at `level`.
    pub fn add_file(&mut self, level: u32, meta: FileMetaData) {
        debug_assert!((level as usize) < NUM_LEVELS, "level {level}");
        self.new_files.push((level, meta));
    }

    /// Removes file `number` from `level`.
    pub fn delete_file(&mut self, level: u32, number: u64) {
        debug_assert!((level as usize) < NUM_LEVELS, "level {level}");
        self.deleted_files.insert((level, number));
    }

    /// Appends the encoded edit to `dst`, fields in LevelDB's order.
    pub fn encode(&self, dst: &mut Vec<u8>) {
        if let Some(name) = &self.comparator {
            put_varint32(dst, tag::COMPARATOR);
            put_length_prefixed_slice(dst, name.as_bytes());
        }
        let numbers = [
            (tag::LOG_NUMBER, self.log_number),
            (tag::PREV_LOG_NUMBER, self.prev_log_number),
            (tag::NEXT_FILE_NUMBER, self.next_file_number),
            (tag::LAST_SEQUENCE, self.last_sequence),
        ];
        for (field_tag, value) in numbers {
            if let Some(v) = value {
                put_varint32(dst, field_tag);
                put_varint64(dst, v);
            }
        }
        for (level, key) in &self.compact_pointers {
            put_varint32(dst, tag::COMPACT_POINTER);
            put_varint32(dst, *level);
            put_length_prefixed_slice(dst, key.encoded());
        }
        for &(level, number) in &self.deleted_files {
            put_varint32(dst, tag::DELETED_FILE);
            put_varint32(dst, level);
            put_varint64(dst, number);
        }
        for (level, f) in &self.new_files {
            put_varint32(dst, tag::NEW_FILE);
            put_varint32(dst, *level);
            put_varint64(dst, f.number);
            put_varint64(dst, f.file_size_bytes);
            put_length_prefixed_slice(dst, f.smallest.encoded());
            put_length_prefixed_slice(dst, f.largest.encoded());
        }
    }

    /// Decodes an edit from `src`, which must hold exactly one.
    ///
    /// # Errors
    /// A reason in LevelDB's words (`"VersionEdit: unknown tag"`,
    /// `"VersionEdit: new-file entry"`, ...) if `src` is malformed: a
    /// truncated field, a level of [`NUM_LEVELS`] or more, an internal key
    /// that does not parse, an unknown tag, or trailing bytes.
    pub fn decode(src: &[u8]) -> Result<VersionEdit, String> {
        let mut edit = VersionEdit::default();
        let mut input = Input(src);
        while let Some(field_tag) = input.varint32() {
            let parsed = match field_tag {
                tag::COMPARATOR => input
                    .slice()
                    .and_then(|s| String::from_utf8(s.to_vec()).ok())
                    .map(|name| edit.comparator = Some(name))
                    .ok_or("comparator name"),
                tag::LOG_NUMBER => input
                    .varint64()
                    .map(|v| edit.log_number = Some(v))
                    .ok_or("log number"),
                tag::PREV_LOG_NUMBER => input
                    .varint64()
                    .map(|v| edit.prev_log_number = Some(v))
                    .ok_or("previous log number"),
                tag::NEXT_FILE_NUMBER => input
                    .varint64()
                    .map(|v| edit.next_file_number = Some(v))
                    .ok_or("next file number"),
                tag::LAST_SEQUENCE => input
                    .varint64()
                    .map(|v| edit.last_sequence = Some(v))
                    .ok_or("last sequence number"),
                tag::COMPACT_POINTER => input
                    .compact_pointer()
                    .map(|p| edit.compact_pointers.push(p))
                    .ok_or("compaction pointer"),
                tag::DELETED_FILE => input
                    .deleted_file()
                    .map(|d| {
                        edit.deleted_files.insert(d);
                    })
                    .ok_or("deleted file"),
                tag::NEW_FILE => input
                    .new_file()
                    .map(|f| edit.new_files.push(f))
                    .ok_or("new-file entry"),
                _ => Err("unknown tag"),
            };
            parsed.map_err(|what| format!("VersionEdit: {what}"))?;
        }
        if !input.0.is_empty() {
            // Bytes remain that do not even form a tag.
            return Err("VersionEdit: invalid tag".to_string());
        }
        Ok(edit)
    }
}

/// The unread rest of an encoded edit.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn varint32(&mut self) -> Option<u32> {
        let (v, n) = get_varint32(self.0)?;
        self.0 = &self.0[n..];
        Some(v)
    }

    fn varint64(&mut self) -> Option<u64> {
        let (v, n) = get_varint64(self.0)?;
        self.0 = &self.0[n..];
        Some(v)
    }

    fn slice(&mut self) -> Option<&'a [u8]> {
        let (s, n) = get_length_prefixed_slice(self.0)?;
        self.0 = &self.0[n..];
        Some(s)
    }

    fn level(&mut self) -> Option<u32> {
        self.varint32().filter(|&l| (l as usize) < NUM_LEVELS)
    }

    fn internal_key(&mut self) -> Option<InternalKey> {
        InternalKey::decode_from(self.slice()?)
    }

    fn compact_pointer(&mut self) -> Option<(u32, InternalKey)> {
        Some((self.level()?, self.internal_key()?))
    }

    fn deleted_file(&mut self) -> Option<(u32, u64)> {
        Some((self.level()?, self.varint64()?))
    }

    fn new_file(&mut self) -> Option<(u32, FileMetaData)> {
        let level = self.level()?;
        let number = self.varint64()?;
        let file_size_bytes = self.varint64()?;
        let smallest = self.internal_key()?;
        let largest = self.internal_key()?;
        Some((
            level,
            FileMetaData {
                number,
                file_size_bytes,
                smallest,
                largest,
            },
        ))
    }
}

impl fmt::Display for VersionEdit {
    /// LevelDB's `VersionEdit::DebugString` layout.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "VersionEdit {{")?;
        if let Some(name) = &self.comparator {
            writeln!(f, "  Comparator: {name}")?;
        }
        if let Some(n) = self.log_number {
            writeln!(f, "  LogNumber: {n}")?;
        }
        if let Some(n) = self.prev_log_number {
            writeln!(f, "  PrevLogNumber: {n}")?;
        }
        if let Some(n) = self.next_file_number {
            writeln!(f, "  NextFile: {n}")?;
        }
        if let Some(n) = self.last_sequence {
            writeln!(f, "  LastSeq: {n}")?;
        }
        for (level, key) in &self.compact_pointers {
            writeln!(f, "  CompactPointer: {level} {key:?}")?;
        }
        for (level, number) in &self.deleted_files {
            writeln!(f, "  RemoveFile: {level} {number}")?;
        }
        for (level, meta) in &self.new_files {
            writeln!(
                f,
                "  AddFile: {level} {} {} {:?} .. {:?}",
                meta.number, meta.file_size_bytes, meta.smallest, meta.largest
            )?;
        }
        write!(f, "}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::internal_key::{ValueType, MAX_SEQUENCE_NUMBER};
    use proptest::prelude::*;

    fn key(user_key: &[u8], seq: u64, t: ValueType) -> InternalKey {
        InternalKey::new(user_key, seq, t)
    }

    fn meta(number: u64, size: u64) -> FileMetaData {
        FileMetaData {
            number,
            file_size_bytes: size,
            smallest: key(b"a", 1, ValueType::Value),
            largest: key(b"z", 2, ValueType::Deletion),
        }
    }

    fn encoded(edit: &VersionEdit) -> Vec<u8> {
        let mut out = Vec::new();
        edit.encode(&mut out);
        out
    }

    #[test]
    fn hand_built_bytes_for_every_tag() {
        let mut edit = VersionEdit::new();
        // Set in an order different from the encoding's.
        edit.add_file(3, meta(11, 4096));
        edit.delete_file(2, 10);
        edit.set_compact_pointer(1, key(b"a", 9, ValueType::Value));
        edit.set_last_sequence(7);
        edit.set_next_file_number(300);
        edit.set_prev_log_number(3);
        edit.set_log_number(5);
        edit.set_comparator_name("leveldb.BytewiseComparator");

        let mut expected = vec![1, 26];
        expected.extend_from_slice(b"leveldb.BytewiseComparator");
        expected.extend_from_slice(&[2, 5]); // log number
        expected.extend_from_slice(&[9, 3]); // prev log number
        expected.extend_from_slice(&[3, 0xac, 0x02]); // next file 300
        expected.extend_from_slice(&[4, 7]); // last sequence
                                             // Compact pointer: level 1, key "a" @ 9 : Value (tag 0x901).
        expected.extend_from_slice(&[5, 1, 9, b'a', 0x01, 0x09, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[6, 2, 10]); // deleted file
                                                 // New file: level 3, number 11, size 4096, smallest, largest.
        expected.extend_from_slice(&[7, 3, 11, 0x80, 0x20]);
        expected.extend_from_slice(&[9, b'a', 0x01, 0x01, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[9, b'z', 0x00, 0x02, 0, 0, 0, 0, 0, 0]);

        assert_eq!(encoded(&edit), expected);
        assert_eq!(VersionEdit::decode(&expected), Ok(edit));
    }

    #[test]
    fn empty_edit_is_empty() {
        assert!(encoded(&VersionEdit::new()).is_empty());
        assert_eq!(VersionEdit::decode(&[]), Ok(VersionEdit::new()));
    }

    #[test]
    fn deleted_files_encode_sorted() {
        let mut edit = VersionEdit::new();
        edit.delete_file(4, 1);
        edit.delete_file(0, 9);
        edit.delete_file(0, 2);
        edit.delete_file(0, 2);
        assert_eq!(encoded(&edit), [6, 0, 2, 6, 0, 9, 6, 4, 1]);
    }

    #[test]
    fn large_values_round_trip() {
        // LevelDB's version_edit_test uses numbers beyond 32 bits.
        let big = 1u64 << 50;
        let mut edit = VersionEdit::new();
        for i in 0..4u64 {
            edit.add_file(
                3,
                FileMetaData {
                    number: big + 300 + i,
                    file_size_bytes: big + 400 + i,
                    smallest: key(b"foo", big + 500 + i, ValueType::Value),
                    largest: key(b"zoo", big + 600 + i, ValueType::Deletion),
                },
            );
            edit.delete_file(4, big + 700 + i);
            edit.set_compact_pointer(i as u32, key(b"x", big + 900 + i, ValueType::Value));
        }
        edit.set_comparator_name("foo");
        edit.set_log_number(big + 100);
        edit.set_next_file_number(big + 200);
        edit.set_last_sequence(MAX_SEQUENCE_NUMBER);
        let bytes = encoded(&edit);
        let decoded = VersionEdit::decode(&bytes).expect("round trip");
        assert_eq!(decoded, edit);
        assert_eq!(encoded(&decoded), bytes);
    }

    #[test]
    fn rejects_large_value_ref_and_unknown_tags() {
        assert_eq!(
            VersionEdit::decode(&[8, 1, 2, 3]),
            Err("VersionEdit: unknown tag".to_string())
        );
        assert_eq!(
            VersionEdit::decode(&[2, 5, 10, 0]),
            Err("VersionEdit: unknown tag".to_string())
        );
        assert_eq!(
            VersionEdit::decode(&[0]),
            Err("VersionEdit: unknown tag".to_string())
        );
    }

    #[test]
    fn rejects_levels_out_of_range() {
        assert_eq!(
            VersionEdit::decode(&[6, 7, 1]),
            Err("VersionEdit: deleted file".to_string())
        );
        assert_eq!(
            VersionEdit::decode(&[6, 6, 1]).map(|e| e.deleted_files.len()),
            Ok(1)
        );
        let mut bad_pointer = vec![5, 7, 9, b'a', 1, 9, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            VersionEdit::decode(&bad_pointer),
            Err("VersionEdit: compaction pointer".to_string())
        );
        bad_pointer[1] = 6;
        assert!(VersionEdit::decode(&bad_pointer).is_ok());
        let mut file = encoded(&{
            let mut e = VersionEdit::new();
            e.add_file(6, meta(1, 2));
            e
        });
        file[1] = 7;
        assert_eq!(
            VersionEdit::decode(&file),
            Err("VersionEdit: new-file entry".to_string())
        );
    }

    #[test]
    fn rejects_malformed_fields() {
        let cases: [(&[u8], &str); 9] = [
            (&[1, 5, b'a'], "comparator name"),
            (&[1, 2, 0xff, 0xfe], "comparator name"),
            (&[2], "log number"),
            (&[9, 0x80], "previous log number"),
            (&[3], "next file number"),
            (&[4, 0xff], "last sequence number"),
            // A compaction pointer whose key is too short to hold a tag.
            (&[5, 1, 3, b'a', b'b', b'c'], "compaction pointer"),
            // A new file whose smallest key has an unknown type byte.
            (
                &[7, 0, 1, 1, 9, b'a', 7, 0, 0, 0, 0, 0, 0, 0],
                "new-file entry",
            ),
            (&[6, 1], "deleted file"),
        ];
        for (bytes, what) in cases {
            assert_eq!(
                VersionEdit::decode(bytes),
                Err(format!("VersionEdit: {what}")),
                "{bytes:?}"
            );
        }
        // A trailing byte that does not form a tag.
        assert_eq!(
            VersionEdit::decode(&[2, 5, 0x80]),
            Err("VersionEdit: invalid tag".to_string())
        );
    }

    #[test]
    fn every_truncation_fails_or_decodes_a_prefix() {
        let mut edit = VersionEdit::new();
        edit.set_comparator_name("leveldb.BytewiseComparator");
        edit.set_log_number(12);
        edit.set_next_file_number(13);
        edit.set_last_sequence(1 << 40);
        edit.set_compact_pointer(2, key(b"middle", 77, ValueType::Value));
        edit.delete_file(1, 4);
        edit.add_file(1, meta(9, 123_456));
        let bytes = encoded(&edit);
        let mut field_ends = 0;
        for len in 0..bytes.len() {
            // A prefix is valid only if it ends between fields; then it
            // encodes back to itself.
            if let Ok(partial) = VersionEdit::decode(&bytes[..len]) {
                assert_eq!(encoded(&partial), &bytes[..len]);
                field_ends += 1;
            }
        }
        // The empty prefix plus the end of each of the first six fields.
        assert_eq!(field_ends, 7);
    }

    #[test]
    fn display_lists_fields() {
        let mut edit = VersionEdit::new();
        edit.set_log_number(4);
        edit.add_file(0, meta(7, 100));
        assert_eq!(
            edit.to_string(),
            "VersionEdit {\n  LogNumber: 4\n  AddFile: 0 7 100 'a' @ 1 : 1 .. 'z' @ 2 : 0\n}"
        );
    }

    fn key_strategy() -> impl Strategy<Value = InternalKey> {
        (
            proptest::collection::vec(any::<u8>(), 0..12),
            0..=MAX_SEQUENCE_NUMBER,
            any::<bool>(),
        )
            .prop_map(|(k, seq, del)| {
                let t = if del {
                    ValueType::Deletion
                } else {
                    ValueType::Value
                };
                InternalKey::new(&k, seq, t)
            })
    }

    fn edit_strategy() -> impl Strategy<Value = VersionEdit> {
        let level = 0u32..NUM_LEVELS as u32;
        let file = (any::<u64>(), any::<u64>(), key_strategy(), key_strategy()).prop_map(
            |(number, file_size_bytes, smallest, largest)| FileMetaData {
                number,
                file_size_bytes,
                smallest,
                largest,
            },
        );
        (
            proptest::option::of("[a-zA-Z.]{0,30}"),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u64>()),
            proptest::option::of(0..=MAX_SEQUENCE_NUMBER),
            proptest::collection::vec((level.clone(), key_strategy()), 0..4),
            proptest::collection::btree_set((level.clone(), any::<u64>()), 0..6),
            proptest::collection::vec((level, file), 0..4),
        )
            .prop_map(
                |(comparator, log, prev, next, last, pointers, deleted, files)| VersionEdit {
                    comparator,
                    log_number: log,
                    prev_log_number: prev,
                    next_file_number: next,
                    last_sequence: last,
                    compact_pointers: pointers,
                    deleted_files: deleted,
                    new_files: files,
                },
            )
    }

    proptest! {
        #[test]
        fn round_trip(edit in edit_strategy()) {
            let bytes = encoded(&edit);
            let decoded = VersionEdit::decode(&bytes).expect("decodes");
            prop_assert_eq!(&decoded, &edit);
            prop_assert_eq!(encoded(&decoded), bytes);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(edit) = VersionEdit::decode(&bytes) {
                // Whatever decodes re-encodes to something that decodes to
                // the same edit (the bytes may differ: field order, varint
                // padding).
                prop_assert_eq!(VersionEdit::decode(&encoded(&edit)), Ok(edit));
            }
        }

        #[test]
        fn flipped_edits_never_panic(edit in edit_strategy(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
            let mut bytes = encoded(&edit);
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] ^= 1 << bit;
                if let Ok(decoded) = VersionEdit::decode(&bytes) {
                    prop_assert_eq!(VersionEdit::decode(&encoded(&decoded)), Ok(decoded));
                }
            }
        }
    }
}
