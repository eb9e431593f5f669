//! What the engine needs to know of one site, already checked and resolved.

use std::time::Duration;

use centinela_parsers::registry::ParserChoice;

use crate::canon::CanonRules;
use crate::cookies::Cookie;
use crate::transport::Url;
use crate::traps::TrapRules;

#[derive(Clone, Debug)]
pub struct SiteLimits {
    /// Pages per pass.
    pub max_pages: u32,
    /// Link hops from a start URL.
    pub max_depth: u32,
    /// Requests in flight at once.
    pub concurrency: u32,
    /// Pause between two requests to the site.
    pub delay: Duration,
}

#[derive(Debug)]
pub struct SitePlan {
    pub name: String,
    /// The onion hosts, first the main one; the crawl never leaves them.
    pub hosts: Vec<String>,
    /// Mirror hosts: in scope, and read as the main host (a mirror serves the same pages).
    pub mirrors: Vec<String>,
    pub start_urls: Vec<Url>,
    pub parser: ParserChoice,
    pub limits: SiteLimits,
    pub canon: CanonRules,
    pub traps: TrapRules,
    /// The persona whose cookie jar and circuits the crawl uses.
    pub persona: String,
    /// Cookies exported from Tor Browser, loaded into the persona's jar before the crawl.
    pub cookies: Vec<Cookie>,
}

impl SitePlan {
    /// Whether `host` belongs to the site.
    pub fn in_scope(&self, host: &str) -> bool {
        self.hosts
            .iter()
            .chain(&self.mirrors)
            .any(|h| h.eq_ignore_ascii_case(host))
    }

    /// `url` in the form the frontier keys it by: canonical, mirrors read as the main
    /// host. `None` for URLs outside the site.
    pub fn frontier_url(&self, url: &Url) -> Option<Url> {
        let host = url.host_str()?;
        if !self.in_scope(host) {
            return None;
        }
        let mut canonical = crate::canon::canonical(url, &self.canon)?;
        if self.mirrors.iter().any(|m| m.eq_ignore_ascii_case(host)) {
            if let Some(main) = self.hosts.first() {
                canonical.set_host(Some(main)).ok()?;
            }
        }
        Some(canonical)
    }
}
