//! The entity store: vendors keyed by (site, handle), listings and posts keyed by URL,
//! their history, and reverse maps from identifiers to every record that showed them.
//!
//! Every page is applied in one sled transaction over all trees, so a crash leaves either
//! the whole page or none of it. Applying the same page twice changes nothing but
//! `last_seen`: the crawl re-sends pages that were in flight when it was killed, and
//! that must not invent history.

mod apply;
mod keys;
pub mod records;
mod snapshot;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use sled::Tree;

/// The database the store, the crawl's frontier and the outbox share.
pub use sled::Db;

pub use apply::{post_id, Applied, Observation, CHANGES_TREE};
pub use records::{
    Availability, Capture, Change, ChangedRecord, HistoryEvent, IdentifierKind, RecordRef,
    StoredListing, StoredPost, StoredVendor,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store at {path} cannot be opened: {source}")]
    Open { path: String, source: sled::Error },
    #[error("store database error: {0}")]
    Db(#[from] sled::Error),
    #[error("store record {key} is unreadable: {source}")]
    Corrupt {
        key: String,
        source: serde_json::Error,
    },
    #[error("store record cannot be written: {0}")]
    Encode(serde_json::Error),
}

/// The kept records. Cheap to clone: sled trees are shared handles.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    listings: Tree,
    vendors: Tree,
    posts: Tree,
    /// (site, page URL) → the records that page showed last time it was parsed, so an
    /// unchanged page can refresh their `last_seen` without being parsed again.
    pages: Tree,
    history: Tree,
    ids: Tree,
    /// (site, handle, listing URL) for every listing that names a vendor.
    vendor_listings: Tree,
    /// Records written since the search index last committed: a key per record (see
    /// [`RecordKind::unindexed_key`]), written in the record's own transaction and removed
    /// once the index has committed it. What is left here after a crash is what the
    /// index must catch up on.
    unindexed: Tree,
    /// The same keys, for this process: records changed since the indexer last took them.
    changed: Arc<Mutex<BTreeSet<Vec<u8>>>>,
    /// Changed records waiting for the watchlist matcher ([`CHANGES_TREE`]).
    changes: Tree,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("listings", &self.listings.len())
            .field("vendors", &self.vendors.len())
            .finish()
    }
}

/// Opens (creating) the sled database at `path`. The cache is bounded (64 MiB: the
/// crawl's frontier lives in the same database and must stay on disk, not in memory;
/// BENCHMARKS.md has the trade-off), and there is no background flush timer: the keeper
/// and the frontier flush explicitly, each write batch once (group commit).
pub fn open_db(path: &Path) -> Result<sled::Db, StoreError> {
    sled::Config::new()
        .path(path)
        .cache_capacity(64 * 1024 * 1024)
        .flush_every_ms(None)
        .open()
        .map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })
}

impl Store {
    pub fn open(db: &sled::Db) -> Result<Store, StoreError> {
        Ok(Store {
            db: db.clone(),
            listings: db.open_tree("store/listings")?,
            vendors: db.open_tree("store/vendors")?,
            posts: db.open_tree("store/posts")?,
            pages: db.open_tree("store/pages")?,
            history: db.open_tree("store/history")?,
            ids: db.open_tree("store/ids")?,
            vendor_listings: db.open_tree("store/vendor_listings")?,
            unindexed: db.open_tree("store/unindexed")?,
            changed: Arc::default(),
            changes: db.open_tree(CHANGES_TREE)?,
        })
    }

    /// Makes everything applied so far durable.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await?;
        Ok(())
    }

    pub fn listing(&self, site: &str, url: &str) -> Result<Option<StoredListing>, StoreError> {
        get(&self.listings, &keys::listing(site, url))
    }

    pub fn vendor(&self, site: &str, handle: &str) -> Result<Option<StoredVendor>, StoreError> {
        get(&self.vendors, &keys::vendor(site, handle))
    }

    /// Every listing of `site` (all sites when `None`), in URL order.
    pub fn listings(&self, site: Option<&str>) -> Result<Vec<StoredListing>, StoreError> {
        scan(&self.listings, site.map(keys::site_prefix))
    }

    pub fn vendors(&self, site: Option<&str>) -> Result<Vec<StoredVendor>, StoreError> {
        scan(&self.vendors, site.map(keys::site_prefix))
    }

    pub fn posts(&self, site: Option<&str>) -> Result<Vec<StoredPost>, StoreError> {
        scan(&self.posts, site.map(keys::site_prefix))
    }

    /// The URLs of the listings on `site` that name the vendor, in URL order.
    pub fn vendor_listings(&self, site: &str, handle: &str) -> Result<Vec<String>, StoreError> {
        let prefix = keys::vendor_listings_prefix(site, handle);
        self.vendor_listings
            .scan_prefix(&prefix)
            .keys()
            .map(|k| {
                let k = k?;
                Ok(String::from_utf8_lossy(&k[prefix.len()..]).into_owned())
            })
            .collect()
    }

    /// The changes recorded for one listing (or vendor profile) URL, oldest first.
    pub fn history(&self, site: &str, url: &str) -> Result<Vec<HistoryEvent>, StoreError> {
        scan(&self.history, Some(keys::history_prefix(site, url)))
    }

    /// Every record, on any site, that showed this address, handle or fingerprint.
    pub fn records_with(
        &self,
        kind: IdentifierKind,
        value: &str,
    ) -> Result<Vec<RecordRef>, StoreError> {
        let prefix = keys::identifier_prefix(kind, &kind.normalize(value));
        let mut out = Vec::new();
        for item in self.ids.scan_prefix(&prefix) {
            let (key, value) = item?;
            out.push(decode::<RecordRef>(&key, &value)?);
        }
        Ok(out)
    }

    /// The record a reverse-map entry points to, as it is now.
    pub fn record(&self, r: &RecordRef) -> Result<Option<StoredRecord>, StoreError> {
        Ok(match r {
            RecordRef::Listing { site, url } => self.listing(site, url)?.map(StoredRecord::Listing),
            RecordRef::Vendor { site, handle } => {
                self.vendor(site, handle)?.map(StoredRecord::Vendor)
            }
            RecordRef::Post { site, url, id } => {
                get::<StoredPost>(&self.posts, &keys::post(site, url, id))?.map(StoredRecord::Post)
            }
        })
    }

    /// Identifiers seen on more than one site: the leads that link personas across
    /// markets. Returns (kind, value, records).
    pub fn shared_identifiers(
        &self,
    ) -> Result<Vec<(IdentifierKind, String, Vec<RecordRef>)>, StoreError> {
        let mut out: Vec<(IdentifierKind, String, Vec<RecordRef>)> = Vec::new();
        for item in self.ids.iter() {
            let (key, value) = item?;
            let Some((kind, ident)) = keys::parse_identifier_key(&key) else {
                continue;
            };
            let record = decode::<RecordRef>(&key, &value)?;
            match out.last_mut() {
                Some((k, v, records)) if *k == kind && *v == ident => records.push(record),
                _ => out.push((kind, ident, vec![record])),
            }
        }
        out.retain(|(_, _, records)| records.iter().any(|r| r.site() != records[0].site()));
        Ok(out)
    }

    /// Whether the store holds any listing, vendor or post.
    pub fn is_empty(&self) -> bool {
        self.listings.is_empty() && self.vendors.is_empty() && self.posts.is_empty()
    }

    /// Every listing, vendor and post, in key order (a full scan: rebuilding the index).
    pub fn records(&self) -> impl Iterator<Item = Result<StoredRecord, StoreError>> + '_ {
        let each = |kind: RecordKind, tree: &Tree| {
            tree.iter().map(move |item| {
                let (k, v) = item?;
                kind.decode(&k, &v)
            })
        };
        each(RecordKind::Listing, &self.listings)
            .chain(each(RecordKind::Vendor, &self.vendors))
            .chain(each(RecordKind::Post, &self.posts))
    }

    fn note_changed(&self, keys: Vec<Vec<u8>>) {
        if keys.is_empty() {
            return;
        }
        let mut changed = self.changed.lock().unwrap_or_else(|p| p.into_inner());
        changed.extend(keys);
    }

    /// The index-queue keys of the records this process changed since the last call.
    /// Read them with [`records_for`](Self::records_for) when they are due, and hand them
    /// to [`mark_indexed`](Self::mark_indexed) once the index has committed them.
    pub fn take_changed(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.changed.lock().unwrap_or_else(|p| p.into_inner()))
            .into_iter()
            .collect()
    }

    /// The index-queue keys of every record changed but not yet marked indexed — by this
    /// process or by one that died before its index committed. Forgets this process's
    /// own pending changes (they are in the answer).
    pub fn unindexed_keys(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        self.changed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        Ok(self
            .unindexed
            .iter()
            .keys()
            .map(|k| k.map(|k| k.to_vec()))
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// The records behind index-queue keys, as they are now (keys whose record is gone
    /// are left out).
    pub fn records_for(
        &self,
        keys: impl IntoIterator<Item = Vec<u8>>,
    ) -> Result<Vec<(Vec<u8>, StoredRecord)>, StoreError> {
        let mut out = Vec::new();
        for marker in keys {
            let Some((kind, key)) = RecordKind::split_unindexed_key(&marker) else {
                continue;
            };
            let tree = match kind {
                RecordKind::Listing => &self.listings,
                RecordKind::Vendor => &self.vendors,
                RecordKind::Post => &self.posts,
            };
            if let Some(v) = tree.get(key)? {
                out.push((marker.clone(), kind.decode(key, &v)?));
            }
        }
        Ok(out)
    }

    /// The index has committed these records: forget them. Durable with the next flush;
    /// if the process dies first they are merely indexed again.
    pub fn mark_indexed(&self, keys: &[Vec<u8>]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for k in keys {
            batch.remove(k.as_slice());
        }
        self.unindexed.apply_batch(batch)?;
        Ok(())
    }

    /// The index was rebuilt from every record: nothing is pending.
    pub fn mark_all_indexed(&self) -> Result<(), StoreError> {
        self.changed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.unindexed.clear()?;
        Ok(())
    }

    /// How many listings, vendors and posts `site` has.
    pub fn counts(&self, site: &str) -> (usize, usize, usize) {
        let prefix = keys::site_prefix(site);
        (
            self.listings.scan_prefix(&prefix).count(),
            self.vendors.scan_prefix(&prefix).count(),
            self.posts.scan_prefix(&prefix).count(),
        )
    }
}

/// Which tree a record lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Listing,
    Vendor,
    Post,
}

impl RecordKind {
    fn tag(self) -> u8 {
        match self {
            RecordKind::Listing => b'l',
            RecordKind::Vendor => b'v',
            RecordKind::Post => b'p',
        }
    }

    /// The record's key in the index queue: its kind, then its own key.
    fn unindexed_key(self, key: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(key.len() + 1);
        k.push(self.tag());
        k.extend_from_slice(key);
        k
    }

    fn split_unindexed_key(marker: &[u8]) -> Option<(RecordKind, &[u8])> {
        let (tag, key) = marker.split_first()?;
        let kind = match tag {
            b'l' => RecordKind::Listing,
            b'v' => RecordKind::Vendor,
            b'p' => RecordKind::Post,
            _ => return None,
        };
        Some((kind, key))
    }

    fn decode(self, key: &[u8], value: &[u8]) -> Result<StoredRecord, StoreError> {
        Ok(match self {
            RecordKind::Listing => StoredRecord::Listing(decode(key, value)?),
            RecordKind::Vendor => StoredRecord::Vendor(decode(key, value)?),
            RecordKind::Post => StoredRecord::Post(decode(key, value)?),
        })
    }
}

/// Any kept record. (Serialized with a `type` tag: the watchlist journal keeps them.)
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StoredRecord {
    Listing(StoredListing),
    Vendor(StoredVendor),
    Post(StoredPost),
}

fn get<T: DeserializeOwned>(tree: &Tree, key: &[u8]) -> Result<Option<T>, StoreError> {
    tree.get(key)?.map(|v| decode(key, &v)).transpose()
}

fn scan<T: DeserializeOwned>(tree: &Tree, prefix: Option<Vec<u8>>) -> Result<Vec<T>, StoreError> {
    let iter = match prefix {
        Some(p) => tree.scan_prefix(p),
        None => tree.iter(),
    };
    iter.map(|item| {
        let (k, v) = item?;
        decode(&k, &v)
    })
    .collect()
}

fn decode<T: DeserializeOwned>(key: &[u8], value: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(value).map_err(|source| StoreError::Corrupt {
        key: keys::printable(key),
        source,
    })
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
