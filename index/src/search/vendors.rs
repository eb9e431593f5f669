//! Fuzzy vendor look-up: "is `C0nd0r_Blanco` on the new market our `CondorBlanco`?"
//!
//! Vendors who are banned or move markets re-register under near-identical names. Each
//! vendor document carries its handle normalised ([`handle_norm`]) in a keyword field;
//! the look-up tries that exact form first, then Tantivy's Levenshtein automaton over the
//! same field, and reports the edit distance between normalised forms so an investigator
//! can judge how close the match is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::normalize::{handle_norm, max_handle_distance, osa_distance};
use super::{vendor_id, SearchError, SearchIndex};

/// A vendor whose handle resembles the name looked up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorMatch {
    pub site: String,
    /// The handle as the site shows it.
    pub handle: String,
    /// Edit distance between the normalised forms; 0 means the same after normalisation.
    pub distance: u32,
}

/// How many candidate documents one automaton pass may bring back. Real collisions are
/// few; this only bounds a pathological query.
const MAX_CANDIDATES: usize = 1_000;

pub(super) fn find(
    index: &SearchIndex,
    name: &str,
    limit: usize,
) -> Result<Vec<VendorMatch>, SearchError> {
    let norm = handle_norm(name);
    if norm.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let searcher = index.reader.searcher();
    let term = Term::from_field_text(index.fields.handle_norm, &norm);
    let max = max_handle_distance(norm.chars().count());
    let mut queries: Vec<Box<dyn Query>> = vec![Box::new(TermQuery::new(
        term.clone(),
        IndexRecordOption::Basic,
    ))];
    if max > 0 {
        queries.push(Box::new(FuzzyTermQuery::new(term, max, true)));
    }
    let mut out: Vec<VendorMatch> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for q in queries {
        for (_, addr) in searcher.search(&*q, &TopDocs::with_limit(MAX_CANDIDATES))? {
            let (id, record) = index.load(&searcher, addr)?;
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            let field = |k: &str| {
                record
                    .get(k)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let handle = field("handle");
            let distance = osa_distance(&norm, &handle_norm(&handle));
            if distance <= u32::from(max) {
                out.push(VendorMatch {
                    site: field("site"),
                    handle,
                    distance,
                });
            }
        }
        // Exact matches fill the answer: no need to guess.
        if out.len() >= limit {
            break;
        }
    }
    let wanted = name.trim().to_lowercase();
    out.sort_by(|a, b| {
        a.distance
            .cmp(&b.distance)
            // Among equals, the handle spelled as asked comes first.
            .then_with(|| {
                (a.handle.to_lowercase() != wanted).cmp(&(b.handle.to_lowercase() != wanted))
            })
            .then_with(|| a.handle.cmp(&b.handle))
            .then_with(|| a.site.cmp(&b.site))
    });
    out.truncate(limit);
    Ok(out)
}

/// Everything the index knows about one vendor across markets: where the handle appears,
/// and which other personas share an address, contact or PGP key with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VendorProfile {
    /// The name looked up.
    pub query: String,
    /// The vendor records taken to be this vendor: the closest handles found (every site
    /// where the handle is the same after normalisation, or equally close to the query).
    pub appearances: Vec<Value>,
    /// Handles that are near but not as close, for the investigator to judge.
    pub similar: Vec<VendorMatch>,
    /// Other vendors (or forum authors) sharing an identifier with an appearance.
    pub linked: Vec<LinkedVendor>,
}

/// An identifier two personas share.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SharedIdentifier {
    /// `pgp`, `address` or `contact`.
    pub kind: String,
    pub value: String,
}

/// A persona linked to the profiled vendor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkedVendor {
    pub site: String,
    pub handle: String,
    /// What links them.
    pub via: Vec<SharedIdentifier>,
    /// Records of this persona carrying a shared identifier.
    pub records: usize,
    /// From its vendor record when it has one, else from the linking records.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Listings of its vendor record (`None` for a forum author without one).
    pub listings_count: Option<u64>,
}

/// How many records one identifier may pull in; a wallet shared by thousands of records
/// is a market's escrow address, not a lead.
const MAX_PER_IDENTIFIER: usize = 500;

fn text(record: &Value, key: &str) -> String {
    record
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn strings(record: &Value, key: &str) -> Vec<String> {
    record
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn profile(
    index: &SearchIndex,
    name: &str,
) -> Result<Option<VendorProfile>, SearchError> {
    let matches = find(index, name, 50)?;
    let Some(best) = matches.first().map(|m| m.distance) else {
        return Ok(None);
    };
    let (same, similar): (Vec<VendorMatch>, Vec<VendorMatch>) =
        matches.into_iter().partition(|m| m.distance == best);
    let searcher = index.reader.searcher();
    let mut appearances = Vec::new();
    for m in &same {
        if let Some(record) = index.get(&vendor_id(&m.site, &m.handle))? {
            appearances.push(record);
        }
    }
    let own = |site: &str, handle: &str| {
        same.iter()
            .any(|m| m.site == site && m.handle.eq_ignore_ascii_case(handle))
    };

    // The identifiers of the vendor: on its profiles and on its listings.
    let mut idents: Vec<(SharedIdentifier, Field)> = Vec::new();
    let mut add = |kind: &str, field: Field, values: Vec<String>| {
        for value in values {
            let id = SharedIdentifier {
                kind: kind.to_string(),
                value,
            };
            if !idents.iter().any(|(i, _)| *i == id) {
                idents.push((id, field));
            }
        }
    };
    let f = index.fields;
    for a in &appearances {
        add("pgp", f.pgp, strings(a, "pgp_fingerprints"));
        add("contact", f.contact, strings(a, "contacts"));
        add("address", f.address, strings(a, "addresses"));
    }
    for m in &same {
        for record in listings_of(index, &searcher, &m.site, &m.handle)? {
            add("contact", f.contact, strings(&record, "contacts"));
            add("address", f.address, strings(&record, "addresses"));
        }
    }

    // Who else carries them.
    let mut linked: BTreeMap<(String, String), LinkedVendor> = BTreeMap::new();
    for (ident, field) in &idents {
        let term = Term::from_field_text(*field, &index.keyword_term(&ident.value));
        let q = TermQuery::new(term, IndexRecordOption::Basic);
        for (_, addr) in searcher.search(&q, &TopDocs::with_limit(MAX_PER_IDENTIFIER))? {
            let (_, record) = index.load(&searcher, addr)?;
            let site = text(&record, "site");
            let handle = match text(&record, "type").as_str() {
                "vendor" => text(&record, "handle"),
                "listing" => text(&record, "vendor"),
                _ => text(&record, "author"),
            };
            if handle.trim().is_empty() || own(&site, &handle) {
                continue;
            }
            let key = (site.clone(), handle.to_lowercase());
            let entry = linked.entry(key).or_insert_with(|| LinkedVendor {
                site,
                handle: handle.clone(),
                via: Vec::new(),
                records: 0,
                first_seen: None,
                last_seen: None,
                listings_count: None,
            });
            entry.records += 1;
            if !entry.via.contains(ident) {
                entry.via.push(ident.clone());
            }
            let (first, last) = (text(&record, "first_seen"), text(&record, "last_seen"));
            if !first.is_empty() && entry.first_seen.as_ref().is_none_or(|f| first < *f) {
                entry.first_seen = Some(first);
            }
            if !last.is_empty() && entry.last_seen.as_ref().is_none_or(|l| last > *l) {
                entry.last_seen = Some(last);
            }
        }
    }
    let mut linked: Vec<LinkedVendor> = linked.into_values().collect();
    for l in &mut linked {
        l.via.sort();
        if let Some(v) = index.get(&vendor_id(&l.site, &l.handle))? {
            l.handle = text(&v, "handle");
            l.first_seen = Some(text(&v, "first_seen")).filter(|s| !s.is_empty());
            l.last_seen = Some(text(&v, "last_seen")).filter(|s| !s.is_empty());
            l.listings_count = v.get("listings_count").and_then(Value::as_u64);
        }
    }
    // Strongest links first: a shared PGP key outweighs a shared wallet or contact.
    linked.sort_by(|a, b| {
        let pgp = |l: &LinkedVendor| l.via.iter().any(|v| v.kind == "pgp");
        pgp(b)
            .cmp(&pgp(a))
            .then_with(|| b.via.len().cmp(&a.via.len()))
            .then_with(|| b.records.cmp(&a.records))
            .then_with(|| (&a.site, &a.handle).cmp(&(&b.site, &b.handle)))
    });
    Ok(Some(VendorProfile {
        query: name.to_string(),
        appearances,
        similar,
        linked,
    }))
}

/// The listings a vendor has on one site.
fn listings_of(
    index: &SearchIndex,
    searcher: &Searcher,
    site: &str,
    handle: &str,
) -> Result<Vec<Value>, SearchError> {
    let f = index.fields;
    let term = |field: Field, v: &str| -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, &index.keyword_term(v)),
            IndexRecordOption::Basic,
        ))
    };
    let q = BooleanQuery::new(vec![
        (Occur::Must, term(f.site, site)),
        (Occur::Must, term(f.vendor, handle)),
        (Occur::Must, term(f.record_type, "listing")),
    ]);
    let mut out = Vec::new();
    for (_, addr) in searcher.search(&q, &TopDocs::with_limit(MAX_PER_IDENTIFIER))? {
        out.push(index.load(searcher, addr)?.1);
    }
    Ok(out)
}
