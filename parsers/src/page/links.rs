//! The outgoing links of a page, as the crawler would consider them.
//!
//! Anchors, image-map areas, frames and a meta refresh target are links; form actions
//! are not (following them would submit forms). Each link is resolved against the page's
//! base URL, loses its fragment, and appears once, with the text of its first anchor.

use super::{collapse, url, Page};
use std::collections::HashSet;

/// One outgoing link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Absolute `http(s)` URL without fragment.
    pub url: String,
    /// The anchor's visible text (or `title`/`alt` when it has none), collapsed.
    pub text: String,
    /// The DOM node the link came from.
    pub node: usize,
}

impl Page {
    /// Every distinct outgoing link, in document order.
    pub fn links(&self) -> Vec<Link> {
        let base = self.base_url();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for i in 0..self.dom().nodes.len() {
            let Some(href) = self.link_target(i) else {
                continue;
            };
            let Some(abs) = url::resolve(&base, href) else {
                continue;
            };
            if seen.insert(abs.clone()) {
                out.push(Link {
                    url: abs,
                    text: self.link_text(i),
                    node: i,
                });
            }
        }
        if let Some(target) = self.meta_refresh().and_then(|(_, t)| t) {
            if let Some(abs) = url::resolve(&base, &target) {
                if seen.insert(abs.clone()) {
                    out.push(Link {
                        url: abs,
                        text: String::new(),
                        node: 0,
                    });
                }
            }
        }
        out
    }

    /// The raw target of node `i` if it is a link element.
    pub fn link_target(&self, i: usize) -> Option<&str> {
        match self.tag(i) {
            "a" | "area" => self.attr(i, "href"),
            "frame" | "iframe" => self.attr(i, "src"),
            _ => None,
        }
    }

    /// What a reader sees of a link: its text, else its `title`, else an image's `alt`.
    pub fn link_text(&self, i: usize) -> String {
        let t = collapse(self.text_of(i));
        if !t.is_empty() {
            return t;
        }
        if let Some(t) = self.attr(i, "title") {
            return collapse(t);
        }
        self.dom()
            .subtree(i)
            .find_map(|j| {
                (self.tag(j) == "img")
                    .then(|| self.attr(j, "alt"))
                    .flatten()
            })
            .map(collapse)
            .unwrap_or_default()
    }

    /// A `<meta http-equiv="refresh">`: its delay in seconds and its target, if any.
    pub fn meta_refresh(&self) -> Option<(u32, Option<String>)> {
        let content = self.elements("meta").find_map(|i| {
            let equiv = self.attr(i, "http-equiv")?;
            equiv
                .eq_ignore_ascii_case("refresh")
                .then(|| self.attr(i, "content"))
                .flatten()
        })?;
        Some(parse_refresh(content))
    }
}

/// Parses `"5; url=/next"` (quotes and spacing vary).
fn parse_refresh(content: &str) -> (u32, Option<String>) {
    let content = content.trim();
    let digits: String = content.chars().take_while(char::is_ascii_digit).collect();
    let delay = digits.parse().unwrap_or(0);
    let rest = content[digits.len()..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let rest = rest.trim_start_matches([';', ',', ' ']).trim();
    let target = if rest.len() >= 4 && rest[..4].eq_ignore_ascii_case("url=") {
        &rest[4..]
    } else {
        rest
    };
    let target = target.trim().trim_matches(['\'', '"']).trim();
    (delay, (!target.is_empty()).then(|| target.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_forms() {
        assert_eq!(parse_refresh("0"), (0, None));
        assert_eq!(parse_refresh("2; /login"), (2, Some("/login".into())));
        assert_eq!(
            parse_refresh("5;URL='http://x.onion/'"),
            (5, Some("http://x.onion/".into()))
        );
    }

    #[test]
    fn links_resolve_dedupe_and_skip_other_schemes() {
        let html = br#"<base href="http://m.onion/shop/"><a href="item?id=1#top">One</a>
            <a href="/item?id=1">dup?</a><a href="item?id=1">Again</a>
            <a href="javascript:go()">js</a><a href="mailto:x@y.z">m</a>
            <a href="data:text/html,x">d</a><a href="//other.onion/"><img alt="Other"></a>"#;
        let page = Page::parse("http://m.onion/index", html);
        let links = page.links();
        let urls: Vec<&str> = links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://m.onion/shop/item?id=1",
                "http://m.onion/item?id=1",
                "http://other.onion/"
            ]
        );
        assert_eq!(links[2].text, "Other");
    }
}
