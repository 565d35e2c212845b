//! Block handles, the footer, block trailers and reading a block back
//! (`table/format.cc`, `doc/table_format.md`).
//!
//! Every block in a table file is followed by a 5-byte trailer: the
//! compression type (1 byte) and the masked CRC-32C (fixed32) of the block
//! contents followed by that type byte.

use crate::format::coding::{
    decode_fixed32, decode_fixed64, get_varint64, put_fixed64, put_varint64,
};
use crate::format::crc;
use strata_api::env::MappedBytes;
use strata_api::{Error, RandomAccessFile, Result};

/// Longest encoding of a [`BlockHandle`]: two varint64s.
pub const MAX_BLOCK_HANDLE_BYTES: usize = 20;
/// Size of the encoded [`Footer`] at the end of every table.
pub const FOOTER_BYTES: usize = 2 * MAX_BLOCK_HANDLE_BYTES + 8;
/// The last 8 bytes of every table (LevelDB's `kTableMagicNumber`), stored
/// as a little-endian fixed64.
pub const TABLE_MAGIC_NUMBER: u64 = 0xdb47_7524_8b80_fb57;
/// Bytes after each block: compression type and masked CRC.
pub const BLOCK_TRAILER_BYTES: usize = 5;

/// How a block's contents are stored on disk (LevelDB's `CompressionType`;
/// the numbers are on disk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum CompressionType {
    /// Stored as is.
    None = 0,
    /// Snappy's raw format (no framing).
    Snappy = 1,
}

impl CompressionType {
    /// The type with on-disk number `b`, if any.
    pub fn from_u8(b: u8) -> Option<CompressionType> {
        match b {
            0 => Some(CompressionType::None),
            1 => Some(CompressionType::Snappy),
            _ => None,
        }
    }
}

/// Where a block lives in a table file: its offset and the size of its
/// contents, without the trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockHandle {
    /// Offset in bytes of the block's first byte.
    pub offset: u64,
    /// Size in bytes of the (possibly compressed) contents.
    pub size: u64,
}

impl BlockHandle {
    /// A handle to `size` bytes at `offset`.
    pub fn new(offset: u64, size: u64) -> Self {
        BlockHandle { offset, size }
    }

    /// Appends the handle as two varint64s (offset, then size).
    pub fn encode_to(&self, dst: &mut Vec<u8>) {
        put_varint64(dst, self.offset);
        put_varint64(dst, self.size);
    }

    /// The handle encoded at the front of `src` and the bytes it used, or
    /// `None` if `src` does not start with two valid varint64s. Bytes after
    /// the handle are ignored (LevelDB allows them for future use).
    pub fn decode_from(src: &[u8]) -> Option<(BlockHandle, usize)> {
        let (offset, n1) = get_varint64(src)?;
        let (size, n2) = get_varint64(src.get(n1..)?)?;
        Some((BlockHandle { offset, size }, n1 + n2))
    }

    /// Offset just past the block's trailer, if it does not overflow.
    pub fn end_with_trailer(&self) -> Option<u64> {
        self.offset
            .checked_add(self.size)?
            .checked_add(BLOCK_TRAILER_BYTES as u64)
    }
}

/// The fixed-size tail of every table: where the metaindex and index
/// blocks are, zero padding to 40 bytes, then the magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Footer {
    /// The metaindex block (names of meta blocks, e.g. the filter).
    pub metaindex_handle: BlockHandle,
    /// The index block (one entry per data block).
    pub index_handle: BlockHandle,
}

impl Footer {
    /// Appends exactly [`FOOTER_BYTES`] bytes.
    pub fn encode_to(&self, dst: &mut Vec<u8>) {
        let start = dst.len();
        self.metaindex_handle.encode_to(dst);
        self.index_handle.encode_to(dst);
        dst.resize(start + 2 * MAX_BLOCK_HANDLE_BYTES, 0);
        put_fixed64(dst, TABLE_MAGIC_NUMBER);
        debug_assert_eq!(dst.len() - start, FOOTER_BYTES);
    }

    /// Decodes the footer from `src`, the last [`FOOTER_BYTES`] of table
    /// `file_name`, which start at `offset_bytes`.
    ///
    /// # Errors
    /// `Corruption` at `offset_bytes` if `src` has the wrong length, the
    /// magic number is wrong, or a handle does not decode.
    pub fn decode(src: &[u8], file_name: &str, offset_bytes: u64) -> Result<Footer> {
        let bad = |reason: &str| Error::corruption(file_name, offset_bytes, reason);
        if src.len() != FOOTER_BYTES {
            return Err(bad("footer has the wrong length"));
        }
        let handles = &src[..2 * MAX_BLOCK_HANDLE_BYTES];
        if decode_fixed64(&src[2 * MAX_BLOCK_HANDLE_BYTES..]) != TABLE_MAGIC_NUMBER {
            return Err(bad("not an sstable (bad magic number)"));
        }
        let (metaindex_handle, n) =
            BlockHandle::decode_from(handles).ok_or_else(|| bad("bad metaindex block handle"))?;
        let (index_handle, _) =
            BlockHandle::decode_from(&handles[n..]).ok_or_else(|| bad("bad index block handle"))?;
        Ok(Footer {
            metaindex_handle,
            index_handle,
        })
    }
}

/// The trailer stored after `contents`: the type byte and the masked
/// CRC-32C of `contents` followed by the type byte.
pub fn block_trailer(contents: &[u8], compression: CompressionType) -> [u8; BLOCK_TRAILER_BYTES] {
    let type_byte = compression as u8;
    let crc = crc::extend(crc::value(contents), &[type_byte]);
    let masked = crc::mask(crc).to_le_bytes();
    [type_byte, masked[0], masked[1], masked[2], masked[3]]
}

/// Longest output snappy can produce per input byte is 64 bytes from a
/// 3-byte copy (about 21.4x); a header claiming more is corrupt, and
/// rejecting it avoids allocating gigabytes for a flipped length.
const SNAPPY_MAX_EXPANSION: usize = 22;

/// A block's uncompressed contents: owned (read with `pread`, or
/// decompressed), or a range of a memory-mapped table file served without
/// a copy. Mapped contents are not put in the block cache, as in LevelDB
/// (`BlockContents::cachable`): the page cache already holds them.
#[derive(Debug, Clone)]
pub enum BlockContents {
    /// Bytes owned by the block.
    Owned(Vec<u8>),
    /// A range of a memory-mapped file.
    Mapped(MappedBytes),
}

impl BlockContents {
    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match self {
            BlockContents::Owned(v) => v,
            BlockContents::Mapped(m) => m.as_slice(),
        }
    }

    /// True if the bytes are a range of a memory-mapped file (then not
    /// worth caching).
    pub fn is_mapped(&self) -> bool {
        matches!(self, BlockContents::Mapped(_))
    }

    /// The bytes as a vector (copied if mapped).
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            BlockContents::Owned(v) => v,
            BlockContents::Mapped(m) => m.as_slice().to_vec(),
        }
    }
}

impl From<Vec<u8>> for BlockContents {
    fn from(v: Vec<u8>) -> Self {
        BlockContents::Owned(v)
    }
}

/// Sizes of the block `handle` points at: contents alone, and with the
/// trailer, or `Corruption` if they overflow memory.
fn block_sizes(file_name: &str, handle: &BlockHandle) -> Result<(usize, usize)> {
    let bad = || Error::corruption(file_name, handle.offset, "block size overflows memory");
    let n = usize::try_from(handle.size).map_err(|_| bad())?;
    let total = n.checked_add(BLOCK_TRAILER_BYTES).ok_or_else(bad)?;
    Ok((n, total))
}

/// Reads the block `handle` points at in `file` (named `file_name` in
/// errors), checks its trailer's CRC if `verify_checksums`, and returns the
/// uncompressed contents: a range of the mapping, without a copy, if `file`
/// is memory-mapped and the block is stored uncompressed. Callers check
/// that the handle lies inside the file before calling, so a corrupt handle
/// cannot request a huge buffer.
///
/// # Errors
/// `Io` if the read fails; `Corruption` at `handle.offset` if the file ends
/// early, the CRC does not match, the type byte is unknown, or Snappy data
/// does not decompress.
pub fn read_block(
    file: &dyn RandomAccessFile,
    file_name: &str,
    handle: &BlockHandle,
    verify_checksums: bool,
) -> Result<BlockContents> {
    read_block_with(file, file_name, handle, verify_checksums, &mut |len| {
        vec![0; len]
    })
}

/// [`read_block`], decompressing a Snappy block into the buffer
/// `buffer(len)` returns: `len` bytes, any contents (a recycled buffer of
/// the block cache saves an allocation, a `memset` and a `free`).
///
/// # Errors
/// As [`read_block`].
pub fn read_block_with(
    file: &dyn RandomAccessFile,
    file_name: &str,
    handle: &BlockHandle,
    verify_checksums: bool,
    buffer: &mut dyn FnMut(usize) -> Vec<u8>,
) -> Result<BlockContents> {
    let (n, total) = block_sizes(file_name, handle)?;
    if let Some(raw) = file.read_mapped(handle.offset, total) {
        return decode_mapped_block(raw, file_name, handle, verify_checksums, buffer);
    }
    let mut buf = read_block_bytes(file, file_name, handle, total)?;
    match check_trailer(&buf, file_name, handle, verify_checksums)? {
        CompressionType::None => {
            buf.truncate(n);
            Ok(BlockContents::Owned(buf))
        }
        CompressionType::Snappy => {
            snappy_uncompress(&buf[..n], file_name, handle, buffer).map(BlockContents::Owned)
        }
    }
}

/// The mapped range of the block `handle` points at, trailer included, if
/// `file` is memory-mapped over it; all its cache lines are requested from
/// memory at once (the misses of reading a block that is not in the
/// processor's caches overlap instead of following each other). Decode it
/// with [`decode_mapped_block`].
///
/// # Errors
/// `Corruption` if the handle's size overflows memory.
pub fn map_block(
    file: &dyn RandomAccessFile,
    file_name: &str,
    handle: &BlockHandle,
) -> Result<Option<MappedBytes>> {
    let (_, total) = block_sizes(file_name, handle)?;
    let raw = file.read_mapped(handle.offset, total);
    if let Some(raw) = &raw {
        // Every line at once: the decoder then streams from lines already
        // on their way instead of missing on each one in turn (a hardware
        // prefetcher does not cross the 4 KiB pages the block spans).
        let bytes = raw.as_slice();
        for line in bytes.iter().step_by(CACHE_LINE_BYTES) {
            prefetch_line(Some(line));
        }
        prefetch_line(bytes.last());
    }
    Ok(raw)
}

/// True if a mapped block (with its trailer) is stored uncompressed: its
/// type byte only, no CRC; [`decode_mapped_block`] checks again.
pub fn mapped_block_is_uncompressed(raw: &[u8]) -> bool {
    raw.len() > BLOCK_TRAILER_BYTES
        && raw[raw.len() - BLOCK_TRAILER_BYTES] == CompressionType::None as u8
}

/// Bytes of a processor cache line (x86-64).
const CACHE_LINE_BYTES: usize = 64;

/// Hints the processor to start loading the cache line holding `byte`.
#[inline(always)]
fn prefetch_line(byte: Option<&u8>) {
    #[cfg(target_arch = "x86_64")]
    if let Some(byte) = byte {
        // SAFETY: a prefetch is a hint that never faults; the address is
        // a valid reference besides.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                std::ptr::from_ref(byte).cast::<i8>(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = byte;
}

/// Checks and decodes `raw`, the mapped block `handle` points at with its
/// trailer (from [`map_block`]), as [`read_block`] does with bytes it
/// reads: an uncompressed block stays a range of the mapping, a Snappy one
/// is decompressed into `buffer(len)`.
///
/// # Errors
/// As [`read_block`].
pub fn decode_mapped_block(
    mut raw: MappedBytes,
    file_name: &str,
    handle: &BlockHandle,
    verify_checksums: bool,
    buffer: &mut dyn FnMut(usize) -> Vec<u8>,
) -> Result<BlockContents> {
    let n = raw.len().saturating_sub(BLOCK_TRAILER_BYTES);
    match check_trailer(&raw, file_name, handle, verify_checksums)? {
        CompressionType::None => {
            raw.truncate(n);
            Ok(BlockContents::Mapped(raw))
        }
        CompressionType::Snappy => {
            snappy_uncompress(&raw[..n], file_name, handle, buffer).map(BlockContents::Owned)
        }
    }
}

/// Reads the `total` bytes (block and trailer) at `handle` with `pread`,
/// straight into fresh capacity (zero-filling first cost a `memset` of
/// every block read).
///
/// # Errors
/// `Io` from the read; `Corruption` if the file ends early.
fn read_block_bytes(
    file: &dyn RandomAccessFile,
    file_name: &str,
    handle: &BlockHandle,
    total: usize,
) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(total);
    let read = file.read_at_into(handle.offset, total, &mut buf)?;
    if read != total {
        return Err(Error::corruption(
            file_name,
            handle.offset,
            "truncated block read",
        ));
    }
    Ok(buf)
}

/// The block `handle` points at exactly as stored, trailer included: a
/// range of the mapping if `file` is memory-mapped, else read. Checks the
/// trailer's type byte, and its CRC if `verify_read_checksums` and the
/// bytes were read: mapped bytes are the very bytes a cursor that opened
/// the block decoded, and checked then if it checks at all (unless it
/// found the block in the block cache). Either way a copy keeps the stored
/// CRC, so damage copied is still caught where it is read, never given a
/// fresh CRC as a rebuilt block would.
///
/// # Errors
/// As [`read_block`], except that nothing is decompressed.
pub fn read_stored_block(
    file: &dyn RandomAccessFile,
    file_name: &str,
    handle: &BlockHandle,
    verify_read_checksums: bool,
) -> Result<BlockContents> {
    let (_, total) = block_sizes(file_name, handle)?;
    let mut verify = false;
    let stored = match file.read_mapped(handle.offset, total) {
        Some(raw) => BlockContents::Mapped(raw),
        None => {
            verify = verify_read_checksums;
            BlockContents::Owned(read_block_bytes(file, file_name, handle, total)?)
        }
    };
    check_trailer(stored.as_slice(), file_name, handle, verify)?;
    Ok(stored)
}

/// Checks the trailer at the end of `raw` (a block and its trailer): the
/// CRC if `verify_checksums`, and the type byte, which it returns.
fn check_trailer(
    raw: &[u8],
    file_name: &str,
    handle: &BlockHandle,
    verify_checksums: bool,
) -> Result<CompressionType> {
    let bad = |reason: &str| Error::corruption(file_name, handle.offset, reason);
    let Some(n) = raw.len().checked_sub(BLOCK_TRAILER_BYTES) else {
        return Err(bad("truncated block read"));
    };
    let type_byte = raw[n];
    if verify_checksums {
        let stored = crc::unmask(decode_fixed32(&raw[n + 1..]));
        let actual = crc::value(&raw[..n + 1]);
        if stored != actual {
            return Err(bad("block checksum mismatch"));
        }
    }
    CompressionType::from_u8(type_byte).ok_or_else(|| bad("bad block type"))
}

/// Decompresses a Snappy block's contents into `buffer(len)`.
fn snappy_uncompress(
    compressed: &[u8],
    file_name: &str,
    handle: &BlockHandle,
    buffer: &mut dyn FnMut(usize) -> Vec<u8>,
) -> Result<Vec<u8>> {
    let bad = |reason: &str| Error::corruption(file_name, handle.offset, reason);
    let n = compressed.len();
    let ulen = snap::raw::decompress_len(compressed)
        .map_err(|_| bad("corrupted snappy compressed block length"))?;
    if ulen > n.saturating_mul(SNAPPY_MAX_EXPANSION).saturating_add(64) {
        return Err(bad("corrupted snappy compressed block length"));
    }
    let mut out = buffer(ulen);
    debug_assert_eq!(out.len(), ulen);
    let written = snap::raw::Decoder::new()
        .decompress(compressed, &mut out)
        .map_err(|_| bad("corrupted snappy compressed block contents"))?;
    if written != ulen {
        return Err(bad("corrupted snappy compressed block contents"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::sync::Arc;
    use strata_api::env::write_file;
    use strata_api::{Env, MemEnv, PosixEnv};

    fn corruption_at(err: &Error) -> (String, u64, String) {
        match err {
            Error::Corruption {
                file,
                offset_bytes,
                reason,
            } => (file.clone(), *offset_bytes, reason.clone()),
            other => panic!("expected corruption, got {other}"),
        }
    }

    #[test]
    fn handle_hand_built_bytes() {
        let h = BlockHandle::new(300, 5);
        let mut buf = Vec::new();
        h.encode_to(&mut buf);
        // 300 = 0b10_0101100 -> [0xac, 0x02]; 5 -> [0x05]
        assert_eq!(buf, [0xac, 0x02, 0x05]);
        buf.push(0xee); // trailing bytes are allowed and ignored
        assert_eq!(BlockHandle::decode_from(&buf), Some((h, 3)));
        assert_eq!(BlockHandle::decode_from(&[0xac, 0x02]), None);
        let mut max = Vec::new();
        BlockHandle::new(u64::MAX, u64::MAX).encode_to(&mut max);
        assert_eq!(max.len(), MAX_BLOCK_HANDLE_BYTES);
    }

    #[test]
    fn footer_byte_by_byte() {
        let footer = Footer {
            metaindex_handle: BlockHandle::new(1000, 20),
            index_handle: BlockHandle::new(1025, 128),
        };
        let mut buf = Vec::new();
        footer.encode_to(&mut buf);
        let mut expected = vec![
            0xe8, 0x07, // 1000
            0x14, // 20
            0x81, 0x08, // 1025
            0x80, 0x01, // 128
        ];
        expected.resize(40, 0);
        // Magic 0xdb4775248b80fb57, little-endian.
        expected.extend_from_slice(&[0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]);
        assert_eq!(buf, expected);
        assert_eq!(Footer::decode(&buf, "f", 9).expect("decodes"), footer);
    }

    #[test]
    fn bad_footers_are_corruption_at_the_footer() {
        let mut buf = Vec::new();
        Footer::default().encode_to(&mut buf);
        let mut bad_magic = buf.clone();
        bad_magic[47] ^= 1;
        let err = Footer::decode(&bad_magic, "t.ldb", 500).expect_err("bad magic");
        assert_eq!(corruption_at(&err).1, 500);
        assert!(corruption_at(&err).2.contains("magic"));
        let mut bad_handle = buf.clone();
        bad_handle[..40].fill(0x80); // unterminated varints
        let err = Footer::decode(&bad_handle, "t.ldb", 500).expect_err("bad handle");
        assert_eq!(corruption_at(&err).0, "t.ldb");
        assert!(Footer::decode(&buf[1..], "t.ldb", 500).is_err());
    }

    #[test]
    fn trailer_crc_by_hand() {
        // CRC-32C("abc" ++ [0]) computed from the Castagnoli polynomial
        // bit by bit (reflected 0x82f63b78), then masked as LevelDB does.
        fn crc32c_bitwise(data: &[u8]) -> u32 {
            let mut crc = !0u32;
            for &b in data {
                crc ^= u32::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 {
                        (crc >> 1) ^ 0x82f6_3b78
                    } else {
                        crc >> 1
                    };
                }
            }
            !crc
        }
        let crc = crc32c_bitwise(b"abc\x00");
        let masked = crc.rotate_right(15).wrapping_add(0xa282_ead8);
        let t = block_trailer(b"abc", CompressionType::None);
        assert_eq!(t[0], 0);
        assert_eq!(&t[1..], &masked.to_le_bytes());
        let t = block_trailer(b"abc", CompressionType::Snappy);
        assert_eq!(t[0], 1);
        let masked = crc32c_bitwise(b"abc\x01")
            .rotate_right(15)
            .wrapping_add(0xa282_ead8);
        assert_eq!(&t[1..], &masked.to_le_bytes());
    }

    /// `data` as a file of every kind `read_block` serves: in memory, and
    /// through `PosixEnv` (memory-mapped, so blocks come from the mapping).
    /// The temporary directory must outlive the files' use.
    fn files_with(data: &[u8]) -> (tempfile::TempDir, Vec<Arc<dyn RandomAccessFile>>) {
        let mem = MemEnv::new();
        write_file(&mem, Path::new("/b"), data, false).expect("write");
        let in_memory = mem.new_random_access_file(Path::new("/b")).expect("open");
        assert!(in_memory.read_mapped(0, 1).is_none());
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("b.ldb");
        std::fs::write(&path, data).expect("write");
        let posix = PosixEnv::new().new_random_access_file(&path).expect("open");
        (dir, vec![in_memory, posix])
    }

    /// True if `file` maps the block and says it is stored uncompressed.
    fn mapped_uncompressed_for_tests(file: &dyn RandomAccessFile, handle: &BlockHandle) -> bool {
        map_block(file, "b", handle)
            .expect("sizes fit")
            .is_some_and(|raw| mapped_block_is_uncompressed(&raw))
    }

    #[test]
    fn read_block_round_trips_both_types() {
        let raw = b"hello hello hello hello hello hello".to_vec();
        let compressed = snap::raw::Encoder::new()
            .compress_vec(&raw)
            .expect("compress");
        let mut file = b"junk".to_vec();
        let plain_at = file.len() as u64;
        file.extend_from_slice(&raw);
        file.extend_from_slice(&block_trailer(&raw, CompressionType::None));
        let snappy_at = file.len() as u64;
        file.extend_from_slice(&compressed);
        file.extend_from_slice(&block_trailer(&compressed, CompressionType::Snappy));
        let plain = BlockHandle::new(plain_at, raw.len() as u64);
        let snappy = BlockHandle::new(snappy_at, compressed.len() as u64);
        let (_dir, files) = files_with(&file);
        for f in &files {
            let mapped = f.read_mapped(0, 1).is_some();
            assert_eq!(mapped_uncompressed_for_tests(&**f, &plain), mapped);
            assert!(!mapped_uncompressed_for_tests(&**f, &snappy));
            for verify in [false, true] {
                let p = read_block(&**f, "b", &plain, verify).expect("plain");
                assert_eq!(p.as_slice(), raw);
                assert_eq!(p.is_mapped(), mapped, "uncompressed: from the map");
                let s = read_block(&**f, "b", &snappy, verify).expect("snappy");
                assert_eq!(s.as_slice(), raw);
                assert!(!s.is_mapped(), "decompressed: owned");
                assert_eq!(s.into_vec(), raw);
            }
        }
    }

    #[test]
    fn read_block_failures_name_file_and_block() {
        let raw = b"0123456789".to_vec();
        let mut file = raw.clone();
        file.extend_from_slice(&block_trailer(&raw, CompressionType::None));
        let handle = BlockHandle::new(0, raw.len() as u64);

        let mut flipped = file.clone();
        flipped[3] ^= 0x10;
        let (_dir, files) = files_with(&flipped);
        for f in &files {
            let err = read_block(&**f, "x.ldb", &handle, true).expect_err("crc");
            assert_eq!(
                corruption_at(&err),
                ("x.ldb".into(), 0, "block checksum mismatch".into())
            );
            // Without verification the flipped byte goes unnoticed, as in LevelDB.
            assert!(read_block(&**f, "x.ldb", &handle, false).is_ok());
        }

        // Cut inside the trailer (the type byte is there, the CRC is not),
        // and before the type byte.
        for cut in [12, 10] {
            let (_dir, files) = files_with(&file[..cut]);
            for f in &files {
                let err = read_block(&**f, "x.ldb", &handle, true).expect_err("short");
                assert_eq!(corruption_at(&err).2, "truncated block read");
                if cut == 10 {
                    assert!(
                        !mapped_uncompressed_for_tests(&**f, &handle),
                        "no type byte"
                    );
                }
            }
        }

        let mut bad_type = raw.clone();
        bad_type.extend_from_slice(&[7, 0, 0, 0, 0]);
        let (_dir, files) = files_with(&bad_type);
        for f in &files {
            let err = read_block(&**f, "x.ldb", &handle, false).expect_err("type");
            assert_eq!(corruption_at(&err).2, "bad block type");
        }

        // Snappy type over bytes that are not snappy data.
        let mut not_snappy = vec![0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2];
        let h = BlockHandle::new(0, not_snappy.len() as u64);
        not_snappy.extend_from_slice(&[1, 0, 0, 0, 0]);
        let (_dir, files) = files_with(&not_snappy);
        for f in &files {
            let err = read_block(&**f, "x.ldb", &h, false).expect_err("snappy");
            assert!(corruption_at(&err).2.contains("snappy"));
        }
    }
}
