//! Tests every memtable variant against one model and under concurrency.

use super::*;
use crate::format::internal_key::{
    append_internal_key, compare_internal_keys, parse_internal_key, MAX_SEQUENCE_NUMBER,
};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Instant;
use strata_api::KvIterator;

/// The model: (user key, newest first) -> (type, value).
type Model = BTreeMap<(Vec<u8>, Reverse<u64>), (ValueType, Vec<u8>)>;

/// User keys with shared prefixes, the empty key and a long key, so that
/// ordering across lengths is exercised.
fn key_space() -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"a".to_vec(),
        b"ab".to_vec(),
        b"abc".to_vec(),
        b"b".to_vec(),
        vec![0xff; 3],
        vec![0x00],
        vec![b'k'; 300],
    ];
    keys.extend((0..24u32).map(|i| format!("key{i:03}").into_bytes()));
    keys
}

fn model_internal_key(user_key: &[u8], seq: u64, t: ValueType) -> Vec<u8> {
    let mut k = Vec::new();
    append_internal_key(&mut k, user_key, seq, t);
    k
}

/// The model's entries as (internal key, value), in order.
fn model_entries(model: &Model) -> Vec<(Vec<u8>, Vec<u8>)> {
    model
        .iter()
        .map(|((k, Reverse(seq)), (t, v))| (model_internal_key(k, *seq, *t), v.clone()))
        .collect()
}

/// What a get at `snapshot` must return, from the model.
fn model_get(model: &Model, user_key: &[u8], snapshot: u64) -> (MemGet, Option<Vec<u8>>) {
    let from = (user_key.to_vec(), Reverse(snapshot));
    let to = (user_key.to_vec(), Reverse(0));
    match model.range(from..=to).next() {
        None => (MemGet::Absent, None),
        Some((_, (ValueType::Deletion, _))) => (MemGet::Deleted, None),
        Some((_, (ValueType::Value, v))) => (MemGet::Found, Some(v.clone())),
    }
}

fn collect_forward(it: &mut dyn KvIterator) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    it.seek_to_first();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.next();
    }
    out
}

fn collect_backward(it: &mut dyn KvIterator) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    it.seek_to_last();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.prev();
    }
    out.reverse();
    out
}

fn check_against_model(table: &dyn MemTable, model: &Model, rng: &mut Xoshiro256PlusPlus) {
    let keys = key_space();
    let max_seq = model.keys().map(|(_, Reverse(s))| *s).max().unwrap_or(0);
    assert_eq!(table.len(), model.len(), "{}", table.name());
    assert_eq!(table.is_empty(), model.is_empty());

    // Gets at random snapshots, including ones below every entry.
    let mut value = Vec::new();
    for _ in 0..100 {
        let user_key = &keys[rng.gen_range(0..keys.len())];
        let snapshot = rng.gen_range(0..=max_seq + 1);
        let (want, want_value) = model_get(model, user_key, snapshot);
        value.clear();
        value.extend_from_slice(b"stale");
        let got = table.get(&LookupKey::new(user_key, snapshot), &mut value);
        assert_eq!(got, want, "{} get {user_key:?} @ {snapshot}", table.name());
        if let Some(v) = want_value {
            assert_eq!(
                value,
                v,
                "{} value of {user_key:?} @ {snapshot}",
                table.name()
            );
        }
    }
    // A key never written.
    assert_eq!(
        table.get(
            &LookupKey::new(b"zzz-absent", MAX_SEQUENCE_NUMBER),
            &mut value
        ),
        MemGet::Absent
    );

    let want = model_entries(model);
    let mut it = table.iter();
    assert!(!it.valid(), "a new cursor is not positioned");
    assert_eq!(
        collect_forward(it.as_mut()),
        want,
        "{} forward",
        table.name()
    );
    assert_eq!(
        collect_backward(it.as_mut()),
        want,
        "{} backward",
        table.name()
    );

    // Seeks to random internal keys, then a random walk from there.
    for _ in 0..40 {
        let user_key = &keys[rng.gen_range(0..keys.len())];
        let seq = rng.gen_range(0..=max_seq + 1);
        let t = if rng.gen_bool(0.5) {
            ValueType::Value
        } else {
            ValueType::Deletion
        };
        let target = model_internal_key(user_key, seq, t);
        let mut pos = want.partition_point(|(k, _)| compare_internal_keys(k, &target).is_lt());
        it.seek(&target);
        for step in 0..8 {
            match want.get(pos) {
                Some((k, v)) => {
                    assert!(it.valid(), "{} step {step} after seek", table.name());
                    assert_eq!((it.key(), it.value()), (k.as_slice(), v.as_slice()));
                }
                None => {
                    assert!(!it.valid(), "{} step {step} after seek", table.name());
                    break;
                }
            }
            if rng.gen_bool(0.5) {
                it.next();
                pos += 1;
            } else {
                it.prev();
                // Before the first entry the cursor is invalid: model that
                // as the past-the-end position.
                pos = pos.checked_sub(1).unwrap_or(want.len());
            }
        }
    }
    assert!(it.status().is_ok());
}

/// Random puts and deletes with increasing sequence numbers, checked
/// against the model at intervals.
fn model_test(kind: MemTableKind, seed: u64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let keys = key_space();
    let table = kind.create();
    assert_eq!(table.name(), kind.name());
    let mut model = Model::new();
    check_against_model(table.as_ref(), &model, &mut rng);
    let mut last_memory_bytes = table.approximate_memory_usage();
    // Sequence numbers increase with gaps, as after a snapshot-free replay.
    let mut seq = 0u64;
    for op in 1..=1500 {
        seq += rng.gen_range(1..4);
        let user_key = keys[rng.gen_range(0..keys.len())].clone();
        let (t, value) = if rng.gen_bool(0.25) {
            (ValueType::Deletion, Vec::new())
        } else {
            let len = rng.gen_range(0..40);
            let v: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            (ValueType::Value, v)
        };
        table.add(seq, t, &user_key, &value);
        model.insert((user_key, Reverse(seq)), (t, value));
        let memory_bytes = table.approximate_memory_usage();
        assert!(
            memory_bytes >= last_memory_bytes,
            "memory usage never shrinks"
        );
        last_memory_bytes = memory_bytes;
        if op % 300 == 0 {
            check_against_model(table.as_ref(), &model, &mut rng);
        }
    }
    // Every entry's bytes are accounted for.
    let payload_bytes: usize = model
        .iter()
        .map(|((k, _), (_, v))| k.len() + 8 + v.len())
        .sum();
    assert!(
        table.approximate_memory_usage() >= payload_bytes,
        "{}",
        kind.name()
    );
}

#[test]
fn every_kind_matches_the_model() {
    for &kind in MemTableKind::ALL {
        for seed in [1, 2, 3] {
            model_test(kind, seed);
        }
    }
}

#[test]
fn kinds_parse_and_name() {
    assert_eq!(MemTableKind::ALL.len(), 3);
    for &kind in MemTableKind::ALL {
        assert_eq!(MemTableKind::parse(kind.name()), Some(kind));
        let table = kind.create();
        assert_eq!(table.name(), kind.name());
        assert!(table.is_empty());
    }
    assert_eq!(
        MemTableKind::parse("skiplist"),
        Some(MemTableKind::SkipList)
    );
    assert_eq!(MemTableKind::parse("btree"), Some(MemTableKind::BTree));
    assert_eq!(MemTableKind::parse("vector"), Some(MemTableKind::Vector));
    assert_eq!(MemTableKind::parse("hash"), None);
    assert_eq!(MemTableKind::parse("SkipList"), None);
}

#[test]
fn newest_visible_version_wins() {
    for &kind in MemTableKind::ALL {
        let table = kind.create();
        table.add(10, ValueType::Value, b"k", b"v10");
        table.add(20, ValueType::Deletion, b"k", b"");
        table.add(30, ValueType::Value, b"k", b"v30");
        table.add(25, ValueType::Value, b"j", b"j25");
        let mut v = Vec::new();
        let mut get = |seq| {
            let r = table.get(&LookupKey::new(b"k", seq), &mut v);
            (
                r,
                if r == MemGet::Found {
                    v.clone()
                } else {
                    Vec::new()
                },
            )
        };
        assert_eq!(get(9), (MemGet::Absent, Vec::new()), "{}", kind.name());
        assert_eq!(get(10), (MemGet::Found, b"v10".to_vec()));
        assert_eq!(get(19), (MemGet::Found, b"v10".to_vec()));
        assert_eq!(get(20), (MemGet::Deleted, Vec::new()));
        assert_eq!(get(29), (MemGet::Deleted, Vec::new()));
        assert_eq!(get(30), (MemGet::Found, b"v30".to_vec()));
        assert_eq!(get(MAX_SEQUENCE_NUMBER), (MemGet::Found, b"v30".to_vec()));
        // A prefix of a present key is a different key.
        assert_eq!(table.get(&LookupKey::new(b"", 99), &mut v), MemGet::Absent);
    }
}

/// Entries of the concurrency test: the user key is a random `u64` in
/// fixed-width hex (so byte order is numeric order) and the value encodes
/// key and sequence number, so a torn or mismatched entry is detectable.
fn concurrent_key(id: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key.copy_from_slice(format!("{id:016x}").as_bytes());
    key
}

fn concurrent_value(user_key: &[u8], seq: u64) -> Vec<u8> {
    let mut v = user_key.to_vec();
    v.extend_from_slice(&seq.to_le_bytes());
    v.resize(64, b'.');
    v
}

/// Checks a value against [`concurrent_value`] without allocating.
fn is_concurrent_value(value: &[u8], user_key: &[u8], seq: u64) -> bool {
    value.len() == 64
        && value.starts_with(user_key)
        && value[user_key.len()..user_key.len() + 8] == seq.to_le_bytes()
        && value[user_key.len() + 8..].iter().all(|&b| b == b'.')
}

/// An entry as a reader remembers it: (key id, newest first), which sorts
/// like the internal key.
type Seen = (u64, Reverse<u64>);

/// Checks one full pass: sorted, untorn, and containing every entry
/// `previous` (the last pass, sorted) contained. Returns this pass.
fn checked_pass(it: &mut dyn KvIterator, previous: &[Seen], name: &str) -> Vec<Seen> {
    let mut pass: Vec<Seen> = Vec::with_capacity(previous.len() + 1024);
    it.seek_to_first();
    while it.valid() {
        let parsed = parse_internal_key(it.key()).expect("well-formed internal key");
        assert_eq!(parsed.value_type, ValueType::Value);
        assert!(
            is_concurrent_value(it.value(), parsed.user_key, parsed.sequence),
            "{name}: torn entry"
        );
        let id = std::str::from_utf8(parsed.user_key)
            .ok()
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .expect("hex user key");
        let seen = (id, Reverse(parsed.sequence));
        if let Some(last) = pass.last() {
            assert!(*last < seen, "{name}: unsorted pass");
        }
        pass.push(seen);
        it.next();
    }
    // `previous` is a subset of `pass`: both sorted, walk them together.
    let mut i = 0;
    for old in previous {
        while pass.get(i).is_some_and(|k| k < old) {
            i += 1;
        }
        assert_eq!(
            pass.get(i),
            Some(old),
            "{name}: an entry seen before vanished"
        );
    }
    pass
}

/// One writer adds `entries` while four readers scan and seek.
fn concurrent_test(kind: MemTableKind, entries: u64) {
    let table = kind.create();
    let done = AtomicBool::new(false);
    let name = kind.name();
    thread::scope(|s| {
        s.spawn(|| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
            for seq in 1..=entries {
                let key = concurrent_key(rng.gen());
                table.add(seq, ValueType::Value, &key, &concurrent_value(&key, seq));
            }
            done.store(true, Ordering::Release);
        });
        for reader in 0..4u64 {
            let table = &table;
            let done = &done;
            s.spawn(move || {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(reader);
                let mut previous: Vec<Seen> = Vec::new();
                loop {
                    // Read `done` before the pass: the pass after it was set
                    // must see every entry.
                    let finished = done.load(Ordering::Acquire);
                    let pass_start = Instant::now();
                    let mut it = table.iter();
                    previous = checked_pass(it.as_mut(), &previous, name);
                    // Seeks to entries seen before land on them.
                    for _ in 0..50 {
                        if previous.is_empty() {
                            break;
                        }
                        let (id, Reverse(seq)) = previous[rng.gen_range(0..previous.len())];
                        let mut target = concurrent_key(id).to_vec();
                        target.extend_from_slice(&((seq << 8) | 1).to_le_bytes());
                        it.seek(&target);
                        assert!(it.valid(), "{name}: seek to a seen entry");
                        assert_eq!(it.key(), target.as_slice());
                        it.prev();
                        if it.valid() {
                            assert!(compare_internal_keys(it.key(), &target).is_lt());
                        }
                    }
                    if finished {
                        break;
                    }
                    // Leave the writer CPU: the test machine may have two
                    // cores for five threads, and debug builds are slow.
                    thread::sleep(pass_start.elapsed() * 2);
                }
                assert_eq!(previous.len() as u64, entries, "{name}: final pass");
            });
        }
    });
    assert_eq!(table.len() as u64, entries);
}

/// Entries the concurrency tests write: Miri (which checks the skiplist's
/// `unsafe` code for data races and aliasing) runs about a thousand times
/// slower than native code.
const CONCURRENT_ENTRIES: u64 = if cfg!(miri) { 500 } else { 100_000 };

#[test]
fn skiplist_concurrent_readers_see_consistent_entries() {
    concurrent_test(MemTableKind::SkipList, CONCURRENT_ENTRIES);
}

#[test]
fn btree_concurrent_readers_see_consistent_entries() {
    concurrent_test(MemTableKind::BTree, CONCURRENT_ENTRIES);
}

#[test]
fn vector_concurrent_readers_see_consistent_entries() {
    concurrent_test(MemTableKind::Vector, CONCURRENT_ENTRIES);
}

/// A cursor keeps the entries alive after the last table handle is dropped
/// (cursors are `'static`).
#[test]
fn cursor_outlives_table_handle() {
    for &kind in MemTableKind::ALL {
        let table = kind.create();
        table.add(1, ValueType::Value, b"a", b"1");
        let mut it = table.iter();
        drop(table);
        it.seek_to_first();
        assert!(it.valid(), "{}", kind.name());
        assert_eq!(it.value(), b"1");
        it.next();
        assert!(!it.valid());
    }
}
