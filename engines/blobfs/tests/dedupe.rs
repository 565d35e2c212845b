//! Dedupe with the default chunker (16 KiB / 64 KiB / 256 KiB): writing the
//! same 4 MiB file twice stores no new chunk, and a one-byte edit in its
//! middle stores at most N = 2 new chunks (so at most 512 KiB, one eighth of
//! the file; the chunk unit test shows why: a cut depends only on the 64
//! bytes before it, so cuts resynchronise within a chunk or two).

mod support;

use std::sync::Arc;
use strata_api::Engine;
use strata_blobfs::{stats, BlobFs, FsConfig, Signer};
use support::{bytes, t, MemEngine};

/// The bound this test states: new chunks stored by a one-byte edit.
const MAX_NEW_CHUNKS_PER_EDIT: u64 = 2;

#[test]
fn same_file_twice_and_a_middle_edit_add_only_a_few_chunks() {
    let engine = MemEngine::new();
    let fs = BlobFs::init(
        Arc::clone(&engine) as Arc<dyn Engine>,
        Signer::from_secret([3u8; 32]),
        FsConfig::default(),
    )
    .expect("init");
    let size = 4 << 20;
    let data = bytes(size, 11);

    let first = fs.write_file("/big", &data, Some(t(1))).expect("first");
    assert_eq!(
        first.chunks_new, first.chunks_total,
        "random data: every chunk is new"
    );
    assert!(
        (32..=128).contains(&first.chunks_total),
        "~64 KiB chunks: {first:?}"
    );
    assert_eq!(first.bytes_new, size as u64);

    let again = fs
        .write_file("/copy", &data, Some(t(2)))
        .expect("second copy");
    assert_eq!((again.chunks_new, again.bytes_new), (0, 0), "{again:?}");
    assert_eq!(again.chunks_total, first.chunks_total);

    let mut edited = data.clone();
    edited[size / 2] ^= 0xff;
    let edit = fs
        .write_file("/big", &edited, Some(t(3)))
        .expect("edited whole");
    assert!(
        (1..=MAX_NEW_CHUNKS_PER_EDIT).contains(&edit.chunks_new),
        "a one-byte edit stored {} new chunks",
        edit.chunks_new
    );
    assert!(edit.bytes_new <= MAX_NEW_CHUNKS_PER_EDIT * 256 * 1024);

    let poke = fs
        .write_at("/copy", (size / 3) as u64, b"!", Some(t(4)))
        .expect("write_at");
    assert!(
        (1..=MAX_NEW_CHUNKS_PER_EDIT).contains(&poke.chunks_new),
        "write_at of one byte stored {} new chunks",
        poke.chunks_new
    );
    assert!(
        poke.chunks_total <= 3,
        "write_at re-cut only around the edit: {poke:?}"
    );

    assert_eq!(fs.read("/big", Some(t(1))).expect("old"), data);
    assert_eq!(fs.read("/big", None).expect("new"), edited);
    let s = stats::stats(engine.as_ref()).expect("stats");
    assert_eq!(s.file_versions, 4);
    assert_eq!(s.logical_bytes, 4 * size as u64);
    assert_eq!(
        s.chunk_bytes,
        first.bytes_new + edit.bytes_new + poke.bytes_new,
        "stored data is exactly the new chunks"
    );
    assert!(s.dedupe_ratio() > 3.5, "dedupe ratio {}", s.dedupe_ratio());
}
