//! Finding the listing cards of an index, search or vendor page: the group of repeated
//! subtrees each of which holds a price and a link.
//!
//! A grid is many cards of one path (see [`super::layout`]); a row of a grid, or the
//! whole grid, also repeats but holds several prices, and the inside of a card
//! (`.card-body`) repeats just as often but may miss the vendor or the shipping line. So
//! the group with the most one-listing members wins, and among equals the outermost.

use super::layout::{Group, Layout, Stats};
use crate::page::Page;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// The most prices a single card may show (a fiat price, its crypto equivalents, a
/// struck-through old price, a per-unit line) before it is taken for several cards.
const MAX_PRICES_PER_CARD: usize = 8;

/// The cards of a page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CardGroup {
    /// Card root nodes, in document order.
    pub cards: Vec<usize>,
    /// Members of the path group that did not look like cards (headers, separators).
    pub others: usize,
}

/// Whether a subtree, by what it holds, could be one listing card.
pub fn looks_like_card(s: &Stats) -> bool {
    (1..=MAX_PRICES_PER_CARD).contains(&s.prices) && s.links >= 1 && s.text <= 10_000
}

/// The best card group, if the page has one with at least `min` cards.
pub fn find_cards(page: &Page, layout: &Layout, min: usize) -> Option<CardGroup> {
    let mut best: Option<(usize, u32, CardGroup)> = None;
    for group in &layout.groups {
        if group.members.len() < min {
            continue;
        }
        let candidate = evaluate(page, layout, group);
        let good = candidate.cards.len();
        if good < min || good * 5 < group.members.len() * 2 {
            continue;
        }
        let better = match &best {
            None => true,
            Some((g, depth, _)) => good > *g || (good == *g && group.depth < *depth),
        };
        if better {
            best = Some((good, group.depth, candidate));
        }
    }
    best.map(|(_, _, c)| c)
}

fn evaluate(page: &Page, layout: &Layout, group: &Group) -> CardGroup {
    let mut cards = Vec::new();
    for &m in &group.members {
        let stats = layout.stats(page, m);
        if looks_like_card(&stats) && has_title_link(page, layout, m) {
            cards.push(m);
        }
    }
    keep_alike(page, &mut cards);
    let others = group.members.len() - cards.len();
    CardGroup { cards, others }
}

/// The inner paths (tag and first class, three levels deep) of a subtree: cards of one
/// template share most of them.
fn shape(page: &Page, root: usize) -> HashSet<u64> {
    let dom = page.dom();
    let base = dom.nodes[root].depth;
    let mut out = HashSet::new();
    let mut sigs: HashMap<usize, u64> = HashMap::new();
    for i in dom.subtree(root).take(400) {
        let n = &dom.nodes[i];
        if n.is_text() || n.depth > base + 3 {
            continue;
        }
        let parent = n.parent.and_then(|p| sigs.get(&p)).copied().unwrap_or(0);
        let class = page.class_id(i);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (parent, &n.tag, class.split_whitespace().next()).hash(&mut h);
        let sig = h.finish();
        sigs.insert(i, sig);
        if i != root {
            out.insert(sig);
        }
    }
    out
}

/// Drops members that are not built like the others: two blocks that happen to share
/// a path (a product block and a footer) are not a grid of two cards.
fn keep_alike(page: &Page, cards: &mut Vec<usize>) {
    if cards.len() < 2 {
        return;
    }
    let shapes: Vec<HashSet<u64>> = cards.iter().map(|&c| shape(page, c)).collect();
    let mut counts: HashMap<u64, usize> = HashMap::new();
    for s in &shapes {
        for p in s {
            *counts.entry(*p).or_default() += 1;
        }
    }
    let need = cards.len().div_ceil(2).max(2);
    let consensus: HashSet<u64> = counts
        .into_iter()
        .filter(|(_, n)| *n >= need)
        .map(|(p, _)| p)
        .collect();
    let alike: Vec<bool> = shapes
        .iter()
        .map(|s| {
            let shared = s.intersection(&consensus).count();
            !consensus.is_empty() && shared * 2 >= s.len().min(consensus.len())
        })
        .collect();
    let mut k = 0;
    cards.retain(|_| {
        k += 1;
        alike[k - 1]
    });
}

/// Words of buttons and links that act on a listing rather than name it.
const ACTION_WORDS: &[&str] = &[
    "view",
    "views",
    "item",
    "items",
    "details",
    "detail",
    "more",
    "buy",
    "order",
    "now",
    "add",
    "to",
    "cart",
    "show",
    "see",
    "read",
    "listing",
    "listings",
    "product",
    "products",
    "here",
    "click",
    "purchase",
    "info",
    "all",
    "the",
    "this",
    "vendor",
    "seller",
    "contact",
    "message",
    "send",
    "report",
    "favorite",
    "favourite",
    "favorites",
    "favourites",
    "shop",
    "store",
    "browse",
    "my",
    "other",
    "similar",
    "from",
    "same",
    "next",
    "previous",
    "page",
    "feedback",
    "reviews",
    "escrow",
];

/// Whether a card has a link a listing title could be: a few words of text (or a
/// `title`/`alt`) that are not a price or a button label ("View items", "Buy now").
/// Exchange-rate tables, currency pickers and feedback rows have prices and links, but
/// no such link.
pub fn has_title_link(page: &Page, layout: &Layout, card: usize) -> bool {
    layout.anchors_in(page, card).iter().any(|&a| {
        let text = page.link_text(a);
        if is_title_text(&text) {
            return true;
        }
        // A link around a whole card ("jRat $4.00"): its words without the price.
        let mut rest = text.clone();
        for p in super::price::find_prices(&text) {
            rest = rest.replace(&p.price.shown, " ");
        }
        is_short_title_text(crate::page::collapse(&rest).as_str())
    })
}

/// Whether `text` could be a listing title, one word allowed (`OXYMORPHONE`, `jRat`).
pub fn is_short_title_text(text: &str) -> bool {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let word = text.trim().to_lowercase();
    let action = ACTION_WORDS.contains(&word.trim_matches(|c: char| !c.is_alphanumeric()));
    let one_word = text.split_whitespace().count() == 1;
    is_title_text(text)
        || (one_word
            && letters >= 3
            && !action
            && !text.trim().starts_with('@')
            && !word.ends_with(':')
            && !super::price::is_currency_code(&word)
            && super::price::parse_price(text).is_none())
}

/// Whether `text` could be a listing title.
pub fn is_title_text(text: &str) -> bool {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    let action = words
        .iter()
        .all(|w| ACTION_WORDS.contains(&w.trim_matches(|c: char| !c.is_alphanumeric())));
    let pricey = super::price::parse_price(text).is_some_and(|p| p.shown.len() * 2 >= text.len());
    letters >= 6 && words.len() >= 2 && !action && !pricey
}
