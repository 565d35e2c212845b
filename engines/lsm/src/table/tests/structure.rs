//! A tiny table checked byte by byte against `doc/table_format.md`.

use super::*;
use crate::format::coding::{decode_fixed64, get_varint64};
use crate::format::comparator::InternalKeyComparator;
use crate::format::crc;
use crate::format::internal_key::{append_internal_key, ValueType};
use crate::table::block::Block;
use crate::table::bloom::InternalFilterPolicy;
use crate::table::format::{read_block, BlockHandle};

/// A block followed by its trailer: type byte 0 and the masked CRC-32C of
/// contents + type.
fn with_trailer(contents: &[u8]) -> Vec<u8> {
    let mut out = contents.to_vec();
    out.push(0);
    let crc = crc::mask(crc::value(&out));
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

#[test]
fn tiny_table_byte_by_byte() {
    let entries: Entries = vec![
        (b"a".to_vec(), b"1".to_vec()),
        (b"b".to_vec(), b"2".to_vec()),
    ];
    let opts = options(4096, 16, CompressionType::None, 0);
    let env = MemEnv::new();
    let size = write_table(&env, "/t.ldb", &opts, &entries);

    // Data block at 0: two entries sharing nothing, one restart at 0.
    #[rustfmt::skip]
    let data: Vec<u8> = vec![
        0, 1, 1, b'a', b'1',
        0, 1, 1, b'b', b'2',
        0, 0, 0, 0, 1, 0, 0, 0,
    ];
    // Metaindex at 23: empty block (no filter).
    let metaindex: Vec<u8> = vec![0, 0, 0, 0, 1, 0, 0, 0];
    // Index at 36: key "c" (shortest successor of "b") -> handle (0, 18).
    #[rustfmt::skip]
    let index: Vec<u8> = vec![
        0, 1, 2, b'c', 0, 18,
        0, 0, 0, 0, 1, 0, 0, 0,
    ];
    let mut expected = with_trailer(&data);
    expected.extend(with_trailer(&metaindex));
    expected.extend(with_trailer(&index));
    assert_eq!(expected.len(), 55);
    // Footer at 55: metaindex (23, 8), index (36, 14), zero padding to 40
    // bytes, magic as fixed64.
    let mut footer = vec![23, 8, 36, 14];
    footer.resize(40, 0);
    footer.extend_from_slice(&0xdb47_7524_8b80_fb57u64.to_le_bytes());
    expected.extend(footer);

    let bytes = strata_api::env::read_file_to_vec(&env, Path::new("/t.ldb")).expect("read");
    assert_eq!(size, 103);
    assert_eq!(bytes, expected);

    let table = open_table(&env, "/t.ldb", &opts, size, None).expect("open");
    let (got, status) = scan_forward(&mut *table.iter(true, false));
    status.expect("clean scan");
    assert_eq!(got, entries);
    assert_eq!(table.file_name(), "/t.ldb");
}

#[test]
fn snappy_table_structure() {
    // Compressible values: data blocks are stored with type 1.
    let entries: Entries = (0..200u32)
        .map(|i| (format!("key{i:06}").into_bytes(), vec![b'x'; 100]))
        .collect();
    let opts = options(4096, 16, CompressionType::Snappy, 10);
    let env = MemEnv::new();
    let size = write_table(&env, "/s.ldb", &opts, &entries);
    let bytes = strata_api::env::read_file_to_vec(&env, Path::new("/s.ldb")).expect("read");
    let n = bytes.len();
    assert_eq!(n as u64, size);

    // Footer: magic at the very end, two handles at the front.
    assert_eq!(decode_fixed64(&bytes[n - 8..]), 0xdb47_7524_8b80_fb57);
    let footer = &bytes[n - 48..n - 8];
    let (meta_off, a) = get_varint64(footer).expect("metaindex offset");
    let (meta_size, b) = get_varint64(&footer[a..]).expect("metaindex size");
    let (index_off, c) = get_varint64(&footer[a + b..]).expect("index offset");
    let (index_size, d) = get_varint64(&footer[a + b + c..]).expect("index size");
    assert!(footer[a + b + c + d..].iter().all(|&z| z == 0), "padding");
    // The index block is the last before the footer.
    assert_eq!(index_off + index_size + 5, (n - 48) as u64);
    assert!(meta_off + meta_size + 5 <= index_off);

    let f = env
        .new_random_access_file(Path::new("/s.ldb"))
        .expect("open");
    let index =
        read_block(&*f, "s", &BlockHandle::new(index_off, index_size), true).expect("index");
    let index = Arc::new(Block::new(index, Arc::from("s"), index_off).expect("index block"));
    let mut it = index.iter(opts.comparator.clone());
    it.seek_to_first();
    let mut seen = 0;
    let mut expected_offset = 0;
    while it.valid() {
        let (h, _) = BlockHandle::decode_from(it.value()).expect("handle");
        assert_eq!(h.offset, expected_offset, "blocks are contiguous");
        // Each data block is snappy-compressed and decodes.
        assert_eq!(bytes[(h.offset + h.size) as usize], 1, "type byte");
        let data = read_block(&*f, "s", &h, true).expect("data block");
        let block = Arc::new(Block::new(data, Arc::from("s"), h.offset).expect("data"));
        let mut bit = block.iter(opts.comparator.clone());
        bit.seek_to_first();
        while bit.valid() {
            assert_eq!(bit.key(), entries[seen].0.as_slice());
            assert!(bit.key() <= it.key(), "index key bounds its block");
            seen += 1;
            bit.next();
        }
        expected_offset = h.offset + h.size + 5;
        it.next();
    }
    assert_eq!(seen, entries.len());

    // Metaindex: one entry naming the bloom filter; the filter follows the
    // data blocks uncompressed.
    let meta = read_block(&*f, "s", &BlockHandle::new(meta_off, meta_size), true).expect("meta");
    let meta = Arc::new(Block::new(meta, Arc::from("s"), meta_off).expect("meta block"));
    let mut mit = meta.iter(opts.comparator.clone());
    mit.seek_to_first();
    assert_eq!(mit.key(), b"filter.leveldb.BuiltinBloomFilter2");
    let (fh, _) = BlockHandle::decode_from(mit.value()).expect("filter handle");
    assert_eq!(fh.offset, expected_offset);
    assert_eq!(
        bytes[(fh.offset + fh.size) as usize],
        0,
        "filter uncompressed"
    );
    assert_eq!(bytes[(fh.offset + fh.size - 1) as usize], 11, "base lg");
    mit.next();
    assert!(!mit.valid());
}

#[test]
fn incompressible_blocks_are_stored_raw() {
    // Pseudo-random values do not compress by 12.5%: type byte 0.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let entries: Entries = (0..20u32)
        .map(|i| {
            let v: Vec<u8> = (0..200)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            (format!("k{i:03}").into_bytes(), v)
        })
        .collect();
    let opts = options(1024, 16, CompressionType::Snappy, 0);
    let env = MemEnv::new();
    let size = write_table(&env, "/r.ldb", &opts, &entries);
    let table = open_table(&env, "/r.ldb", &opts, size, None).expect("open");
    let bytes = strata_api::env::read_file_to_vec(&env, Path::new("/r.ldb")).expect("read");
    let mut it = table.iter(true, false);
    let (got, status) = scan_forward(&mut *it);
    status.expect("scan");
    assert_eq!(got, entries);
    // First data block: handle from the index via approximate_offset_of.
    assert_eq!(table.approximate_offset_of(b""), 0);
    let second = table.approximate_offset_of(b"k010");
    assert!(second > 0);
    // The byte before the next block's start is the end of a CRC; the type
    // byte of block 0 sits 5 bytes before the next block.
    assert_eq!(bytes[second as usize - 5], 0);
}

#[test]
fn empty_table_opens_and_is_empty() {
    let opts = options(4096, 16, CompressionType::Snappy, 10);
    let env = MemEnv::new();
    let size = write_table(&env, "/e.ldb", &opts, &vec![]);
    let table = open_table(&env, "/e.ldb", &opts, size, None).expect("open");
    let mut it = table.iter(true, true);
    it.seek_to_first();
    assert!(!it.valid());
    it.seek(b"x");
    assert!(!it.valid());
    it.status().expect("clean");
    let mut calls = 0;
    let read = table
        .internal_get(true, true, b"x", &mut |_, _| calls += 1)
        .expect("get");
    assert!(!read);
    assert_eq!(calls, 0);
}

#[test]
fn too_short_files_are_corruption() {
    let env = MemEnv::new();
    strata_api::env::write_file(&env, Path::new("/x"), &[0; 47], false).expect("write");
    let err = open_table(&env, "/x", &TableOptions::default(), 47, None).expect_err("short");
    assert!(err.is_corruption());
    // 48 zero bytes: the magic number is wrong.
    strata_api::env::write_file(&env, Path::new("/y"), &[0; 48], false).expect("write");
    let err = open_table(&env, "/y", &TableOptions::default(), 48, None).expect_err("magic");
    assert!(err.to_string().contains("magic"));
}

#[test]
fn filter_skips_blocks_and_cache_serves_repeats() {
    let entries: Entries = (0..1000u32)
        .map(|i| {
            (
                format!("k{:08}", i * 2).into_bytes(),
                format!("v{i}").into_bytes(),
            )
        })
        .collect();
    let opts = options(512, 16, CompressionType::Snappy, 10);
    let env = MemEnv::new();
    let size = write_table(&env, "/f.ldb", &opts, &entries);
    let cache = Arc::new(BlockCache::new(1 << 20));
    let table = open_table(&env, "/f.ldb", &opts, size, Some(Arc::clone(&cache))).expect("open");
    assert!(table.has_filter());

    // Absent keys inside the key range: the filter rules most blocks out.
    let mut blocks_read = 0;
    for i in 0..1000u32 {
        let key = format!("k{:08}", i * 2 + 1);
        let mut hit = None;
        if table
            .internal_get(true, false, key.as_bytes(), &mut |k, _| {
                hit = Some(k.to_vec())
            })
            .expect("get")
        {
            blocks_read += 1;
            // Only "the first entry at or after the key" is reported.
            let k = hit.expect("entry after an inner key");
            assert!(k.as_slice() > key.as_bytes());
        }
    }
    assert!(
        blocks_read < 50,
        "filter let {blocks_read} of 1000 misses through"
    );
    assert_eq!(cache.usage_bytes(), 0, "fill_cache=false leaves the cache");

    // A table opened without a policy reads the block every time.
    let no_filter = options(512, 16, CompressionType::Snappy, 0);
    let plain = open_table(&env, "/f.ldb", &no_filter, size, None).expect("open");
    assert!(!plain.has_filter());
    assert!(plain
        .internal_get(true, false, b"k00000001", &mut |_, _| {})
        .expect("get"));

    // Present keys are found, filling the cache.
    for (k, v) in &entries {
        let mut got = None;
        assert!(table
            .internal_get(true, true, k, &mut |k2, v2| got =
                Some((k2.to_vec(), v2.to_vec())))
            .expect("get"));
        assert_eq!(got.as_ref(), Some(&(k.clone(), v.clone())));
    }
    let usage = cache.usage_bytes();
    assert!(usage > 0);
    // A full scan now is served from the cache: usage is unchanged.
    let (got, status) = scan_forward(&mut *table.iter(true, true));
    status.expect("scan");
    assert_eq!(got, entries);
    assert_eq!(cache.usage_bytes(), usage);
}

#[test]
fn mapped_uncompressed_blocks_bypass_the_block_cache() {
    // Values that compress well, so Snappy tables really store Snappy.
    let entries: Entries = (0..600u32)
        .map(|i| {
            (
                format!("k{i:08}").into_bytes(),
                vec![b'a' + (i % 7) as u8; 40],
            )
        })
        .collect();
    for compression in [CompressionType::None, CompressionType::Snappy] {
        let opts = options(512, 16, compression, 10);
        let env = MemEnv::new();
        let size = write_table(&env, "/m.ldb", &opts, &entries);
        let bytes = strata_api::env::read_file_to_vec(&env, Path::new("/m.ldb")).expect("read");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.ldb");
        std::fs::write(&path, &bytes).expect("write");
        let file = strata_api::PosixEnv::new()
            .new_random_access_file(&path)
            .expect("open");
        assert!(file.read_mapped(0, bytes.len()).is_some(), "mapped");
        let cache = Arc::new(BlockCache::new(1 << 20));
        let table = Table::open(
            opts.clone(),
            file,
            "m.ldb".into(),
            size,
            Some(Arc::clone(&cache)),
        )
        .expect("open");
        for (k, v) in &entries {
            let mut got = None;
            assert!(table
                .internal_get(true, true, k, &mut |k2, v2| got =
                    Some((k2.to_vec(), v2.to_vec())))
                .expect("get"));
            assert_eq!(got.as_ref(), Some(&(k.clone(), v.clone())));
        }
        let (got, status) = scan_backward(&mut *table.iter(true, true));
        status.expect("scan");
        assert_eq!(got, entries);
        match compression {
            // Served from the mapping, as LevelDB does: nothing to cache.
            CompressionType::None => assert_eq!(cache.usage_bytes(), 0),
            // Decompressed blocks are still worth caching.
            CompressionType::Snappy => assert!(cache.usage_bytes() > 0),
        }
    }
}

#[test]
fn internal_keys_with_internal_filter() {
    // The engine's view: internal keys, several versions per user key,
    // looked up with (user key, snapshot sequence).
    let user = Arc::new(crate::format::comparator::BytewiseComparator);
    let icmp: Arc<dyn crate::format::comparator::Comparator> =
        Arc::new(InternalKeyComparator::new(user));
    let bloom: Arc<dyn FilterPolicy> = Arc::new(BloomFilterPolicy::new(10));
    let opts = TableOptions {
        comparator: Arc::clone(&icmp),
        filter_policy: Some(Arc::new(InternalFilterPolicy::new(bloom))),
        block_size_bytes: 256,
        ..TableOptions::default()
    };
    let mut entries: Entries = Vec::new();
    for i in 0..300u32 {
        let uk = format!("user{i:05}");
        // Newest first: sequence 3i+2, 3i+1.
        for (seq, t) in [
            (u64::from(3 * i + 2), ValueType::Value),
            (u64::from(3 * i + 1), ValueType::Deletion),
        ] {
            let mut k = Vec::new();
            append_internal_key(&mut k, uk.as_bytes(), seq, t);
            entries.push((k, format!("{uk}@{seq}").into_bytes()));
        }
    }
    let env = MemEnv::new();
    let size = write_table(&env, "/i.ldb", &opts, &entries);
    let table = open_table(&env, "/i.ldb", &opts, size, None).expect("open");
    assert!(table.has_filter());
    for i in 0..300u32 {
        let uk = format!("user{i:05}");
        for (snapshot, want_seq) in [
            (u64::from(3 * i + 5), 3 * i + 2),
            (u64::from(3 * i + 1), 3 * i + 1),
        ] {
            let mut lookup = Vec::new();
            append_internal_key(&mut lookup, uk.as_bytes(), snapshot, ValueType::Value);
            let mut got = None;
            let read = table
                .internal_get(true, false, &lookup, &mut |_, v| got = Some(v.to_vec()))
                .expect("get");
            assert!(read, "the filter must match every version of {uk}");
            assert_eq!(got, Some(format!("{uk}@{want_seq}").into_bytes()));
        }
    }
    // An absent user key is almost always ruled out by the filter.
    let mut reads = 0;
    for i in 0..300u32 {
        let mut lookup = Vec::new();
        append_internal_key(
            &mut lookup,
            format!("user{i:05}x").as_bytes(),
            1 << 40,
            ValueType::Value,
        );
        if table
            .internal_get(true, false, &lookup, &mut |_, _| {})
            .expect("get")
        {
            reads += 1;
        }
    }
    assert!(reads < 20, "{reads} reads for absent keys");
}

/// Data blocks of many restart points get restart hints when they enter
/// the block cache (charged to it), and lookups through them, first a
/// miss and then a hit, find every key and nothing between keys.
#[test]
fn cached_data_blocks_with_many_restarts_get_hints_and_lookups_agree() {
    let internal = |user: &[u8]| {
        let mut key = Vec::new();
        append_internal_key(&mut key, user, 7, ValueType::Value);
        key
    };
    let entries: Entries = (0..2000u32)
        .map(|i| {
            (
                internal(format!("user{:08}", i * 2).as_bytes()),
                i.to_le_bytes().to_vec(),
            )
        })
        .collect();
    let mut opts = options(4096, 1, CompressionType::Snappy, 0);
    opts.comparator = Arc::new(InternalKeyComparator::new(Arc::new(
        crate::format::comparator::BytewiseComparator,
    )));
    let env = MemEnv::new();
    let size = write_table(&env, "/h.ldb", &opts, &entries);
    let cache = Arc::new(BlockCache::new(1 << 20));
    let table = open_table(&env, "/h.ldb", &opts, size, Some(Arc::clone(&cache))).expect("open");
    for round in 0..2 {
        for i in 0..2000u32 {
            for (user, want) in [
                (format!("user{:08}", i * 2), Some(i)),
                (format!("user{:08}", i * 2 + 1), None),
            ] {
                let target = internal(user.as_bytes());
                let mut got = None;
                table
                    .internal_get(true, true, &target, &mut |k, v| {
                        if k == target.as_slice() {
                            got = Some(u32::from_le_bytes(v.try_into().expect("4 bytes")));
                        }
                    })
                    .expect("get");
                assert_eq!(got, want, "{user} in round {round}");
            }
        }
    }
    // A block of such entries (a restart each) is charged its hints too.
    let block = Block::new(entries_block(&entries[..150]), Arc::from("h"), 0)
        .expect("block")
        .with_restart_hints();
    assert!(block.charge_bytes() > block.size_bytes(), "hints charged");
    assert!(cache.usage_bytes() > 0);
}

/// The contents of one block holding `entries` with a restart per entry.
fn entries_block(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut builder = crate::table::block_builder::BlockBuilder::new(1);
    for (k, v) in entries {
        builder.add(k, v);
    }
    builder.finish().to_vec()
}
