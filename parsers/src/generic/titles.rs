//! Which text is a listing's title.
//!
//! On a grid every card is built from one template, so the title sits at the same
//! path inside each card. For every path (tag and first class from the card root) we
//! look at the texts found there across all cards: the title path is present in most
//! cards, differs from card to card (categories and vendor names repeat, titles do not),
//! is long, and is a heading or a link. On a product page, the title is the heading that
//! the page's `<title>` also names, or else the first heading that is not the site's.

use super::cards::{is_short_title_text, is_title_text};
use crate::page::{collapse, Page};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

#[derive(Default)]
struct Slot {
    cards: usize,
    texts: HashSet<String>,
    total_len: usize,
    single_words: usize,
    /// 1.3 for `h1`–`h6`, 1.15 for a title/name class, 1 otherwise.
    heading: f32,
}

/// The title of each card (`None` where the card has none).
pub fn card_titles(page: &Page, cards: &[usize]) -> Vec<Option<String>> {
    let per_card: Vec<HashMap<u64, (String, f32)>> =
        cards.iter().map(|&c| candidates(page, c)).collect();
    let mut slots: HashMap<u64, Slot> = HashMap::new();
    for found in &per_card {
        for (sig, (text, heading)) in found {
            let slot = slots.entry(*sig).or_default();
            slot.cards += 1;
            slot.total_len += text.chars().count();
            slot.single_words += usize::from(text.split_whitespace().count() == 1);
            slot.heading = slot.heading.max(*heading);
            slot.texts.insert(text.clone());
        }
    }
    let n = cards.len().max(1) as f32;
    let best = slots
        .iter()
        .map(|(sig, s)| {
            let coverage = s.cards as f32 / n;
            let distinct = s.texts.len() as f32 / s.cards.max(1) as f32;
            let avg = (s.total_len as f32 / s.cards.max(1) as f32).min(60.0);
            let heading = s.heading.max(1.0);
            // Names and codes are one word; titles rarely are.
            let words = if s.single_words * 2 > s.cards {
                0.6
            } else {
                1.0
            };
            (
                coverage * distinct * heading * words * (0.5 + avg / 60.0),
                (*sig, coverage),
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1 .0.cmp(&a.1 .0)))
        .map(|(_, sig)| sig);
    let best = best.map(|(sig, _)| sig);
    per_card
        .iter()
        .map(|found| {
            best.and_then(|sig| found.get(&sig).map(|(t, _)| t.clone()))
                .filter(|t| is_title_text(t) || is_short_title_text(t))
                .or_else(|| {
                    found
                        .values()
                        .filter(|(t, _)| is_title_text(t))
                        .max_by_key(|(t, _)| t.len())
                        .map(|(t, _)| t.clone())
                })
        })
        .collect()
}

/// Title-like texts in one card, by their path from the card root (first per path).
fn candidates(page: &Page, card: usize) -> HashMap<u64, (String, f32)> {
    let dom = page.dom();
    let range = dom.subtree(card);
    let mut sigs = vec![0u64; range.len()];
    let mut out = HashMap::new();
    for i in range.clone() {
        let node = &dom.nodes[i];
        if node.is_text() {
            continue;
        }
        let parent_sig = node
            .parent
            .filter(|p| *p >= card && *p != i)
            .map_or(0, |p| sigs[p - card]);
        let class = page.class_id(i);
        let first = class.split_whitespace().next().unwrap_or("").to_string();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        parent_sig.hash(&mut h);
        node.tag.hash(&mut h);
        first.hash(&mut h);
        // Table columns have no classes: their position tells them apart.
        if matches!(&*node.tag, "td" | "th") {
            let parent = node.parent.unwrap_or(card);
            dom.children(parent).position(|c| c == i).hash(&mut h);
        }
        let sig = h.finish();
        sigs[i - card] = sig;
        let heading = if matches!(&*node.tag, "h1" | "h2" | "h3" | "h4" | "h5" | "h6") {
            1.3
        } else if ["title", "name", "header", "heading"]
            .iter()
            .any(|w| first.contains(w) && !first.contains("subtitle"))
        {
            1.15
        } else {
            0.0
        };
        let text = if &*node.tag == "a" {
            // A link to a profile names the vendor, not the listing.
            if page
                .attr(i, "href")
                .is_some_and(super::fields::is_profile_href)
            {
                continue;
            }
            page.link_text(i)
        } else if heading > 0.0 {
            collapse(page.text_of(i))
        } else {
            continue;
        };
        if is_short_title_text(&text) && !out.contains_key(&sig) {
            out.insert(sig, (text, heading));
        }
    }
    out
}

/// The title of a single-product page, and the node it was read from.
pub fn product_title(page: &Page) -> Option<(String, usize)> {
    let title = page.title().unwrap_or_default();
    let lower_title = title.to_lowercase();
    let dom = page.dom();
    let mut first_other: Option<(String, usize)> = None;
    let mut best_match: Option<(String, usize)> = None;
    for i in 0..dom.nodes.len() {
        let tag = page.tag(i);
        let headingish = matches!(tag, "h1" | "h2" | "h3" | "h4" | "a")
            || page
                .attr(i, "class")
                .and_then(|c| c.split_whitespace().next())
                .is_some_and(|c| {
                    let c = c.to_ascii_lowercase();
                    (c.contains("title") || c.contains("name")) && !c.contains("subtitle")
                });
        if !headingish || tag == "title" {
            continue;
        }
        let text = collapse(page.text_of(i));
        let letters = text.chars().filter(|c| c.is_alphabetic()).count();
        if letters < 3 || text.chars().count() > 300 {
            continue;
        }
        if in_chrome(page, i) {
            continue;
        }
        let lower = text.to_lowercase();
        let prefix: String = lower.chars().take(25).collect();
        let in_title = !lower_title.is_empty()
            && (lower_title.contains(&lower) || lower_title.contains(&prefix));
        // The site's own name ("Cryptonia Market") is a heading and a title segment too.
        let site = split_title(&lower_title).iter().any(|seg| {
            seg.split_whitespace().count() <= 3
                && SITE_WORDS.iter().any(|w| seg.contains(w))
                && lower.starts_with(seg.as_str())
        });
        if site || (tag == "a" && !in_title) {
            continue;
        }
        if in_title {
            if best_match
                .as_ref()
                .is_none_or(|(b, _)| text.len() > b.len())
            {
                best_match = Some((text, i));
            }
        } else if first_other.is_none() && !in_title && is_title_text(&text) {
            first_other = Some((text, i));
        }
    }
    best_match.or(first_other)
}

/// Whether node `i` sits in the site's chrome (header, navigation, logo), where the
/// site name is a heading too.
fn in_chrome(page: &Page, i: usize) -> bool {
    let mut at = Some(i);
    while let Some(n) = at {
        if matches!(page.tag(n), "header" | "nav") {
            return true;
        }
        let ci = page.class_id(n);
        if [
            "logo",
            "brand",
            "site-title",
            "navbar",
            "masthead",
            "topbar",
            "site-header",
        ]
        .iter()
        .any(|w| ci.contains(w))
        {
            return true;
        }
        at = page.dom().nodes.get(n).and_then(|d| d.parent);
    }
    false
}

/// Words in a site's name.
const SITE_WORDS: &[&str] = &[
    "market",
    "shop",
    "store",
    "forum",
    "bazaar",
    "mercado",
    "маркет",
    "форум",
];

fn split_title(title: &str) -> Vec<String> {
    let mut parts = vec![title.to_string()];
    for sep in [" - ", " | ", " – ", " — ", " :: ", " » ", " · "] {
        parts = parts
            .iter()
            .flat_map(|p| p.split(sep).map(|s| s.trim().to_string()))
            .collect();
    }
    parts
}
