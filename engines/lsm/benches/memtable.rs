//! Memtable variants head to head: inserts in random key order and point
//! gets of present keys, with `db_bench`'s shapes (16-byte keys, 100-byte
//! values). Reported per operation (criterion's throughput is elements).

use criterion::{black_box, criterion_main, BatchSize, Criterion, Throughput};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use strata_lsm::format::internal_key::{LookupKey, ValueType, MAX_SEQUENCE_NUMBER};
use strata_lsm::memtable::{MemGet, MemTableKind};

/// Entries per insert batch (a fresh table each batch).
const INSERT_ENTRIES: usize = 20_000;
/// Entries in the table that gets run against.
const GET_TABLE_ENTRIES: usize = 100_000;
const VALUE_BYTES: usize = 100;

/// `db_bench`'s `%016d` keys for `0..n`, shuffled.
fn shuffled_keys(n: usize, seed: u64) -> Vec<[u8; 16]> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut keys: Vec<[u8; 16]> = (0..n)
        .map(|i| {
            let mut k = [0u8; 16];
            k.copy_from_slice(format!("{i:016}").as_bytes());
            k
        })
        .collect();
    keys.shuffle(&mut rng);
    keys
}

fn value(rng: &mut Xoshiro256PlusPlus) -> Vec<u8> {
    (0..VALUE_BYTES)
        .map(|_| rng.gen_range(b' '..=b'~'))
        .collect()
}

fn insert(c: &mut Criterion) {
    let keys = shuffled_keys(INSERT_ENTRIES, 1);
    let value = value(&mut Xoshiro256PlusPlus::seed_from_u64(2));
    let mut group = c.benchmark_group("memtable_insert");
    group.throughput(Throughput::Elements(INSERT_ENTRIES as u64));
    for &kind in MemTableKind::ALL {
        group.bench_function(kind.name(), |b| {
            b.iter_batched(
                || kind.create(),
                |table| {
                    for (seq, key) in (1u64..).zip(&keys) {
                        table.add(seq, ValueType::Value, key, &value);
                    }
                    // Returned so that dropping it is not timed.
                    table
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

fn get(c: &mut Criterion) {
    let keys = shuffled_keys(GET_TABLE_ENTRIES, 3);
    let value = value(&mut Xoshiro256PlusPlus::seed_from_u64(4));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    // Lookup keys built up front: the bench measures the table, not
    // `LookupKey::new`.
    let probes: Vec<LookupKey> = (0..4096)
        .map(|_| LookupKey::new(&keys[rng.gen_range(0..keys.len())], MAX_SEQUENCE_NUMBER))
        .collect();
    let mut group = c.benchmark_group("memtable_get");
    group.throughput(Throughput::Elements(1));
    for &kind in MemTableKind::ALL {
        let table = kind.create();
        for (seq, key) in (1u64..).zip(&keys) {
            table.add(seq, ValueType::Value, key, &value);
        }
        let mut buf = Vec::with_capacity(VALUE_BYTES);
        // The first read sorts the vector variant; keep it out of the timing.
        assert_eq!(table.get(&probes[0], &mut buf), MemGet::Found);
        let mut i = 0usize;
        group.bench_function(kind.name(), |b| {
            b.iter(|| {
                i = (i + 1) % probes.len();
                black_box(table.get(&probes[i], &mut buf))
            });
        });
    }
    group.finish();
}

// `criterion_group!` makes a public function; a private module keeps it
// out of the documented surface.
mod group {
    use super::{get, insert};
    criterion::criterion_group!(benches, insert, get);
}

criterion_main!(group::benches);
