//! Reading one field's value out of a record's container.
//!
//! Text is gathered the way a reader sees it: block elements (`div`, `td`, `br`...)
//! separate words, inline ones (`b`, `a`) do not, and scripts or styles never count.
//! Values are whitespace-collapsed; the raw form (line breaks kept) is what the
//! extractors get, because armored PGP keys need their lines.

use super::config::{Field, FieldSpec};
use scraper::{ElementRef, Node, Selector};

/// Elements whose boundaries separate words: the block elements of text extraction, plus
/// table cells and citations, which a value read from one field must not glue together.
fn separates_words(name: &str) -> bool {
    crate::text::html::BLOCK.contains(&name) || matches!(name, "td" | "th" | "cite" | "select")
}

/// Elements whose content a reader never sees.
const HIDDEN: &[&str] = &[
    "script", "style", "template", "head", "svg", "iframe", "object",
];

/// The text of `el`, with subtrees matching `exclude` left out; line breaks at block
/// boundaries, white space otherwise as written.
pub(super) fn raw_text(el: ElementRef<'_>, exclude: Option<&Selector>) -> String {
    let mut out = String::new();
    walk(el, exclude, &mut out);
    out
}

fn walk(el: ElementRef<'_>, exclude: Option<&Selector>, out: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) => {
                let name = e.name();
                if HIDDEN.contains(&name) {
                    continue;
                }
                let Some(child_el) = ElementRef::wrap(child) else {
                    continue;
                };
                if exclude.is_some_and(|x| x.matches(&child_el)) {
                    continue;
                }
                let block = separates_words(name);
                if block {
                    out.push('\n');
                }
                walk(child_el, exclude, out);
                if block {
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
}

/// Runs of white space (line breaks included) as one space, trimmed.
pub(super) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where a field is read: the record's container and the whole page.
#[derive(Clone, Copy)]
pub(super) struct Scope<'a> {
    pub container: ElementRef<'a>,
    pub page: ElementRef<'a>,
    pub url: &'a str,
}

impl Field {
    /// The first value any of the field's ways yields.
    pub(super) fn first(&self, scope: Scope<'_>) -> Option<String> {
        self.0
            .iter()
            .find_map(|spec| spec.values(scope).into_iter().next())
    }

    /// All values of the first way that yields any (list fields such as `ships_to`),
    /// each split on the field's `split` pattern.
    pub(super) fn all(&self, scope: Scope<'_>) -> Vec<String> {
        for spec in &self.0 {
            let values = spec.values(scope);
            if values.is_empty() {
                continue;
            }
            let mut out: Vec<String> = Vec::new();
            for v in values {
                let parts: Vec<String> = match &spec.split {
                    Some(re) => re.split(&v).map(collapse).collect(),
                    None => vec![v],
                };
                for p in parts {
                    if !p.is_empty() && !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
            if !out.is_empty() {
                return out;
            }
        }
        Vec::new()
    }

    /// The first value as an absolute URL.
    pub(super) fn url(&self, scope: Scope<'_>) -> Option<String> {
        self.0.iter().find_map(|spec| {
            spec.values(scope).into_iter().find_map(|v| {
                let v = format!("{}{v}", spec.prefix.as_deref().unwrap_or(""));
                crate::page::url::resolve_with_fragment(scope.url, &v)
            })
        })
    }

    /// The first whole number in the first value (`Productos (12)` → 12).
    pub(super) fn count(&self, scope: Scope<'_>) -> Option<usize> {
        let v = self.first(scope)?;
        let digits: String = v
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().ok()
    }
}

impl FieldSpec {
    /// Every non-empty value this way yields, in document order.
    fn values(&self, scope: Scope<'_>) -> Vec<String> {
        let root = if self.page_scope {
            scope.page
        } else {
            scope.container
        };
        let elements: Vec<ElementRef<'_>> = match &self.selector {
            Some(sel) => root.select(sel).collect(),
            None => vec![root],
        };
        elements
            .into_iter()
            .filter_map(|el| {
                let raw = match &self.attr {
                    Some(a) => el.value().attr(a)?.to_string(),
                    None => raw_text(el, self.exclude.as_ref()),
                };
                let picked = match &self.regex {
                    Some(re) => {
                        let caps = re.captures(&raw)?;
                        caps.get(1).or_else(|| caps.get(0))?.as_str().to_string()
                    }
                    None => raw,
                };
                let value = collapse(&picked);
                (!value.is_empty()).then_some(value)
            })
            .collect()
    }
}
