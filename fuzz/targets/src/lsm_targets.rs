//! Targets over the LSM engine's formats: blocks, handles and footers,
//! whole tables, logs, version edits, and write batches.

use std::cmp::Ordering;
use std::path::Path;
use std::sync::Arc;
use strata_api::env::write_file;
use strata_api::{BatchOp, Env, KvIterator, MemEnv, WriteBatch};
use strata_lsm::format::comparator::{BytewiseComparator, Comparator, InternalKeyComparator};
use strata_lsm::format::crc;
use strata_lsm::table::format::{
    block_trailer, BLOCK_TRAILER_BYTES, FOOTER_BYTES, MAX_BLOCK_HANDLE_BYTES,
};
use strata_lsm::table::{
    read_block, Block, BlockBuilder, BlockCache, BlockHandle, BloomFilterPolicy, CompressionType,
    Footer, Table, TableBuilder, TableOptions,
};
use strata_lsm::version::edit::VersionEdit;
use strata_lsm::wal::{CollectingReporter, LogReader, LogWriter};

/// Key/value pairs in the order a cursor produced them.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Length of an internal key's tag: shorter keys are not internal keys.
const TAG_BYTES: usize = 8;

/// Most seek targets tried per input (the rest add time, not coverage).
const MAX_SEEK_TARGETS: usize = 64;

/// Every entry from the first, and whether the cursor ended without error.
fn scan_forward(it: &mut dyn KvIterator) -> (Entries, bool) {
    let mut out = Vec::new();
    it.seek_to_first();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.next();
    }
    (out, it.status().is_ok())
}

/// Every entry from the last, returned in forward order, and whether the
/// cursor ended without error.
fn scan_backward(it: &mut dyn KvIterator) -> (Entries, bool) {
    let mut out = Vec::new();
    it.seek_to_last();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.prev();
    }
    out.reverse();
    (out, it.status().is_ok())
}

/// True if the keys strictly increase under `cmp` (what a builder needs).
fn strictly_increasing(entries: &Entries, cmp: &dyn Comparator) -> bool {
    entries
        .windows(2)
        .all(|w| cmp.compare(&w[0].0, &w[1].0) == Ordering::Less)
}

/// Seeks to each target and steps once each way from there. If
/// `ordered` (a block, or a table whose index agrees with its blocks), a
/// cursor that ends valid and without error must be at a key at or after
/// its target. (In a damaged table a seek may land in a later block whose
/// keys sort before the target, as in LevelDB.)
fn check_seeks(it: &mut dyn KvIterator, cmp: &dyn Comparator, targets: &[Vec<u8>], ordered: bool) {
    for target in targets.iter().take(MAX_SEEK_TARGETS) {
        it.seek(target);
        if it.valid() && it.status().is_ok() {
            assert!(
                !ordered || cmp.compare(it.key(), target) != Ordering::Less,
                "seek({target:?}) stopped before its target at {:?}",
                it.key()
            );
            it.prev();
            if it.valid() {
                it.next();
            }
        }
    }
}

/// Seek targets: the keys, each key with a byte appended (between keys),
/// and the empty and an all-0xff key, all at least `min_len` bytes (keys
/// shorter than that are padded with zeros).
fn seek_targets(entries: &Entries, min_len: usize) -> Vec<Vec<u8>> {
    let mut targets = vec![Vec::new(), vec![0xff; 16]];
    for (k, _) in entries.iter().take(MAX_SEEK_TARGETS / 2) {
        targets.push(k.clone());
        let mut after = k.clone();
        after.push(0);
        targets.push(after);
    }
    for t in &mut targets {
        if t.len() < min_len {
            t.resize(min_len, 0);
        }
    }
    targets
}

/// `entries` as one block, built with `restart_interval`.
fn build_block(entries: &Entries, restart_interval: usize) -> Vec<u8> {
    let mut builder = BlockBuilder::new(restart_interval);
    for (k, v) in entries {
        builder.add(k, v);
    }
    builder.finish().to_vec()
}

/// Checks that `block` holds exactly `entries` (sorted, distinct keys):
/// both scan directions, and an exact seek to every key.
fn check_block_holds(block: Block, entries: &Entries, what: &str) {
    let block = Arc::new(block);
    let cmp: Arc<dyn Comparator> = Arc::new(BytewiseComparator);
    let mut it = block.iter(Arc::clone(&cmp));
    let (fwd, fwd_ok) = scan_forward(&mut it);
    assert!(fwd_ok, "{what}: forward scan failed");
    assert_eq!(&fwd, entries, "{what}: forward scan");
    let (bwd, bwd_ok) = scan_backward(&mut it);
    assert!(bwd_ok, "{what}: backward scan failed");
    assert_eq!(&bwd, entries, "{what}: backward scan");
    for (k, v) in entries.iter().take(MAX_SEEK_TARGETS) {
        it.seek(k);
        assert!(it.valid(), "{what}: seek({k:?}) found nothing");
        assert_eq!((it.key(), it.value()), (&k[..], &v[..]), "{what}: seek");
    }
}

/// Restart intervals tried when re-encoding a block's entries.
const RESTART_INTERVALS: [usize; 3] = [1, 2, 16];

/// One block's contents (`table/block.rs`): parse, scan both ways, seek.
/// A block whose entries scan without error in increasing order must
/// survive a round trip through `BlockBuilder` at several restart
/// intervals; and a block that is byte for byte what the builder makes of
/// its own entries must scan the same both ways.
pub fn block(data: &[u8]) {
    let Ok(parsed) = Block::new(data.to_vec(), Arc::from("fuzz.ldb"), 0) else {
        return;
    };
    let parsed = Arc::new(parsed);
    let cmp: Arc<dyn Comparator> = Arc::new(BytewiseComparator);
    let mut it = parsed.iter(Arc::clone(&cmp));
    let (fwd, fwd_ok) = scan_forward(&mut it);
    let (bwd, bwd_ok) = scan_backward(&mut it);
    check_seeks(&mut it, &*cmp, &seek_targets(&fwd, 0), true);
    if !fwd_ok || !strictly_increasing(&fwd, &*cmp) {
        return;
    }
    for interval in RESTART_INTERVALS {
        let rebuilt = build_block(&fwd, interval);
        if rebuilt == data {
            assert!(bwd_ok, "canonical block: backward scan failed");
            assert_eq!(bwd, fwd, "canonical block: backward scan");
        }
        let again = Block::new(rebuilt, Arc::from("rebuilt.ldb"), 0)
            .expect("a block the builder made parses");
        check_block_holds(again, &fwd, "rebuilt block");
    }
}

/// True if the block `handle` points at ends, with its trailer, at or
/// before `end`.
fn fits(handle: &BlockHandle, end: usize) -> bool {
    handle
        .end_with_trailer()
        .is_some_and(|trailer_end| trailer_end <= end as u64)
}

/// Writes a masked CRC-32C of `file[offset..offset + size]` plus its type
/// byte into the trailer that follows, whatever the type byte says, so
/// that the fuzzer reaches what lies behind a checksum. Handles that do not
/// fit below `end` are left alone.
fn fix_trailer(file: &mut [u8], handle: &BlockHandle, end: usize) {
    if !fits(handle, end) {
        return;
    }
    // Fits below `end`, a usize: the casts cannot truncate.
    let start = handle.offset as usize;
    let type_at = start + handle.size as usize;
    let crc = crc::extend(crc::value(&file[start..type_at]), &[file[type_at]]);
    file[type_at + 1..type_at + BLOCK_TRAILER_BYTES].copy_from_slice(&crc::mask(crc).to_le_bytes());
}

/// `contents` as stored with `compression`, with its trailer.
fn encode_block(contents: &[u8], compression: CompressionType) -> Vec<u8> {
    let mut stored = match compression {
        CompressionType::None => contents.to_vec(),
        CompressionType::Snappy => snap::raw::Encoder::new()
            .compress_vec(contents)
            .expect("snappy compresses any input"),
    };
    let trailer = block_trailer(&stored, compression);
    stored.extend_from_slice(&trailer);
    stored
}

/// `bytes` as the file `path` in a fresh in-memory Env.
fn mem_file(path: &'static str, bytes: &[u8]) -> (MemEnv, &'static Path) {
    let env = MemEnv::new();
    let path = Path::new(path);
    write_file(&env, path, bytes, false).expect("MemEnv writes");
    (env, path)
}

/// Block handles, footers and block reads (`table/format.rs`). The input
/// is decoded as a handle and as a footer (its last 48 bytes); both must
/// re-encode canonically and decode back to themselves. Then, read as
/// `flags | handle | file`, the handle's block is read from the file
/// (`flags` bit 0: fix its checksum first; bit 1: verify checksums), and
/// what reads back must survive being stored again, uncompressed and with
/// Snappy.
pub fn format(data: &[u8]) {
    if let Some((handle, used)) = BlockHandle::decode_from(data) {
        assert!(used <= data.len() && used <= MAX_BLOCK_HANDLE_BYTES);
        let mut encoded = Vec::new();
        handle.encode_to(&mut encoded);
        assert!(encoded.len() <= used, "canonical encoding is the shortest");
        assert_eq!(
            BlockHandle::decode_from(&encoded),
            Some((handle, encoded.len()))
        );
        let _ = handle.end_with_trailer();
    }
    let _ = Footer::decode(data, "fuzz.ldb", 0);
    if let Some(tail) = data.len().checked_sub(FOOTER_BYTES).map(|at| &data[at..]) {
        if let Ok(footer) = Footer::decode(tail, "fuzz.ldb", 0) {
            let mut encoded = Vec::new();
            footer.encode_to(&mut encoded);
            assert_eq!(encoded.len(), FOOTER_BYTES);
            let back = Footer::decode(&encoded, "fuzz.ldb", 0).expect("encoded footer decodes");
            assert_eq!(back, footer);
        }
    }

    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some((handle, used)) = BlockHandle::decode_from(rest) else {
        return;
    };
    let mut file = rest[used..].to_vec();
    // Callers of `read_block` check this first (it sizes the read).
    if !fits(&handle, file.len()) {
        return;
    }
    if flags & 1 != 0 {
        let end = file.len();
        fix_trailer(&mut file, &handle, end);
    }
    let (env, path) = mem_file("/fuzz.ldb", &file);
    let raf = env.new_random_access_file(path).expect("MemEnv opens");
    let Ok(contents) = read_block(&*raf, "fuzz.ldb", &handle, flags & 2 != 0) else {
        return;
    };
    let contents = contents.into_vec();
    for compression in [CompressionType::None, CompressionType::Snappy] {
        let stored = encode_block(&contents, compression);
        let (env, path) = mem_file("/fuzz.ldb", &stored);
        let raf = env.new_random_access_file(path).expect("MemEnv opens");
        let size = (stored.len() - BLOCK_TRAILER_BYTES) as u64;
        let back = read_block(&*raf, "fuzz.ldb", &BlockHandle::new(0, size), true)
            .expect("a block just stored reads back");
        assert_eq!(back.as_slice(), &contents[..], "{compression:?} round trip");
    }
}

/// Most block handles whose checksums [`fix_table_checksums`] repairs.
const MAX_FIXED_HANDLES: usize = 256;

/// The handles stored as values of the block `handle` points at in `file`,
/// if the block ends at or before `end`.
fn handles_in_block(file: &[u8], handle: &BlockHandle, end: usize) -> Vec<BlockHandle> {
    // As `Table::open` does before `read_block`, which sizes its read by
    // the handle.
    if !fits(handle, end) {
        return Vec::new();
    }
    let (env, path) = mem_file("/fuzz.ldb", file);
    let raf = env.new_random_access_file(path).expect("MemEnv opens");
    let Ok(contents) = read_block(&*raf, "fuzz.ldb", handle, true) else {
        return Vec::new();
    };
    let Ok(parsed) = Block::new(contents, Arc::from("fuzz.ldb"), 0) else {
        return Vec::new();
    };
    let mut it = Arc::new(parsed).iter(Arc::new(BytewiseComparator));
    let mut out = Vec::new();
    it.seek_to_first();
    while it.valid() && out.len() < MAX_FIXED_HANDLES {
        if let Some((h, _)) = BlockHandle::decode_from(it.value()) {
            out.push(h);
        }
        it.next();
    }
    out
}

/// Repairs the checksums of the index and metaindex blocks the footer
/// names, then of every block those name (data and filter blocks), so that
/// mutations reach the parsers behind the checksums.
fn fix_table_checksums(file: &mut [u8]) {
    let Some(footer_at) = file.len().checked_sub(FOOTER_BYTES) else {
        return;
    };
    let Ok(footer) = Footer::decode(&file[footer_at..], "fuzz.ldb", 0) else {
        return;
    };
    for top in [footer.index_handle, footer.metaindex_handle] {
        fix_trailer(file, &top, footer_at);
        let handles = handles_in_block(file, &top, footer_at);
        for h in handles {
            fix_trailer(file, &h, footer_at);
        }
    }
}

/// The table options a `table` input's flags select.
fn table_options(flags: u8) -> TableOptions {
    let user: Arc<dyn Comparator> = Arc::new(BytewiseComparator);
    TableOptions {
        comparator: if flags & 1 != 0 {
            Arc::new(InternalKeyComparator::new(user))
        } else {
            user
        },
        filter_policy: (flags & 2 != 0).then(|| Arc::new(BloomFilterPolicy::new(10)) as _),
        block_size_bytes: if flags & 32 != 0 { 4096 } else { 256 },
        block_restart_interval: if flags & 64 != 0 { 16 } else { 3 },
        compression: if flags & 128 != 0 {
            CompressionType::Snappy
        } else {
            CompressionType::None
        },
    }
}

/// Opens `bytes` as a table; `None` if it does not open.
fn open_table(
    bytes: &[u8],
    options: &TableOptions,
    cache: Option<Arc<BlockCache>>,
) -> Option<(MemEnv, Arc<Table>)> {
    let (env, path) = mem_file("/fuzz.ldb", bytes);
    let raf = env.new_random_access_file(path).expect("MemEnv opens");
    let table = Table::open(
        options.clone(),
        raf,
        "fuzz.ldb".to_string(),
        bytes.len() as u64,
        cache,
    )
    .ok()?;
    Some((env, table))
}

/// `entries` as a table built with `options`.
fn build_table(entries: &Entries, options: &TableOptions) -> Vec<u8> {
    let env = MemEnv::new();
    let path = Path::new("/rebuilt.ldb");
    let file = env.new_writable_file(path).expect("MemEnv creates");
    let mut builder = TableBuilder::new(options.clone(), file);
    for (k, v) in entries {
        builder.add(k, v).expect("MemEnv appends");
    }
    builder.finish().expect("MemEnv appends");
    builder.into_file().close().expect("MemEnv closes");
    strata_api::env::read_file_to_vec(&env, path).expect("MemEnv reads")
}

/// The first entry at or after `key` per [`Table::internal_get`], or `None`
/// if the filter ruled the block out or it holds nothing at or after `key`.
fn table_get(table: &Table, verify: bool, key: &[u8]) -> strata_api::Result<Option<Entries>> {
    let mut found: Entries = Vec::new();
    let looked = table.internal_get(verify, true, key, &mut |k, v| {
        found.push((k.to_vec(), v.to_vec()));
    })?;
    Ok(looked.then_some(found))
}

/// A whole table (`table/reader.rs`) from an in-memory file: `flags | file`.
/// `flags` pick the comparator (bit 0: internal keys), a bloom filter
/// (bit 1), checksum repair (bit 2, see [`fix_table_checksums`]), verified
/// data reads (bit 3), a block cache (bit 4), and the rebuild's block size,
/// restart interval and compression (bits 5 to 7). The table is opened,
/// scanned both ways, sought and looked up. A table whose forward scan ends
/// without error in strictly increasing order is rebuilt from its entries
/// with `TableBuilder`, and the rebuilt table must give back exactly those
/// entries both ways and by point lookup.
pub fn table(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut file = rest.to_vec();
    if flags & 4 != 0 {
        fix_table_checksums(&mut file);
    }
    let options = table_options(flags);
    let verify = flags & 8 != 0;
    let internal = flags & 1 != 0;
    let min_key = if internal { TAG_BYTES } else { 0 };
    let cache = (flags & 16 != 0).then(|| Arc::new(BlockCache::new(1 << 20)));
    let Some((_env, table)) = open_table(&file, &options, cache) else {
        return;
    };
    let cmp = Arc::clone(&options.comparator);
    let mut it = table.iter(verify, true);
    let (fwd, fwd_ok) = scan_forward(&mut *it);
    let _ = scan_backward(&mut *it);
    let targets = seek_targets(&fwd, min_key);
    check_seeks(&mut *it, &*cmp, &targets, false);
    for t in targets.iter().take(MAX_SEEK_TARGETS) {
        let _ = table_get(&table, verify, t);
        let _ = table.approximate_offset_of(t);
    }
    if !fwd_ok || !strictly_increasing(&fwd, &*cmp) || fwd.iter().any(|(k, _)| k.len() < min_key) {
        return;
    }
    let rebuilt = build_table(&fwd, &options);
    let (_env, again) =
        open_table(&rebuilt, &options, None).expect("a table the builder made opens");
    let mut it = again.iter(true, false);
    let (fwd2, ok) = scan_forward(&mut *it);
    assert!(ok, "rebuilt table: forward scan failed");
    assert_eq!(fwd2, fwd, "rebuilt table: forward scan");
    let (bwd2, ok) = scan_backward(&mut *it);
    assert!(ok, "rebuilt table: backward scan failed");
    assert_eq!(bwd2, fwd, "rebuilt table: backward scan");
    check_seeks(&mut *it, &*cmp, &targets, true);
    for (k, v) in fwd.iter().take(MAX_SEEK_TARGETS) {
        let got = table_get(&again, true, k).expect("rebuilt table: lookup");
        assert_eq!(
            got,
            Some(vec![(k.clone(), v.clone())]),
            "rebuilt table: lookup of {k:?}"
        );
    }
}

/// Most records read from one log input.
const MAX_LOG_RECORDS: usize = 100_000;

/// Reads every record of the log `bytes`.
fn read_log(
    bytes: &[u8],
    verify: bool,
    initial_offset: u64,
) -> (Vec<Vec<u8>>, CollectingReporter, bool) {
    let (env, path) = mem_file("/fuzz.log", bytes);
    let file = env.new_sequential_file(path).expect("MemEnv opens");
    let reporter = CollectingReporter::new("fuzz.log");
    let mut reader = LogReader::new(
        file,
        "fuzz.log".to_string(),
        Some(Box::new(reporter.clone())),
        verify,
        initial_offset,
    );
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut io_ok = true;
    while records.len() < MAX_LOG_RECORDS {
        match reader.read_record(&mut record) {
            Ok(true) => {
                assert!(
                    reader.last_record_offset() < bytes.len() as u64,
                    "record offset past the log's end"
                );
                records.push(record.clone());
            }
            Ok(false) => break,
            Err(_) => {
                io_ok = false;
                break;
            }
        }
    }
    (records, reporter, io_ok)
}

/// The log format of WALs and MANIFESTs (`wal/reader.rs`): `flags | log`.
/// `flags` bit 0 verifies checksums; bit 1 starts reading at offset
/// `(flags >> 2) * 613` instead of 0. Whatever records come back must,
/// written again with `LogWriter`, read back identically with no
/// corruption reported.
pub fn log(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let verify = flags & 1 != 0;
    let initial_offset = if flags & 2 != 0 {
        u64::from(flags >> 2) * 613
    } else {
        0
    };
    let (records, _reporter, io_ok) = read_log(rest, verify, initial_offset);
    assert!(io_ok, "reading an in-memory log failed with an I/O error");
    let env = MemEnv::new();
    let path = Path::new("/rewritten.log");
    let mut writer = LogWriter::new(env.new_writable_file(path).expect("MemEnv creates"));
    for r in &records {
        writer.add_record(r).expect("MemEnv appends");
    }
    writer.close().expect("MemEnv closes");
    let rewritten = strata_api::env::read_file_to_vec(&env, path).expect("MemEnv reads");
    let (back, reporter, io_ok) = read_log(&rewritten, true, 0);
    assert!(io_ok, "reading the rewritten log failed");
    assert!(
        reporter.is_empty(),
        "rewritten log reported corruption: {:?}",
        reporter.drops()
    );
    assert_eq!(back, records, "log round trip");
}

/// A MANIFEST record (`version/edit.rs`): a decoded edit must encode and
/// decode back to itself, and its encoding must be stable.
pub fn version_edit(data: &[u8]) {
    let Ok(edit) = VersionEdit::decode(data) else {
        return;
    };
    let _ = edit.to_string();
    let mut encoded = Vec::new();
    edit.encode(&mut encoded);
    let back = VersionEdit::decode(&encoded).expect("an encoded edit decodes");
    assert_eq!(back, edit, "version edit round trip");
    let mut again = Vec::new();
    back.encode(&mut again);
    assert_eq!(again, encoded, "version edit encoding is stable");
}

/// A write batch (`engines/api/src/batch.rs`), as read from a WAL record:
/// one that parses must hold as many updates as its header says, and
/// rebuilding it update by update must give the same updates, count,
/// sequence and user bytes.
pub fn write_batch(data: &[u8]) {
    let Ok(batch) = WriteBatch::from_bytes(data.to_vec()) else {
        return;
    };
    let ops: Vec<BatchOp<'_>> = batch
        .iter()
        .map(|op| op.expect("from_bytes checked every record"))
        .collect();
    assert_eq!(ops.len() as u64, u64::from(batch.count()));
    let mut rebuilt = WriteBatch::new();
    rebuilt.set_sequence(batch.sequence());
    for op in &ops {
        match *op {
            BatchOp::Put { key, value } => rebuilt.put(key, value),
            BatchOp::Delete { key } => rebuilt.delete(key),
        }
    }
    let back = WriteBatch::from_bytes(rebuilt.as_bytes().to_vec()).expect("rebuilt batch parses");
    let back_ops: Vec<BatchOp<'_>> = back
        .iter()
        .map(|op| op.expect("rebuilt batch parses"))
        .collect();
    assert_eq!(back_ops, ops, "write batch round trip");
    assert_eq!(back.count(), batch.count());
    assert_eq!(back.sequence(), batch.sequence());
    assert_eq!(back.user_bytes(), batch.user_bytes());
    assert!(back.approximate_size_bytes() <= batch.approximate_size_bytes());
}
