//! `centinela`: the command line investigators and operators use.
//!
//! Exit codes: 0 success, 1 the work failed, 2 bad usage or bad configuration, with one
//! clear line on stderr saying what and where.

mod alerting;
mod cli;
mod commands;
mod config;
mod daemon;
mod demo;
mod logging;
mod pipeline;
mod runs;
mod web;

use clap::Parser;
use std::process::ExitCode;

/// jemalloc instead of glibc's malloc: the daemon runs for months over many threads
/// (tokio workers, sled, tantivy, arti), and glibc gives each thread an arena that keeps
/// its high-water mark — the soak benchmark saw resident memory climb from 68 to 112 MiB
/// between minutes 2 and 5 with nothing live growing. jemalloc returns freed pages to
/// the system after a few seconds; it also made the crawl ~50% faster (BENCHMARKS.md).
/// (mimalloc, tried too, kept the daemon flat but ~100 MiB high and the 1,000,000-URL
/// frontier at 291 MiB.)
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Library errors (rPGP's among them) capture a backtrace whenever RUST_BACKTRACE is
    // set, and formatting one loads the binary's debug info: hundreds of MB, and
    // milliseconds per page that carries a broken PGP block. Panics keep theirs.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    let cli = cli::Cli::parse();
    if !matches!(cli.command, cli::Command::Daemon(_)) {
        logging::init_cli();
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("centinela: {e:#}");
            ExitCode::from(1)
        }
    }
}
