//! Blob storage: content addressing, dedupe of puts, the size limit, and
//! verification on read.

mod support;

use std::sync::Arc;
use strata_api::{Engine, ReadOptions, WriteOptions};
use strata_blobfs::{BlobFs, BlobRef, BlobStore, ChunkerConfig, FsConfig, FsError, Signer};
use support::MemEngine;

#[test]
fn put_is_idempotent_limited_and_verified() {
    let engine = MemEngine::new();
    let store = BlobStore::new(Arc::clone(&engine) as Arc<dyn Engine>, 1024);
    let w = WriteOptions::default();
    let ro = ReadOptions::default();

    let (r, new) = store.put(&w, b"hello").expect("put");
    assert!(new);
    assert_eq!(r, BlobRef::of(b"hello"));
    let before = engine.dump(b"");
    let (again, new) = store.put(&w, b"hello").expect("put again");
    assert_eq!((again, new), (r, false));
    assert_eq!(engine.dump(b""), before, "an existing blob writes nothing");

    assert!(matches!(
        store.put(&w, &[0u8; 1025]),
        Err(FsError::Usage(_))
    ));
    assert!(store.put(&w, &[0u8; 1024]).is_ok());

    let missing = BlobRef::of(b"absent");
    assert_eq!(store.get(&ro, &missing).expect("get"), None);
    assert!(store
        .fetch(&ro, &missing)
        .expect_err("referenced")
        .is_corruption());

    let key = store
        .data_key_of(&ro, &r)
        .expect("location")
        .expect("stored");
    engine.put(&w, &key, b"hellO").expect("tamper");
    let err = store.get(&ro, &r).expect_err("mismatch");
    assert!(
        err.is_corruption() && err.to_string().contains(&r.to_string()),
        "{err}"
    );
}

#[test]
fn config_is_validated() {
    let bad_chunker = FsConfig {
        chunker: ChunkerConfig {
            min_bytes: 4096,
            avg_bytes: 1024,
            max_bytes: 8192,
        },
        ..FsConfig::default()
    };
    let too_small_blobs = FsConfig {
        max_blob_bytes: 1000,
        ..FsConfig::default()
    };
    for config in [bad_chunker, too_small_blobs] {
        let result = BlobFs::init(MemEngine::new(), Signer::from_secret([1u8; 32]), config);
        assert!(matches!(result, Err(FsError::Usage(_))));
    }
}
