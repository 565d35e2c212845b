//! Medians, spreads and ratios of measurements, computed in one place.
//! Every report (`strata bench`'s summary, `strata compare`, `strata plot`,
//! `strata reproduce`) takes them from here, so a median means the same
//! thing in every table and chart: finite values only, the mean of the
//! middle two for an even count.
//!
//! Result rows are grouped by engine and benchmark occurrence
//! ([`groups`]), and arranged as a benchmark × engine grid ([`Grid`]) for
//! tables and charts that show every engine beside every benchmark.

use crate::csv_row::{occurrence_names, ResultRow};
use std::collections::HashMap;

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
