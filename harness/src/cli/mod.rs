//! One module per `strata` command: its clap arguments and its `run`.

pub mod compare;
pub mod plot;
pub mod sim;
