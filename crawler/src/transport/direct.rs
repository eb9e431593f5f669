//! The direct transport: loopback only, for the sample sites and the demo.
//!
//! Three locks keep it on this machine: the [`UrlPolicy`] refuses non-loopback IP literals,
//! onion hosts and unknown names before anything is opened; the [`LoopbackResolver`] (used by
//! every client of every transport) answers only `localhost` and the configured map and never
//! asks the system resolver; and there is no proxy. The optional host map (TEST AND DEMO ONLY)
//! serves a named host — typically a sample site's own onion host — from `127.0.0.1:<port>`,
//! like curl's `--resolve`, so sample pages' absolute links work.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::client::{build_error, Transport};
use super::config::TransportKind;
use super::error::FetchError;
use super::isolation::CircuitTag;
use super::policy::UrlPolicy;

/// A resolver that knows only loopback: `localhost` and the given map. It never performs a
/// DNS query. It counts the names it was asked for, so tests can prove a refused URL never
/// reached it.
#[derive(Clone, Debug, Default)]
pub struct LoopbackResolver {
    map: Arc<BTreeMap<String, u16>>,
    lookups: Arc<AtomicU64>,
}

impl LoopbackResolver {
    /// A resolver for `localhost` and `map` (host → loopback port).
    pub fn new(map: Arc<BTreeMap<String, u16>>) -> LoopbackResolver {
        LoopbackResolver {
            map,
            lookups: Arc::default(),
        }
    }

    /// How many names this resolver (and its clones) has been asked for.
    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }
}

impl Resolve for LoopbackResolver {
    fn resolve(&self, name: Name) -> Resolving {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        // Port 0: reqwest puts in the URL's port, or the scheme's default.
        let answer = if let Some(&port) = self.map.get(&host) {
            Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        } else if host == "localhost" {
            Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        } else {
            Err("name resolution outside Tor is disabled; only loopback names are known")
        };
        Box::pin(async move {
            let addr = answer?;
            let addrs: Addrs = Box::new(std::iter::once(addr));
            Ok(addrs)
        })
    }
}

/// The direct, loopback-only transport.
#[derive(Debug)]
pub struct DirectTransport {
    policy: UrlPolicy,
    resolver: LoopbackResolver,
}

impl DirectTransport {
    /// A direct transport; `loopback_hosts` is the TEST AND DEMO ONLY host map.
    pub fn new(loopback_hosts: BTreeMap<String, u16>) -> DirectTransport {
        let map: BTreeMap<String, u16> = loopback_hosts
            .into_iter()
            .map(|(h, p)| (h.trim_end_matches('.').to_ascii_lowercase(), p))
            .collect();
        let map = Arc::new(map);
        DirectTransport {
            policy: UrlPolicy::direct(Arc::clone(&map)),
            resolver: LoopbackResolver::new(map),
        }
    }

    /// Names looked up so far by this transport's clients (for tests: a refused URL must
    /// leave this unchanged).
    pub fn resolver_lookups(&self) -> u64 {
        self.resolver.lookups()
    }
}

impl Transport for DirectTransport {
    fn kind(&self) -> TransportKind {
        TransportKind::Direct
    }

    fn policy(&self) -> &UrlPolicy {
        &self.policy
    }

    fn build_client(
        &self,
        _tag: &CircuitTag,
        base: reqwest::ClientBuilder,
    ) -> Result<reqwest::Client, FetchError> {
        base.no_proxy()
            .dns_resolver(self.resolver.clone())
            .build()
            .map_err(build_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resolves_only_loopback_names() {
        let mut map = BTreeMap::new();
        map.insert("abc.onion".to_string(), 8080);
        let r = LoopbackResolver::new(Arc::new(map));
        let name = |s: &str| s.parse::<Name>().expect("name");
        let addrs: Vec<_> = r
            .resolve(name("ABC.onion"))
            .await
            .expect("mapped")
            .collect();
        assert_eq!(addrs, vec![SocketAddr::from((Ipv4Addr::LOCALHOST, 8080))]);
        let addrs: Vec<_> = r
            .resolve(name("localhost"))
            .await
            .expect("localhost")
            .collect();
        assert_eq!(addrs[0].ip(), Ipv4Addr::LOCALHOST);
        assert!(r.resolve(name("example.com")).await.is_err());
        assert_eq!(r.lookups(), 3);
    }
}
