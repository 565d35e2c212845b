//! The peer runner's parsing and flag translation, on outputs captured from
//! LevelDB 1.23's and RocksDB 7.8.3's own `db_bench`
//! (`workloads/tests/data/peers/`, README there says how).

use std::io;
use std::path::{Path, PathBuf};
use strata_workloads::db_bench::{parse_list, BenchPlan, Benchmark, Config, RngKind};
use strata_workloads::external::parse::{classify, to_report, Line, OutputReader, Section};
use strata_workloads::external::{args, lacks, Flavour, Peer, PeerOptions};
use strata_workloads::measure::OpKind;

fn data(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/peers")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every section of a captured stdout, read as the workload reads it,
/// and the lines echoed.
fn sections(
    file: &str,
    flavour: Flavour,
    histogram: bool,
    list: &str,
) -> (Vec<Section>, Vec<String>) {
    let text = data(file);
    let lines = text
        .lines()
        .map(|l| Ok::<_, io::Error>(l.to_string()))
        .collect::<Vec<_>>();
    let mut reader = OutputReader::new(lines.into_iter(), flavour, histogram);
    let mut echoed = Vec::new();
    let list = parse_list(list).expect("list");
    let got = list
        .iter()
        .map(|&b| {
            reader
                .next_section(b, &mut |l: &str| {
                    echoed.push(l.to_string());
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{file}: {b}: {e:?}"))
        })
        .collect();
    assert!(
        reader
            .header()
            .iter()
            .any(|l| l.starts_with("Entries:    2000")),
        "{file}"
    );
    (got, echoed)
}

fn result(section: &Section) -> &strata_workloads::external::parse::ResultLine {
    match section {
        Section::Result(line, _) => line,
        other => panic!("expected a result, got {other:?}"),
    }
}

fn config(num: u32, histogram: bool, threads: u32) -> Config {
    Config {
        num,
        histogram,
        threads,
        ..Config::default()
    }
}

#[test]
fn leveldb_lines_found_counts_and_stats() {
    let list = "fillseq,fillrandom,overwrite,readrandom,readseq,readreverse,compact,readrandom,stats,fill100K,crc32c";
    let (s, echoed) = sections("leveldb-1.23.stdout", Flavour::LevelDb, false, list);
    assert_eq!(
        echoed.len(),
        data("leveldb-1.23.stdout").lines().count(),
        "every line echoed once"
    );
    let fillseq = result(&s[0]);
    assert_eq!(
        (fillseq.micros_per_op, fillseq.mb_per_s),
        (5.090, Some(21.7))
    );
    assert_eq!(fillseq.message, "");
    assert_eq!(fillseq.ops, None);
    let rr = result(&s[3]);
    assert_eq!(rr.message, "(1708 of 2000 found)");
    assert_eq!((rr.found(), rr.mb_per_s), (Some(1708), None));
    assert_eq!(result(&s[7]).found(), Some(1748));
    assert_eq!(result(&s[6]).micros_per_op, 17430.0);
    match &s[8] {
        Section::Property(text) => {
            assert!(text[0].contains("Compactions"), "{text:?}");
            assert_eq!(text.len(), 4, "{text:?}");
        }
        other => panic!("stats: {other:?}"),
    }
    assert_eq!(result(&s[9]).message, "(2 ops)");
    assert_eq!(result(&s[10]).message, "(4K per op)");
    assert_eq!(result(&s[10]).mb_per_s, Some(2183.2));

    // Reports: ops from the plan, elapsed from micros/op.
    let c = config(2000, false, 1);
    let plan = BenchPlan::new(Benchmark::FillSeq, &c);
    let r = to_report(Flavour::LevelDb, &plan, &c, fillseq, &[], None);
    assert_eq!(r.ops, 2000);
    assert!((r.elapsed_s - 5.090 * 2000.0 / 1e6).abs() < 1e-12);
    let plan = BenchPlan::new(Benchmark::Fill100K, &c);
    assert_eq!(
        to_report(Flavour::LevelDb, &plan, &c, result(&s[9]), &[], None).ops,
        2
    );
    let plan = BenchPlan::new(Benchmark::Compact, &c);
    let r = to_report(Flavour::LevelDb, &plan, &c, result(&s[6]), &[], None);
    assert_eq!(r.ops, 0);
    assert!((r.elapsed_s - 0.01743).abs() < 1e-12);
    let plan = BenchPlan::new(Benchmark::ReadSeq, &c);
    assert_eq!(
        to_report(Flavour::LevelDb, &plan, &c, result(&s[4]), &[], Some(1735)).ops,
        1735
    );
    assert_eq!(
        to_report(Flavour::LevelDb, &plan, &c, result(&s[4]), &[], None).ops,
        2000
    );
    let plan = BenchPlan::new(Benchmark::ReadRandom, &c);
    let r = to_report(Flavour::LevelDb, &plan, &c, rr, &[], None);
    assert_eq!((r.ops, r.found, r.latencies.len()), (2000, Some(1708), 0));
}

#[test]
fn leveldb_histograms_give_percentiles_as_leveldb_computes_them() {
    let (s, _) = sections(
        "leveldb-1.23-histogram.stdout",
        Flavour::LevelDb,
        true,
        "fillseq,fillrandom,readrandom,readmissing,stats",
    );
    let Section::Result(line, blocks) = &s[0] else {
        panic!("fillseq: {:?}", s[0]);
    };
    assert_eq!(line.micros_per_op, 4.851);
    assert_eq!(blocks.len(), 1);
    let b = &blocks[0];
    assert_eq!(
        (b.label.as_str(), b.count, b.buckets.len()),
        ("op", 2000, 19)
    );
    assert_eq!(
        (b.mean_us, b.stddev_us, b.min_us, b.max_us),
        (4.7610, 106.04, 1.0, 4714.0)
    );
    // LevelDB printed Median: 2.3982.
    assert!(
        (b.percentile(50.0) - 2.3982).abs() < 5e-5,
        "{}",
        b.percentile(50.0)
    );
    let c = config(2000, true, 1);
    let plan = BenchPlan::new(Benchmark::FillSeq, &c);
    let r = to_report(Flavour::LevelDb, &plan, &c, line, blocks, None);
    assert_eq!(r.ops, 2000, "ops from Count");
    assert_eq!(r.latencies.len(), 1);
    assert_eq!(r.latencies[0].0, OpKind::Write);
    let all = r.all_latency.expect("latency");
    assert!(all.p50_us <= all.p75_us && all.p75_us <= all.p99_us && all.p99_us <= all.max_us);
    // 99.0 %: 2000 × 0.99 = 1980 falls in [9, 10) (cumulative 1979 → 1984).
    assert!(
        (all.p99_us - (9.0 + (1980.0 - 1979.0) / 5.0)).abs() < 1e-9,
        "{}",
        all.p99_us
    );
    let Section::Result(rr, blocks) = &s[2] else {
        panic!("readrandom: {:?}", s[2]);
    };
    assert_eq!(rr.found(), Some(1287));
    assert!((blocks[0].percentile(50.0) - 1.0626).abs() < 5e-5);
    let Section::Result(_, blocks) = &s[3] else {
        panic!("readmissing: {:?}", s[3]);
    };
    assert!((blocks[0].percentile(50.0) - 1.0579).abs() < 5e-5);
    assert!(matches!(&s[4], Section::Property(t) if t[0].contains("Compactions")));
}

#[test]
fn leveldb_threads_compact_without_ops_and_sstables() {
    let (s, _) = sections(
        "leveldb-1.23-threads2-histogram.stdout",
        Flavour::LevelDb,
        true,
        "fillseq,compact,readwhilewriting,readseq,sstables",
    );
    let Section::Result(_, blocks) = &s[1] else {
        panic!("compact: {:?}", s[1]);
    };
    assert!(
        blocks.is_empty(),
        "compact's empty histogram (Median: -nan) is dropped"
    );
    let Section::Result(line, blocks) = &s[2] else {
        panic!("readwhilewriting: {:?}", s[2]);
    };
    let c = config(2000, true, 2);
    let plan = BenchPlan::new(Benchmark::ReadWhileWriting, &c);
    let r = to_report(Flavour::LevelDb, &plan, &c, line, blocks, None);
    assert_eq!(r.found, None, "one thread's message is not the total");
    assert_eq!(r.ops, blocks[0].count);
    assert!(matches!(&s[4], Section::Property(t) if t.iter().any(|l| l.contains("--- level"))));
}

#[test]
fn rocksdb_lines_with_ops_seconds_and_stats() {
    let list = "fillseq,fillrandom,overwrite,readrandom,readseq,readreverse,compact,readrandom,stats,fill100K";
    let (s, _) = sections("rocksdb-7.8.3.stdout", Flavour::RocksDb, false, list);
    let f = result(&s[0]);
    assert_eq!(
        (f.micros_per_op, f.ops_per_s, f.seconds, f.ops, f.mb_per_s),
        (4.907, Some(202429), Some(0.010), Some(2000), Some(22.4))
    );
    let rr = result(&s[3]);
    assert_eq!((rr.found(), rr.mb_per_s), (Some(1713), Some(88.1)));
    assert_eq!(result(&s[4]).ops, Some(1735));
    match &s[8] {
        Section::Property(text) => {
            assert!(text
                .iter()
                .any(|l| l.contains("** Compaction Stats [default] **")));
            assert!(text
                .iter()
                .any(|l| l.starts_with("Cumulative writes: 4000 writes")));
        }
        other => panic!("stats: {other:?}"),
    }
    assert_eq!(result(&s[9]).message, "(2 ops)");
    let c = config(2000, false, 1);
    let plan = BenchPlan::new(Benchmark::FillSeq, &c);
    let r = to_report(Flavour::RocksDb, &plan, &c, f, &[], None);
    assert_eq!(r.ops, 2000);
    // ops/sec is the finer figure here: 2000 / 202429 s.
    assert!(
        (r.elapsed_s - 2000.0 / 202_429.0).abs() < 1e-12,
        "{}",
        r.elapsed_s
    );
    let plan = BenchPlan::new(Benchmark::Compact, &c);
    let r = to_report(Flavour::RocksDb, &plan, &c, result(&s[6]), &[], None);
    assert_eq!(
        r.ops, 0,
        "RocksDB's '1 operations' for compact is its pretence"
    );
}

#[test]
fn rocksdb_histograms_match_its_printed_percentiles() {
    let (s, _) = sections(
        "rocksdb-7.8.3-histogram-statistics.stdout",
        Flavour::RocksDb,
        true,
        "fillseq,fillrandom,readrandom,stats",
    );
    let mut checked = 0;
    let text = data("rocksdb-7.8.3-histogram-statistics.stdout");
    let printed: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("Percentiles:"))
        .collect();
    for (section, printed) in s[..3].iter().zip(&printed) {
        let Section::Result(_, blocks) = section else {
            panic!("{section:?}");
        };
        assert_eq!(blocks.len(), 1);
        let words: Vec<&str> = printed.split_whitespace().collect();
        for (p, key) in [
            (50.0, "P50:"),
            (75.0, "P75:"),
            (99.0, "P99:"),
            (99.9, "P99.9:"),
            (99.99, "P99.99:"),
        ] {
            let i = words.iter().position(|w| *w == key).expect("key");
            let want: f64 = words[i + 1].parse().expect("number");
            let got = blocks[0].percentile(p);
            assert!(
                (got - want).abs() <= 0.005 + 1e-9,
                "{key}: {got} vs printed {want}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 15);
    let Section::Result(line, blocks) = &s[2] else {
        panic!("{:?}", s[2]);
    };
    assert_eq!(blocks[0].label, "read");
    let c = config(2000, true, 1);
    let plan = BenchPlan::new(Benchmark::ReadRandom, &c);
    let r = to_report(Flavour::RocksDb, &plan, &c, line, blocks, None);
    assert_eq!((r.found, r.latencies[0].0), (Some(1209), OpKind::Get));
    // The statistics dump comes with the last benchmark's text.
    assert!(matches!(&s[3], Section::Property(t) if t.iter().any(|l| l == "STATISTICS:")));
}

#[test]
fn rocksdb_threads_and_delete_histograms() {
    let (s, _) = sections(
        "rocksdb-7.8.3-threads2-histogram.stdout",
        Flavour::RocksDb,
        true,
        "fillseq,compact,readwhilewriting,readseq,deleterandom",
    );
    let Section::Result(line, blocks) = &s[0] else {
        panic!("{:?}", s[0]);
    };
    assert_eq!(line.ops, Some(4000));
    assert_eq!(blocks[0].count, 4000);
    let Section::Result(_, blocks) = &s[4] else {
        panic!("{:?}", s[4]);
    };
    assert_eq!(blocks[0].label, "delete");
    let c = config(2000, true, 2);
    let Section::Result(line, blocks) = &s[2] else {
        panic!("{:?}", s[2]);
    };
    let plan = BenchPlan::new(Benchmark::ReadWhileWriting, &c);
    let r = to_report(Flavour::RocksDb, &plan, &c, line, blocks, None);
    assert_eq!((r.ops, r.found), (4000, None));
}

#[test]
fn malformed_and_foreign_lines() {
    for flavour in [Flavour::LevelDb, Flavour::RocksDb] {
        assert_eq!(classify("DB path: [/tmp/x]", flavour), Ok(Line::Other));
        assert_eq!(
            classify("Uptime(secs): 0.1 total", flavour),
            Ok(Line::Other)
        );
        assert_eq!(
            classify(
                "fillseq      : skipped (--use_existing_db is true)",
                flavour
            ),
            Ok(Line::Skipped("fillseq".into()))
        );
        let e = classify("fillseq      :    garbage micros/op;", flavour).expect_err("garbage");
        assert!(e.contains("'garbage' is not a number"), "{e}");
        assert!(classify("readrandom   :       1.0 micros/op", flavour).is_err());
    }
    // A LevelDB-format line read as RocksDB lacks ops/sec.
    assert!(classify(
        "fillseq      :       5.090 micros/op;   21.7 MB/s",
        Flavour::RocksDb
    )
    .is_err());
    // A result of another benchmark than the expected one is an error.
    let lines = [
        "------------------------------------------------",
        "fillrandom   :       1.000 micros/op;",
    ]
    .map(|l| Ok::<_, io::Error>(l.to_string()));
    let mut reader = OutputReader::new(lines.into_iter(), Flavour::LevelDb, false);
    let e = reader
        .next_section(Benchmark::FillSeq, &mut |_| Ok(()))
        .expect_err("mismatch");
    assert!(
        format!("{e:?}").contains("expected fillseq's line, got fillrandom's"),
        "{e:?}"
    );
}

fn peer(flavour: Flavour) -> Peer {
    Peer {
        binary: PathBuf::from("/opt/db_bench"),
        flavour,
    }
}

#[test]
fn flags_for_leveldb() {
    let c = Config {
        num: 5000,
        reads: Some(700),
        value_size: 200,
        compression_ratio: 0.25,
        threads: 2,
        histogram: true,
        ..Config::default()
    };
    let options = PeerOptions {
        write_buffer_size: Some(1 << 20),
        max_file_size: Some(2 << 20),
        block_size: Some(4096),
        cache_size: Some(8 << 20),
        bloom_bits: Some(10),
        open_files: Some(500),
        compression: Some(true),
    };
    let list = parse_list("fillseq,readhot,open,stats").expect("list");
    let got = args(
        &peer(Flavour::LevelDb),
        &c,
        &options,
        &list,
        Path::new("/d/db"),
    )
    .expect("args");
    assert_eq!(
        got,
        [
            "--benchmarks=fillseq,readhot,open,stats",
            "--num=5000",
            "--reads=700",
            "--value_size=200",
            "--compression_ratio=0.25",
            "--threads=2",
            "--histogram=1",
            "--use_existing_db=0",
            "--db=/d/db",
            "--write_buffer_size=1048576",
            "--max_file_size=2097152",
            "--block_size=4096",
            "--cache_size=8388608",
            "--bloom_bits=10",
            "--open_files=500",
        ]
    );
    // Defaults: no --reads, no options.
    let got = args(
        &peer(Flavour::LevelDb),
        &Config::default(),
        &PeerOptions::default(),
        &list,
        Path::new("db"),
    )
    .expect("args");
    assert!(!got.iter().any(|a| a.starts_with("--reads")), "{got:?}");
    assert_eq!(got.len(), 8);
    // Refused, each naming the flag and the peer.
    let refused = [
        (
            Config {
                seed: 7,
                ..Config::default()
            },
            PeerOptions::default(),
            "--seed",
        ),
        (
            Config {
                rng: RngKind::Xoshiro,
                ..Config::default()
            },
            PeerOptions::default(),
            "--rng",
        ),
        (
            Config::default(),
            PeerOptions {
                cache_size: Some(4 << 30),
                ..PeerOptions::default()
            },
            "cache_size",
        ),
        (
            Config {
                crc32c_total_bytes: 1,
                ..Config::default()
            },
            PeerOptions::default(),
            "crc32c_total_bytes",
        ),
    ];
    for (c, o, flag) in refused {
        let e = args(&peer(Flavour::LevelDb), &c, &o, &list, Path::new("db")).expect_err(flag);
        assert_eq!(e.flag, flag);
        assert!(
            e.to_string()
                .starts_with("LevelDB's db_bench (/opt/db_bench) cannot run "),
            "{e}"
        );
    }
}

#[test]
fn flags_for_rocksdb() {
    let c = Config {
        num: 3000,
        seed: 42,
        ..Config::default()
    };
    let options = PeerOptions {
        write_buffer_size: Some(4 << 20),
        max_file_size: Some(2 << 20),
        cache_size: Some(16 << 30),
        compression: Some(false),
        ..PeerOptions::default()
    };
    let list = parse_list("fillseq,readrandom,compact,stats,crc32c").expect("list");
    let got = args(
        &peer(Flavour::RocksDb),
        &c,
        &options,
        &list,
        Path::new("/d/db"),
    )
    .expect("args");
    assert_eq!(
        got,
        [
            "--benchmarks=fillseq,readrandom,compact,stats,crc32c",
            "--num=3000",
            "--value_size=100",
            "--compression_ratio=0.5",
            "--threads=1",
            "--histogram=0",
            "--use_existing_db=0",
            "--db=/d/db",
            "--seed=42",
            "--key_size=16",
            "--write_buffer_size=4194304",
            "--target_file_size_base=2097152",
            "--cache_size=17179869184",
            "--compression_type=none",
        ]
    );
    let snappy = PeerOptions {
        compression: Some(true),
        ..PeerOptions::default()
    };
    let got = args(
        &peer(Flavour::RocksDb),
        &Config::default(),
        &snappy,
        &list,
        Path::new("db"),
    )
    .expect("args");
    assert!(got.contains(&"--compression_type=snappy".to_string()));
    assert!(got.contains(&"--seed=1000".to_string()));
    // Benchmarks RocksDB's db_bench lacks are left out of its list (the
    // workload says so on the console in their place).
    for name in [
        "readhot",
        "seekordered",
        "snappycomp",
        "snappyuncomp",
        "open",
    ] {
        let list = parse_list(&format!("fillseq,{name},readrandom")).expect("list");
        let got = args(
            &peer(Flavour::RocksDb),
            &Config::default(),
            &snappy,
            &list,
            Path::new("db"),
        )
        .expect(name);
        assert_eq!(got[0], "--benchmarks=fillseq,readrandom", "{name}");
        assert!(lacks(Flavour::RocksDb, list[1]), "{name}");
        assert!(!lacks(Flavour::LevelDb, list[1]), "{name}");
    }
    let e = args(
        &peer(Flavour::RocksDb),
        &Config {
            seed: 0,
            ..Config::default()
        },
        &snappy,
        &list,
        Path::new("db"),
    )
    .expect_err("seed 0");
    assert_eq!(e.flag, "--seed");
    let e = args(
        &peer(Flavour::RocksDb),
        &Config::default(),
        &PeerOptions {
            bloom_bits: Some(1 << 40),
            ..PeerOptions::default()
        },
        &list,
        Path::new("db"),
    )
    .expect_err("bloom");
    assert_eq!(e.flag, "bloom_bits");
}
