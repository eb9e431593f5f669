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
    /// Serve the sample sites on this machine, crawl them, and show what Centinela finds.
    Demo(DemoArgs),
    /// Crawl the configured sites once (or the rest of an interrupted crawl).
    Crawl(CrawlArgs),
    /// Each site's crawl state; `sites resume NAME` after a person cleared a login wall.
    Sites(SitesArgs),
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

#[derive(Debug, Args)]
pub struct CrawlArgs {
    /// Crawl only this site (repeatable); default: every enabled site.
    #[arg(long)]
    pub site: Vec<String>,
    /// One JSON summary object per site on standard output, no progress bars.
    #[arg(long)]
    pub json: bool,
    /// Only finish what an interrupted crawl left: sites whose last pass ended are left
    /// for the next regular crawl (which starts a new pass over them).
    #[arg(long)]
    pub resume: bool,
}

#[derive(Debug, Args)]
pub struct SitesArgs {
    #[command(subcommand)]
    pub command: Option<SitesCommand>,
    /// One JSON object per site.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SitesCommand {
    /// A person has dealt with the login wall, captcha or queue: crawl the site again.
    Resume {
        /// The site's name.
        site: String,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo writes its configuration, store and evidence (made afresh).
    #[arg(long, default_value = "centinela-demo")]
    pub dir: std::path::PathBuf,
    /// The sample sites (default: `samples/` here, or in the source tree).
    #[arg(long)]
    pub samples: Option<std::path::PathBuf>,
    /// Only serve the sample sites on loopback until stopped (for trying `crawl` by hand
    /// and for tests); prints the port and the configuration to use.
    #[arg(long)]
    pub serve: bool,
    /// With --serve: the loopback port (default: any free one).
    #[arg(long)]
    pub port: Option<u16>,
    /// With --serve: append one line per request (`host path`, and the names of
    /// any cookies sent) to this file.
    #[arg(long)]
    pub access_log: Option<std::path::PathBuf>,
    /// With --serve: the crawl delay written into the sites' configuration, in ms.
    #[arg(long, default_value_t = 0)]
    pub delay_ms: u32,
}
