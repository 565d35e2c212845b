//! One module per `strata` command: its clap arguments and its `run`.

pub mod compare;
pub mod bench;
pub mod db;
pub mod fs;
pub mod merge;
pub mod reproduce;
pub mod plot;
pub mod sim;
pub mod stress;
