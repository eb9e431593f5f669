//! Listings without a site configuration: one per card on index and search pages, the
//! main product on a listing page.
//!
//! A card's title comes from [`super::titles`]; its price is the first price in it (the
//! fiat price comes first on every market we have seen, the crypto equivalent after);
//! its vendor is the link to a profile or store, or the value of a "Vendor:"/"Sold by"
//! label; shipping comes from "Ships from"/"Ships to" labels or a `GB → WW` route.

use super::fields::{self, clean_handle, is_profile_href, labeled};
use super::layout::Layout;
use super::{price, titles};
use crate::page::{url, Page};
use crate::records::{Listing, PeruScore};

/// One listing per card.
pub fn from_cards(
    page: &Page,
    layout: &Layout,
    cards: &[usize],
    vendor: Option<&str>,
) -> Vec<Listing> {
    let titles = titles::card_titles(page, cards);
    let base = page.base_url();
    cards
        .iter()
        .zip(titles)
        .filter_map(|(&card, title)| {
            let title = title?;
            let range = page.dom().nodes[card].text.clone();
            let mut text = column_labels(page, card);
            text.push_str(&text_without_options(page, range));
            let mut listing = fields_of(page, layout, card, &text, title, &base);
            if listing.vendor.is_none() {
                listing.vendor = vendor.map(str::to_string);
            }
            Some(listing)
        })
        .collect()
}

/// The product of a single-listing page.
pub fn from_product_page(page: &Page, layout: &Layout) -> Option<Listing> {
    let (title, node) = titles::product_title(page)?;
    let dom = page.dom();
    let start = dom.nodes[node].text.start;
    let text = text_without_options(page, start..dom.text.len());
    let root = main_block(page, node);
    let mut listing = fields_of(page, layout, root, &text, title, &page.base_url());
    if listing.price.is_none() {
        listing.price = first_price_after(layout, start);
    }
    Some(listing)
}

/// Title, price, vendor and shipping read from `text` (a card's or the product block's),
/// links from node `scope`'s subtree.
fn fields_of(
    page: &Page,
    layout: &Layout,
    scope: usize,
    text: &str,
    title: String,
    base: &str,
) -> Listing {
    // Titles quote prices ("GET $50/DAY", "35$ a gram"); the listing's price is elsewhere.
    let outside_title = match text.find(title.as_str()) {
        Some(at) => format!("{}\n{}", &text[..at], &text[at + title.len()..]),
        None => text.to_string(),
    };
    let text = outside_title.as_str();
    let price = labeled_price(text).or_else(|| price::parse_price(text));
    let vendor = labeled(text, fields::VENDOR)
        .and_then(|v| clean_handle(&v))
        .filter(|v| !is_noise_handle(v))
        .or_else(|| profile_link(page, layout, scope));
    let (mut from, mut to) = (
        labeled(text, fields::SHIPS_FROM),
        labeled(text, fields::SHIPS_TO).map(|t| fields::split_places(&t)),
    );
    // "Ships from: United States → United States" is a whole route under one label.
    if let Some((f, t)) = from.as_deref().and_then(fields::route) {
        from = Some(f);
        if to.as_ref().is_none_or(|t| t.is_empty()) {
            to = Some(t);
        }
    }
    if from.is_none() && to.is_none() {
        if let Some((f, t)) = fields::route(text) {
            from = Some(f);
            to = Some(t);
        }
    }
    Listing {
        url: title_url(page, layout, scope, &title, base),
        title,
        price,
        vendor,
        ships_from: from,
        ships_to: to.unwrap_or_default(),
        category: labeled(text, &["category", "categoría", "категория", "kategorie"]),
        description: None,
        addresses: Vec::new(),
        contacts: Vec::new(),
        peru: PeruScore::default(),
    }
}

/// The price given after a "Price" label, if there is one with an amount.
fn labeled_price(text: &str) -> Option<crate::records::Price> {
    let lower = text.to_lowercase();
    for label in fields::PRICE {
        let mut from = 0;
        while let Some(p) = lower.get(from..).and_then(|l| l.find(label)) {
            let at = from + p + label.len();
            let window: String = text.get(at..).unwrap_or("").chars().take(80).collect();
            if let Some(m) = price::find_prices(&window).into_iter().next() {
                if window[..m.start]
                    .trim_matches(|c: char| !c.is_alphanumeric())
                    .len()
                    <= 12
                {
                    return Some(m.price);
                }
            }
            from = at;
        }
    }
    None
}

fn first_price_after(layout: &Layout, start: usize) -> Option<crate::records::Price> {
    layout
        .prices
        .iter()
        .find(|p| p.start >= start)
        .map(|p| p.price.clone())
}

/// The first link to a profile or store inside `scope`, as a handle.
fn profile_link(page: &Page, layout: &Layout, scope: usize) -> Option<String> {
    layout.anchors_in(page, scope).iter().find_map(|&a| {
        let href = page.attr(a, "href")?;
        if !is_profile_href(href) {
            return None;
        }
        clean_handle(&page.link_text(a)).filter(|h| !is_noise_handle(h))
    })
}

/// Link texts that are buttons, not names ("View", "Profile", "Contact").
fn is_noise_handle(h: &str) -> bool {
    let lower = h.to_lowercase();
    matches!(
        lower.as_str(),
        "view"
            | "profile"
            | "contact"
            | "message"
            | "store"
            | "shop"
            | "vendor"
            | "seller"
            | "info"
            | "more"
            | "feedback"
            | "send"
            | "report"
            | "browse"
            | "all"
            | "my"
            | "user"
            | "level"
            | "verified"
            | "trusted"
    ) || lower
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '%')
}

/// The link of the title inside `scope`, absolute.
fn title_url(page: &Page, layout: &Layout, scope: usize, title: &str, base: &str) -> String {
    let anchors = layout.anchors_in(page, scope);
    anchors
        .iter()
        .find(|&&a| page.link_text(a) == title)
        .or_else(|| {
            anchors
                .iter()
                .find(|&&a| super::cards::is_title_text(&page.link_text(a)))
        })
        .or_else(|| anchors.first())
        .and_then(|&a| page.attr(a, "href"))
        .and_then(|h| url::resolve(base, h))
        .unwrap_or_else(|| page.url().to_string())
}

/// The block around a product title that holds its details: the nearest ancestor with
/// a price and a few hundred characters of text.
fn main_block(page: &Page, title: usize) -> usize {
    let dom = page.dom();
    let mut at = title;
    while let Some(parent) = dom.nodes.get(at).and_then(|n| n.parent) {
        at = parent;
        let len = dom.nodes[at].text.len();
        if len > 400
            && dom
                .text
                .get(dom.nodes[at].text.clone())
                .is_some_and(|t| price::parse_price(t).is_some())
        {
            return at;
        }
    }
    at
}

/// The page text in `range` without the options of `<select>` menus: a price in a menu
/// is one tier or shipping option among several, not the listing's price.
fn text_without_options(page: &Page, range: std::ops::Range<usize>) -> String {
    let dom = page.dom();
    let mut out = String::with_capacity(range.len());
    let mut at = range.start;
    let first = dom.nodes.partition_point(|n| n.text.start < range.start);
    let mut i = first;
    while i < dom.nodes.len() && dom.nodes[i].text.start < range.end {
        let node = &dom.nodes[i];
        if &*node.tag == "select" && node.text.start >= at {
            out.push_str(dom.text.get(at..node.text.start).unwrap_or(""));
            out.push('\n');
            at = node.text.end.min(range.end);
            i = node.end.max(i + 1);
            continue;
        }
        i += 1;
    }
    out.push_str(dom.text.get(at..range.end).unwrap_or(""));
    out
}

/// For a card that is a table row under a header row, `header: cell` lines, so that
/// the table's column names label the card's cells ("ship to: Worldwide").
fn column_labels(page: &Page, card: usize) -> String {
    let dom = page.dom();
    if page.tag(card) != "tr" {
        return String::new();
    }
    let mut table = dom.nodes[card].parent;
    while let Some(t) = table {
        if page.tag(t) == "table" {
            break;
        }
        table = dom.nodes[t].parent;
    }
    let Some(table) = table else {
        return String::new();
    };
    let Some(header) = dom
        .subtree(table)
        .find(|&r| page.tag(r) == "tr" && dom.children(r).any(|c| page.tag(c) == "th"))
    else {
        return String::new();
    };
    if header == card {
        return String::new();
    }
    let names: Vec<String> = dom
        .children(header)
        .filter(|&c| matches!(page.tag(c), "th" | "td"))
        .map(|c| crate::page::collapse(page.text_of(c)))
        .collect();
    let cells = dom
        .children(card)
        .filter(|&c| matches!(page.tag(c), "td" | "th"));
    let mut out = String::new();
    for (name, cell) in names.iter().zip(cells) {
        if !name.is_empty() && name.chars().count() <= 30 {
            out.push_str(&format!(
                "{name}: {}\n",
                crate::page::collapse(page.text_of(cell))
            ));
        }
    }
    out
}
