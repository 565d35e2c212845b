//! Value axes: linear from zero, or logarithmic (drawn as log10 of the
//! value on a linear coordinate so that ticks land on 1-2-5 steps we pick).

use super::style::compact_number;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use std::ops::Range;

/// Above this max/min ratio a value axis switches to log scale.
pub const LOG_SCALE_SPAN: f64 = 100.0;

/// A value axis in "axis units": the value itself, or its log10.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueAxis {
    /// Logarithmic (axis units are log10 of values).
    pub log: bool,
    /// Lower end, axis units.
    pub lo: f64,
    /// Upper end, axis units.
    pub hi: f64,
    /// Tick positions, axis units.
    pub ticks: Vec<f64>,
}

impl ValueAxis {
    /// An axis covering every finite value in `values` (bars start at the
    /// lower end). Log scale when `force_log`, or when `allow_log` and the
    /// positive values span more than [`LOG_SCALE_SPAN`]. `None` when no
    /// value can be shown.
    pub fn fit(values: &[f64], allow_log: bool, force_log: bool) -> Option<ValueAxis> {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let positive: Vec<f64> = finite.iter().copied().filter(|v| *v > 0.0).collect();
        let max_positive = positive.iter().copied().fold(f64::NAN, f64::max);
        let min_positive = positive.iter().copied().fold(f64::NAN, f64::min);
        let wide = max_positive / min_positive > LOG_SCALE_SPAN;
        if force_log || (allow_log && wide) {
            if positive.is_empty() {
                return None;
            }
            return Some(Self::log_axis(min_positive, max_positive));
        }
        let max = finite.iter().copied().fold(f64::NAN, f64::max);
        if max.is_nan() {
            return None;
        }
        Some(Self::linear_axis(max))
    }

    fn linear_axis(max: f64) -> ValueAxis {
        let top = if max > 0.0 { max * 1.05 } else { 1.0 };
        let step = nice_step(top / 6.0);
        // End on a tick so the tallest bar sits under a labelled line.
        let hi = (top / step).ceil() * step;
        let ticks = (0..)
            .map(|i| f64::from(i) * step)
            .take_while(|t| *t <= hi * (1.0 + 1e-9))
            .collect();
        ValueAxis {
            log: false,
            lo: 0.0,
            hi,
            ticks,
        }
    }

    fn log_axis(min: f64, max: f64) -> ValueAxis {
        // A little room beyond the extremes so bars and points are not
        // glued to the frame.
        let lo = (min / 1.5).log10();
        let hi = (max * 1.5).log10();
        let decades = (hi.floor() - lo.floor()) as i32;
        let multiples: &[f64] = if decades <= 3 {
            &[1.0, 2.0, 5.0]
        } else {
            &[1.0]
        };
        let mut ticks = Vec::new();
        for exponent in (lo.floor() as i32)..=(hi.ceil() as i32) {
            for m in multiples {
                let t = (m * 10f64.powi(exponent)).log10();
                if t >= lo && t <= hi {
                    ticks.push(t);
                }
            }
        }
        ValueAxis {
            log: true,
            lo,
            hi,
            ticks,
        }
    }

    /// `value` in axis units; `None` when a log axis cannot show it.
    pub fn to_axis(&self, value: f64) -> Option<f64> {
        if !value.is_finite() {
            return None;
        }
        if self.log {
            (value > 0.0).then(|| value.log10())
        } else {
            Some(value)
        }
    }

    /// The tick label at `axis_value`.
    pub fn label(&self, axis_value: f64) -> String {
        if self.log {
            compact_number(10f64.powf(axis_value))
        } else {
            compact_number(axis_value)
        }
    }

    /// `", log scale"` or nothing, for axis descriptions.
    pub fn scale_note(&self) -> &'static str {
        if self.log {
            ", log scale"
        } else {
            ""
        }
    }
}

/// A linear f64 coordinate whose ticks are exactly the given points.
/// (plotters' own `WithKeyPoints` over f64 cannot take a label formatter.)
#[derive(Debug, Clone, PartialEq)]
pub struct TickedRange {
    /// Covered values.
    pub range: Range<f64>,
    /// Tick positions.
    pub ticks: Vec<f64>,
}

impl TickedRange {
    /// `range` with ticks at `ticks`.
    pub fn new(range: Range<f64>, ticks: Vec<f64>) -> TickedRange {
        TickedRange { range, ticks }
    }
}

impl Ranged for TickedRange {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span == 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let fraction = (value - self.range.start) / span;
        // Pixel coordinates: rounding to the nearest pixel is the intent.
        limit.0 + (fraction * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Bold grid lines only: light lines would add clutter between ticks.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// The 1-2-2.5-5 multiple of a power of ten at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|n| *n >= fraction)
        .unwrap_or(10.0);
    nice * magnitude
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_range_is_linear_from_zero() {
        let axis = ValueAxis::fit(&[10.0, 50.0], true, false).expect("values");
        assert!(!axis.log);
        assert_eq!(axis.lo, 0.0);
        assert!(axis.hi >= 50.0);
        assert_eq!(axis.ticks.first(), Some(&0.0));
        assert!(
            axis.ticks.len() >= 4 && axis.ticks.len() <= 8,
            "{:?}",
            axis.ticks
        );
    }

    #[test]
    fn wide_range_is_log_with_decade_ticks() {
        let axis = ValueAxis::fit(&[5.0, 2_000_000.0], true, false).expect("values");
        assert!(axis.log);
        assert!(axis.lo <= 5f64.log10() && axis.hi >= 2e6f64.log10());
        let labels: Vec<String> = axis.ticks.iter().map(|t| axis.label(*t)).collect();
        assert_eq!(labels, ["10", "100", "1k", "10k", "100k", "1M"]);
        assert_eq!(axis.to_axis(0.0), None);
        assert_eq!(axis.to_axis(100.0), Some(2.0));
    }

    #[test]
    fn wide_range_stays_linear_when_log_not_allowed() {
        let axis = ValueAxis::fit(&[0.0, 1.0, 1000.0], false, false).expect("values");
        assert!(!axis.log);
        assert_eq!(axis.to_axis(0.0), Some(0.0));
    }

    #[test]
    fn narrow_log_axis_has_1_2_5_ticks() {
        let axis = ValueAxis::fit(&[4.0, 40.0], false, true).expect("values");
        let labels: Vec<String> = axis.ticks.iter().map(|t| axis.label(*t)).collect();
        assert_eq!(labels, ["5", "10", "20", "50"]);
    }

    #[test]
    fn ticked_range_maps_linearly_and_returns_its_ticks() {
        use plotters::coord::ranged1d::BoldPoints;
        let range = TickedRange::new(0.0..10.0, vec![2.0, 5.0]);
        assert_eq!(range.map(&0.0, (100, 200)), 100);
        assert_eq!(range.map(&5.0, (100, 200)), 150);
        assert_eq!(range.map(&10.0, (700, 100)), 100, "y axes run upwards");
        assert_eq!(range.key_points(BoldPoints(10)), [2.0, 5.0]);
    }

    #[test]
    fn nothing_showable_is_none() {
        assert_eq!(ValueAxis::fit(&[], true, false), None);
        assert_eq!(ValueAxis::fit(&[f64::NAN], true, false), None);
        assert_eq!(ValueAxis::fit(&[0.0, -1.0], false, true), None);
        let zeros = ValueAxis::fit(&[0.0], true, false).expect("zero is showable on linear");
        assert!(zeros.hi > 0.0);
    }
}
