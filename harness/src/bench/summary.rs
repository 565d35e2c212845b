//! The `--repeat` summary: per engine × benchmark position, the median
//! micros/op and its min–max over the repetitions.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// micros/op samples keyed by (engine index, benchmark position).
#[derive(Debug, Default)]
pub struct Summary {
    samples: BTreeMap<(usize, usize), (String, String, Vec<f64>)>,
}

impl Summary {
    /// Adds one repetition's micros/op.
    pub fn add(&mut self, engine: usize, engine_spec: &str, position: usize, name: &str, v: f64) {
        self.samples
            .entry((engine, position))
            .or_insert_with(|| (engine_spec.to_string(), name.to_string(), Vec::new()))
            .2
            .push(v);
    }

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
            let (median, min, max) = median_min_max(values);
            let _ = writeln!(
                out,
                "{spec:<24} {name:<12} : {median:>11.3} ({min:.3}-{max:.3})"
            );
        }
        out
    }
}

/// Median (mean of the middle two for an even count), min and max.
pub fn median_min_max(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return (0.0, 0.0, 0.0);
    }
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    (median, sorted[0], sorted[n - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_spread() {
        assert_eq!(median_min_max(&[3.0, 1.0, 2.0]), (2.0, 1.0, 3.0));
        assert_eq!(median_min_max(&[4.0, 1.0, 2.0, 3.0]), (2.5, 1.0, 4.0));
        let mut s = Summary::default();
        s.add(0, "lsm", 0, "fillseq", 2.0);
        s.add(0, "lsm", 0, "fillseq", 1.0);
        s.add(0, "lsm", 0, "fillseq", 3.0);
        let text = s.render(3);
        assert!(
            text.contains("fillseq      :       2.000 (1.000-3.000)"),
            "{text}"
        );
    }
}
