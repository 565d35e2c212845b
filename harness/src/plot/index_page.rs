//! The index page, in Markdown and HTML: provenance, engine key, the
//! engine × benchmark table, and every chart.

use super::data::Dataset;
use crate::analysis::Spread;
use crate::csv_row::ResultRow;

/// A chart written next to the index.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartRef {
    /// Caption.
    pub title: String,
    /// File stem: `<stem>.png` and `<stem>.svg` exist.
    pub stem: String,
}

/// One table column: header and how to read and format a cell.
struct Column {
    header: &'static str,
    metric: fn(&ResultRow) -> Option<f64>,
    format: fn(f64) -> String,
}

const COLUMNS: [Column; 7] = [
    Column {
        header: "micros/op (median)",
        metric: |r| Some(r.micros_per_op),
        format: |v| format!("{v:.3}"),
    },
    Column {
        header: "ops/s",
        // A benchmark that counts no operations (db_bench's compact) has
        // no rate: "—", as in `strata compare`.
        metric: |r| (r.ops > 0).then_some(r.ops_per_s),
        format: |v| format!("{v:.0}"),
    },
    Column {
        header: "MB/s",
        metric: |r| r.mb_per_s,
        format: three_digits,
    },
    Column {
        // Counts are exact integers stored as u64; f64 holds them exactly
        // below 2^53, far above any key count.
        header: "found",
        metric: |r| r.found.map(|f| f as f64),
        format: |v| format!("{v:.0}"),
    },
    Column {
        header: "write amp",
        metric: |r| r.write_amplification,
        format: |v| format!("{v:.2}"),
    },
    Column {
        // Every thread of the process, the engine's background work
        // included: an engine fast by burning a second core shows it.
        header: "CPU µs/op",
        metric: |r| {
            let cpu_s = r.cpu_user_s? + r.cpu_system_s?;
            (r.ops > 0).then(|| cpu_s * 1e6 / r.ops as f64)
        },
        format: three_digits,
    },
    Column {
        header: "stall %",
        metric: |r| r.stall_percent,
        format: |v| format!("{v:.1}"),
    },
];

const MISSING: &str = "—";

/// About three significant digits, so slow rates (fillsync's MB/s) do not
/// print as 0.0.
fn three_digits(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

/// Every table body row: benchmark, engine label, repetitions, then the
/// formatted medians of [`COLUMNS`]. Cells no engine ran are left out.
pub(crate) fn table_rows(data: &Dataset) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (b, bench) in data.benchmarks.iter().enumerate() {
        for (e, engine) in data.engines.iter().enumerate() {
            let reps = data.rows(b, e).len();
            if reps == 0 {
                continue;
            }
            let mut cells = vec![
                bench.clone(),
                format!("[{}] {}", engine.number, engine.short),
                reps.to_string(),
            ];
            cells.extend(COLUMNS.iter().map(|c| {
                data.stat(b, e, c.metric)
                    .map_or_else(|| MISSING.to_string(), |s: Spread| (c.format)(s.median))
            }));
            rows.push(cells);
        }
    }
    rows
}

pub(crate) fn headers() -> Vec<&'static str> {
    let mut headers = vec!["benchmark", "engine", "reps"];
    headers.extend(COLUMNS.iter().map(|c| c.header));
    headers
}

fn provenance(data: &Dataset) -> [(&'static str, String); 4] {
    [
        ("run id", data.run.run_ids.join(", ")),
        ("machine", data.run.machines.join("; ")),
        ("git rev", data.run.git_revs.join(", ")),
        ("start time", data.run.start_times.join(", ")),
    ]
}

/// The Markdown page.
pub fn markdown(data: &Dataset, charts: &[ChartRef]) -> String {
    let mut out = format!("# strata results: {}\n\n", md(&data.run.run_ids.join(", ")));
    for (name, value) in provenance(data) {
        out.push_str(&format!("- **{name}**: {}\n", md(&value)));
    }
    out.push_str("\n## Engines\n\n| # | label | full spec |\n| --- | --- | --- |\n");
    for engine in &data.engines {
        out.push_str(&format!(
            "| {} | {} | `{}` |\n",
            engine.number,
            md(&engine.short),
            engine.spec.replace('|', "\\|")
        ));
    }
    out.push_str("\n## Results (medians over repetitions)\n\n");
    let headers = headers();
    out.push_str(&format!("| {} |\n", headers.join(" | ")));
    out.push_str(&format!("|{}\n", " --- |".repeat(headers.len())));
    for row in table_rows(data) {
        let cells: Vec<String> = row.iter().map(|c| md(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push_str("\n## Charts\n");
    for chart in charts {
        out.push_str(&format!(
            "\n### {}\n\n![{}]({}.png)\n\n[SVG]({}.svg)\n",
            md(&chart.title),
            md(&chart.title),
            chart.stem,
            chart.stem
        ));
    }
    out
}

/// The HTML page.
pub fn html(data: &Dataset, charts: &[ChartRef]) -> String {
    let title = format!("strata results: {}", data.run.run_ids.join(", "));
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body {{ font-family: sans-serif; margin: 2em; }}\n\
         table {{ border-collapse: collapse; margin-bottom: 1.5em; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; }}\n\
         td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}\n\
         img {{ max-width: 100%; border: 1px solid #eee; }}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n<ul>\n",
        esc(&title),
        esc(&title)
    );
    for (name, value) in provenance(data) {
        out.push_str(&format!("<li><b>{name}</b>: {}</li>\n", esc(&value)));
    }
    out.push_str(
        "</ul>\n<h2>Engines</h2>\n<table>\n<tr><th>#</th><th>label</th><th>full spec</th></tr>\n",
    );
    for engine in &data.engines {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n",
            engine.number,
            esc(&engine.short),
            esc(&engine.spec)
        ));
    }
    out.push_str("</table>\n<h2>Results (medians over repetitions)</h2>\n<table>\n<tr>");
    for header in headers() {
        out.push_str(&format!("<th>{}</th>", esc(header)));
    }
    out.push_str("</tr>\n");
    for row in table_rows(data) {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            // The first two columns are names; the rest are numbers.
            let class = if i >= 2 { " class=\"num\"" } else { "" };
            out.push_str(&format!("<td{class}>{}</td>", esc(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n<h2>Charts</h2>\n");
    for chart in charts {
        out.push_str(&format!(
            "<h3>{}</h3>\n<p><img src=\"{}.png\" alt=\"{}\"><br><a href=\"{}.svg\">SVG</a></p>\n",
            esc(&chart.title),
            esc(&chart.stem),
            esc(&chart.title),
            esc(&chart.stem)
        ));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Escapes text for HTML element content and attribute values (the one
/// escaper of every page strata writes or serves).
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes the characters Markdown (and GFM tables) would interpret.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '|' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(engine: &str, benchmark: &str, micros_per_op: f64, found: Option<u64>) -> ResultRow {
        ResultRow {
            run_id: "r<1>".to_string(),
            cpu_model: "Test CPU".to_string(),
            cpu_cores: 2,
            engine_spec: engine.to_string(),
            benchmark: benchmark.to_string(),
            ops: 1000,
            micros_per_op,
            ops_per_s: 1e6 / micros_per_op,
            found,
            ..ResultRow::default()
        }
    }

    #[test]
    fn table_has_medians_and_dashes_for_missing_cells() {
        let data = Dataset::from_rows(&[
            row("lsm", "fillseq", 2.0, None),
            row("leveldb", "readrandom", 4.0, Some(7)),
            ResultRow {
                repetition: 1,
                ..row("leveldb", "readrandom", 6.0, Some(9))
            },
        ])
        .expect("rows");
        let rows = table_rows(&data);
        assert_eq!(
            rows.len(),
            2,
            "lsm never ran readrandom, leveldb never ran fillseq"
        );
        assert_eq!(rows[0][..4], ["fillseq", "[1] lsm", "1", "2.000"]);
        assert_eq!(rows[0][6], MISSING, "no found count for fillseq");
        assert_eq!(
            rows[1][..5],
            ["readrandom", "[2] leveldb", "2", "5.000", "208333"]
        );
        assert_eq!(rows[1][6], "8");
        let compact = Dataset::from_rows(&[ResultRow {
            ops: 0,
            ..row("lsm", "compact", 600_000.0, None)
        }])
        .expect("rows");
        assert_eq!(
            table_rows(&compact)[0][3..5],
            ["600000.000", MISSING],
            "no operations counted: no rate"
        );
    }

    #[test]
    fn rates_keep_three_digits() {
        assert_eq!(three_digits(645.44), "645");
        assert_eq!(three_digits(49.23), "49.2");
        assert_eq!(three_digits(1.234), "1.23");
        assert_eq!(three_digits(0.0432), "0.043");
    }

    #[test]
    fn pages_escape_and_reference_charts() {
        let data = Dataset::from_rows(&[row("lsm:a=1|2", "fill_seq", 2.0, None)]).expect("rows");
        let charts = [ChartRef {
            title: "Throughput".to_string(),
            stem: "throughput".to_string(),
        }];
        let page = html(&data, &charts);
        assert!(page.contains("<img src=\"throughput.png\""));
        assert!(page.contains("r&lt;1&gt;"));
        assert!(page.contains("Test CPU (2 cores)"));
        let text = markdown(&data, &charts);
        assert!(text.contains("![Throughput](throughput.png)"));
        assert!(text.contains("fill\\_seq"));
        assert!(text.contains("`lsm:a=1\\|2`"));
    }
}
