//! The structured records a page yields: listings, vendors, posts, and the page's type.
//! Their JSON field names are the `parse --json` / `search --json` contract (DESIGN.md).

use crate::entity::Entity;
use serde::{Deserialize, Serialize};

/// What kind of page this is. Gates (`login`, `captcha`, `ddos_queue`) make the crawler
/// stop and ask a human instead of hammering the site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageType {
    /// One product page.
    Listing,
    /// A category or home page that shows several listings.
    ListingIndex,
    SearchResults,
    Vendor,
    VendorFeedback,
    UserProfile,
    ForumIndex,
    ForumBoard,
    ForumThread,
    LinkDirectory,
    Login,
    Captcha,
    /// A DDoS-protection or queue interstitial.
    DdosQueue,
    Redirect,
    Error,
    /// Rules, FAQ, PGP or mirrors notice.
    Info,
    Other,
}

impl PageType {
    pub const ALL: [PageType; 17] = [
        PageType::Listing,
        PageType::ListingIndex,
        PageType::SearchResults,
        PageType::Vendor,
        PageType::VendorFeedback,
        PageType::UserProfile,
        PageType::ForumIndex,
        PageType::ForumBoard,
        PageType::ForumThread,
        PageType::LinkDirectory,
        PageType::Login,
        PageType::Captcha,
        PageType::DdosQueue,
        PageType::Redirect,
        PageType::Error,
        PageType::Info,
        PageType::Other,
    ];

    /// The snake_case name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            PageType::Listing => "listing",
            PageType::ListingIndex => "listing_index",
            PageType::SearchResults => "search_results",
            PageType::Vendor => "vendor",
            PageType::VendorFeedback => "vendor_feedback",
            PageType::UserProfile => "user_profile",
            PageType::ForumIndex => "forum_index",
            PageType::ForumBoard => "forum_board",
            PageType::ForumThread => "forum_thread",
            PageType::LinkDirectory => "link_directory",
            PageType::Login => "login",
            PageType::Captcha => "captcha",
            PageType::DdosQueue => "ddos_queue",
            PageType::Redirect => "redirect",
            PageType::Error => "error",
            PageType::Info => "info",
            PageType::Other => "other",
        }
    }

    /// Pages a crawler must not retry on its own: a person has to log in, solve the
    /// captcha or wait out the queue.
    pub fn needs_human(self) -> bool {
        matches!(
            self,
            PageType::Login | PageType::Captcha | PageType::DdosQueue
        )
    }
}

/// A price as the page shows it, and as a number where it can be read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// The amount, when the text could be read as one number (tiers and ranges: the first).
    pub amount: Option<f64>,
    /// ISO 4217 code or crypto ticker (`USD`, `EUR`, `PEN`, `BTC`, `XMR`).
    pub currency: Option<String>,
    /// Exactly as shown, e.g. `"S/ 1.250,00"`, `"0.0042 BTC"`.
    pub shown: String,
}

/// How strongly a record points at Peru.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PeruScore {
    /// 0..1.
    pub score: f64,
    pub targets_peru: bool,
    /// Each thing that matched, and where.
    pub signals: Vec<PeruEvidence>,
}

/// One reason for a Peru score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeruEvidence {
    /// Lexicon signal name, or a structured one (`ships_to_field`, `price_in_pen`...).
    pub signal: String,
    pub weight: f64,
    /// What matched, as written.
    pub matched: String,
    /// Where: a field name (`ships_to`, `title`, `description`...) or `page`.
    pub field: String,
    /// Byte offsets in the page, when the match is in its text.
    pub start: Option<usize>,
    pub end: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    pub url: String,
    pub title: String,
    pub price: Option<Price>,
    /// Vendor handle without decorations (ratings, levels, `@`).
    pub vendor: Option<String>,
    pub ships_from: Option<String>,
    pub ships_to: Vec<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    /// Crypto addresses in the listing's own text (values).
    pub addresses: Vec<String>,
    /// Contact handles in the listing's own text, as `platform:value`.
    pub contacts: Vec<String>,
    pub peru: PeruScore,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Vendor {
    pub url: String,
    pub handle: String,
    pub pgp_fingerprints: Vec<String>,
    pub contacts: Vec<String>,
    pub addresses: Vec<String>,
    /// Listings shown on this page for the vendor (0 when unknown).
    pub listings_count: usize,
    pub peru: PeruScore,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub url: String,
    pub thread_title: Option<String>,
    pub author: Option<String>,
    /// As shown, or ISO 8601 when the page gives a machine-readable time.
    pub posted_at: Option<String>,
    pub body: String,
    pub addresses: Vec<String>,
    pub contacts: Vec<String>,
    pub peru: PeruScore,
}

/// Everything one page yielded: the `parse --json` object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParsedPage {
    pub url: String,
    pub page_type: PageType,
    /// `template:<name>`, `site:<site name>` (a selector configuration) or `generic`.
    pub parser: String,
    pub listings: Vec<Listing>,
    pub vendors: Vec<Vendor>,
    pub posts: Vec<Post>,
    pub entities: Vec<Entity>,
    /// Absolute outgoing links the crawler would consider.
    pub links: Vec<String>,
    /// The links a site's parser recognised (listings, vendors, next page of a list), so
    /// the crawler can fetch them first. Not part of the `parse --json` contract.
    #[serde(skip)]
    pub link_kinds: Vec<(String, LinkKind)>,
}

/// What a link leads to, by a parser's link rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Listing,
    Vendor,
    NextPage,
    Other,
}
