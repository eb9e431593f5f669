//! The two Tor transports: embedded arti (through the [`SocksBridge`]) and an existing Tor
//! client's SOCKS port. Both give reqwest a `socks5h://` proxy — names are resolved inside
//! Tor — whose username is the [`CircuitTag`], so each site/persona/generation gets its own
//! circuits.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use tokio::time::Instant;

use super::arti::{ArtiTor, BootstrapProgress};
use super::client::{build_error, Transport};
use super::config::{ConfigError, TransportKind};
use super::error::{FetchError, TransportError};
use super::isolation::{CircuitTag, Secret};
use super::policy::{is_loopback_ip, UrlPolicy};
use super::private_network::PrivateNetwork;
use super::socks_bridge::{CircuitInfo, SocksBridge, StreamFailure};

fn socks_client(
    base: reqwest::ClientBuilder,
    proxy_url: &str,
) -> Result<reqwest::Client, FetchError> {
    let proxy = reqwest::Proxy::all(proxy_url).map_err(build_error)?;
    base.proxy(proxy).build().map_err(build_error)
}

/// Embedded arti, reached by reqwest through the in-process SOCKS bridge.
pub struct ArtiTransport {
    tor: ArtiTor,
    bridge: SocksBridge,
    policy: UrlPolicy,
}

impl std::fmt::Debug for ArtiTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArtiTransport")
            .field("tor", &self.tor)
            .field("bridge", &self.bridge.local_addr())
            .finish()
    }
}

impl ArtiTransport {
    /// Wrap a bootstrapped client and start its bridge.
    pub async fn new(tor: ArtiTor) -> Result<ArtiTransport, TransportError> {
        let bridge = SocksBridge::start(tor.client().clone())
            .await
            .map_err(TransportError::Bridge)?;
        Ok(ArtiTransport {
            tor,
            bridge,
            policy: UrlPolicy::tor(),
        })
    }

    /// Bootstrap arti (see [`ArtiTor::bootstrap`]) and start the bridge.
    pub async fn bootstrap(
        data_dir: &Path,
        private: Option<&PrivateNetwork>,
        timeout: Duration,
        on_progress: impl FnMut(BootstrapProgress) + Send + 'static,
    ) -> Result<ArtiTransport, TransportError> {
        let tor = ArtiTor::bootstrap(data_dir, private, timeout, on_progress).await?;
        ArtiTransport::new(tor).await
    }

    /// The embedded client.
    pub fn tor(&self) -> &ArtiTor {
        &self.tor
    }
}

impl Transport for ArtiTransport {
    fn kind(&self) -> TransportKind {
        TransportKind::Arti
    }

    fn policy(&self) -> &UrlPolicy {
        &self.policy
    }

    fn build_client(
        &self,
        tag: &CircuitTag,
        base: reqwest::ClientBuilder,
    ) -> Result<reqwest::Client, FetchError> {
        socks_client(base, &self.bridge.proxy_url(tag.username()))
    }

    fn failure_since(&self, tag: &CircuitTag, since: Instant) -> Option<StreamFailure> {
        self.bridge.failure_since(tag.username(), since)
    }

    fn circuit(&self, tag: &CircuitTag) -> Option<CircuitInfo> {
        self.bridge.circuit(tag.username())
    }

    fn retire(&self, tag: &CircuitTag) {
        self.bridge.forget(tag.username());
    }

    fn tor_ready(&self) -> Option<bool> {
        Some(self.tor.client().bootstrap_status().ready_for_traffic())
    }
}

/// An existing Tor client's SOCKS port on loopback. Isolation by SOCKS credentials relies on
/// C tor's `IsolateSOCKSAuth`, on by default on every `SocksPort`.
#[derive(Debug)]
pub struct Socks5Transport {
    addr: SocketAddr,
    password: Secret,
    policy: UrlPolicy,
}

impl Socks5Transport {
    /// A transport through the SOCKS port at `addr`, which must be a loopback address.
    pub fn new(addr: SocketAddr) -> Result<Socks5Transport, ConfigError> {
        if !is_loopback_ip(addr.ip()) {
            return Err(ConfigError::SocksAddrNotLoopback(addr));
        }
        Ok(Socks5Transport {
            addr,
            password: Secret::random(),
            policy: UrlPolicy::tor(),
        })
    }
}

impl Transport for Socks5Transport {
    fn kind(&self) -> TransportKind {
        TransportKind::Socks5
    }

    fn policy(&self) -> &UrlPolicy {
        &self.policy
    }

    fn build_client(
        &self,
        tag: &CircuitTag,
        base: reqwest::ClientBuilder,
    ) -> Result<reqwest::Client, FetchError> {
        let url = format!(
            "socks5h://{}:{}@{}",
            tag.username(),
            self.password.expose(),
            self.addr
        );
        socks_client(base, &url)
    }
}
