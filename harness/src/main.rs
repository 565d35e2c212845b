//! The strata command.

mod csv_row;

fn main() {}
