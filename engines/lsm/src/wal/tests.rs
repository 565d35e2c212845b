//! Tests of the log format: writer layout against hand-built bytes, reader
//! recovery paths (after LevelDB's `db/log_test.cc`), and randomised
//! round trips and bit flips.

use super::*;
use crate::format::crc;
use proptest::prelude::*;
use std::path::Path;
use strata_api::env::read_file_to_vec;
use strata_api::{Env, Error, MemEnv, SequentialFile};

const BLOCK: usize = BLOCK_SIZE_BYTES;
const HEADER: usize = HEADER_SIZE_BYTES;
const LOG: &str = "/db/000001.log";

/// `n` bytes made of `pattern` repeated.
fn big(pattern: &str, n: usize) -> Vec<u8> {
    pattern.bytes().cycle().take(n).collect()
}

/// Writes `records` with a fresh writer; returns the file's bytes and the
/// writer's offset before each record.
fn write_records(records: &[Vec<u8>]) -> (Vec<u8>, Vec<u64>) {
    let env = MemEnv::new();
    let file = env.new_writable_file(Path::new(LOG)).expect("create log");
    let mut writer = LogWriter::new(file);
    let mut offsets = Vec::new();
    for r in records {
        offsets.push(writer.written_bytes());
        writer.add_record(r).expect("add record");
    }
    writer.close().expect("close");
    let bytes = read_file_to_vec(&env, Path::new(LOG)).expect("read back");
    assert_eq!(bytes.len() as u64, writer.written_bytes());
    (bytes, offsets)
}

fn log_of(records: &[&[u8]]) -> Vec<u8> {
    let owned: Vec<Vec<u8>> = records.iter().map(|r| r.to_vec()).collect();
    write_records(&owned).0
}

/// What a full read of a log produced.
struct ReadOutcome {
    records: Vec<Vec<u8>>,
    offsets: Vec<u64>,
    reporter: CollectingReporter,
}

impl ReadOutcome {
    fn dropped(&self) -> u64 {
        self.reporter.bytes_dropped()
    }

    fn reasons(&self) -> Vec<String> {
        self.reporter
            .drops()
            .into_iter()
            .map(|d| d.reason)
            .collect()
    }
}

fn open_reader(bytes: &[u8], initial_offset: u64, verify: bool) -> (LogReader, CollectingReporter) {
    let env = MemEnv::new();
    strata_api::env::write_file(&env, Path::new(LOG), bytes, false).expect("write log");
    let file = env.new_sequential_file(Path::new(LOG)).expect("open log");
    let reporter = CollectingReporter::new(LOG);
    let reader = LogReader::new(
        file,
        LOG.to_string(),
        Some(Box::new(reporter.clone())),
        verify,
        initial_offset,
    );
    (reader, reporter)
}

fn read_all_with(bytes: &[u8], initial_offset: u64, verify: bool) -> ReadOutcome {
    let (mut reader, reporter) = open_reader(bytes, initial_offset, verify);
    let mut records = Vec::new();
    let mut offsets = Vec::new();
    let mut record = Vec::new();
    while reader
        .read_record(&mut record)
        .expect("no I/O error in memory")
    {
        records.push(record.clone());
        offsets.push(reader.last_record_offset());
    }
    assert!(record.is_empty(), "end of log leaves the buffer empty");
    // The end is sticky.
    assert!(!reader.read_record(&mut record).expect("still no I/O error"));
    ReadOutcome {
        records,
        offsets,
        reporter,
    }
}

fn read_all(bytes: &[u8]) -> ReadOutcome {
    read_all_with(bytes, 0, true)
}

/// Rewrites the checksum of the physical record at `header_offset` with
/// `payload_len` bytes, as a writer would have.
fn fix_checksum(bytes: &mut [u8], header_offset: usize, payload_len: usize) {
    let covered = &bytes[header_offset + 6..header_offset + HEADER + payload_len];
    let masked = crc::mask(crc::value(covered));
    bytes[header_offset..header_offset + 4].copy_from_slice(&masked.to_le_bytes());
}

/// Walks a well-formed log by the spec: (offset, type, payload length) of
/// every physical record, checking each checksum and trailer.
fn layout(bytes: &[u8]) -> Vec<(usize, u8, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let left_in_block = BLOCK - pos % BLOCK;
        if left_in_block < HEADER {
            assert!(
                bytes[pos..pos + left_in_block].iter().all(|&b| b == 0),
                "trailer at {pos} is zeros"
            );
            pos += left_in_block;
            continue;
        }
        let len = usize::from(u16::from_le_bytes([bytes[pos + 4], bytes[pos + 5]]));
        let kind = bytes[pos + 6];
        let stored =
            u32::from_le_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]]);
        assert_eq!(
            crc::unmask(stored),
            crc::value(&bytes[pos + 6..pos + HEADER + len]),
            "checksum at {pos}"
        );
        out.push((pos, kind, len));
        pos += HEADER + len;
    }
    out
}

const FULL: u8 = RecordType::Full as u8;
const FIRST: u8 = RecordType::First as u8;
const MIDDLE: u8 = RecordType::Middle as u8;
const LAST: u8 = RecordType::Last as u8;

#[test]
fn record_type_bytes() {
    for t in 0..=RecordType::MAX {
        assert_eq!(RecordType::from_u8(t).map(|r| r as u8), Some(t));
    }
    assert_eq!(RecordType::from_u8(5), None);
    assert_eq!(RecordType::from_u8(0xff), None);
}

#[test]
fn hand_built_record() {
    let bytes = log_of(&[b"foo"]);
    // crc32c over the type byte then the payload, masked: rotate right 15
    // and add 0xa282ead8.
    let raw = crc32c::crc32c(&[1, b'f', b'o', b'o']);
    let masked = raw.rotate_right(15).wrapping_add(0xa282_ead8);
    let mut expected = masked.to_le_bytes().to_vec();
    expected.extend_from_slice(&[3, 0, 1]);
    expected.extend_from_slice(b"foo");
    assert_eq!(bytes, expected);
}

#[test]
fn empty_log_has_no_records() {
    let out = read_all(&[]);
    assert!(out.records.is_empty());
    assert!(out.reporter.is_empty());
}

#[test]
fn fragmentation_layout() {
    let sizes = [0usize, 1, 32761, 32762, 100_000];
    let records: Vec<Vec<u8>> = sizes.iter().map(|&n| big("xyz", n)).collect();
    let (bytes, offsets) = write_records(&records);
    let b = BLOCK;
    // 0 and 1 bytes: two FULL records (7 + 8 bytes). 32761 bytes cannot
    // fit the rest of block 0 (32746 available), so every later record is
    // split where the blocks fall.
    let expected = vec![
        (0, FULL, 0),
        (7, FULL, 1),
        (15, FIRST, 32746),
        (b, LAST, 32761 - 32746),
        (b + 22, FIRST, b - 22 - HEADER),
        (2 * b, LAST, 32762 - (b - 22 - HEADER)),
        (2 * b + 30, FIRST, b - 30 - HEADER),
        (3 * b, MIDDLE, 32761),
        (4 * b, MIDDLE, 32761),
        (5 * b, LAST, 100_000 - (b - 30 - HEADER) - 2 * 32761),
    ];
    assert_eq!(layout(&bytes), expected);
    assert_eq!(offsets, [0, 7, 15, b as u64 + 22, 2 * b as u64 + 30]);

    // A record of exactly one block's payload fills a fresh block.
    let (one, _) = write_records(&[big("a", 32761)]);
    assert_eq!(one.len(), b);
    assert_eq!(layout(&one), vec![(0, FULL, 32761)]);

    // One more byte spills into a LAST fragment of 1 byte.
    let (spill, _) = write_records(&[big("a", 32762)]);
    assert_eq!(layout(&spill), vec![(0, FIRST, 32761), (b, LAST, 1)]);

    // 100000 bytes: FIRST, two MIDDLEs, LAST of 100000 - 3 * 32761.
    let (large, _) = write_records(&[big("a", 100_000)]);
    assert_eq!(
        layout(&large),
        vec![
            (0, FIRST, 32761),
            (b, MIDDLE, 32761),
            (2 * b, MIDDLE, 32761),
            (3 * b, LAST, 100_000 - 3 * 32761)
        ]
    );
    assert_eq!(large.len(), 3 * b + HEADER + 1717);

    let out = read_all(&bytes);
    assert_eq!(out.records, records);
    assert_eq!(out.offsets, offsets);
    assert!(out.reporter.is_empty());
}

#[test]
fn block_tail_is_padded_with_zeros() {
    // Leaves 6 bytes in block 0: too few for a header.
    let first = big("p", BLOCK - HEADER - 6);
    let (bytes, offsets) = write_records(&[first.clone(), b"x".to_vec()]);
    assert_eq!(offsets, [0, (BLOCK - 6) as u64]);
    assert_eq!(&bytes[BLOCK - 6..BLOCK], &[0u8; 6]);
    assert_eq!(
        layout(&bytes),
        vec![(0, FULL, BLOCK - 13), (BLOCK, FULL, 1)]
    );
    let out = read_all(&bytes);
    assert_eq!(out.records, vec![first, b"x".to_vec()]);
    // The record is found at the start of block 1, past the trailer.
    assert_eq!(out.offsets, [0, BLOCK as u64]);
    assert!(out.reporter.is_empty());
}

#[test]
fn marginal_trailer_holds_an_empty_record() {
    // Leaves exactly a header's worth in block 0.
    let n = BLOCK - 2 * HEADER;
    let (bytes, _) = write_records(&[big("foo", n), Vec::new(), b"bar".to_vec()]);
    assert_eq!(
        layout(&bytes),
        vec![(0, FULL, n), (BLOCK - HEADER, FULL, 0), (BLOCK, FULL, 3)]
    );
    let out = read_all(&bytes);
    assert_eq!(
        out.records,
        vec![big("foo", n), Vec::new(), b"bar".to_vec()]
    );
    assert!(out.reporter.is_empty());
}

#[test]
fn marginal_trailer_starts_a_fragmented_record() {
    let n = BLOCK - 2 * HEADER;
    let (bytes, _) = write_records(&[big("foo", n), b"bar".to_vec()]);
    // An empty FIRST in the marginal trailer, the payload in a LAST.
    assert_eq!(
        layout(&bytes),
        vec![(0, FULL, n), (BLOCK - HEADER, FIRST, 0), (BLOCK, LAST, 3)]
    );
    let out = read_all(&bytes);
    assert_eq!(out.records, vec![big("foo", n), b"bar".to_vec()]);
    assert_eq!(out.offsets, [0, (BLOCK - HEADER) as u64]);
    assert_eq!(out.dropped(), 0);
}

#[test]
fn short_trailer_is_skipped() {
    let n = BLOCK - 2 * HEADER + 4;
    let (bytes, offsets) = write_records(&[big("foo", n), Vec::new(), b"bar".to_vec()]);
    assert_eq!(offsets[1], (BLOCK - HEADER + 4) as u64);
    let out = read_all(&bytes);
    assert_eq!(
        out.records,
        vec![big("foo", n), Vec::new(), b"bar".to_vec()]
    );
    assert_eq!(out.offsets, [0, BLOCK as u64, (BLOCK + HEADER) as u64]);
    assert!(out.reporter.is_empty());
}

#[test]
fn log_ending_inside_a_trailer() {
    let n = BLOCK - 2 * HEADER + 4;
    let (bytes, _) = write_records(&[big("foo", n)]);
    assert_eq!(bytes.len(), BLOCK - HEADER + 4);
    let out = read_all(&bytes);
    assert_eq!(out.records, vec![big("foo", n)]);
    assert!(out.reporter.is_empty());
}

#[test]
fn reopen_for_append() {
    let env = MemEnv::new();
    let path = Path::new(LOG);
    let mut writer = LogWriter::new(env.new_writable_file(path).expect("create"));
    writer.add_record(b"hello").expect("add");
    writer.add_record(&big("pad", BLOCK - 25)).expect("add");
    writer.sync().expect("sync");
    writer.close().expect("close");
    let length = env.file_size(path).expect("size");
    assert_eq!(length, (BLOCK - 6) as u64);

    // The appending writer knows where it is in the block: 6 bytes are
    // left, so it pads before writing.
    let mut writer = LogWriter::with_offset(env.new_appendable_file(path).expect("append"), length);
    writer.add_record(b"world").expect("add");
    writer.close().expect("close");
    assert_eq!(writer.written_bytes(), (BLOCK + HEADER + 5) as u64);

    let bytes = read_file_to_vec(&env, path).expect("read");
    let out = read_all(&bytes);
    assert_eq!(
        out.records,
        vec![b"hello".to_vec(), big("pad", BLOCK - 25), b"world".to_vec()]
    );
    assert_eq!(out.offsets[2], BLOCK as u64);
    assert!(out.reporter.is_empty());
}

#[test]
fn many_small_records_span_many_blocks() {
    let records: Vec<Vec<u8>> = (0..20_000).map(|i| format!("{i}.").into_bytes()).collect();
    let (bytes, offsets) = write_records(&records);
    assert!(bytes.len() > 5 * BLOCK);
    let out = read_all(&bytes);
    assert_eq!(out.records, records);
    let starts: Vec<u64> = offsets.iter().map(|&o| record_start(o)).collect();
    assert_eq!(out.offsets, starts);
    assert!(out.reporter.is_empty());
}

struct FailingFile;

impl SequentialFile for FailingFile {
    fn read(&mut self, _buf: &mut [u8]) -> strata_api::Result<usize> {
        Err(Error::io(LOG, std::io::Error::other("read error")))
    }
    fn skip(&mut self, _n: u64) -> strata_api::Result<()> {
        Err(Error::io(LOG, std::io::Error::other("skip error")))
    }
}

#[test]
fn read_error_is_returned_then_reads_end() {
    let mut reader = LogReader::new(Box::new(FailingFile), LOG.to_string(), None, true, 0);
    let mut record = Vec::new();
    let err = reader
        .read_record(&mut record)
        .expect_err("I/O error surfaces");
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(!reader.read_record(&mut record).expect("ended"));
    let mut reader = LogReader::new(
        Box::new(FailingFile),
        LOG.to_string(),
        None,
        true,
        BLOCK as u64,
    );
    assert!(
        reader.read_record(&mut record).is_err(),
        "skip error surfaces"
    );
}

/// A file that hands out at most 100 bytes per read: the reader must not
/// take a short read for the end of the file.
struct TrickleFile(Vec<u8>, usize);

impl SequentialFile for TrickleFile {
    fn read(&mut self, buf: &mut [u8]) -> strata_api::Result<usize> {
        let n = buf.len().min(100).min(self.0.len() - self.1);
        buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
        self.1 += n;
        Ok(n)
    }
    fn skip(&mut self, n: u64) -> strata_api::Result<()> {
        self.1 = (self.1 + n as usize).min(self.0.len());
        Ok(())
    }
}

#[test]
fn short_reads_are_not_end_of_file() {
    let records = vec![big("a", 40_000), b"b".to_vec(), big("c", 70_000)];
    let (bytes, _) = write_records(&records);
    let mut reader = LogReader::new(
        Box::new(TrickleFile(bytes, 0)),
        LOG.to_string(),
        None,
        true,
        0,
    );
    let mut got = Vec::new();
    let mut record = Vec::new();
    while reader.read_record(&mut record).expect("read") {
        got.push(record.clone());
    }
    assert_eq!(got, records);
}

#[test]
fn bad_record_type_is_reported() {
    let mut bytes = log_of(&[b"foo"]);
    bytes[6] += 100;
    fix_checksum(&mut bytes, 0, 3);
    let out = read_all(&bytes);
    assert!(out.records.is_empty());
    assert_eq!(out.dropped(), 3);
    assert_eq!(out.reasons(), ["unknown record type 101"]);
}

#[test]
fn zero_type_with_payload_is_unknown() {
    let mut bytes = log_of(&[b"foo", b"bar"]);
    bytes[6] = RecordType::Zero as u8;
    fix_checksum(&mut bytes, 0, 3);
    let out = read_all(&bytes);
    assert_eq!(out.records, vec![b"bar".to_vec()]);
    assert_eq!(out.reasons(), ["unknown record type 0"]);
}

#[test]
fn preallocated_zeros_are_skipped_silently() {
    let mut bytes = log_of(&[b"foo", b"bar"]);
    bytes.resize(2 * BLOCK + 100, 0);
    let out = read_all(&bytes);
    assert_eq!(out.records, vec![b"foo".to_vec(), b"bar".to_vec()]);
    assert!(out.reporter.is_empty());
}

#[test]
fn truncated_trailing_header_is_end_of_log() {
    let mut bytes = log_of(&[b"foo"]);
    bytes.truncate(bytes.len() - 4);
    let out = read_all(&bytes);
    assert!(out.records.is_empty());
    assert!(out.reporter.is_empty());
}

#[test]
fn bad_length_drops_the_block() {
    let mut bytes = log_of(&[&big("bar", BLOCK - HEADER), b"foo"]);
    // The low length byte: now longer than the block.
    bytes[4] += 1;
    let out = read_all(&bytes);
    assert_eq!(out.records, vec![b"foo".to_vec()]);
    assert_eq!(out.dropped(), BLOCK as u64);
    assert_eq!(out.reasons(), ["bad record length"]);
    assert_eq!(out.reporter.drops()[0].offset_bytes, 0);
}

#[test]
fn bad_length_at_end_is_end_of_log() {
    let mut bytes = log_of(&[b"foo"]);
    bytes.truncate(bytes.len() - 1);
    let out = read_all(&bytes);
    assert!(out.records.is_empty());
    assert!(out.reporter.is_empty());
}

#[test]
fn checksum_mismatch_drops_rest_of_block() {
    let mut bytes = log_of(&[b"foo"]);
    bytes[0] = bytes[0].wrapping_add(10);
    let out = read_all(&bytes);
    assert!(out.records.is_empty());
    assert_eq!(out.dropped(), 10);
    assert_eq!(out.reasons(), ["checksum mismatch"]);

    // Without verification the same bytes read back.
    let out = read_all_with(&bytes, 0, false);
    assert_eq!(out.records, vec![b"foo".to_vec()]);
}

#[test]
fn checksum_mismatch_names_file_and_offset() {
    let mut bytes = log_of(&[b"first", b"second", b"third"]);
    // Corrupt the payload of "second" (header at 12).
    bytes[12 + HEADER] ^= 1;
    let out = read_all(&bytes);
    assert_eq!(out.records, vec![b"first".to_vec()]);
    // The rest of the block, from "second" on, is dropped.
    assert_eq!(out.dropped(), (bytes.len() - 12) as u64);
    match out.reporter.first() {
        Some(Error::Corruption {
            file,
            offset_bytes,
            reason,
        }) => {
            assert_eq!(file, LOG);
            assert_eq!(offset_bytes, 12);
            assert_eq!(
                reason,
                format!("checksum mismatch ({} bytes dropped)", bytes.len() - 12)
            );
        }
        other => panic!("expected a corruption, got {other:?}"),
    }
}

#[test]
fn unexpected_middle_and_last_are_missing_start() {
    for (kind, suffix) in [(MIDDLE, "(1)"), (LAST, "(2)")] {
        let mut bytes = log_of(&[b"foo", b"ok"]);
        bytes[6] = kind;
        fix_checksum(&mut bytes, 0, 3);
        let out = read_all(&bytes);
        assert_eq!(out.records, vec![b"ok".to_vec()]);
        assert_eq!(out.dropped(), 3);
        assert_eq!(
            out.reasons(),
            [format!("missing start of fragmented record{suffix}")]
        );
    }
}

#[test]
fn first_without_last_before_full() {
    let mut bytes = log_of(&[b"foo", b"bar"]);
    bytes[6] = FIRST;
    fix_checksum(&mut bytes, 0, 3);
    let out = read_all(&bytes);
    assert_eq!(out.records, vec![b"bar".to_vec()]);
    assert_eq!(out.dropped(), 3);
    assert_eq!(out.reasons(), ["partial record without end(1)"]);
}

#[test]
fn first_without_last_before_first() {
    let mut bytes = log_of(&[b"foo", &big("bar", 100_000)]);
    bytes[6] = FIRST;
    fix_checksum(&mut bytes, 0, 3);
    let out = read_all(&bytes);
    assert_eq!(out.records, vec![big("bar", 100_000)]);
    assert_eq!(out.dropped(), 3);
    assert_eq!(out.reasons(), ["partial record without end(2)"]);
}

#[test]
fn missing_last_fragment_is_end_of_log() {
    let mut bytes = log_of(&[&big("bar", BLOCK)]);
    // Remove the LAST fragment, header included.
    bytes.truncate(bytes.len() - 14);
    assert_eq!(bytes.len(), BLOCK);
    let out = read_all(&bytes);
    assert!(out.records.is_empty());
    assert!(out.reporter.is_empty());
}

#[test]
fn partial_last_fragment_is_end_of_log() {
    let mut bytes = log_of(&[&big("bar", BLOCK)]);
    bytes.truncate(bytes.len() - 1);
    let out = read_all(&bytes);
    assert!(out.records.is_empty());
    assert!(out.reporter.is_empty());
}

#[test]
fn skip_into_multi_block_record() {
    let bytes = log_of(&[&big("foo", 3 * BLOCK), b"correct"]);
    let out = read_all_with(&bytes, BLOCK as u64, true);
    assert_eq!(out.records, vec![b"correct".to_vec()]);
    assert!(out.reporter.is_empty());
}

#[test]
fn error_does_not_join_records() {
    // foo: FIRST in block 0, LAST in block 1; bar: FIRST in block 1, LAST
    // in block 2. Wiping block 1 must not join foo's FIRST to bar's LAST.
    let mut bytes = log_of(&[&big("foo", BLOCK), &big("bar", BLOCK), b"correct"]);
    bytes[BLOCK..2 * BLOCK].fill(b'x');
    let out = read_all(&bytes);
    assert_eq!(out.records, vec![b"correct".to_vec()]);
    let dropped = out.dropped();
    assert!(
        (2 * BLOCK as u64..=2 * BLOCK as u64 + 100).contains(&dropped),
        "dropped {dropped}"
    );
    assert_eq!(
        out.reasons(),
        [
            "checksum mismatch",
            "error in middle of record",
            "missing start of fragmented record(2)"
        ]
    );
}

/// Record sizes chosen so that initial offsets land in every interesting
/// place (LevelDB's log_test uses the same shape).
fn initial_offset_log() -> (Vec<u8>, Vec<Vec<u8>>, Vec<u64>) {
    let sizes = [10_000, 10_000, 2 * BLOCK - 1000, 1, 13_716, BLOCK - HEADER];
    let records: Vec<Vec<u8>> = sizes.iter().zip(b'a'..).map(|(&n, c)| vec![c; n]).collect();
    let (bytes, _) = write_records(&records);
    let h = HEADER as u64;
    let b = BLOCK as u64;
    // Record 2 spans three blocks (three headers); record 4 leaves two
    // bytes of block 2, so record 5 starts block 3.
    let starts = vec![
        0,
        h + 10_000,
        2 * (h + 10_000),
        2 * (h + 10_000) + (2 * b - 1000) + 3 * h,
        2 * (h + 10_000) + (2 * b - 1000) + 3 * h + h + 1,
        3 * b,
    ];
    (bytes, records, starts)
}

#[test]
fn initial_offsets() {
    let (bytes, records, starts) = initial_offset_log();
    let b = BLOCK as u64;
    let cases: [(u64, usize); 13] = [
        (0, 0),
        (1, 1),
        (10_000, 1),
        (10_007, 1),
        (10_008, 2),
        (20_014, 2),
        (20_015, 3),
        (b - 4, 3),     // in block 0's trailer: start at block 1
        (b + 1, 3),     // inside record 2's MIDDLE
        (2 * b + 1, 3), // inside record 2's LAST
        (starts[3], 3),
        (starts[4], 4),
        (3 * b - 3, 5), // in block 2's trailer
    ];
    for (initial, first) in cases {
        let out = read_all_with(&bytes, initial, true);
        assert_eq!(out.records, records[first..], "initial offset {initial}");
        assert_eq!(out.offsets, starts[first..], "initial offset {initial}");
    }
    for past_end in [0, 5] {
        let out = read_all_with(&bytes, bytes.len() as u64 + past_end, true);
        assert!(out.records.is_empty());
    }
}

/// Reads a log after flipping `bit`: must not panic, must return only
/// written records in order, and either report corruption naming the file
/// or end cleanly after a prefix of the records.
fn check_flipped(bytes: &[u8], records: &[Vec<u8>], bit: usize) {
    let mut flipped = bytes.to_vec();
    flipped[bit / 8] ^= 1 << (bit % 8);
    let out = read_all(&flipped);
    let mut rest = records.iter();
    for got in &out.records {
        assert!(
            rest.any(|r| r == got),
            "bit {bit}: returned a record not written (or out of order)"
        );
    }
    match out.reporter.first() {
        Some(Error::Corruption {
            file, offset_bytes, ..
        }) => {
            assert_eq!(file, LOG, "bit {bit}");
            assert!(
                offset_bytes < flipped.len() as u64,
                "bit {bit}: offset {offset_bytes}"
            );
        }
        Some(other) => panic!("bit {bit}: unexpected {other:?}"),
        None => assert_eq!(
            out.records,
            records[..out.records.len()],
            "bit {bit}: a silent end must leave a prefix"
        ),
    }
}

#[test]
fn every_bit_flip_of_a_small_log_is_caught() {
    let records: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"a".to_vec(),
        b"hello".to_vec(),
        big("0123456789", 60),
        b"last".to_vec(),
    ];
    let (bytes, _) = write_records(&records);
    for bit in 0..bytes.len() * 8 {
        check_flipped(&bytes, &records, bit);
    }
}

#[test]
fn bit_flips_in_fragment_headers_are_caught() {
    let records: Vec<Vec<u8>> = vec![
        big("abc", 40_000),
        b"mid".to_vec(),
        big("xyz", 30_000),
        b"end".to_vec(),
    ];
    let (bytes, _) = write_records(&records);
    // Every header byte, plus the first and last payload byte of each
    // fragment and the zeros of any trailer.
    let mut positions = Vec::new();
    for (offset, _, len) in layout(&bytes) {
        positions.extend(offset..offset + HEADER);
        if len > 0 {
            positions.push(offset + HEADER);
            positions.push(offset + HEADER + len - 1);
        }
    }
    for byte in positions {
        for bit in 0..8 {
            check_flipped(&bytes, &records, byte * 8 + bit);
        }
    }
}

fn record_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => (32_700usize..32_800, any::<u8>()).prop_map(|(n, seed)| big_seeded(n, seed)),
        1 => (0usize..80_000, any::<u8>()).prop_map(|(n, seed)| big_seeded(n, seed)),
        // More fragments than the writer hands the file in one call.
        1 => (200_000usize..300_000, any::<u8>()).prop_map(|(n, seed)| big_seeded(n, seed)),
    ]
}

fn big_seeded(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Where a record written at `writer_offset` actually starts: past the
/// trailer if too few bytes are left in the block for a header.
fn record_start(writer_offset: u64) -> u64 {
    let b = BLOCK as u64;
    let left = b - writer_offset % b;
    if left < HEADER as u64 {
        writer_offset + left
    } else {
        writer_offset
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_logs_round_trip(records in proptest::collection::vec(record_strategy(), 0..12)) {
        let (bytes, offsets) = write_records(&records);
        let out = read_all(&bytes);
        prop_assert_eq!(&out.records, &records);
        let starts: Vec<u64> = offsets.iter().map(|&o| record_start(o)).collect();
        prop_assert_eq!(out.offsets, starts);
        prop_assert!(out.reporter.is_empty());
        // Every physical record is well formed.
        prop_assert!(!layout(&bytes).is_empty() || records.is_empty());
    }

    #[test]
    fn initial_offset_returns_the_records_starting_there(
        records in proptest::collection::vec(record_strategy(), 1..8),
        at in any::<prop::sample::Index>(),
    ) {
        let (bytes, offsets) = write_records(&records);
        let initial = at.index(bytes.len() + 10) as u64;
        let out = read_all_with(&bytes, initial, true);
        let expected: Vec<(u64, Vec<u8>)> = offsets
            .iter()
            .map(|&o| record_start(o))
            .zip(records.iter().cloned())
            .filter(|(start, _)| *start >= initial)
            .collect();
        let got: Vec<(u64, Vec<u8>)> = out.offsets.into_iter().zip(out.records).collect();
        prop_assert_eq!(got, expected);
    }
}
