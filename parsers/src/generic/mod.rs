//! The generic parser: records from a page of a site nobody has written a parser for.
//!
//! New markets appear every few months and an investigator cannot wait for a site
//! template; this parser reads any page by its structure. It classifies the page
//! ([`crate::classify`]), then, by type: listing cards on index and search pages
//! ([`cards`], [`titles`], [`listing`]), the main product on a listing page, the profile
//! on vendor and user pages ([`vendor`]), the posts of a forum thread ([`posts`]). The
//! extractors run over the whole page and every outgoing link is kept, whatever the type.
//!
//! ```
//! use centinela_parsers::{generic, page::Page, Extractor};
//! let html = br#"<ul><li><a href="/i/1">Peruvian flake 1g</a> <b>$90.00</b> by <a href="/vendor/ana">ana</a></li>
//!     <li><a href="/i/2">Peruvian flake 5g</a> <b>$400.00</b> by <a href="/vendor/ana">ana</a></li>
//!     <li><a href="/i/3">Lima rocks 3.5g</a> <b>S/ 1.250,00</b> by <a href="/vendor/beto">beto</a></li></ul>"#;
//! let page = Page::parse("http://m.onion/search?q=peru", html);
//! let parsed = generic::parse(&page, &Extractor::with_default_lexicon());
//! assert_eq!(parsed.listings.len(), 3);
//! assert_eq!(parsed.listings[2].price.as_ref().and_then(|p| p.currency.as_deref()), Some("PEN"));
//! ```

pub mod cards;
pub mod dates;
pub mod fields;
pub mod layout;
pub mod listing;
pub mod posts;
pub mod price;
pub mod titles;
pub mod vendor;

use crate::classify::{self, Classification, Features};
use crate::page::Page;
use crate::records::{PageType, ParsedPage};
use crate::Extractor;
use layout::Layout;

/// The `parser` name the generic parser reports.
pub const PARSER_NAME: &str = "generic";

/// Parses a page with no site configuration.
pub fn parse(page: &Page, extractor: &Extractor) -> ParsedPage {
    parse_classified(page, extractor).0
}

/// [`parse`], also returning the classification and its reasons.
pub fn parse_classified(page: &Page, extractor: &Extractor) -> (ParsedPage, Classification) {
    let layout = Layout::analyze(page);
    let features = Features::compute(page, &layout);
    let class = classify::classify_features(&features);
    let entities = extractor.extract_html(page.bytes());
    let cards: &[usize] = features
        .structure
        .card_group
        .as_ref()
        .map_or(&[], |g| g.cards.as_slice());
    let mut parsed = ParsedPage {
        url: page.url().to_string(),
        page_type: class.page_type,
        parser: PARSER_NAME.to_string(),
        listings: Vec::new(),
        vendors: Vec::new(),
        posts: Vec::new(),
        entities: Vec::new(),
        links: layout.links.iter().map(|l| l.url.clone()).collect(),
        link_kinds: Vec::new(),
    };
    match class.page_type {
        PageType::ListingIndex | PageType::SearchResults => {
            parsed.listings = listing::from_cards(page, &layout, cards, None);
        }
        PageType::Listing => {
            parsed.listings = listing::from_product_page(page, &layout)
                .into_iter()
                .collect();
        }
        PageType::Vendor | PageType::VendorFeedback | PageType::UserProfile => {
            let v = vendor::from_profile(page, &entities, cards.len());
            let handle = v.as_ref().map(|v| v.handle.clone());
            parsed.listings = listing::from_cards(page, &layout, cards, handle.as_deref());
            parsed.vendors = v.into_iter().collect();
        }
        PageType::ForumThread => {
            parsed.posts = posts::from_blocks(page, &layout, &features.structure.post_nodes);
        }
        _ => {}
    }
    parsed.entities = entities;
    (parsed, class)
}
