//! Fuzzy vendor look-up: "is `C0nd0r_Blanco` on the new market our `CondorBlanco`?"
//!
//! Vendors who are banned or move markets re-register under near-identical names. Each
//! vendor document carries its handle normalised ([`handle_norm`]) in a keyword field;
//! the look-up tries that exact form first, then Tantivy's Levenshtein automaton over the
//! same field, and reports the edit distance between normalised forms so an investigator
//! can judge how close the match is.

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{FuzzyTermQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use super::normalize::{handle_norm, max_handle_distance, osa_distance};
use super::{SearchError, SearchIndex};

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
