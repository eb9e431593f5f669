//! One module per command; each returns the process exit code.

mod alerts;
mod config_check;
pub mod crawl;
mod demo;
mod evidence;
mod extract;
mod index;
mod parse;
pub mod search;
mod serve;
mod sites;
pub mod status;
mod text;
mod tor_check;
mod user;
mod vendor;
pub mod watch;

use crate::cli::{Cli, Command, ConfigCommand, IndexCommand, TorCommand};
use std::process::ExitCode;

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Extract(args) => extract::run(&cli.global, &args),
        Command::Parse(args) => parse::run(&cli.global, &args),
        Command::Demo(args) => demo::run(&args),
        Command::Crawl(args) => crawl::run(&cli.global, &args),
        Command::Daemon(args) => crate::daemon::run(&cli.global, &args),
        Command::Status(args) => status::run(&cli.global, &args),
        Command::Sites(args) => sites::run(&cli.global, &args),
        Command::Search(args) => search::run(&cli.global, &args),
        Command::Vendor(args) => vendor::run(&cli.global, &args),
        Command::Index(IndexCommand::Rebuild) => index::rebuild(&cli.global),
        Command::Watch(cmd) => watch::run(&cli.global, &cmd),
        Command::Alerts(cmd) => alerts::run(&cli.global, &cmd),
        Command::Evidence(cmd) => evidence::run(&cli.global, &cmd),
        Command::Serve(args) => serve::run(&cli.global, &args),
        Command::User(cmd) => user::run(&cli.global, &cmd),
        Command::Tor(TorCommand::Check(args)) => tor_check::run(&cli.global, &args),
        Command::Config(ConfigCommand::Check) => config_check::run(&cli.global),
    }
}
