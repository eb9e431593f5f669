//! Peru scores: how strongly a listing, vendor or post targets Peru, with every reason.
//!
//! Evidence comes from structured fields (a `ships_to` that names Peru, a price in soles)
//! and from the lexicon's text signals. Distinct signals combine as a noisy-OR,
//! `1 − Π(1 − wᵢ)`, each signal counted once at its strongest: "Lima, Lima, Lima" is one
//! piece of evidence, while "envío a Lima" plus "pago con Yape" plus a price in soles is
//! three independent ones. A record targets Peru when its score reaches
//! [`TARGETS_PERU_AT`].

use super::{Lexicon, PeruSignal};
use crate::records::{Listing, PeruEvidence, PeruScore};
use std::collections::BTreeMap;

/// The score from which a record is labelled `targets_peru`.
pub const TARGETS_PERU_AT: f64 = 0.5;

/// Weight of a `ships_to` field naming Peru: the vendor says so in a form field.
const SHIPS_TO_FIELD: f64 = 0.85;
/// Weight of a `ships_from` field naming Peru.
const SHIPS_FROM_FIELD: f64 = 0.8;
/// Weight of a price shown in soles (PEN).
const PRICE_IN_PEN: f64 = 0.6;

/// Names a shipping field uses for Peru: country names and codes in the languages
/// markets use, and the capital (sites list cities as destinations).
fn names_peru(place: &str) -> bool {
    let p = super::fold::fold(place.trim());
    let p = p.trim_matches(|c: char| !c.is_alphanumeric());
    matches!(
        p,
        "peru" | "pe" | "per" | "lima" | "republica del peru" | "peru (pe)"
    ) || p.split(|c: char| !c.is_alphanumeric()).any(|w| w == "peru")
}

/// Combines evidence into a score.
pub fn combine(signals: Vec<PeruEvidence>) -> PeruScore {
    let mut strongest: BTreeMap<&str, f64> = BTreeMap::new();
    for s in &signals {
        let w = strongest.entry(s.signal.as_str()).or_insert(0.0);
        *w = w.max(s.weight);
    }
    let miss: f64 = strongest
        .values()
        .map(|w| 1.0 - w.clamp(0.0, 1.0))
        .product();
    let score = ((1.0 - miss) * 1000.0).round() / 1000.0;
    PeruScore {
        score,
        targets_peru: score >= TARGETS_PERU_AT,
        signals,
    }
}

/// Lexicon matches in `text` as evidence located in `field`. `offset` is where `text`
/// starts in the page, when it is a contiguous piece of it.
pub fn text_evidence(
    lexicon: &Lexicon,
    field: &str,
    text: &str,
    offset: Option<usize>,
) -> Vec<PeruEvidence> {
    lexicon
        .find(text)
        .into_iter()
        .map(|s: PeruSignal| PeruEvidence {
            signal: s.signal,
            weight: s.weight,
            matched: s.matched,
            field: field.to_string(),
            start: offset.map(|o| o + s.start),
            end: offset.map(|o| o + s.end),
        })
        .collect()
}

/// The evidence a listing's structured fields give.
pub fn listing_field_evidence(listing: &Listing) -> Vec<PeruEvidence> {
    let mut out = Vec::new();
    let field = |signal: &str, weight: f64, matched: &str, field: &str| PeruEvidence {
        signal: signal.to_string(),
        weight,
        matched: matched.to_string(),
        field: field.to_string(),
        start: None,
        end: None,
    };
    for place in &listing.ships_to {
        if names_peru(place) {
            out.push(field("ships_to_field", SHIPS_TO_FIELD, place, "ships_to"));
        }
    }
    if let Some(from) = listing.ships_from.as_deref().filter(|f| names_peru(f)) {
        out.push(field(
            "ships_from_field",
            SHIPS_FROM_FIELD,
            from,
            "ships_from",
        ));
    }
    if let Some(price) = &listing.price {
        if price.currency.as_deref() == Some("PEN") {
            out.push(field("price_in_pen", PRICE_IN_PEN, &price.shown, "price"));
        }
    }
    out
}

/// A listing's score from its fields and its own text (title, description).
pub fn score_listing(lexicon: &Lexicon, listing: &Listing) -> PeruScore {
    let mut evidence = listing_field_evidence(listing);
    evidence.extend(text_evidence(lexicon, "title", &listing.title, None));
    if let Some(d) = &listing.description {
        evidence.extend(text_evidence(lexicon, "description", d, None));
    }
    combine(evidence)
}

/// A vendor's score: its own evidence, plus its listings. The strongest listing counts as
/// one signal (`listings_target_peru`), so a vendor with one Peru-bound listing among
/// many is still flagged, which is what investigators want to know.
pub fn score_vendor(own: Vec<PeruEvidence>, listings: &[Listing]) -> PeruScore {
    let mut evidence = own;
    let targeting: Vec<&Listing> = listings.iter().filter(|l| l.peru.targets_peru).collect();
    if let Some(best) = listings
        .iter()
        .max_by(|a, b| a.peru.score.total_cmp(&b.peru.score))
        .filter(|l| l.peru.score > 0.0)
    {
        evidence.push(PeruEvidence {
            signal: "listings_target_peru".to_string(),
            weight: best.peru.score,
            matched: format!(
                "{} of {} listings target Peru (strongest: {})",
                targeting.len(),
                listings.len(),
                best.title
            ),
            field: "listings".to_string(),
            start: None,
            end: None,
        });
    }
    combine(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Price;

    fn listing(title: &str, ships_to: &[&str], currency: Option<&str>) -> Listing {
        Listing {
            title: title.to_string(),
            ships_to: ships_to.iter().map(|s| s.to_string()).collect(),
            price: currency.map(|c| Price {
                amount: Some(10.0),
                currency: Some(c.to_string()),
                shown: format!("10 {c}"),
            }),
            ..Listing::default()
        }
    }

    #[test]
    fn structured_fields_and_text_combine_as_noisy_or() {
        let lex = Lexicon::builtin();
        let s = score_listing(
            &lex,
            &listing("Cocaína — envío a Lima", &["Perú"], Some("PEN")),
        );
        let names: Vec<&str> = s.signals.iter().map(|e| e.signal.as_str()).collect();
        assert!(
            names.contains(&"ships_to_field") && names.contains(&"price_in_pen"),
            "{names:?}"
        );
        assert!(names.contains(&"ships_to_peru"), "{names:?}");
        assert!(s.targets_peru && s.score > 0.95, "{s:?}");
    }

    #[test]
    fn repeated_weak_signals_do_not_add_up() {
        let lex = Lexicon::builtin();
        let s = score_listing(&lex, &listing("Lima lima LIMA", &[], Some("USD")));
        assert_eq!(s.signals.len(), 3);
        assert_eq!(s.score, 0.25);
        assert!(!s.targets_peru);
    }

    #[test]
    fn nothing_peruvian_scores_zero() {
        let lex = Lexicon::builtin();
        let s = score_listing(
            &lex,
            &listing(
                "MDMA crystals, ships from NL",
                &["Worldwide", "EU"],
                Some("EUR"),
            ),
        );
        assert_eq!(s.score, 0.0);
        assert!(s.signals.is_empty());
    }

    #[test]
    fn a_vendor_reflects_its_strongest_listing() {
        let lex = Lexicon::builtin();
        let mut a = listing("Cocaína", &["Peru"], None);
        a.peru = score_listing(&lex, &a);
        let mut b = listing("Hash", &["EU"], None);
        b.peru = score_listing(&lex, &b);
        let v = score_vendor(Vec::new(), &[a, b]);
        assert!(v.targets_peru, "{v:?}");
        assert!(v.signals[0].matched.starts_with("1 of 2 listings"), "{v:?}");
    }
}
