//! Seed inputs for every target, made by the project's own encoders: the
//! files a real database writes (tables, WAL, MANIFEST, from `strata-lsm`
//! on an in-memory Env), blocks and batches from their builders, and blobfs
//! schema blobs, signed claims and index entries. `examples/write_seeds.rs`
//! writes them into `fuzz/corpus/<target>/`.

use crate::store_targets::fuzz_signer;
use std::path::Path;
use std::sync::Arc;
use strata_api::coding::put_length_prefixed_slice;
use strata_api::env::read_file_to_vec;
use strata_api::{Engine, Env, MemEnv, WriteBatch, WriteOptions};
use strata_blobfs::index::{self, IndexedClaim};
use strata_blobfs::schema::{
    self, Claim, ClaimType, DirectoryBlob, FileBlob, Permanode, StaticSet, CAMLI_VERSION,
    TYPE_CLAIM, TYPE_DIRECTORY, TYPE_PERMANODE, TYPE_STATIC_SET,
};
use strata_blobfs::{time, BlobRef};
use strata_lsm::format::internal_key::{InternalKey, ValueType};
use strata_lsm::table::format::block_trailer;
use strata_lsm::table::{BlockBuilder, BlockHandle, CompressionType, Footer};
use strata_lsm::version::edit::{FileMetaData, VersionEdit};
use strata_lsm::wal::LogWriter;
use strata_lsm::{Db, DbOptions};

/// One seed: the target it is for, a file name, and its bytes.
pub type Seed = (&'static str, String, Vec<u8>);

/// The files of a small real database: keys written in three flushes and
/// a compaction, then more writes left in the WAL. Returned as (file name,
/// bytes) for every table, log and MANIFEST.
pub fn database_files() -> Vec<(String, Vec<u8>)> {
    let env = Arc::new(MemEnv::new());
    let dir = Path::new("/seed-db");
    let options = DbOptions {
        env: Arc::clone(&env) as Arc<dyn Env>,
        create_if_missing: true,
        block_size: 256,
        block_restart_interval: 4,
        bloom_bits_per_key: Some(10),
        ..DbOptions::default()
    };
    {
        let db = Db::open(options, dir).expect("a fresh in-memory database opens");
        let wo = WriteOptions::default();
        for round in 0..3u32 {
            for i in 0..40u32 {
                let key = format!("key{:04}", i * 3 + round);
                let value = format!("value {round} {}", "x".repeat((i % 7) as usize));
                db.put(&wo, key.as_bytes(), value.as_bytes()).expect("put");
            }
            db.delete(&wo, format!("key{:04}", round * 5).as_bytes())
                .expect("delete");
            db.flush().expect("flush");
        }
        db.compact_range(None, None).expect("compact");
        let mut batch = WriteBatch::new();
        batch.put(b"after", b"compaction");
        batch.delete(b"key0001");
        db.write(&wo, &batch).expect("write");
        db.put(&wo, b"last", &[b'z'; 300]).expect("put");
    }
    let mut files = Vec::new();
    for name in env.children(dir).expect("list the database") {
        if name.ends_with(".ldb") || name.ends_with(".log") || name.starts_with("MANIFEST") {
            let bytes = read_file_to_vec(&*env, &dir.join(&name)).expect("read a database file");
            files.push((name, bytes));
        }
    }
    files.sort();
    files
}

fn block_entries(n: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..n)
        .map(|i| {
            (
                format!("key{:03}", i * 7).into_bytes(),
                vec![b'a' + (i % 26) as u8; (i % 5) as usize],
            )
        })
        .collect()
}

fn built_block(entries: &[(Vec<u8>, Vec<u8>)], interval: usize) -> Vec<u8> {
    let mut b = BlockBuilder::new(interval);
    for (k, v) in entries {
        b.add(k, v);
    }
    b.finish().to_vec()
}

/// `flags | handle(0, len) | block | trailer` for the `format` target.
fn format_seed(flags: u8, block: &[u8], compression: CompressionType) -> Vec<u8> {
    let stored = match compression {
        CompressionType::None => block.to_vec(),
        CompressionType::Snappy => snap::raw::Encoder::new()
            .compress_vec(block)
            .expect("snappy compresses"),
    };
    let mut out = vec![flags];
    BlockHandle::new(0, stored.len() as u64).encode_to(&mut out);
    out.extend_from_slice(&stored);
    out.extend_from_slice(&block_trailer(&stored, compression));
    out
}

fn ikey(user: &str, seq: u64) -> InternalKey {
    InternalKey::new(user.as_bytes(), seq, ValueType::Value)
}

fn version_edits() -> Vec<VersionEdit> {
    let mut full = VersionEdit::new();
    full.set_comparator_name("leveldb.BytewiseComparator");
    full.set_log_number(7);
    full.set_prev_log_number(0);
    full.set_next_file_number(12);
    full.set_last_sequence(1234);
    full.set_compact_pointer(1, ikey("m", 99));
    full.delete_file(0, 4);
    full.delete_file(2, 9);
    for (level, number) in [(0u32, 10u64), (1, 11)] {
        full.add_file(
            level,
            FileMetaData {
                number,
                file_size_bytes: 4096 + number,
                smallest: ikey("a", number),
                largest: InternalKey::new(b"zz", number + 1, ValueType::Deletion),
            },
        );
    }
    let mut small = VersionEdit::new();
    small.set_log_number(3);
    small.set_next_file_number(4);
    small.set_last_sequence(0);
    vec![full, small, VersionEdit::new()]
}

fn encoded_edit(e: &VersionEdit) -> Vec<u8> {
    let mut out = Vec::new();
    e.encode(&mut out);
    out
}

fn log_of(records: &[Vec<u8>]) -> Vec<u8> {
    let env = MemEnv::new();
    let path = Path::new("/seed.log");
    let mut w = LogWriter::new(env.new_writable_file(path).expect("MemEnv creates"));
    for r in records {
        w.add_record(r).expect("MemEnv appends");
    }
    w.close().expect("MemEnv closes");
    read_file_to_vec(&env, path).expect("MemEnv reads")
}

fn batches() -> Vec<WriteBatch> {
    let mut a = WriteBatch::new();
    a.set_sequence(42);
    a.put(b"alpha", b"1");
    a.delete(b"beta");
    a.put(b"", b"");
    a.put(b"gamma", &[0x80; 200]);
    let mut b = WriteBatch::new();
    b.set_sequence(u64::from(u32::MAX) + 7);
    b.delete(b"only");
    vec![a, b, WriteBatch::new()]
}

fn canonical<T: serde::Serialize>(v: &T) -> Vec<u8> {
    schema::to_canonical(v).expect("schema values encode")
}

fn date(text: &str) -> time::ClaimTime {
    time::parse_rfc3339(text).expect("a valid seed date")
}

/// Signed claims and a signed permanode, with the claims they hold.
fn signed_claims() -> (Vec<u8>, Vec<(Vec<u8>, IndexedClaim)>) {
    let signer = fuzz_signer();
    let signer_ref = signer.public_key_ref().to_string();
    let permanode = Permanode {
        camli_version: CAMLI_VERSION,
        camli_type: TYPE_PERMANODE.to_string(),
        random: "4f2a9c".to_string(),
        camli_signer: signer_ref.clone(),
    };
    let permanode_blob = signer.sign(&canonical(&permanode)).expect("signs");
    let pn = BlobRef::of(&permanode_blob);
    let target = BlobRef::of(b"some file blob");
    let cases = [
        (
            ClaimType::SetAttribute,
            "camliContent",
            Some(target.to_string()),
            "2024-01-02T03:04:05Z",
        ),
        (
            ClaimType::AddAttribute,
            "tag",
            Some("red".to_string()),
            "2024-06-01T12:00:00.5+02:00",
        ),
        (
            ClaimType::DelAttribute,
            "camliPath:a.txt",
            None,
            "1999-12-31T23:59:59.123456789Z",
        ),
    ];
    let mut claims = Vec::new();
    for (claim_type, attribute, value, when) in cases {
        let c = Claim {
            camli_version: CAMLI_VERSION,
            camli_type: TYPE_CLAIM.to_string(),
            camli_signer: signer_ref.clone(),
            perma_node: pn.to_string(),
            claim_type,
            claim_date: when.to_string(),
            attribute: attribute.to_string(),
            value: value.clone(),
        };
        let blob = signer.sign(&canonical(&c)).expect("signs");
        let indexed = IndexedClaim {
            claim_ref: BlobRef::of(&blob),
            permanode: pn,
            date: date(when),
            claim_type,
            attribute: attribute.to_string(),
            value,
        };
        claims.push((blob, indexed));
    }
    (permanode_blob, claims)
}

fn schema_blobs() -> Vec<Vec<u8>> {
    let chunk = BlobRef::of(b"chunk bytes");
    let file = FileBlob::new(
        "notes.txt",
        0o644,
        Some(date("2024-03-04T05:06:07.25Z")),
        &[(chunk, 11), (BlobRef::of(b"more"), 4)],
    );
    let empty_file = FileBlob::new("empty", 0o600, None, &[]);
    let dir = DirectoryBlob {
        camli_version: CAMLI_VERSION,
        camli_type: TYPE_DIRECTORY.to_string(),
        file_name: "docs".to_string(),
        entries: BlobRef::of(b"set").to_string(),
    };
    let set = StaticSet {
        camli_version: CAMLI_VERSION,
        camli_type: TYPE_STATIC_SET.to_string(),
        members: vec![chunk.to_string(), BlobRef::of(b"x").to_string()],
    };
    let (permanode, claims) = signed_claims();
    let mut out = vec![
        canonical(&file),
        canonical(&empty_file),
        canonical(&dir),
        canonical(&set),
        fuzz_signer().public_key_blob().to_vec(),
        permanode,
        b"2024-01-02T03:04:05.123Z".to_vec(),
        time::sortable(date("2024-01-02T03:04:05.123Z")).into_bytes(),
    ];
    out.extend(claims.into_iter().map(|(blob, _)| blob));
    out
}

fn index_input(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in entries {
        put_length_prefixed_slice(&mut out, k);
        put_length_prefixed_slice(&mut out, v);
    }
    out
}

/// Every seed of every target.
pub fn all() -> Vec<Seed> {
    let mut seeds: Vec<Seed> = Vec::new();
    let mut add = |target: &'static str, name: &str, bytes: Vec<u8>| {
        seeds.push((target, format!("seed-{name}"), bytes));
    };

    let entries = block_entries(40);
    for interval in [1usize, 2, 16] {
        add(
            "block",
            &format!("block-r{interval}"),
            built_block(&entries, interval),
        );
    }
    add("block", "block-empty", built_block(&[], 16));
    let block = built_block(&entries, 4);
    add(
        "format",
        "plain-verified",
        format_seed(3, &block, CompressionType::None),
    );
    add(
        "format",
        "snappy-verified",
        format_seed(3, &block, CompressionType::Snappy),
    );
    add(
        "format",
        "snappy-fixcrc",
        format_seed(1, &block, CompressionType::Snappy),
    );
    let mut footer = Vec::new();
    Footer {
        metaindex_handle: BlockHandle::new(1000, 30),
        index_handle: BlockHandle::new(1035, 300),
    }
    .encode_to(&mut footer);
    add("format", "footer", footer);

    for (name, bytes) in database_files() {
        let stem = name.replace('.', "-");
        if name.ends_with(".ldb") {
            // Internal keys, bloom filter, checksums verified; and the
            // same with checksum repair and a cache.
            for flags in [0b0000_1011u8, 0b1111_1111] {
                let mut input = vec![flags];
                input.extend_from_slice(&bytes);
                add("table", &format!("{stem}-f{flags:02x}"), input);
            }
            let mut input = vec![1u8];
            input.extend_from_slice(&bytes);
            add("format", &stem, input);
        } else {
            for flags in [1u8, 0, 2 | (3 << 2)] {
                let mut input = vec![flags];
                input.extend_from_slice(&bytes);
                add("log", &format!("{stem}-f{flags:02x}"), input);
            }
        }
    }
    let edits = version_edits();
    let manifest: Vec<Vec<u8>> = edits.iter().map(encoded_edit).collect();
    add(
        "log",
        "manifest-edits",
        [vec![1u8], log_of(&manifest)].concat(),
    );
    let long_record = vec![b'r'; 40_000];
    add(
        "log",
        "fragmented",
        [vec![1u8], log_of(&[b"short".to_vec(), long_record])].concat(),
    );
    for (i, e) in edits.iter().enumerate() {
        add("version_edit", &format!("edit-{i}"), encoded_edit(e));
    }
    for (i, b) in batches().iter().enumerate() {
        add("write_batch", &format!("batch-{i}"), b.as_bytes().to_vec());
    }
    for (i, blob) in schema_blobs().into_iter().enumerate() {
        add("schema", &format!("blob-{i}"), blob);
    }
    let (_, claims) = signed_claims();
    let mut all_entries = Vec::new();
    for (i, (blob, c)) in claims.iter().enumerate() {
        add("claim", &format!("claim-{i}"), blob.clone());
        let entries = index::claim_entries(c);
        add("claim_index", &format!("claim-{i}"), index_input(&entries));
        all_entries.extend(entries);
    }
    let pn = claims[0].1.permanode;
    all_entries.push(index::permanode_entry(&pn, &fuzz_signer().public_key_ref()));
    all_entries.push(index::root_entry(&pn));
    add("claim_index", "all", index_input(&all_entries));
    seeds
}
