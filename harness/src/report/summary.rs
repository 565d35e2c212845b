//! The `--repeat` summary: per engine × benchmark, the median micros/op
//! and its min–max over the repetitions (computed by [`crate::analysis`]).

use super::Reporter;
use crate::analysis::Spread;
use crate::error::HarnessError;
use crate::record::Record;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One engine × benchmark line's samples: engine spec, benchmark name,
/// micros/op of each repetition.
type Line = (String, String, Vec<f64>);

/// micros/op samples keyed by (engine index, list position, line).
#[derive(Debug, Default)]
pub struct Summary {
    samples: BTreeMap<(usize, usize, usize), Line>,
}

impl Summary {
    /// The summary table (empty when there are no samples).
    pub fn render(&self, repetitions: u32) -> String {
        let mut out = String::new();
        if self.samples.is_empty() {
            return out;
        }
        let _ = writeln!(
            out,
            "Summary over {repetitions} repetitions (micros/op: median (min-max)):"
        );
        for (spec, name, values) in self.samples.values() {
            let Some(s) = Spread::of(values.iter().copied()) else {
                continue;
            };
            let _ = writeln!(
                out,
                "{spec:<24} {name:<12} : {:>11.3} ({:.3}-{:.3})",
                s.median, s.min, s.max
            );
        }
        out
    }
}

impl Reporter for Summary {
    fn record(&mut self, record: &Record) -> Result<(), HarnessError> {
        if record.timed {
            self.samples
                .entry((record.engine, record.position, record.line))
                .or_insert_with(|| {
                    (
                        record.row.engine_spec.clone(),
                        record.row.benchmark.clone(),
                        Vec::new(),
                    )
                })
                .2
                .push(record.row.micros_per_op);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_row::ResultRow;

    fn record(engine: usize, position: usize, micros: f64, timed: bool) -> Record {
        Record {
            row: ResultRow {
                engine_spec: "lsm".to_string(),
                benchmark: "fillseq".to_string(),
                micros_per_op: micros,
                ..ResultRow::default()
            },
            engine,
            position,
            line: 0,
            timed,
            intervals: Vec::new(),
        }
    }

    #[test]
    fn median_and_spread_per_engine_and_position() {
        let mut s = Summary::default();
        for micros in [2.0, 1.0, 3.0] {
            s.record(&record(0, 0, micros, true)).expect("record");
        }
        s.record(&record(0, 0, 99.0, false)).expect("untimed");
        s.record(&record(0, 1, 7.0, true)).expect("record");
        let text = s.render(3);
        assert!(
            text.contains("fillseq      :       2.000 (1.000-3.000)"),
            "{text}"
        );
        assert!(text.contains("7.000 (7.000-7.000)"), "{text}");
        assert!(!text.contains("99"), "untimed rows stay out: {text}");
    }
}
