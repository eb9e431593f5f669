//! Which URLs a transport may fetch, decided from the URL alone, before any socket is opened.
//!
//! The rules (DESIGN.md, "Safety rules"):
//! - an onion URL goes only through Tor; with the direct transport it is refused — unless the
//!   operator mapped that very host to a loopback port for a test or the demo;
//! - the direct transport reaches loopback only: a non-loopback IP literal is refused, and a
//!   host name is served only if it is `localhost` or listed in the loopback map. It never
//!   asks DNS, so no lookup can reveal what the crawler is about to visit;
//! - redirects stay inside a [`Scope`] and each hop is checked again by the same policy.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;

use reqwest::Url;

use super::error::PolicyViolation;

/// The host of `url`, lower case, without a trailing dot (`None` for IP literals).
fn domain_of(url: &Url) -> Option<String> {
    match url.host()? {
        url::Host::Domain(d) => Some(d.trim_end_matches('.').to_ascii_lowercase()),
        _ => None,
    }
}

/// Whether `host` is an onion service name (any label count, `.onion` last).
pub fn is_onion_host(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "onion" || h.ends_with(".onion")
}

/// The IP of an IP-literal URL host.
fn ip_of(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(a) => Some(IpAddr::V4(a)),
        url::Host::Ipv6(a) => Some(IpAddr::V6(a)),
        url::Host::Domain(_) => None,
    }
}

/// Loopback in the strict sense: 127.0.0.0/8, ::1 and IPv4-mapped 127/8 (not 0.0.0.0).
pub fn is_loopback_ip(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// The URL rules of one transport.
#[derive(Clone, Debug)]
pub struct UrlPolicy {
    tor: bool,
    loopback_hosts: Arc<BTreeMap<String, u16>>,
}

impl UrlPolicy {
    /// For the Tor transports: any http(s) URL, names resolved inside Tor.
    pub fn tor() -> UrlPolicy {
        UrlPolicy {
            tor: true,
            loopback_hosts: Arc::default(),
        }
    }

    /// For the direct transport: loopback IPs, `localhost`, and the mapped host names.
    pub fn direct(loopback_hosts: Arc<BTreeMap<String, u16>>) -> UrlPolicy {
        UrlPolicy {
            tor: false,
            loopback_hosts,
        }
    }

    /// Check `url`; called for the first URL and again for every redirect target.
    pub fn check(&self, url: &Url) -> Result<(), PolicyViolation> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(PolicyViolation::UnsupportedScheme);
        }
        if url.host().is_none() {
            return Err(PolicyViolation::NoHost);
        }
        if self.tor {
            return Ok(());
        }
        if let Some(ip) = ip_of(url) {
            return if is_loopback_ip(ip) {
                Ok(())
            } else {
                Err(PolicyViolation::NonLoopbackAddress)
            };
        }
        let host = domain_of(url).unwrap_or_default();
        if self.loopback_hosts.contains_key(&host) {
            return Ok(());
        }
        if is_onion_host(&host) {
            return Err(PolicyViolation::OnionWithoutTor);
        }
        if host == "localhost" {
            return Ok(());
        }
        Err(PolicyViolation::UnmappedHostName)
    }
}

/// The hosts a fetch may be redirected to (a site's onion host and its mirrors).
/// An empty scope means "the host of the requested URL only".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    hosts: BTreeSet<String>,
}

impl Scope {
    /// A scope of these hosts (compared without case and trailing dot; ports ignored).
    pub fn new<I, S>(hosts: I) -> Scope
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Scope {
            hosts: hosts
                .into_iter()
                .map(|h| normalize_host(h.as_ref()))
                .collect(),
        }
    }

    /// Whether a redirect from `from` to `to` stays inside the scope.
    pub fn allows(&self, from: &Url, to: &Url) -> bool {
        let Some(to_host) = to.host_str().map(normalize_host) else {
            return false;
        };
        if self.hosts.is_empty() {
            return from.host_str().map(normalize_host) == Some(to_host);
        }
        self.hosts.contains(&to_host)
    }

    /// The hosts, normalized.
    pub fn hosts(&self) -> impl Iterator<Item = &str> {
        self.hosts.iter().map(String::as_str)
    }
}

fn normalize_host(h: &str) -> String {
    h.trim_end_matches('.')
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        s.parse().expect("test URL")
    }

    const ONION: &str = "http://fmy3lmrog4mkokadnrmidlpzz72tg5xgmlly2ruvlrgv25jsnqbwbkqd.onion/x";

    #[test]
    fn direct_refuses_onions_and_non_loopback() {
        let p = UrlPolicy::direct(Arc::default());
        assert_eq!(p.check(&url(ONION)), Err(PolicyViolation::OnionWithoutTor));
        assert_eq!(
            p.check(&url("http://FMY3.ONION./")),
            Err(PolicyViolation::OnionWithoutTor)
        );
        for bad in [
            "http://203.0.113.9/",
            "http://0.0.0.0:8080/",
            "http://[2001:db8::1]/",
            "http://10.0.0.1/",
        ] {
            assert_eq!(
                p.check(&url(bad)),
                Err(PolicyViolation::NonLoopbackAddress),
                "{bad}"
            );
        }
        assert_eq!(
            p.check(&url("http://example.com/")),
            Err(PolicyViolation::UnmappedHostName)
        );
        for good in [
            "http://127.0.0.1:8080/",
            "http://127.9.9.9/",
            "http://[::1]:80/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:1/",
        ] {
            assert_eq!(p.check(&url(good)), Ok(()), "{good}");
        }
        assert_eq!(
            p.check(&url("file:///etc/passwd")),
            Err(PolicyViolation::UnsupportedScheme)
        );
    }

    #[test]
    fn mapped_onion_hosts_are_served_by_direct() {
        let mut map = BTreeMap::new();
        map.insert(
            "fmy3lmrog4mkokadnrmidlpzz72tg5xgmlly2ruvlrgv25jsnqbwbkqd.onion".to_string(),
            8080,
        );
        let p = UrlPolicy::direct(Arc::new(map));
        assert_eq!(p.check(&url(ONION)), Ok(()));
        assert_eq!(
            p.check(&url("http://other.onion/")),
            Err(PolicyViolation::OnionWithoutTor)
        );
    }

    #[test]
    fn tor_allows_onions() {
        assert_eq!(UrlPolicy::tor().check(&url(ONION)), Ok(()));
    }

    #[test]
    fn scope() {
        let a = url("http://a.onion/x");
        let empty = Scope::default();
        assert!(empty.allows(&a, &url("http://A.onion./y")));
        assert!(!empty.allows(&a, &url("http://b.onion/")));
        let s = Scope::new(["a.onion", "b.onion"]);
        assert!(s.allows(&a, &url("http://b.onion/")));
        assert!(!s.allows(&a, &url("http://c.onion/")));
    }
}
