//! The `[transport]` section of `centinela.toml`, as written.
//!
//! [`TransportConfig`] is what the file says; [`TransportConfig::validate`] checks it and
//! [`FetchSettings::from_config`](super::FetchSettings::from_config) turns it into the values
//! the fetcher works with. Settings that only make sense on a test machine — a private Tor
//! network ([`PrivateNetwork`]) and the loopback host map of the direct transport — are kept
//! in their own fields so that `centinela config check` can name them
//! ([`TransportConfig::test_only_settings`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::private_network::PrivateNetwork;

/// How pages are fetched. Onion URLs only ever go through Tor (`arti` or `socks5`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TransportConfig {
    /// Which transport carries the requests.
    #[serde(default)]
    pub kind: TransportKind,
    /// The Tor client's SOCKS port, for `kind = "socks5"`; must be a loopback address.
    #[serde(default)]
    pub socks5_addr: Option<String>,
    /// Time allowed to open a connection (for Tor: build or reuse a circuit, reach the
    /// onion service or exit, and finish the SOCKS handshake).
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u32,
    /// Time allowed, once connected, until the response head arrives.
    #[serde(default = "default_first_byte_timeout")]
    pub first_byte_timeout_secs: u32,
    /// Time allowed for one attempt from start to the last body byte, redirects included.
    #[serde(default = "default_total_timeout")]
    pub total_timeout_secs: u32,
    /// The largest body accepted as it comes over the wire (compressed or not).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: u64,
    /// The largest body accepted after gzip/deflate/br decoding (stops decompression bombs).
    #[serde(default = "default_max_decoded")]
    pub max_decoded_bytes: u64,
    /// The User-Agent sent; default: Tor Browser's. Changing it makes the crawler stand out.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// TEST NETWORKS ONLY: bootstrap arti from a private Tor network instead of the public one.
    #[serde(default)]
    pub private_network: Option<PrivateNetwork>,
    /// TEST AND DEMO ONLY (`kind = "direct"`): serve these host names, typically the sample
    /// sites' onion hosts, from `127.0.0.1:<port>` — like curl's `--resolve`.
    #[serde(default)]
    pub loopback_hosts: BTreeMap<String, u16>,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            kind: TransportKind::default(),
            socks5_addr: None,
            connect_timeout_secs: default_connect_timeout(),
            first_byte_timeout_secs: default_first_byte_timeout(),
            total_timeout_secs: default_total_timeout(),
            max_body_bytes: default_max_body(),
            max_decoded_bytes: default_max_decoded(),
            user_agent: None,
            private_network: None,
            loopback_hosts: BTreeMap::new(),
        }
    }
}

fn default_connect_timeout() -> u32 {
    60
}
fn default_first_byte_timeout() -> u32 {
    60
}
fn default_total_timeout() -> u32 {
    180
}
fn default_max_body() -> u64 {
    20 * 1024 * 1024
}
fn default_max_decoded() -> u64 {
    64 * 1024 * 1024
}

/// The three transports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// Embedded Tor client (arti).
    #[default]
    Arti,
    /// An existing Tor client's SOCKS port; names are resolved inside Tor (socks5h).
    Socks5,
    /// Loopback-only connections, for the sample sites and the demo.
    Direct,
}

impl TransportKind {
    /// The label used in logs, reports and [`FetchResponse::transport`](super::FetchResponse).
    pub fn label(self) -> &'static str {
        match self {
            TransportKind::Arti => "arti",
            TransportKind::Socks5 => "socks5",
            TransportKind::Direct => "direct",
        }
    }

    /// Whether this transport goes through Tor (and so may carry onion URLs).
    pub fn is_tor(self) -> bool {
        !matches!(self, TransportKind::Direct)
    }
}

/// A `[transport]` section that cannot work; the field is named as it is in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("`socks5_addr` is required when `kind = \"socks5\"`")]
    MissingSocksAddr,
    #[error("`socks5_addr` must be an IP address and port such as 127.0.0.1:9050, got {0:?}")]
    BadSocksAddr(String),
    #[error("`socks5_addr` must be a loopback address (127.0.0.0/8 or ::1), got {0}")]
    SocksAddrNotLoopback(SocketAddr),
    #[error("`{0}` must be greater than zero")]
    Zero(&'static str),
    #[error("`max_decoded_bytes` ({decoded}) must be at least `max_body_bytes` ({body})")]
    DecodedBelowBody { body: u64, decoded: u64 },
    #[error("`user_agent` must be printable ASCII")]
    BadUserAgent,
    #[error("`private_network` only applies to `kind = \"arti\"`")]
    PrivateNetworkWithoutArti,
    #[error("`loopback_hosts` only applies to `kind = \"direct\"`")]
    LoopbackHostsWithoutDirect,
    #[error("`loopback_hosts`: bad entry {host:?} = {port} (a host name and a non-zero port)")]
    BadLoopbackHost { host: String, port: u16 },
    #[error("`private_network.{field}`: {problem}")]
    PrivateNetwork {
        field: &'static str,
        problem: String,
    },
}

impl TransportConfig {
    /// Check the section; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (name, value) in [
            ("connect_timeout_secs", u64::from(self.connect_timeout_secs)),
            (
                "first_byte_timeout_secs",
                u64::from(self.first_byte_timeout_secs),
            ),
            ("total_timeout_secs", u64::from(self.total_timeout_secs)),
            ("max_body_bytes", self.max_body_bytes),
            ("max_decoded_bytes", self.max_decoded_bytes),
        ] {
            if value == 0 {
                return Err(ConfigError::Zero(name));
            }
        }
        if self.max_decoded_bytes < self.max_body_bytes {
            return Err(ConfigError::DecodedBelowBody {
                body: self.max_body_bytes,
                decoded: self.max_decoded_bytes,
            });
        }
        if let Some(ua) = &self.user_agent {
            if ua.is_empty() || !ua.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                return Err(ConfigError::BadUserAgent);
            }
        }
        if self.kind == TransportKind::Socks5 {
            self.socks5_socket_addr()?;
        }
        if let Some(net) = &self.private_network {
            if self.kind != TransportKind::Arti {
                return Err(ConfigError::PrivateNetworkWithoutArti);
            }
            net.validate()?;
        }
        if !self.loopback_hosts.is_empty() && self.kind != TransportKind::Direct {
            return Err(ConfigError::LoopbackHostsWithoutDirect);
        }
        for (host, &port) in &self.loopback_hosts {
            let ok_name = !host.is_empty()
                && host.parse::<std::net::IpAddr>().is_err()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            if port == 0 || !ok_name {
                return Err(ConfigError::BadLoopbackHost {
                    host: host.clone(),
                    port,
                });
            }
        }
        Ok(())
    }

    /// The SOCKS address, parsed and checked to be on loopback.
    pub fn socks5_socket_addr(&self) -> Result<SocketAddr, ConfigError> {
        let text = self
            .socks5_addr
            .as_deref()
            .ok_or(ConfigError::MissingSocksAddr)?;
        let addr: SocketAddr = text
            .trim()
            .parse()
            .map_err(|_| ConfigError::BadSocksAddr(text.to_string()))?;
        if !addr.ip().to_canonical().is_loopback() {
            return Err(ConfigError::SocksAddrNotLoopback(addr));
        }
        Ok(addr)
    }

    /// Names of the settings that are on and must never be on in production, for
    /// `centinela config check` to report (empty on a production configuration).
    pub fn test_only_settings(&self) -> Vec<&'static str> {
        let mut on = Vec::new();
        if let Some(net) = &self.private_network {
            on.push("transport.private_network (custom Tor directory authorities)");
            if net.allow_local_addrs {
                on.push("transport.private_network.allow_local_addrs");
            }
            if net.hsdir_interval.is_some() {
                on.push("transport.private_network.hsdir_interval");
            }
            on.push("transport.private_network subnet family prefixes");
        }
        if !self.loopback_hosts.is_empty() {
            on.push("transport.loopback_hosts (host names served from loopback)");
        }
        on
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_section_parses_and_validates() {
        let text = r#"
            kind = "arti"
            # socks5_addr = "127.0.0.1:9050"
            connect_timeout_secs = 60
            total_timeout_secs = 180
            max_body_bytes = 20971520
        "#;
        let cfg: TransportConfig = toml::from_str(text).expect("parses");
        assert_eq!(cfg.kind, TransportKind::Arti);
        assert_eq!(cfg.first_byte_timeout_secs, 60);
        cfg.validate().expect("valid");
        assert!(cfg.test_only_settings().is_empty());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = toml::from_str::<TransportConfig>("kind = \"arti\"\nproxy = \"x\"\n");
        assert!(err.is_err());
    }

    #[test]
    fn socks_addr_must_be_loopback() {
        let mut cfg = TransportConfig {
            kind: TransportKind::Socks5,
            ..Default::default()
        };
        assert_eq!(cfg.validate(), Err(ConfigError::MissingSocksAddr));
        cfg.socks5_addr = Some("192.0.2.1:9050".into());
        assert!(matches!(
            cfg.validate(),
            Err(ConfigError::SocksAddrNotLoopback(_))
        ));
        cfg.socks5_addr = Some("localhost:9050".into());
        assert!(matches!(cfg.validate(), Err(ConfigError::BadSocksAddr(_))));
        cfg.socks5_addr = Some("127.0.0.1:9050".into());
        assert_eq!(cfg.validate(), Ok(()));
        cfg.socks5_addr = Some("[::1]:9050".into());
        assert_eq!(cfg.validate(), Ok(()));
    }

    #[test]
    fn loopback_hosts_are_flagged_and_direct_only() {
        let mut cfg = TransportConfig::default();
        cfg.loopback_hosts.insert("abc.onion".into(), 8080);
        assert_eq!(cfg.validate(), Err(ConfigError::LoopbackHostsWithoutDirect));
        cfg.kind = TransportKind::Direct;
        assert_eq!(cfg.validate(), Ok(()));
        assert_eq!(cfg.test_only_settings().len(), 1);
        cfg.loopback_hosts.insert("10.0.0.1".into(), 80);
        assert!(matches!(
            cfg.validate(),
            Err(ConfigError::BadLoopbackHost { .. })
        ));
    }
}
