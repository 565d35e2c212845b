//! Benchmarks that do not read or write keys: `compact`, `open`, `crc32c`,
//! `snappycomp`, `snappyuncomp`.

use crate::db_bench::codecs::codecs_of;
use crate::db_bench::runner::{BenchContext, ThreadState};
use crate::measure::OpKind;
use strata_api::Result;

/// Bytes per `crc32c` op and per Snappy block (`db_bench` uses
/// `Options().block_size`, LevelDB's default 4 KiB, whatever
/// `--block_size` says).
const BLOCK_BYTES: usize = 4096;

/// `compact`: `CompactRange(nullptr, nullptr)`, timed as one op.
pub(crate) fn compact(ctx: &BenchContext<'_, '_>, _thread: &mut ThreadState) -> Result<()> {
    ctx.engine()?.compact_range(None, None)
}

/// `open`: close and reopen the database `num` times.
pub(crate) fn open(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    for _ in 0..ctx.plan.num {
        ctx.reopen()?;
        thread.stats.finished_single_op(OpKind::Other);
    }
    Ok(())
}

/// `crc32c`: checksums of a 4 KiB block of `'x'` until the total is done,
/// with the engine's CRC-32C ([`codecs_of`]).
pub(crate) fn crc32c(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    let codecs = codecs_of(ctx.engine()?.as_ref());
    let data = vec![b'x'; BLOCK_BYTES];
    let mut bytes = 0u64;
    let mut crc = 0u32;
    while bytes < ctx.config.crc32c_total_bytes {
        crc = codecs.crc32c(std::hint::black_box(&data));
        thread.stats.finished_single_op(OpKind::Other);
        bytes += BLOCK_BYTES as u64;
    }
    // Keep the result alive (db_bench prints it for the same reason).
    std::hint::black_box(crc);
    thread.stats.add_bytes(bytes);
    thread.stats.add_message("(4K per op)");
    note_codec_fallback(ctx, thread)
}

/// When the engine's own codecs are not in this build (the LevelDB wrapper
/// without Debian's libleveldb.a), the crates stood in: the row says so in
/// its message (console line and CSV), never silently.
fn note_codec_fallback(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    if let Some(missing) = ctx.engine()?.codecs_unavailable() {
        thread.stats.add_message(&format!("({missing})"));
    }
    Ok(())
}

/// `snappycomp`: compress the first 4 KiB of a value walk, repeatedly,
/// with the engine's Snappy.
pub(crate) fn snappy_comp(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    let mut codecs = codecs_of(ctx.engine()?.as_ref());
    let mut values = ctx.values();
    let input = values.generate(BLOCK_BYTES).to_vec();
    let mut compressed = vec![0u8; codecs.snappy_max_compressed_len(input.len())];
    let mut bytes = 0u64;
    let mut produced = 0u64;
    while bytes < ctx.config.snappy_total_bytes {
        let Some(n) = codecs.snappy_compress(&input, &mut compressed) else {
            thread.stats.add_message("(snappy failure)");
            return Ok(());
        };
        produced += n as u64;
        bytes += input.len() as u64;
        thread.stats.finished_single_op(OpKind::Other);
    }
    thread.stats.add_message(&format!(
        "(output: {:.1}%)",
        produced as f64 * 100.0 / bytes as f64
    ));
    thread.stats.add_bytes(bytes);
    note_codec_fallback(ctx, thread)
}

/// `snappyuncomp`: uncompress that block, repeatedly, with the engine's
/// Snappy.
pub(crate) fn snappy_uncomp(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    let mut codecs = codecs_of(ctx.engine()?.as_ref());
    let mut values = ctx.values();
    let input = values.generate(BLOCK_BYTES).to_vec();
    let mut compressed = vec![0u8; codecs.snappy_max_compressed_len(input.len())];
    let Some(compressed_len) = codecs.snappy_compress(&input, &mut compressed) else {
        thread.stats.add_message("(snappy failure)");
        return Ok(());
    };
    let compressed = &compressed[..compressed_len];
    let mut uncompressed = vec![0u8; input.len()];
    let mut bytes = 0u64;
    while bytes < ctx.config.snappy_total_bytes {
        if codecs
            .snappy_uncompress(compressed, &mut uncompressed)
            .is_none()
        {
            thread.stats.add_message("(snappy failure)");
            return Ok(());
        }
        bytes += input.len() as u64;
        thread.stats.finished_single_op(OpKind::Other);
    }
    thread.stats.add_bytes(bytes);
    note_codec_fallback(ctx, thread)
}
