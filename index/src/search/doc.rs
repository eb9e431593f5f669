//! Turning kept records into index documents.
//!
//! A [`Doc`] is built from the store's record, never from a parse result, because the
//! store is the source of truth: it has merged cards with own pages, kept first/last
//! sighting and the capture. Each document carries its `search --json` record, so a hit
//! needs no store look-up, and a stable id, so a changed record replaces its document.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tantivy::schema::Facet;
use tantivy::TantivyDocument;

use super::normalize::{self, Rates};
use super::schema::Fields;
use crate::store::{Availability, StoredListing, StoredPost, StoredRecord, StoredVendor};

/// The three kinds of record the index holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordType {
    Listing,
    Vendor,
    Post,
}

impl RecordType {
    pub const ALL: [RecordType; 3] = [RecordType::Listing, RecordType::Vendor, RecordType::Post];

    /// The name in `search --json` (`type`) and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Listing => "listing",
            RecordType::Vendor => "vendor",
            RecordType::Post => "post",
        }
    }

    /// Accepts the English names and the Spanish words investigators use
    /// (`anuncio`, `vendedor`, `mensaje`...).
    pub fn parse(s: &str) -> Option<RecordType> {
        match normalize::fold(s).as_str() {
            "listing" | "listings" | "anuncio" | "anuncios" | "producto" | "productos"
            | "oferta" | "ofertas" | "publicacion" => Some(RecordType::Listing),
            "vendor" | "vendors" | "vendedor" | "vendedores" => Some(RecordType::Vendor),
            "post" | "posts" | "mensaje" | "mensajes" | "foro" | "forum" => Some(RecordType::Post),
            _ => None,
        }
    }
}

impl std::fmt::Display for RecordType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stable id of a listing document: `listing\0site\0url`.
pub fn listing_id(site: &str, url: &str) -> String {
    format!("listing\0{site}\0{url}")
}

/// The stable id of a vendor document: `vendor\0site\0handle` with the handle lower-cased,
/// as the store compares handles.
pub fn vendor_id(site: &str, handle: &str) -> String {
    format!("vendor\0{site}\0{}", handle.trim().to_lowercase())
}

/// The stable id of a post document: `post\0site\0url\0id`, where `id` is the store's post
/// id ([`crate::store::post_id`]).
pub fn post_id(site: &str, url: &str, id: &str) -> String {
    format!("post\0{site}\0{url}\0{id}")
}

/// One record, ready to index.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    id: String,
    kind: RecordType,
    site: String,
    url: Option<String>,
    /// Vendor handle of a listing, the handle of a vendor, the author of a post.
    vendor: Option<String>,
    ships_from: Option<String>,
    ships_to: Vec<String>,
    category: Option<String>,
    addresses: Vec<String>,
    contacts: Vec<String>,
    pgp: Vec<String>,
    price: Option<(f64, Option<String>)>,
    first_seen: i64,
    last_seen: i64,
    peru: f64,
    record: Value,
}

impl Doc {
    pub fn listing(l: &StoredListing) -> Doc {
        let x = &l.listing;
        let record = json!({
            "type": "listing",
            "site": l.site,
            "url": x.url,
            "title": x.title,
            "price": x.price,
            "vendor": x.vendor,
            "ships_from": x.ships_from,
            "ships_to": x.ships_to,
            "category": x.category,
            "description": x.description,
            "addresses": x.addresses,
            "contacts": x.contacts,
            "peru": x.peru,
            "first_seen": l.first_seen.rfc3339(),
            "last_seen": l.last_seen.rfc3339(),
            "capture_sha256": l.capture.sha256,
            // Beyond the contract's minimum: whether the listing is still offered.
            "active": l.availability == Availability::Active,
        });
        Doc {
            id: listing_id(&l.site, &x.url),
            kind: RecordType::Listing,
            site: l.site.clone(),
            url: Some(x.url.clone()),
            vendor: x.vendor.clone(),
            ships_from: x.ships_from.clone(),
            ships_to: x.ships_to.clone(),
            category: x.category.clone(),
            addresses: x.addresses.clone(),
            contacts: x.contacts.clone(),
            pgp: Vec::new(),
            price: x
                .price
                .as_ref()
                .and_then(|p| p.amount.map(|a| (a, p.currency.clone()))),
            first_seen: l.first_seen.0,
            last_seen: l.last_seen.0,
            peru: x.peru.score,
            record,
        }
    }

    pub fn vendor(v: &StoredVendor) -> Doc {
        let record = json!({
            "type": "vendor",
            "site": v.site,
            "url": v.url,
            "handle": v.handle,
            "pgp_fingerprints": v.pgp_fingerprints,
            "contacts": v.contacts,
            "addresses": v.addresses,
            "listings_count": v.listings_count(),
            "peru": v.peru,
            "first_seen": v.first_seen.rfc3339(),
            "last_seen": v.last_seen.rfc3339(),
            "capture_sha256": v.capture.as_ref().map(|c| c.sha256.clone()),
        });
        Doc {
            id: vendor_id(&v.site, &v.handle),
            kind: RecordType::Vendor,
            site: v.site.clone(),
            url: v.url.clone(),
            vendor: Some(v.handle.clone()),
            ships_from: None,
            ships_to: Vec::new(),
            category: None,
            addresses: v.addresses.clone(),
            contacts: v.contacts.clone(),
            pgp: v.pgp_fingerprints.clone(),
            price: None,
            first_seen: v.first_seen.0,
            last_seen: v.last_seen.0,
            peru: v.peru.score,
            record,
        }
    }

    /// A post, under the store's post id (see [`crate::store::post_id`]).
    pub fn post(p: &StoredPost, store_id: &str) -> Doc {
        let x = &p.post;
        let record = json!({
            "type": "post",
            "site": p.site,
            "url": x.url,
            "thread_title": x.thread_title,
            "author": x.author,
            "posted_at": x.posted_at,
            "body": x.body,
            "addresses": x.addresses,
            "contacts": x.contacts,
            "peru": x.peru,
            "first_seen": p.first_seen.rfc3339(),
            "last_seen": p.last_seen.rfc3339(),
            "capture_sha256": p.capture.sha256,
        });
        Doc {
            id: post_id(&p.site, &x.url, store_id),
            kind: RecordType::Post,
            site: p.site.clone(),
            url: Some(x.url.clone()),
            vendor: x.author.clone(),
            ships_from: None,
            ships_to: Vec::new(),
            category: None,
            addresses: x.addresses.clone(),
            contacts: x.contacts.clone(),
            pgp: Vec::new(),
            price: None,
            first_seen: p.first_seen.0,
            last_seen: p.last_seen.0,
            peru: x.peru.score,
            record,
        }
    }

    /// A post, computing the store's id from its author, time and body.
    pub fn post_from_store(p: &StoredPost) -> Doc {
        Doc::post(p, &crate::store::post_id(&p.post))
    }

    /// The document of any kept record.
    pub fn from_stored(record: &StoredRecord) -> Doc {
        match record {
            StoredRecord::Listing(l) => Doc::listing(l),
            StoredRecord::Vendor(v) => Doc::vendor(v),
            StoredRecord::Post(p) => Doc::post_from_store(p),
        }
    }

    /// The stable document id.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn record_type(&self) -> RecordType {
        self.kind
    }

    /// The `search --json` record this document returns.
    pub fn record(&self) -> &Value {
        &self.record
    }

    pub(crate) fn to_tantivy(&self, f: &Fields, rates: &Rates) -> TantivyDocument {
        let mut d = TantivyDocument::new();
        d.add_text(f.id, &self.id);
        d.add_text(f.record_type, self.kind.as_str());
        d.add_facet(f.facet_type, Facet::from_path([self.kind.as_str()]));
        let site = self.site.trim();
        d.add_text(f.site, site);
        if !site.is_empty() {
            d.add_facet(f.facet_site, Facet::from_path([site]));
        }
        if let Some(url) = self.url.as_deref().filter(|u| !u.is_empty()) {
            d.add_text(f.url, url.trim());
            if let Some(host) = normalize::onion_host(url) {
                d.add_text(f.onion, &host);
            }
        }
        if let Some(v) = nonempty(self.vendor.as_deref()) {
            d.add_text(f.vendor, v);
            let bare = v.trim_start_matches('@');
            if bare != v {
                d.add_text(f.vendor, bare);
            }
            let v = bare;
            if self.kind == RecordType::Vendor {
                d.add_text(f.handle_norm, normalize::handle_norm(v));
            }
        }
        if let Some(s) = nonempty(self.ships_from.as_deref()) {
            d.add_text(f.ships_from, s);
        }
        let mut seen_to: Vec<String> = Vec::new();
        for s in self.ships_to.iter().filter_map(|s| nonempty(Some(s))) {
            d.add_text(f.ships_to, s);
            let folded = normalize::fold(s);
            if !seen_to.contains(&folded) {
                d.add_facet(f.facet_ships_to, Facet::from_path([folded.as_str()]));
                seen_to.push(folded);
            }
        }
        if let Some(c) = nonempty(self.category.as_deref()) {
            d.add_text(f.category, c);
            d.add_facet(f.facet_category, Facet::from_path([normalize::fold(c)]));
        }
        let mut coins: Vec<&'static str> = Vec::new();
        for a in self.addresses.iter().filter_map(|a| nonempty(Some(a))) {
            d.add_text(f.address, a);
            if let Some(coin) = normalize::coin_of(a) {
                if !coins.contains(&coin.ticker()) {
                    coins.push(coin.ticker());
                }
            }
        }
        for coin in coins {
            d.add_text(f.coin, coin);
            d.add_facet(f.facet_coin, Facet::from_path([coin]));
        }
        for c in self.contacts.iter().filter_map(|c| nonempty(Some(c))) {
            for form in normalize::contact_forms(c) {
                d.add_text(f.contact, &form);
            }
        }
        for p in self.pgp.iter().filter_map(|p| nonempty(Some(p))) {
            d.add_text(f.pgp, p.replace(' ', ""));
        }
        let (title, body) = texts(&self.record);
        for onion in centinela_parsers::onion::find_onions(&title)
            .into_iter()
            .chain(centinela_parsers::onion::find_onions(&body))
        {
            d.add_text(f.onion, &onion.value);
        }
        if !title.is_empty() {
            d.add_text(f.title_es, &title);
            d.add_text(f.title_en, &title);
        }
        if !body.is_empty() {
            d.add_text(f.body_es, &body);
            d.add_text(f.body_en, &body);
        }
        if let Some((amount, currency)) = &self.price {
            if amount.is_finite() {
                d.add_f64(f.price, *amount);
                if let Some(usd) = currency.as_deref().and_then(|c| rates.to_usd(*amount, c)) {
                    d.add_f64(f.price_usd, usd);
                }
            }
        }
        d.add_i64(f.first_seen, self.first_seen);
        d.add_i64(f.last_seen, self.last_seen);
        d.add_f64(f.peru, self.peru);
        d.add_text(f.record, self.record.to_string());
        d
    }
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The title and body text of a record, derived from its `search --json` form so that
/// indexing and snippet generation see exactly the same text.
///
/// Listings: the title, and the description followed by vendor, category and shipping
/// (so `cocaina lima` finds a listing whose only Lima is in `ships_to`). Vendors: the
/// handle, and their contacts, wallets and fingerprints. Posts: the thread title, and the
/// author followed by the body.
pub(crate) fn texts(record: &Value) -> (String, String) {
    let s = |k: &str| record.get(k).and_then(Value::as_str).unwrap_or("").trim();
    let list = |k: &str| -> Vec<&str> {
        record
            .get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    let mut body = String::new();
    let mut push = |part: &str| {
        let part = part.trim();
        if !part.is_empty() {
            if !body.is_empty() {
                body.push_str(" · ");
            }
            body.push_str(part);
        }
    };
    match s("type") {
        "listing" => {
            push(s("description"));
            push(s("vendor"));
            push(s("category"));
            push(s("ships_from"));
            push(&list("ships_to").join(", "));
            (s("title").to_string(), body)
        }
        "vendor" => {
            push(&list("contacts").join(" "));
            push(&list("addresses").join(" "));
            push(&list("pgp_fingerprints").join(" "));
            (s("handle").to_string(), body)
        }
        _ => {
            push(s("author"));
            push(s("body"));
            (s("thread_title").to_string(), body)
        }
    }
}
