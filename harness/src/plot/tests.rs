//! End-to-end tests: CSV files in, chart files and index pages out.

use super::*;
use crate::csv_row::ResultRow;

/// db_bench's default benchmark list, with db_bench-like micros/op.
const DB_BENCH_DEFAULTS: [(&str, f64); 16] = [
    ("fillseq", 2.1),
    ("fillsync", 2_400.0),
    ("fillrandom", 4.3),
    ("overwrite", 5.2),
    ("readrandom", 3.4),
    ("readrandom", 2.9),
    ("readseq", 0.21),
    ("readreverse", 0.38),
    ("compact", 1_250_000.0),
    ("readrandom", 2.2),
    ("readseq", 0.18),
    ("readreverse", 0.33),
    ("fill100K", 310.0),
    ("crc32c", 2.6),
    ("snappycomp", 7.9),
    ("snappyuncomp", 1.6),
];

const ENGINES: [&str; 3] = [
    "lsm:memtable=skiplist,compaction=leveled,compression=snappy,bloom_bits=10",
    "leveldb:compression=snappy,bloom_bits=10",
    "rusty-leveldb:compression=snappy,bloom_bits=10",
];

/// Realistic rows: every engine runs the default list `repetitions` times;
/// engines differ by a speed factor, repetitions jitter a little.
fn realistic_rows(repetitions: u32) -> Vec<ResultRow> {
    let mut rows = Vec::new();
    for (e, engine) in ENGINES.iter().enumerate() {
        let speed = [1.0, 0.8, 1.9][e];
        for repetition in 0..repetitions {
            let jitter = 1.0 + 0.07 * f64::from(repetition) - 0.05 * (e as f64);
            for (benchmark, base_us) in DB_BENCH_DEFAULTS {
                rows.push(realistic_row(
                    engine,
                    benchmark,
                    repetition,
                    base_us * speed * jitter,
                ));
            }
        }
    }
    rows
}

fn realistic_row(engine: &str, benchmark: &str, repetition: u32, micros_per_op: f64) -> ResultRow {
    let writes = benchmark.starts_with("fill") || benchmark == "overwrite";
    let reads = benchmark.starts_with("read");
    let has_latency = benchmark != "compact";
    let latency = |factor: f64| has_latency.then_some(micros_per_op * factor);
    let write_amplification = match benchmark {
        "fillseq" | "fillsync" | "fill100K" => Some(1.08),
        "fillrandom" => Some(2.6),
        "overwrite" => Some(4.1),
        _ => None,
    };
    ResultRow {
        run_id: "20240101-120000".to_string(),
        start_time: "2024-01-01T12:00:00Z".to_string(),
        git_rev: "abc1234".to_string(),
        cpu_model: "Example CPU @ 3.00GHz".to_string(),
        cpu_cores: 2,
        engine_spec: engine.to_string(),
        engine_kind: engine.split(':').next().unwrap_or(engine).to_string(),
        benchmark: benchmark.to_string(),
        repetition,
        num: 1_000_000,
        reads: 1_000_000,
        threads: 1,
        key_size_bytes: 16,
        value_size_bytes: 100,
        // db_bench's compact counts no operations (its micros/op is its time).
        ops: if has_latency { 1_000_000 } else { 0 },
        micros_per_op,
        ops_per_s: if has_latency {
            1e6 / micros_per_op
        } else {
            0.0
        },
        mb_per_s: (writes || benchmark.starts_with("readseq")).then_some(110.6 / micros_per_op),
        found: reads.then_some(864_322),
        latency_us_p50: latency(0.8),
        latency_us_p75: latency(1.1),
        latency_us_p90: latency(1.7),
        latency_us_p99: latency(4.2),
        latency_us_p999: latency(16.0),
        latency_us_p9999: latency(70.0),
        latency_us_max: latency(450.0),
        write_amplification: if engine.starts_with("rusty") {
            write_amplification.map(|w| w * 1.4)
        } else {
            write_amplification
        },
        read_amplification: reads.then_some(if engine.starts_with("lsm") { 1.3 } else { 1.6 }),
        space_amplification: writes.then_some(1.15),
        ..ResultRow::default()
    }
}

fn write_csv(path: &Path, rows: &[ResultRow]) {
    let mut writer = csv::Writer::from_path(path).expect("create csv");
    for row in rows {
        writer.serialize(row).expect("write row");
    }
    writer.flush().expect("flush csv");
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn realistic_run_draws_every_chart_kind_and_an_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv_path = dir.path().join("run.csv");
    write_csv(&csv_path, &realistic_rows(3));
    let out = dir.path().join("report");
    let files = plot_results(&csv_path, &out).expect("plot");
    let names: BTreeSet<String> = files
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    for stem in [
        "throughput",
        "latency_fillseq",
        "latency_readrandom",
        "latency_readrandom-2",
        "latency_readrandom-3",
        "amplification_write",
        "amplification_read",
        "amplification_space",
    ] {
        for ext in ["svg", "png"] {
            let name = format!("{stem}.{ext}");
            assert!(names.contains(&name), "{name} missing from {names:?}");
            assert!(file_len(&out.join(&name)) > 1_000, "{name} is nearly empty");
        }
    }
    assert!(
        !names.contains("latency_compact.png"),
        "compact has no latency columns"
    );
    let png = std::fs::read(out.join("throughput.png")).expect("read png");
    assert_eq!(png.get(..8), Some(&b"\x89PNG\r\n\x1a\n"[..]));
    let svg = std::fs::read_to_string(out.join("throughput.svg")).expect("read svg");
    assert!(svg.starts_with("<svg") && svg.contains("readrandom#2"));
    let html = std::fs::read_to_string(out.join("index.html")).expect("read html");
    let markdown = std::fs::read_to_string(out.join("index.md")).expect("read md");
    for name in names.iter().filter(|n| n.ends_with(".png")) {
        assert!(
            html.contains(&format!("<img src=\"{name}\"")),
            "index.html lacks {name}"
        );
        assert!(
            markdown.contains(&format!("({name})")),
            "index.md lacks {name}"
        );
    }
    assert!(
        html.contains("20240101-120000")
            && html.contains("abc1234")
            && html.contains("Example CPU")
    );
}

#[test]
fn single_engine_without_optional_cells_still_plots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv_path = dir.path().join("bare.csv");
    let rows: Vec<ResultRow> = ["fillseq", "readrandom"]
        .into_iter()
        .map(|benchmark| ResultRow {
            engine_spec: "lsm".to_string(),
            benchmark: benchmark.to_string(),
            micros_per_op: 2.0,
            ops_per_s: 500_000.0,
            ..ResultRow::default()
        })
        .collect();
    write_csv(&csv_path, &rows);
    let out = dir.path().join("report");
    let files = plot_results(&csv_path, &out).expect("plot");
    let names: Vec<String> = files
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["throughput.svg", "throughput.png", "index.md", "index.html"]
    );
}

#[test]
fn many_engines_cycle_the_palette() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv_path = dir.path().join("many.csv");
    let rows: Vec<ResultRow> = (0..14)
        .map(|i| {
            realistic_row(
                &format!("lsm:bloom_bits={i}"),
                "readrandom",
                0,
                1.0 + f64::from(i),
            )
        })
        .collect();
    write_csv(&csv_path, &rows);
    let files = plot_results(&csv_path, &dir.path().join("report")).expect("plot");
    assert!(files.iter().any(|p| p.ends_with("latency_readrandom.png")));
}

#[test]
fn empty_malformed_and_missing_csv_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report");
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").expect("write");
    let error = plot_results(&empty, &out).expect_err("empty file");
    assert!(matches!(error, HarnessError::Input { .. }), "{error}");
    assert!(error.to_string().contains("no result rows"), "{error}");

    let header_only = dir.path().join("header.csv");
    write_csv(&header_only, &[ResultRow::default()]);
    let header = std::fs::read_to_string(&header_only).expect("read");
    let first_line = header.lines().next().expect("header line");
    std::fs::write(&header_only, format!("{first_line}\n")).expect("write");
    assert!(plot_results(&header_only, &out)
        .expect_err("no rows")
        .to_string()
        .contains("no result rows"));

    let malformed = dir.path().join("bad.csv");
    std::fs::write(&malformed, format!("{first_line}\nnot,enough,cells\n")).expect("write");
    assert!(plot_results(&malformed, &out)
        .expect_err("bad row")
        .to_string()
        .contains("malformed"));

    let not_numbers = dir.path().join("nan.csv");
    let cells = first_line.split(',').count();
    std::fs::write(
        &not_numbers,
        format!("{first_line}\n{}\n", vec!["x"; cells].join(",")),
    )
    .expect("write");
    assert!(plot_results(&not_numbers, &out)
        .expect_err("bad cells")
        .to_string()
        .contains("malformed"));

    let missing = dir.path().join("missing.csv");
    let error = plot_results(&missing, &out).expect_err("missing");
    assert!(
        matches!(&error, HarnessError::Io { path, .. } if *path == missing),
        "{error}"
    );
    assert!(error.to_string().contains("cannot read"), "{error}");
    assert!(!out.exists(), "nothing is written for bad input");
}

#[test]
fn stems_are_file_safe_and_unique() {
    let mut taken = BTreeSet::new();
    assert_eq!(
        unique_stem(&mut taken, &file_safe("readrandom#2")),
        "readrandom-2"
    );
    assert_eq!(
        unique_stem(&mut taken, &file_safe("readrandom-2")),
        "readrandom-2-2"
    );
    assert_eq!(file_safe("a/b c"), "a-b-c");
}
