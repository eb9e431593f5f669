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
    /// Crawl every site on its schedule until stopped (SIGTERM); SIGHUP reloads the
    /// configuration. Serves /healthz and /metrics on loopback ([daemon] listen).
    Daemon(DaemonArgs),
    /// What the daemon is doing: per site, schedule, last and next run, pages, errors,
    /// whether a person is needed; alerts waiting; index size.
    Status(StatusArgs),
    /// Each site's crawl state; `sites resume NAME` after a person cleared a login wall.
    Sites(SitesArgs),
    /// Search listings, vendors and posts (Spanish or English, accents optional).
    Search(SearchArgs),
    /// A vendor's profile: every site where the handle appears, and the personas linked
    /// to it by a shared PGP key, wallet or contact. Finds the handle despite typos.
    Vendor(VendorArgs),
    /// Maintain the search index.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Watchlists: what supervisors are told about by e-mail.
    #[command(subcommand)]
    Watch(WatchCommand),
    /// Alerts the watchlists raised: list them, send what waits, retry refused mail.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Evidence for a case file: export a signed bundle, verify one, the unit's signing
    /// key, and the custody log of exports and verifications.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// The investigators' web UI and JSON API, on loopback ([web] bind), until SIGTERM.
    Serve(ServeArgs),
    /// Accounts of the web UI: add (or reset a password), list, remove, API tokens.
    #[command(subcommand)]
    User(UserCommand),
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

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Create the unit's Ed25519 signing key (once), in <data_dir>/evidence/.
    Keygen {
        /// Seal the key with the passphrase in this file (or $CENTINELA_EVIDENCE_PASSPHRASE).
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
    /// Export the evidence behind a vendor, a listing, an address or a search into a new
    /// folder: WARC records, records, summary, signed manifest.
    Export(EvidenceExportArgs),
    /// Check a bundle: every file's SHA-256, the signature, the RFC 3161 timestamp (if
    /// any), every capture's digests.
    Verify {
        /// The bundle's folder, or its .zip file.
        bundle: PathBuf,
        /// The operator recorded in the custody log.
        #[arg(long, env = "CENTINELA_OPERATOR")]
        operator: Option<String>,
    },
    /// The custody log of exports and verifications.
    Log {
        /// Check the hash chain: a deleted or edited entry is named.
        #[arg(long)]
        verify: bool,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("subject").required(true).args(["vendor", "listing", "address", "query"])))]
pub struct EvidenceExportArgs {
    /// Every record of this vendor handle (any site, any case) and its listings.
    #[arg(long)]
    pub vendor: Option<String>,
    /// One listing, by its URL.
    #[arg(long)]
    pub listing: Option<String>,
    /// Every record that showed this wallet address.
    #[arg(long)]
    pub address: Option<String>,
    /// The records a search returns (at most 500).
    #[arg(long)]
    pub query: Option<String>,
    /// The bundle's folder (must not exist, or be empty); a name ending in .zip writes
    /// the bundle into that new zip file instead, under a folder named like it.
    #[arg(long)]
    pub out: PathBuf,
    /// Who exports (recorded in the manifest and the custody log); default $USER.
    #[arg(long, env = "CENTINELA_OPERATOR")]
    pub operator: Option<String>,
    /// The signing key's passphrase, if it has one (or $CENTINELA_EVIDENCE_PASSPHRASE).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// `human` (default) or `json` (one object per line, for log collectors).
    #[arg(long, value_enum, default_value_t = crate::logging::LogFormat::Human)]
    pub log_format: crate::logging::LogFormat,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (default: [web] bind, 127.0.0.1:8080); port 0 picks
    /// a free one. Only loopback unless [web] public_url is https (a TLS proxy in front).
    #[arg(long)]
    pub listen: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user, or set a new password and role for an existing one. The password is
    /// read from --password-file, or asked for (standard input when not a terminal).
    Add {
        name: String,
        /// `admin` (users, sites, watchlists, audit log) or `investigator`.
        #[arg(long, default_value = "investigator")]
        role: String,
        /// A file whose first line is the password (at least 12 characters).
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// The users and their roles.
    List,
    /// Remove a user and every API token of theirs.
    Remove { name: String },
    /// A new API token for a user (shown once; only its hash is kept).
    Token { name: String },
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// One JSON object (the daemon's status file's shape).
    #[arg(long)]
    pub json: bool,
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

#[derive(Debug, Args)]
#[command(
    after_help = "QUERY uses Tantivy's query language: words (all required), \"exact phrases\", \
OR, -excluded, field:value with Spanish or English field names (vendedor:/vendor:, \
envia_a:/ships_to:, envia_desde:/ships_from:, moneda:/coin:, categoria:/category:, \
sitio:/site:, tipo:/type:, titulo:/title:, direccion:/address:, contacto:/contact:, pgp:). \
A wallet, PGP fingerprint, @handle or phone number alone finds every record carrying it.\n\n\
Examples:\n  centinela search 'cocaina envio lima'\n  centinela search 'vendedor:condorblanco' --type listing --sort recent\n  \
centinela search 'envia_a:peru' --peru --since 2026-11-01 --max-price 500 --csv > resultados.csv"
)]
pub struct SearchArgs {
    /// What to look for; '' (empty) matches everything (useful with filters).
    pub query: String,
    /// How many results to show.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Skip this many results (the next page).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// One JSON record per line (the `search --json` contract).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Comma-separated values with a header row, for spreadsheets.
    #[arg(long)]
    pub csv: bool,
    /// Only this site (repeatable is not supported: run once per site).
    #[arg(long)]
    pub site: Option<String>,
    /// Only this kind of record: listing, vendor or post (also: anuncio, vendedor, mensaje).
    #[arg(long = "type", value_name = "TYPE")]
    pub record_type: Option<String>,
    /// Only records that target Peru (Peru score 0.5 or more).
    #[arg(long)]
    pub peru: bool,
    /// Only records seen on or after this date (2026-11-01, 2026-11-01T08:00:00Z, or
    /// a span back from now: 24h, 7d, 4w).
    #[arg(long)]
    pub since: Option<String>,
    /// Only records last seen on or before this date (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
    /// Lowest price, in US dollars (prices in soles and euros are converted).
    #[arg(long, value_name = "USD")]
    pub min_price: Option<f64>,
    /// Highest price, in US dollars.
    #[arg(long, value_name = "USD")]
    pub max_price: Option<f64>,
    /// Order: best match first (relevance) or most recently seen first (recent).
    #[arg(long, value_enum, default_value_t = SortArg::Relevance)]
    pub sort: SortArg,
    /// Also count the results by site, type, coin, category and destination.
    #[arg(long)]
    pub facets: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SortArg {
    Relevance,
    #[value(alias = "recency")]
    Recent,
}

#[derive(Debug, Args)]
pub struct VendorArgs {
    /// The vendor's handle as you remember it (case, separators, 0-for-o and a typo or
    /// two do not matter).
    pub name: String,
    /// The profile as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Recreate the search index from the store (after it was lost or damaged, or to
    /// apply new currency rates).
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum WatchCommand {
    /// Every rule, with the file it comes from.
    List {
        /// One JSON object per rule.
        #[arg(long)]
        json: bool,
    },
    /// Add a rule (kept in the watchlists folder, file `added-by-cli.toml`).
    Add(Box<WatchAddArgs>),
    /// Remove a rule added with `watch add` (rules of hand-written files are edited there).
    Remove {
        /// The rule's name.
        name: String,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(false)))]
pub struct WatchAddArgs {
    /// A stable name for the rule (letters, digits, `-`, `_`), unique.
    pub name: String,
    /// A vendor's handle: followed across markets, keys, wallets and contacts (case,
    /// separators, look-alike digits and one typo in 6+ characters do not matter).
    #[arg(long, group = "what")]
    pub vendor: Option<String>,
    /// A crypto address: any record, on any site, that shows it.
    #[arg(long, group = "what")]
    pub address: Option<String>,
    /// A contact: `telegram:@handle`, or a bare `@handle` / `+51987654321` on any platform.
    #[arg(long, group = "what")]
    pub contact: Option<String>,
    /// A PGP fingerprint (40 hex digits).
    #[arg(long, group = "what")]
    pub pgp: Option<String>,
    /// Words that must all appear in a new or changed record (accents and case ignored).
    #[arg(long, group = "what")]
    pub query: Option<String>,
    /// New or changed vendors and listings with at least this Peru score (0 to 1).
    #[arg(long, group = "what")]
    pub peru_score: Option<f64>,
    /// Only records of this site (repeatable).
    #[arg(long)]
    pub site: Vec<String>,
    /// Who gets the mail (repeatable).
    #[arg(long = "to", required = true)]
    pub recipients: Vec<String>,
    /// The mail's language.
    #[arg(long, default_value = "es", value_parser = ["es", "en"])]
    pub language: String,
    /// info, warning or critical (shown first in the subject).
    #[arg(long, default_value = "warning", value_parser = ["info", "warning", "critical"])]
    pub severity: String,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Alerts and where each recipient's mail stands (newest first).
    List {
        /// Only mails refused for good (bad address, rejected login), with the reason.
        #[arg(long)]
        failed: bool,
        /// Only mails still waiting to be sent.
        #[arg(long, conflicts_with = "failed")]
        waiting: bool,
        /// At most this many alerts.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// One JSON object per alert.
        #[arg(long)]
        json: bool,
    },
    /// Send every mail that is due now (after the mail server was down, say).
    Send,
    /// Queue refused mails again (all, or one alert's) and send them.
    Retry {
        /// Only this alert.
        id: Option<u64>,
    },
}
