//! Read benchmarks: `readrandom` (and `readrandomsmall`), `readmissing`,
//! `readhot`, `readseq`, `readreverse`, `seekrandom`, `seekordered`,
//! `readwhilewriting`.

use crate::db_bench::keys::KeyBuffer;
use crate::db_bench::runner::{BenchContext, ThreadState};
use crate::measure::OpKind;
use strata_api::{ReadOptions, Result, WriteOptions};

/// `readrandom`: `reads` gets of `Uniform(num)` keys, counting found.
pub(crate) fn read_random(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    let db = ctx.engine()?;
    let options = ReadOptions::default();
    let mut value = Vec::new();
    let mut key = KeyBuffer::new();
    let mut found = 0u64;
    for _ in 0..ctx.plan.reads {
        key.set(thread.rng.uniform(ctx.config.num));
        if db.get_into(&options, key.as_slice(), &mut value)? {
            found += 1;
        }
        thread.stats.finished_single_op(OpKind::Get);
    }
    thread.stats.add_found(found);
    thread
        .stats
        .add_message(&format!("({found} of {} found)", ctx.plan.num));
    Ok(())
}

/// `readmissing`: gets of `%016d.` keys, which are never present.
pub(crate) fn read_missing(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    let db = ctx.engine()?;
    let options = ReadOptions::default();
    let mut value = Vec::new();
    let mut key = KeyBuffer::new();
    for _ in 0..ctx.plan.reads {
        key.set_missing(thread.rng.uniform(ctx.config.num));
        db.get_into(&options, key.as_slice(), &mut value)?;
        thread.stats.finished_single_op(OpKind::Get);
    }
    Ok(())
}

/// `readhot`: gets of keys among the first `(num + 99) / 100`.
pub(crate) fn read_hot(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    let db = ctx.engine()?;
    let options = ReadOptions::default();
    let mut value = Vec::new();
    let mut key = KeyBuffer::new();
    let range = ctx.config.num.div_ceil(100);
    for _ in 0..ctx.plan.reads {
        key.set(thread.rng.uniform(range));
        db.get_into(&options, key.as_slice(), &mut value)?;
        thread.stats.finished_single_op(OpKind::Get);
    }
    Ok(())
}

/// `readseq`: one forward scan over at most `reads` entries.
pub(crate) fn read_seq(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    scan(ctx, thread, true)
}

/// `readreverse`: one backward scan over at most `reads` entries.
pub(crate) fn read_reverse(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    scan(ctx, thread, false)
}

fn scan(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState, forward: bool) -> Result<()> {
    let db = ctx.engine()?;
    let mut iter = db.iter(&ReadOptions::default())?;
    if forward {
        iter.seek_to_first();
    } else {
        iter.seek_to_last();
    }
    let mut bytes = 0u64;
    let mut i = 0u32;
    while i < ctx.plan.reads && iter.valid() {
        bytes += (iter.key().len() + iter.value().len()) as u64;
        thread.stats.finished_single_op(OpKind::Scan);
        i += 1;
        if forward {
            iter.next();
        } else {
            iter.prev();
        }
    }
    iter.status()?;
    thread.stats.add_bytes(bytes);
    Ok(())
}

/// `seekrandom`: per op a new iterator seeks to a random key.
pub(crate) fn seek_random(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    let db = ctx.engine()?;
    let options = ReadOptions::default();
    let mut key = KeyBuffer::new();
    let mut found = 0u64;
    for _ in 0..ctx.plan.reads {
        let mut iter = db.iter(&options)?;
        key.set(thread.rng.uniform(ctx.config.num));
        iter.seek(key.as_slice());
        if iter.valid() && iter.key() == key.as_slice() {
            found += 1;
        }
        iter.status()?;
        thread.stats.finished_single_op(OpKind::Seek);
    }
    thread.stats.add_found(found);
    thread
        .stats
        .add_message(&format!("({found} of {} found)", ctx.plan.num));
    Ok(())
}

/// `seekordered`: one iterator; each target is `Uniform(100)` past the
/// previous one, modulo `num`.
pub(crate) fn seek_ordered(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    let db = ctx.engine()?;
    let mut iter = db.iter(&ReadOptions::default())?;
    let mut key = KeyBuffer::new();
    let mut found = 0u64;
    let num = u64::from(ctx.config.num);
    let mut k = 0u64;
    for _ in 0..ctx.plan.reads {
        k = (k + u64::from(thread.rng.uniform(100))) % num;
        // k < num <= u32::MAX.
        key.set(k as u32);
        iter.seek(key.as_slice());
        if iter.valid() && iter.key() == key.as_slice() {
            found += 1;
        }
        thread.stats.finished_single_op(OpKind::Seek);
    }
    iter.status()?;
    thread.stats.add_found(found);
    thread
        .stats
        .add_message(&format!("({found} of {} found)", ctx.plan.num));
    Ok(())
}

/// `readwhilewriting`: thread 0 puts random keys until every reader is
/// done, then restarts its clock so its work does not count; the others run
/// `readrandom`.
pub(crate) fn read_while_writing(
    ctx: &BenchContext<'_, '_>,
    thread: &mut ThreadState,
) -> Result<()> {
    if thread.tid > 0 {
        return read_random(ctx, thread);
    }
    let db = ctx.engine()?;
    let mut values = ctx.values();
    let mut key = KeyBuffer::new();
    let options = WriteOptions::default();
    while !ctx.shared.others_done() {
        key.set(thread.rng.uniform(ctx.config.num));
        db.put(
            &options,
            key.as_slice(),
            values.generate(ctx.plan.value_size),
        )?;
        thread.stats.record_latency(OpKind::Write);
    }
    thread.stats.restart_keeping_latencies();
    Ok(())
}
