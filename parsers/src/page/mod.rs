//! One fetched page, parsed once and shared by the classifier, the parsers and the
//! extractors.
//!
//! [`Page::parse`] decodes the bytes the way [`crate::text::html::decode_bytes`] does
//! (valid UTF-8 wins over a lying `<meta charset>`), builds the tree with html5ever as a
//! browser with scripting disabled would (Tor users browse without JavaScript, so
//! `<noscript>` content is markup, not text), and flattens it into a [`Dom`] whose
//! visible text and per-node slices every heuristic reads. Hostile input never panics:
//! html5ever recovers from any markup, and every accessor here is total.

mod dom;
mod links;
pub mod url;

pub use dom::{Children, Dom, DomNode};
pub use links::Link;

use html5ever::tendril::TendrilSink;
use scraper::{node::Element, Html, HtmlTreeSink};

/// A parsed page: its address, its bytes as captured, the html5ever tree and its flat
/// [`Dom`].
pub struct Page {
    url: String,
    bytes: Vec<u8>,
    html: Html,
    dom: Dom,
    encoding: &'static str,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("url", &self.url)
            .field("bytes", &self.bytes.len())
            .field("nodes", &self.dom.nodes.len())
            .field("encoding", &self.encoding)
            .finish()
    }
}

impl Page {
    /// Parses `bytes` fetched from `url` (an absolute URL, or empty when unknown: then
    /// relative links cannot be resolved and are left out).
    pub fn parse(url: &str, bytes: &[u8]) -> Page {
        let (text, _map, encoding) = crate::text::html::decode_bytes(bytes);
        let html = parse_html(&text);
        let dom = Dom::build(&html);
        Page {
            url: url.to_string(),
            bytes: bytes.to_vec(),
            html,
            dom,
            encoding: encoding.name(),
        }
    }

    /// The address the page was fetched from, as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The page exactly as captured: extractor offsets point into these bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The name of the encoding the bytes were decoded with.
    pub fn encoding(&self) -> &'static str {
        self.encoding
    }

    pub fn html(&self) -> &Html {
        &self.html
    }

    pub fn dom(&self) -> &Dom {
        &self.dom
    }

    /// The page's visible text (see [`Dom::text`]).
    pub fn visible_text(&self) -> &str {
        &self.dom.text
    }

    /// The visible text under node `i`, trimmed.
    pub fn text_of(&self, i: usize) -> &str {
        self.dom.text_of(i)
    }

    pub fn tag(&self, i: usize) -> &str {
        self.dom.tag(i)
    }

    /// The element behind node `i`, if it is one.
    pub fn element(&self, i: usize) -> Option<&Element> {
        let id = self.dom.nodes.get(i)?.id;
        self.html.tree.get(id)?.value().as_element()
    }

    /// An attribute of node `i`.
    pub fn attr(&self, i: usize, name: &str) -> Option<&str> {
        self.element(i)?.attr(name)
    }

    /// The `class` and `id` attributes of node `i`, lower case, for keyword tests.
    pub fn class_id(&self, i: usize) -> String {
        let mut s = String::new();
        if let Some(e) = self.element(i) {
            if let Some(c) = e.attr("class") {
                s.push_str(c);
            }
            if let Some(id) = e.id() {
                s.push(' ');
                s.push_str(id);
            }
        }
        s.make_ascii_lowercase();
        s
    }

    /// The decoded `<title>`, white space collapsed.
    pub fn title(&self) -> Option<String> {
        let i = (0..self.dom.nodes.len()).find(|&i| self.dom.tag(i) == "title")?;
        let t = collapse(self.text_of(i));
        (!t.is_empty()).then_some(t)
    }

    /// Indices of all elements with tag `tag`, in document order.
    pub fn elements<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = usize> + 'a {
        (0..self.dom.nodes.len()).filter(move |&i| self.dom.tag(i) == tag)
    }

    /// The URL relative links are resolved against: the page's `<base href>` if it has one.
    pub fn base_url(&self) -> String {
        self.elements("base")
            .find_map(|i| self.attr(i, "href"))
            .and_then(|h| url::resolve(&self.url, h))
            .unwrap_or_else(|| self.url.clone())
    }
}

/// Runs html5ever as a browser with scripting disabled would.
fn parse_html(text: &str) -> Html {
    let opts = html5ever::ParseOpts {
        tree_builder: html5ever::tree_builder::TreeBuilderOpts {
            scripting_enabled: false,
            ..Default::default()
        },
        ..Default::default()
    };
    html5ever::driver::parse_document(HtmlTreeSink::new(Html::new_document()), opts).one(text)
}

/// Collapses runs of white space to one space and trims.
pub fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}
