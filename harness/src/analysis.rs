//! Medians, spreads and ratios of measurements, computed in one place.
//! Every report (`strata bench`'s summary, `strata compare`, `strata plot`,
//! `strata reproduce`) takes them from here, so a median means the same
//! thing in every table and chart: finite values only, the mean of the
//! middle two for an even count.
//!
//! Result rows are grouped by engine and benchmark occurrence
//! ([`groups`]), and arranged as a benchmark × engine grid ([`Grid`]) for
//! tables and charts that show every engine beside every benchmark.
//!
//! Whether a difference is real ([`ratio_interval`]): a 95 % percentile
//! bootstrap of the ratio of medians over repetitions. Each side's
//! repetitions are resampled with replacement ([`BOOTSTRAP_RESAMPLES`]
//! times, from a fixed seed, so the same rows always give the same
//! interval), the ratio of the two resamples' medians is taken each time,
//! and the interval runs from the 2.5th to the 97.5th percentile of those
//! ratios. The verdict is [`Verdict::Faster`] (or `Slower`) only when the
//! whole interval is below (above) 1. Fewer than [`MIN_REPETITIONS`] on
//! either side get no interval: with 2 repetitions a resample's median can
//! only be one of 3 values and the percentiles say nothing. The bootstrap
//! needs no assumption about the shape of the noise (run times are skewed:
//! a slow repetition is much slower, a fast one only a little faster) and
//! its interval is on the ratio itself, the number the tables print;
//! with 3 repetitions per side it calls a difference only when every
//! repetition of one side is slower than every repetition of the other,
//! which two samples of one distribution do 1 time in 20 each way (the
//! interval is then nearer 90 % than 95 %; from 5 repetitions on, equal
//! distributions get a verdict in under 5 % of trials).

use crate::csv_row::{occurrence_names, ResultRow};
use std::collections::HashMap;
use std::fmt;

/// Median, minimum and maximum of the finite values of one measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Median (mean of the middle two for an even count).
    pub median: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// How many finite values there were (repetitions that had the measure).
    pub count: usize,
}

impl Spread {
    /// The spread of the finite values of `values` (NaN and infinities are
    /// skipped); `None` when there is no finite value.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut finite: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        finite.sort_by(f64::total_cmp);
        let count = finite.len();
        let (&min, &max) = (finite.first()?, finite.last()?);
        let middle = count / 2;
        let median = if count % 2 == 1 {
            finite[middle]
        } else {
            (finite[middle - 1] + finite[middle]) / 2.0
        };
        Some(Spread {
            median,
            min,
            max,
            count,
        })
    }
}

/// `value / baseline`: above 1 when `value` is larger (for micros/op:
/// slower than the baseline). `None` when `value` is not finite or
/// `baseline` is not a finite positive number (a baseline that did not run,
/// or timed nothing, gives no ratio).
pub fn ratio(value: f64, baseline: f64) -> Option<f64> {
    (value.is_finite() && baseline.is_finite() && baseline > 0.0).then(|| value / baseline)
}

/// Fewest repetitions on each side for [`ratio_interval`] to call a
/// difference.
pub const MIN_REPETITIONS: usize = 3;

/// Bootstrap resamples per interval.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;

/// Seed of every interval's resampling: fixed, so output is deterministic
/// and does not depend on which other cells a table has.
pub const BOOTSTRAP_SEED: u64 = 0x5354_5241_5441_0015;

/// Confidence of [`ratio_interval`]'s interval.
pub const CONFIDENCE: f64 = 0.95;

/// What a ratio's interval says about the difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The whole interval is below 1 (for micros/op: faster).
    Faster,
    /// The whole interval is above 1 (for micros/op: slower).
    Slower,
    /// The interval contains 1.
    NoSignificantDifference,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::NoSignificantDifference => "no significant difference",
        })
    }
}

/// A ratio of medians with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioInterval {
    /// `median(values) / median(baseline)`, as [`ratio`] of the two
    /// [`Spread`] medians.
    pub ratio: f64,
    /// Lower end of the 95 % interval.
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
    /// Below, above or across 1.
    pub verdict: Verdict,
}

impl RatioInterval {
    /// Whether the change is significantly larger than `threshold_percent`
    /// (for micros/op, NEW over OLD: a regression): the interval's lower
    /// end is above `1 + threshold_percent / 100`.
    pub fn exceeds(&self, threshold_percent: f64) -> bool {
        self.low > 1.0 + threshold_percent / 100.0
    }
}

/// Why [`ratio_interval`] gives no interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Fewer than [`MIN_REPETITIONS`] finite values on a side.
    TooFewRepetitions {
        /// Finite values on the compared side.
        values: usize,
        /// Finite values on the baseline side.
        baseline: usize,
    },
    /// A baseline value is 0 or negative: a resample's median could be 0
    /// and its ratio undefined.
    BaselineNotPositive,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Refusal::TooFewRepetitions { values, baseline } if values == baseline => {
                write!(f, "needs ≥ {MIN_REPETITIONS} repetitions (has {values})")
            }
            Refusal::TooFewRepetitions { values, baseline } => write!(
                f,
                "needs ≥ {MIN_REPETITIONS} repetitions (has {values} against {baseline})"
            ),
            Refusal::BaselineNotPositive => f.write_str("no interval (a baseline value is 0)"),
        }
    }
}

/// The ratio `median(values) / median(baseline)` with its 95 % percentile
/// bootstrap interval and verdict (see the module documentation). Values
/// that are not finite are left out, as in [`Spread::of`]. Deterministic:
/// every call resamples from [`BOOTSTRAP_SEED`].
///
/// # Errors
/// [`Refusal::TooFewRepetitions`] when a side has fewer than
/// [`MIN_REPETITIONS`] finite values; [`Refusal::BaselineNotPositive`]
/// when a baseline value is not above 0.
pub fn ratio_interval(values: &[f64], baseline: &[f64]) -> Result<RatioInterval, Refusal> {
    let sorted = |side: &[f64]| {
        let mut finite: Vec<f64> = side.iter().copied().filter(|v| v.is_finite()).collect();
        finite.sort_by(f64::total_cmp);
        finite
    };
    let (values, baseline) = (sorted(values), sorted(baseline));
    if values.len() < MIN_REPETITIONS || baseline.len() < MIN_REPETITIONS {
        return Err(Refusal::TooFewRepetitions {
            values: values.len(),
            baseline: baseline.len(),
        });
    }
    if baseline[0] <= 0.0 {
        return Err(Refusal::BaselineNotPositive);
    }
    let point = sorted_median(&values) / sorted_median(&baseline);
    let mut rng = SplitMix64(BOOTSTRAP_SEED);
    let mut counts = vec![0u32; values.len().max(baseline.len())];
    let mut ratios: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let top = resample_median(&values, &mut rng, &mut counts);
            top / resample_median(&baseline, &mut rng, &mut counts)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    // The 2.5th and 97.5th percentiles: as many resamples outside each end.
    let tail = ((1.0 - CONFIDENCE) / 2.0 * BOOTSTRAP_RESAMPLES as f64).floor() as usize;
    let (low, high) = (ratios[tail], ratios[BOOTSTRAP_RESAMPLES - 1 - tail]);
    let verdict = if high < 1.0 {
        Verdict::Faster
    } else if low > 1.0 {
        Verdict::Slower
    } else {
        Verdict::NoSignificantDifference
    };
    Ok(RatioInterval {
        ratio: point,
        low,
        high,
        verdict,
    })
}

/// Median of sorted, non-empty `sorted` (mean of the middle two for an
/// even count, as [`Spread::of`]).
fn sorted_median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    (sorted[(n - 1) / 2] + sorted[n / 2]) / 2.0
}

/// The median of one resample with replacement of sorted `sorted`: draws
/// `n` indexes, counts how often each was drawn, and walks the counts to
/// the middle ranks (no sort: `sorted` is in order already). `counts` is
/// scratch space at least `sorted.len()` long.
fn resample_median(sorted: &[f64], rng: &mut SplitMix64, counts: &mut [u32]) -> f64 {
    let n = sorted.len();
    let counts = &mut counts[..n];
    counts.fill(0);
    for _ in 0..n {
        counts[rng.below(n)] += 1;
    }
    let (low_rank, high_rank) = ((n - 1) / 2, n / 2);
    let (mut low, mut seen) = (None, 0usize);
    for (value, &count) in sorted.iter().zip(counts.iter()) {
        seen += count as usize;
        if low.is_none() && seen > low_rank {
            low = Some(*value);
        }
        if seen > high_rank {
            return (low.unwrap_or(*value) + value) / 2.0;
        }
    }
    unreachable!("the counts sum to n, past every rank")
}

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny, well-mixed generator,
/// enough to pick bootstrap indexes reproducibly.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (multiply-shift; the bias is below n / 2^64).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// The rows of one engine running one benchmark occurrence: one per
/// repetition.
#[derive(Debug, Clone, PartialEq)]
pub struct Group<'a> {
    /// The engine key the rows share (the `engine_spec` column for
    /// [`groups`]).
    pub engine: String,
    /// The benchmark occurrence: its name, `name#k` for the k-th run
    /// (k ≥ 2) of a name in one list, as [`occurrence_names`] gives it.
    pub benchmark: String,
    /// The rows, in file order.
    pub rows: Vec<&'a ResultRow>,
}

impl Group<'_> {
    /// The spread of `measure` over the group's rows; rows where it is
    /// `None` (or not finite) are left out.
    pub fn spread(&self, measure: impl Fn(&ResultRow) -> Option<f64>) -> Option<Spread> {
        Spread::of(self.rows.iter().filter_map(|row| measure(row)))
    }
}

/// `rows` grouped by (`engine_spec` as written, benchmark occurrence), in
/// order of first appearance.
pub fn groups(rows: &[ResultRow]) -> Vec<Group<'_>> {
    groups_by(rows, |row| row.engine_spec.clone())
}

/// `rows` grouped by (`engine(row)`, benchmark occurrence), in order of
/// first appearance. `engine` lets a caller merge spellings of one spec
/// (`strata compare` groups by canonical spec). Occurrences are numbered
/// per run, `engine_spec` as written and repetition, as
/// [`occurrence_names`] numbers them.
pub fn groups_by<'a>(
    rows: &'a [ResultRow],
    engine: impl Fn(&ResultRow) -> String,
) -> Vec<Group<'a>> {
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut out: Vec<Group<'a>> = Vec::new();
    for (row, benchmark) in rows.iter().zip(occurrence_names(rows)) {
        let key = (engine(row), benchmark);
        let at = *index.entry(key.clone()).or_insert_with(|| {
            out.push(Group {
                engine: key.0,
                benchmark: key.1,
                rows: Vec::new(),
            });
            out.len() - 1
        });
        out[at].rows.push(row);
    }
    out
}

/// Groups arranged as benchmark × engine cells: engines and benchmarks in
/// order of first appearance.
#[derive(Debug, Clone)]
pub struct Grid<'a> {
    /// Engine keys in order of first appearance.
    pub engines: Vec<String>,
    /// Benchmark occurrences in order of first appearance.
    pub benchmarks: Vec<String>,
    groups: Vec<Group<'a>>,
    /// `cells[benchmark][engine]`: index into `groups`, `None` when that
    /// engine did not run that benchmark.
    cells: Vec<Vec<Option<usize>>>,
}

impl<'a> Grid<'a> {
    /// Arranges `groups` (as [`groups`] or [`groups_by`] return them).
    pub fn new(groups: Vec<Group<'a>>) -> Grid<'a> {
        let mut engines: Vec<String> = Vec::new();
        let mut benchmarks: Vec<String> = Vec::new();
        let mut at: Vec<(usize, usize)> = Vec::with_capacity(groups.len());
        for group in &groups {
            at.push((
                position_or_push(&mut benchmarks, &group.benchmark),
                position_or_push(&mut engines, &group.engine),
            ));
        }
        let mut cells = vec![vec![None; engines.len()]; benchmarks.len()];
        for (g, (b, e)) in at.into_iter().enumerate() {
            cells[b][e] = Some(g);
        }
        Grid {
            engines,
            benchmarks,
            groups,
            cells,
        }
    }

    /// The group of benchmark `bench` on engine `engine` (indexes into
    /// [`Grid::benchmarks`] and [`Grid::engines`]); `None` when that engine
    /// did not run it or an index is out of range.
    pub fn cell(&self, bench: usize, engine: usize) -> Option<&Group<'a>> {
        let g = (*self.cells.get(bench)?.get(engine)?)?;
        self.groups.get(g)
    }

    /// The rows of one cell; empty when there is no such cell.
    pub fn rows(&self, bench: usize, engine: usize) -> &[&'a ResultRow] {
        self.cell(bench, engine).map_or(&[], |g| g.rows.as_slice())
    }

    /// The spread of `measure` over one cell's rows.
    pub fn spread(
        &self,
        bench: usize,
        engine: usize,
        measure: impl Fn(&ResultRow) -> Option<f64>,
    ) -> Option<Spread> {
        self.cell(bench, engine)?.spread(measure)
    }
}

/// Position of `item` in `list`, appended when new.
fn position_or_push(list: &mut Vec<String>, item: &str) -> usize {
    list.iter().position(|x| x == item).unwrap_or_else(|| {
        list.push(item.to_string());
        list.len() - 1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(engine: &str, benchmark: &str, repetition: u32, micros: f64) -> ResultRow {
        ResultRow {
            run_id: "run1".to_string(),
            engine_spec: engine.to_string(),
            benchmark: benchmark.to_string(),
            repetition,
            micros_per_op: micros,
            ..ResultRow::default()
        }
    }

    fn parts(s: Spread) -> (f64, f64, f64, usize) {
        (s.median, s.min, s.max, s.count)
    }

    /// `n` values around `center`, spread ±10 % by a fixed pattern (no
    /// randomness: the test's samples are the same on every run).
    fn noisy(center: f64, n: usize) -> Vec<f64> {
        const PATTERN: [f64; 7] = [0.0, 0.08, -0.06, 0.1, -0.1, 0.03, -0.04];
        (0..n)
            .map(|i| center * (1.0 + PATTERN[i % PATTERN.len()]))
            .collect()
    }

    #[test]
    fn identical_distributions_contain_1() {
        for n in [3, 4, 5, 10] {
            let a = noisy(10.0, n);
            let mut b = a.clone();
            b.reverse();
            let r = ratio_interval(&a, &b).expect("enough repetitions");
            assert_eq!(r.ratio, 1.0, "n = {n}");
            assert!(r.low < 1.0 && r.high > 1.0, "n = {n}: {r:?}");
            assert_eq!(r.verdict, Verdict::NoSignificantDifference, "n = {n}");
            assert!(!r.exceeds(0.0));
        }
        let flat = [5.0; 4];
        let r = ratio_interval(&flat, &flat).expect("constant samples");
        assert_eq!((r.low, r.ratio, r.high), (1.0, 1.0, 1.0));
        assert_eq!(r.verdict, Verdict::NoSignificantDifference);
    }

    #[test]
    fn a_2x_shift_with_5_repetitions_is_called_both_ways() {
        let base = noisy(10.0, 5);
        let slow = noisy(20.0, 5);
        let r = ratio_interval(&slow, &base).expect("five each");
        assert_eq!(r.verdict, Verdict::Slower, "{r:?}");
        assert!(
            r.low > 1.0 && r.low <= r.ratio && r.ratio <= r.high,
            "{r:?}"
        );
        assert!((r.ratio - 2.0).abs() < 1e-12, "{r:?}");
        // The interval's ends are ratios of sample values.
        assert!(r.low >= 18.0 / 11.0 - 1e-12 && r.high <= 22.0 / 9.0 + 1e-12);
        assert!(r.exceeds(5.0) && r.exceeds(50.0) && !r.exceeds(r.low * 100.0));
        let r = ratio_interval(&base, &slow).expect("five each");
        assert_eq!(r.verdict, Verdict::Faster, "{r:?}");
        assert!(r.high < 1.0, "{r:?}");
        assert_eq!(r.verdict.to_string(), "faster");
    }

    #[test]
    fn three_repetitions_call_only_complete_separation() {
        // With 3 a side the interval runs from min/max to max/min.
        let r = ratio_interval(&[11.0, 12.0, 13.0], &[8.0, 9.0, 10.0]).expect("three");
        assert_eq!((r.low, r.high), (11.0 / 10.0, 13.0 / 8.0));
        assert_eq!(r.verdict, Verdict::Slower);
        let r = ratio_interval(&[9.5, 12.0, 13.0], &[8.0, 9.0, 10.0]).expect("three");
        assert_eq!(r.verdict, Verdict::NoSignificantDifference, "{r:?}");
    }

    #[test]
    fn a_5_percent_shift_in_10_percent_noise_is_not_called() {
        let r = ratio_interval(&noisy(10.5, 5), &noisy(10.0, 5)).expect("five each");
        assert_eq!(r.verdict, Verdict::NoSignificantDifference, "{r:?}");
        assert!((r.ratio - 1.05).abs() < 1e-12);
    }

    #[test]
    fn fewer_than_3_repetitions_are_refused() {
        let e = ratio_interval(&[1.0, 2.0], &[1.0, 2.0]).expect_err("two each");
        assert_eq!(
            e,
            Refusal::TooFewRepetitions {
                values: 2,
                baseline: 2
            }
        );
        assert_eq!(e.to_string(), "needs ≥ 3 repetitions (has 2)");
        let e = ratio_interval(&noisy(1.0, 5), &[1.0, 2.0, f64::NAN]).expect_err("NaN");
        assert_eq!(e.to_string(), "needs ≥ 3 repetitions (has 5 against 2)");
        assert!(ratio_interval(&[], &noisy(1.0, 3)).is_err());
        let e = ratio_interval(&noisy(1.0, 3), &[0.0, 1.0, 2.0]).expect_err("zero");
        assert_eq!(e, Refusal::BaselineNotPositive);
    }

    #[test]
    fn intervals_are_deterministic_and_order_free() {
        let (a, b) = (noisy(3.0, 7), noisy(3.3, 6));
        let first = ratio_interval(&a, &b).expect("enough");
        let mut shuffled = a.clone();
        shuffled.rotate_left(3);
        assert_eq!(ratio_interval(&shuffled, &b).expect("enough"), first);
        assert_eq!(ratio_interval(&a, &b).expect("enough"), first);
    }

    #[test]
    fn resampled_medians_follow_the_order_statistics() {
        // Median of a resample of 3 from {1, 2, 3}: 1 and 3 each with
        // probability 7/27, 2 with 13/27. Even counts average the middle.
        let mut rng = SplitMix64(7);
        let mut counts = [0u32; 4];
        let draws = 27_000;
        let mut seen = [0usize; 3];
        for _ in 0..draws {
            let m = resample_median(&[1.0, 2.0, 3.0], &mut rng, &mut counts);
            seen[m as usize - 1] += 1;
        }
        for (got, want) in seen.iter().zip([7_000usize, 13_000, 7_000]) {
            assert!(got.abs_diff(want) < 600, "seed 7: {seen:?}");
        }
        for _ in 0..1000 {
            let m = resample_median(&[1.0, 2.0, 3.0, 4.0], &mut rng, &mut counts);
            assert!((2.0 * m).fract() == 0.0 && (1.0..=4.0).contains(&m), "{m}");
        }
        assert_eq!(sorted_median(&[1.0, 2.0, 3.0, 10.0]), 2.5);
    }

    #[test]
    fn spread_of_odd_even_single_and_empty() {
        let odd = Spread::of([3.0, 1.0, 2.0]).expect("three values");
        assert_eq!(parts(odd), (2.0, 1.0, 3.0, 3));
        let even = Spread::of([4.0, 1.0, 3.0, 2.0]).expect("four values");
        assert_eq!(parts(even), (2.5, 1.0, 4.0, 4));
        let one = Spread::of([7.5]).expect("one value");
        assert_eq!(parts(one), (7.5, 7.5, 7.5, 1));
        assert_eq!(Spread::of([]), None);
        assert_eq!(Spread::of(std::iter::empty()), None);
    }

    #[test]
    fn spread_skips_values_that_are_not_finite() {
        let s = Spread::of([f64::NAN, 5.0, 1.0]).expect("NaN is ignored");
        assert_eq!(parts(s), (3.0, 1.0, 5.0, 2));
        let s = Spread::of([f64::INFINITY, 5.0, f64::NEG_INFINITY]).expect("one finite");
        assert_eq!(parts(s), (5.0, 5.0, 5.0, 1));
        assert_eq!(Spread::of([f64::NAN, f64::INFINITY]), None);
    }

    #[test]
    fn ratios_need_a_positive_finite_baseline() {
        assert_eq!(ratio(3.0, 4.0), Some(0.75));
        assert_eq!(ratio(0.0, 4.0), Some(0.0));
        assert_eq!(ratio(3.0, 0.0), None);
        assert_eq!(ratio(3.0, -1.0), None);
        assert_eq!(ratio(3.0, f64::NAN), None);
        assert_eq!(ratio(3.0, f64::INFINITY), None);
        assert_eq!(ratio(f64::NAN, 1.0), None);
    }

    #[test]
    fn groups_key_engine_and_occurrence_in_first_appearance_order() {
        let rows = vec![
            row("lsm:x=1", "fillseq", 0, 100.0),
            row("lsm:x=1", "readrandom", 0, 10.0),
            row("lsm:x=1", "readrandom", 0, 20.0),
            row("leveldb", "fillseq", 0, 50.0),
            row("leveldb", "readrandom", 0, 5.0),
            row("lsm:x=1", "fillseq", 1, 300.0),
            row("lsm:x=1", "readrandom", 1, 30.0),
            row("lsm:x=1", "readrandom", 1, 40.0),
        ];
        let grouped = groups(&rows);
        let found: Vec<(&str, &str, usize)> = grouped
            .iter()
            .map(|g| (g.engine.as_str(), g.benchmark.as_str(), g.rows.len()))
            .collect();
        assert_eq!(
            found,
            [
                ("lsm:x=1", "fillseq", 2),
                ("lsm:x=1", "readrandom", 2),
                ("lsm:x=1", "readrandom#2", 2),
                ("leveldb", "fillseq", 1),
                ("leveldb", "readrandom", 1),
            ]
        );
        let second_read = &grouped[2];
        let s = second_read
            .spread(|r| Some(r.micros_per_op))
            .expect("two reps");
        assert_eq!(parts(s), (30.0, 20.0, 40.0, 2));
    }

    #[test]
    fn groups_by_merges_engine_keys_but_numbers_occurrences_per_spelling() {
        let rows = vec![
            row("lsm:a=1,b=2", "fillseq", 0, 1.0),
            row("lsm:b=2,a=1", "fillseq", 0, 3.0),
        ];
        let merged = groups_by(&rows, |r| {
            let mut keys: Vec<&str> = r.engine_spec.split([':', ',']).collect();
            keys.sort_unstable();
            keys.join(",")
        });
        assert_eq!(merged.len(), 1);
        let s = merged[0].spread(|r| Some(r.micros_per_op)).expect("rows");
        assert_eq!(parts(s), (2.0, 1.0, 3.0, 2));
        assert_eq!(groups(&rows).len(), 2);
    }

    #[test]
    fn grid_cells_are_benchmark_by_engine() {
        let rows = vec![
            row("a", "fillseq", 0, 100.0),
            row("a", "readrandom", 0, 10.0),
            row("b", "readseq", 0, 7.0),
            row("a", "readrandom", 0, 20.0),
            row("b", "fillseq", 0, 50.0),
            row("a", "fillseq", 1, 300.0),
        ];
        let grid = Grid::new(groups(&rows));
        assert_eq!(grid.engines, ["a", "b"]);
        assert_eq!(
            grid.benchmarks,
            ["fillseq", "readrandom", "readseq", "readrandom#2"]
        );
        assert_eq!(grid.rows(0, 0).len(), 2);
        assert_eq!(grid.rows(0, 1).len(), 1);
        assert_eq!(grid.rows(2, 0).len(), 0, "a ran no readseq");
        assert!(grid.cell(2, 0).is_none());
        assert!(grid.cell(9, 9).is_none());
        let fill = grid
            .spread(0, 0, |r| Some(r.micros_per_op))
            .expect("two reps");
        assert_eq!(parts(fill), (200.0, 100.0, 300.0, 2));
        assert_eq!(
            grid.spread(3, 0, |r| Some(r.micros_per_op))
                .map(|s| s.median),
            Some(20.0)
        );
        assert_eq!(grid.spread(3, 1, |r| Some(r.micros_per_op)), None);
    }
}
