//! Applying what one page showed: merge its records into the stored ones, record what
//! changed, and index their identifiers — all in one transaction.

use std::cell::RefCell;

use centinela_parsers::records::{Listing, ParsedPage, Post, Price, Vendor};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

use super::keys;
use super::records::{
    Availability, Capture, Change, ChangedRecord, HistoryEvent, IdentifierKind, RecordRef,
    StoredListing, StoredPost, StoredVendor,
};
use super::{RecordKind, Store, StoreError, StoredRecord};
use crate::time::Timestamp;

/// One parsed page to keep.
#[derive(Clone, Copy, Debug)]
pub struct Observation<'a> {
    pub site: &'a str,
    pub at: Timestamp,
    pub capture: &'a Capture,
    pub page: &'a ParsedPage,
}

/// What applying a page changed, for the crawl's summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub listings_new: u32,
    pub listings_changed: u32,
    pub vendors_new: u32,
    pub posts_new: u32,
}

impl std::ops::AddAssign for Applied {
    fn add_assign(&mut self, o: Applied) {
        self.listings_new += o.listings_new;
        self.listings_changed += o.listings_changed;
        self.vendors_new += o.vendors_new;
        self.posts_new += o.posts_new;
    }
}

/// The tree where [`Store::apply_page_changes`] journals changed records until the
/// watchlist matcher has processed them: key a big-endian sequence number, value a
/// [`ChangedRecord`] as JSON.
pub const CHANGES_TREE: &str = "store/changes";

/// What one application of a page did: the counts, and every record it created or whose
/// kept content changed (not those it only saw again), for the watchlist matcher.
#[derive(Clone, Debug, Default)]
struct Outcome {
    applied: Applied,
    changed: Vec<ChangedRecord>,
}

impl Outcome {
    /// Notes a record as applied. A record shown twice on one page (a listing card and
    /// its vendor link, say) is reported once, in its last state, with all its events.
    fn note(
        &mut self,
        record: StoredRecord,
        new: bool,
        changes: Vec<Change>,
        content_changed: bool,
    ) {
        if !new && changes.is_empty() && !content_changed {
            return;
        }
        if let Some(c) = self.changed.iter_mut().find(|c| c.record.same_key(&record)) {
            c.record = record;
            c.new |= new;
            c.changes.extend(changes);
            return;
        }
        self.changed.push(ChangedRecord {
            record,
            new,
            changes,
        });
    }
}

/// The records a page showed when it was last parsed.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct PageRecords {
    listings: Vec<String>,
    vendors: Vec<String>,
    posts: Vec<(String, String)>,
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

struct Tx<'a> {
    listings: &'a TransactionalTree,
    vendors: &'a TransactionalTree,
    posts: &'a TransactionalTree,
    pages: &'a TransactionalTree,
    history: &'a TransactionalTree,
    ids: &'a TransactionalTree,
    vendor_listings: &'a TransactionalTree,
    unindexed: &'a TransactionalTree,
    /// Keys (see [`RecordKind::unindexed_key`]) of the records this attempt wrote.
    written: &'a RefCell<Vec<Vec<u8>>>,
    changes: &'a TransactionalTree,
}

fn tx_get<T: serde::de::DeserializeOwned>(
    tree: &TransactionalTree,
    key: &[u8],
) -> TxResult<Option<T>> {
    match tree.get(key)? {
        Some(v) => serde_json::from_slice(&v).map(Some).map_err(|source| {
            ConflictableTransactionError::Abort(StoreError::Corrupt {
                key: keys::printable(key),
                source,
            })
        }),
        None => Ok(None),
    }
}

fn tx_put<T: Serialize>(tree: &TransactionalTree, key: &[u8], value: &T) -> TxResult<()> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| ConflictableTransactionError::Abort(StoreError::Encode(e)))?;
    tree.insert(key, bytes)?;
    Ok(())
}

/// Updates the record at `key`, if there is one, with `f`; returns what `f` returned
/// (false when there was no record).
fn touch<T: Serialize + serde::de::DeserializeOwned>(
    tx: &Tx<'_>,
    kind: RecordKind,
    key: &[u8],
    f: impl FnOnce(&mut T) -> bool,
) -> TxResult<bool> {
    let Some(mut record) = tx_get::<T>(tx.tree(kind), key)? else {
        return Ok(false);
    };
    let answer = f(&mut record);
    tx.put_record(kind, key, &record)?;
    Ok(answer)
}

fn unwrap_tx<T>(r: Result<T, TransactionError<StoreError>>) -> Result<T, StoreError> {
    r.map_err(|e| match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Db(e),
    })
}

impl Tx<'_> {
    fn tree(&self, kind: RecordKind) -> &TransactionalTree {
        match kind {
            RecordKind::Listing => self.listings,
            RecordKind::Vendor => self.vendors,
            RecordKind::Post => self.posts,
        }
    }

    /// Writes a listing, vendor or post, and notes it as not yet in the search index in
    /// the same transaction: the index can then never silently miss a kept change, even
    /// when the process dies before the index commits.
    fn put_record<T: Serialize>(&self, kind: RecordKind, key: &[u8], value: &T) -> TxResult<()> {
        tx_put(self.tree(kind), key, value)?;
        let marker = kind.unindexed_key(key);
        self.unindexed.insert(marker.as_slice(), &[])?;
        self.written.borrow_mut().push(marker);
        Ok(())
    }

    fn event(
        &self,
        site: &str,
        subject: &str,
        at: Timestamp,
        change: Change,
        sha: Option<&str>,
    ) -> TxResult<()> {
        let seq = self.history.generate_id()?;
        let event = HistoryEvent {
            site: site.to_string(),
            url: subject.to_string(),
            at,
            change,
            capture_sha256: sha.map(str::to_string),
        };
        tx_put(self.history, &keys::history(site, subject, at, seq), &event)
    }

    fn index(
        &self,
        kind: IdentifierKind,
        values: &[String],
        record_key: &[u8],
        record: &RecordRef,
    ) -> TxResult<()> {
        for v in values {
            let key = keys::identifier(kind, &kind.normalize(v), record_key);
            if self.ids.get(&key)?.is_none() {
                tx_put(self.ids, &key, record)?;
            }
        }
        Ok(())
    }
}

/// The subject under which a vendor's history is kept (vendors may have no URL yet).
pub(super) fn vendor_subject(handle: &str) -> String {
    format!("vendor:{}", handle.to_lowercase())
}

fn same_price(a: &Option<Price>, b: &Option<Price>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.amount == b.amount && a.currency == b.currency,
        (None, None) => true,
        _ => false,
    }
}

fn union(into: &mut Vec<String>, more: &[String]) -> bool {
    let before = into.len();
    for m in more {
        if !into.contains(m) {
            into.push(m.clone());
        }
    }
    into.sort();
    into.len() != before
}

/// A post's id inside its (site, url) key: it has no id of its own on most forums, so
/// the first 8 bytes of SHA-256 over author, time and body (each NUL-terminated).
pub fn post_id(p: &Post) -> String {
    let mut h = Sha256::new();
    for part in [
        p.author.as_deref().unwrap_or(""),
        p.posted_at.as_deref().unwrap_or(""),
        &p.body,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// Runs `f` in one transaction over every tree of the store. Records written by a
    /// committed transaction are queued for the search index (see [`Store::take_changed`]).
    fn transact<T>(&self, f: impl Fn(&Tx<'_>) -> TxResult<T>) -> Result<T, StoreError> {
        let trees = (
            &self.listings,
            &self.vendors,
            &self.posts,
            &self.pages,
            &self.history,
            &self.ids,
            &self.vendor_listings,
            &self.unindexed,
            &self.changes,
        );
        let written = RefCell::new(Vec::new());
        let out = unwrap_tx(trees.transaction(
            |(
                listings,
                vendors,
                posts,
                pages,
                history,
                ids,
                vendor_listings,
                unindexed,
                changes,
            )| {
                // A conflict re-runs the closure: only the last attempt's writes count.
                written.borrow_mut().clear();
                f(&Tx {
                    listings,
                    vendors,
                    posts,
                    pages,
                    history,
                    ids,
                    vendor_listings,
                    unindexed,
                    written: &written,
                    changes,
                })
            },
        ))?;
        self.note_changed(written.into_inner());
        Ok(out)
    }

    /// Keeps one parsed page. Safe to repeat: a second application of the same page
    /// only moves `last_seen`.
    pub fn apply_page(&self, obs: &Observation<'_>) -> Result<Applied, StoreError> {
        self.transact(|tx| apply(tx, obs)).map(|o| o.applied)
    }

    /// [`Store::apply_page`] for a keeper that runs watchlists: also returns every record
    /// the page created or changed, as now kept, with the history events this
    /// application recorded for it, and journals the same records in the tree
    /// [`CHANGES_TREE`] *in the same transaction*. Records the page only showed again (an
    /// unchanged re-crawl) are neither returned nor journaled.
    ///
    /// Why a journal: the watchlist matcher ([`crate::watch::Watcher::process_pending`])
    /// drains it in its own transaction together with the alert outbox. Were the changes
    /// only returned, a crash after this transaction and before the matcher's would lose
    /// the alerts for good, since re-applying the page then changes nothing.
    pub fn apply_page_changes(
        &self,
        obs: &Observation<'_>,
    ) -> Result<(Applied, Vec<ChangedRecord>), StoreError> {
        self.transact(|tx| {
            let o = apply(tx, obs)?;
            for c in &o.changed {
                let seq = tx.changes.generate_id()?;
                tx_put(tx.changes, &seq.to_be_bytes(), c)?;
            }
            Ok(o)
        })
        .map(|o| (o.applied, o.changed))
    }

    /// A page came back unchanged (304, or the same bytes): its records were seen again.
    pub fn touch_page(&self, site: &str, url: &str, at: Timestamp) -> Result<(), StoreError> {
        self.transact(|tx| {
            let Some(recs) = tx_get::<PageRecords>(tx.pages, &keys::page(site, url))? else {
                return Ok(());
            };
            for l in &recs.listings {
                let own_page = l == url;
                touch::<StoredListing>(tx, RecordKind::Listing, &keys::listing(site, l), |s| {
                    s.last_seen = s.last_seen.max(at);
                    let back = own_page && s.availability != Availability::Active;
                    if back {
                        s.availability = Availability::Active;
                    }
                    back
                })?
                .then(|| tx.event(site, l, at, Change::ListingReappeared, None))
                .transpose()?;
            }
            for h in &recs.vendors {
                touch::<StoredVendor>(tx, RecordKind::Vendor, &keys::vendor(site, h), |s| {
                    s.last_seen = s.last_seen.max(at);
                    false
                })?;
            }
            for (u, id) in &recs.posts {
                touch::<StoredPost>(tx, RecordKind::Post, &keys::post(site, u, id), |s| {
                    s.last_seen = s.last_seen.max(at);
                    false
                })?;
            }
            Ok(())
        })
    }

    /// A listing's page answered 404/410: it is gone. Returns whether that is news.
    pub fn listing_gone(
        &self,
        site: &str,
        url: &str,
        at: Timestamp,
        capture_sha256: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.transact(|tx| {
            let key = keys::listing(site, url);
            let Some(mut s) = tx_get::<StoredListing>(tx.listings, &key)? else {
                return Ok(false);
            };
            if s.availability != Availability::Active {
                return Ok(false);
            }
            s.availability = Availability::Disappeared { since: at };
            tx.put_record(RecordKind::Listing, &key, &s)?;
            tx.event(site, url, at, Change::ListingDisappeared, capture_sha256)?;
            Ok(true)
        })
    }

    /// A complete crawl pass of `site`, begun at `pass_started`, has ended: every active
    /// listing it did not see is gone. Returns how many disappeared.
    pub fn finish_pass(
        &self,
        site: &str,
        pass_started: Timestamp,
        at: Timestamp,
    ) -> Result<u32, StoreError> {
        let mut gone = 0;
        for item in self.listings.scan_prefix(keys::site_prefix(site)) {
            let (key, value) = item?;
            let listing: StoredListing = super::decode(&key, &value)?;
            if listing.availability == Availability::Active
                && listing.last_seen < pass_started
                && self.listing_gone(site, &listing.listing.url, at, None)?
            {
                gone += 1;
            }
        }
        Ok(gone)
    }
}

fn apply(tx: &Tx<'_>, obs: &Observation<'_>) -> TxResult<Outcome> {
    let mut out = Outcome::default();
    let mut recs = PageRecords::default();
    let site = obs.site;
    for l in &obs.page.listings {
        if l.url.is_empty() {
            continue;
        }
        let own_page = l.url == obs.page.url;
        if apply_listing(tx, obs, l, own_page, &mut out)? {
            recs.listings.push(l.url.clone());
        }
        if let Some(handle) = l.vendor.as_deref().filter(|h| !h.trim().is_empty()) {
            link_vendor(tx, obs, handle.trim(), &l.url, &mut out)?;
        }
    }
    for v in &obs.page.vendors {
        if v.handle.trim().is_empty() {
            continue;
        }
        apply_vendor(tx, obs, v, &mut out)?;
        recs.vendors.push(v.handle.trim().to_string());
    }
    for p in &obs.page.posts {
        let id = post_id(p);
        let url = if p.url.is_empty() {
            obs.page.url.clone()
        } else {
            p.url.clone()
        };
        let key = keys::post(site, &url, &id);
        let (stored, new) = match tx_get::<StoredPost>(tx.posts, &key)? {
            Some(mut s) => {
                s.last_seen = s.last_seen.max(obs.at);
                s.first_seen = s.first_seen.min(obs.at);
                (s, false)
            }
            None => {
                out.applied.posts_new += 1;
                (
                    StoredPost {
                        site: site.to_string(),
                        post: Post {
                            url: url.clone(),
                            ..p.clone()
                        },
                        first_seen: obs.at,
                        last_seen: obs.at,
                        capture: obs.capture.clone(),
                    },
                    true,
                )
            }
        };
        let r = RecordRef::Post {
            site: site.to_string(),
            url: url.clone(),
            id: id.clone(),
        };
        tx.index(IdentifierKind::Address, &stored.post.addresses, &key, &r)?;
        tx.index(IdentifierKind::Contact, &stored.post.contacts, &key, &r)?;
        tx.put_record(RecordKind::Post, &key, &stored)?;
        out.note(StoredRecord::Post(stored), new, Vec::new(), false);
        recs.posts.push((url, id));
    }
    tx_put(tx.pages, &keys::page(site, &obs.page.url), &recs)?;
    Ok(out)
}

/// Merges one listing; returns whether it was kept.
fn apply_listing(
    tx: &Tx<'_>,
    obs: &Observation<'_>,
    l: &Listing,
    own_page: bool,
    out: &mut Outcome,
) -> TxResult<bool> {
    let site = obs.site;
    let key = keys::listing(site, &l.url);
    let sha = Some(obs.capture.sha256.as_str());
    let mut events = Vec::new();
    let mut event = |change: Change| -> TxResult<()> {
        tx.event(site, &l.url, obs.at, change.clone(), sha)?;
        events.push(change);
        Ok(())
    };
    let before = tx_get::<StoredListing>(tx.listings, &key)?;
    let stored = match before.clone() {
        None => {
            out.applied.listings_new += 1;
            event(Change::ListingFirstSeen)?;
            StoredListing {
                site: site.to_string(),
                listing: l.clone(),
                first_seen: obs.at,
                last_seen: obs.at,
                availability: Availability::Active,
                capture: obs.capture.clone(),
                capture_page: obs.page.url.clone(),
            }
        }
        Some(mut s) => {
            // Values from the listing's own page win over a card's summary of it. Changes
            // are recorded only between two readings of the own page: cards on different
            // list pages summarise a listing differently (rounded prices, no shipping),
            // and that is not the vendor changing anything.
            let stored_own = s.capture_is_own_page();
            let comparable = own_page && stored_own;
            let overwrite = own_page || !stored_own;
            let mut changed = false;
            if comparable && l.price.is_some() && !same_price(&s.listing.price, &l.price) {
                event(Change::PriceChanged {
                    old: s.listing.price.clone(),
                    new: l.price.clone(),
                })?;
                changed = true;
            }
            let shipping_shown = l.ships_from.is_some() || !l.ships_to.is_empty();
            if comparable
                && shipping_shown
                && (s.listing.ships_from != l.ships_from || s.listing.ships_to != l.ships_to)
            {
                event(Change::ShippingChanged {
                    old_from: s.listing.ships_from.clone(),
                    new_from: l.ships_from.clone(),
                    old_to: s.listing.ships_to.clone(),
                    new_to: l.ships_to.clone(),
                })?;
                changed = true;
            }
            // Only the listing's own page brings it back: a list page may show a stale
            // card of a listing whose page is gone, and the outcome must not depend on
            // which of the two was fetched first.
            if own_page && matches!(s.availability, Availability::Disappeared { .. }) {
                event(Change::ListingReappeared)?;
                s.availability = Availability::Active;
                changed = true;
            }
            if changed {
                out.applied.listings_changed += 1;
            }
            if overwrite {
                if !l.title.is_empty() {
                    s.listing.title = l.title.clone();
                }
                fill(&mut s.listing.price, &l.price, true);
                fill(&mut s.listing.vendor, &l.vendor, true);
                fill(&mut s.listing.ships_from, &l.ships_from, true);
                fill(&mut s.listing.category, &l.category, true);
                fill(&mut s.listing.description, &l.description, true);
                if !l.ships_to.is_empty() {
                    s.listing.ships_to = l.ships_to.clone();
                }
                if own_page || s.listing.peru.score <= l.peru.score {
                    s.listing.peru = l.peru.clone();
                }
                s.capture = obs.capture.clone();
                s.capture_page = obs.page.url.clone();
            } else {
                fill(&mut s.listing.price, &l.price, false);
                fill(&mut s.listing.vendor, &l.vendor, false);
                fill(&mut s.listing.ships_from, &l.ships_from, false);
                fill(&mut s.listing.category, &l.category, false);
                fill(&mut s.listing.description, &l.description, false);
            }
            union(&mut s.listing.addresses, &l.addresses);
            union(&mut s.listing.contacts, &l.contacts);
            s.first_seen = s.first_seen.min(obs.at);
            s.last_seen = s.last_seen.max(obs.at);
            s
        }
    };
    let r = RecordRef::Listing {
        site: site.to_string(),
        url: l.url.clone(),
    };
    tx.index(IdentifierKind::Address, &stored.listing.addresses, &key, &r)?;
    tx.index(IdentifierKind::Contact, &stored.listing.contacts, &key, &r)?;
    tx.put_record(RecordKind::Listing, &key, &stored)?;
    let content_changed = before
        .as_ref()
        .is_some_and(|b| b.listing != stored.listing || b.availability != stored.availability);
    out.note(
        StoredRecord::Listing(stored),
        before.is_none(),
        events,
        content_changed,
    );
    Ok(true)
}

fn fill<T: Clone>(into: &mut Option<T>, from: &Option<T>, overwrite: bool) {
    if from.is_some() && (overwrite || into.is_none()) {
        into.clone_from(from);
    }
}

fn new_vendor(site: &str, handle: &str, at: Timestamp) -> StoredVendor {
    StoredVendor {
        site: site.to_string(),
        handle: handle.to_string(),
        url: None,
        pgp_fingerprints: Vec::new(),
        contacts: Vec::new(),
        addresses: Vec::new(),
        listings_seen: 0,
        listings_shown: 0,
        peru: Default::default(),
        first_seen: at,
        last_seen: at,
        capture: None,
    }
}

/// A listing names its vendor: the vendor exists on this site even before we see the
/// profile, and the listing counts towards them.
fn link_vendor(
    tx: &Tx<'_>,
    obs: &Observation<'_>,
    handle: &str,
    listing_url: &str,
    out: &mut Outcome,
) -> TxResult<()> {
    let key = keys::vendor(obs.site, handle);
    let before = tx_get::<StoredVendor>(tx.vendors, &key)?;
    let (mut v, created) = match before.clone() {
        Some(v) => (v, false),
        None => {
            out.applied.vendors_new += 1;
            tx.event(
                obs.site,
                &vendor_subject(handle),
                obs.at,
                Change::VendorFirstSeen {
                    handle: handle.to_string(),
                },
                None,
            )?;
            (new_vendor(obs.site, handle, obs.at), true)
        }
    };
    let link = keys::vendor_listing(obs.site, handle, listing_url);
    let new_link = tx.vendor_listings.get(&link)?.is_none();
    if new_link {
        tx.vendor_listings.insert(link, &[])?;
        v.listings_seen += 1;
    }
    let (first, last) = (v.first_seen.min(obs.at), v.last_seen.max(obs.at));
    if !new_link && first == v.first_seen && last == v.last_seen && !created {
        // Nothing to write (the same second's listing pages of a known vendor).
        return Ok(());
    }
    v.first_seen = first;
    v.last_seen = last;
    tx.put_record(RecordKind::Vendor, &key, &v)?;
    note_vendor(out, before, v, handle);
    Ok(())
}

/// Reports a vendor record to the outcome: new, or changed in what it shows (identifiers,
/// profile URL, listings, Peru score), not merely seen again.
fn note_vendor(out: &mut Outcome, before: Option<StoredVendor>, v: StoredVendor, handle: &str) {
    let changes = if before.is_none() {
        vec![Change::VendorFirstSeen {
            handle: handle.to_string(),
        }]
    } else {
        Vec::new()
    };
    let content_changed = before.as_ref().is_some_and(|b| {
        b.url != v.url
            || b.pgp_fingerprints != v.pgp_fingerprints
            || b.contacts != v.contacts
            || b.addresses != v.addresses
            || b.listings_seen != v.listings_seen
            || b.listings_shown != v.listings_shown
            || b.peru != v.peru
    });
    out.note(
        StoredRecord::Vendor(v),
        before.is_none(),
        changes,
        content_changed,
    );
}

fn apply_vendor(
    tx: &Tx<'_>,
    obs: &Observation<'_>,
    found: &Vendor,
    out: &mut Outcome,
) -> TxResult<()> {
    let handle = found.handle.trim();
    let key = keys::vendor(obs.site, handle);
    let before = tx_get::<StoredVendor>(tx.vendors, &key)?;
    let mut v = match before.clone() {
        Some(v) => v,
        None => {
            out.applied.vendors_new += 1;
            tx.event(
                obs.site,
                &vendor_subject(handle),
                obs.at,
                Change::VendorFirstSeen {
                    handle: handle.to_string(),
                },
                Some(&obs.capture.sha256),
            )?;
            new_vendor(obs.site, handle, obs.at)
        }
    };
    if !found.url.is_empty() {
        v.url = Some(found.url.clone());
    }
    union(&mut v.pgp_fingerprints, &found.pgp_fingerprints);
    union(&mut v.contacts, &found.contacts);
    union(&mut v.addresses, &found.addresses);
    if found.listings_count > 0 {
        v.listings_shown = found.listings_count;
    }
    if found.url == obs.page.url || v.peru.score <= found.peru.score {
        v.peru = found.peru.clone();
    }
    v.capture = Some(obs.capture.clone());
    v.first_seen = v.first_seen.min(obs.at);
    v.last_seen = v.last_seen.max(obs.at);
    let r = RecordRef::Vendor {
        site: obs.site.to_string(),
        handle: v.handle.clone(),
    };
    tx.index(IdentifierKind::Address, &v.addresses, &key, &r)?;
    tx.index(IdentifierKind::Contact, &v.contacts, &key, &r)?;
    tx.index(
        IdentifierKind::PgpFingerprint,
        &v.pgp_fingerprints,
        &key,
        &r,
    )?;
    tx.put_record(RecordKind::Vendor, &key, &v)?;
    note_vendor(out, before, v, handle);
    Ok(())
}
