//! Comparing what the generic parser found on a page with the page's `.expected.json`.
//!
//! "Right" uses light normalisation: white space runs collapse to one space and ends are
//! trimmed everywhere; titles, prices and places compare case-insensitively as shown;
//! a price is also right when its amount and currency equal the expected ones;
//! vendor handles compare case-insensitively; `ships_to` compares as a set of the
//! comma-separated places; a field the page does not show (`null`) or shows empty (`""`)
//! is right when we report nothing. Each expected listing is matched to at most one
//! found listing, by title (or `title_full`), and an unmatched listing counts as wrong
//! in every field.

use crate::entity::Entity;
use crate::page::collapse;
use crate::records::{Listing, ParsedPage};
use serde::Serialize;
use serde_json::Value;

/// Listing fields scored one by one.
pub const FIELDS: [&str; 6] = [
    "title",
    "price",
    "currency",
    "vendor",
    "ships_from",
    "ships_to",
];

/// Counts over the expected listings of some pages.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ListingScore {
    pub expected: usize,
    /// Listings we reported on the pages that have expected listings (precision's base).
    pub found: usize,
    /// Of those, the ones matched to an expected listing.
    pub matched: usize,
    /// Matched by title, with price and vendor right too.
    pub complete: usize,
    /// Right per field, in [`FIELDS`] order.
    pub fields: [usize; 6],
}

impl ListingScore {
    pub fn add(&mut self, other: &ListingScore) {
        self.expected += other.expected;
        self.found += other.found;
        self.matched += other.matched;
        self.complete += other.complete;
        for (a, b) in self.fields.iter_mut().zip(other.fields) {
            *a += b;
        }
    }
}

fn norm(s: &str) -> String {
    collapse(s).to_lowercase()
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Scores the listings of one page.
pub fn listings(expected: &Value, found: &ParsedPage) -> ListingScore {
    let mut score = ListingScore::default();
    let Some(items) = expected.get("listings").and_then(Value::as_array) else {
        return score;
    };
    score.found = found.listings.len();
    let mut used = vec![false; found.listings.len()];
    // Listings with a twin title (a vendor's clones) are matched to the found listing
    // that agrees best: first those that agree in every field, then the rest.
    let mut order: Vec<&Value> = items.iter().collect();
    order.sort_by_key(|item| {
        let all_right = found.listings.iter().any(|l| {
            norm(&l.title) == str_field(item, "title").map(norm).unwrap_or_default()
                && field_rights(item, l).iter().all(|r| *r)
        });
        !all_right
    });
    for item in order {
        score.expected += 1;
        let titles: Vec<String> = ["title", "title_full"]
            .iter()
            .filter_map(|k| str_field(item, k).map(norm))
            .collect();
        // Among listings of the same title, the one that agrees best is its match.
        let hit = found
            .listings
            .iter()
            .enumerate()
            .filter(|(i, l)| !used[*i] && titles.contains(&norm(&l.title)))
            .max_by_key(|(i, l)| {
                (
                    field_rights(item, l).iter().filter(|r| **r).count(),
                    std::cmp::Reverse(*i),
                )
            });
        let Some((i, listing)) = hit else { continue };
        used[i] = true;
        score.matched += 1;
        let right = field_rights(item, listing);
        for (slot, ok) in score.fields.iter_mut().zip(right) {
            *slot += usize::from(ok);
        }
        score.complete += usize::from(right[0] && right[1] && right[3]);
    }
    score
}

/// Which of [`FIELDS`] `found` has right against `item`.
fn field_rights(item: &Value, found: &Listing) -> [bool; 6] {
    let price_shown = found.price.as_ref().map(|p| p.shown.as_str());
    let currency = found.price.as_ref().and_then(|p| p.currency.as_deref());
    let exp_price = str_field(item, "price");
    let price_ok = match exp_price {
        None => price_shown.is_none(),
        Some(e) => {
            price_shown.is_some_and(|s| norm(s) == norm(e))
                || match (crate::generic::price::parse_price(e), &found.price) {
                    (Some(ep), Some(fp)) => {
                        ep.amount.is_some() && ep.amount == fp.amount && ep.currency == fp.currency
                    }
                    _ => false,
                }
        }
    };
    let currency_ok = match str_field(item, "currency") {
        None => currency.is_none(),
        Some(e) => currency.is_some_and(|c| c.eq_ignore_ascii_case(e)),
    };
    [
        true,
        price_ok,
        currency_ok,
        optional_eq(str_field(item, "vendor"), found.vendor.as_deref()),
        optional_eq(str_field(item, "ships_from"), found.ships_from.as_deref()),
        places_eq(str_field(item, "ships_to"), &found.ships_to),
    ]
}

fn optional_eq(expected: Option<&str>, found: Option<&str>) -> bool {
    match expected.map(norm).filter(|e| !e.is_empty()) {
        None => found.is_none_or(|f| norm(f).is_empty()),
        Some(e) => found.is_some_and(|f| norm(f) == e),
    }
}

fn places_eq(expected: Option<&str>, found: &[String]) -> bool {
    let mut exp: Vec<String> = expected
        .unwrap_or("")
        .split(',')
        .map(norm)
        .filter(|p| !p.is_empty())
        .collect();
    let mut got: Vec<String> = found
        .iter()
        .map(|p| norm(p))
        .filter(|p| !p.is_empty())
        .collect();
    exp.sort();
    got.sort();
    exp == got
}

/// Whether the expected vendor handle is the one we report (as a vendor record or as
/// the vendor of a listing); `None` when the page expects no vendor.
pub fn vendor_handle(expected: &Value, found: &ParsedPage) -> Option<bool> {
    let handle = expected.get("vendor")?.get("handle")?.as_str()?;
    let h = norm(handle);
    Some(
        found.vendors.iter().any(|v| norm(&v.handle) == h)
            || found
                .listings
                .iter()
                .any(|l| l.vendor.as_deref().is_some_and(|v| norm(v) == h))
            || found
                .posts
                .iter()
                .any(|p| p.author.as_deref().is_some_and(|a| norm(a) == h)),
    )
}

/// Expected forum posts, how many we found, and how many of those (in page order) have
/// the right author and, where the page gives a machine-readable time, the right time.
pub fn posts(expected: &Value, found: &ParsedPage) -> (usize, usize, usize) {
    let Some(list) = expected.pointer("/forum/posts").and_then(Value::as_array) else {
        return (0, 0, 0);
    };
    let right = list
        .iter()
        .zip(&found.posts)
        .filter(|(e, f)| {
            let author = optional_eq(str_field(e, "author"), f.author.as_deref());
            let time = match str_field(e, "posted_datetime") {
                Some(t) => f.posted_at.as_deref() == Some(t),
                None => true,
            };
            author && time
        })
        .count();
    (list.len(), found.posts.len().min(list.len()), right)
}

/// Expected vendor contacts (`value`s) and how many the extractors found on the page.
pub fn contacts(expected: &Value, found: &ParsedPage) -> (usize, usize) {
    let Some(list) = expected
        .pointer("/vendor/contacts")
        .and_then(Value::as_array)
    else {
        return (0, 0);
    };
    let values: Vec<String> = found
        .entities
        .iter()
        .filter(|e| {
            matches!(
                e,
                Entity::Contact { .. } | Entity::Email { .. } | Entity::Phone { .. }
            )
        })
        .map(|e| norm(e.value().trim_start_matches('@')))
        .collect();
    let hits = list
        .iter()
        .filter_map(|c| str_field(c, "value"))
        .filter(|v| values.contains(&norm(v.trim_start_matches('@'))))
        .count();
    (list.len(), hits)
}

/// Expected PGP fingerprints and how many the extractors found.
pub fn pgp(expected: &Value, found: &ParsedPage) -> (usize, usize) {
    let Some(list) = expected
        .pointer("/vendor/pgp_fingerprints_computed")
        .and_then(Value::as_array)
    else {
        return (0, 0);
    };
    let hits = list
        .iter()
        .filter_map(Value::as_str)
        .filter(|fp| found.entities.iter().any(|e| matches!(e, Entity::PgpKey { fingerprint, .. } if fingerprint.eq_ignore_ascii_case(fp))))
        .count();
    (list.len(), hits)
}

/// Expected and found counts of distinct onion hosts in the visible text.
pub fn onions(expected: &Value, found: &ParsedPage) -> Option<(usize, usize)> {
    let want = expected
        .pointer("/onion_links/distinct_hosts_in_visible_text")?
        .as_u64()? as usize;
    let mut hosts: Vec<String> = found
        .entities
        .iter()
        .filter(|e| matches!(e, Entity::Onion { .. } | Entity::OnionV2 { .. }))
        .map(|e| e.value().to_lowercase())
        .collect();
    hosts.sort();
    hosts.dedup();
    Some((want, hosts.len()))
}
