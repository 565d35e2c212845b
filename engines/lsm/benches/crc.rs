//! Checksum costs: CRC-32C over a 4 KiB block (the table block size) and
//! the masked checksum of a 100-byte log record (type byte + payload, as
//! the log writer computes it).

use criterion::{black_box, criterion_main, Criterion, Throughput};
use strata_lsm::format::crc;

const BLOCK_BYTES: usize = 4096;
const RECORD_BYTES: usize = 100;

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(131).wrapping_add(7))
        .collect()
}

fn crc32c_block(c: &mut Criterion) {
    let block = pattern(BLOCK_BYTES);
    let mut group = c.benchmark_group("crc32c");
    group.throughput(Throughput::Bytes(BLOCK_BYTES as u64));
    group.bench_function("value_4KiB", |b| b.iter(|| crc::value(black_box(&block))));
    group.finish();
}

fn masked_record(c: &mut Criterion) {
    let record = pattern(RECORD_BYTES);
    // The writer seeds each record's checksum with the CRC of its type byte.
    let full_type_seed = crc::value(&[1]);
    let mut group = c.benchmark_group("masked_crc");
    group.throughput(Throughput::Bytes(RECORD_BYTES as u64));
    group.bench_function("log_record_100B", |b| {
        b.iter(|| crc::mask(crc::extend(black_box(full_type_seed), black_box(&record))))
    });
    group.finish();
}

// `criterion_group!` makes a public function; a private module keeps it
// out of the crate's documented surface.
mod group {
    use super::{crc32c_block, masked_record};
    criterion::criterion_group!(benches, crc32c_block, masked_record);
}

criterion_main!(group::benches);
