//! One module per `strata` command: its clap arguments and its `run`.

pub mod bench;
pub mod compare;
pub mod db;
pub mod fs;
pub mod merge;
pub mod plot;
pub mod reproduce;
pub mod serve;
pub mod sim;
pub mod stress;
