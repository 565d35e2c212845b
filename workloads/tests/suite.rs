//! Every benchmark at small `num` on the in-memory test fixture: each
//! produces its result and line, with counts that follow db_bench's rules.

mod support;

use strata_workloads::db_bench::suite::ALL;
use strata_workloads::db_bench::{parse_list, BenchResult, Config, RngKind, Suite};
use support::MapHost;

fn small(num: u32) -> Config {
    Config {
        num,
        crc32c_total_bytes: 64 * 4096,
        snappy_total_bytes: 64 * 4096,
        ..Config::default()
    }
}

fn run(config: Config, list: &str) -> (Vec<BenchResult>, String, MapHost) {
    let suite = Suite::new(config, parse_list(list).expect("list")).expect("suite");
    let mut host = MapHost::default();
    let (results, out) = run_on(&suite, &mut host);
    (results, out, host)
}

/// Runs `suite` on `host`: every result and the console text.
fn run_on(suite: &Suite, host: &mut MapHost) -> (Vec<BenchResult>, String) {
    let mut out = Vec::new();
    let mut results = Vec::new();
    suite
        .run(host, &mut out, &mut |r| {
            results.push(r.clone());
            Ok(())
        })
        .expect("run");
    (results, String::from_utf8(out).expect("utf-8"))
}

#[test]
fn every_benchmark_produces_its_result_and_line() {
    let all: Vec<&str> = ALL.iter().map(|(n, _)| *n).collect();
    // Fill first so the reads have data; then every benchmark once.
    let list = format!("fillseq,{}", all.join(","));
    let (results, out, _) = run(small(2000), &list);
    assert_eq!(results.len(), all.len() + 1);
    for (result, name) in results.iter().skip(1).zip(&all) {
        assert_eq!(result.report.name, *name);
        if result.plan.benchmark.prints_property().is_none() {
            assert!(
                out.lines()
                    .any(|l| l.starts_with(&format!("{name:<12} : ")) && l.contains(" micros/op;")),
                "no line for {name} in\n{out}"
            );
        }
    }
    let by_name = |n: &str| {
        results
            .iter()
            .find(|r| r.report.name == n)
            .expect("result")
            .clone()
    };
    assert_eq!(by_name("fillsync").report.ops, 2);
    assert_eq!(by_name("fillsync").report.message, "(2 ops)");
    assert_eq!(by_name("fill100K").report.ops, 2);
    assert_eq!(by_name("fill100K").report.bytes, 2 * (100_000 + 16));
    assert_eq!(by_name("fillbatch").report.ops, 2000);
    assert_eq!(by_name("open").report.ops, 1);
    assert_eq!(by_name("readrandomsmall").report.ops, 2);
    assert_eq!(by_name("crc32c").report.ops, 64);
    assert_eq!(by_name("crc32c").report.message, "(4K per op)");
    assert!(by_name("snappycomp")
        .report
        .message
        .starts_with("(output: "));
    assert_eq!(by_name("compact").report.ops, 0);
    assert!(
        out.contains("\nentries: "),
        "stats property printed:\n{out}"
    );
    assert!(
        out.contains("\n(failed)\n"),
        "unknown property prints (failed)"
    );
    // fillseq wrote 0..2000 so readseq sees all of them.
    assert_eq!(by_name("readseq").report.ops, 2000);
    assert_eq!(by_name("readseq").report.bytes, 2000 * 116);
    let fillseq = &results[0];
    let m = fillseq.metrics.expect("metrics");
    assert_eq!(m.user_bytes_written, 2000 * 116);
    assert_eq!(fillseq.db_size_bytes, 2000 * 116);
}

#[test]
fn reads_after_sequential_fill_find_everything_and_missing_finds_nothing() {
    let (results, out, _) = run(
        small(1000),
        "fillseq,readrandom,seekrandom,seekordered,readhot,readmissing",
    );
    assert_eq!(results[1].report.found, Some(1000));
    assert!(out.contains("(1000 of 1000 found)"));
    assert_eq!(results[2].report.found, Some(1000));
    assert_eq!(results[3].report.found, Some(1000));
    assert_eq!(results[4].report.ops, 1000);
    assert_eq!(results[5].report.found, None);
    assert_eq!(results[1].metrics.map(|m| m.gets), Some(1000));
}

#[test]
fn deletes_empty_the_database() {
    let (results, _, host) = run(small(500), "fillseq,deleteseq,readrandom");
    assert_eq!(results[2].report.found, Some(0));
    assert_eq!(host.len(), 0);
}

#[test]
fn logical_size_is_measured_after_benchmarks_that_change_data() {
    let (results, _, _) = run(small(500), "fillseq,readrandom,deleteseq");
    // The fixture's "disk" holds exactly the live pairs: amplification 1.
    let fill = &results[0];
    assert_eq!(fill.logical_bytes, Some(500 * (16 + 100)));
    assert_eq!(fill.space_amplification(), Some(1.0));
    assert_eq!(results[1].logical_bytes, None, "reads change nothing");
    assert_eq!(results[2].logical_bytes, Some(0));
    assert_eq!(results[2].space_amplification(), None, "nothing live");
}

#[test]
fn threads_each_do_the_work_and_seeds_differ() {
    let config = Config {
        threads: 2,
        ..small(1000)
    };
    let (results, _, _) = run(config, "fillseq,readrandom,readwhilewriting");
    assert_eq!(results[0].report.ops, 2000);
    assert_eq!(results[1].report.found, Some(2000));
    // Readers' ops only; the writer's time and ops do not count.
    assert_eq!(results[2].report.ops, 2000);
    assert_eq!(results[2].plan.threads, 3);
}

#[test]
fn use_existing_db_skips_fresh_benchmarks_and_keeps_data() {
    let suite = Suite::new(small(100), parse_list("fillseq").expect("list")).expect("suite");
    let mut host = MapHost::default();
    suite
        .run(&mut host, &mut Vec::new(), &mut |_| Ok(()))
        .expect("fill");
    let keep = Config {
        use_existing_db: true,
        ..small(100)
    };
    let suite = Suite::new(keep, parse_list("fillrandom,readrandom").expect("list")).expect("s");
    let (results, out) = run_on(&suite, &mut host);
    assert!(out.contains("fillrandom   : skipped (--use_existing_db is true)"));
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].report.found, Some(100));
    // The first run destroyed twice (at start and for fillseq), the second never.
    assert_eq!(host.fresh_opens, 2);
}

#[test]
fn histogram_reports_percentiles_per_operation_type() {
    let config = Config {
        histogram: true,
        threads: 1,
        ..small(300)
    };
    let (results, out, _) = run(config, "fillseq,readwhilewriting");
    let all = results[0].report.all_latency.expect("latencies");
    assert_eq!(all.count, 300);
    assert!(all.p50_us <= all.p99_us && all.p99_us <= all.max_us);
    // Latencies add up to the elapsed time, so the largest is at least
    // about the mean (a histogram clamped to a tiny range fails this).
    let mean_us = results[0].report.micros_per_op;
    assert!(
        all.max_us >= 0.5 * mean_us,
        "max {} µs vs mean {mean_us} µs",
        all.max_us
    );
    assert!(out.contains("Percentiles: P50: "));
    // readwhilewriting reports the readers' gets and the writer's puts.
    let kinds: Vec<&str> = results[1]
        .report
        .latencies
        .iter()
        .map(|(k, _)| k.label())
        .collect();
    assert!(kinds.contains(&"get"), "{kinds:?}");
}

#[test]
fn xoshiro_keys_find_about_one_minus_one_over_e() {
    let config = Config {
        rng: RngKind::Xoshiro,
        seed: 42,
        ..small(20_000)
    };
    let (results, _, _) = run(config.clone(), "fillrandom,readrandom,overwrite,readrandom");
    let once = results[1].report.found.expect("found") as f64 / 20_000.0;
    let twice = results[3].report.found.expect("found") as f64 / 20_000.0;
    assert!((once - (1.0 - (-1.0f64).exp())).abs() < 0.02, "{once}");
    assert!((twice - (1.0 - (-2.0f64).exp())).abs() < 0.02, "{twice}");
    // Same seed, same keys; another seed, other keys.
    let (again, _, _) = run(config.clone(), "fillrandom,readrandom");
    assert_eq!(again[1].report.found, results[1].report.found);
    let (other, _, _) = run(Config { seed: 43, ..config }, "fillrandom,readrandom");
    assert_ne!(other[1].report.found, results[1].report.found);
}

#[test]
fn header_describes_the_run() {
    let suite = Suite::new(small(1000), Vec::new()).expect("suite");
    let text = suite.header(true);
    assert!(text.contains("Entries:    1000\n"));
    assert!(text.contains("RawSize:    0.1 MB (estimated)\n"));
}

#[test]
fn checksum_and_compression_benchmarks_time_the_engines_own_codecs() {
    let (results, _, host) = run(small(100), "crc32c,snappycomp,snappyuncomp");
    let ops: Vec<u64> = results.iter().map(|r| r.report.ops).collect();
    assert_eq!(ops, [64, 64, 64]);
    // Every op went through the engine's codecs, plus the one compression
    // that makes snappyuncomp's input.
    assert_eq!(
        host.store
            .codec_calls
            .load(std::sync::atomic::Ordering::Relaxed),
        64 + 64 + 1 + 64
    );
}

#[test]
fn a_build_without_the_engines_own_codecs_says_so_on_every_codec_row() {
    let suite = Suite::new(
        small(100),
        parse_list("crc32c,snappycomp,snappyuncomp").expect("list"),
    )
    .expect("suite");
    let mut host = MapHost::default();
    *host.store.codecs_missing.write() = Some(strata_api::codecs::CodecsUnavailable {
        own: "LevelDB 1.23's crc32c and libsnappy".into(),
        reason: "no libleveldb.a".into(),
    });
    let (results, out) = run_on(&suite, &mut host);
    let note = "timed strata's crc32c/snap crates, not LevelDB 1.23's crc32c and libsnappy: no libleveldb.a";
    assert_eq!(results.len(), 3);
    for result in &results {
        assert!(result.report.message.contains(note), "{:?}", result.report);
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{:<12} :", result.report.name)))
            .expect("line");
        assert!(line.contains(note), "console says so too: {line}");
    }
    assert_eq!(
        host.store
            .codec_calls
            .load(std::sync::atomic::Ordering::Relaxed),
        0,
        "the engine's codecs were not there to call"
    );
}
