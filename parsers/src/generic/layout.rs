//! The repeated structure of a page: which subtrees are "the same kind of thing" shown
//! many times (product cards, table rows, posts, thread rows, feedback entries), and
//! what each of them holds (prices, dates, links, text).
//!
//! Two elements are of one kind when they sit at the same path from the root, each step
//! named by tag and first class token (digits dropped): `div.row > div.col > div.card`
//! in every row of a grid shares one path, so all cards of all rows form one [`Group`].
//! Nothing here knows a market: the classifier and the generic parser read the groups
//! and decide what they are from what they contain.

use super::{dates, price};
use crate::page::Page;
use std::collections::HashMap;
use std::ops::Range;

/// Elements that share a path from the root.
#[derive(Clone, Debug)]
pub struct Group {
    /// Node indices, in document order, none inside another.
    pub members: Vec<usize>,
    pub depth: u32,
}

/// What one subtree holds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    /// Prices with a currency marker.
    pub prices: usize,
    /// Dates or times in the text, plus `<time>`/`datetime` elements.
    pub dates: usize,
    /// Links to other pages.
    pub links: usize,
    /// Visible characters.
    pub text: usize,
    pub images: usize,
}

/// The page-wide indexes the heuristics query by subtree.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// Prices, at offsets of the page's visible text.
    pub prices: Vec<price::PriceMatch>,
    /// Dates, at offsets of the page's visible text.
    pub dates: Vec<Range<usize>>,
    /// `<a href>` nodes that lead to a page (not `#` or `javascript:`).
    pub anchors: Vec<usize>,
    /// `<time>` and `datetime`-carrying elements.
    pub times: Vec<usize>,
    pub images: Vec<usize>,
    /// Path groups with at least two members, largest first.
    pub groups: Vec<Group>,
    /// The page's outgoing links ([`Page::links`]), computed once.
    pub links: Vec<crate::page::Link>,
}

impl Layout {
    pub fn analyze(page: &Page) -> Layout {
        let dom = page.dom();
        let mut layout = Layout {
            prices: price::find_prices(&dom.text),
            dates: dates::find_dates(&dom.text),
            links: page.links(),
            ..Layout::default()
        };
        let mut sigs = vec![0u64; dom.nodes.len()];
        let mut by_sig: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, node) in dom.nodes.iter().enumerate() {
            if node.is_text() {
                continue;
            }
            match &*node.tag {
                "a" => {
                    let href = page.attr(i, "href").unwrap_or("").trim();
                    let lower = href.get(..11).unwrap_or(href).to_ascii_lowercase();
                    if !href.is_empty()
                        && !href.starts_with('#')
                        && !lower.starts_with("javascript:")
                    {
                        layout.anchors.push(i);
                    }
                }
                "time" => layout.times.push(i),
                "img" => layout.images.push(i),
                _ => {
                    if page.attr(i, "datetime").is_some() || page.attr(i, "data-time").is_some() {
                        layout.times.push(i);
                    }
                }
            }
            let parent_sig = node.parent.map_or(0, |p| sigs[p]);
            let sig = path_step(parent_sig, &node.tag, page.attr(i, "class"));
            sigs[i] = sig;
            if !matches!(
                &*node.tag,
                "html" | "head" | "body" | "br" | "meta" | "link"
            ) {
                by_sig.entry(sig).or_default().push(i);
            }
        }
        thin_out_menus(&mut layout.prices, page);
        layout.groups = by_sig
            .into_values()
            .filter(|m| m.len() >= 2)
            .map(|members| Group {
                depth: dom.nodes[members[0]].depth,
                members,
            })
            .collect();
        layout.groups.sort_by(|a, b| {
            b.members
                .len()
                .cmp(&a.members.len())
                .then(a.members[0].cmp(&b.members[0]))
        });
        layout
    }

    /// What node `i`'s subtree holds.
    pub fn stats(&self, page: &Page, i: usize) -> Stats {
        let dom = page.dom();
        let Some(node) = dom.nodes.get(i) else {
            return Stats::default();
        };
        let nodes = dom.subtree(i);
        let text = &node.text;
        Stats {
            prices: self.prices_in(text.clone()).len(),
            dates: count_ranges(&self.dates, text) + count_sorted(&self.times, &nodes),
            links: count_sorted(&self.anchors, &nodes),
            text: dom.text_of(i).chars().count(),
            images: count_sorted(&self.images, &nodes),
        }
    }

    /// The prices inside a range of the page's visible text.
    pub fn prices_in(&self, text: Range<usize>) -> &[price::PriceMatch] {
        let a = self.prices.partition_point(|p| p.start < text.start);
        let b = self.prices.partition_point(|p| p.end <= text.end);
        self.prices.get(a..b.max(a)).unwrap_or(&[])
    }

    /// The link nodes inside node `i`'s subtree.
    pub fn anchors_in(&self, page: &Page, i: usize) -> &[usize] {
        let r = page.dom().subtree(i);
        let a = self.anchors.partition_point(|&n| n < r.start);
        let b = self.anchors.partition_point(|&n| n < r.end);
        self.anchors.get(a..b).unwrap_or(&[])
    }

    /// The dates inside node `i`'s text.
    pub fn dates_in(&self, page: &Page, i: usize) -> &[Range<usize>] {
        let Some(node) = page.dom().nodes.get(i) else {
            return &[];
        };
        let a = self.dates.partition_point(|d| d.start < node.text.start);
        let b = self.dates.partition_point(|d| d.end <= node.text.end);
        self.dates.get(a..b.max(a)).unwrap_or(&[])
    }
}

/// A `<select>` of tiers or shipping options holds many prices but offers one choice:
/// keep only its first price, so a card with a tier menu still counts as one listing.
fn thin_out_menus(prices: &mut Vec<price::PriceMatch>, page: &Page) {
    let dom = page.dom();
    let menus: Vec<Range<usize>> = dom
        .nodes
        .iter()
        .filter(|n| &*n.tag == "select")
        .map(|n| n.text.clone())
        .collect();
    if menus.is_empty() {
        return;
    }
    let mut seen_menu = vec![false; menus.len()];
    prices.retain(|p| {
        let k = menus.partition_point(|m| m.start <= p.start);
        if k == 0 || p.end > menus[k - 1].end {
            return true;
        }
        !std::mem::replace(&mut seen_menu[k - 1], true)
    });
}

/// The signature of one more step down a path: the parent's, the tag, and the first
/// class token of `class` without its digits (the part of a class list that names the
/// kind of element, `post` or `card`, not its state or number). FNV-1a: this runs for
/// every element of every page, where SipHash and a `String` per node showed up in
/// profiles.
pub fn path_step(parent: u64, tag: &str, class: Option<&str>) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = parent ^ 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(PRIME);
    };
    for b in tag.bytes() {
        eat(b);
    }
    eat(b'.');
    let first = class
        .and_then(|c| c.split_ascii_whitespace().next())
        .unwrap_or("");
    for b in first.bytes().filter(|b| !b.is_ascii_digit()) {
        eat(b.to_ascii_lowercase());
    }
    h
}

fn count_ranges(ranges: &[Range<usize>], within: &Range<usize>) -> usize {
    let a = ranges.partition_point(|d| d.start < within.start);
    let b = ranges.partition_point(|d| d.end <= within.end);
    b.saturating_sub(a)
}

fn count_sorted(sorted: &[usize], within: &Range<usize>) -> usize {
    let a = sorted.partition_point(|&n| n < within.start);
    let b = sorted.partition_point(|&n| n < within.end);
    b.saturating_sub(a)
}
