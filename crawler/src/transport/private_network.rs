//! TEST NETWORKS ONLY: the settings arti needs to bootstrap from a private Tor network.
//!
//! Centinela's tests run a whole Tor network on 127.0.0.1 (`tests/tor-testnet/testnet.sh`):
//! its own directory authorities and relays, all on one address. To use it arti must be told
//! those authorities and their directory caches, must stop treating every relay as one family
//! (they share a /16), must be allowed to connect exits to local addresses, and must use the
//! test network's short onion-service time period. Every one of these weakens or breaks
//! anonymity on the real Tor network, so they live in this one explicit type, which
//! `centinela config check` reports whenever it is present
//! ([`TransportConfig::test_only_settings`](super::TransportConfig::test_only_settings)).

use serde::{Deserialize, Serialize};

use super::config::ConfigError;

/// `[transport.private_network]`: a private Tor network's authorities and arti's test knobs.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateNetwork {
    /// The authorities' v3 identities (the `fingerprint` of their `authority_certificate`),
    /// 40 hex digits each.
    pub authority_v3idents: Vec<String>,
    /// Directory caches to bootstrap from: the authorities' ORPorts.
    pub fallback_caches: Vec<FallbackCache>,
    /// Relays in the same IPv4 prefix of this length count as one family (production: 16).
    #[serde(default = "default_ipv4_prefix")]
    pub ipv4_subnet_family_prefix: u8,
    /// The same for IPv6 (production: 32).
    #[serde(default = "default_ipv6_prefix")]
    pub ipv6_subnet_family_prefix: u8,
    /// Let exits connect to local addresses (the test sites are on 127.0.0.1).
    #[serde(default = "default_true")]
    pub allow_local_addrs: bool,
    /// The onion-service time period in minutes (`24 × V3AuthVotingInterval / 60` on a C tor
    /// test network; arti's minimum is 5). Absent: the consensus value.
    #[serde(default)]
    pub hsdir_interval: Option<u32>,
}

/// One directory cache of a private network.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FallbackCache {
    /// The relay's RSA identity fingerprint (40 hex digits) — not the v3ident.
    pub rsa_identity: String,
    /// The relay's ed25519 identity, base64 (from its `fingerprint-ed25519` file).
    pub ed_identity: String,
    /// Its ORPorts, `IP:port`; loopback only.
    pub orports: Vec<String>,
}

fn default_ipv4_prefix() -> u8 {
    33
}
fn default_ipv6_prefix() -> u8 {
    129
}
fn default_true() -> bool {
    true
}

fn problem(field: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::PrivateNetwork {
        field,
        problem: problem.into(),
    }
}

fn is_hex40(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_ed25519_b64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    body.len() == 43
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

impl PrivateNetwork {
    /// Check identities and addresses. ORPorts must be loopback: a private network is a test
    /// network on this machine, never something reached over a real network.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.authority_v3idents.is_empty() {
            return Err(problem("authority_v3idents", "at least one is required"));
        }
        if let Some(bad) = self.authority_v3idents.iter().find(|v| !is_hex40(v)) {
            return Err(problem(
                "authority_v3idents",
                format!("{bad:?} is not 40 hex digits"),
            ));
        }
        if self.fallback_caches.is_empty() {
            return Err(problem("fallback_caches", "at least one is required"));
        }
        for cache in &self.fallback_caches {
            if !is_hex40(&cache.rsa_identity) {
                return Err(problem(
                    "fallback_caches",
                    format!("rsa_identity {:?} is not 40 hex digits", cache.rsa_identity),
                ));
            }
            if !is_ed25519_b64(&cache.ed_identity) {
                return Err(problem(
                    "fallback_caches",
                    format!("ed_identity {:?} is not base64 ed25519", cache.ed_identity),
                ));
            }
            if cache.orports.is_empty() {
                return Err(problem("fallback_caches", "each cache needs an orport"));
            }
            for port in &cache.orports {
                match port.parse::<std::net::SocketAddr>() {
                    Ok(a) if a.ip().to_canonical().is_loopback() => {}
                    _ => {
                        return Err(problem(
                            "fallback_caches",
                            format!("orport {port:?} is not a loopback IP:port"),
                        ))
                    }
                }
            }
        }
        if !(1..=33).contains(&self.ipv4_subnet_family_prefix) {
            return Err(problem("ipv4_subnet_family_prefix", "must be 1..=33"));
        }
        if !(1..=129).contains(&self.ipv6_subnet_family_prefix) {
            return Err(problem("ipv6_subnet_family_prefix", "must be 1..=129"));
        }
        if let Some(minutes) = self.hsdir_interval {
            if minutes < 5 {
                return Err(problem("hsdir_interval", "arti's minimum is 5 (minutes)"));
            }
        }
        Ok(())
    }

    /// Read the `arti.toml` that `tests/tor-testnet/testnet.sh` writes (arti's own format).
    /// Its `[storage]` section is ignored: Centinela keeps arti's state under its data dir.
    pub fn from_arti_toml(text: &str) -> Result<PrivateNetwork, ConfigError> {
        #[derive(Deserialize)]
        struct ArtiFile {
            tor_network: TorNetwork,
            #[serde(default)]
            path_rules: Option<PathRules>,
            #[serde(default)]
            address_filter: Option<AddressFilter>,
            #[serde(default)]
            override_net_params: Option<std::collections::BTreeMap<String, i64>>,
        }
        #[derive(Deserialize)]
        struct TorNetwork {
            fallback_caches: Vec<FallbackCache>,
            authorities: Authorities,
        }
        #[derive(Deserialize)]
        struct Authorities {
            v3idents: Vec<String>,
        }
        #[derive(Deserialize)]
        struct PathRules {
            ipv4_subnet_family_prefix: Option<u8>,
            ipv6_subnet_family_prefix: Option<u8>,
        }
        #[derive(Deserialize)]
        struct AddressFilter {
            allow_local_addrs: Option<bool>,
        }
        let file: ArtiFile =
            toml::from_str(text).map_err(|e| problem("arti.toml", e.message().to_string()))?;
        let rules = file.path_rules.as_ref();
        let hsdir = file
            .override_net_params
            .as_ref()
            .and_then(|p| p.get("hsdir_interval"))
            .map(|&v| u32::try_from(v).map_err(|_| problem("hsdir_interval", "out of range")))
            .transpose()?;
        let net = PrivateNetwork {
            authority_v3idents: file.tor_network.authorities.v3idents,
            fallback_caches: file.tor_network.fallback_caches,
            ipv4_subnet_family_prefix: rules
                .and_then(|r| r.ipv4_subnet_family_prefix)
                .unwrap_or(16),
            ipv6_subnet_family_prefix: rules
                .and_then(|r| r.ipv6_subnet_family_prefix)
                .unwrap_or(32),
            allow_local_addrs: file
                .address_filter
                .and_then(|a| a.allow_local_addrs)
                .unwrap_or(false),
            hsdir_interval: hsdir,
        };
        net.validate()?;
        Ok(net)
    }

    /// These settings in arti's configuration format (without `[storage]`), built as a TOML
    /// value rather than as text so no configured string can change its structure.
    pub(crate) fn arti_config_table(&self) -> toml::Table {
        use toml::{Table, Value};
        let caches: Vec<Value> = self
            .fallback_caches
            .iter()
            .map(|c| {
                let mut t = Table::new();
                t.insert("rsa_identity".into(), Value::String(c.rsa_identity.clone()));
                t.insert("ed_identity".into(), Value::String(c.ed_identity.clone()));
                t.insert(
                    "orports".into(),
                    Value::Array(c.orports.iter().cloned().map(Value::String).collect()),
                );
                Value::Table(t)
            })
            .collect();
        let mut authorities = Table::new();
        authorities.insert(
            "v3idents".into(),
            Value::Array(
                self.authority_v3idents
                    .iter()
                    .cloned()
                    .map(Value::String)
                    .collect(),
            ),
        );
        let mut tor_network = Table::new();
        tor_network.insert("fallback_caches".into(), Value::Array(caches));
        tor_network.insert("authorities".into(), Value::Table(authorities));
        let mut path_rules = Table::new();
        path_rules.insert(
            "ipv4_subnet_family_prefix".into(),
            Value::Integer(self.ipv4_subnet_family_prefix.into()),
        );
        path_rules.insert(
            "ipv6_subnet_family_prefix".into(),
            Value::Integer(self.ipv6_subnet_family_prefix.into()),
        );
        let mut address_filter = Table::new();
        address_filter.insert(
            "allow_local_addrs".into(),
            Value::Boolean(self.allow_local_addrs),
        );
        let mut root = Table::new();
        root.insert("tor_network".into(), Value::Table(tor_network));
        root.insert("path_rules".into(), Value::Table(path_rules));
        root.insert("address_filter".into(), Value::Table(address_filter));
        if let Some(minutes) = self.hsdir_interval {
            let mut params = Table::new();
            params.insert("hsdir_interval".into(), Value::Integer(minutes.into()));
            root.insert("override_net_params".into(), Value::Table(params));
        }
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTI_TOML: &str = r#"
[storage]
cache_dir = "/tmp/x/arti-cache"
state_dir = "/tmp/x/arti-state"

[tor_network]
fallback_caches = [
  { rsa_identity = "0123456789ABCDEF0123456789ABCDEF01234567", ed_identity = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", orports = ["127.0.0.1:5100"] },
]

[tor_network.authorities]
v3idents = ["89ABCDEF0123456789ABCDEF0123456789ABCDEF"]

[path_rules]
ipv4_subnet_family_prefix = 33
ipv6_subnet_family_prefix = 129

[address_filter]
allow_local_addrs = true

[override_net_params]
hsdir_interval = 8
"#;

    #[test]
    fn reads_the_testnet_arti_toml() {
        let net = PrivateNetwork::from_arti_toml(ARTI_TOML).expect("parses");
        assert_eq!(net.authority_v3idents.len(), 1);
        assert_eq!(net.fallback_caches[0].orports, vec!["127.0.0.1:5100"]);
        assert_eq!(net.ipv4_subnet_family_prefix, 33);
        assert!(net.allow_local_addrs);
        assert_eq!(net.hsdir_interval, Some(8));
        let table = net.arti_config_table();
        assert!(table.contains_key("tor_network"));
        // Round trip through our own (deny_unknown_fields) form.
        let text = toml::to_string(&net).expect("serializes");
        let back: PrivateNetwork = toml::from_str(&text).expect("parses back");
        assert_eq!(back, net);
    }

    #[test]
    fn refuses_non_loopback_orports() {
        let text = ARTI_TOML.replace("127.0.0.1:5100", "192.0.2.7:5100");
        let err = PrivateNetwork::from_arti_toml(&text).expect_err("refused");
        assert!(err.to_string().contains("loopback"), "{err}");
    }
}
