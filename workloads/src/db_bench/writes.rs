//! Write benchmarks: `fillseq`, `fillbatch`, `fillrandom`, `overwrite`,
//! `fillsync`, `fill100K` (`DoWrite`) and `deleteseq`, `deleterandom`
//! (`DoDelete`).

use crate::db_bench::keys::KeyBuffer;
use crate::db_bench::runner::{BenchContext, ThreadState};
use crate::measure::OpKind;
use strata_api::{Result, WriteBatch, WriteOptions};

/// `fillseq` and `fillbatch`.
pub(crate) fn write_seq(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    do_write(ctx, thread, true)
}

/// `fillrandom`, `overwrite`, `fillsync`, `fill100K`.
pub(crate) fn write_random(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    do_write(ctx, thread, false)
}

/// `db_bench`'s `DoWrite`: `num` puts in batches of `entries_per_batch`,
/// keys in order (`i + j`, so a last partial batch runs past `num`, as
/// there) or `Uniform(FLAGS_num)`.
fn do_write(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState, seq: bool) -> Result<()> {
    let plan = ctx.plan;
    if plan.num != ctx.config.num {
        thread.stats.add_message(&format!("({} ops)", plan.num));
    }
    let db = ctx.engine()?;
    let mut values = ctx.values();
    let mut batch = WriteBatch::new();
    let mut key = KeyBuffer::new();
    let options = WriteOptions::with_sync(plan.sync);
    let mut bytes = 0u64;
    let mut i = 0u32;
    while i < plan.num {
        batch.clear();
        for j in 0..plan.entries_per_batch {
            let k = if seq {
                i.wrapping_add(j)
            } else {
                thread.rng.uniform(ctx.config.num)
            };
            key.set(k);
            batch.put(key.as_slice(), values.generate(plan.value_size));
            bytes += (plan.value_size + key.as_slice().len()) as u64;
            thread.stats.finished_single_op(OpKind::Write);
        }
        db.write(&options, &batch)?;
        i = i.saturating_add(plan.entries_per_batch);
    }
    thread.stats.add_bytes(bytes);
    Ok(())
}

/// `deleteseq`.
pub(crate) fn delete_seq(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    do_delete(ctx, thread, true)
}

/// `deleterandom`.
pub(crate) fn delete_random(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState) -> Result<()> {
    do_delete(ctx, thread, false)
}

/// `db_bench`'s `DoDelete`: `num` deletes, in key order or random.
fn do_delete(ctx: &BenchContext<'_, '_>, thread: &mut ThreadState, seq: bool) -> Result<()> {
    let plan = ctx.plan;
    let db = ctx.engine()?;
    let mut batch = WriteBatch::new();
    let mut key = KeyBuffer::new();
    let options = WriteOptions::with_sync(plan.sync);
    let mut i = 0u32;
    while i < plan.num {
        batch.clear();
        for j in 0..plan.entries_per_batch {
            let k = if seq {
                i.wrapping_add(j)
            } else {
                thread.rng.uniform(ctx.config.num)
            };
            key.set(k);
            batch.delete(key.as_slice());
            thread.stats.finished_single_op(OpKind::Delete);
        }
        db.write(&options, &batch)?;
        i = i.saturating_add(plan.entries_per_batch);
    }
    Ok(())
}
