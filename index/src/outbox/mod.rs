//! The alert outbox: every watchlist hit, kept in sled before any delivery is tried, and
//! what became of each of its mails.
//!
//! Trees (in the same sled database as the store):
//! - `outbox/alerts`: alert id (big-endian u64, so key order is enqueue order) → [`Alert`].
//! - `outbox/deliveries`: alert id + recipient → [`Delivery`] (one per recipient: a bad
//!   address fails alone, and a digest groups by recipient).
//! - `outbox/queue`: the keys of the deliveries still queued (value empty), so a delivery
//!   round reads what is waiting, not every mail ever sent.
//! - `outbox/dedup`: `rule NUL entity NUL change` → alert id. An alert is enqueued only
//!   when its key is absent, in the transaction that writes it, so the same hit is never
//!   alerted twice — whatever re-crawls, restarts or re-runs of the matcher happen.
//!
//! A delivery moves `queued` → `sent` (with the time) or `failed` (with the reason);
//! [`Outbox::retry_failed`] puts failed ones back in the queue.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use sled::{Transactional, Tree};

use crate::store::Capture;
use crate::time::Timestamp;
use crate::watch::{Language, Severity};

pub const ALERTS_TREE: &str = "outbox/alerts";
pub const DELIVERIES_TREE: &str = "outbox/deliveries";
pub const DEDUP_TREE: &str = "outbox/dedup";
pub const QUEUE_TREE: &str = "outbox/queue";

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox database error: {0}")]
    Db(#[from] sled::Error),
    #[error("outbox record {key} is unreadable: {source}")]
    Corrupt {
        key: String,
        source: serde_json::Error,
    },
    #[error("outbox record cannot be written: {0}")]
    Encode(serde_json::Error),
    #[error("no alert with id {0}")]
    NoSuchAlert(u64),
}

/// What makes a hit the same hit: the rule, the entity it is about (a record, or a
/// watched vendor's identity), and the change (`appeared`, `pgp:<fingerprint>`...).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DedupKey {
    pub rule: String,
    pub entity: String,
    pub change: String,
}

impl DedupKey {
    /// The key's bytes: the three parts joined by NUL, which none of them contains.
    pub fn bytes(&self) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.rule.len() + self.entity.len() + self.change.len() + 2);
        for (i, p) in [&self.rule, &self.entity, &self.change].iter().enumerate() {
            if i > 0 {
                k.push(0);
            }
            k.extend(p.bytes().filter(|b| *b != 0));
        }
        k
    }
}

/// The record an alert is about, as it was when the hit happened (the mail must show
/// what was seen then, even if the store has moved on).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordFacts {
    /// `listing`, `vendor` or `post`.
    pub record_type: String,
    pub site: String,
    pub url: Option<String>,
    pub vendor: Option<String>,
    /// Listing title, or a post's thread title.
    pub title: Option<String>,
    /// The price as shown.
    pub price: Option<String>,
    pub ships_from: Option<String>,
    pub ships_to: Vec<String>,
    pub first_seen: Option<Timestamp>,
    pub peru_score: f64,
    /// The identifiers the record shows.
    #[serde(default)]
    pub pgp_fingerprints: Vec<String>,
    #[serde(default)]
    pub addresses: Vec<String>,
    #[serde(default)]
    pub contacts: Vec<String>,
    /// Where the evidence is: WARC file, offset and the page's SHA-256.
    pub capture: Option<Capture>,
}

/// What happened, with the before and after where there is one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What {
    /// A record shows the watched address, contact or fingerprint (`field` says which).
    Shows {
        field: String,
        value: String,
    },
    /// A record's text has every word of the saved query.
    QueryMatched {
        query: String,
    },
    /// A new or changed listing or vendor scores at least the threshold.
    PeruScore {
        score: f64,
        threshold: f64,
    },
    /// The watched vendor was seen for the first time.
    VendorAppeared {
        site: String,
        handle: String,
    },
    /// The watched vendor appeared on a market it was not known on.
    NewSite {
        handle: String,
        site: String,
        known_sites: Vec<String>,
    },
    /// The watched vendor appeared under another onion host of a known market.
    NewMirror {
        site: String,
        host: String,
        known_hosts: Vec<String>,
    },
    /// The watched vendor (known by a key, wallet or contact) uses another handle.
    HandleChanged {
        site: String,
        from: Vec<String>,
        to: String,
    },
    PgpKeyChanged {
        from: Vec<String>,
        to: String,
    },
    PayoutAddressChanged {
        from: Vec<String>,
        to: String,
    },
    ContactChanged {
        from: Vec<String>,
        to: String,
    },
    /// The watched vendor lists, for the first time on this site, with shipping to Peru.
    ShipsToPeru {
        site: String,
        ships_to: Vec<String>,
    },
}

/// One thing a rule noticed in one record, and the key that makes it happen only once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub key: DedupKey,
    pub what: What,
    /// Why the record is the watched vendor's, as (kind, value): `("pgp", "CAA4…")`,
    /// `("handle", "Kondor_Lima")`, `("address", …)`, `("contact", …)`. Empty for rules
    /// that do not follow a vendor.
    #[serde(default)]
    pub linked_by: Vec<(String, String)>,
}

/// What one rule noticed in one record: one mail per recipient. A record that shows
/// several changes at once (a watched vendor on a new market, with a new key) makes one
/// alert listing them all, not a mail per change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: u64,
    pub rule: String,
    /// The rule's kind and value, as the mail shows them.
    pub rule_kind: String,
    pub rule_value: String,
    pub severity: Severity,
    pub language: Language,
    /// When the hit was enqueued, in milliseconds since the Unix epoch (latency figures).
    pub created_ms: u64,
    /// Never empty; each hit's key is in the dedup tree, pointing at this alert.
    pub hits: Vec<Hit>,
    pub record: RecordFacts,
}

/// Where one recipient's mail of an alert stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    Queued,
    /// Accepted by the SMTP server (or written to the mailbox folder).
    Sent {
        at: Timestamp,
    },
    /// Refused for good (bad address, authentication rejected); kept with the reason.
    Failed {
        at: Timestamp,
        reason: String,
    },
}

/// One recipient's mail of one alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub alert_id: u64,
    pub recipient: String,
    pub status: Status,
    /// Attempts so far (failed ones, plus the one that succeeded).
    pub attempts: u32,
    /// Not before this (ms since the epoch): the back-off after a temporary failure.
    pub next_attempt_ms: u64,
    /// Why the last attempt did not succeed, while it is being retried.
    pub last_error: Option<String>,
}

/// The outbox. Cheap to clone; clones share the trees and the wake-up signal.
#[derive(Clone)]
pub struct Outbox {
    db: sled::Db,
    pub(crate) alerts: Tree,
    pub(crate) deliveries: Tree,
    pub(crate) dedup: Tree,
    pub(crate) queue: Tree,
    wake: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("alerts", &self.alerts.len())
            .finish()
    }
}

pub(crate) type TxResult<T> = Result<T, ConflictableTransactionError<OutboxError>>;

fn delivery_key(alert_id: u64, recipient: &str) -> Vec<u8> {
    let mut k = alert_id.to_be_bytes().to_vec();
    k.extend_from_slice(recipient.as_bytes());
    k
}

fn decode<T: serde::de::DeserializeOwned>(key: &[u8], value: &[u8]) -> Result<T, OutboxError> {
    serde_json::from_slice(value).map_err(|source| OutboxError::Corrupt {
        key: String::from_utf8_lossy(key).replace('\0', " / "),
        source,
    })
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, OutboxError> {
    serde_json::to_vec(v).map_err(OutboxError::Encode)
}

/// Milliseconds since the Unix epoch, now.
/// Deliveries by where they stand (one per alert and recipient).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub alerts: u64,
    pub queued: u64,
    pub sent: u64,
    pub failed: u64,
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Enqueues `alert` (its `id` is assigned here) and one queued delivery per recipient,
/// keeping only the hits whose dedup key is not there yet. Runs inside the caller's
/// transaction, which must span the four outbox trees. Returns the new id, or `None`
/// when every hit was a repeat.
pub(crate) fn enqueue_tx(
    alerts: &TransactionalTree,
    deliveries: &TransactionalTree,
    dedup: &TransactionalTree,
    queue: &TransactionalTree,
    mut alert: Alert,
    recipients: &[String],
) -> TxResult<Option<u64>> {
    let mut fresh = Vec::with_capacity(alert.hits.len());
    for h in alert.hits.drain(..) {
        let seen_here = fresh.iter().any(|f: &Hit| f.key == h.key);
        if !seen_here && dedup.get(h.key.bytes())?.is_none() {
            fresh.push(h);
        }
    }
    if fresh.is_empty() {
        return Ok(None);
    }
    alert.hits = fresh;
    let id = alerts.generate_id()?;
    alert.id = id;
    let abort = |e| ConflictableTransactionError::Abort(e);
    alerts.insert(&id.to_be_bytes(), encode(&alert).map_err(abort)?)?;
    for r in recipients {
        let d = Delivery {
            alert_id: id,
            recipient: r.clone(),
            status: Status::Queued,
            attempts: 0,
            next_attempt_ms: 0,
            last_error: None,
        };
        deliveries.insert(delivery_key(id, r), encode(&d).map_err(abort)?)?;
        queue.insert(delivery_key(id, r), &[])?;
    }
    for h in &alert.hits {
        dedup.insert(h.key.bytes(), &id.to_be_bytes())?;
    }
    Ok(Some(id))
}

impl Outbox {
    pub fn open(db: &sled::Db) -> Result<Outbox, OutboxError> {
        Ok(Outbox {
            db: db.clone(),
            alerts: db.open_tree(ALERTS_TREE)?,
            deliveries: db.open_tree(DELIVERIES_TREE)?,
            dedup: db.open_tree(DEDUP_TREE)?,
            queue: db.open_tree(QUEUE_TREE)?,
            wake: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Tells a running [`crate::mail::Deliverer`] that there is new work (the matcher
    /// calls it after enqueueing).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn woken(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    /// Makes every change so far durable.
    pub async fn flush(&self) -> Result<(), OutboxError> {
        self.db.flush_async().await?;
        Ok(())
    }

    pub fn alert(&self, id: u64) -> Result<Option<Alert>, OutboxError> {
        let key = id.to_be_bytes();
        self.alerts.get(key)?.map(|v| decode(&key, &v)).transpose()
    }

    /// Every alert with its deliveries, oldest first: what `centinela alerts list` shows.
    pub fn list(&self) -> Result<Vec<(Alert, Vec<Delivery>)>, OutboxError> {
        let mut out = Vec::new();
        for item in self.alerts.iter() {
            let (k, v) = item?;
            let alert: Alert = decode(&k, &v)?;
            let deliveries = self.deliveries_of(alert.id)?;
            out.push((alert, deliveries));
        }
        Ok(out)
    }

    pub fn deliveries_of(&self, id: u64) -> Result<Vec<Delivery>, OutboxError> {
        self.deliveries
            .scan_prefix(id.to_be_bytes())
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect()
    }

    /// How many deliveries stand where: one scan of the deliveries (alerts are few).
    pub fn counts(&self) -> Result<OutboxCounts, OutboxError> {
        let mut c = OutboxCounts::default();
        for item in self.deliveries.iter() {
            let (k, v) = item?;
            let d: Delivery = decode(&k, &v)?;
            match d.status {
                Status::Queued => c.queued += 1,
                Status::Sent { .. } => c.sent += 1,
                Status::Failed { .. } => c.failed += 1,
            }
        }
        c.alerts = self.alerts.len() as u64;
        Ok(c)
    }

    /// Every delivery still queued, oldest alert first.
    pub fn queued(&self) -> Result<Vec<Delivery>, OutboxError> {
        let mut out = Vec::new();
        for item in self.queue.iter() {
            let (k, _) = item?;
            if let Some(v) = self.deliveries.get(&k)? {
                let d: Delivery = decode(&k, &v)?;
                if d.status == Status::Queued {
                    out.push(d);
                }
            }
        }
        Ok(out)
    }

    /// Changes one delivery, and its place in the queue, in one transaction.
    fn update(
        &self,
        alert_id: u64,
        recipient: &str,
        f: impl Fn(&mut Delivery),
    ) -> Result<(), OutboxError> {
        let key = delivery_key(alert_id, recipient);
        (&self.deliveries, &self.queue)
            .transaction(|(deliveries, queue)| {
                let abort = ConflictableTransactionError::Abort;
                let Some(v) = deliveries.get(&key)? else {
                    return Err(abort(OutboxError::NoSuchAlert(alert_id)));
                };
                let mut d: Delivery = decode(&key, &v).map_err(abort)?;
                f(&mut d);
                deliveries.insert(key.as_slice(), encode(&d).map_err(abort)?)?;
                if d.status == Status::Queued {
                    queue.insert(key.as_slice(), &[])?;
                } else {
                    queue.remove(key.as_slice())?;
                }
                Ok(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Abort(e) => e,
                sled::transaction::TransactionError::Storage(e) => OutboxError::Db(e),
            })
    }

    /// The server accepted the mail. The caller flushes right after (see
    /// [`crate::mail`] on the one window where a crash can still duplicate a mail).
    pub fn mark_sent(
        &self,
        alert_id: u64,
        recipient: &str,
        at: Timestamp,
    ) -> Result<(), OutboxError> {
        self.update(alert_id, recipient, |d| {
            d.status = Status::Sent { at };
            d.attempts += 1;
            d.last_error = None;
        })
    }

    /// A temporary failure: try again at `next_attempt_ms`.
    pub fn mark_retry(
        &self,
        alert_id: u64,
        recipient: &str,
        next_attempt_ms: u64,
        error: &str,
    ) -> Result<(), OutboxError> {
        self.update(alert_id, recipient, |d| {
            d.attempts += 1;
            d.next_attempt_ms = next_attempt_ms;
            d.last_error = Some(error.to_string());
        })
    }

    /// A permanent failure, kept with its reason until [`Outbox::retry_failed`].
    pub fn mark_failed(
        &self,
        alert_id: u64,
        recipient: &str,
        at: Timestamp,
        reason: &str,
    ) -> Result<(), OutboxError> {
        self.update(alert_id, recipient, |d| {
            d.attempts += 1;
            d.status = Status::Failed {
                at,
                reason: reason.to_string(),
            };
            d.last_error = Some(reason.to_string());
        })
    }

    /// `centinela alerts send`: a person says the mail server is back, so every waiting
    /// delivery is due now rather than at the end of its back-off. Returns how many.
    pub fn due_now(&self) -> Result<usize, OutboxError> {
        let waiting: Vec<Delivery> = self
            .queued()?
            .into_iter()
            .filter(|d| d.next_attempt_ms > 0)
            .collect();
        for d in &waiting {
            self.update(d.alert_id, &d.recipient, |d| d.next_attempt_ms = 0)?;
        }
        Ok(waiting.len())
    }

    /// `centinela alerts retry`: puts failed deliveries back in the queue, due now (all
    /// of them, or those of one alert). Returns how many. Sent ones are never re-queued.
    pub fn retry_failed(&self, only: Option<u64>) -> Result<usize, OutboxError> {
        let mut n = 0;
        let iter = match only {
            Some(id) => self.deliveries.scan_prefix(id.to_be_bytes()),
            None => self.deliveries.iter(),
        };
        let mut failed = Vec::new();
        for item in iter {
            let (k, v) = item?;
            let d: Delivery = decode(&k, &v)?;
            if matches!(d.status, Status::Failed { .. }) {
                failed.push((d.alert_id, d.recipient));
            }
        }
        for (id, recipient) in failed {
            self.update(id, &recipient, |d| {
                d.status = Status::Queued;
                d.next_attempt_ms = 0;
            })?;
            n += 1;
        }
        if n > 0 {
            self.wake();
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(change: &str) -> Alert {
        Alert {
            id: 0,
            rule: "r".into(),
            rule_kind: "vendor".into(),
            rule_value: "x".into(),
            severity: Severity::Warning,
            language: Language::Es,
            created_ms: 1,
            hits: vec![Hit {
                key: DedupKey {
                    rule: "r".into(),
                    entity: "site/x".into(),
                    change: change.into(),
                },
                what: What::VendorAppeared {
                    site: "s".into(),
                    handle: "x".into(),
                },
                linked_by: vec![],
            }],
            record: RecordFacts::default(),
        }
    }

    fn enqueue(o: &Outbox, a: Alert, to: &[String]) -> Option<u64> {
        (&o.alerts, &o.deliveries, &o.dedup, &o.queue)
            .transaction(|(al, de, dd, q)| enqueue_tx(al, de, dd, q, a.clone(), to))
            .expect("enqueue")
    }

    #[test]
    fn dedup_keys_keep_parts_apart() {
        let a = DedupKey {
            rule: "r".into(),
            entity: "a\0b".into(),
            change: "c".into(),
        };
        assert_eq!(a.bytes(), b"r\0ab\0c");
        let b = DedupKey {
            rule: "r".into(),
            entity: "ab".into(),
            change: "c".into(),
        };
        assert_eq!(a.bytes(), b.bytes());
        let c = DedupKey {
            rule: "r".into(),
            entity: "a".into(),
            change: "bc".into(),
        };
        assert_ne!(b.bytes(), c.bytes());
    }

    #[test]
    fn the_same_hit_is_enqueued_once_and_moves_through_states() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::open(dir.path()).expect("db");
        let o = Outbox::open(&db).expect("outbox");
        let to = vec!["a@x.example".to_string(), "b@x.example".to_string()];
        let id = enqueue(&o, alert("appeared"), &to).expect("new");
        assert_eq!(enqueue(&o, alert("appeared"), &to), None);
        assert!(enqueue(&o, alert("pgp:AB"), &to).is_some());
        assert_eq!(o.queued().expect("queued").len(), 4);
        o.mark_sent(id, "a@x.example", Timestamp(5)).expect("sent");
        o.mark_failed(id, "b@x.example", Timestamp(6), "550 no such user")
            .expect("failed");
        let (a, ds) = o.list().expect("list").remove(0);
        assert_eq!(a.id, id);
        assert_eq!(ds[0].status, Status::Sent { at: Timestamp(5) });
        assert!(matches!(&ds[1].status, Status::Failed { reason, .. } if reason.contains("550")));
        assert_eq!(o.retry_failed(None).expect("retry"), 1);
        assert_eq!(o.queued().expect("queued").len(), 3);
    }
}
