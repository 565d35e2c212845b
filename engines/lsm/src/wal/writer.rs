//! Appends logical records to a log (`db/log_writer.cc`).

use super::{RecordType, BLOCK_SIZE_BYTES, HEADER_SIZE_BYTES};
use crate::format::crc;
use strata_api::{Result, WritableFile};

/// Most physical records handed to the file in one `append_vectored`.
const FRAGMENTS_PER_CALL: usize = 7;

/// Zeros that fill a block tail too short for a header.
const TRAILER_ZEROS: [u8; HEADER_SIZE_BYTES - 1] = [0; HEADER_SIZE_BYTES - 1];

/// Writes logical records in the log format, fragmenting them across
/// 32 KiB blocks.
///
/// After any error the log's tail is unknown and the writer must not be
/// used for further records (the engine treats it as a background error).
pub struct LogWriter {
    file: Box<dyn WritableFile>,
    /// Offset of the next byte within the current block.
    block_offset_bytes: usize,
    /// Bytes in the file, including what existed before `with_offset`.
    written_bytes: u64,
    /// CRC-32C of each type byte, so a record's checksum is one `extend`
    /// over its payload.
    type_crc: [u32; RecordType::MAX as usize + 1],
}

impl LogWriter {
    /// A writer for an empty `file`.
    pub fn new(file: Box<dyn WritableFile>) -> Self {
        Self::with_offset(file, 0)
    }

    /// A writer appending to `file`, which already holds
    /// `dest_length_bytes` bytes of log.
    pub fn with_offset(file: Box<dyn WritableFile>, dest_length_bytes: u64) -> Self {
        let mut type_crc = [0u32; RecordType::MAX as usize + 1];
        for (t, seed) in (0u8..).zip(type_crc.iter_mut()) {
            *seed = crc::value(&[t]);
        }
        LogWriter {
            file,
            // The remainder is below BLOCK_SIZE_BYTES, so it fits a usize.
            block_offset_bytes: (dest_length_bytes % BLOCK_SIZE_BYTES as u64) as usize,
            written_bytes: dest_length_bytes,
            type_crc,
        }
    }

    /// Appends `payload` as one logical record (fragmented as needed) and
    /// flushes it to the operating system. Durable only after [`sync`].
    ///
    /// [`sync`]: LogWriter::sync
    ///
    /// # Errors
    /// `Io` from the file.
    pub fn add_record(&mut self, payload: &[u8]) -> Result<()> {
        let mut left = payload;
        let mut begin = true;
        loop {
            // Up to FRAGMENTS_PER_CALL fragments (a record of up to 7 blocks) go to
            // the file in one call, so that it sees the record's size: a
            // mapped log writes a large one through, headers and short
            // first and last fragments included.
            let mut headers = [[0u8; HEADER_SIZE_BYTES]; FRAGMENTS_PER_CALL];
            let mut fragments: [&[u8]; FRAGMENTS_PER_CALL] = [&[]; FRAGMENTS_PER_CALL];
            let mut padding_bytes = [0usize; FRAGMENTS_PER_CALL];
            let mut n = 0;
            let mut end = false;
            while n < FRAGMENTS_PER_CALL && !end {
                let leftover = BLOCK_SIZE_BYTES - self.block_offset_bytes;
                if leftover < HEADER_SIZE_BYTES {
                    // Too short for a header: pad with zeros, start a new
                    // block.
                    padding_bytes[n] = leftover;
                    self.written_bytes += leftover as u64;
                    self.block_offset_bytes = 0;
                }
                let available = BLOCK_SIZE_BYTES - self.block_offset_bytes - HEADER_SIZE_BYTES;
                let (fragment, rest) = left.split_at(left.len().min(available));
                end = rest.is_empty();
                let record_type = match (begin, end) {
                    (true, true) => RecordType::Full,
                    (true, false) => RecordType::First,
                    (false, true) => RecordType::Last,
                    (false, false) => RecordType::Middle,
                };
                headers[n] = self.header(record_type, fragment);
                fragments[n] = fragment;
                let record_bytes = HEADER_SIZE_BYTES + fragment.len();
                self.block_offset_bytes += record_bytes;
                self.written_bytes += record_bytes as u64;
                left = rest;
                begin = false;
                n += 1;
            }
            let mut parts: [&[u8]; 3 * FRAGMENTS_PER_CALL] = [&[]; 3 * FRAGMENTS_PER_CALL];
            let mut m = 0;
            for i in 0..n {
                if padding_bytes[i] > 0 {
                    parts[m] = &TRAILER_ZEROS[..padding_bytes[i]];
                    m += 1;
                }
                parts[m] = &headers[i];
                parts[m + 1] = fragments[i];
                m += 2;
            }
            self.file.append_vectored(&parts[..m])?;
            if end {
                break;
            }
        }
        self.file.flush()
    }

    /// The header of a physical record of `record_type` holding `fragment`.
    fn header(&self, record_type: RecordType, fragment: &[u8]) -> [u8; HEADER_SIZE_BYTES] {
        debug_assert!(
            self.block_offset_bytes + HEADER_SIZE_BYTES + fragment.len() <= BLOCK_SIZE_BYTES
        );
        // A fragment never exceeds a block, so its length fits 16 bits.
        let length = u16::try_from(fragment.len()).expect("fragment fits in a block");
        let checksum = crc::mask(crc::extend(self.type_crc[record_type as usize], fragment));
        let mut header = [0u8; HEADER_SIZE_BYTES];
        header[..4].copy_from_slice(&checksum.to_le_bytes());
        header[4..6].copy_from_slice(&length.to_le_bytes());
        header[6] = record_type as u8;
        header
    }

    /// Makes every record added so far durable.
    ///
    /// # Errors
    /// `Io` from the file.
    pub fn sync(&mut self) -> Result<()> {
        self.file.sync()
    }

    /// Flushes and closes the file.
    ///
    /// # Errors
    /// `Io` from the file.
    pub fn close(&mut self) -> Result<()> {
        self.file.close()
    }

    /// Length of the log file in bytes (the offset of the next record).
    pub fn written_bytes(&self) -> u64 {
        self.written_bytes
    }
}

impl std::fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogWriter")
            .field("written_bytes", &self.written_bytes)
            .field("block_offset_bytes", &self.block_offset_bytes)
            .finish_non_exhaustive()
    }
}
