//! Matching changed records against the rules, and enqueueing the hits.
//!
//! Identity rules (vendor, address, contact, pgp) follow the vendor, not the string. The
//! first record that matches a rule literally (the handle, after normalisation and
//! fuzziness; or the wallet, contact or key) makes that vendor *the watched vendor*, and
//! the rule's state in sled (`watch/state`, one [`VendorState`] per rule) remembers
//! everything it was seen with: sites and onion hosts, handles, keys, wallets, contacts,
//! and the sites where it ships to Peru. From then on a record belongs to the watched
//! vendor when it matches literally *or* shows any of the known identifiers, and it
//! raises an alert for what is new about the vendor:
//! a new market (site), a new mirror (onion host) of a known market, another handle,
//! another PGP key, payout address or contact (each with what was known before), and the
//! first listing on a site with shipping to Peru. What a vendor shows when first seen
//! becomes the baseline without an alert of its own (the "appeared" alert lists it).
//!
//! Identity rules also alert on each record that shows the watched wallet, contact or
//! key (once per record), and saved-query and Peru-score rules once per matching record.
//!
//! Known limits: identifiers shared by many vendors (a market's escrow wallet shown on
//! every listing) would link them all to the watched vendor; watch the vendor by handle
//! or key instead. A rule whose definition is edited keeps its name's state.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use super::rules::{words, Rule, RuleKind};
use crate::outbox::{self, Alert, DedupKey, Hit, Outbox, OutboxError, RecordFacts, What};
use crate::search::normalize::{contact_forms, handle_norm, onion_host, osa_distance};
use crate::store::{ChangedRecord, IdentifierKind, KeptRecord, CHANGES_TREE};

/// The tree of per-rule state.
pub const STATE_TREE: &str = "watch/state";

/// Journal entries handled per transaction: large enough to amortise, small enough that
/// a transaction stays short.
const BATCH: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("watchlist database error: {0}")]
    Db(#[from] sled::Error),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error("watchlist record {key} is unreadable: {source}")]
    Corrupt {
        key: String,
        source: serde_json::Error,
    },
}

/// What a rule knows about its watched vendor.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VendorState {
    /// Site → onion hosts the vendor was seen under (empty set: no host known).
    pub sites: BTreeMap<String, BTreeSet<String>>,
    /// Site → handles used there, as written.
    pub handles: BTreeMap<String, BTreeSet<String>>,
    pub pgp: BTreeSet<String>,
    pub addresses: BTreeSet<String>,
    pub contacts: BTreeSet<String>,
    /// Sites where the vendor was seen listing with shipping to Peru.
    pub peru_sites: BTreeSet<String>,
}

impl VendorState {
    fn is_empty(&self) -> bool {
        self.sites.is_empty()
            && self.pgp.is_empty()
            && self.addresses.is_empty()
            && self.contacts.is_empty()
    }
}

/// Whether a record's handle is the watched handle: equal after [`handle_norm`], or, for
/// normalised handles of 6 characters or more, one edit apart (a re-registered
/// `CondorBIanco`). Shorter handles must match exactly: too many neighbours.
pub fn handle_matches(watched: &str, seen: &str) -> bool {
    let (a, b) = (handle_norm(watched), handle_norm(seen));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    a == b || (a.chars().count() >= 6 && osa_distance(&a, &b) <= 1)
}

/// Whether a contact as the store keeps it (`telegram:@pepe_lima`) is the watched one,
/// given as `platform:value` or as a bare value (`@pepe_lima`, `pepe_lima`, a phone).
pub fn contact_matches(watched: &str, seen: &str) -> bool {
    let w = watched.trim().to_lowercase();
    let forms: Vec<String> = contact_forms(seen)
        .iter()
        .map(|f| f.to_lowercase())
        .collect();
    if w.contains(':') && !w.starts_with('+') {
        return forms.first().is_some_and(|f| *f == w);
    }
    let bare = w.trim_start_matches('@').trim_start_matches('+');
    forms
        .iter()
        .any(|f| *f == w || f.trim_start_matches('@').trim_start_matches('+') == bare)
}

/// The identity-relevant parts of a record.
struct Seen {
    site: String,
    handle: Option<String>,
    host: Option<String>,
    pgp: Vec<String>,
    addresses: Vec<String>,
    contacts: Vec<String>,
    ships_to_peru: bool,
    ships_to: Vec<String>,
}

fn seen(record: &KeptRecord) -> Seen {
    let norm = |k: IdentifierKind, v: &[String]| -> Vec<String> {
        v.iter().map(|x| k.normalize(x)).collect()
    };
    match record {
        KeptRecord::Listing(l) => Seen {
            site: l.site.clone(),
            handle: l.listing.vendor.clone().filter(|h| !h.trim().is_empty()),
            host: onion_host(&l.listing.url),
            pgp: Vec::new(),
            addresses: norm(IdentifierKind::Address, &l.listing.addresses),
            contacts: norm(IdentifierKind::Contact, &l.listing.contacts),
            ships_to_peru: l.listing.ships_to.iter().any(|t| words(t).contains("peru"))
                || l.listing.peru.signals.iter().any(|s| s.field == "ships_to"),
            ships_to: l.listing.ships_to.clone(),
        },
        KeptRecord::Vendor(v) => Seen {
            site: v.site.clone(),
            handle: Some(v.handle.clone()),
            host: v.url.as_deref().and_then(onion_host),
            pgp: norm(IdentifierKind::PgpFingerprint, &v.pgp_fingerprints),
            addresses: norm(IdentifierKind::Address, &v.addresses),
            contacts: norm(IdentifierKind::Contact, &v.contacts),
            ships_to_peru: false,
            ships_to: Vec::new(),
        },
        KeptRecord::Post(p) => Seen {
            site: p.site.clone(),
            handle: p.post.author.clone().filter(|h| !h.trim().is_empty()),
            host: onion_host(&p.post.url),
            pgp: Vec::new(),
            addresses: norm(IdentifierKind::Address, &p.post.addresses),
            contacts: norm(IdentifierKind::Contact, &p.post.contacts),
            ships_to_peru: false,
            ships_to: Vec::new(),
        },
    }
}

/// A stable name for a record, for dedup keys.
pub fn entity_id(record: &KeptRecord) -> String {
    match record {
        KeptRecord::Listing(l) => format!("listing {} {}", l.site, l.listing.url),
        KeptRecord::Vendor(v) => format!("vendor {} {}", v.site, v.handle.to_lowercase()),
        KeptRecord::Post(p) => format!(
            "post {} {} {}",
            p.site,
            p.post.url,
            crate::store::post_id(&p.post)
        ),
    }
}

/// What the mail shows about a record.
pub fn facts(record: &KeptRecord) -> RecordFacts {
    match record {
        KeptRecord::Listing(l) => RecordFacts {
            record_type: "listing".into(),
            site: l.site.clone(),
            url: Some(l.listing.url.clone()),
            vendor: l.listing.vendor.clone(),
            title: Some(l.listing.title.clone()),
            price: l.listing.price.as_ref().map(|p| p.shown.clone()),
            ships_from: l.listing.ships_from.clone(),
            ships_to: l.listing.ships_to.clone(),
            first_seen: Some(l.first_seen),
            peru_score: l.listing.peru.score,
            capture: Some(l.capture.clone()),
        },
        KeptRecord::Vendor(v) => RecordFacts {
            record_type: "vendor".into(),
            site: v.site.clone(),
            url: v.url.clone(),
            vendor: Some(v.handle.clone()),
            first_seen: Some(v.first_seen),
            peru_score: v.peru.score,
            capture: v.capture.clone(),
            ..RecordFacts::default()
        },
        KeptRecord::Post(p) => RecordFacts {
            record_type: "post".into(),
            site: p.site.clone(),
            url: Some(p.post.url.clone()),
            vendor: p.post.author.clone(),
            title: p.post.thread_title.clone(),
            first_seen: Some(p.first_seen),
            peru_score: p.post.peru.score,
            capture: Some(p.capture.clone()),
            ..RecordFacts::default()
        },
    }
}

fn record_text(record: &KeptRecord) -> String {
    match record {
        KeptRecord::Listing(l) => {
            let x = &l.listing;
            let mut t = vec![x.title.clone()];
            t.extend(x.description.clone());
            t.extend(x.category.clone());
            t.extend(x.vendor.clone());
            t.extend(x.ships_from.clone());
            t.extend(x.ships_to.iter().cloned());
            t.join("\n")
        }
        KeptRecord::Vendor(v) => v.handle.clone(),
        KeptRecord::Post(p) => {
            let mut t = vec![p.post.body.clone()];
            t.extend(p.post.thread_title.clone());
            t.extend(p.post.author.clone());
            t.join("\n")
        }
    }
}

/// The literal identifiers of an identity rule that `s` shows, as (field, value).
fn literal(rule: &RuleKind, s: &Seen) -> Option<(Option<&'static str>, String)> {
    match rule {
        RuleKind::Vendor(h) => s
            .handle
            .as_deref()
            .filter(|x| handle_matches(h, x))
            .map(|x| (None, x.to_string())),
        RuleKind::Address(a) => {
            let a = IdentifierKind::Address.normalize(a);
            s.addresses
                .contains(&a)
                .then(|| (Some("address"), a.clone()))
        }
        RuleKind::Pgp(f) => {
            let f = IdentifierKind::PgpFingerprint.normalize(f);
            s.pgp.contains(&f).then(|| (Some("pgp"), f.clone()))
        }
        RuleKind::Contact(c) => s
            .contacts
            .iter()
            .find(|x| contact_matches(c, x))
            .map(|x| (Some("contact"), x.clone())),
        RuleKind::Query(_) | RuleKind::PeruScore(_) => None,
    }
}

fn known_handle(state: &VendorState, site: &str, handle: &str) -> bool {
    state
        .handles
        .get(site)
        .is_some_and(|hs| hs.iter().any(|h| handle_norm(h) == handle_norm(handle)))
}

/// The hits of one rule on one changed record, updating the rule's vendor state.
/// Pure (no I/O), so the rules of following a vendor can be tested on their own.
pub fn hits(rule: &Rule, state: &mut VendorState, changed: &ChangedRecord) -> Vec<Hit> {
    let record = &changed.record;
    let site = record.site();
    if !rule.applies_to_site(site) {
        return Vec::new();
    }
    let entity = entity_id(record);
    let key = |entity: &str, change: String| DedupKey {
        rule: rule.name.clone(),
        entity: entity.to_string(),
        change,
    };
    let mut out = Vec::new();
    match &rule.kind {
        RuleKind::Query(q) => {
            let have = words(&record_text(record));
            if super::rules::query_words(q)
                .iter()
                .all(|w| have.contains(w))
            {
                out.push(Hit {
                    key: key(&entity, "query".into()),
                    what: What::QueryMatched { query: q.clone() },
                });
            }
        }
        RuleKind::PeruScore(threshold) => {
            let score = match record {
                KeptRecord::Listing(l) => Some(l.listing.peru.score),
                KeptRecord::Vendor(v) => Some(v.peru.score),
                KeptRecord::Post(_) => None,
            };
            if let Some(score) = score.filter(|s| s >= threshold) {
                out.push(Hit {
                    key: key(&entity, "peru".into()),
                    what: What::PeruScore {
                        score,
                        threshold: *threshold,
                    },
                });
            }
        }
        kind => follow(rule, kind, state, &seen(record), &entity, &mut out),
    }
    out
}

fn follow(
    rule: &Rule,
    kind: &RuleKind,
    state: &mut VendorState,
    s: &Seen,
    entity: &str,
    out: &mut Vec<Hit>,
) {
    let lit = literal(kind, s);
    let linked = !state.is_empty()
        && (s
            .handle
            .as_deref()
            .is_some_and(|h| known_handle(state, &s.site, h))
            || s.pgp.iter().any(|x| state.pgp.contains(x))
            || s.addresses.iter().any(|x| state.addresses.contains(x))
            || s.contacts.iter().any(|x| state.contacts.contains(x)));
    if lit.is_none() && !linked {
        return;
    }
    let vendor = "watched vendor";
    let hit = |change: String, what: What| Hit {
        key: DedupKey {
            rule: rule.name.clone(),
            entity: vendor.into(),
            change,
        },
        what,
    };
    let handle = s.handle.clone().unwrap_or_default();
    let first = state.is_empty();
    if first {
        out.push(hit(
            "appeared".into(),
            What::VendorAppeared {
                site: s.site.clone(),
                handle: handle.clone(),
            },
        ));
    } else if !state.sites.contains_key(&s.site) {
        out.push(hit(
            format!("site:{}", s.site),
            What::NewSite {
                handle: handle.clone(),
                site: s.site.clone(),
                known_sites: state.sites.keys().cloned().collect(),
            },
        ));
    } else if let Some(host) = &s.host {
        let known = state.sites.get(&s.site).cloned().unwrap_or_default();
        if !known.is_empty() && !known.contains(host) {
            out.push(hit(
                format!("mirror:{}:{host}", s.site),
                What::NewMirror {
                    site: s.site.clone(),
                    host: host.clone(),
                    known_hosts: known.into_iter().collect(),
                },
            ));
        }
    }
    if let Some(h) = &s.handle {
        let on_site = state.handles.get(&s.site).cloned().unwrap_or_default();
        if !on_site.is_empty() && !known_handle(state, &s.site, h) {
            out.push(hit(
                format!("handle:{}:{}", s.site, handle_norm(h)),
                What::HandleChanged {
                    site: s.site.clone(),
                    from: on_site.into_iter().collect(),
                    to: h.clone(),
                },
            ));
        }
        state
            .handles
            .entry(s.site.clone())
            .or_default()
            .insert(h.clone());
    }
    let hosts = state.sites.entry(s.site.clone()).or_default();
    if let Some(host) = &s.host {
        hosts.insert(host.clone());
    }
    type Make = fn(Vec<String>, String) -> What;
    let groups: [(&str, &[String], &mut BTreeSet<String>, Make); 3] = [
        ("pgp", &s.pgp, &mut state.pgp, |from, to| {
            What::PgpKeyChanged { from, to }
        }),
        ("address", &s.addresses, &mut state.addresses, |from, to| {
            What::PayoutAddressChanged { from, to }
        }),
        ("contact", &s.contacts, &mut state.contacts, |from, to| {
            What::ContactChanged { from, to }
        }),
    ];
    for (name, values, known, make) in groups {
        let before: Vec<String> = known.iter().cloned().collect();
        for v in values {
            if known.contains(v) {
                continue;
            }
            if !first && !before.is_empty() {
                out.push(hit(format!("{name}:{v}"), make(before.clone(), v.clone())));
            }
            known.insert(v.clone());
        }
    }
    if s.ships_to_peru && !state.peru_sites.contains(&s.site) {
        out.push(hit(
            format!("peru:{}", s.site),
            What::ShipsToPeru {
                site: s.site.clone(),
                ships_to: s.ships_to.clone(),
            },
        ));
        state.peru_sites.insert(s.site.clone());
    }
    if let Some((Some(field), value)) = lit {
        out.push(Hit {
            key: DedupKey {
                rule: rule.name.clone(),
                entity: entity.to_string(),
                change: format!("shows:{field}"),
            },
            what: What::Shows {
                field: field.to_string(),
                value,
            },
        });
    }
}

/// The matcher: the rules, their state, the journal of changed records, the outbox.
#[derive(Clone, Debug)]
pub struct Watcher {
    rules: Vec<Rule>,
    journal: sled::Tree,
    state: sled::Tree,
    outbox: Outbox,
}

impl Watcher {
    /// `db` is the database of the store (whose journal it drains) and of `outbox`.
    pub fn open(db: &sled::Db, rules: Vec<Rule>, outbox: &Outbox) -> Result<Watcher, WatchError> {
        Ok(Watcher {
            rules,
            journal: db.open_tree(CHANGES_TREE)?,
            state: db.open_tree(STATE_TREE)?,
            outbox: outbox.clone(),
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Replaces the rules (after `watch add|remove` or a configuration reload).
    pub fn set_rules(&mut self, rules: Vec<Rule>) {
        self.rules = rules;
    }

    /// The state a rule keeps about its watched vendor.
    pub fn state(&self, rule: &str) -> Result<VendorState, WatchError> {
        match self.state.get(rule.as_bytes())? {
            Some(v) => serde_json::from_slice(&v).map_err(|source| WatchError::Corrupt {
                key: rule.to_string(),
                source,
            }),
            None => Ok(VendorState::default()),
        }
    }

    /// Matches every record journaled by [`crate::store::Store::apply_page_changes`]
    /// against the rules and enqueues the hits. Each batch of journal entries is removed
    /// in the transaction that writes its alerts and the rules' new state, so a crash
    /// loses nothing and repeats nothing. Returns the ids of the alerts enqueued, and
    /// wakes the deliverer when there are any. The caller flushes (the keeper's
    /// `store.flush()` does) — the deliverer also flushes before sending anything.
    pub fn process_pending(&self) -> Result<Vec<u64>, WatchError> {
        let mut ids = Vec::new();
        loop {
            let mut keys = Vec::with_capacity(BATCH);
            for item in self.journal.iter().take(BATCH) {
                keys.push(item?.0);
            }
            if keys.is_empty() {
                break;
            }
            let trees = (
                &self.journal,
                &self.state,
                &self.outbox.alerts,
                &self.outbox.deliveries,
                &self.outbox.dedup,
            );
            let batch = trees
                .transaction(|(journal, state, alerts, deliveries, dedup)| {
                    let abort = ConflictableTransactionError::Abort;
                    let mut got = Vec::new();
                    let mut states: BTreeMap<String, VendorState> = BTreeMap::new();
                    for k in &keys {
                        let Some(v) = journal.remove(k)? else {
                            continue;
                        };
                        let changed: ChangedRecord =
                            serde_json::from_slice(&v).map_err(|source| {
                                abort(WatchError::Corrupt {
                                    key: format!("{CHANGES_TREE} {k:?}"),
                                    source,
                                })
                            })?;
                        for rule in &self.rules {
                            if !states.contains_key(&rule.name) {
                                let st = match state.get(rule.name.as_bytes())? {
                                    Some(v) => serde_json::from_slice(&v).map_err(|source| {
                                        abort(WatchError::Corrupt {
                                            key: rule.name.clone(),
                                            source,
                                        })
                                    })?,
                                    None => VendorState::default(),
                                };
                                states.insert(rule.name.clone(), st);
                            }
                            let Some(st) = states.get_mut(&rule.name) else {
                                continue;
                            };
                            let found = hits(rule, st, &changed);
                            if found.is_empty() {
                                continue;
                            }
                            let alert = Alert {
                                id: 0,
                                rule: rule.name.clone(),
                                rule_kind: rule.kind.name().into(),
                                rule_value: rule.kind.value(),
                                severity: rule.severity,
                                language: rule.language,
                                created_ms: outbox::now_ms(),
                                hits: found,
                                record: facts(&changed.record),
                            };
                            let id = outbox::enqueue_tx(
                                alerts,
                                deliveries,
                                dedup,
                                alert,
                                &rule.recipients,
                            )
                            .map_err(|e| match e {
                                ConflictableTransactionError::Abort(e) => {
                                    abort(WatchError::Outbox(e))
                                }
                                ConflictableTransactionError::Storage(e) => {
                                    ConflictableTransactionError::Storage(e)
                                }
                                ConflictableTransactionError::Conflict => {
                                    ConflictableTransactionError::Conflict
                                }
                            })?;
                            got.extend(id);
                        }
                    }
                    for (name, st) in &states {
                        let bytes = serde_json::to_vec(st)
                            .map_err(|e| abort(WatchError::Outbox(OutboxError::Encode(e))))?;
                        state.insert(name.as_bytes(), bytes)?;
                    }
                    Ok(got)
                })
                .map_err(|e| match e {
                    TransactionError::Abort(e) => e,
                    TransactionError::Storage(e) => WatchError::Db(e),
                })?;
            ids.extend(batch);
        }
        if !ids.is_empty() {
            self.outbox.wake();
        }
        Ok(ids)
    }
}
