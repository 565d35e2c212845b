//! Damaged tables: every byte flipped in turn must never panic, never
//! yield a pair that was not written, and be reported as `Corruption`
//! naming the table and the damaged block.

use super::*;
use crate::table::block::Block;
use crate::table::format::{read_block, BlockHandle, Footer, FOOTER_BYTES};
use std::collections::BTreeMap;
use strata_api::env::write_file;
use strata_api::Error;

const NAME: &str = "/c.ldb";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Data,
    Filter,
    Metaindex,
    Index,
    Footer,
}

/// Where each block of the pristine table lies, with its trailer.
struct Layout {
    /// (start, end, kind); data blocks also note their entries' index range.
    regions: Vec<(u64, u64, Kind, std::ops::Range<usize>)>,
}

impl Layout {
    fn of(bytes: &[u8], opts: &TableOptions) -> Layout {
        let env = MemEnv::new();
        write_file(&env, Path::new("/l"), bytes, false).expect("write");
        let f = env.new_random_access_file(Path::new("/l")).expect("open");
        let size = bytes.len() as u64;
        let footer_at = size - FOOTER_BYTES as u64;
        let footer = Footer::decode(&bytes[footer_at as usize..], "l", footer_at).expect("footer");
        let span = |h: &BlockHandle| (h.offset, h.offset + h.size + 5);
        let mut regions = Vec::new();
        let read = |h: &BlockHandle| {
            let data = read_block(&*f, "l", h, true).expect("block");
            Arc::new(Block::new(data, Arc::from("l"), h.offset).expect("valid block"))
        };
        let index = read(&footer.index_handle);
        let mut it = index.iter(opts.comparator.clone());
        it.seek_to_first();
        let mut first_entry = 0;
        while it.valid() {
            let (h, _) = BlockHandle::decode_from(it.value()).expect("handle");
            let mut bit = read(&h).iter(opts.comparator.clone());
            bit.seek_to_first();
            let mut n = 0;
            while bit.valid() {
                n += 1;
                bit.next();
            }
            let (s, e) = span(&h);
            regions.push((s, e, Kind::Data, first_entry..first_entry + n));
            first_entry += n;
            it.next();
        }
        let meta = read(&footer.metaindex_handle);
        let mut mit = meta.iter(opts.comparator.clone());
        mit.seek_to_first();
        if mit.valid() {
            let (h, _) = BlockHandle::decode_from(mit.value()).expect("filter handle");
            let (s, e) = span(&h);
            regions.push((s, e, Kind::Filter, 0..0));
        }
        let (s, e) = span(&footer.metaindex_handle);
        regions.push((s, e, Kind::Metaindex, 0..0));
        let (s, e) = span(&footer.index_handle);
        regions.push((s, e, Kind::Index, 0..0));
        regions.push((footer_at, size, Kind::Footer, 0..0));
        regions.sort_by_key(|r| r.0);
        // The regions tile the file exactly.
        let mut at = 0;
        for r in &regions {
            assert_eq!(r.0, at, "regions tile the file");
            at = r.1;
        }
        assert_eq!(at, size);
        Layout { regions }
    }

    fn region_of(&self, pos: u64) -> &(u64, u64, Kind, std::ops::Range<usize>) {
        self.regions
            .iter()
            .find(|r| r.0 <= pos && pos < r.1)
            .expect("every byte is in a region")
    }
}

fn corruption_of(err: &Error) -> (&str, u64) {
    match err {
        Error::Corruption {
            file, offset_bytes, ..
        } => (file.as_str(), *offset_bytes),
        other => panic!("expected Corruption, got {other}"),
    }
}

fn pristine(opts: &TableOptions) -> (Entries, Vec<u8>) {
    // Compressible values in some blocks, random-looking in others, so
    // both stored types are damaged.
    let entries: Entries = (0..40u32)
        .map(|i| {
            let value = if i % 10 < 5 {
                vec![b'a' + (i % 26) as u8; 30]
            } else {
                (0..30u32)
                    .map(|j| (i.wrapping_mul(2_654_435_761) >> (j % 24)) as u8)
                    .collect()
            };
            (format!("key{:04}", i * 7).into_bytes(), value)
        })
        .collect();
    let env = MemEnv::new();
    write_table(&env, NAME, opts, &entries);
    let bytes = strata_api::env::read_file_to_vec(&env, Path::new(NAME)).expect("read");
    (entries, bytes)
}

/// Opens, scans both ways and reads every key of a damaged copy, checking
/// what comes back against the pristine entries and the layout.
/// Where a damaged table is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    /// A `MemEnv` file: blocks are read with copies.
    Memory,
    /// A `PosixEnv` file, memory-mapped: uncompressed blocks are served
    /// from the mapping, so checksums must be verified there too.
    Mapped,
}

/// Opens `bytes` as table `NAME` from `store`, with `cache`. The returned
/// directory (for `Mapped`) must outlive the table.
fn open_damaged(
    bytes: &[u8],
    opts: &TableOptions,
    store: Store,
    cache: Option<Arc<BlockCache>>,
) -> (Option<tempfile::TempDir>, strata_api::Result<Arc<Table>>) {
    match store {
        Store::Memory => {
            let env = MemEnv::new();
            write_file(&env, Path::new(NAME), bytes, false).expect("write");
            let table = open_table(&env, NAME, opts, bytes.len() as u64, cache);
            (None, table)
        }
        Store::Mapped => {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("c.ldb");
            std::fs::write(&path, bytes).expect("write");
            let file = strata_api::PosixEnv::new()
                .new_random_access_file(&path)
                .expect("open");
            assert!(file.read_mapped(0, bytes.len()).is_some(), "mapped");
            let table = Table::open(
                opts.clone(),
                file,
                NAME.to_string(),
                bytes.len() as u64,
                cache,
            );
            (Some(dir), table)
        }
    }
}

fn check_flip(
    bytes: &[u8],
    pos: usize,
    opts: &TableOptions,
    entries: &Entries,
    layout: &Layout,
    store: Store,
) {
    let model: BTreeMap<&[u8], &[u8]> = entries
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    let (start, _, kind, ref block_entries) = *layout.region_of(pos as u64);
    let cache = Arc::new(BlockCache::new(1 << 20));
    let check_err = |err: &Error, what: &str| {
        let (file, offset) = corruption_of(err);
        assert_eq!(file, NAME, "{what}: flip at {pos}");
        if kind != Kind::Footer {
            // A damaged footer handle may send the read anywhere.
            assert_eq!(offset, start, "{what}: flip at {pos} in {kind:?}");
        }
    };
    let (_dir, table) = open_damaged(bytes, opts, store, Some(cache));
    let table = match table {
        Ok(t) => t,
        Err(e) => {
            check_err(&e, "open");
            assert!(
                matches!(kind, Kind::Index | Kind::Footer),
                "open failed for a flip in {kind:?}"
            );
            return;
        }
    };
    assert!(
        kind != Kind::Index,
        "a damaged index block must fail open (flip at {pos})"
    );

    for backward in [false, true] {
        let mut it = table.iter(true, true);
        let (got, status) = if backward {
            scan_backward(&mut *it)
        } else {
            scan_forward(&mut *it)
        };
        for (k, v) in &got {
            assert_eq!(
                model.get(k.as_slice()),
                Some(&v.as_slice()),
                "invented pair (flip at {pos})"
            );
        }
        match status {
            Err(e) => {
                check_err(&e, "scan");
                assert_eq!(kind, Kind::Data);
            }
            Ok(()) => assert!(
                kind != Kind::Data,
                "flip at {pos} in a data block went unnoticed"
            ),
        }
        // Every entry before the damaged block (in the scan's direction)
        // is returned; the scan stops there rather than skip the block.
        let first_bad = Some(block_entries.start).filter(|_| !block_entries.is_empty());
        let last_bad = block_entries.clone().next_back();
        let expected: Vec<&(Vec<u8>, Vec<u8>)> = entries
            .iter()
            .enumerate()
            .filter(|(i, _)| match (kind, first_bad, last_bad) {
                (Kind::Data, Some(lo), Some(hi)) => {
                    if backward {
                        *i > hi
                    } else {
                        *i < lo
                    }
                }
                _ => true,
            })
            .map(|(_, e)| e)
            .collect();
        assert_eq!(got.iter().collect::<Vec<_>>(), expected, "flip at {pos}");
    }

    for (i, (k, v)) in entries.iter().enumerate() {
        let mut got = None;
        match table.internal_get(true, false, k, &mut |k2, v2| {
            got = Some((k2.to_vec(), v2.to_vec()))
        }) {
            Ok(_) => {
                if let Some((k2, v2)) = &got {
                    assert_eq!(
                        model.get(k2.as_slice()),
                        Some(&v2.as_slice()),
                        "invented pair"
                    );
                }
                if kind != Kind::Data || !block_entries.contains(&i) {
                    assert_eq!(
                        got,
                        Some((k.clone(), v.clone())),
                        "lost key (flip at {pos})"
                    );
                }
            }
            Err(e) => {
                check_err(&e, "get");
                assert!(kind == Kind::Data && block_entries.contains(&i));
            }
        }
    }
}

fn flip_every_byte(opts: &TableOptions, store: Store) {
    let (entries, bytes) = pristine(opts);
    let layout = Layout::of(&bytes, opts);
    assert!(layout.regions.iter().filter(|r| r.2 == Kind::Data).count() >= 4);
    for pos in 0..bytes.len() {
        // One bit of every byte; all eight bits of every ninth byte.
        let masks: &[u8] = if pos % 9 == 0 {
            &[1, 2, 4, 8, 16, 32, 64, 128]
        } else {
            &[1 << (pos % 8)]
        };
        for &mask in masks {
            let mut damaged = bytes.clone();
            damaged[pos] ^= mask;
            check_flip(&damaged, pos, opts, &entries, &layout, store);
        }
    }
}

#[test]
fn every_flip_is_caught_with_snappy_and_bloom() {
    flip_every_byte(&options(200, 4, CompressionType::Snappy, 10), Store::Memory);
}

#[test]
fn every_flip_is_caught_uncompressed_without_filter() {
    flip_every_byte(&options(256, 16, CompressionType::None, 0), Store::Memory);
}

#[test]
fn every_flip_is_caught_in_a_mapped_table() {
    flip_every_byte(&options(256, 16, CompressionType::None, 10), Store::Mapped);
}

#[test]
fn every_flip_is_caught_in_a_mapped_snappy_table() {
    flip_every_byte(&options(200, 4, CompressionType::Snappy, 0), Store::Mapped);
}

#[test]
fn unverified_reads_of_damaged_tables_never_panic() {
    // Without checksums, damage reaches the block parser and the snappy
    // decoder: results may be wrong, but errors are Corruption of this
    // table and nothing panics.
    unverified_reads_never_panic(&options(200, 4, CompressionType::Snappy, 10));
}

#[test]
fn unverified_reads_of_damaged_uncompressed_tables_never_panic() {
    // Uncompressed: the parser reads the damage from the mapping itself.
    unverified_reads_never_panic(&options(256, 16, CompressionType::None, 10));
}

fn unverified_reads_never_panic(opts: &TableOptions) {
    let opts = opts.clone();
    let (entries, bytes) = pristine(&opts);
    for pos in 0..bytes.len() - FOOTER_BYTES {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut damaged = bytes.clone();
            damaged[pos] ^= mask;
            // Mapped for every third byte: the parser then reads the
            // damage straight from the mapping.
            let store = if pos % 3 == 0 {
                Store::Mapped
            } else {
                Store::Memory
            };
            let (_dir, table) = open_damaged(&damaged, &opts, store, None);
            let Ok(table) = table else {
                continue;
            };
            let mut it = table.iter(false, false);
            for status in [scan_forward(&mut *it).1, scan_backward(&mut *it).1] {
                if let Err(e) = status {
                    assert_eq!(corruption_of(&e).0, NAME);
                }
            }
            for (k, _) in &entries {
                it.seek(k);
                if let Err(e) = table.internal_get(false, false, k, &mut |_, _| {}) {
                    assert_eq!(corruption_of(&e).0, NAME);
                }
                let _ = table.approximate_offset_of(k);
            }
        }
    }
}

#[test]
fn truncated_tables_fail_to_open() {
    let opts = options(200, 4, CompressionType::Snappy, 10);
    let (_, bytes) = pristine(&opts);
    for len in 0..bytes.len() {
        let env = MemEnv::new();
        write_file(&env, Path::new(NAME), &bytes[..len], false).expect("write");
        let err = open_table(&env, NAME, &opts, len as u64, None).expect_err("truncated");
        assert_eq!(corruption_of(&err).0, NAME);
    }
    // A size larger than the file: the footer read comes up short.
    let env = MemEnv::new();
    write_file(&env, Path::new(NAME), &bytes, false).expect("write");
    let err = open_table(&env, NAME, &opts, bytes.len() as u64 + 10, None).expect_err("size");
    assert_eq!(corruption_of(&err).0, NAME);
}
