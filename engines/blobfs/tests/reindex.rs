//! The index rebuilt from the blobs alone equals the index kept while
//! writing, on the test engine and on the LSM engine; a damaged index is
//! reported by `verify` and repaired by `reindex`.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use strata_api::{Engine, ReadOptions, WriteBatch, WriteOptions};
use strata_blobfs::index::INDEX_PREFIX;
use strata_blobfs::kv::scan_prefix;
use strata_blobfs::{reindex, verify, BlobFs, Signer};
use support::{bytes, t};

fn dump_index(engine: &dyn Engine) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut out = BTreeMap::new();
    scan_prefix(engine, &ReadOptions::default(), INDEX_PREFIX, |k, v| {
        out.insert(k.to_vec(), v.to_vec());
        Ok(true)
    })
    .expect("scan");
    out
}

fn build_history(fs: &BlobFs) {
    fs.mkdir("/a", Some(t(1))).expect("mkdir");
    fs.mkdir_all("/a/b/c", Some(t(2))).expect("mkdir -p");
    fs.write_file("/a/b/c/f", &bytes(9_000, 1), Some(t(3)))
        .expect("write");
    fs.write_at("/a/b/c/f", 4_000, b"patch", Some(t(4)))
        .expect("write_at");
    fs.write_file("/a/g", b"g", Some(t(5))).expect("write");
    fs.rename("/a/b", "/b", Some(t(6))).expect("rename");
    fs.unlink("/a/g", Some(t(7))).expect("unlink");
    fs.remove("/b", true, Some(t(8))).expect("rm -r");
}

fn reindex_equals_old_index(engine: Arc<dyn Engine>) {
    let fs = BlobFs::init(
        Arc::clone(&engine),
        Signer::from_secret([5u8; 32]),
        support::small_config(),
    )
    .expect("init");
    build_history(&fs);
    let owner = fs.signer().public_key_ref();
    let before = dump_index(engine.as_ref());
    assert!(before.len() > 40, "{} entries", before.len());
    assert!(verify::verify(engine.as_ref(), &owner)
        .expect("verify")
        .is_ok());

    // Rebuilding an intact index changes nothing.
    let report = reindex::reindex(engine.as_ref(), &owner, false).expect("reindex");
    assert_eq!(
        (report.entries_written, report.entries_deleted),
        (0, 0),
        "{report:?}"
    );
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(dump_index(engine.as_ref()), before);

    // From nothing: the whole index comes back from the blobs alone.
    let mut wipe = WriteBatch::new();
    for k in before.keys() {
        wipe.delete(k);
    }
    wipe.put(b"i:c:junk", b"junk");
    engine.write(&WriteOptions::default(), &wipe).expect("wipe");
    let report = verify::verify(engine.as_ref(), &owner).expect("verify");
    assert_eq!(
        report.index_problems.len(),
        before.len() + 1,
        "every entry missing, one extra"
    );
    let report = reindex::reindex(engine.as_ref(), &owner, false).expect("reindex");
    assert_eq!(report.entries_written as usize, before.len());
    assert_eq!(report.entries_deleted, 1);
    assert_eq!(dump_index(engine.as_ref()), before);
    assert_eq!(
        fs.read("/a/b/c/f", Some(t(4)))
            .expect("time travel after reindex")[4_000..4_005],
        *b"patch"
    );
    assert!(verify::verify(engine.as_ref(), &owner)
        .expect("verify")
        .is_ok());
}

#[test]
fn reindex_equals_old_index_on_test_engine() {
    reindex_equals_old_index(support::MemEngine::new());
}

#[test]
fn reindex_equals_old_index_on_lsm_engine() {
    reindex_equals_old_index(support::lsm_engine());
}
