//! `--threads N` as db_bench 1.23 runs it: every thread of a benchmark
//! does the whole benchmark with its own generator (thread `i` takes the
//! `i`-th seed of the benchmark's share of the run's seed counter), the
//! found counts add up over threads while the message is thread 0's, and
//! `readwhilewriting` adds a writer whose ops do not count. The found
//! counts are pinned against the key arithmetic alone.

mod support;

use strata_workloads::db_bench::{
    parse_list, seed_schedule, BenchResult, Config, KeyRng, RngKind, Suite,
};
use support::MapHost;

fn run(config: &Config, list: &str) -> Vec<BenchResult> {
    let suite = Suite::new(config.clone(), parse_list(list).expect("list")).expect("suite");
    let mut host = MapHost::default();
    let mut results = Vec::new();
    suite
        .run(&mut host, &mut Vec::new(), &mut |r| {
            results.push(r.clone());
            Ok(())
        })
        .expect("run");
    results
}

/// Summed per-thread seconds never exceed threads × elapsed; MB/s is over
/// the elapsed time (db_bench's `Stats::Report`).
fn check_time_arithmetic(r: &BenchResult, case: &str) {
    let report = &r.report;
    let summed_s = report.micros_per_op * report.ops.max(1) as f64 / 1e6;
    assert!(summed_s > 0.0, "{case}: {}", report.name);
    assert!(
        summed_s <= f64::from(r.plan.threads) * report.elapsed_s * (1.0 + 1e-9) + 1e-6,
        "{case}: {} summed {summed_s} s over {} threads, elapsed {} s",
        report.name,
        r.plan.threads,
        report.elapsed_s
    );
    if report.bytes > 0 {
        let expected = report.bytes as f64 / 1_048_576.0 / report.elapsed_s;
        assert_eq!(report.mb_per_s, Some(expected), "{case}: {}", report.name);
    }
}

#[test]
fn four_threads_after_fillseq_find_every_key() {
    let num = 3000u32;
    let config = Config {
        num,
        threads: 4,
        ..Config::default()
    };
    let results = run(&config, "fillseq,readrandom,seekrandom,readwhilewriting");
    let reads = 4 * u64::from(num);
    // Every thread writes keys 0..num.
    assert_eq!(results[0].report.ops, reads);
    assert_eq!(results[0].report.bytes, reads * (16 + 100));
    for r in &results[1..] {
        assert_eq!(r.report.found, Some(reads), "{}", r.report.name);
        assert_eq!(r.report.ops, reads, "{}: readers' ops only", r.report.name);
        assert_eq!(r.report.message, format!("({num} of {num} found)"));
    }
    assert_eq!(results[3].plan.threads, 5, "four readers and the writer");
    for r in &results {
        check_time_arithmetic(r, "fillseq x4");
    }
}

/// Per-thread found counts of the readers at `reader` after the writers at
/// `writers`, from the seed schedule and `Uniform(num)` alone.
fn replay(config: &Config, list: &str, writers: &[usize], reader: usize) -> Vec<u64> {
    let schedule = seed_schedule(&parse_list(list).expect("list"), config);
    let num = config.num;
    let mut present = vec![false; num as usize];
    for &w in writers {
        for &counter in &schedule[w] {
            let mut rng = KeyRng::for_thread(config.rng, config.seed, counter);
            for _ in 0..num {
                present[rng.uniform(num) as usize] = true;
            }
        }
    }
    schedule[reader]
        .iter()
        .map(|&counter| {
            let mut rng = KeyRng::for_thread(config.rng, config.seed, counter);
            (0..num)
                .filter(|_| present[rng.uniform(num) as usize])
                .count() as u64
        })
        .collect()
}

#[test]
fn four_thread_readrandom_finds_what_each_threads_keys_find() {
    const LIST: &str = "fillrandom,readrandom,overwrite,readrandom,seekrandom";
    for rng in [RngKind::LevelDb, RngKind::Xoshiro] {
        for seed in [1000u64, 77] {
            let config = Config {
                num: 2000,
                threads: 4,
                rng,
                seed,
                ..Config::default()
            };
            let case = format!("rng {} seed {seed}", rng.name());
            let results = run(&config, LIST);
            for (position, writers) in [(1, &[0][..]), (3, &[0, 2][..]), (4, &[0, 2][..])] {
                let per_thread = replay(&config, LIST, writers, position);
                assert_eq!(per_thread.len(), 4);
                let r = &results[position];
                let at = format!("{case}: position {position} ({})", r.report.name);
                assert_eq!(r.report.found, Some(per_thread.iter().sum()), "{at}");
                assert_eq!(
                    r.report.message,
                    format!("({} of {} found)", per_thread[0], config.num),
                    "{at}: thread 0's message"
                );
                if position == 1 {
                    // One fill covers ~98% of the keys: the threads' seeds
                    // differ, so their counts do (after the overwrite
                    // nearly every key is live and they all find ~all).
                    assert!(per_thread.iter().any(|&f| f != per_thread[0]), "{at}");
                }
                check_time_arithmetic(r, &at);
            }
            // Four writers' keys: more of the space than one writer's.
            assert!(results[1].report.found > Some(4 * 2000 * 9 / 10), "{case}");
        }
    }
}
