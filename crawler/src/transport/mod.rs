//! How pages are fetched: Tor transports, the loopback-only direct transport, and the
//! [`Fetcher`] on top of them.
//!
//! # The pieces
//! - [`TransportConfig`] is the `[transport]` section of `centinela.toml`
//!   (`deny_unknown_fields`), with [`PrivateNetwork`] for test Tor networks only;
//!   [`FetchSettings`] are the validated values the fetcher uses.
//! - A [`Transport`] says which URLs it may carry ([`UrlPolicy`]) and builds reqwest clients
//!   that reach the network its way:
//!   - [`ArtiTransport`]: embedded arti ([`ArtiTor`], bootstrapped with progress reports),
//!     reached through an in-process, password-protected SOCKS5 bridge on 127.0.0.1
//!     ([`SocksBridge`]; its module says why a bridge and why a password);
//!   - [`Socks5Transport`]: an existing Tor client's SOCKS port on loopback (`socks5h`);
//!   - [`DirectTransport`]: loopback addresses only, for the sample sites and the demo.
//! - [`Fetcher::fetch`] takes a [`FetchRequest`] and gives a [`FetchResponse`] or a
//!   [`FetchError`], whose [`FailureKind`] drives retries and reports.
//! - [`tsa::post_timestamp_query`] sends an RFC 3161 timestamp query for evidence bundles:
//!   directly to a loopback TSA, through Tor to any other.
//!
//! # Rules this module enforces
//! - An onion URL is only ever fetched through Tor; with the direct transport it is refused
//!   with [`FetchError::RefusedByPolicy`] before any socket is opened. There is no fallback.
//! - DNS is never asked: Tor transports resolve names inside Tor (`socks5h`), and every
//!   client uses [`LoopbackResolver`], which knows only `localhost` and the test host map.
//! - Each (site, persona) has its own cookie jar and its own circuits ([`IsolationKey`]).
//! - **All socket opening in the crate happens inside this module**: the reqwest clients are
//!   built here ([`client`] and the transports), the SOCKS bridge listens here, arti is
//!   driven from here. Code outside `transport` receives a [`Fetcher`] and never builds an
//!   HTTP client or opens a `TcpStream`; a `clippy.toml` `disallowed-methods` guard outside
//!   this module is meant to hold that line.
//! - Errors and logs carry no onion hosts, URLs, cookies or SOCKS credentials
//!   ([`redact`]); the bridge secret is a [`Secret`].

// The one place allowed to open sockets and build HTTP clients (see clippy.toml).
#![allow(clippy::disallowed_methods)]

mod arti;
mod body;
mod browser;
mod charset;
mod classify;
pub mod client;
mod clients;
mod config;
mod direct;
mod error;
mod fetcher;
mod isolation;
mod policy;
mod private_network;
mod settings;
mod socks_bridge;
mod socks_proto;
mod tor;
pub mod tsa;

pub use arti::{ArtiTor, BootstrapProgress};
pub use body::ContentEncoding;
pub use browser::{
    ACCEPT_ENCODING, TOR_BROWSER_ACCEPT, TOR_BROWSER_ACCEPT_LANGUAGE, TOR_BROWSER_USER_AGENT,
};
pub use charset::{Charset, CharsetSource};
pub use client::Transport;
pub use config::{ConfigError, TransportConfig, TransportKind};
pub use direct::{DirectTransport, LoopbackResolver};
pub use error::{
    redact, redact_text, FailureKind, FetchError, Limit, PolicyViolation, TimeoutPhase,
    TransportError,
};
pub use fetcher::{FetchRequest, FetchResponse, FetchStats, Fetcher};
pub use isolation::{CircuitTag, IsolationKey, Secret};
pub use policy::{is_loopback_ip, is_onion_host, Scope, UrlPolicy};
pub use private_network::{FallbackCache, PrivateNetwork};
pub use reqwest::Url;
pub use settings::{FetchSettings, RetryPolicy, Timeouts};
pub use socks_bridge::{CircuitInfo, SocksBridge, Stage, StreamFailure};
pub use tor::{ArtiTransport, Socks5Transport};

/// Build the transport a `[transport]` section asks for. `data_dir` holds arti's state;
/// `on_progress` hears arti's bootstrap (unused by the other transports).
pub async fn from_config(
    config: &TransportConfig,
    data_dir: &std::path::Path,
    bootstrap_timeout: std::time::Duration,
    on_progress: impl FnMut(BootstrapProgress) + Send + 'static,
) -> Result<std::sync::Arc<dyn Transport>, TransportError> {
    config.validate()?;
    Ok(match config.kind {
        TransportKind::Arti => std::sync::Arc::new(
            ArtiTransport::bootstrap(
                data_dir,
                config.private_network.as_ref(),
                bootstrap_timeout,
                on_progress,
            )
            .await?,
        ),
        TransportKind::Socks5 => {
            std::sync::Arc::new(Socks5Transport::new(config.socks5_socket_addr()?)?)
        }
        TransportKind::Direct => {
            std::sync::Arc::new(DirectTransport::new(config.loopback_hosts.clone()))
        }
    })
}
