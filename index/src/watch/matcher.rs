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
//! a new market (site), a new mirror (onion host) of a known market, another handle on a
//! market, the first listing on a market with shipping to Peru, and a rotated PGP key,
//! payout address or contact.
//!
//! A rotation is a record that showed a key (wallet, contact) before and now shows
//! another: the profile that said A now says B ("from A to B"), once per new value.
//! A record seen for the first time teaches its identifiers without an alert: while a
//! market is first crawled, the vendor's profile, listings and posts come in any order,
//! and each of them would otherwise "change" what the previous one showed. The
//! "appeared" and "new market" alerts carry the record, and so what it shows.
//!
//! Identity rules also alert on each record that shows the watched wallet, contact or
//! key (once per record), and saved-query and Peru-score rules once per matching record.
//!
//! Known limits: the matcher follows a vendor forward in time only. A record kept
//! before the rule knew an identifier (a forum persona crawled before the market profile
//! that shows the same key) is not re-matched when the rule learns it; that link is
//! raised only if the record is seen again with a change. Identifiers shared by many vendors (a market's escrow wallet shown on
//! every listing) would link them all to the watched vendor; watch the vendor by handle
//! or key instead. A rule whose definition is edited keeps its name's state.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use super::rules::{words, Rule, RuleKind};
use crate::outbox::{self, Alert, DedupKey, Hit, Outbox, OutboxError, RecordFacts, What};
use crate::search::normalize::{contact_forms, handle_norm, onion_host, osa_distance};
use crate::store::{ChangedRecord, IdentifierKind, StoredRecord, CHANGES_TREE};

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
    /// What each of the vendor's records showed so far (key: [`entity_id`]).
    pub records: BTreeMap<String, RecordIds>,
}

/// The identifiers one record has shown.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordIds {
    pub pgp: BTreeSet<String>,
    pub addresses: BTreeSet<String>,
    pub contacts: BTreeSet<String>,
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

fn seen(record: &StoredRecord) -> Seen {
    let norm = |k: IdentifierKind, v: &[String]| -> Vec<String> {
        v.iter().map(|x| k.normalize(x)).collect()
    };
    match record {
        StoredRecord::Listing(l) => Seen {
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
        StoredRecord::Vendor(v) => Seen {
            site: v.site.clone(),
            handle: Some(v.handle.clone()),
            host: v.url.as_deref().and_then(onion_host),
            pgp: norm(IdentifierKind::PgpFingerprint, &v.pgp_fingerprints),
            addresses: norm(IdentifierKind::Address, &v.addresses),
            contacts: norm(IdentifierKind::Contact, &v.contacts),
            ships_to_peru: false,
            ships_to: Vec::new(),
        },
        StoredRecord::Post(p) => Seen {
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
pub fn entity_id(record: &StoredRecord) -> String {
    match record {
        StoredRecord::Listing(l) => format!("listing {} {}", l.site, l.listing.url),
        StoredRecord::Vendor(v) => format!("vendor {} {}", v.site, v.handle.to_lowercase()),
        StoredRecord::Post(p) => format!(
            "post {} {} {}",
            p.site,
            p.post.url,
            crate::store::post_id(&p.post)
        ),
    }
}

/// What the mail shows about a record.
pub fn facts(record: &StoredRecord) -> RecordFacts {
    match record {
        StoredRecord::Listing(l) => RecordFacts {
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
            addresses: l.listing.addresses.clone(),
            contacts: l.listing.contacts.clone(),
            ..RecordFacts::default()
        },
        StoredRecord::Vendor(v) => RecordFacts {
            record_type: "vendor".into(),
            site: v.site.clone(),
            url: v.url.clone(),
            vendor: Some(v.handle.clone()),
            pgp_fingerprints: v.pgp_fingerprints.clone(),
            addresses: v.addresses.clone(),
            contacts: v.contacts.clone(),
            first_seen: Some(v.first_seen),
            peru_score: v.peru.score,
            capture: v.capture.clone(),
            ..RecordFacts::default()
        },
        StoredRecord::Post(p) => RecordFacts {
            record_type: "post".into(),
            site: p.site.clone(),
            url: Some(p.post.url.clone()),
            vendor: p.post.author.clone(),
            title: p.post.thread_title.clone(),
            first_seen: Some(p.first_seen),
            peru_score: p.post.peru.score,
            capture: Some(p.capture.clone()),
            addresses: p.post.addresses.clone(),
            contacts: p.post.contacts.clone(),
            ..RecordFacts::default()
        },
    }
}

fn record_text(record: &StoredRecord) -> String {
    match record {
        StoredRecord::Listing(l) => {
            let x = &l.listing;
            let mut t = vec![x.title.clone()];
            t.extend(x.description.clone());
            t.extend(x.category.clone());
            t.extend(x.vendor.clone());
            t.extend(x.ships_from.clone());
            t.extend(x.ships_to.iter().cloned());
            t.join("\n")
        }
        StoredRecord::Vendor(v) => v.handle.clone(),
        StoredRecord::Post(p) => {
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
                    linked_by: Vec::new(),
                });
            }
        }
        RuleKind::PeruScore(threshold) => {
            let score = match record {
                StoredRecord::Listing(l) => Some(l.listing.peru.score),
                StoredRecord::Vendor(v) => Some(v.peru.score),
                StoredRecord::Post(_) => None,
            };
            if let Some(score) = score.filter(|s| s >= threshold) {
                out.push(Hit {
                    key: key(&entity, "peru".into()),
                    what: What::PeruScore {
                        score,
                        threshold: *threshold,
                    },
                    linked_by: Vec::new(),
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
    // Why this record is the watched vendor's, said in every alert it raises.
    let mut links: Vec<(String, String)> = Vec::new();
    match &lit {
        Some((Some(field), v)) => links.push((field.to_string(), v.clone())),
        Some((None, h)) => links.push(("handle".into(), h.clone())),
        None => {
            if let Some(h) = s
                .handle
                .as_deref()
                .filter(|h| known_handle(state, &s.site, h))
            {
                links.push(("handle".into(), h.to_string()));
            }
            let known = [
                ("pgp", &s.pgp, &state.pgp),
                ("address", &s.addresses, &state.addresses),
                ("contact", &s.contacts, &state.contacts),
            ];
            for (kind, seen, known) in known {
                for v in seen.iter().filter(|v| known.contains(*v)) {
                    links.push((kind.to_string(), v.clone()));
                }
            }
        }
    }
    let vendor = "watched vendor";
    let hit = |change: String, what: What| Hit {
        key: DedupKey {
            rule: rule.name.clone(),
            entity: vendor.into(),
            change,
        },
        what,
        linked_by: Vec::new(),
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
        // Another handle: one the vendor was seen with on no market (the same handle
        // on another market is the vendor moving, not renaming). Compared as the market
        // compares them (case only): `C0ndor_Blanco` next to `CondorBlanco` is a second
        // account, exactly what the fuzzy match is there to catch.
        let known_anywhere = state
            .handles
            .values()
            .flatten()
            .any(|k| k.to_lowercase() == h.to_lowercase());
        if !on_site.is_empty() && !known_anywhere {
            out.push(hit(
                format!("handle:{}:{}", s.site, h.to_lowercase()),
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
    type Group<'a> = (
        &'static str,
        &'a [String],
        &'a mut BTreeSet<String>,
        &'a mut BTreeSet<String>,
        Make,
    );
    let shown = state.records.entry(entity.to_string()).or_default();
    let groups: [Group<'_>; 3] = [
        ("pgp", &s.pgp, &mut state.pgp, &mut shown.pgp, |from, to| {
            What::PgpKeyChanged { from, to }
        }),
        (
            "address",
            &s.addresses,
            &mut state.addresses,
            &mut shown.addresses,
            |from, to| What::PayoutAddressChanged { from, to },
        ),
        (
            "contact",
            &s.contacts,
            &mut state.contacts,
            &mut shown.contacts,
            |from, to| What::ContactChanged { from, to },
        ),
    ];
    for (name, values, known, in_record, make) in groups {
        let before: Vec<String> = in_record.iter().cloned().collect();
        for v in values {
            if !before.is_empty() && !before.contains(v) {
                out.push(hit(format!("{name}:{v}"), make(before.clone(), v.clone())));
            }
            known.insert(v.clone());
            in_record.insert(v.clone());
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
    // What the rule literally watches leads: it is the subject of the mail.
    if let Some((Some(field), value)) = lit {
        out.insert(
            0,
            Hit {
                key: DedupKey {
                    rule: rule.name.clone(),
                    entity: entity.to_string(),
                    change: format!("shows:{field}"),
                },
                what: What::Shows {
                    field: field.to_string(),
                    value,
                },
                linked_by: Vec::new(),
            },
        );
    }
    for h in out.iter_mut() {
        if !matches!(h.what, What::Shows { .. }) {
            h.linked_by = links.clone();
        }
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
                &self.outbox.queue,
            );
            let batch = trees
                .transaction(|(journal, state, alerts, deliveries, dedup, queue)| {
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
                                queue,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::Outbox;
    use crate::store::fixtures::{capture, page};
    use crate::store::{Observation, Store};
    use crate::time::Timestamp;
    use crate::watch::{Language, Severity};
    use centinela_parsers::records::{Listing, PageType, Vendor};

    const FP_A: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const FP_B: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    const WALLET: &str = "185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk";

    fn rule(name: &str, kind: RuleKind) -> Rule {
        Rule {
            name: name.into(),
            kind,
            sites: vec![],
            recipients: vec!["jefe@unidad.example".into()],
            language: Language::Es,
            severity: Severity::Warning,
            source: None,
        }
    }

    struct World {
        _dir: tempfile::TempDir,
        store: Store,
        outbox: Outbox,
        watcher: Watcher,
        at: i64,
    }

    impl World {
        fn new(rules: Vec<Rule>) -> World {
            let dir = tempfile::tempdir().expect("tempdir");
            let db = crate::store::open_db(dir.path()).expect("db");
            let store = Store::open(&db).expect("store");
            let outbox = Outbox::open(&db).expect("outbox");
            let watcher = Watcher::open(&db, rules, &outbox).expect("watcher");
            World {
                _dir: dir,
                store,
                outbox,
                watcher,
                at: 1000,
            }
        }

        /// Applies a page and runs the matcher; returns the new alerts' hits.
        fn apply(
            &mut self,
            site: &str,
            p: &centinela_parsers::records::ParsedPage,
        ) -> Vec<Vec<What>> {
            self.at += 10;
            let cap = capture(&format!("{:064x}", self.at), self.at);
            self.store
                .apply_page_changes(&Observation {
                    site,
                    at: Timestamp(self.at),
                    capture: &cap,
                    page: p,
                })
                .expect("apply");
            let ids = self.watcher.process_pending().expect("process");
            ids.iter()
                .map(|id| {
                    let a = self.outbox.alert(*id).expect("read").expect("alert");
                    a.hits.into_iter().map(|h| h.what).collect()
                })
                .collect()
        }
    }

    fn vendor_page(
        host: &str,
        handle: &str,
        pgp: &[&str],
        addresses: &[&str],
    ) -> centinela_parsers::records::ParsedPage {
        let url = format!("http://{host}/vendor/{handle}");
        let mut p = page(&url, PageType::Vendor);
        p.vendors.push(Vendor {
            url,
            handle: handle.into(),
            pgp_fingerprints: pgp.iter().map(|s| s.to_string()).collect(),
            contacts: vec!["telegram:@condor_lima".into()],
            addresses: addresses.iter().map(|s| s.to_string()).collect(),
            ..Vendor::default()
        });
        p
    }

    fn listing_page(
        host: &str,
        n: u32,
        vendor: &str,
        ships_to: &[&str],
        addresses: &[&str],
    ) -> centinela_parsers::records::ParsedPage {
        let url = format!("http://{host}/listing/{n}");
        let mut p = page(&url, PageType::Listing);
        p.listings.push(Listing {
            url,
            title: format!("Cocaína pura {n}, envíos a Lima"),
            vendor: Some(vendor.into()),
            ships_to: ships_to.iter().map(|s| s.to_string()).collect(),
            addresses: addresses.iter().map(|s| s.to_string()).collect(),
            ..Listing::default()
        });
        p
    }

    #[test]
    fn handles_are_fuzzy_only_where_it_is_safe() {
        assert!(handle_matches("CondorBlanco", "c0nd0r_blanco"));
        assert!(handle_matches("CondorBlanco", "@Condor.Blanco"));
        assert!(
            handle_matches("CondorBlanco", "CondorBlanca"),
            "one substitution"
        );
        assert!(
            handle_matches("CondorBlanco", "CondorBlnco"),
            "one deletion"
        );
        assert!(
            handle_matches("Kondor", "Kodnor"),
            "6 characters: one transposition"
        );
        assert!(
            !handle_matches("pablo", "pabla"),
            "5 characters: exact only"
        );
        assert!(handle_matches("pablo", "P4BL0"), "but normalised");
        assert!(!handle_matches("CondorBlanco", "CondorNegro"));
        assert!(
            !handle_matches("CondorBlanco", "CondorBlancoo7"),
            "two edits"
        );
    }

    #[test]
    fn contacts_match_with_or_without_platform() {
        assert!(contact_matches(
            "telegram:@pepe_lima",
            "telegram:@Pepe_Lima"
        ));
        assert!(!contact_matches("telegram:@pepe_lima", "wickr:@pepe_lima"));
        assert!(contact_matches("@pepe_lima", "wickr:pepe_lima"));
        assert!(contact_matches("pepe_lima", "telegram:@pepe_lima"));
        assert!(contact_matches("+51987654321", "whatsapp:+51987654321"));
        assert!(contact_matches("987654321", "whatsapp:+51987654321"));
        assert!(!contact_matches("@pepe", "telegram:@pepe_lima"));
    }

    #[test]
    fn a_watched_vendor_is_followed_across_sites_keys_and_shipping() {
        let mut w = World::new(vec![rule(
            "condor",
            RuleKind::Vendor("CondorBlanco".into()),
        )]);
        let host_a = "aaaa.onion";
        let first = vendor_page(host_a, "CondorBlanco", &[FP_A], &[WALLET]);
        let hits = w.apply("andino", &first);
        assert_eq!(
            hits,
            [[What::VendorAppeared {
                site: "andino".into(),
                handle: "CondorBlanco".into()
            }]],
            "what it shows at first is the baseline, not a change"
        );
        assert!(
            w.apply("andino", &first).is_empty(),
            "unchanged re-crawl: nothing"
        );

        let hits = w.apply(
            "pacifico",
            &vendor_page("bbbb.onion", "C0ndor_Blanco", &[FP_A], &[]),
        );
        assert_eq!(
            hits,
            [[What::NewSite {
                handle: "C0ndor_Blanco".into(),
                site: "pacifico".into(),
                known_sites: vec!["andino".into()]
            }]]
        );

        let hits = w.apply("andino", &vendor_page(host_a, "CondorBlanco", &[FP_B], &[]));
        assert_eq!(
            hits,
            [[What::PgpKeyChanged {
                from: vec![FP_A.into()],
                to: FP_B.into()
            }]]
        );

        let hits = w.apply(
            "andino",
            &vendor_page("cccc.onion", "CondorBlanco", &[FP_B], &[]),
        );
        assert_eq!(
            hits,
            [[What::NewMirror {
                site: "andino".into(),
                host: "cccc.onion".into(),
                known_hosts: vec![host_a.into()]
            }]]
        );

        assert!(w
            .apply(
                "andino",
                &listing_page(host_a, 1, "CondorBlanco", &["Chile"], &[])
            )
            .is_empty());
        let hits = w.apply(
            "andino",
            &listing_page(host_a, 2, "CondorBlanco", &["Perú"], &[]),
        );
        assert_eq!(
            hits,
            [[What::ShipsToPeru {
                site: "andino".into(),
                ships_to: vec!["Perú".into()]
            }]]
        );
        assert!(
            w.apply(
                "andino",
                &listing_page(host_a, 3, "CondorBlanco", &["Peru"], &[])
            )
            .is_empty(),
            "once per site"
        );

        // Known by its wallet under another name, on a third market.
        let hits = w.apply(
            "sur",
            &vendor_page("dddd.onion", "ElHalcon", &[], &[WALLET]),
        );
        assert_eq!(hits.len(), 1);
        assert!(
            matches!(&hits[0][0], What::NewSite { handle, site, .. } if handle == "ElHalcon" && site == "sur")
        );

        // An unrelated vendor raises nothing; one sharing the watched contact is linked.
        let mut other = vendor_page("dddd.onion", "Otro", &[], &[]);
        let contact = std::mem::take(&mut other.vendors[0].contacts);
        assert!(w.apply("sur", &other).is_empty());
        other.vendors[0].contacts = contact;
        let hits = w.apply("sur", &other);
        assert!(
            matches!(&hits[..], [h] if matches!(&h[..], [What::HandleChanged { to, .. }] if to == "Otro")),
            "{hits:?}"
        );
        let st = w.watcher.state("condor").expect("state");
        assert_eq!(st.sites.len(), 3);
        assert!(st.pgp.contains(FP_A) && st.pgp.contains(FP_B));
    }

    #[test]
    fn wallets_queries_and_peru_scores() {
        let mut peru = rule("peru", RuleKind::PeruScore(0.5));
        peru.sites = vec!["andino".into()];
        let mut w = World::new(vec![
            rule("wallet", RuleKind::Address(WALLET.into())),
            rule("q", RuleKind::Query("cocaina LIMA".into())),
            peru,
        ]);
        let mut p = listing_page("aaaa.onion", 1, "Nadie", &[], &[WALLET]);
        p.listings[0].peru.score = 0.8;
        let hits = w.apply("andino", &p);
        let flat: Vec<&What> = hits.iter().flatten().collect();
        assert!(flat.contains(&&What::Shows {
            field: "address".into(),
            value: WALLET.into()
        }));
        assert!(flat.contains(&&What::QueryMatched {
            query: "cocaina LIMA".into()
        }));
        assert!(flat.contains(&&What::PeruScore {
            score: 0.8,
            threshold: 0.5
        }));
        // The listing changes price: all of that was already said.
        p.listings[0].price = Some(centinela_parsers::records::Price {
            amount: Some(1.0),
            currency: Some("USD".into()),
            shown: "$1".into(),
        });
        assert!(w.apply("andino", &p).is_empty());
        // Another listing with the wallet, on a site the Peru rule does not watch.
        let mut p2 = listing_page("bbbb.onion", 2, "Nadie", &[], &[WALLET]);
        p2.listings[0].peru.score = 0.9;
        let hits = w.apply("pacifico", &p2);
        let flat: Vec<&What> = hits.iter().flatten().collect();
        assert!(flat.iter().any(|h| matches!(h, What::Shows { .. })));
        assert!(!flat.iter().any(|h| matches!(h, What::PeruScore { .. })));
        // Every alert went to the rule's recipient, queued.
        assert!(w
            .outbox
            .queued()
            .expect("queued")
            .iter()
            .all(|d| d.recipient == "jefe@unidad.example"));
    }

    #[test]
    fn the_store_reports_new_and_changed_records_only() {
        let w = World::new(vec![]);
        let mut p = listing_page("aaaa.onion", 1, "Nadie", &[], &[]);
        let apply = |p: &centinela_parsers::records::ParsedPage, at: i64| {
            let cap = capture(&format!("{at:064x}"), at);
            w.store
                .apply_page_changes(&Observation {
                    site: "andino",
                    at: Timestamp(at),
                    capture: &cap,
                    page: p,
                })
                .expect("apply")
                .1
        };
        let first = apply(&p, 10);
        assert_eq!(first.len(), 2, "the listing and the vendor it names");
        assert!(first.iter().all(|c| c.new));
        assert!(apply(&p, 20).is_empty(), "seen again: nothing to report");
        p.listings[0].price = Some(centinela_parsers::records::Price {
            amount: Some(5.0),
            currency: Some("USD".into()),
            shown: "$5".into(),
        });
        let changed = apply(&p, 30);
        assert_eq!(changed.len(), 1);
        assert!(!changed[0].new);
        assert!(matches!(
            changed[0].changes[..],
            [crate::store::Change::PriceChanged { .. }]
        ));
        assert_eq!(
            w.watcher.process_pending().expect("drain"),
            Vec::<u64>::new()
        );
        assert_eq!(w.watcher.journal.len(), 0, "drained even without rules");
    }

    #[test]
    fn journaled_changes_survive_until_matched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = listing_page("aaaa.onion", 1, "Nadie", &[], &[WALLET]);
        let cap = capture(&"a".repeat(64), 5);
        {
            let db = crate::store::open_db(dir.path()).expect("db");
            let store = Store::open(&db).expect("store");
            store
                .apply_page_changes(&Observation {
                    site: "andino",
                    at: Timestamp(5),
                    capture: &cap,
                    page: &p,
                })
                .expect("apply");
            db.flush().expect("flush");
            // "Crash" before the matcher ran.
        }
        let db = crate::store::open_db(dir.path()).expect("db");
        let outbox = Outbox::open(&db).expect("outbox");
        let w = Watcher::open(
            &db,
            vec![rule("wallet", RuleKind::Address(WALLET.into()))],
            &outbox,
        )
        .expect("watcher");
        assert_eq!(w.process_pending().expect("process").len(), 1);
        assert!(w.process_pending().expect("again").is_empty());
    }
}
