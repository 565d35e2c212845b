//! A format-1 store, written key by key as the format-1 code laid it out
//! (blobs under `b:<ref text>`, single claims, the claim index, no format
//! key), is refused with `UnsupportedFormat` and converted by `upgrade`,
//! after which every path, its history and `verify` are as before.

mod support;

use std::sync::Arc;
use strata_api::{Engine, WriteBatch, WriteOptions};
use strata_blobfs::index::{self, IndexedClaim};
use strata_blobfs::schema::ClaimType;
use strata_blobfs::time::parse_rfc3339;
use strata_blobfs::upgrade::{upgrade, LEGACY_BLOB_PREFIX};
use strata_blobfs::{verify, BlobFs, BlobRef, FsConfig, FsError, NodeKind, Signer};
use support::MemEngine;

struct V1 {
    batch: WriteBatch,
    signer: Signer,
    blobs: usize,
}

impl V1 {
    fn blob(&mut self, data: &[u8]) -> BlobRef {
        let r = BlobRef::of(data);
        let mut key = LEGACY_BLOB_PREFIX.to_vec();
        key.extend_from_slice(r.to_string().as_bytes());
        self.batch.put(&key, data);
        self.blobs += 1;
        r
    }

    fn permanode(&mut self, random: &str) -> BlobRef {
        let json = format!(
            "{{\"camliVersion\":1,\"camliType\":\"permanode\",\"random\":\"{random}\",\"camliSigner\":\"{}\"}}",
            self.signer.public_key_ref()
        );
        let signed = self.signer.sign(json.as_bytes()).expect("sign");
        let r = self.blob(&signed);
        let (k, v) = index::permanode_entry(&r, &self.signer.public_key_ref());
        self.batch.put(&k, &v);
        r
    }

    fn claim(&mut self, pn: BlobRef, date: &str, attribute: &str, value: &str) {
        let json = format!(
            "{{\"camliVersion\":1,\"camliType\":\"claim\",\"camliSigner\":\"{}\",\"permaNode\":\"{pn}\",\
             \"claimType\":\"set-attribute\",\"claimDate\":\"{date}\",\"attribute\":\"{attribute}\",\
             \"value\":\"{value}\"}}",
            self.signer.public_key_ref()
        );
        let signed = self.signer.sign(json.as_bytes()).expect("sign");
        let claim_ref = self.blob(&signed);
        let c = IndexedClaim {
            claim_ref,
            permanode: pn,
            date: parse_rfc3339(date).expect("date"),
            claim_type: ClaimType::SetAttribute,
            attribute: attribute.to_string(),
            value: Some(value.to_string()),
        };
        for (k, v) in index::claim_entries(&c) {
            self.batch.put(&k, &v);
        }
    }
}

/// `/docs/a.txt` ("hello v1\n" at T1, "hello v2\n" at T2) in format 1.
fn format_1_store() -> (Arc<MemEngine>, usize) {
    let mut v1 = V1 {
        batch: WriteBatch::new(),
        signer: Signer::from_secret([42u8; 32]),
        blobs: 0,
    };
    let key_blob = v1.signer.public_key_blob().to_vec();
    v1.blob(&key_blob);
    let root = v1.permanode("00000000000000000000000000000001");
    v1.claim(root, "1970-01-01T00:00:00Z", "camliRoot", "strata");
    v1.claim(root, "1970-01-01T00:00:00Z", "camliNodeType", "directory");
    v1.batch.put(b"i:root", root.to_string().as_bytes());
    let docs = v1.permanode("00000000000000000000000000000002");
    v1.claim(docs, "2024-01-01T00:00:01Z", "camliNodeType", "directory");
    v1.claim(
        root,
        "2024-01-01T00:00:01Z",
        "camliPath:docs",
        &docs.to_string(),
    );
    let file = v1.permanode("00000000000000000000000000000003");
    v1.claim(
        docs,
        "2024-01-01T00:00:02Z",
        "camliPath:a.txt",
        &file.to_string(),
    );
    for (i, text) in ["hello v1\n", "hello v2\n"].iter().enumerate() {
        let chunk = v1.blob(text.as_bytes());
        let blob = format!(
            "{{\"camliVersion\":1,\"camliType\":\"file\",\"fileName\":\"a.txt\",\"unixPermission\":\"0640\",\
             \"parts\":[{{\"blobRef\":\"{chunk}\",\"size\":9}}]}}"
        );
        let file_blob = v1.blob(blob.as_bytes());
        let date = format!("2024-01-01T00:00:0{}Z", i + 2);
        v1.claim(file, &date, "camliContent", &file_blob.to_string());
    }
    let engine = MemEngine::new();
    engine
        .write(&WriteOptions::default(), &v1.batch)
        .expect("write");
    (engine, v1.blobs)
}

fn t(secs: i64) -> chrono::DateTime<chrono::Utc> {
    support::t(secs)
}

#[test]
fn format_1_is_refused_then_upgraded_in_place() {
    let (engine, blobs) = format_1_store();
    let dyn_engine: Arc<dyn Engine> = Arc::clone(&engine) as Arc<dyn Engine>;
    let signer = Signer::from_secret([42u8; 32]);
    let owner = signer.public_key_ref();
    let refused = BlobFs::open(Arc::clone(&dyn_engine), signer, FsConfig::default()).err();
    assert!(
        matches!(
            refused,
            Some(FsError::UnsupportedFormat {
                found: 1,
                supported: 2
            })
        ),
        "{refused:?}"
    );
    assert!(matches!(
        verify::verify(engine.as_ref(), &owner),
        Err(FsError::UnsupportedFormat { .. })
    ));
    assert!(matches!(
        strata_blobfs::reindex::reindex(engine.as_ref(), &owner, false),
        Err(FsError::UnsupportedFormat { .. })
    ));

    let report = upgrade(&dyn_engine, &owner, false).expect("upgrade");
    assert_eq!(report.from_format, 1);
    assert_eq!(report.blobs_moved as usize, blobs);
    assert!(report.entries_written > 0, "{report:?}");
    assert_eq!(report.entries_deleted, 0, "{report:?}");
    assert!(engine.dump(LEGACY_BLOB_PREFIX).is_empty());
    assert_eq!(
        engine.dump(b"m:format").into_values().collect::<Vec<_>>(),
        vec![b"2".to_vec()]
    );

    let fs = BlobFs::open(
        dyn_engine.clone(),
        Signer::from_secret([42u8; 32]),
        FsConfig::default(),
    )
    .expect("open after upgrade");
    assert_eq!(fs.read("/docs/a.txt", None).expect("now"), b"hello v2\n");
    assert_eq!(
        fs.read("/docs/a.txt", Some(t(2))).expect("then"),
        b"hello v1\n"
    );
    let stat = fs.stat("/docs/a.txt", None).expect("stat");
    assert_eq!(
        (stat.kind, stat.size_bytes, stat.mode),
        (NodeKind::File, 9, 0o640)
    );
    assert_eq!(fs.readdir("/docs", None).expect("ls")[0].name, "a.txt");
    assert_eq!(fs.history("/docs/a.txt").expect("log").len(), 2);
    assert!(verify::verify(engine.as_ref(), &owner)
        .expect("verify")
        .is_ok());

    // The upgraded store takes new versions; a second upgrade does nothing.
    fs.write_file("/docs/a.txt", b"hello v3\n", Some(t(10)))
        .expect("write");
    assert_eq!(fs.read("/docs/a.txt", None).expect("v3"), b"hello v3\n");
    let again = upgrade(&dyn_engine, &owner, false).expect("again");
    assert_eq!((again.from_format, again.blobs_moved), (2, 0));
    assert!(verify::verify(engine.as_ref(), &owner)
        .expect("verify")
        .is_ok());
}

#[test]
fn an_interrupted_upgrade_finishes_when_run_again() {
    let (engine, blobs) = format_1_store();
    let dyn_engine: Arc<dyn Engine> = Arc::clone(&engine) as Arc<dyn Engine>;
    let owner = Signer::from_secret([42u8; 32]).public_key_ref();
    // As if killed after moving some blobs: move two by hand, keep format 1.
    let store = strata_blobfs::BlobStore::new(Arc::clone(&dyn_engine), u32::MAX);
    let legacy = engine.dump(LEGACY_BLOB_PREFIX);
    let mut batch = WriteBatch::new();
    for (k, v) in legacy.iter().take(2) {
        let r = BlobRef::parse_bytes(&k[2..]).expect("ref");
        let mut staged = std::collections::HashSet::new();
        store.stage(&mut batch, &mut staged, v).expect("stage");
        assert_eq!(BlobRef::of(v), r);
        batch.delete(k);
    }
    engine
        .write(&WriteOptions::default(), &batch)
        .expect("partial move");
    let report = upgrade(&dyn_engine, &owner, false).expect("resume");
    assert_eq!(report.blobs_moved as usize, blobs - 2);
    let fs = BlobFs::open(
        dyn_engine,
        Signer::from_secret([42u8; 32]),
        FsConfig::default(),
    )
    .expect("open");
    assert_eq!(fs.read("/docs/a.txt", None).expect("now"), b"hello v2\n");
    assert!(verify::verify(engine.as_ref(), &owner)
        .expect("verify")
        .is_ok());
}
