//! The published figures (`results/published/`): LevelDB 1.23 and the
//! seed's Zig port, as their authors printed them. Columns are found by
//! header name, so their order, extra columns (`mb_per_s` or `mib_per_s`,
//! `note`) and spaces around cells do not matter.

use crate::error::HarnessError;
use std::path::Path;

/// The LevelDB 1.23 file's name in `results/published/`.
pub const LEVELDB_FILE: &str = "seed-devlog-002-leveldb-1.23.csv";
/// The Zig port file's name in `results/published/`.
pub const ZIG_FILE: &str = "seed-devlog-002-zig-port.csv";

/// Copies built into strata, used when no `--published` folder is given.
const LEVELDB_EMBEDDED: &str =
    include_str!("../../../results/published/seed-devlog-002-leveldb-1.23.csv");
const ZIG_EMBEDDED: &str = include_str!("../../../results/published/seed-devlog-002-zig-port.csv");

/// One published benchmark result.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedRow {
    /// db_bench benchmark name.
    pub benchmark: String,
    /// Published micros/op.
    pub micros_per_op: f64,
}

/// One published run: its rows in file order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Published {
    /// The rows, in the order of the file (db_bench's run order).
    pub rows: Vec<PublishedRow>,
}

impl Published {
    /// The `occurrence`-th (0-based) row named `benchmark`: benchmarks
    /// repeat in the list, so the third `readrandom` here is matched with
    /// the third one measured.
    pub fn micros_per_op(&self, benchmark: &str, occurrence: usize) -> Option<f64> {
        self.rows
            .iter()
            .filter(|r| r.benchmark == benchmark)
            .nth(occurrence)
            .map(|r| r.micros_per_op)
    }
}

/// The two published runs (LevelDB 1.23, the Zig port).
#[derive(Debug, Clone)]
pub struct PublishedPair {
    /// LevelDB 1.23's rows.
    pub leveldb: Published,
    /// The Zig port's rows.
    pub zig: Published,
    /// Where they came from, for the report.
    pub source: String,
}

/// Why a published CSV does not parse.
#[derive(Debug)]
pub enum BadPublished {
    /// The CSV itself is malformed.
    Csv(csv::Error),
    /// The header lacks a column.
    NoColumn(&'static str),
    /// A row too short to hold the columns.
    TooFewColumns {
        /// 1-based line.
        line: u64,
    },
    /// A row without a benchmark name.
    EmptyName {
        /// 1-based line.
        line: u64,
    },
    /// A micros/op that is not a finite non-negative number.
    BadMicros {
        /// 1-based line.
        line: u64,
        /// The text found.
        text: String,
    },
    /// No result row.
    NoRows,
}

impl std::fmt::Display for BadPublished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadPublished::Csv(e) => write!(f, "{e}"),
            BadPublished::NoColumn(name) => write!(f, "no '{name}' column in the header"),
            BadPublished::TooFewColumns { line } => write!(f, "line {line}: too few columns"),
            BadPublished::EmptyName { line } => write!(f, "line {line}: empty benchmark name"),
            BadPublished::BadMicros { line, text } => {
                write!(f, "line {line}: micros_per_op '{text}' is not a number")
            }
            BadPublished::NoRows => f.write_str("no rows"),
        }
    }
}

/// Loads both files from `dir`, or the built-in copies when `dir` is `None`.
///
/// # Errors
/// A file that cannot be read or parsed, naming it.
pub fn load(dir: Option<&Path>) -> Result<PublishedPair, HarnessError> {
    let Some(dir) = dir else {
        return Ok(PublishedPair {
            leveldb: parse(LEVELDB_EMBEDDED).map_err(|e| HarnessError::input(LEVELDB_FILE, e))?,
            zig: parse(ZIG_EMBEDDED).map_err(|e| HarnessError::input(ZIG_FILE, e))?,
            source: "results/published/ (copies built into strata)".to_string(),
        });
    };
    let read = |name: &str| -> Result<Published, HarnessError> {
        let path = dir.join(name);
        let text =
            std::fs::read_to_string(&path).map_err(|e| HarnessError::io("read", &path, e))?;
        parse(&text).map_err(|e| HarnessError::input(&path, e))
    };
    Ok(PublishedPair {
        leveldb: read(LEVELDB_FILE)?,
        zig: read(ZIG_FILE)?,
        source: format!("{}/", dir.display()),
    })
}

/// Parses a published CSV: a header naming at least `benchmark` and
/// `micros_per_op` (any case, any order), then one row per result. Blank
/// rows are skipped.
///
/// # Errors
/// A missing column, a row too short to hold it, an empty benchmark name,
/// or a micros/op that is not a finite non-negative number; with the line.
pub fn parse(text: &str) -> Result<Published, BadPublished> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(BadPublished::Csv)?.clone();
    let column = |name: &'static str| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or(BadPublished::NoColumn(name))
    };
    let (bench_col, micros_col) = (column("benchmark")?, column("micros_per_op")?);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(BadPublished::Csv)?;
        let line = record.position().map_or(0, csv::Position::line);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let (Some(benchmark), Some(micros)) = (record.get(bench_col), record.get(micros_col))
        else {
            return Err(BadPublished::TooFewColumns { line });
        };
        if benchmark.is_empty() {
            return Err(BadPublished::EmptyName { line });
        }
        let micros_per_op: f64 = micros
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| BadPublished::BadMicros {
                line,
                text: micros.to_string(),
            })?;
        rows.push(PublishedRow {
            benchmark: benchmark.to_string(),
            micros_per_op,
        });
    }
    if rows.is_empty() {
        return Err(BadPublished::NoRows);
    }
    Ok(Published { rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_found_by_name_and_repeats_by_occurrence() {
        let text = "note, Micros_Per_Op ,engine,benchmark\n\
                    x, 2.5 ,a,fillseq\n\
                    \n\
                    ,3.0,a,readrandom\n\
                    \"1,000 ops\",4.0,a,readrandom\n";
        let p = parse(text).expect("parses");
        assert_eq!(p.rows.len(), 3);
        assert_eq!(p.micros_per_op("fillseq", 0), Some(2.5));
        assert_eq!(p.micros_per_op("readrandom", 0), Some(3.0));
        assert_eq!(p.micros_per_op("readrandom", 1), Some(4.0));
        assert_eq!(p.micros_per_op("readrandom", 2), None);
        assert_eq!(p.micros_per_op("crc32c", 0), None);
    }

    #[test]
    fn bad_input_is_an_error_naming_the_line() {
        let e = parse("benchmark,mb_per_s\nfillseq,3\n")
            .expect_err("no column")
            .to_string();
        assert!(e.contains("'micros_per_op'"), "{e}");
        let e = parse("benchmark,micros_per_op\nfillseq,fast\n")
            .expect_err("text")
            .to_string();
        assert!(e.contains("line 2") && e.contains("'fast'"), "{e}");
        let e = parse("benchmark,micros_per_op\nfillseq,-1\n")
            .expect_err("negative")
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        let e = parse("benchmark,micros_per_op\nfillseq,1\nreadseq\n")
            .expect_err("short")
            .to_string();
        assert!(e.contains("line 3") && e.contains("too few"), "{e}");
        let e = parse("benchmark,micros_per_op\n")
            .expect_err("empty")
            .to_string();
        assert!(e.contains("no rows"), "{e}");
    }

    #[test]
    fn built_in_copies_hold_the_seed_list() {
        let pair = load(None).expect("embedded copies parse");
        for published in [&pair.leveldb, &pair.zig] {
            let names: Vec<&str> = published
                .rows
                .iter()
                .map(|r| r.benchmark.as_str())
                .collect();
            assert_eq!(names, super::super::SEED_BENCHMARKS);
        }
        assert_eq!(pair.leveldb.micros_per_op("fillseq", 0), Some(2.267));
        assert_eq!(pair.zig.micros_per_op("readrandom", 2), Some(3.391));
    }
}
