//! Median, min and max of repeated measurements, keyed by the position of
//! a benchmark in the list (names repeat: `readrandom` runs three times).

/// The spread of one benchmark occurrence over the repetitions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Median (mean of the middle two for an even count).
    pub median: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// The spread of `values`; `None` when there is no finite value.
pub fn spread(values: &[f64]) -> Option<Spread> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let (&min, &max) = (sorted.first()?, sorted.last()?);
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Some(Spread { median, min, max })
}

/// micros/op samples of one engine, one list per benchmark position.
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
        self.by_position.get(position).and_then(|v| spread(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_even_and_single_counts() {
        let s = spread(&[3.0, 1.0, 2.0]).expect("three values");
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        let s = spread(&[4.0, 1.0, 2.0, 3.0]).expect("four values");
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 4.0));
        let s = spread(&[7.5]).expect("one value");
        assert_eq!((s.median, s.min, s.max), (7.5, 7.5, 7.5));
        assert_eq!(spread(&[]), None);
        let s = spread(&[f64::NAN, 5.0, 1.0]).expect("NaN is ignored");
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 5.0));
    }

    #[test]
    fn samples_are_kept_apart_by_position() {
        let mut samples = Samples::default();
        samples.add(4, 3.0);
        samples.add(5, 100.0);
        samples.add(4, 1.0);
        samples.add(4, 2.0);
        let s = samples.spread_at(4).expect("position 4");
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(samples.spread_at(5).map(|s| s.median), Some(100.0));
        assert_eq!(samples.spread_at(0), None);
        assert_eq!(samples.spread_at(9), None);
    }
}
