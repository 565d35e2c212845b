//! The live bytes a db_bench result reports are worked out from the keys
//! the list writes, not read from the database. They must equal what a
//! full scan of the database finds, for every benchmark that changes data,
//! over seeds, both generators and 1 and 3 threads.

mod support;

use std::sync::Arc;
use strata_workloads::db_bench::suite::Benchmark;
use strata_workloads::db_bench::{parse_list, Config, RngKind, Suite};
use support::MapHost;

/// Every data-changing benchmark, several times, in orders that make each
/// one matter: random deletes over random fills, overwrites over
/// `fill100K`'s large values, `fillbatch` running past `num`, an unknown
/// stretch after `readwhilewriting` ended by a fresh fill.
const LIST: &str = "fillrandom,overwrite,deleterandom,overwrite,compact,deleteseq,\
fillbatch,deleterandom,overwrite,fillsync,overwrite,fill100K,overwrite,deleterandom,\
fillseq,deleterandom,overwrite,open,readwhilewriting,overwrite,deleteseq,fillrandom,\
deleteseq,overwrite";

/// Not a multiple of 1000: `fillbatch`'s last batch writes keys past it;
/// `fill100K` and `fillsync` write 1 value.
const NUM: u32 = 1200;

#[test]
fn model_live_bytes_equal_a_full_scan_after_every_data_changing_benchmark() {
    let list = parse_list(LIST).expect("list");
    let mut compared = 0;
    for rng in [RngKind::LevelDb, RngKind::Xoshiro] {
        for seed in [1000u64, 7, 424_242] {
            for threads in [1u32, 3] {
                let config = Config {
                    num: NUM,
                    threads,
                    seed,
                    rng,
                    ..Config::default()
                };
                let case = format!("rng {} seed {seed} threads {threads}", rng.name());
                let suite = Suite::new(config, list.clone()).expect("suite");
                let mut host = MapHost::default();
                let store = Arc::clone(&host.store);
                let mut unknown = false;
                let mut seen = 0;
                suite
                    .run(&mut host, &mut Vec::new(), &mut |r| {
                        seen += 1;
                        let b = r.plan.benchmark;
                        let at = format!("{case}: position {} ({b})", r.position);
                        if b.fresh_db() {
                            unknown = false;
                        }
                        if b == Benchmark::ReadWhileWriting {
                            unknown = true;
                        }
                        if !b.changes_data() {
                            assert_eq!(r.logical_bytes, None, "{at}: reports only after changes");
                        } else if unknown {
                            assert_eq!(
                                r.logical_bytes, None,
                                "{at}: the writer's keys are unknown"
                            );
                        } else {
                            assert_eq!(r.logical_bytes, Some(store.scan_live_bytes()), "{at}");
                            compared += 1;
                        }
                        Ok(())
                    })
                    .expect("run");
                assert_eq!(seen, list.len(), "{case}");
            }
        }
    }
    // 20 known data-changing positions in LIST, 12 cases.
    assert_eq!(compared, 20 * 12);
}

#[test]
fn live_bytes_are_unknown_with_an_existing_database() {
    let config = Config {
        num: 200,
        ..Config::default()
    };
    let suite = Suite::new(config.clone(), parse_list("fillseq").expect("list")).expect("s");
    let mut host = MapHost::default();
    let mut fill = None;
    suite
        .run(&mut host, &mut Vec::new(), &mut |r| {
            fill = r.logical_bytes;
            Ok(())
        })
        .expect("fill");
    assert_eq!(fill, Some(200 * (16 + 100)));
    let keep = Config {
        use_existing_db: true,
        ..config
    };
    let suite = Suite::new(keep, parse_list("overwrite,deleterandom").expect("list")).expect("s");
    let mut after = Vec::new();
    suite
        .run(&mut host, &mut Vec::new(), &mut |r| {
            after.push(r.logical_bytes);
            Ok(())
        })
        .expect("run");
    assert_eq!(after, vec![None, None]);
}
