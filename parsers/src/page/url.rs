//! Resolving the links of a page against its address (RFC 3986, section 5.2).
//!
//! Only what a crawler needs: absolute `http`/`https` URLs out, fragments dropped, dot
//! segments removed. Links to other schemes (`javascript:`, `mailto:`, `data:`...) are not
//! pages to crawl and resolve to `None`.

/// The parts of an absolute URL that resolution works with.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Parts<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
    query: Option<&'a str>,
}

/// Splits an absolute `http(s)` URL; `None` for anything else.
fn split_absolute(url: &str) -> Option<Parts<'_>> {
    let colon = url.find(':')?;
    let scheme = &url[..colon];
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let rest = url[colon + 1..].strip_prefix("//")?;
    let rest = rest.split('#').next().unwrap_or("");
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    if authority.is_empty() {
        return None;
    }
    let (path, query) = split_query(&rest[auth_end..]);
    Some(Parts {
        scheme,
        authority,
        path,
        query,
    })
}

fn split_query(s: &str) -> (&str, Option<&str>) {
    match s.find('?') {
        Some(q) => (&s[..q], Some(&s[q + 1..])),
        None => (s, None),
    }
}

/// Whether `href` names a scheme (`javascript:`, `http:` ...) rather than a path.
fn scheme_of(href: &str) -> Option<&str> {
    let colon = href.find(':')?;
    let s = &href[..colon];
    let valid = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(s)
}

/// `href` resolved against `base`, keeping its `#fragment` (a post's permalink is the
/// thread URL plus `#post-id`); `None` as for [`resolve`].
pub fn resolve_with_fragment(base: &str, href: &str) -> Option<String> {
    let clean: String = href
        .trim()
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (rest, fragment) = match clean.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (clean.as_str(), None),
    };
    let resolved = resolve(base, rest)?;
    Some(match fragment {
        Some(f) => format!("{resolved}#{f}"),
        None => resolved,
    })
}

/// `href` resolved against `base`, without its fragment; `None` when the result would not
/// be an `http`/`https` URL (another scheme, an unusable base, an empty host).
pub fn resolve(base: &str, href: &str) -> Option<String> {
    let href: String = href
        .trim()
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let href = href.split('#').next().unwrap_or("");
    if let Some(scheme) = scheme_of(href) {
        let lower = scheme.to_ascii_lowercase();
        if lower != "http" && lower != "https" {
            return None;
        }
        // "http:foo" without "//" is relative in old browsers' eyes; treat as a path.
        if href[scheme.len() + 1..].starts_with("//") {
            return split_absolute(href).map(|p| assemble(&p, &remove_dots(p.path)));
        }
    }
    let b = split_absolute(base)?;
    if let Some(net) = href.strip_prefix("//") {
        return split_absolute(&format!("{}://{}", b.scheme, net))
            .map(|p| assemble(&p, &remove_dots(p.path)));
    }
    if href.is_empty() {
        return Some(assemble(&b, b.path));
    }
    if let Some(q) = href.strip_prefix('?') {
        let p = Parts {
            query: Some(q),
            ..b.clone()
        };
        return Some(assemble(&p, b.path));
    }
    let (path, query) = split_query(href);
    let merged = if path.starts_with('/') {
        path.to_string()
    } else {
        let dir = b.path.rfind('/').map_or("/", |i| &b.path[..=i]);
        let dir = if dir.is_empty() { "/" } else { dir };
        format!("{dir}{path}")
    };
    let p = Parts { query, ..b };
    Some(assemble(&p, &remove_dots(&merged)))
}

fn assemble(p: &Parts<'_>, path: &str) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let mut out = format!(
        "{}://{}{}",
        p.scheme.to_ascii_lowercase(),
        p.authority.to_ascii_lowercase(),
        path
    );
    if let Some(q) = p.query {
        out.push('?');
        out.push_str(q);
    }
    out.replace(' ', "%20")
}

/// RFC 3986 `remove_dot_segments`.
fn remove_dots(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if path.starts_with('/') && !joined.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// The host of an absolute URL, lower case, without port or credentials.
pub fn host(url: &str) -> Option<String> {
    let p = split_absolute(url)?;
    let auth = p.authority.rsplit('@').next().unwrap_or(p.authority);
    let host = auth.split(':').next().unwrap_or(auth);
    Some(host.to_ascii_lowercase())
}

/// The path and query of an absolute URL (`/` at least), for URL hints.
/// `url` without its `#fragment`.
pub fn strip_fragment(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

pub fn path_and_query(url: &str) -> String {
    match split_absolute(url) {
        Some(p) => match p.query {
            Some(q) => format!("{}?{}", p.path, q),
            None => p.path.to_string(),
        },
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://a.onion/b/c/d;p?q";

    #[test]
    fn rfc3986_examples() {
        let cases = [
            ("g", "http://a.onion/b/c/g"),
            ("./g", "http://a.onion/b/c/g"),
            ("g/", "http://a.onion/b/c/g/"),
            ("/g", "http://a.onion/g"),
            ("//g", "http://g/"),
            ("?y", "http://a.onion/b/c/d;p?y"),
            ("g?y", "http://a.onion/b/c/g?y"),
            ("#s", "http://a.onion/b/c/d;p?q"),
            ("..", "http://a.onion/b/"),
            ("../g", "http://a.onion/b/g"),
            ("../../../g", "http://a.onion/g"),
            ("", "http://a.onion/b/c/d;p?q"),
        ];
        for (href, want) in cases {
            assert_eq!(resolve(BASE, href).as_deref(), Some(want), "{href}");
        }
    }

    #[test]
    fn other_schemes_are_not_links() {
        for href in [
            "javascript:void(0)",
            "mailto:a@b.c",
            "data:image/png;base64,xx",
        ] {
            assert_eq!(resolve(BASE, href), None);
        }
        assert_eq!(resolve("", "/x"), None);
        assert_eq!(
            resolve("", "HTTP://X.onion/a#f").as_deref(),
            Some("http://x.onion/a")
        );
    }

    #[test]
    fn host_and_path() {
        assert_eq!(host("http://u@Ab.onion:80/x").as_deref(), Some("ab.onion"));
        assert_eq!(path_and_query("http://a/b?c=1"), "/b?c=1");
    }
}
