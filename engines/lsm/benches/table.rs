//! Table read costs: a seek inside one 4 KiB block of 16-byte keys, a
//! bloom filter probe at 10 bits per key, and a point read from a table of
//! 10,000 keys whose blocks are all in the block cache.

use criterion::{black_box, criterion_main, Criterion};
use std::path::Path;
use std::sync::Arc;
use strata_api::{Env, KvIterator, MemEnv};
use strata_lsm::format::comparator::{BytewiseComparator, Comparator};
use strata_lsm::table::{
    Block, BlockBuilder, BlockCache, BloomFilterPolicy, CompressionType, FilterPolicy, Table,
    TableBuilder, TableOptions,
};

const KEY_BYTES: usize = 16;
const VALUE_BYTES: usize = 100;
const BLOCK_BYTES: usize = 4096;
const TABLE_KEYS: u64 = 10_000;

/// db_bench's key format: the number as 16 zero-padded digits.
fn key(i: u64) -> Vec<u8> {
    let k = format!("{i:016}").into_bytes();
    debug_assert_eq!(k.len(), KEY_BYTES);
    k
}

/// Cheap deterministic index sequence (a full-period LCG), so the
/// benchmark does not measure a random number generator.
struct Lcg(u64);

impl Lcg {
    fn next_below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn block_seek(c: &mut Criterion) {
    let mut builder = BlockBuilder::new(16);
    let mut n = 0u64;
    // Fill one block up to 4 KiB of 16-byte keys with 8-byte values.
    while builder.current_size_estimate() + KEY_BYTES + 8 + 3 < BLOCK_BYTES {
        builder.add(&key(n), &n.to_le_bytes());
        n += 1;
    }
    let data = builder.finish().to_vec();
    let block = Arc::new(Block::new(data, Arc::from("bench"), 0).expect("valid block"));
    let cmp: Arc<dyn Comparator> = Arc::new(BytewiseComparator);
    let mut it = block.iter(cmp);
    let targets: Vec<Vec<u8>> = (0..n).map(key).collect();
    let mut rng = Lcg(1);
    c.bench_function(&format!("block_seek_{n}_keys_4KiB"), |b| {
        b.iter(|| {
            let t = &targets[rng.next_below(n) as usize];
            it.seek(black_box(t));
            black_box(it.valid())
        })
    });
}

fn bloom_probe(c: &mut Criterion) {
    let policy = BloomFilterPolicy::new(10);
    let keys: Vec<Vec<u8>> = (0..TABLE_KEYS).map(key).collect();
    let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
    let mut filter = Vec::new();
    policy.create_filter(&refs, &mut filter);
    let probes: Vec<Vec<u8>> = (0..1024).map(|i| key(i * 2 + TABLE_KEYS / 2)).collect();
    let mut i = 0usize;
    c.bench_function("bloom_probe_10_bits_per_key", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(policy.key_may_match(black_box(&probes[i]), &filter))
        })
    });
}

fn table_get(c: &mut Criterion) {
    let env = MemEnv::new();
    let path = Path::new("/bench.ldb");
    let options = TableOptions {
        filter_policy: Some(Arc::new(BloomFilterPolicy::new(10)) as Arc<dyn FilterPolicy>),
        compression: CompressionType::Snappy,
        ..TableOptions::default()
    };
    let mut builder = TableBuilder::new(
        options.clone(),
        env.new_writable_file(path).expect("create"),
    );
    let value = vec![b'v'; VALUE_BYTES];
    for i in 0..TABLE_KEYS {
        builder.add(&key(i), &value).expect("add");
    }
    let size = builder.finish().expect("finish");
    let file = env.new_random_access_file(path).expect("open");
    let cache = Arc::new(BlockCache::new(8 << 20));
    let table = Table::open(options, file, "bench.ldb".into(), size, Some(cache)).expect("open");
    // Warm the cache with every block.
    let mut it = table.iter(true, true);
    it.seek_to_first();
    while it.valid() {
        it.next();
    }
    let keys: Vec<Vec<u8>> = (0..TABLE_KEYS).map(key).collect();
    let mut rng = Lcg(7);
    c.bench_function("table_get_10k_keys_cached", |b| {
        b.iter(|| {
            let k = &keys[rng.next_below(TABLE_KEYS) as usize];
            let mut found = false;
            table
                .internal_get(true, true, black_box(k), &mut |_, _| found = true)
                .expect("get");
            black_box(found)
        })
    });
}

// `criterion_group!` makes a public function; a private module keeps it
// out of the crate's documented surface.
mod group {
    use super::{block_seek, bloom_probe, table_get};
    criterion::criterion_group!(benches, block_seek, bloom_probe, table_get);
}

criterion_main!(group::benches);
