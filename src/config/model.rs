//! The configuration files as written: `centinela.toml` and one `sites/<name>.toml` per
//! site. Values that later checks must locate in the file are kept `Spanned`.

use serde::Deserialize;
use toml::Spanned;

/// `config/centinela.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MainFile {
    #[serde(default)]
    pub storage: Storage,
    #[serde(default)]
    pub sites: SitesSection,
    /// How pages are fetched (the crawler's own type: kind, timeouts, limits, and the
    /// test-only private network and loopback host map).
    #[serde(default)]
    pub transport: centinela_crawler::transport::TransportConfig,
    pub smtp: Option<Smtp>,
    #[serde(default)]
    pub alerts: Alerts,
    #[serde(default)]
    pub web: Web,
    #[serde(default)]
    pub daemon: Daemon,
    #[serde(default)]
    pub evidence: Evidence,
}

/// `[evidence]`: how exported bundles are sealed beyond the unit's own signature.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// An RFC 3161 Time-Stamping Authority (`http(s)://…`). When set, every export gets
    /// a token over its manifest (`manifest.tsr`), so its time is not only the unit's
    /// word. A TSA not on this machine is reached only through Tor.
    pub tsa_url: Option<Spanned<String>>,
    /// How long the TSA may take to answer (through Tor, a few seconds at least).
    #[serde(default = "default_tsa_timeout")]
    pub tsa_timeout_secs: Spanned<u64>,
}

impl Default for Evidence {
    fn default() -> Self {
        Evidence {
            tsa_url: None,
            tsa_timeout_secs: default_tsa_timeout(),
        }
    }
}

fn default_tsa_timeout() -> Spanned<u64> {
    Spanned::new(0..0, 60)
}

/// `centinela daemon`: its health and metrics endpoint, and the shared connection cap.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Daemon {
    /// `/healthz` and `/metrics` (loopback only: they tell which sites are watched).
    #[serde(default = "default_daemon_listen")]
    pub listen: Spanned<String>,
    /// Fetches under way at once across every site (each site's `concurrency` still
    /// applies within it).
    #[serde(default = "default_max_connections")]
    pub max_connections: Spanned<u32>,
}

impl Default for Daemon {
    fn default() -> Self {
        Daemon {
            listen: default_daemon_listen(),
            max_connections: default_max_connections(),
        }
    }
}

fn default_daemon_listen() -> Spanned<String> {
    Spanned::new(0..0, "127.0.0.1:9477".to_string())
}

fn default_max_connections() -> Spanned<u32> {
    Spanned::new(0..0, 16)
}

/// Watchlists and how their alerts are delivered.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    /// The folder of watchlist files (`*.toml`), relative to the main file.
    #[serde(default = "default_watchlists")]
    pub watchlists: String,
    /// Without `[smtp]`: the folder alert mails are written to (`.eml` files), relative
    /// to the main file. Default: `mailbox/` in the data dir.
    pub mailbox: Option<String>,
    /// One mail per recipient per this many minutes, listing every alert of the
    /// interval, instead of one mail per alert. 0 (default): at once.
    #[serde(default)]
    pub digest_minutes: u32,
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts {
            watchlists: default_watchlists(),
            mailbox: None,
            digest_minutes: 0,
        }
    }
}

fn default_watchlists() -> String {
    "watchlists".to_string()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// Where the store, index, WARC files and Tor state live; relative to the config file.
    #[serde(default = "default_data_dir")]
    pub data_dir: Spanned<String>,
    /// A WARC file is closed and a new one started past this size, in MiB (evidence is
    /// easier to copy and hash in pieces).
    #[serde(default = "default_warc_file_mib")]
    pub warc_file_mib: u64,
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            data_dir: Spanned::new(0..0, default_data_dir_string()),
            warc_file_mib: default_warc_file_mib(),
        }
    }
}

fn default_warc_file_mib() -> u64 {
    1024
}

fn default_data_dir_string() -> String {
    "../data".to_string()
}

fn default_data_dir() -> Spanned<String> {
    Spanned::new(0..0, default_data_dir_string())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitesSection {
    /// The folder of per-site files, relative to the config file.
    #[serde(default = "default_sites_dir")]
    pub dir: String,
    /// The Peru lexicon, relative to the config file.
    #[serde(default = "default_lexicon")]
    pub peru_lexicon: String,
}

impl Default for SitesSection {
    fn default() -> Self {
        SitesSection {
            dir: default_sites_dir(),
            peru_lexicon: default_lexicon(),
        }
    }
}

fn default_sites_dir() -> String {
    "sites".to_string()
}

fn default_lexicon() -> String {
    "peru.toml".to_string()
}

/// The mail relay that alerts go through.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: Spanned<String>,
    pub port: Option<u16>,
    #[serde(default)]
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// A file holding the password (mode 0600); never the password itself.
    pub password_file: Option<Spanned<String>>,
    /// Or the name of an environment variable holding it.
    pub password_env: Option<Spanned<String>>,
    pub from: Spanned<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    #[default]
    Starttls,
    Tls,
    /// No encryption: only allowed to a loopback relay.
    Plain,
}

/// The investigators' web UI.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Web {
    #[serde(default = "default_bind")]
    pub bind: Spanned<String>,
    pub public_url: Option<String>,
    /// The daemon serves the UI too (it holds the store, so `centinela serve` cannot run
    /// beside it).
    #[serde(default)]
    pub in_daemon: bool,
}

impl Default for Web {
    fn default() -> Self {
        Web {
            bind: default_bind(),
            public_url: None,
            in_daemon: false,
        }
    }
}

fn default_bind() -> Spanned<String> {
    Spanned::new(0..0, "127.0.0.1:8080".to_string())
}

/// `config/sites/<name>.toml`: one market or forum.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteFile {
    pub name: Spanned<String>,
    /// Free text shown to investigators.
    pub description: Option<String>,
    /// The site's onion hosts (v3 names); the crawl stays inside these and the mirrors.
    pub onion_hosts: Vec<Spanned<String>>,
    #[serde(default)]
    pub mirrors: Vec<Spanned<String>>,
    /// Pages the crawl starts from; default `http://<first onion host>/`.
    #[serde(default)]
    pub start_urls: Vec<Spanned<String>>,
    /// Which parser reads the site's pages: `"auto"` (a built-in template that recognises
    /// the page, else the generic parser), `"generic"`, `"template:NAME"`, or a
    /// `[parser]` table of CSS selectors (see README, "Adding a market").
    #[serde(default = "default_parser")]
    pub parser: Spanned<toml::Value>,
    #[serde(default)]
    pub limits: Limits,
    /// A Netscape cookies.txt exported from Tor Browser, for logged-in crawling;
    /// relative to this file.
    pub cookies_file: Option<Spanned<String>>,
    /// Query parameters that carry a session id on this site (beyond the usual `sid`,
    /// `PHPSESSID`…); removed from URLs so one page is not crawled once per session.
    #[serde(default)]
    pub session_params: Vec<String>,
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    /// When `centinela daemon` crawls the site (default: every 24h, + up to 1h).
    pub schedule: Option<ScheduleSection>,
}

/// `[schedule]`: `every` (with optional `jitter`) or `cron`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSection {
    /// `6h`, `90m`, `1d`…: a pass this long after the previous one ended.
    pub every: Option<Spanned<String>>,
    /// Up to this much later, chosen per pass, so visits keep no exact rhythm.
    pub jitter: Option<Spanned<String>>,
    /// A five-field cron expression in the server's local time (`0 3 * * *`).
    pub cron: Option<Spanned<String>>,
}

fn default_parser() -> Spanned<toml::Value> {
    Spanned::new(0..0, toml::Value::String("auto".to_string()))
}

fn default_enabled() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    #[serde(default = "default_max_depth")]
    pub max_depth: u32,
    #[serde(default = "default_concurrency")]
    pub concurrency: Spanned<u32>,
    /// Pause between two requests to the site, in milliseconds.
    #[serde(default = "default_delay_ms")]
    pub delay_ms: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pages: default_max_pages(),
            max_depth: default_max_depth(),
            concurrency: Spanned::new(0..0, default_concurrency_value()),
            delay_ms: default_delay_ms(),
        }
    }
}

fn default_max_pages() -> u32 {
    50_000
}
fn default_max_depth() -> u32 {
    12
}
fn default_concurrency_value() -> u32 {
    2
}
fn default_concurrency() -> Spanned<u32> {
    Spanned::new(0..0, default_concurrency_value())
}
fn default_delay_ms() -> u32 {
    1_000
}
