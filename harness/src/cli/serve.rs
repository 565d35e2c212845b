//! `strata serve`: the results, comparisons, live runs and a blobfs
//! store's history as web pages ([`crate::serve`]).

use crate::error::HarnessError;
use crate::serve::{full_router, parse_addr, warn_if_exposed, ServeOptions, Server};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// `strata serve`: read-only web pages over the results, reports and a
/// store.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// The results folder (`strata bench`'s `results/<run-id>.csv`).
    #[arg(long = "results", value_name = "DIR", default_value = "results")]
    pub results: PathBuf,
    /// The reports folder (`strata bench`'s charts, `reports/<run-id>/`).
    #[arg(long = "reports", value_name = "DIR", default_value = "reports")]
    pub reports: PathBuf,
    /// A blobfs store to browse at /fs/ (opened read-only).
    #[arg(long = "store", value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Address to listen on; anything but loopback prints a warning (the
    /// pages have no login).
    #[arg(long = "addr", value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// The progress port of a `strata bench --progress-port PORT` on this
    /// machine: /live shows that run.
    #[arg(long = "progress-port", value_name = "PORT")]
    pub progress_port: Option<u16>,
}

/// Runs `strata serve` until Ctrl-C: exit 0; 2 for a bad flag or an
/// address that cannot be bound.
pub fn run(args: ServeArgs) -> ExitCode {
    match serve(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report("serve"),
    }
}

fn serve(args: &ServeArgs) -> Result<(), HarnessError> {
    let addr = parse_addr("--addr", &args.addr)?;
    if let Some(store) = &args.store {
        if !store.is_dir() {
            return Err(HarnessError::flag(
                "--store",
                format!("{} is not a folder", store.display()),
            ));
        }
    }
    for (flag, dir) in [("--results", &args.results), ("--reports", &args.reports)] {
        if !dir.is_dir() {
            eprintln!(
                "strata serve: note: {flag} {} is not a folder (yet): nothing to list there",
                dir.display()
            );
        }
    }
    warn_if_exposed(addr);
    let options = ServeOptions {
        results: args.results.clone(),
        reports: args.reports.clone(),
        store: args.store.clone(),
        progress_port: args.progress_port,
    };
    let server = Server::start(full_router(&options, None)?, addr, "--addr")?;
    eprintln!("serving:    http://{}/ (Ctrl-C stops)", server.addr());
    server.until_ctrl_c();
    Ok(())
}
