//! Blocks copied as stored: a cursor hands out the stored bytes of a block
//! holding its entry alone, and a builder writes them where it would have
//! built that very block, and nowhere else.

use super::*;
use crate::table::format::block_trailer;

/// Keys `k00`.. with values alternating long (a block each at a 64-byte
/// block size) and short (sharing blocks); of the long ones after a long
/// one, every other is not Snappy-compressible.
fn mixed_entries() -> Entries {
    (0..40u8)
        .map(|i| {
            let key = format!("k{i:02}").into_bytes();
            let value = match i % 4 {
                0 => vec![b'a' + i % 26; 100 + usize::from(i)],
                1 if i % 8 == 1 => vec![b'A' + i % 26; 90],
                1 => (0..90u8)
                    .map(|j| j.wrapping_mul(i | 1).wrapping_add(j >> 1))
                    .collect(),
                _ => vec![i; 3],
            };
            (key, value)
        })
        .collect()
}

/// Rebuilds the table `source` holds through a builder with `options`,
/// offering each entry's stored block where the cursor has one; returns
/// the new table's bytes and how many blocks were copied.
fn rebuild(
    env: &MemEnv,
    source: &Arc<Table>,
    options: &TableOptions,
    name: &str,
) -> (Vec<u8>, usize) {
    let file = env.new_writable_file(Path::new(name)).expect("create");
    let mut builder = TableBuilder::new(options.clone(), file);
    let mut it = source.iter(true, false);
    it.seek_to_first();
    let mut copied = 0;
    while it.valid() {
        let stored = it.sole_entry_block();
        let done = match stored {
            Some(stored) => builder
                .add_stored_block(it.key(), it.value().len(), stored)
                .expect("add stored"),
            None => false,
        };
        if done {
            copied += 1;
        } else {
            builder.add(it.key(), it.value()).expect("add");
        }
        it.next();
    }
    it.status().expect("scan");
    builder.finish().expect("finish");
    let mut file = builder.into_file();
    file.close().expect("close");
    let bytes = strata_api::env::read_file_to_vec(env, Path::new(name)).expect("read");
    (bytes, copied)
}

#[test]
fn copying_stored_blocks_rebuilds_the_same_bytes() {
    for compression in [CompressionType::None, CompressionType::Snappy] {
        for bloom_bits in [0, 10] {
            let env = MemEnv::new();
            let opts = options(64, 16, compression, bloom_bits);
            let entries = mixed_entries();
            let size = write_table(&env, "/a.ldb", &opts, &entries);
            let original =
                strata_api::env::read_file_to_vec(&env, Path::new("/a.ldb")).expect("read");
            let table = open_table(&env, "/a.ldb", &opts, size, None).expect("open");
            let (copy, copied) = rebuild(&env, &table, &opts, "/b.ldb");
            // A long entry after two short ones joins their block; the
            // first and each one right after a long one (1 + 10) are alone,
            // and under Snappy half of the latter are stored uncompressed:
            // a builder asked for Snappy rebuilds those.
            let alone = if compression == CompressionType::None {
                11
            } else {
                6
            };
            assert_eq!(copied, alone, "{compression:?} bloom {bloom_bits}");
            assert!(
                copy == original,
                "{compression:?} bloom {bloom_bits}: bytes differ"
            );
        }
    }
}

#[test]
fn a_sole_entry_block_is_its_stored_bytes_and_shared_blocks_have_none() {
    let env = MemEnv::new();
    let opts = options(64, 16, CompressionType::None, 0);
    let entries: Entries = vec![
        (b"a".to_vec(), vec![b'x'; 70]),
        (b"b".to_vec(), b"1".to_vec()),
        (b"c".to_vec(), b"2".to_vec()),
    ];
    let size = write_table(&env, "/t.ldb", &opts, &entries);
    let table = open_table(&env, "/t.ldb", &opts, size, None).expect("open");
    let mut it = table.iter(true, false);
    it.seek_to_first();
    // Hand-built: shared 0, key length 1, value length 70, key, value, the
    // one restart at 0, the restart count 1; then type 0 and the CRC.
    let mut expected = vec![0u8, 1, 70, b'a'];
    expected.extend_from_slice(&[b'x'; 70]);
    expected.extend_from_slice(&[0, 0, 0, 0, 1, 0, 0, 0]);
    let trailer = block_trailer(&expected, CompressionType::None);
    expected.extend_from_slice(&trailer);
    assert_eq!(it.sole_entry_block(), Some(&expected[..]));
    it.next();
    assert_eq!(it.key(), b"b");
    assert_eq!(it.sole_entry_block(), None, "b shares its block with c");
    it.next();
    assert_eq!(it.sole_entry_block(), None);
}

#[test]
fn a_builder_copies_only_the_block_it_would_build() {
    let env = MemEnv::new();
    let snappy = options(64, 16, CompressionType::Snappy, 0);
    let entries: Entries = vec![
        (b"a".to_vec(), vec![b'x'; 70]),
        (b"b".to_vec(), vec![b'y'; 70]),
    ];
    let size = write_table(&env, "/s.ldb", &snappy, &entries);
    let table = open_table(&env, "/s.ldb", &snappy, size, None).expect("open");
    let mut it = table.iter(true, false);
    it.seek_to_first();
    let stored = it.sole_entry_block().expect("alone in its block").to_vec();
    assert_eq!(stored[stored.len() - 5], CompressionType::Snappy as u8);
    let try_copy = |opts: &TableOptions, small_first: bool| {
        let file = env.new_writable_file(Path::new("/o.ldb")).expect("create");
        let mut builder = TableBuilder::new(opts.clone(), file);
        if small_first {
            builder.add(b"0", b"v").expect("add");
        }
        builder
            .add_stored_block(b"a", 70, &stored)
            .expect("no error")
    };
    assert!(try_copy(&snappy, false));
    assert!(!try_copy(&snappy, true), "the open block holds an entry");
    let none = options(64, 16, CompressionType::None, 0);
    assert!(!try_copy(&none, false), "stored compressed, output not");
    let big_blocks = options(4096, 16, CompressionType::Snappy, 0);
    assert!(
        !try_copy(&big_blocks, false),
        "it would share a 4 KiB block"
    );
}

#[test]
fn an_uncompressed_entry_alone_in_its_block_is_written_as_the_block_builder_builds_it() {
    use crate::table::block_builder::BlockBuilder;
    // Value lengths whose varints take 1, 2 and 3 bytes; small entries in
    // between share blocks.
    for (value_len, bloom_bits) in [(100usize, 0), (300, 10), (70_000, 10)] {
        let env = MemEnv::new();
        let opts = options(64, 16, CompressionType::None, bloom_bits);
        let entries: Entries = vec![
            (b"big1".to_vec(), vec![b'v'; value_len]),
            (b"big2".to_vec(), vec![b'w'; value_len + 1]),
            (b"s1".to_vec(), b"1".to_vec()),
            (b"s2".to_vec(), b"2".to_vec()),
            (b"s3-big".to_vec(), vec![b'x'; value_len]),
        ];
        let size = write_table(&env, "/u.ldb", &opts, &entries);
        let bytes = strata_api::env::read_file_to_vec(&env, Path::new("/u.ldb")).expect("read");
        let mut block = BlockBuilder::new(16);
        block.add(b"big1", &vec![b'v'; value_len]);
        let mut expected = block.finish().to_vec();
        let trailer = block_trailer(&expected, CompressionType::None);
        expected.extend_from_slice(&trailer);
        assert_eq!(
            &bytes[..expected.len()],
            &expected[..],
            "value of {value_len}"
        );
        let table = open_table(&env, "/u.ldb", &opts, size, None).expect("open");
        let (scanned, status) = scan_forward(&mut *table.iter(true, false));
        status.expect("scan");
        assert_eq!(scanned, entries);
        let mut it = table.iter(true, false);
        it.seek(b"big2");
        assert!(it.sole_entry_block().is_some(), "big2 is alone too");
        it.seek(b"s3");
        assert_eq!(it.key(), b"s3-big");
        assert!(it.sole_entry_block().is_none(), "it joins s1 and s2");
    }
}
