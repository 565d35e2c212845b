//! `strata merge`'s checks and concatenation, pure over the rows of each
//! input file: the files must be shards of one plan (one plan hash, one
//! cell count, one shard count), every row's cell must belong to its
//! shard, no shard or cell may come from two files, and every cell of the
//! plan must be present. The merged rows are ordered by cell; within a
//! cell they keep their file's order.

use crate::csv_row::ResultRow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// How many missing cells an error lists before "… and K more".
const LISTED_CELLS_MAX: usize = 20;

/// One input file's rows, in file order.
#[derive(Debug, Clone)]
pub struct Input {
    /// The file, as given on the command line.
    pub path: PathBuf,
    /// Its rows, in file order.
    pub rows: Vec<ResultRow>,
}

/// The rows of a complete plan, ordered by cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// Every row of every input, ordered by cell (stable within a cell).
    pub rows: Vec<ResultRow>,
    /// Number of cells of the plan (every one of them is in `rows`).
    pub cells: u64,
    /// The plan hash every row carries.
    pub plan_hash: String,
    /// Inputs that held no rows (a shard with no cells writes none); they
    /// add nothing and could not be checked.
    pub empty_files: Vec<PathBuf>,
}

/// A shard `I/N`: it runs the cells with `cell % N == I`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shard {
    /// Index of the shard, `0 <= index < count`.
    pub index: u64,
    /// Number of shards of the plan.
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` with `N >= 1` and `I < N`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Shard> {
        let (index, count) = text.split_once('/')?;
        let index: u64 = index.trim().parse().ok()?;
        let count: u64 = count.trim().parse().ok()?;
        (count >= 1 && index < count).then_some(Shard { index, count })
    }

    /// Whether `cell` belongs to this shard.
    pub fn holds(self, cell: u64) -> bool {
        cell % self.count == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Why files are not the shards of one complete plan. Rows are numbered
/// from 1 (the first row after the header).
#[derive(Debug, Clone, PartialEq)]
pub enum MergeError {
    /// A row has no plan hash: the file was written before plans were
    /// hashed (or not by `strata bench`).
    NoPlanHash {
        /// The file.
        path: PathBuf,
        /// The row, from 1.
        row: usize,
    },
    /// A row's shard column is not `I/N` with `I < N`.
    BadShard {
        /// The file.
        path: PathBuf,
        /// The row, from 1.
        row: usize,
        /// The shard column as written.
        shard: String,
    },
    /// Two files carry different plan hashes.
    OtherPlan {
        /// The file the first hash was seen in.
        first_path: PathBuf,
        /// The first hash.
        first_hash: String,
        /// The file with another hash.
        path: PathBuf,
        /// That hash.
        hash: String,
    },
    /// Two rows disagree on the plan's number of cells.
    OtherCells {
        /// The file the first count was seen in.
        first_path: PathBuf,
        /// The first count.
        first_cells: u64,
        /// The file with another count.
        path: PathBuf,
        /// That count.
        cells: u64,
    },
    /// Two rows disagree on the number of shards.
    OtherShardCount {
        /// The file the first shard was seen in.
        first_path: PathBuf,
        /// The first shard.
        first_shard: Shard,
        /// The file with another shard count.
        path: PathBuf,
        /// That shard.
        shard: Shard,
    },
    /// A row's cell is not below the plan's number of cells.
    CellOutOfRange {
        /// The file.
        path: PathBuf,
        /// The row, from 1.
        row: usize,
        /// The row's cell.
        cell: u64,
        /// The plan's number of cells.
        cells: u64,
    },
    /// A row's cell is not one its shard runs.
    WrongShard {
        /// The file.
        path: PathBuf,
        /// The row, from 1.
        row: usize,
        /// The row's cell.
        cell: u64,
        /// The row's shard.
        shard: Shard,
    },
    /// The same shard comes from two files (the same file given twice, or
    /// a shard run twice).
    ShardTwice {
        /// The shard.
        shard: Shard,
        /// The first file holding it.
        first_path: PathBuf,
        /// The second.
        path: PathBuf,
        /// The cells both files hold (doubled), ascending; empty when the
        /// two files hold different cells of the shard.
        cells_in_both: Vec<u64>,
    },
    /// Cells of the plan are in no file.
    MissingCells {
        /// The missing cells, ascending.
        cells: Vec<u64>,
        /// Shards no file holds (each of their cells is missing).
        shards_not_given: Vec<Shard>,
        /// Shards a file holds but not all of whose cells are present,
        /// with that file.
        shards_incomplete: Vec<(Shard, PathBuf)>,
    },
    /// No input holds a row.
    NoRows,
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::NoPlanHash { path, row } => write!(
                f,
                "{}: row {row} has no plan_hash (written before plans were hashed, \
                 or not by strata bench --shard)",
                path.display()
            ),
            MergeError::BadShard { path, row, shard } => write!(
                f,
                "{}: row {row}: shard {shard:?} is not I/N with I < N",
                path.display()
            ),
            MergeError::OtherPlan {
                first_path,
                first_hash,
                path,
                hash,
            } => write!(
                f,
                "not one plan: {} has plan_hash {first_hash}, {} has {hash}",
                first_path.display(),
                path.display()
            ),
            MergeError::OtherCells {
                first_path,
                first_cells,
                path,
                cells,
            } => write!(
                f,
                "not one plan: {} has {first_cells} cells, {} has {cells}",
                first_path.display(),
                path.display()
            ),
            MergeError::OtherShardCount {
                first_path,
                first_shard,
                path,
                shard,
            } => write!(
                f,
                "not one sharding: {} has shard {first_shard}, {} has shard {shard}",
                first_path.display(),
                path.display()
            ),
            MergeError::CellOutOfRange {
                path,
                row,
                cell,
                cells,
            } => write!(
                f,
                "{}: row {row}: cell {cell} is not below the plan's {cells} cells",
                path.display()
            ),
            MergeError::WrongShard {
                path,
                row,
                cell,
                shard,
            } => write!(
                f,
                "{}: row {row}: cell {cell} is not in shard {shard} (it runs cells with cell % {} == {})",
                path.display(),
                shard.count,
                shard.index
            ),
            MergeError::ShardTwice {
                shard,
                first_path,
                path,
                cells_in_both,
            } => {
                write!(
                    f,
                    "shard {shard} is in both {} and {}",
                    first_path.display(),
                    path.display()
                )?;
                if !cells_in_both.is_empty() {
                    write!(f, " (cells {} doubled)", list_cells(cells_in_both))?;
                }
                Ok(())
            }
            MergeError::MissingCells {
                cells,
                shards_not_given,
                shards_incomplete,
            } => {
                write!(f, "missing cells {}", list_cells(cells))?;
                let mut why = Vec::new();
                if !shards_not_given.is_empty() {
                    let names: Vec<String> =
                        shards_not_given.iter().map(Shard::to_string).collect();
                    let noun = if names.len() == 1 { "shard" } else { "shards" };
                    why.push(format!("{noun} {} not given", names.join(", ")));
                }
                for (shard, path) in shards_incomplete {
                    why.push(format!("shard {shard} in {} is incomplete", path.display()));
                }
                if !why.is_empty() {
                    write!(f, " ({})", why.join("; "))?;
                }
                Ok(())
            }
            MergeError::NoRows => write!(f, "no input holds a row"),
        }
    }
}

impl std::error::Error for MergeError {}

/// `2, 5, 8`, or the first [`LISTED_CELLS_MAX`] then `… and K more`.
fn list_cells(cells: &[u64]) -> String {
    let shown: Vec<String> = cells
        .iter()
        .take(LISTED_CELLS_MAX)
        .map(u64::to_string)
        .collect();
    let mut text = shown.join(", ");
    if cells.len() > LISTED_CELLS_MAX {
        text.push_str(&format!(" … and {} more", cells.len() - LISTED_CELLS_MAX));
    }
    text
}

/// What every row agreed on so far, with the file it was first seen in.
struct Plan<'a> {
    hash: (&'a str, &'a Path),
    cells: (u64, &'a Path),
    shard: (Shard, &'a Path),
}

/// Checks that `inputs` are shards of one complete plan and returns their
/// rows ordered by cell (stable: within a cell, the file's row order).
///
/// # Errors
/// The first check that fails, in this order: a row without plan hash or
/// with a malformed shard; two plan hashes, cell counts or shard counts;
/// a cell beyond the plan or outside its row's shard; a shard in two
/// files (naming the cells both hold); missing cells (naming them and the shards not given);
/// [`MergeError::NoRows`] when no input holds a row.
pub fn merge(inputs: Vec<Input>) -> Result<Merged, MergeError> {
    let plan = check_rows(&inputs)?;
    let Some(plan) = plan else {
        return Err(MergeError::NoRows);
    };
    let (cells, plan_hash) = (plan.cells.0, plan.hash.0.to_string());
    let shard_count = plan.shard.0.count;
    check_coverage(&inputs, cells, shard_count)?;
    let empty_files = inputs
        .iter()
        .filter(|input| input.rows.is_empty())
        .map(|input| input.path.clone())
        .collect();
    let mut rows: Vec<ResultRow> = inputs.into_iter().flat_map(|input| input.rows).collect();
    rows.sort_by_key(|row| row.cell);
    Ok(Merged {
        rows,
        cells,
        plan_hash,
        empty_files,
    })
}

/// Checks each row alone and against the first row seen: plan hash
/// present and equal, shard well-formed with one count, one cell count,
/// cell in range and in its shard. `None` when there are no rows.
fn check_rows(inputs: &[Input]) -> Result<Option<Plan<'_>>, MergeError> {
    let mut plan: Option<Plan<'_>> = None;
    for input in inputs {
        let path = input.path.as_path();
        for (i, row) in input.rows.iter().enumerate() {
            let row_number = i + 1;
            if row.plan_hash.is_empty() {
                return Err(MergeError::NoPlanHash {
                    path: path.to_path_buf(),
                    row: row_number,
                });
            }
            let shard = Shard::parse(&row.shard).ok_or_else(|| MergeError::BadShard {
                path: path.to_path_buf(),
                row: row_number,
                shard: row.shard.clone(),
            })?;
            let plan = plan.get_or_insert(Plan {
                hash: (&row.plan_hash, path),
                cells: (row.cells, path),
                shard: (shard, path),
            });
            agree(plan, row, shard, path)?;
            if row.cell >= row.cells {
                return Err(MergeError::CellOutOfRange {
                    path: path.to_path_buf(),
                    row: row_number,
                    cell: row.cell,
                    cells: row.cells,
                });
            }
            if !shard.holds(row.cell) {
                return Err(MergeError::WrongShard {
                    path: path.to_path_buf(),
                    row: row_number,
                    cell: row.cell,
                    shard,
                });
            }
        }
    }
    Ok(plan)
}

/// Whether `row` (of `path`) is of the same plan and sharding as the
/// first row seen.
fn agree(plan: &Plan<'_>, row: &ResultRow, shard: Shard, path: &Path) -> Result<(), MergeError> {
    if row.plan_hash != plan.hash.0 {
        return Err(MergeError::OtherPlan {
            first_path: plan.hash.1.to_path_buf(),
            first_hash: plan.hash.0.to_string(),
            path: path.to_path_buf(),
            hash: row.plan_hash.clone(),
        });
    }
    if row.cells != plan.cells.0 {
        return Err(MergeError::OtherCells {
            first_path: plan.cells.1.to_path_buf(),
            first_cells: plan.cells.0,
            path: path.to_path_buf(),
            cells: row.cells,
        });
    }
    if shard.count != plan.shard.0.count {
        return Err(MergeError::OtherShardCount {
            first_path: plan.shard.1.to_path_buf(),
            first_shard: plan.shard.0,
            path: path.to_path_buf(),
            shard,
        });
    }
    Ok(())
}

/// With every row checked: no shard from two files, and every cell
/// `0..cells` present.
fn check_coverage(inputs: &[Input], cells: u64, shard_count: u64) -> Result<(), MergeError> {
    let file_cells: Vec<BTreeSet<u64>> = inputs
        .iter()
        .map(|input| input.rows.iter().map(|row| row.cell).collect())
        .collect();
    // Shard index -> the input that holds it.
    let mut shard_file: BTreeMap<u64, usize> = BTreeMap::new();
    for (file, here) in file_cells.iter().enumerate() {
        let shards_here: BTreeSet<u64> = here.iter().map(|c| c % shard_count).collect();
        for index in shards_here {
            if let Some(first) = shard_file.insert(index, file) {
                let shard = Shard {
                    index,
                    count: shard_count,
                };
                return Err(MergeError::ShardTwice {
                    shard,
                    first_path: inputs[first].path.clone(),
                    path: inputs[file].path.clone(),
                    cells_in_both: file_cells[first].intersection(here).copied().collect(),
                });
            }
        }
    }
    let present: BTreeSet<u64> = file_cells.into_iter().flatten().collect();
    let missing: Vec<u64> = (0..cells).filter(|c| !present.contains(c)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let missing_shards: BTreeSet<u64> = missing.iter().map(|c| c % shard_count).collect();
    let mut shards_not_given = Vec::new();
    let mut shards_incomplete = Vec::new();
    for index in missing_shards {
        let shard = Shard {
            index,
            count: shard_count,
        };
        match shard_file.get(&index) {
            Some(&file) => shards_incomplete.push((shard, inputs[file].path.clone())),
            None => shards_not_given.push(shard),
        }
    }
    Err(MergeError::MissingCells {
        cells: missing,
        shards_not_given,
        shards_incomplete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "0123456789abcdef";

    /// A row of cell `cell` of a `cells`-cell plan, run by `shard`;
    /// `benchmark` tells rows of one cell apart.
    fn row(cell: u64, cells: u64, shard: &str, benchmark: &str) -> ResultRow {
        ResultRow {
            engine_spec: format!("lsm:memtable=m{}", cell % 2),
            benchmark: benchmark.to_string(),
            repetition: u32::try_from(cell / 2).expect("small cell"),
            plan_hash: HASH.to_string(),
            cell,
            cells,
            shard: shard.to_string(),
            ..ResultRow::default()
        }
    }

    /// Shard `index` of 3 of a 7-cell plan: each of its cells with two
    /// benchmarks, in the order a run writes them.
    fn shard_of_three(index: u64) -> Input {
        let shard = format!("{index}/3");
        let rows = (0..7)
            .filter(|cell| cell % 3 == index)
            .flat_map(|cell| {
                [
                    row(cell, 7, &shard, "fillseq"),
                    row(cell, 7, &shard, "readrandom"),
                ]
            })
            .collect();
        Input {
            path: PathBuf::from(format!("shard-{index}.csv")),
            rows,
        }
    }

    fn err(inputs: Vec<Input>) -> MergeError {
        merge(inputs).expect_err("merge must fail")
    }

    #[test]
    fn three_shards_merge_into_every_cell_in_order() {
        // Given out of order: the result is ordered by cell anyway.
        let merged = merge(vec![
            shard_of_three(2),
            shard_of_three(0),
            shard_of_three(1),
        ])
        .expect("one plan's shards");
        assert_eq!(merged.cells, 7);
        assert_eq!(merged.plan_hash, HASH);
        assert!(merged.empty_files.is_empty());
        let got: Vec<(u64, &str)> = merged
            .rows
            .iter()
            .map(|r| (r.cell, r.benchmark.as_str()))
            .collect();
        let want: Vec<(u64, &str)> = (0..7)
            .flat_map(|cell| [(cell, "fillseq"), (cell, "readrandom")])
            .collect();
        assert_eq!(got, want, "ordered by cell, file order within a cell");
    }

    #[test]
    fn an_unsharded_file_merges_alone_and_an_empty_shard_adds_nothing() {
        let rows: Vec<ResultRow> = (0..3).map(|c| row(c, 3, "0/1", "fillseq")).collect();
        let whole = Input {
            path: PathBuf::from("all.csv"),
            rows: rows.clone(),
        };
        let empty = Input {
            path: PathBuf::from("empty.csv"),
            rows: Vec::new(),
        };
        let merged = merge(vec![whole, empty]).expect("complete");
        assert_eq!(merged.rows, rows);
        assert_eq!(merged.empty_files, vec![PathBuf::from("empty.csv")]);
        assert_eq!(err(Vec::new()), MergeError::NoRows);
    }

    #[test]
    fn a_missing_shard_names_its_cells_and_itself() {
        let e = err(vec![shard_of_three(0), shard_of_three(1)]);
        assert_eq!(e.to_string(), "missing cells 2, 5 (shard 2/3 not given)");
        let e = err(vec![shard_of_three(1)]);
        assert_eq!(
            e.to_string(),
            "missing cells 0, 2, 3, 5, 6 (shards 0/3, 2/3 not given)"
        );
    }

    #[test]
    fn a_shard_missing_a_cell_is_incomplete() {
        let mut partial = shard_of_three(1);
        partial.rows.retain(|r| r.cell != 4);
        let e = err(vec![shard_of_three(0), partial, shard_of_three(2)]);
        assert_eq!(
            e.to_string(),
            "missing cells 4 (shard 1/3 in shard-1.csv is incomplete)"
        );
    }

    #[test]
    fn long_lists_of_missing_cells_are_cut_after_twenty() {
        let rows = vec![row(0, 100, "0/1", "fillseq")];
        let e = err(vec![Input {
            path: PathBuf::from("a.csv"),
            rows,
        }]);
        let cut: Vec<String> = (1..=20).map(|c| c.to_string()).collect();
        assert_eq!(
            e.to_string(),
            format!(
                "missing cells {} … and 79 more (shard 0/1 in a.csv is incomplete)",
                cut.join(", ")
            )
        );
    }

    #[test]
    fn a_shard_from_two_files_is_doubled() {
        // The same file given twice: every cell is doubled.
        let mut copy = shard_of_three(1);
        copy.path = PathBuf::from("copy.csv");
        let e = err(vec![shard_of_three(0), shard_of_three(1), copy]);
        assert_eq!(
            e.to_string(),
            "shard 1/3 is in both shard-1.csv and copy.csv (cells 1, 4 doubled)"
        );
        // One shard's cells split over two files: no cell doubled, still
        // one shard from two files.
        let (mut first, mut second) = (shard_of_three(1), shard_of_three(1));
        first.rows.retain(|r| r.cell == 1);
        second.rows.retain(|r| r.cell == 4);
        second.path = PathBuf::from("other.csv");
        let e = err(vec![shard_of_three(0), first, second, shard_of_three(2)]);
        assert_eq!(
            e.to_string(),
            "shard 1/3 is in both shard-1.csv and other.csv"
        );
    }

    #[test]
    fn a_cell_doubled_between_shards_is_caught_by_its_shard() {
        // A row of cell 4 (shard 1) claiming to come from shard 0: the
        // row is in the wrong shard, so the double never goes unseen.
        let mut zero = shard_of_three(0);
        zero.rows.push(row(4, 7, "0/3", "fillseq"));
        let e = err(vec![zero, shard_of_three(1), shard_of_three(2)]);
        assert_eq!(
            e.to_string(),
            "shard-0.csv: row 7: cell 4 is not in shard 0/3 (it runs cells with cell % 3 == 0)"
        );
    }

    #[test]
    fn another_plan_hash_names_both_files_and_hashes() {
        let mut other = shard_of_three(1);
        for r in &mut other.rows {
            r.plan_hash = "fedcba9876543210".to_string();
        }
        let e = err(vec![shard_of_three(0), other, shard_of_three(2)]);
        assert_eq!(
            e.to_string(),
            "not one plan: shard-0.csv has plan_hash 0123456789abcdef, \
             shard-1.csv has fedcba9876543210"
        );
    }

    #[test]
    fn another_cell_or_shard_count_is_not_one_plan() {
        let mut other = shard_of_three(1);
        other.rows[0].cells = 8;
        let e = err(vec![shard_of_three(0), other]);
        assert_eq!(
            e.to_string(),
            "not one plan: shard-0.csv has 7 cells, shard-1.csv has 8"
        );
        let mut halves = shard_of_three(1);
        for r in &mut halves.rows {
            r.shard = "1/2".to_string();
        }
        halves.rows.retain(|r| r.cell % 2 == 1);
        let e = err(vec![shard_of_three(0), halves]);
        assert_eq!(
            e.to_string(),
            "not one sharding: shard-0.csv has shard 0/3, shard-1.csv has shard 1/2"
        );
    }

    #[test]
    fn a_file_from_before_plan_hashes_is_named() {
        let mut old = shard_of_three(2);
        for r in &mut old.rows {
            r.plan_hash.clear();
            r.shard.clear();
            r.cells = 0;
        }
        old.path = PathBuf::from("old.csv");
        let e = err(vec![shard_of_three(0), shard_of_three(1), old]);
        assert!(
            matches!(&e, MergeError::NoPlanHash { path, row: 1 } if path == Path::new("old.csv")),
            "{e:?}"
        );
        assert!(
            e.to_string().starts_with("old.csv: row 1 has no plan_hash"),
            "{e}"
        );
    }

    #[test]
    fn a_cell_in_the_wrong_shard_or_beyond_the_plan_is_named() {
        let mut wrong = shard_of_three(2);
        wrong.rows[2].cell = 6; // shard 0's cell, in shard 2's file
        let e = err(vec![shard_of_three(0), shard_of_three(1), wrong]);
        assert_eq!(
            e,
            MergeError::WrongShard {
                path: PathBuf::from("shard-2.csv"),
                row: 3,
                cell: 6,
                shard: Shard { index: 2, count: 3 },
            }
        );
        let mut beyond = shard_of_three(1);
        beyond.rows[0].cell = 7;
        let e = err(vec![beyond]);
        assert_eq!(
            e.to_string(),
            "shard-1.csv: row 1: cell 7 is not below the plan's 7 cells"
        );
    }

    #[test]
    fn shards_parse_only_as_index_below_count() {
        assert_eq!(Shard::parse("2/3"), Some(Shard { index: 2, count: 3 }));
        assert_eq!(Shard::parse("0/1"), Some(Shard { index: 0, count: 1 }));
        for bad in ["", "3/3", "0/0", "1", "a/3", "-1/3", "1/3/4"] {
            assert_eq!(Shard::parse(bad), None, "{bad:?}");
        }
        let mut bad = shard_of_three(0);
        bad.rows[1].shard = "3/3".to_string();
        assert_eq!(
            err(vec![bad]).to_string(),
            "shard-0.csv: row 2: shard \"3/3\" is not I/N with I < N"
        );
    }
}
