//! `centinela`: the command line investigators and operators use.
//!
//! Exit codes: 0 success, 1 the work failed, 2 bad usage or bad configuration, with one
//! clear line on stderr saying what and where.

mod cli;
mod commands;
mod config;
mod demo;
mod pipeline;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("centinela: {e:#}");
            ExitCode::from(1)
        }
    }
}
