//! The request headers of Tor Browser, so the crawler looks like the crowd of Tor Browser
//! users rather than like a bot.
//!
//! Tor Browser 15 (Firefox ESR 140) on Windows, the most common platform, with its default
//! English locale spoofing. Two deliberate differences: we do not offer `zstd` (no decoder
//! here; offering it would invite bodies we cannot read), and we send no `Referer`.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// Tor Browser's User-Agent.
pub const TOR_BROWSER_USER_AGENT: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0";

/// Tor Browser's `Accept` for a top-level navigation.
pub const TOR_BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Tor Browser's `Accept-Language` (spoofed to English by default).
pub const TOR_BROWSER_ACCEPT_LANGUAGE: &str = "en-US,en;q=0.5";

/// The encodings we can decode (see the module doc for `zstd`).
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br";

/// The default headers of every request: User-Agent first, in Firefox's order.
pub(crate) fn default_headers(user_agent: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    put("user-agent", user_agent);
    put("accept", TOR_BROWSER_ACCEPT);
    put("accept-language", TOR_BROWSER_ACCEPT_LANGUAGE);
    put("accept-encoding", ACCEPT_ENCODING);
    put("upgrade-insecure-requests", "1");
    put("sec-fetch-dest", "document");
    put("sec-fetch-mode", "navigate");
    put("sec-fetch-site", "none");
    put("sec-fetch-user", "?1");
    put("priority", "u=0, i");
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_all_valid() {
        let h = default_headers(TOR_BROWSER_USER_AGENT);
        assert_eq!(h.len(), 10);
        assert_eq!(h["user-agent"], TOR_BROWSER_USER_AGENT);
        assert_eq!(h["accept-encoding"], "gzip, deflate, br");
    }
}
