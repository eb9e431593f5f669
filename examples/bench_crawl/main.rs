//! `bench_crawl`: Centinela against the Scrapy baseline on a synthetic onion market.
//!
//! ```sh
//! # the example does not build the crawler binary itself: build both, then run
//! cargo build --release --bin centinela --example bench_crawl
//! target/release/examples/bench_crawl [--listings 20000] [--concurrency 16] [--skip-scrapy]
//! ```
//!
//! A thin entry point so that the logic stays testable in `driver`; it only maps the
//! outcome to Centinela's exit codes (0 success, 1 the work failed, 2 bad usage).
#![forbid(unsafe_code)]

mod alerts;
mod driver;
mod server;
mod site;

use std::process::ExitCode;

use driver::Parsed;

fn main() -> ExitCode {
    let parsed = driver::utf8_args(std::env::args_os().skip(1)).and_then(driver::parse_args);
    match parsed {
        Ok(Parsed::Help) => {
            print!("{}", driver::USAGE);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_crawl: {e:#}\n\n{}", driver::USAGE);
            ExitCode::from(2)
        }
        Ok(Parsed::Run(options)) => match driver::run(&options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench_crawl: {e:#}");
                ExitCode::from(1)
            }
        },
    }
}
