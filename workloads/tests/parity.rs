//! db_bench parity: LevelDB's generator, db_bench's seeding, value pool and
//! found counts, against figures printed by the independent reference
//! script `workloads/tests/dbbench_reference.py` (run with
//! `python3 workloads/tests/dbbench_reference.py`; its output is pasted
//! below as constants) and against LevelDB 1.23's published run.

mod support;

use std::sync::Arc;
use strata_workloads::db_bench::values::{build_pool, ValueGenerator};
use strata_workloads::db_bench::{
    parse_list, seed_schedule, BenchResult, Config, KeyRng, LevelDbRandom, RngKind, Suite,
};
use support::MapHost;

// python3 workloads/tests/dbbench_reference.py
//   first_outputs(0) = [16807, 282475249, 1622650073, 984943658, 1144108930]
//   first_outputs(301) = [5058907, 1273187716, 938884104, 115297772, 779404410]
//   first_outputs(1001) = [16823807, 1437366492, 775085941, 233607685, 644255079]
//   first_outputs(2147483647) = [16807, ...] (same as seed 1)
//   first_outputs(2147483653) = [84035, 1412376245, 1670799424, 629750996, 1425577356]
const FIRST_OUTPUTS: &[(u64, [u32; 5])] = &[
    (0, [16807, 282475249, 1622650073, 984943658, 1144108930]),
    (1, [16807, 282475249, 1622650073, 984943658, 1144108930]),
    (301, [5058907, 1273187716, 938884104, 115297772, 779404410]),
    (
        1001,
        [16823807, 1437366492, 775085941, 233607685, 644255079],
    ),
    (
        2147483647,
        [16807, 282475249, 1622650073, 984943658, 1144108930],
    ),
    (
        2147483653,
        [84035, 1412376245, 1670799424, 629750996, 1425577356],
    ),
];

// pool(0.5): len=1048600 fnv1a64=0xd15766e6ece33c09 head=b'^{Vhz"!/%wMZ;\'a F/REZJ4T'
// pool(0.25): len=1048600 fnv1a64=0x57e245729a484ef5
const POOL_FNV_HALF: u64 = 0xd15766e6ece33c09;
const POOL_FNV_QUARTER: u64 = 0x57e245729a484ef5;

// default order, num=1000: [845, 838, 869]
// default order, num=5000: [4273, 4301, 4263]
// fillrandom,readrandom num=2000: [1246]
// fillseq,deleterandom,readrandom num=2000: [713]
// default order, num=1000000: [864322, 864083, 864105]  (= LevelDB 1.23's published run)
const DEFAULT_ORDER: &str =
    "fillseq,fillsync,fillrandom,overwrite,readrandom,readrandom,readseq,readreverse,compact,readrandom";

fn fnv1a64(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

#[test]
fn generator_first_outputs_match_reference() {
    for (seed, expected) in FIRST_OUTPUTS {
        let mut rng = LevelDbRandom::new(*seed as u32);
        let got: Vec<u32> = (0..5).map(|_| rng.next()).collect();
        assert_eq!(got, expected, "seed {seed}");
    }
    // The thread generator in leveldb mode is seeded base + counter.
    let mut thread = KeyRng::for_thread(RngKind::LevelDb, 1000, 1);
    assert_eq!(thread.uniform(u32::MAX), 16823807);
}

#[test]
fn value_pool_matches_reference() {
    let pool = build_pool(RngKind::LevelDb, 0, 0.5);
    assert_eq!(pool.len(), 1_048_600);
    assert_eq!(&pool[..24], b"^{Vhz\"!/%wMZ;'a F/REZJ4T");
    assert_eq!(fnv1a64(&pool), POOL_FNV_HALF);
    assert_eq!(
        fnv1a64(&build_pool(RngKind::LevelDb, 0, 0.25)),
        POOL_FNV_QUARTER
    );
    let mut walk = ValueGenerator::new(Arc::clone(&pool));
    assert_eq!(walk.generate(100), &pool[..100]);
    assert_eq!(walk.generate(100), &pool[100..200]);
}

/// The published figures from the key arithmetic alone, using the suite's
/// own seed schedule: which seeds fillrandom, overwrite and the three
/// readrandoms get, and `Uniform(num)` over them.
#[test]
fn published_found_counts_follow_from_the_seed_schedule() {
    let num = 1_000_000u32;
    let config = Config::default();
    let list = parse_list(DEFAULT_ORDER).expect("list");
    let schedule = seed_schedule(&list, &config);
    let seed_of = |i: usize| schedule[i][0];
    let mut present = vec![false; num as usize];
    for writer in [2, 3] {
        let mut rng = KeyRng::for_thread(RngKind::LevelDb, config.seed, seed_of(writer));
        for _ in 0..num {
            present[rng.uniform(num) as usize] = true;
        }
    }
    let found: Vec<u64> = [4, 5, 9]
        .iter()
        .map(|&reader| {
            let mut rng = KeyRng::for_thread(RngKind::LevelDb, config.seed, seed_of(reader));
            (0..num)
                .filter(|_| present[rng.uniform(num) as usize])
                .count() as u64
        })
        .collect();
    assert_eq!(found, vec![864_322, 864_083, 864_105]);
}

fn found_counts(num: u32, list: &str) -> Vec<u64> {
    let config = Config {
        num,
        ..Config::default()
    };
    let suite = Suite::new(config, parse_list(list).expect("list")).expect("suite");
    let mut host = MapHost::default();
    let mut out = Vec::new();
    let mut results: Vec<BenchResult> = Vec::new();
    suite
        .run(&mut host, &mut out, &mut |r| {
            results.push(r.clone());
            Ok(())
        })
        .expect("run");
    results
        .iter()
        .filter(|r| r.report.name == "readrandom")
        .map(|r| r.report.found.expect("readrandom counts found"))
        .collect()
}

#[test]
fn short_runs_find_what_the_reference_finds() {
    assert_eq!(found_counts(1000, DEFAULT_ORDER), vec![845, 838, 869]);
    assert_eq!(found_counts(5000, DEFAULT_ORDER), vec![4273, 4301, 4263]);
    assert_eq!(found_counts(2000, "fillrandom,readrandom"), vec![1246]);
    assert_eq!(
        found_counts(2000, "fillseq,deleterandom,readrandom"),
        vec![713]
    );
}
