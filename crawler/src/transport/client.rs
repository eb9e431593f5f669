//! The [`Transport`] trait — what differs between arti, a SOCKS port and direct loopback —
//! and the reqwest client settings all three share.
//!
//! A transport decides which URLs it may carry ([`UrlPolicy`]) and builds, for one isolation
//! slot and generation ([`CircuitTag`]), a reqwest client that reaches the network its way.
//! The fetcher owns the clients (one per site/persona, with its cookie jar) and everything
//! else: timeouts, limits, redirects, retries.

use std::sync::Arc;

use reqwest::cookie::Jar;
use tokio::time::Instant;

use super::browser::default_headers;
use super::config::TransportKind;
use super::direct::LoopbackResolver;
use super::error::FetchError;
use super::isolation::CircuitTag;
use super::policy::UrlPolicy;
use super::settings::FetchSettings;
use super::socks_bridge::{CircuitInfo, StreamFailure};

/// One way of reaching web servers. Implemented by [`ArtiTransport`](super::ArtiTransport),
/// [`Socks5Transport`](super::Socks5Transport) and [`DirectTransport`](super::DirectTransport)
/// (the loopback one doubles as the test implementation).
pub trait Transport: Send + Sync + 'static {
    /// Which transport this is.
    fn kind(&self) -> TransportKind;

    /// The URL rules, checked before any socket is opened, for every URL and redirect.
    fn policy(&self) -> &UrlPolicy;

    /// A client for `tag`, built on `base` (headers, timeouts, cookie jar already set).
    fn build_client(
        &self,
        tag: &CircuitTag,
        base: reqwest::ClientBuilder,
    ) -> Result<reqwest::Client, FetchError>;

    /// The failure the transport saw for `tag` since `since`, if it keeps such records
    /// (the arti bridge does).
    fn failure_since(&self, _tag: &CircuitTag, _since: Instant) -> Option<StreamFailure> {
        None
    }

    /// The circuit of `tag`'s latest stream, when the transport can tell.
    fn circuit(&self, _tag: &CircuitTag) -> Option<CircuitInfo> {
        None
    }

    /// `tag` will not be used again (its generation was replaced).
    fn retire(&self, _tag: &CircuitTag) {}

    /// Whether Tor can carry traffic now (`None`: not an embedded Tor client, nothing
    /// to ask). Read by the daemon's health check.
    fn tor_ready(&self) -> Option<bool> {
        None
    }
}

/// The reqwest settings every transport starts from. No proxy from the environment, no DNS
/// outside the process ([`LoopbackResolver`]), no automatic redirects (the fetcher follows
/// them inside the scope), Tor Browser's headers, the persona's cookie jar.
pub(crate) fn base_builder(settings: &FetchSettings, jar: Arc<Jar>) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .no_proxy()
        .dns_resolver(LoopbackResolver::new(Arc::default()))
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .default_headers(default_headers(&settings.user_agent))
        .cookie_provider(jar)
        .connect_timeout(settings.timeouts.connect)
        .http1_only()
        .tcp_nodelay(true)
        .pool_idle_timeout(std::time::Duration::from_secs(60))
        .pool_max_idle_per_host(32)
}

/// A reqwest client that failed to build (bad TLS setup, bad proxy URL).
pub(crate) fn build_error(e: reqwest::Error) -> FetchError {
    FetchError::Protocol {
        detail: format!(
            "cannot build HTTP client: {}",
            super::error::redact(&e.without_url())
        ),
    }
}
