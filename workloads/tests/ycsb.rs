//! YCSB core workloads: every workload runs at small size on the in-memory
//! test fixture and produces its report; the operation generator's mixes,
//! scan lengths, zipfian skew, scrambling and `latest` bias match their
//! definitions within stated tolerances (generator only, no engine).

mod support;

use std::collections::HashMap;
use strata_workloads::ycsb::generator::stream;
use strata_workloads::ycsb::scrambled::ScrambledZipfian;
use strata_workloads::ycsb::workload::ALL;
use strata_workloads::ycsb::zipfian::{zeta, Zipfian};
use strata_workloads::ycsb::{run_workload, OpGenerator, OpType, Workload, YcsbConfig};
use support::MapHost;

fn small(records: u64, operations: u64) -> YcsbConfig {
    YcsbConfig {
        records,
        operations,
        histogram: true,
        ..YcsbConfig::default()
    }
}

#[test]
fn every_workload_runs_and_reports() {
    let config = small(300, 400);
    for (name, workload) in ALL {
        let mut host = MapHost::default();
        let mut out = Vec::new();
        let result = run_workload(*workload, &config, &mut host, &mut out).expect("run");
        let text = String::from_utf8(out).expect("utf-8");
        let r = &result.report;
        assert_eq!(r.name, *name);
        assert_eq!(r.ops, 400);
        assert_eq!(r.counts.iter().sum::<u64>(), 400, "{name}");
        for op in OpType::ALL {
            if workload.proportion(op) == 0.0 {
                assert_eq!(r.count(op), 0, "{name} did {op:?}");
            }
        }
        // Every read and read-modify-write targets a record that exists.
        assert_eq!(
            r.found,
            r.count(OpType::Read) + r.count(OpType::ReadModifyWrite),
            "{name}"
        );
        let inserts = r.count(OpType::Insert);
        assert_eq!(host.len() as u64, 300 + inserts, "{name}");
        assert!(r.micros_per_op > 0.0);
        assert_eq!(
            r.latencies.iter().map(|(_, l)| l.count).sum::<u64>(),
            400,
            "{name}"
        );
        assert_eq!(r.all_latency.map(|l| l.count), Some(400));
        assert!(r.logical_bytes >= (300 + inserts) * 1004, "{name}");
        let line = text.lines().next().expect("a line");
        assert!(
            line.starts_with(&format!("{name:<12} : ")) && line.contains(" micros/op; ("),
            "{line}"
        );
        for (op, _) in &r.latencies {
            assert!(
                text.contains(&format!("Microseconds per op ({}):", op.label())),
                "{text}"
            );
        }
        if *workload == Workload::E {
            assert!(r.scanned >= r.count(OpType::Scan), "scans return records");
        }
        assert!(result.metrics.user_bytes_written > 0 || *workload == Workload::C);
    }
}

#[test]
fn report_line_names_the_operation_counts() {
    let mut host = MapHost::default();
    let mut out = Vec::new();
    let config = YcsbConfig {
        histogram: false,
        ..small(100, 200)
    };
    let r = run_workload(Workload::A, &config, &mut host, &mut out)
        .expect("run")
        .report;
    let expected = format!(
        "(reads {}, updates {})",
        r.count(OpType::Read),
        r.count(OpType::Update)
    );
    assert_eq!(r.message(), expected);
    let text = String::from_utf8(out).expect("utf-8");
    assert_eq!(text, format!("{}\n", r.line()), "no histogram block");
    assert!(r.line().ends_with(&expected));
}

/// ±2 percentage points over 20,000 operations: more than 5 standard
/// errors for any of these proportions.
#[test]
fn operation_mixes_match_their_definitions() {
    let config = small(1000, 20_000);
    for (name, workload) in ALL {
        let mut g = OpGenerator::new(*workload, &config, stream(7, 0));
        let mut counts: HashMap<OpType, u64> = HashMap::new();
        for _ in 0..20_000 {
            *counts.entry(g.next_op().op).or_default() += 1;
        }
        for op in OpType::ALL {
            let seen = *counts.get(&op).unwrap_or(&0) as f64 / 20_000.0;
            let want = workload.proportion(op);
            assert!(
                (seen - want).abs() <= 0.02,
                "{name}: {op:?} at {seen}, defined {want}"
            );
        }
    }
}

#[test]
fn scan_lengths_are_uniform_from_1_to_100() {
    let mut g = OpGenerator::new(Workload::E, &small(1000, 20_000), stream(3, 0));
    let lengths: Vec<u32> = (0..20_000)
        .map(|_| g.next_op())
        .filter(|o| o.op == OpType::Scan)
        .map(|o| o.scan_length)
        .collect();
    assert_eq!(lengths.iter().min(), Some(&1));
    assert_eq!(lengths.iter().max(), Some(&100));
    let mean = lengths.iter().map(|&l| f64::from(l)).sum::<f64>() / lengths.len() as f64;
    // Uniform 1..=100: mean 50.5, standard error about 0.2 here.
    assert!((mean - 50.5).abs() < 1.5, "mean {mean}");
}

/// Gray et al.'s generator is exact for the two most popular items:
/// P(rank 0) = 1/zeta(n, θ), P(rank 1) = 2^−θ/zeta(n, θ).
#[test]
fn zipfian_skew_matches_theory() {
    let (n, theta, draws) = (1000u64, 0.99, 200_000u32);
    let mut z = Zipfian::new(n, theta);
    let mut rng = stream(11, 0);
    let mut freq = vec![0u32; n as usize];
    for _ in 0..draws {
        freq[z.next(&mut rng) as usize] += 1;
    }
    let zetan = zeta(n, theta);
    let p = |rank: usize| f64::from(freq[rank]) / f64::from(draws);
    // Standard error of p0 ≈ 0.00076: ±0.004 is over 5 of them.
    assert!((p(0) - 1.0 / zetan).abs() < 0.004, "p0 {}", p(0));
    assert!(
        (p(1) - 0.5f64.powf(theta) / zetan).abs() < 0.004,
        "p1 {}",
        p(1)
    );
    // The approximate part keeps the shape: the 10 most popular items get
    // their zipfian share within 2 points, and frequencies fall with rank.
    let top10: f64 = (0..10).map(p).sum();
    let want10 = zeta(10, theta) / zetan;
    assert!((top10 - want10).abs() < 0.02, "top10 {top10} vs {want10}");
    assert!(freq[0] > freq[1] && freq[1] > freq[10] && freq[10] > freq[500]);
}

#[test]
fn scrambled_zipfian_spreads_hot_items_over_the_key_space() {
    let (n, draws) = (1000u64, 100_000u32);
    let mut s = ScrambledZipfian::new(n, 0.99);
    let mut rng = stream(5, 0);
    let mut freq = vec![0u32; n as usize];
    for _ in 0..draws {
        let item = s.next(&mut rng);
        assert!(item < n);
        freq[item as usize] += 1;
    }
    let mut by_heat: Vec<usize> = (0..n as usize).collect();
    by_heat.sort_by_key(|&i| std::cmp::Reverse(freq[i]));
    let hottest = &by_heat[..10];
    // Still skewed: the hottest item has its zipfian share of the 10^10
    // ranks, 1/zeta(10^10, 0.99) ≈ 3.8%, far above uniform's 0.1%.
    let p_hot = f64::from(freq[hottest[0]]) / f64::from(draws);
    assert!(p_hot > 0.03, "hottest at {p_hot}");
    // Scattered: the ten hottest are not the first ten, and they reach
    // both halves of the key space.
    assert_ne!(
        {
            let mut h = hottest.to_vec();
            h.sort_unstable();
            h
        },
        (0..10).collect::<Vec<_>>()
    );
    assert!(hottest.iter().any(|&i| i < 500) && hottest.iter().any(|&i| i >= 500));
    let spread =
        hottest.iter().max().copied().unwrap_or(0) - hottest.iter().min().copied().unwrap_or(0);
    assert!(spread > 300, "hot items within {spread} of each other");
}

#[test]
fn latest_favours_recent_inserts() {
    let config = small(1000, 20_000);
    let mut g = OpGenerator::new(Workload::D, &config, stream(9, 0));
    let (mut reads, mut newest, mut recent10, mut of_inserted) = (0u32, 0u32, 0u32, 0u32);
    for _ in 0..20_000 {
        let newest_index = g.records() - 1;
        let o = g.next_op();
        if o.op != OpType::Read {
            continue;
        }
        assert!(o.index <= newest_index, "read of a record not inserted yet");
        reads += 1;
        let age = newest_index - o.index;
        newest += u32::from(age == 0);
        recent10 += u32::from(age < 10);
        of_inserted += u32::from(o.index >= 1000);
    }
    let share = |k: u32| f64::from(k) / f64::from(reads);
    // A zipfian over ~1000–2000 ages: P(age 0) = 1/zeta ≈ 0.12–0.13,
    // P(age < 10) ≈ 0.36–0.39; uniform would give 0.001 and 0.01.
    assert!(share(newest) > 0.10, "newest {}", share(newest));
    assert!(share(recent10) > 0.30, "recent {}", share(recent10));
    // Records inserted during the run are read too, and often.
    assert!(share(of_inserted) > 0.3, "inserted {}", share(of_inserted));
}

#[test]
fn streams_are_deterministic_per_seed() {
    let config = small(1000, 100);
    let draw = |seed| {
        let mut g = OpGenerator::new(Workload::A, &config, stream(seed, 0));
        (0..100).map(|_| g.next_op()).collect::<Vec<_>>()
    };
    assert_eq!(draw(1), draw(1));
    assert_ne!(draw(1), draw(2));
}

#[test]
fn bad_settings_name_their_flag() {
    let bad = |c: YcsbConfig| c.validate().expect_err("invalid").to_string();
    assert!(bad(YcsbConfig {
        records: 0,
        ..YcsbConfig::default()
    })
    .starts_with("--ycsb_records:"));
    assert!(bad(YcsbConfig {
        zipf_constant: 1.0,
        ..YcsbConfig::default()
    })
    .starts_with("--ycsb_zipf:"));
    assert!(YcsbConfig::default().validate().is_ok());
}
