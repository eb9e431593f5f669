//! The command-line interface: names and options here are a public contract (DESIGN.md).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "centinela",
    version,
    about = "Watches dark-web markets and forums for anti-drug investigators",
    long_about = None
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The main configuration file.
    #[arg(
        long,
        global = true,
        env = "CENTINELA_CONFIG",
        default_value = "config/centinela.toml"
    )]
    pub config: PathBuf,
    /// Where the store, index and evidence live (overrides storage.data_dir).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find wallets, onion names, PGP keys, contacts and Peru signals in a text or HTML file.
    Extract(ExtractArgs),
    /// Run a site's parser on a saved page and show the listings, vendors and posts found.
    Parse(ParseArgs),
    /// Tor: check that the configured transport comes up.
    #[command(subcommand)]
    Tor(TorCommand),
    /// Work with the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The file to read; `-` or nothing reads standard input.
    pub file: Option<PathBuf>,
    /// One JSON object per entity and line (the format other tools read).
    #[arg(long)]
    pub json: bool,
    /// Treat the input as HTML: only visible text is searched (default for .html/.htm files).
    #[arg(long, conflicts_with = "text")]
    pub html: bool,
    /// Treat the input as plain text even if the file name ends in .html.
    #[arg(long)]
    pub text: bool,
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// The site whose parser to use (a name from config/sites/); without it the page
    /// picks: a built-in template that recognises it, or the generic parser.
    #[arg(long)]
    pub site: Option<String>,
    /// The page's URL (links are resolved against it).
    #[arg(long)]
    pub url: Option<String>,
    /// The saved page.
    pub file: std::path::PathBuf,
    /// One JSON object for the page (the `parse --json` contract).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TorCommand {
    /// Bootstrap the configured transport, show progress and timing, optionally fetch a URL.
    Check(TorCheckArgs),
}

#[derive(Debug, Args)]
pub struct TorCheckArgs {
    /// Fetch this URL through the transport once it is up.
    #[arg(long)]
    pub url: Option<String>,
    /// Give up bootstrapping after this many seconds.
    #[arg(long, default_value_t = 180)]
    pub timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check every configuration file and report each problem as file:line:column.
    Check,
}
