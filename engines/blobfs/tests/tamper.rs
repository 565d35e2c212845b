//! Tampering: a flipped byte in a stored blob is reported by `verify` and
//! by the read that meets it; forged or altered claims are ignored by the
//! index (and by `reindex`) and reported by `verify`.

mod support;

use std::sync::Arc;
use strata_api::{Engine, ReadOptions, WriteOptions};
use strata_blobfs::blob::parse_data_key;
use strata_blobfs::index::{claim_entries, IndexedClaim};
use strata_blobfs::schema::{self, Claim, FileBlob};
use strata_blobfs::state;
use strata_blobfs::{reindex, verify, BlobFs, BlobRef, Signer};
use support::{bytes, new_fs, t, MemEngine};

fn content_at(fs: &BlobFs, path: &str, secs: i64) -> BlobRef {
    fs.stat(path, Some(t(secs)))
        .expect("stat")
        .content
        .expect("a file")
}

fn parts_of(fs: &BlobFs, file: &BlobRef) -> Vec<(BlobRef, u64)> {
    let data = fs
        .blobs()
        .get(&ReadOptions::default(), file)
        .expect("get")
        .expect("present");
    FileBlob::parse(file, &data)
        .expect("file blob")
        .checked_parts(file)
        .expect("parts")
        .parts
}

fn flip_byte(fs: &BlobFs, engine: &MemEngine, r: &BlobRef, at: usize) {
    let key = fs
        .blobs()
        .data_key_of(&ReadOptions::default(), r)
        .expect("location")
        .expect("stored");
    let mut data = engine
        .get(&ReadOptions::default(), &key)
        .expect("get")
        .expect("stored");
    data[at] ^= 0x01;
    engine
        .put(&WriteOptions::default(), &key, &data)
        .expect("put");
}

/// The stored claim blob whose JSON mentions `needle`.
fn claim_mentioning(engine: &MemEngine, needle: &str) -> (BlobRef, Vec<u8>) {
    engine
        .dump(b"d:")
        .into_iter()
        .find(|(_, v)| {
            schema::camli_type(v).as_deref() == Some("claim")
                && String::from_utf8_lossy(v).contains(needle)
        })
        .map(|(k, v)| (parse_data_key(&k).expect("d: key").1, v))
        .expect("claim found")
}

fn two_versions() -> (Arc<MemEngine>, BlobFs) {
    let (engine, fs) = new_fs();
    fs.write_file("/f", &bytes(10_000, 3), Some(t(1)))
        .expect("v1");
    fs.write_file("/f", b"second version", Some(t(2)))
        .expect("v2");
    (engine, fs)
}

fn owner(fs: &BlobFs) -> BlobRef {
    fs.signer().public_key_ref()
}

#[test]
fn flipped_chunk_byte_is_reported_by_read_and_verify() {
    let (engine, fs) = two_versions();
    assert!(verify::verify(engine.as_ref(), &owner(&fs))
        .expect("verify")
        .is_ok());
    let v1 = content_at(&fs, "/f", 1);
    let parts = parts_of(&fs, &v1);
    let (victim, victim_size) = parts[1];
    flip_byte(&fs, &engine, &victim, 5);

    let err = fs
        .read("/f", Some(t(1)))
        .expect_err("the read meets the bad chunk");
    assert!(err.is_corruption(), "{err}");
    assert!(
        err.to_string().contains(&victim.to_string()),
        "names the ref: {err}"
    );
    // Reads that do not touch the chunk are unaffected.
    assert_eq!(
        fs.read_range("/f", 0, 10, Some(t(1)))
            .expect("first chunk")
            .len(),
        10
    );
    assert_eq!(fs.read("/f", None).expect("v2"), b"second version");
    let out = tempfile::tempdir().expect("tempdir");
    let err = strata_blobfs::export::export(&fs, "/", &out.path().join("x"), Some(t(1)))
        .expect_err("export meets it too");
    assert!(err.is_corruption());

    let report = verify::verify(engine.as_ref(), &owner(&fs)).expect("verify");
    assert!(!report.is_ok());
    let text: Vec<String> = report.problems().map(|p| p.to_string()).collect();
    assert!(
        text.iter()
            .any(|p| p.starts_with(&format!("blob {victim}")) && p.contains("hash")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|p| p.starts_with(&format!("file {v1}")) && p.contains(&victim.to_string())),
        "the file version that needs it is named: {text:?}"
    );
    assert!(report.index_problems.is_empty(), "{text:?}");
    assert!(victim_size > 0);
}

#[test]
fn flipped_file_blob_byte_fails_stat_and_read() {
    let (engine, fs) = two_versions();
    let v2 = content_at(&fs, "/f", 2);
    flip_byte(&fs, &engine, &v2, 3);
    let err = fs.read("/f", None).expect_err("corrupt file blob");
    assert!(
        err.is_corruption() && err.to_string().contains(&v2.to_string()),
        "{err}"
    );
    assert_eq!(fs.read("/f", Some(t(1))).expect("v1 intact").len(), 10_000);
}

#[test]
fn claim_altered_in_place_is_reported_and_dropped_by_reindex() {
    let (engine, fs) = two_versions();
    let v2 = content_at(&fs, "/f", 2);
    let (claim_ref, bytes) = claim_mentioning(&engine, &v2.to_string());
    let at = bytes
        .windows(9)
        .position(|w| w == b"claimDate")
        .expect("date field")
        + 14;
    flip_byte(&fs, &engine, &claim_ref, at);
    let report = verify::verify(engine.as_ref(), &owner(&fs)).expect("verify");
    assert!(
        report
            .blob_problems
            .iter()
            .any(|p| p.object == format!("blob {claim_ref}")),
        "{:?}",
        report.blob_problems
    );
    // The index no longer matches the blobs: the claim's entries are stale.
    assert!(!report.index_problems.is_empty());
    reindex::reindex(engine.as_ref(), &owner(&fs), false).expect("reindex");
    // The altered claim is ignored: the file is back to its first version.
    assert_eq!(fs.read("/f", None).expect("v1").len(), 10_000);
    let after = verify::verify(engine.as_ref(), &owner(&fs)).expect("verify");
    assert!(
        after.index_problems.is_empty(),
        "{:?}",
        after.index_problems
    );
}

/// An attacker's content: a chunk and a file blob, stored properly.
fn attacker_file(fs: &BlobFs) -> BlobRef {
    let w = WriteOptions::default();
    let (chunk, _) = fs.blobs().put(&w, b"evil").expect("chunk");
    let file = FileBlob::new("f", 0o644, None, &[(chunk, 4)]);
    fs.blobs()
        .put(&w, &schema::to_canonical(&file).expect("json"))
        .expect("file")
        .0
}

fn inject_index(engine: &MemEngine, claim_ref: BlobRef, claim: &Claim) {
    let (permanode, date) = claim.parsed().expect("parsed");
    let indexed = IndexedClaim {
        claim_ref,
        permanode,
        date,
        claim_type: claim.claim_type,
        attribute: claim.attribute.clone(),
        value: claim.value.clone(),
    };
    for (k, v) in claim_entries(&indexed) {
        engine
            .put(&WriteOptions::default(), &k, &v)
            .expect("inject");
    }
    // And the current state, as a forger writing the index would.
    let ro = ReadOptions::default();
    let mut node = state::node(engine, &ro, &permanode)
        .expect("node")
        .unwrap_or_default();
    node.apply(
        date,
        claim.claim_type,
        &claim.attribute,
        claim.value.as_deref(),
    );
    node.file = Some(state::FileInfo {
        size_bytes: 4,
        mode: 0o644,
    });
    engine
        .put(
            &WriteOptions::default(),
            &state::node_key(&permanode),
            &state::encode_node(&node),
        )
        .expect("inject");
}

#[test]
fn altered_claim_under_its_own_hash_is_ignored_and_reported() {
    let (engine, fs) = two_versions();
    let v2 = content_at(&fs, "/f", 2);
    let evil = attacker_file(&fs);
    let (_, genuine) = claim_mentioning(&engine, &v2.to_string());
    // Same signature, new value and a later date: a validly addressed blob
    // whose signature no longer matches its payload.
    let text = String::from_utf8(genuine)
        .expect("utf8")
        .replace(&v2.to_string(), &evil.to_string());
    let text = text.replace("2024-01-01T00:00:02Z", "2024-01-01T00:00:03Z");
    let (altered, _) = fs
        .blobs()
        .put(&WriteOptions::default(), text.as_bytes())
        .expect("store");
    let (payload, _) = strata_blobfs::sign::split_signed(text.as_bytes()).expect("shape");
    let claim: Claim = serde_json::from_slice(&payload).expect("claim json");

    // Stored as a blob only: the index does not pick it up, reads ignore it.
    assert_eq!(fs.read("/f", None).expect("read"), b"second version");
    let report = verify::verify(engine.as_ref(), &owner(&fs)).expect("verify");
    let bad = report
        .blob_problems
        .iter()
        .find(|p| p.object == format!("claim {altered}"))
        .expect("reported");
    assert!(
        bad.reason.contains("signature does not verify") && bad.reason.contains("ignored"),
        "{bad}"
    );
    reindex::reindex(engine.as_ref(), &owner(&fs), false).expect("reindex");
    assert_eq!(fs.read("/f", None).expect("read"), b"second version");

    // Written straight into the index too: verify reports the entries,
    // reindex removes them.
    inject_index(&engine, altered, &claim);
    assert_eq!(
        fs.read("/f", None).expect("read"),
        b"evil",
        "the raw index is trusted by reads"
    );
    let report = verify::verify(engine.as_ref(), &owner(&fs)).expect("verify");
    assert!(
        report
            .index_problems
            .iter()
            .any(|p| p.reason.contains("forged")),
        "{report:?}"
    );
    let fixed = reindex::reindex(engine.as_ref(), &owner(&fs), false).expect("reindex");
    assert!(fixed.entries_deleted >= 2, "{fixed:?}");
    assert_eq!(fs.read("/f", None).expect("read"), b"second version");
}

#[test]
fn claim_signed_by_a_foreign_key_is_ignored_and_reported() {
    let (engine, fs) = two_versions();
    let pn = fs.stat("/f", None).expect("stat").permanode;
    let evil = attacker_file(&fs);
    let mallory = Signer::from_secret([66u8; 32]);
    fs.blobs()
        .put(&WriteOptions::default(), mallory.public_key_blob())
        .expect("key blob");
    let claim = Claim {
        camli_version: 1,
        camli_type: "claim".into(),
        camli_signer: mallory.public_key_ref().to_string(),
        perma_node: pn.to_string(),
        claim_type: schema::ClaimType::SetAttribute,
        claim_date: "2024-01-01T00:00:05Z".into(),
        attribute: "camliContent".into(),
        value: Some(evil.to_string()),
    };
    let signed = mallory
        .sign(&schema::to_canonical(&claim).expect("json"))
        .expect("sign");
    let (forged, _) = fs
        .blobs()
        .put(&WriteOptions::default(), &signed)
        .expect("store");
    inject_index(&engine, forged, &claim);

    let report = verify::verify(engine.as_ref(), &owner(&fs)).expect("verify");
    let bad = report
        .blob_problems
        .iter()
        .find(|p| p.object == format!("claim {forged}"))
        .expect("reported");
    assert!(bad.reason.contains("not by the store's owner"), "{bad}");
    assert!(!report.index_problems.is_empty());
    reindex::reindex(engine.as_ref(), &owner(&fs), false).expect("reindex");
    assert_eq!(fs.read("/f", None).expect("read"), b"second version");
    let report = verify::verify(engine.as_ref(), &owner(&fs)).expect("verify");
    assert!(report.index_problems.is_empty());
    assert_eq!(
        report.blob_problems.len(),
        1,
        "only the forged claim remains reported"
    );
}
