//! Reads logical records back from a log (`db/log_reader.cc`).
//!
//! Corruption is skipped and reported to a [`Reporter`], exactly where and
//! as LevelDB 1.23's reader skips it; only I/O errors are returned as
//! errors. A header or record cut short at the end of the file is taken
//! to be a write the process did not finish, and reads as end of log.

use super::{RecordType, BLOCK_SIZE_BYTES, HEADER_SIZE_BYTES};
use crate::format::crc;
use strata_api::{Result, SequentialFile};

pub use super::reporter::{CollectingReporter, DroppedBytes, Reporter};

/// What one physical-record read produced.
enum Physical {
    /// A fragment with this raw type byte, whose payload is
    /// `backing[start..start + len]`.
    Fragment { kind: u8, start: usize, len: usize },
    /// End of the log.
    Eof,
    /// Bytes were skipped (reported already if they were corruption).
    Bad,
}

/// Reads the logical records of a log, front to back.
pub struct LogReader {
    file: Box<dyn SequentialFile>,
    file_name: String,
    reporter: Option<Box<dyn Reporter + Send>>,
    verify_checksums: bool,
    /// One block of the file; the unread part is `buf_start..buf_end`.
    backing: Box<[u8]>,
    buf_start: usize,
    buf_end: usize,
    /// The last read returned less than a block: the file ends in the
    /// buffer.
    eof: bool,
    last_record_offset: u64,
    /// File offset just past the end of the buffer.
    end_of_buffer_offset: u64,
    /// Records starting before this offset are skipped.
    initial_offset: u64,
    /// Skipping the MIDDLE and LAST fragments of a record that started
    /// before `initial_offset`.
    resyncing: bool,
    /// The reader has moved to the block holding `initial_offset`.
    at_initial_block: bool,
}

impl LogReader {
    /// A reader over `file` (named `file_name` in messages) that reports
    /// skipped corruption to `reporter`, checks checksums if
    /// `verify_checksums`, and returns only records that start at or after
    /// `initial_offset_bytes`.
    pub fn new(
        file: Box<dyn SequentialFile>,
        file_name: String,
        reporter: Option<Box<dyn Reporter + Send>>,
        verify_checksums: bool,
        initial_offset_bytes: u64,
    ) -> Self {
        LogReader {
            file,
            file_name,
            reporter,
            verify_checksums,
            backing: vec![0u8; BLOCK_SIZE_BYTES].into_boxed_slice(),
            buf_start: 0,
            buf_end: 0,
            eof: false,
            last_record_offset: 0,
            end_of_buffer_offset: 0,
            initial_offset: initial_offset_bytes,
            resyncing: initial_offset_bytes > 0,
            at_initial_block: initial_offset_bytes == 0,
        }
    }

    /// The name of the file being read.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// File offset of the first fragment of the record last returned by
    /// [`read_record`](LogReader::read_record).
    pub fn last_record_offset(&self) -> u64 {
        self.last_record_offset
    }

    /// Reads the next logical record into `record` (replacing its
    /// contents): `Ok(true)` if there was one, `Ok(false)` at the end of
    /// the log (then `record` is empty). Corrupt bytes are reported and
    /// skipped.
    ///
    /// # Errors
    /// `Io` if the file cannot be read; the reader then reads as ended.
    pub fn read_record(&mut self, record: &mut Vec<u8>) -> Result<bool> {
        if !self.at_initial_block {
            self.skip_to_initial_block()?;
        }
        record.clear();
        let mut in_fragmented_record = false;
        // Offset of the first fragment of the record being assembled.
        let mut prospective_record_offset = 0u64;
        loop {
            let physical = self.read_physical_record()?;
            if self.resyncing {
                match physical {
                    Physical::Fragment { kind, .. } if kind == RecordType::Middle as u8 => continue,
                    Physical::Fragment { kind, .. } if kind == RecordType::Last as u8 => {
                        self.resyncing = false;
                        continue;
                    }
                    _ => self.resyncing = false,
                }
            }
            let (kind, start, len) = match physical {
                Physical::Fragment { kind, start, len } => (kind, start, len),
                Physical::Eof => {
                    // A record whose remaining fragments were never written
                    // (the writer died): not corruption, just the end.
                    record.clear();
                    return Ok(false);
                }
                Physical::Bad => {
                    if in_fragmented_record {
                        self.report(
                            record.len() as u64,
                            "error in middle of record",
                            prospective_record_offset,
                        );
                        in_fragmented_record = false;
                        record.clear();
                    }
                    continue;
                }
            };
            let fragment_offset = self.physical_record_offset(len);
            let fragment = start..start + len;
            match RecordType::from_u8(kind) {
                Some(RecordType::Full) => {
                    // Earlier writers could leave an empty FIRST at a block's
                    // end before a FULL: only a non-empty partial is corrupt.
                    if in_fragmented_record && !record.is_empty() {
                        self.report(
                            record.len() as u64,
                            "partial record without end(1)",
                            prospective_record_offset,
                        );
                    }
                    record.clear();
                    record.extend_from_slice(&self.backing[fragment]);
                    self.last_record_offset = fragment_offset;
                    return Ok(true);
                }
                Some(RecordType::First) => {
                    if in_fragmented_record && !record.is_empty() {
                        self.report(
                            record.len() as u64,
                            "partial record without end(2)",
                            prospective_record_offset,
                        );
                    }
                    prospective_record_offset = fragment_offset;
                    record.clear();
                    record.extend_from_slice(&self.backing[fragment]);
                    in_fragmented_record = true;
                }
                Some(RecordType::Middle) => {
                    if in_fragmented_record {
                        record.extend_from_slice(&self.backing[fragment]);
                    } else {
                        self.report(
                            len as u64,
                            "missing start of fragmented record(1)",
                            fragment_offset,
                        );
                    }
                }
                Some(RecordType::Last) => {
                    if in_fragmented_record {
                        record.extend_from_slice(&self.backing[fragment]);
                        self.last_record_offset = prospective_record_offset;
                        return Ok(true);
                    }
                    self.report(
                        len as u64,
                        "missing start of fragmented record(2)",
                        fragment_offset,
                    );
                }
                Some(RecordType::Zero) | None => {
                    let (dropped, offset) = if in_fragmented_record {
                        (len + record.len(), prospective_record_offset)
                    } else {
                        (len, fragment_offset)
                    };
                    self.report(
                        dropped as u64,
                        &format!("unknown record type {kind}"),
                        offset,
                    );
                    in_fragmented_record = false;
                    record.clear();
                }
            }
        }
    }

    /// Bytes left unread in the buffer.
    fn buffered(&self) -> usize {
        self.buf_end - self.buf_start
    }

    /// File offset of the physical record just consumed, whose payload was
    /// `payload_len` bytes.
    fn physical_record_offset(&self, payload_len: usize) -> u64 {
        self.end_of_buffer_offset - (self.buffered() + HEADER_SIZE_BYTES + payload_len) as u64
    }

    /// Moves to the start of the first block that can hold a record at or
    /// after `initial_offset`.
    fn skip_to_initial_block(&mut self) -> Result<()> {
        self.at_initial_block = true;
        let block = BLOCK_SIZE_BYTES as u64;
        let offset_in_block = self.initial_offset % block;
        let mut block_start = self.initial_offset - offset_in_block;
        // A block tail too short for a header holds no record.
        if offset_in_block > block - (HEADER_SIZE_BYTES as u64 - 1) {
            block_start += block;
        }
        self.end_of_buffer_offset = block_start;
        if block_start > 0 {
            if let Err(e) = self.file.skip(block_start) {
                self.eof = true;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Reads the next block into the buffer, filling it unless the file
    /// ends first.
    fn read_block(&mut self) -> Result<()> {
        self.buf_start = 0;
        self.buf_end = 0;
        while self.buf_end < BLOCK_SIZE_BYTES {
            match self.file.read(&mut self.backing[self.buf_end..]) {
                Ok(0) => break,
                Ok(n) => self.buf_end += n,
                Err(e) => {
                    self.buf_end = 0;
                    self.eof = true;
                    return Err(e);
                }
            }
        }
        self.end_of_buffer_offset += self.buf_end as u64;
        if self.buf_end < BLOCK_SIZE_BYTES {
            self.eof = true;
        }
        Ok(())
    }

    /// Reads the next physical record, skipping block trailers.
    fn read_physical_record(&mut self) -> Result<Physical> {
        loop {
            if self.buffered() < HEADER_SIZE_BYTES {
                if self.eof {
                    // A header cut short at the end of the file: the writer
                    // died mid-header. End of log, not corruption.
                    self.buf_start = self.buf_end;
                    return Ok(Physical::Eof);
                }
                // The last read filled a block, so what is left is a
                // zero-filled trailer.
                self.read_block()?;
                continue;
            }
            let header = &self.backing[self.buf_start..self.buf_start + HEADER_SIZE_BYTES];
            let stored_crc = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
            let len = usize::from(u16::from_le_bytes([header[4], header[5]]));
            let kind = header[6];
            if HEADER_SIZE_BYTES + len > self.buffered() {
                let dropped = self.buffered();
                // A length field damaged to claim bytes past the end of the
                // file is not a torn write: the whole record is there.
                let damaged_length = self.eof
                    && self.verify_checksums
                    && whole_with_shorter_payload(
                        stored_crc,
                        &self.backing[self.buf_start + HEADER_SIZE_BYTES - 1..self.buf_end],
                    );
                self.buf_start = self.buf_end;
                if self.eof && !damaged_length {
                    // The payload was cut short by the end of the file: the
                    // writer died mid-record. End of log, not corruption.
                    return Ok(Physical::Eof);
                }
                let offset = self.end_of_buffer_offset - dropped as u64;
                self.report(dropped as u64, "bad record length", offset);
                return Ok(Physical::Bad);
            }
            if kind == RecordType::Zero as u8 && len == 0 {
                // Preallocated, zero-filled space (LevelDB's mmap writer):
                // skip the rest of the block without reporting it.
                self.buf_start = self.buf_end;
                return Ok(Physical::Bad);
            }
            let payload_start = self.buf_start + HEADER_SIZE_BYTES;
            if self.verify_checksums {
                // The checksum covers the type byte and the payload.
                let actual = crc::value(&self.backing[payload_start - 1..payload_start + len]);
                if actual != crc::unmask(stored_crc) {
                    // The length may be what is corrupt; trusting it could
                    // land inside a payload that happens to look like a
                    // record, so drop the rest of the block.
                    let dropped = self.buffered();
                    self.buf_start = self.buf_end;
                    let offset = self.end_of_buffer_offset - dropped as u64;
                    self.report(dropped as u64, "checksum mismatch", offset);
                    return Ok(Physical::Bad);
                }
            }
            self.buf_start = payload_start + len;
            if self.physical_record_offset(len) < self.initial_offset {
                // Starts before the first offset the caller wants.
                return Ok(Physical::Bad);
            }
            return Ok(Physical::Fragment {
                kind,
                start: payload_start,
                len,
            });
        }
    }

    /// Passes a drop to the reporter, unless the dropped bytes lie before
    /// `initial_offset` (LevelDB's rule: the caller asked to skip them).
    fn report(&mut self, bytes_dropped: u64, reason: &str, offset_bytes: u64) {
        let drop_start = self
            .end_of_buffer_offset
            .checked_sub(self.buffered() as u64)
            .and_then(|end| end.checked_sub(bytes_dropped));
        // LevelDB computes this in unsigned arithmetic, where an underflow
        // wraps to a huge value and so is reported.
        if drop_start.is_some_and(|start| start < self.initial_offset) {
            return;
        }
        if let Some(reporter) = self.reporter.as_mut() {
            reporter.corruption(bytes_dropped, reason, offset_bytes);
        }
    }
}

/// True if `rest` (a record's type byte, then every byte left in the file
/// after its header, fewer than its length field claims) holds the whole
/// record: the header's CRC matches the type byte and a prefix of the
/// payload that ends the file or is followed by an intact record. A writer
/// that died mid-record leaves a prefix that matches only by chance.
fn whole_with_shorter_payload(stored_crc: u32, rest: &[u8]) -> bool {
    let want = crc::unmask(stored_crc);
    let mut actual = crc::value(&rest[..1]);
    for end in 1..=rest.len() {
        if actual == want && (end == rest.len() || intact_record_at(&rest[end..])) {
            return true;
        }
        if end < rest.len() {
            actual = crc::extend(actual, &rest[end..=end]);
        }
    }
    false
}

/// True if `bytes` starts with a header whose payload lies within `bytes`
/// and matches its CRC.
fn intact_record_at(bytes: &[u8]) -> bool {
    if bytes.len() < HEADER_SIZE_BYTES {
        return false;
    }
    let stored = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let end = HEADER_SIZE_BYTES + usize::from(u16::from_le_bytes([bytes[4], bytes[5]]));
    end <= bytes.len() && crc::value(&bytes[HEADER_SIZE_BYTES - 1..end]) == crc::unmask(stored)
}

impl std::fmt::Debug for LogReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogReader")
            .field("file_name", &self.file_name)
            .field("last_record_offset", &self.last_record_offset)
            .field("end_of_buffer_offset", &self.end_of_buffer_offset)
            .finish_non_exhaustive()
    }
}
