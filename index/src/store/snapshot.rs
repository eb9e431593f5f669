//! The store's content without the parts that depend on when and how often pages were
//! fetched (times, capture references, history sequence): what two crawls of the same
//! site must agree on, whatever interrupted them.

use serde_json::{json, Value};

use super::{Store, StoreError};

impl Store {
    /// Every listing, vendor, post and identifier link, and the kinds of history events
    /// per URL, as one JSON value in key order.
    pub fn snapshot(&self) -> Result<Value, StoreError> {
        let listings: Vec<Value> = self
            .listings(None)?
            .into_iter()
            .map(|l| {
                json!({
                    "site": l.site, "listing": l.listing,
                    "availability": matches!(l.availability, super::Availability::Active),
                    "sha256": l.capture.sha256, "from_page": l.capture_page,
                })
            })
            .collect();
        let mut vendors: Vec<Value> = Vec::new();
        for v in self.vendors(None)? {
            vendors.push(json!({
                "site": v.site, "handle": v.handle, "url": v.url,
                "pgp_fingerprints": v.pgp_fingerprints, "contacts": v.contacts,
                "addresses": v.addresses, "listings": self.vendor_listings(&v.site, &v.handle)?,
                "listings_count": v.listings_count(), "peru": v.peru,
            }));
        }
        let posts: Vec<Value> = self
            .posts(None)?
            .into_iter()
            .map(|p| json!({"site": p.site, "post": p.post}))
            .collect();
        let mut ids = Vec::new();
        for item in self.ids.iter() {
            let (key, _) = item?;
            ids.push(super::keys::printable(&key));
        }
        let mut history = Vec::new();
        for item in self.history.iter() {
            let (key, value) = item?;
            let e: super::HistoryEvent = super::decode(&key, &value)?;
            let kind = serde_json::to_value(&e.change)
                .ok()
                .and_then(|v| v.get("kind").cloned())
                .unwrap_or(Value::Null);
            history.push(json!([e.site, e.url, kind]));
        }
        Ok(json!({
            "listings": listings, "vendors": vendors, "posts": posts,
            "identifiers": ids, "history": history,
        }))
    }
}
