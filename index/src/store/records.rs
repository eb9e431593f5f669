//! The records as kept: what a parser saw, plus where and when we saw it. Their JSON field
//! names follow the `search --json` contract of DESIGN.md.

use centinela_parsers::records::{Listing, PeruScore, Post, Price};
use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Where a record's evidence lives: one response record in the WARC files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    /// WARC file name inside `<data dir>/warc`.
    pub file: String,
    /// Offset of the response record's gzip member.
    pub offset: u64,
    pub length: u64,
    pub record_id: String,
    /// Lower-case hex SHA-256 of the page as fetched.
    pub sha256: String,
    /// The record's WARC-Date, as written.
    pub warc_date: String,
    pub at: Timestamp,
}

/// Whether a listing is still offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Availability {
    Active,
    /// Its page answered 404/410, or a complete crawl pass no longer found it.
    Disappeared {
        since: Timestamp,
    },
}

/// A listing as kept: the parser's record (its fields at the top level of the JSON, as
/// `search --json` shows them) and when and where we saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredListing {
    pub site: String,
    #[serde(flatten)]
    pub listing: Listing,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub availability: Availability,
    /// The capture the current field values come from.
    pub capture: Capture,
    /// The page of that capture: the listing's own page, or a list showing its card.
    pub capture_page: String,
}

impl StoredListing {
    /// Whether the current values come from the listing's own page rather than a card.
    pub fn capture_is_own_page(&self) -> bool {
        self.capture_page == self.listing.url
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredVendor {
    pub site: String,
    pub handle: String,
    /// The profile page; `None` while the vendor is known only from listings naming it.
    pub url: Option<String>,
    pub pgp_fingerprints: Vec<String>,
    pub contacts: Vec<String>,
    pub addresses: Vec<String>,
    /// How many listings on this site name the vendor (the listings themselves are in
    /// their own tree, [`super::Store::vendor_listings`], so that this record stays small
    /// however much the vendor sells: it is rewritten on every listing page).
    pub listings_seen: usize,
    /// The count the profile page showed, when it showed one.
    pub listings_shown: usize,
    pub peru: PeruScore,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub capture: Option<Capture>,
}

impl StoredVendor {
    /// What the `listings_count` of search output reports: the larger of what the
    /// profile claimed and what we have seen.
    pub fn listings_count(&self) -> usize {
        self.listings_shown.max(self.listings_seen)
    }
}

/// A post as kept, with when and where we saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredPost {
    pub site: String,
    #[serde(flatten)]
    pub post: Post,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub capture: Capture,
}

/// One change to a listing or vendor over time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvent {
    pub site: String,
    pub url: String,
    pub at: Timestamp,
    pub change: Change,
    /// SHA-256 of the capture that showed the change, when a page showed it.
    pub capture_sha256: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    ListingFirstSeen,
    PriceChanged {
        old: Option<Price>,
        new: Option<Price>,
    },
    ShippingChanged {
        old_from: Option<String>,
        new_from: Option<String>,
        old_to: Vec<String>,
        new_to: Vec<String>,
    },
    ListingDisappeared,
    ListingReappeared,
    VendorFirstSeen {
        handle: String,
    },
}

impl super::StoredRecord {
    pub fn site(&self) -> &str {
        match self {
            super::StoredRecord::Listing(l) => &l.site,
            super::StoredRecord::Vendor(v) => &v.site,
            super::StoredRecord::Post(p) => &p.site,
        }
    }

    /// Whether both are the same record (same store key), whatever their contents.
    pub fn same_key(&self, other: &super::StoredRecord) -> bool {
        match (self, other) {
            (super::StoredRecord::Listing(a), super::StoredRecord::Listing(b)) => {
                a.site == b.site && a.listing.url == b.listing.url
            }
            (super::StoredRecord::Vendor(a), super::StoredRecord::Vendor(b)) => {
                a.site == b.site && a.handle.to_lowercase() == b.handle.to_lowercase()
            }
            (super::StoredRecord::Post(a), super::StoredRecord::Post(b)) => {
                a.site == b.site
                    && a.post.url == b.post.url
                    && super::post_id(&a.post) == super::post_id(&b.post)
            }
            _ => false,
        }
    }
}

/// A record that applying a page created or changed: its state as now kept, whether it
/// is new, and the history events that application recorded for it (in order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangedRecord {
    pub record: super::StoredRecord,
    pub new: bool,
    pub changes: Vec<Change>,
}

/// Which kind of identifier a reverse-map entry is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    Address,
    Contact,
    PgpFingerprint,
}

impl IdentifierKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Address => "address",
            IdentifierKind::Contact => "contact",
            IdentifierKind::PgpFingerprint => "pgp",
        }
    }

    /// The form identifiers are kept and looked up in: hex fingerprints upper case,
    /// handles lower case (platforms ignore case), addresses as written except bech32
    /// and hex ones, which are case-insensitive by definition.
    pub fn normalize(self, value: &str) -> String {
        let v = value.trim();
        match self {
            IdentifierKind::PgpFingerprint => v.replace(' ', "").to_ascii_uppercase(),
            IdentifierKind::Contact => v.to_lowercase(),
            IdentifierKind::Address => {
                let lower = v.to_ascii_lowercase();
                if lower.starts_with("bc1")
                    || lower.starts_with("tb1")
                    || lower.starts_with("ltc1")
                    || lower.starts_with("0x")
                    || lower.starts_with("bitcoincash:")
                {
                    lower
                } else {
                    v.to_string()
                }
            }
        }
    }
}

/// A record that showed an identifier.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecordRef {
    Listing {
        site: String,
        url: String,
    },
    Vendor {
        site: String,
        handle: String,
    },
    Post {
        site: String,
        url: String,
        id: String,
    },
}

impl RecordRef {
    pub fn site(&self) -> &str {
        match self {
            RecordRef::Listing { site, .. }
            | RecordRef::Vendor { site, .. }
            | RecordRef::Post { site, .. } => site,
        }
    }
}
