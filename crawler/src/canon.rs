//! Canonical URLs for the frontier's seen-set.
//!
//! Onion markets and forums hand out the same page under many spellings: a fresh session id
//! in every link, query parameters in whatever order the template wrote them, `%7e` here and
//! `~` there, fragments for in-page anchors. Deduplicating on the raw string would fetch each
//! page many times through slow Tor circuits and, worse, never terminate on sites that mint a
//! new session id per request. The canonical form is only a *key*: which spelling the crawler
//! actually fetches (some sites need their `sid` in the URL) is the caller's decision.
//!
//! Only transformations that cannot change which resource a server returns are applied, with
//! one deliberate exception: session-id parameters, which change nothing but who is asking.

use serde::{Deserialize, Serialize};
use url::Url;

/// A value of a [`CanonRules::token_params`] parameter is taken for a session token from this
/// length on: shorter values are more likely a search term or a page selector.
const MIN_TOKEN_LEN: usize = 32;

/// Which query and path parameters carry session state rather than content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CanonRules {
    /// Parameter names (compared ASCII case-insensitively) dropped whatever their value,
    /// from the query and from `;name=value` path parameters alike.
    pub session_params: Vec<String>,
    /// Parameter names too common to drop blindly — `s` is also many sites' search box —
    /// dropped only when their value looks like a session token (32 or more ASCII letters
    /// and digits).
    pub token_params: Vec<String>,
}

impl Default for CanonRules {
    fn default() -> Self {
        let session_params = [
            "sid",
            "phpsessid",
            "jsessionid",
            "sessionid",
            "session_id",
            "sess",
            "oscsid",
            "zenid",
            "cfid",
            "cftoken",
        ];
        Self {
            session_params: session_params.iter().map(|s| (*s).to_owned()).collect(),
            token_params: vec!["s".to_owned()],
        }
    }
}

/// The key under which the frontier remembers `url`, or `None` for schemes it never crawls.
///
/// Idempotent: `canonical(&canonical(u)?) == canonical(u)`, so keys can be recomputed from
/// stored keys after the rules are unchanged.
pub fn canonical(url: &Url, rules: &CanonRules) -> Option<Url> {
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    // The url crate has already lower-cased the scheme and host, removed dot segments,
    // turned an empty path into "/" and dropped a port equal to the scheme's default.
    let mut out = url.clone();
    out.set_fragment(None);
    // Credentials in a link identify the visitor, not the page (and must not end up in the
    // seen-set, which is written to disk).
    out.set_username("").ok()?;
    out.set_password(None).ok()?;
    if out.port().is_some() && out.port() == default_port(out.scheme()) {
        out.set_port(None).ok()?;
    }

    let path = canonical_path(out.path(), rules);
    // Re-setting the path also removes dot segments that stripping `;jsessionid=` exposed.
    out.set_path(&path);

    let query = out.query().map(|q| canonical_query(q, rules));
    out.set_query(query.as_deref().filter(|q| !q.is_empty()));
    Some(out)
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

fn canonical_path(path: &str, rules: &CanonRules) -> String {
    let stripped: Vec<String> = path
        .split('/')
        .map(|segment| strip_session_path_params(segment, rules))
        .collect();
    let normalized = normalize_escapes(&stripped.join("/"));
    if normalized.is_empty() {
        "/".to_owned()
    } else {
        normalized
    }
}

/// Java servlet containers put the session in the path (`/shop;jsessionid=…`); other
/// `;name=value` matrix parameters may select content and are kept.
fn strip_session_path_params(segment: &str, rules: &CanonRules) -> String {
    let mut parts = segment.split(';');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for param in parts {
        if !is_session_entry(param, rules) {
            out.push(';');
            out.push_str(param);
        }
    }
    out
}

/// Entries are compared on their raw (escape-normalised) text rather than re-serialised
/// from decoded pairs: `+` and `%20`, or `a` and `a=`, may mean different things to a
/// server, so they stay distinct.
fn canonical_query(query: &str, rules: &CanonRules) -> String {
    let mut entries: Vec<(String, String, bool)> = query
        .split('&')
        .filter(|entry| !entry.is_empty() && !is_session_entry(entry, rules))
        .map(|entry| {
            let entry = normalize_escapes(entry);
            match entry.split_once('=') {
                Some((name, value)) => (name.to_owned(), value.to_owned(), true),
                None => (entry, String::new(), false),
            }
        })
        .collect();
    // Duplicates are kept (`?tag=a&tag=b` is a list); the third key orders `a` before `a=`
    // so that the result does not depend on the input order.
    entries.sort();
    let parts: Vec<String> = entries
        .into_iter()
        .map(|(name, value, has_eq)| {
            if has_eq {
                format!("{name}={value}")
            } else {
                name
            }
        })
        .collect();
    parts.join("&")
}

fn is_session_entry(entry: &str, rules: &CanonRules) -> bool {
    let Some((name, value)) = url::form_urlencoded::parse(entry.as_bytes()).next() else {
        return false;
    };
    let named = |list: &[String]| list.iter().any(|p| p.eq_ignore_ascii_case(&name));
    named(&rules.session_params) || (named(&rules.token_params) && looks_like_token(&value))
}

fn looks_like_token(value: &str) -> bool {
    value.len() >= MIN_TOKEN_LEN && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// RFC 3986 §6.2.2: escapes of unreserved characters are equivalent to the characters
/// themselves, and hex digits in escapes are case-insensitive. Anything else (a `%2F` in a
/// segment, a stray `%`) is significant and left alone.
fn normalize_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let escaped = after
            .get(..2)
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u8::from_str_radix(hex, 16).ok().map(|byte| (hex, byte)));
        match escaped {
            Some((_, byte)) if is_unreserved(byte) => {
                out.push(char::from(byte));
                rest = &after[2..];
            }
            Some((hex, _)) => {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
                rest = &after[2..];
            }
            None => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONION: &str = "fmy3lmrog4mkokadnrmidlpzz72tg5xgmlly2ruvlrgv25jsnqbwbkqd.onion";

    fn canon(s: &str) -> Option<String> {
        let url = Url::parse(s).expect("test URL parses");
        canonical(&url, &CanonRules::default()).map(String::from)
    }

    fn canon_str(s: &str) -> String {
        canon(s).expect("http(s) URL has a canonical form")
    }

    #[test]
    fn only_http_and_https() {
        assert_eq!(canon("ftp://example.org/x"), None);
        assert_eq!(canon("mailto:a@example.org"), None);
        assert_eq!(canon("javascript:void(0)"), None);
        assert_eq!(canon("data:text/plain,hi"), None);
        assert_eq!(canon_str("http://a.onion/"), "http://a.onion/");
        assert_eq!(canon_str("https://a.onion/"), "https://a.onion/");
    }

    #[test]
    fn lower_cases_scheme_and_host() {
        assert_eq!(
            canon_str(&format!("HTTP://{}/Producto/X.html", ONION.to_uppercase())),
            format!("http://{ONION}/Producto/X.html")
        );
    }

    #[test]
    fn drops_default_ports_only() {
        assert_eq!(canon_str("http://a.onion:80/x"), "http://a.onion/x");
        assert_eq!(canon_str("https://a.onion:443/x"), "https://a.onion/x");
        assert_eq!(canon_str("http://a.onion:443/x"), "http://a.onion:443/x");
        assert_eq!(canon_str("https://a.onion:80/x"), "https://a.onion:80/x");
        assert_eq!(canon_str("http://a.onion:8080/x"), "http://a.onion:8080/x");
    }

    #[test]
    fn drops_fragment_and_userinfo() {
        assert_eq!(canon_str("http://a.onion/x#top"), "http://a.onion/x");
        assert_eq!(canon_str("http://a.onion/x#"), "http://a.onion/x");
        assert_eq!(canon_str("http://user:pw@a.onion/x"), "http://a.onion/x");
        assert_eq!(canon_str("http://user@a.onion/x"), "http://a.onion/x");
    }

    #[test]
    fn removes_dot_segments_and_fills_empty_path() {
        assert_eq!(canon_str("http://a.onion/a/./b/../c"), "http://a.onion/a/c");
        assert_eq!(canon_str("http://a.onion/a/%2e%2E/c"), "http://a.onion/c");
        assert_eq!(canon_str("http://a.onion"), "http://a.onion/");
        assert_eq!(canon_str("http://a.onion?x=1"), "http://a.onion/?x=1");
    }

    #[test]
    fn normalizes_percent_escapes_in_path() {
        assert_eq!(
            canon_str("http://a.onion/%41%7e%2d%5F"),
            "http://a.onion/A~-_"
        );
        assert_eq!(canon_str("http://a.onion/a%2fb"), "http://a.onion/a%2Fb");
        assert_eq!(
            canon_str("http://a.onion/caf%c3%a9"),
            "http://a.onion/caf%C3%A9"
        );
        // Non-ASCII is escaped by the url crate, so it meets the same rule.
        assert_eq!(canon_str("http://a.onion/café"), "http://a.onion/caf%C3%A9");
        // A stray percent sign is data, not an escape.
        assert_eq!(canon_str("http://a.onion/100%/x"), "http://a.onion/100%/x");
    }

    #[test]
    fn normalizes_percent_escapes_in_query() {
        assert_eq!(
            canon_str("http://a.onion/s?q=%61%62%2b&r=%3d"),
            "http://a.onion/s?q=ab%2B&r=%3D"
        );
        // `+` and `%20` stay distinct: not every server decodes `+` as a space.
        assert_eq!(
            canon_str("http://a.onion/s?q=a+b&q=a%20b"),
            "http://a.onion/s?q=a%20b&q=a+b"
        );
    }

    #[test]
    fn sorts_query_by_name_then_value_keeping_duplicates() {
        assert_eq!(
            canon_str("http://a.onion/l?b=2&a=1&c=3"),
            "http://a.onion/l?a=1&b=2&c=3"
        );
        assert_eq!(
            canon_str("http://a.onion/l?tag=z&tag=a&tag=z"),
            "http://a.onion/l?tag=a&tag=z&tag=z"
        );
        assert_eq!(
            canon_str("http://a.onion/l?a1=0&a=1"),
            "http://a.onion/l?a=1&a1=0"
        );
        assert_eq!(canon_str("http://a.onion/l?a=&a"), "http://a.onion/l?a&a=");
        assert_eq!(canon_str("http://a.onion/l?a&a="), "http://a.onion/l?a&a=");
        assert_eq!(
            canon(&format!("http://{ONION}/producto/x.html?b=2&a=1#top")),
            canon(&format!("http://{ONION}/producto/x.html?a=1&b=2"))
        );
    }

    #[test]
    fn drops_empty_query_and_empty_entries() {
        assert_eq!(canon_str("http://a.onion/x?"), "http://a.onion/x");
        assert_eq!(canon_str("http://a.onion/x?&&"), "http://a.onion/x");
        assert_eq!(
            canon_str("http://a.onion/x?b=1&&a=2&"),
            "http://a.onion/x?a=2&b=1"
        );
    }

    #[test]
    fn drops_session_query_params_case_insensitively() {
        let sid = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            canon_str(&format!("http://a.onion/viewtopic.php?f=2&t=155&sid={sid}")),
            "http://a.onion/viewtopic.php?f=2&t=155"
        );
        assert_eq!(
            canon_str("http://a.onion/x?PHPSESSID=abc&id=7&osCsid=q&zenid=1&CFID=2&CFTOKEN=3"),
            "http://a.onion/x?id=7"
        );
        assert_eq!(
            canon_str("http://a.onion/x?sessionid=1&session_id=2&sess=3&JSESSIONID=4"),
            "http://a.onion/x"
        );
        // An escaped name is still the same name.
        assert_eq!(
            canon_str("http://a.onion/x?%53ID=abc&a=1"),
            "http://a.onion/x?a=1"
        );
    }

    #[test]
    fn drops_s_only_when_it_looks_like_a_token() {
        let token = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6";
        assert_eq!(
            canon_str(&format!("http://a.onion/index.php?s={token}&topic=4")),
            "http://a.onion/index.php?topic=4"
        );
        assert_eq!(
            canon_str("http://a.onion/?s=cocaina"),
            "http://a.onion/?s=cocaina"
        );
        // 31 characters: too short to be taken for a token.
        assert_eq!(
            canon_str("http://a.onion/?s=a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"),
            "http://a.onion/?s=a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"
        );
    }

    #[test]
    fn drops_session_path_params() {
        assert_eq!(
            canon_str("http://a.onion/shop;jsessionid=0A1B2C3D?item=4"),
            "http://a.onion/shop?item=4"
        );
        assert_eq!(
            canon_str("http://a.onion/a/b.jsp;JSESSIONID=xyz"),
            "http://a.onion/a/b.jsp"
        );
        // Other matrix parameters may select content.
        assert_eq!(
            canon_str("http://a.onion/a;color=red;jsessionid=x/b"),
            "http://a.onion/a;color=red/b"
        );
        // Stripping may expose a dot segment; it is then resolved.
        assert_eq!(
            canon_str("http://a.onion/a/..;jsessionid=x/b"),
            "http://a.onion/b"
        );
    }

    #[test]
    fn rules_are_configurable() {
        let rules = CanonRules {
            session_params: vec!["Token".to_owned()],
            token_params: Vec::new(),
        };
        let url = Url::parse("http://a.onion/x?token=1&sid=2").expect("parses");
        assert_eq!(
            canonical(&url, &rules).map(String::from).as_deref(),
            Some("http://a.onion/x?sid=2")
        );
    }

    #[test]
    fn onion_example_from_the_frontier() {
        assert_eq!(
            canon_str(&format!("http://{ONION}/producto/x.html?b=2&a=1#top")),
            format!("http://{ONION}/producto/x.html?a=1&b=2")
        );
    }

    const VARIED: &[&str] = &[
        "http://fmy3lmrog4mkokadnrmidlpzz72tg5xgmlly2ruvlrgv25jsnqbwbkqd.onion/producto/x.html?b=2&a=1#top",
        "HTTP://FMY3LMROG4MKOKADNRMIDLPZZ72TG5XGMLLY2RUVLRGV25JSNQBWBKQD.ONION:80/",
        "http://fmy3lmrog4mkokadnrmidlpzz72tg5xgmlly2ruvlrgv25jsnqbwbkqd.onion",
        "http://fmy3lmrog4mkokadnrmidlpzz72tg5xgmlly2ruvlrgv25jsnqbwbkqd.onion?",
        "https://duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/?q=peru&ia=web",
        "http://a.onion/viewtopic.php?f=2&t=155&start=20&sid=0123456789abcdef0123456789abcdef",
        "http://a.onion/ucp.php?mode=login&sid=abc&redirect=index.php",
        "http://a.onion/index.php?PHPSESSID=deadbeef&action=forum",
        "http://a.onion/shop;jsessionid=0A1B2C3D4E?cat=5",
        "http://a.onion/a;color=red;jsessionid=x/b;v=1",
        "http://a.onion/a/..;jsessionid=x/b",
        "http://a.onion/a/./b/../../c/",
        "http://a.onion/a/%2e%2E/c",
        "http://a.onion/%41%42%7e%2d%2e%5f",
        "http://a.onion/a%2fb%2Fc",
        "http://a.onion/caf%c3%a9/ni%C3%B1o",
        "http://a.onion/café/niño?q=señor",
        "http://a.onion/100%/x?p=50%",
        "http://a.onion/%zz/%4",
        "http://a.onion/%2541",
        "http://a.onion/s?q=a+b&q=a%20b&q=a b",
        "http://a.onion/s?q=%61%62%2b&r=%3d",
        "http://a.onion/l?tag=z&tag=a&tag=z",
        "http://a.onion/l?a=&a&a=1&a1=0",
        "http://a.onion/l?&&b=1&&a=2&",
        "http://a.onion/l?=x&=&b",
        "http://a.onion/x?%53ID=abc&a=1",
        "http://a.onion/x?s=a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6&s=cocaina",
        "http://a.onion/x?osCsid=1&zenid=2&CFID=3&cftoken=4",
        "http://user:pass@a.onion:8080/private?x=1",
        "https://a.onion:443/secure/#frag",
        "https://a.onion:80/odd",
        "http://127.0.0.1:8080/sample/page?id=3&ID=2",
        "http://[::1]:80/ipv6",
        "http://[::1]:8443/ipv6?b&a",
        "http://xn--nio-8ma.example/unicode",
        "http://niño.example/unicode",
        "http://a.onion/path//double//slashes/",
        "http://a.onion/trailing/",
        "http://a.onion/trailing",
        "http://a.onion/d/PeruDNM/page/3?sort=new&dir=asc",
        "http://a.onion/search?q=%22coca%22&order=%3Cprice",
        "http://a.onion/x?redirect=http%3A%2F%2Fb.onion%2F%3Fa%3D1",
        "http://a.onion/x?a=1;b=2&c",
        "http://a.onion/x?q='quote'&r=\"dq\"",
        "http://a.onion/%7Euser/~other/",
        "http://a.onion/a\\b\\c",
        "http://a.onion/x#%41",
    ];

    #[test]
    fn idempotent_over_varied_urls() {
        assert!(VARIED.len() >= 40);
        for raw in VARIED {
            let once = canon(raw).unwrap_or_else(|| panic!("{raw} has a canonical form"));
            let twice = canon(&once).unwrap_or_else(|| panic!("{once} has a canonical form"));
            assert_eq!(once, twice, "not idempotent for {raw}");
            // Re-parsing the key gives back the same key (it is stored as text).
            assert_eq!(Url::parse(&once).map(String::from).ok(), Some(once.clone()));
        }
    }
}
