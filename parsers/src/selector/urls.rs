//! Resolving the links of a page against its URL (RFC 3986, section 5.2), without a URL
//! crate: pages are hostile, so anything that is not plain `http`/`https` is refused
//! here (`javascript:`, `data:`, `mailto:`, `file:`) rather than passed on to a crawler.

/// `href` made absolute against `base`; `None` for schemes other than http(s) or an
/// unusable base. The fragment is kept (post permalinks need it).
pub fn resolve(base: &str, href: &str) -> Option<String> {
    let href = href.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    let base = Parts::of(base)?;
    if let Some(scheme) = scheme_of(href) {
        let lower = scheme.to_ascii_lowercase();
        if lower != "http" && lower != "https" {
            return None;
        }
        let rest = &href[scheme.len() + 1..];
        let full = format!("{lower}:{rest}");
        let parts = Parts::of(&full)?;
        return Some(parts.join(&remove_dots(parts.path)));
    }
    if let Some(rest) = href.strip_prefix("//") {
        let full = format!("{}://{rest}", base.scheme);
        let parts = Parts::of(&full)?;
        return Some(parts.join(&remove_dots(parts.path)));
    }
    let (path_part, tail) = split_tail(href);
    let path = if path_part.is_empty() {
        if tail.starts_with('#') {
            return Some(format!("{}{}{}", base.origin(), base.path, strip_frag(base.tail)) + tail);
        }
        base.path.to_string()
    } else if path_part.starts_with('/') {
        remove_dots(path_part)
    } else {
        let dir = &base.path[..base.path.rfind('/').map_or(0, |i| i + 1)];
        let dir = if dir.is_empty() { "/" } else { dir };
        remove_dots(&format!("{dir}{path_part}"))
    };
    Some(format!("{}{path}{tail}", base.origin()))
}

/// `url` without its `#fragment`.
pub fn strip_fragment(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

fn strip_frag(tail: &str) -> &str {
    strip_fragment(tail)
}

/// The path and query of an absolute URL (`/a/b.html?x=1`), `/` when it has none.
pub fn path_and_query(url: &str) -> String {
    match Parts::of(url) {
        Some(p) => format!("{}{}", p.path, strip_frag(p.tail)),
        None => "/".to_string(),
    }
}

struct Parts<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
    /// `?query#fragment`, either part optional.
    tail: &'a str,
}

impl<'a> Parts<'a> {
    fn of(url: &'a str) -> Option<Parts<'a>> {
        let scheme = scheme_of(url)?;
        let rest = url[scheme.len() + 1..].strip_prefix("//")?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, after) = rest.split_at(end);
        if authority.is_empty() {
            return None;
        }
        let (path, tail) = split_tail(after);
        let path = if path.is_empty() { "/" } else { path };
        Some(Parts {
            scheme,
            authority,
            path,
            tail,
        })
    }

    fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority.to_ascii_lowercase())
    }

    fn join(&self, path: &str) -> String {
        format!("{}{path}{}", self.origin(), self.tail)
    }
}

fn scheme_of(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (first_ok && rest_ok).then_some(scheme)
}

fn split_tail(s: &str) -> (&str, &str) {
    let i = s.find(['?', '#']).unwrap_or(s.len());
    s.split_at(i)
}

/// RFC 3986 5.2.4, on a path that starts with `/`.
fn remove_dots(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://abc.onion/producto/x.html?id=3#top";

    #[test]
    fn relative_forms() {
        assert_eq!(
            resolve(BASE, "y.html").as_deref(),
            Some("http://abc.onion/producto/y.html")
        );
        assert_eq!(
            resolve(BASE, "../vendedor/v.html").as_deref(),
            Some("http://abc.onion/vendedor/v.html")
        );
        assert_eq!(resolve(BASE, "/").as_deref(), Some("http://abc.onion/"));
        assert_eq!(
            resolve(BASE, "./a/./b/../c.html").as_deref(),
            Some("http://abc.onion/producto/a/c.html")
        );
        assert_eq!(
            resolve(BASE, "?p=2").as_deref(),
            Some("http://abc.onion/producto/x.html?p=2")
        );
        assert_eq!(
            resolve(BASE, "#p151").as_deref(),
            Some("http://abc.onion/producto/x.html?id=3#p151")
        );
        assert_eq!(
            resolve(BASE, "//other.onion/a").as_deref(),
            Some("http://other.onion/a")
        );
        assert_eq!(
            resolve("http://abc.onion", "a.html").as_deref(),
            Some("http://abc.onion/a.html")
        );
    }

    #[test]
    fn absolute_and_refused() {
        assert_eq!(
            resolve(BASE, "HTTP://Abc.onion/x").as_deref(),
            Some("http://abc.onion/x")
        );
        assert_eq!(resolve(BASE, "javascript:alert(1)"), None);
        assert_eq!(resolve(BASE, " JaVaScRiPt:void(0)"), None);
        assert_eq!(resolve(BASE, "data:text/html,hi"), None);
        assert_eq!(resolve(BASE, "mailto:a@b.c"), None);
        assert_eq!(resolve("not a url", "a.html"), None);
    }

    #[test]
    fn path_and_query_of_urls() {
        assert_eq!(path_and_query(BASE), "/producto/x.html?id=3");
        assert_eq!(path_and_query("http://abc.onion"), "/");
    }
}
