//! The comparison table: per benchmark occurrence, the published figures,
//! the figures measured here, and the two ratios that may be compared.

use super::published::PublishedPair;
use crate::analysis::{self, Spread};
use std::fmt::Write as _;

/// micros/op samples of one engine, one list per benchmark position
/// (names repeat: `readrandom` runs three times).
#[derive(Debug, Clone, Default)]
pub struct Samples {
    by_position: Vec<Vec<f64>>,
}

impl Samples {
    /// Records one repetition's micros/op for the benchmark at `position`.
    pub fn add(&mut self, position: usize, micros_per_op: f64) {
        if self.by_position.len() <= position {
            self.by_position.resize_with(position + 1, Vec::new);
        }
        self.by_position[position].push(micros_per_op);
    }

    /// The spread at `position`; `None` when nothing was recorded there.
    pub fn spread_at(&self, position: usize) -> Option<Spread> {
        self.by_position
            .get(position)
            .and_then(|v| Spread::of(v.iter().copied()))
    }
}

/// micros/op per benchmark position, per engine.
#[derive(Debug, Default)]
pub struct Measured {
    /// strata's samples.
    pub strata: Samples,
    /// LevelDB's samples.
    pub leveldb: Samples,
}

/// One benchmark occurrence of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    /// 0-based position in the benchmark list.
    pub position: usize,
    /// db_bench benchmark name.
    pub benchmark: String,
    /// Published LevelDB 1.23 micros/op.
    pub published_leveldb_us: Option<f64>,
    /// Published Zig port micros/op.
    pub published_zig_us: Option<f64>,
    /// LevelDB 1.23 measured here, micros/op.
    pub leveldb_us: Option<Spread>,
    /// strata measured here, micros/op.
    pub strata_us: Option<Spread>,
}

impl ComparisonRow {
    /// Published Zig / LevelDB micros/op (above 1: the port is slower).
    pub fn published_ratio(&self) -> Option<f64> {
        ratio(self.published_zig_us, self.published_leveldb_us)
    }

    /// Measured strata / LevelDB median micros/op (above 1: strata is slower).
    pub fn measured_ratio(&self) -> Option<f64> {
        ratio(
            self.strata_us.map(|s| s.median),
            self.leveldb_us.map(|s| s.median),
        )
    }
}

fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    analysis::ratio(numerator?, denominator?)
}

/// The rows for `benchmarks` (in run order): published rows are matched by
/// name and occurrence, measured ones by position.
pub fn build(
    benchmarks: &[&str],
    published: &PublishedPair,
    measured: &Measured,
) -> Vec<ComparisonRow> {
    benchmarks
        .iter()
        .enumerate()
        .map(|(position, &name)| {
            let occurrence = benchmarks[..position]
                .iter()
                .filter(|&&b| b == name)
                .count();
            ComparisonRow {
                position,
                benchmark: name.to_string(),
                published_leveldb_us: published.leveldb.micros_per_op(name, occurrence),
                published_zig_us: published.zig.micros_per_op(name, occurrence),
                leveldb_us: measured.leveldb.spread_at(position),
                strata_us: measured.strata.spread_at(position),
            }
        })
        .collect()
}

/// micros/op with as many decimals as its size deserves.
fn us(v: f64) -> String {
    if v >= 1000.0 {
        format!("{v:.0}")
    } else if v >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn cell(v: Option<f64>, format: fn(f64) -> String) -> String {
    v.map_or_else(|| "–".to_string(), format)
}

fn spread_cell(s: Option<Spread>) -> String {
    s.map_or_else(
        || "–".to_string(),
        |s| format!("{} ({}–{})", us(s.median), us(s.min), us(s.max)),
    )
}

fn times(v: f64) -> String {
    format!("{v:.2}×")
}

/// The table as Markdown: one row per benchmark occurrence.
pub fn render_markdown(rows: &[ComparisonRow]) -> String {
    let mut out = String::new();
    out.push_str(
        "| # | benchmark | published LevelDB µs/op | published Zig port µs/op | \
         published Zig/LevelDB | LevelDB here µs/op, median (min–max) | \
         strata here µs/op, median (min–max) | strata/LevelDB here |\n",
    );
    out.push_str("|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.position + 1,
            row.benchmark,
            cell(row.published_leveldb_us, us),
            cell(row.published_zig_us, us),
            cell(row.published_ratio(), times),
            spread_cell(row.leveldb_us),
            spread_cell(row.strata_us),
            cell(row.measured_ratio(), times),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::published::parse;
    use super::*;

    #[test]
    fn rows_match_occurrences_and_ratios_use_medians() {
        let published = PublishedPair {
            leveldb: parse("benchmark,micros_per_op\nfillseq,2\nreadrandom,4\nreadrandom,8\n")
                .expect("leveldb"),
            zig: parse("benchmark,micros_per_op\nfillseq,1\nreadrandom,6\n").expect("zig"),
            source: String::new(),
        };
        let mut measured = Measured::default();
        for (position, values) in [(0, [1.0, 3.0, 2.0]), (2, [5.0, 4.0, 6.0])] {
            for v in values {
                measured.leveldb.add(position, v);
                measured.strata.add(position, v * 2.0);
            }
        }
        let rows = build(
            &["fillseq", "readrandom", "readrandom"],
            &published,
            &measured,
        );
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].published_ratio(), Some(0.5));
        assert_eq!(rows[0].measured_ratio(), Some(2.0));
        assert_eq!(rows[1].published_leveldb_us, Some(4.0));
        assert_eq!(rows[1].published_ratio(), Some(1.5));
        assert_eq!(rows[1].measured_ratio(), None, "position 1 not measured");
        assert_eq!(rows[2].published_leveldb_us, Some(8.0));
        assert_eq!(rows[2].published_zig_us, None, "only one zig readrandom");
        assert_eq!(rows[2].leveldb_us.map(|s| s.median), Some(5.0));
        let text = render_markdown(&rows);
        assert_eq!(text.lines().count(), 2 + 3, "{text}");
        assert!(
            text.contains("| 1 | fillseq | 2.000 | 1.000 | 0.50× | 2.000 (1.000–3.000) | 4.000 (2.000–6.000) | 2.00× |"),
            "{text}"
        );
        assert!(
            text.contains("| 3 | readrandom | 8.000 | – | – |"),
            "{text}"
        );
    }
}
