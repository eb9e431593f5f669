//! Full-text and identifier search over the kept records (Tantivy).
//!
//! The store is the source of truth; this index is a derived, disposable view of it. That
//! decides the design: every document carries a stable id, so re-indexing a changed record
//! replaces it ([`SearchIndex::upsert`]); an index that cannot be opened is reported as
//! [`SearchError::Corrupt`] so the caller can throw it away and
//! [`SearchIndex::rebuild_from`] the store; and rebuilding gives the same results as
//! indexing incrementally.
//!
//! What an investigator gets:
//! - Spanish and English full text, accent-insensitive and stemmed (`cocaina envio lima`
//!   finds `Cocaína — envío a Lima`; `shipping` finds `ships`), titles weighted above
//!   bodies, every word required by default;
//! - Tantivy's query language with field names in Spanish or English
//!   (`vendedor:condorblanco envia_a:peru`, see [`valid_field_names`]);
//! - exact identifiers: a wallet, PGP fingerprint, `@handle` or phone number typed alone
//!   finds every listing, vendor and post carrying it;
//! - filters (site, type, Peru, last seen, price in USD), sorting by relevance or recency,
//!   highlighted snippets as plain fragments plus ranges, facet counts;
//! - fuzzy vendor look-up that sees through `C0nd0r_Blanco` ([`SearchIndex::find_vendors`]).

mod doc;
mod indexer;
pub(crate) mod normalize;
mod query;
mod schema;
mod stem;
mod vendors;

#[cfg(test)]
mod tests;

use std::ops::Bound;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tantivy::collector::{Count, FacetCollector, MultiCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Query, QueryParser, QueryParserError, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Facet, IndexRecordOption, Schema, Value as _};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    Term,
};

pub use doc::{listing_id, post_id, vendor_id, Doc, RecordType};
pub use indexer::{CommitPolicy, Indexer, Opened};
pub use normalize::{coin_of, handle_norm, Rates};
pub use query::valid_field_names;
pub use vendors::{LinkedVendor, SharedIdentifier, VendorMatch, VendorProfile};

use crate::store::{Store, StoreError, StoredRecord};
use crate::time::Timestamp;
use schema::Fields;

/// Why a search or an index update failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The index on disk cannot be used (damaged files, or written by an incompatible
    /// schema). Nothing in it is lost that the store does not have: delete it with
    /// [`SearchIndex::recreate`] and [`SearchIndex::rebuild_from`] the store.
    #[error("the search index at {path} cannot be used ({reason}); rebuild it from the store")]
    Corrupt { path: String, reason: String },
    /// The query does not parse. `column` is 1-based, in characters.
    #[error("query syntax error at column {column}: {message}")]
    Syntax { column: usize, message: String },
    #[error("unknown field `{field}` in the query; valid fields: {valid}")]
    UnknownField { field: String, valid: String },
    /// The query parses but cannot be run as written (a word where a number is needed...).
    #[error("invalid query: {0}")]
    Query(String),
    /// A request parameter is out of range.
    #[error("invalid search request: {0}")]
    Request(String),
    #[error("the search index at {path} cannot be written: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("search index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How an index is opened. The defaults suit the keeper: the writer's memory budget is
/// a ceiling Tantivy grows into only while indexing, not an allocation at open.
#[derive(Clone, Debug)]
pub struct IndexOptions {
    /// Indexing threads of the one writer (at most 2 on the reference 2-core machine).
    pub writer_threads: usize,
    /// Overall writer memory budget, split between the threads; a segment is flushed
    /// when a thread fills its share. 256–512 MB makes bulk indexing fast.
    pub writer_memory_bytes: usize,
    /// Threads a search may use to read segments in parallel (1 = the calling thread
    /// only). On the 2-core reference machine 2 gained little (phrase p99 45 vs 47 ms at
    /// 1M documents) and competes with crawling and indexing, so the default is 1.
    pub search_threads: usize,
    /// Currency rates for the USD-normalised price (applied when a document is indexed:
    /// changing them needs a rebuild).
    pub rates: Rates,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            writer_threads: 2,
            writer_memory_bytes: 256 * 1024 * 1024,
            search_threads: 1,
            rates: Rates::builtin(),
        }
    }
}

/// Sort order of hits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best match first.
    #[default]
    Relevance,
    /// Most recently seen first (`last_seen` descending).
    Recency,
}

/// One search. `Default` is every record, best first, 20 hits, with snippets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchRequest {
    /// Tantivy query language with Spanish/English field names; empty means everything.
    pub query: String,
    /// Only this site (exact name, case and accents ignored).
    pub site: Option<String>,
    pub record_type: Option<RecordType>,
    /// Only records whose Peru score is at least [`PERU_THRESHOLD`].
    pub peru: bool,
    /// Only records last seen at or after this time.
    pub since: Option<Timestamp>,
    /// Only records last seen at or before this time.
    pub until: Option<Timestamp>,
    /// Price bounds in US dollars (inclusive). Records without a USD price are left out
    /// whenever a bound is set.
    pub min_price_usd: Option<f64>,
    pub max_price_usd: Option<f64>,
    pub sort: Sort,
    pub limit: usize,
    pub offset: usize,
    pub snippets: bool,
    /// Count hits per site, type, coin, category and ships_to.
    pub facets: bool,
    /// Only these facets (names of [`schema::FACETS`]); empty: all of them. Each costs a
    /// read per hit: a page under load asks only for those it shows.
    pub facet_names: Vec<String>,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: String::new(),
            site: None,
            record_type: None,
            peru: false,
            since: None,
            until: None,
            min_price_usd: None,
            max_price_usd: None,
            sort: Sort::Relevance,
            limit: 20,
            offset: 0,
            snippets: true,
            facets: false,
            facet_names: Vec::new(),
        }
    }
}

impl SearchRequest {
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            ..SearchRequest::default()
        }
    }
}

/// The Peru score from which the `peru` filter counts a record as targeting Peru.
pub const PERU_THRESHOLD: f64 = 0.5;

/// Most hits one request may ask for; deeper pages are an export, not a search.
pub const MAX_LIMIT: usize = 10_000;

/// Deepest hit a page may reach (`offset + limit`): Tantivy ranks every hit above the
/// page, so deep paging costs memory and time in proportion.
pub const MAX_WINDOW: usize = 100_000;

/// A highlighted span of a [`Snippet`]: byte offsets into its `fragment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Highlight {
    pub start: usize,
    pub end: usize,
}

/// A piece of a record's text with the matched words marked. Plain text plus ranges, not
/// HTML: crawled text is hostile, so each front end escapes it its own way (the CLI bolds
/// the ranges, the web UI escapes the text and wraps the ranges in `<mark>`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    pub fragment: String,
    /// Sorted, non-overlapping, on character boundaries.
    pub highlights: Vec<Highlight>,
}

impl Snippet {
    /// The fragment cut into (text, highlighted) pieces, in order.
    pub fn segments(&self) -> Vec<(&str, bool)> {
        let mut out = Vec::new();
        let mut at = 0;
        for h in &self.highlights {
            let (Some(before), Some(marked)) = (
                self.fragment.get(at..h.start),
                self.fragment.get(h.start..h.end),
            ) else {
                continue;
            };
            if !before.is_empty() {
                out.push((before, false));
            }
            out.push((marked, true));
            at = h.end;
        }
        if let Some(rest) = self.fragment.get(at..) {
            if !rest.is_empty() {
                out.push((rest, false));
            }
        }
        out
    }

    /// The highlighted words themselves.
    pub fn highlighted(&self) -> Vec<&str> {
        self.segments()
            .into_iter()
            .filter_map(|(s, h)| h.then_some(s))
            .collect()
    }
}

/// One hit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The stable document id (see [`listing_id`], [`vendor_id`], [`post_id`]).
    pub id: String,
    pub record_type: RecordType,
    /// Relevance score; `None` when sorted by recency.
    pub score: Option<f32>,
    /// The `search --json` record.
    pub record: Value,
    /// The title (listing title, vendor handle, thread title) with matches marked.
    pub title: Option<Snippet>,
    /// The best passage of the text with matches marked, or its beginning.
    pub body: Option<Snippet>,
}

/// How many hits have one facet value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    /// `site`, `type`, `coin`, `category` or `ships_to`.
    pub facet: String,
    pub value: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// Hits in total (not just this page).
    pub total: usize,
    pub hits: Vec<SearchHit>,
    /// Empty unless the request asked for facets.
    pub facets: Vec<FacetCount>,
}

/// The search index of one data folder.
pub struct SearchIndex {
    path: PathBuf,
    index: Index,
    fields: Fields,
    reader: IndexReader,
    /// Created on first write: a process that only searches (the CLI while the daemon
    /// runs) must not take the writer lock.
    writer: Option<IndexWriter>,
    parser: QueryParser,
    keyword: TextAnalyzer,
    options: IndexOptions,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("path", &self.path)
            .field("docs", &self.num_docs())
            .finish()
    }
}

/// Title matches weigh this much more than body matches.
const TITLE_BOOST: f32 = 2.0;
const TITLE_SNIPPET_CHARS: usize = 300;
const BODY_SNIPPET_CHARS: usize = 200;

impl SearchIndex {
    /// Opens the index in `dir`, creating it (and the folder) when there is none.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        SearchIndex::open_with(dir, IndexOptions::default())
    }

    pub fn open_with(dir: &Path, options: IndexOptions) -> Result<SearchIndex, SearchError> {
        let path_str = dir.display().to_string();
        std::fs::create_dir_all(dir).map_err(|source| SearchError::Io {
            path: path_str.clone(),
            source,
        })?;
        let corrupt = |reason: String| SearchError::Corrupt {
            path: path_str.clone(),
            reason,
        };
        let (schema, fields) = schema::build();
        let directory = MmapDirectory::open(dir).map_err(|e| corrupt(e.to_string()))?;
        let exists = Index::exists(&directory).map_err(|e| corrupt(e.to_string()))?;
        let index = if exists {
            let index = Index::open(directory).map_err(|e| corrupt(e.to_string()))?;
            if !same_schema(&index.schema(), &schema) {
                return Err(corrupt(
                    "it was written by another version of the index schema".to_string(),
                ));
            }
            index
        } else {
            Index::create(directory, schema.clone(), tantivy::IndexSettings::default())?
        };
        let mut index = index;
        if options.search_threads > 1 {
            index.set_multithread_executor(options.search_threads)?;
        }
        schema::register_analyzers(index.tokenizers());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .map_err(|e| corrupt(e.to_string()))?;
        let keyword = index
            .tokenizers()
            .get(schema::ANALYZER_KW)
            .ok_or_else(|| corrupt("keyword analyzer missing".to_string()))?;
        let mut parser = QueryParser::for_index(
            &index,
            vec![
                fields.title_es,
                fields.title_en,
                fields.body_es,
                fields.body_en,
            ],
        );
        parser.set_conjunction_by_default();
        parser.set_field_boost(fields.title_es, TITLE_BOOST);
        parser.set_field_boost(fields.title_en, TITLE_BOOST);
        Ok(SearchIndex {
            path: dir.to_path_buf(),
            index,
            fields,
            reader,
            writer: None,
            parser,
            keyword,
            options,
        })
    }

    /// Deletes whatever is in `dir` and creates an empty index there: the way back from
    /// [`SearchError::Corrupt`]. `dir` must be the index's own folder.
    pub fn recreate(dir: &Path, options: IndexOptions) -> Result<SearchIndex, SearchError> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|source| SearchError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        SearchIndex::open_with(dir, options)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Documents visible to searches (as of the last commit).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn writer(&mut self) -> Result<&mut IndexWriter, SearchError> {
        if self.writer.is_none() {
            let w = self.index.writer_with_num_threads(
                self.options.writer_threads.max(1),
                self.options.writer_memory_bytes,
            )?;
            self.writer = Some(w);
        }
        self.writer
            .as_mut()
            .ok_or_else(|| SearchError::Request("the index writer is unavailable".to_string()))
    }

    /// Indexes `doc`, replacing any document with the same id. Visible after
    /// [`commit`](Self::commit).
    pub fn upsert(&mut self, doc: &Doc) -> Result<(), SearchError> {
        let tdoc = doc.to_tantivy(&self.fields, &self.options.rates);
        let id = Term::from_field_text(self.fields.id, doc.id());
        let w = self.writer()?;
        w.delete_term(id);
        w.add_document(tdoc)?;
        Ok(())
    }

    /// Adds `doc` without deleting an older version first. Only for documents known to
    /// be new, such as after [`clear`](Self::clear): it skips the delete, which is most
    /// of the cost of a bulk load. A duplicate id added this way is a duplicate hit.
    pub fn add_new(&mut self, doc: &Doc) -> Result<(), SearchError> {
        let tdoc = doc.to_tantivy(&self.fields, &self.options.rates);
        self.writer()?.add_document(tdoc)?;
        Ok(())
    }

    /// Removes one document by id (a record the store no longer has).
    pub fn delete(&mut self, id: &str) -> Result<(), SearchError> {
        let term = Term::from_field_text(self.fields.id, id);
        self.writer()?.delete_term(term);
        Ok(())
    }

    /// Removes every document (effective at the next commit).
    pub fn clear(&mut self) -> Result<(), SearchError> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    /// Makes every change so far durable and visible to searches.
    pub fn commit(&mut self) -> Result<(), SearchError> {
        if let Some(w) = self.writer.as_mut() {
            w.commit()?;
            self.reader.reload()?;
        }
        Ok(())
    }

    /// Drops uncommitted changes.
    pub fn rollback(&mut self) -> Result<(), SearchError> {
        if let Some(w) = self.writer.as_mut() {
            w.rollback()?;
        }
        Ok(())
    }

    /// Waits for background segment merges to finish and releases the writer (and its
    /// lock). Call before exit after a bulk load, so the index is left compact.
    pub fn finish_merges(&mut self) -> Result<(), SearchError> {
        if let Some(w) = self.writer.take() {
            w.wait_merging_threads()?;
            self.reader.reload()?;
        }
        Ok(())
    }

    /// Clears the index and indexes every listing, vendor and post in the store, then
    /// commits. Returns how many documents were indexed. On error nothing is committed
    /// and the previous contents stay searchable.
    pub fn rebuild_from(&mut self, store: &Store) -> Result<usize, SearchError> {
        let result = self.rebuild_inner(store);
        if result.is_err() {
            // Leave the last committed index as it was rather than half-cleared.
            let _ = self.rollback();
        }
        result
    }

    fn rebuild_inner(&mut self, store: &Store) -> Result<usize, SearchError> {
        self.clear()?;
        let mut n = 0;
        for record in store.records() {
            self.add_new(&Doc::from_stored(&record?))?;
            n += 1;
        }
        self.commit()?;
        Ok(n)
    }

    /// Indexes one kept record as it is now, replacing its earlier version.
    pub fn upsert_record(&mut self, record: &StoredRecord) -> Result<(), SearchError> {
        self.upsert(&Doc::from_stored(record))
    }

    fn stored_record(&self, searcher: &Searcher, id: &str) -> Result<Option<Value>, SearchError> {
        let q = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(&q, &TopDocs::with_limit(1))?;
        match top.first() {
            Some((_, addr)) => Ok(Some(self.load(searcher, *addr)?.1)),
            None => Ok(None),
        }
    }

    /// The record of one document, by its stable id.
    pub fn get(&self, id: &str) -> Result<Option<Value>, SearchError> {
        self.stored_record(&self.reader.searcher(), id)
    }

    fn load(&self, searcher: &Searcher, addr: DocAddress) -> Result<(String, Value), SearchError> {
        let d: TantivyDocument = searcher.doc(addr)?;
        let id = d
            .get_first(self.fields.id)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let record = d
            .get_first(self.fields.record)
            .and_then(|v| v.as_str())
            .map(serde_json::from_str::<Value>)
            .transpose()
            .map_err(|e| SearchError::Corrupt {
                path: self.path.display().to_string(),
                reason: format!("document {id:?} holds an unreadable record: {e}"),
            })?
            .unwrap_or(Value::Null);
        Ok((id, record))
    }

    /// A keyword value as the keyword fields index it (lower-cased, folded, whole).
    fn keyword_term(&self, value: &str) -> String {
        let mut analyzer = self.keyword.clone();
        let mut stream = analyzer.token_stream(value.trim());
        let mut out = String::new();
        while stream.advance() {
            out.push_str(&stream.token().text);
        }
        out
    }

    /// The user's query, without filters.
    fn user_query(&self, text: &str) -> Result<Box<dyn Query>, SearchError> {
        if text.trim().is_empty() {
            return Ok(Box::new(AllQuery));
        }
        let ast = query::parse(text)?;
        self.parser
            .build_query_from_user_input_ast(ast)
            .map_err(|e| match e {
                QueryParserError::FieldDoesNotExist(f) => SearchError::UnknownField {
                    field: f,
                    valid: valid_field_names(),
                },
                QueryParserError::AllButQueryForbidden => SearchError::Query(
                    "a query cannot only exclude words: add something to search for".to_string(),
                ),
                other => SearchError::Query(other.to_string()),
            })
    }

    fn filters(&self, req: &SearchRequest) -> Result<Vec<Box<dyn Query>>, SearchError> {
        let f = &self.fields;
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        if let Some(site) = req.site.as_deref().filter(|s| !s.trim().is_empty()) {
            out.push(Box::new(TermQuery::new(
                Term::from_field_text(f.site, &self.keyword_term(site)),
                IndexRecordOption::Basic,
            )));
        }
        if let Some(t) = req.record_type {
            out.push(Box::new(TermQuery::new(
                Term::from_field_text(f.record_type, t.as_str()),
                IndexRecordOption::Basic,
            )));
        }
        if req.peru {
            out.push(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_f64(f.peru, PERU_THRESHOLD)),
                Bound::Unbounded,
            )));
        }
        if req.since.is_some() || req.until.is_some() {
            let b = |t: Option<Timestamp>| match t {
                Some(t) => Bound::Included(Term::from_field_i64(f.last_seen, t.0)),
                None => Bound::Unbounded,
            };
            out.push(Box::new(RangeQuery::new(b(req.since), b(req.until))));
        }
        for p in [req.min_price_usd, req.max_price_usd].into_iter().flatten() {
            if !p.is_finite() {
                return Err(SearchError::Request(format!(
                    "price bound {p} is not a number"
                )));
            }
        }
        if req.min_price_usd.is_some() || req.max_price_usd.is_some() {
            let b = |p: Option<f64>| match p {
                Some(p) => Bound::Included(Term::from_field_f64(f.price_usd, p)),
                None => Bound::Unbounded,
            };
            out.push(Box::new(RangeQuery::new(
                b(req.min_price_usd),
                b(req.max_price_usd),
            )));
        }
        Ok(out)
    }

    /// Runs one search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        if req.limit > MAX_LIMIT {
            return Err(SearchError::Request(format!(
                "limit {} is above the maximum of {MAX_LIMIT}",
                req.limit
            )));
        }
        if req.offset.saturating_add(req.limit) > MAX_WINDOW {
            return Err(SearchError::Request(format!(
                "offset {} + limit {} goes deeper than {MAX_WINDOW} hits; narrow the search",
                req.offset, req.limit
            )));
        }
        if let (Some(a), Some(b)) = (req.since, req.until) {
            if a > b {
                return Ok(SearchResults::default());
            }
        }
        let user = self.user_query(&req.query)?;
        let filters = self.filters(req)?;
        let has_filters = !filters.is_empty();
        let query: Box<dyn Query> = if filters.is_empty() {
            user.box_clone()
        } else {
            let mut clauses: Vec<(tantivy::query::Occur, Box<dyn Query>)> =
                vec![(tantivy::query::Occur::Must, user.box_clone())];
            for f in filters {
                // Filters narrow; they must not change the ranking.
                clauses.push((
                    tantivy::query::Occur::Must,
                    Box::new(ConstScoreQuery::new(f, 0.0)),
                ));
            }
            Box::new(BooleanQuery::new(clauses))
        };
        let searcher = self.reader.searcher();

        // One plain word with no filter (the commonest search) is counted cheaply (no
        // positions, no scores), so its page of hits is collected alone and Tantivy may
        // skip the blocks of documents that cannot reach it (block-WAND). Anything else
        // (phrases, several words, filters, facets) would be matched twice: then the
        // count, the facets and the page are collected together in one pass.
        let plain_word = req.query.split_whitespace().count() == 1
            && !req.query.contains(['"', ':', '(', '*', '~', '^']);
        let cheap_count = plain_word && !req.facets && !has_filters;
        let mut multi = MultiCollector::new();
        let mut facet_handles = Vec::new();
        if req.facets {
            for name in schema::FACETS {
                if !req.facet_names.is_empty() && !req.facet_names.iter().any(|n| n == name) {
                    continue;
                }
                let Some(field) = self.fields.facet(name) else {
                    continue;
                };
                let mut c = FacetCollector::for_field(searcher.schema().get_field_name(field));
                c.add_facet(Facet::root());
                facet_handles.push((name, multi.add_collector(c)));
            }
        }
        let mut addresses: Vec<(Option<f32>, DocAddress)> = Vec::new();
        let top = TopDocs::with_limit(req.limit.max(1)).and_offset(req.offset);
        let total;
        let mut fruits = None;
        if cheap_count {
            total = query.count(&searcher)?;
            if req.limit > 0 {
                addresses = match req.sort {
                    Sort::Relevance => searcher
                        .search(&*query, &top)?
                        .into_iter()
                        .map(|(s, a)| (Some(s), a))
                        .collect(),
                    Sort::Recency => searcher
                        .search(
                            &*query,
                            &top.order_by_fast_field::<i64>("last_seen", Order::Desc),
                        )?
                        .into_iter()
                        .map(|(_, a)| (None, a))
                        .collect(),
                };
            }
        } else {
            let count = multi.add_collector(Count);
            let mut f;
            if req.limit == 0 {
                f = searcher.search(&*query, &multi)?;
            } else {
                match req.sort {
                    Sort::Relevance => {
                        let h = multi.add_collector(top);
                        f = searcher.search(&*query, &multi)?;
                        addresses = h
                            .extract(&mut f)
                            .into_iter()
                            .map(|(s, a)| (Some(s), a))
                            .collect();
                    }
                    Sort::Recency => {
                        let h = multi.add_collector(
                            top.order_by_fast_field::<i64>("last_seen", Order::Desc),
                        );
                        f = searcher.search(&*query, &multi)?;
                        addresses = h
                            .extract(&mut f)
                            .into_iter()
                            .map(|(_, a)| (None, a))
                            .collect();
                    }
                }
            }
            total = count.extract(&mut f);
            fruits = Some(f);
        }
        let mut facets = Vec::new();
        for (name, handle) in facet_handles {
            let Some(fruits) = fruits.as_mut() else {
                break;
            };
            let counts = handle.extract(fruits);
            let mut values: Vec<FacetCount> = counts
                .get(Facet::root())
                .map(|(facet, count)| FacetCount {
                    facet: name.to_string(),
                    value: facet
                        .to_path()
                        .last()
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    count,
                })
                .collect();
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            facets.extend(values);
        }

        let snippets = if req.snippets && !addresses.is_empty() {
            Some(SnippetSet::new(&searcher, &*user, &self.fields)?)
        } else {
            None
        };
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, addr) in addresses {
            let (id, record) = self.load(&searcher, addr)?;
            let record_type = record
                .get("type")
                .and_then(Value::as_str)
                .and_then(RecordType::parse)
                .unwrap_or(RecordType::Listing);
            let (title, body) = match &snippets {
                Some(s) => {
                    let (t, b) = s.make(&record);
                    (Some(t), Some(b))
                }
                None => (None, None),
            };
            hits.push(SearchHit {
                id,
                record_type,
                score,
                record,
                title,
                body,
            });
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    /// Vendors whose handle looks like `name`, best first: exact after normalisation
    /// ([`handle_norm`]), then within a small edit distance (1 for 4–7 characters, 2 for
    /// 8 or more, transpositions counting one).
    pub fn find_vendors(&self, name: &str, limit: usize) -> Result<Vec<VendorMatch>, SearchError> {
        vendors::find(self, name, limit)
    }

    /// The profile of the vendor whose handle looks most like `name`: every site where it
    /// appears and every persona linked to it by a shared PGP key, wallet or contact.
    /// `None` when no handle is close enough.
    pub fn vendor_profile(&self, name: &str) -> Result<Option<VendorProfile>, SearchError> {
        vendors::profile(self, name)
    }
}

/// Whether an index on disk was written with the schema this code expects.
fn same_schema(on_disk: &Schema, ours: &Schema) -> bool {
    let names = |s: &Schema| -> Vec<(String, String)> {
        s.fields()
            .map(|(_, e)| (e.name().to_string(), format!("{:?}", e.field_type())))
            .collect()
    };
    names(on_disk) == names(ours)
}

/// The snippet generators of one search: one per analysed copy of title and body, because
/// a word may match only through its Spanish stem or only through its English one.
struct SnippetSet {
    title: [SnippetGenerator; 2],
    body: [SnippetGenerator; 2],
}

impl SnippetSet {
    fn new(searcher: &Searcher, query: &dyn Query, f: &Fields) -> Result<SnippetSet, SearchError> {
        let gen = |field, chars| -> Result<SnippetGenerator, SearchError> {
            let mut g = SnippetGenerator::create(searcher, query, field)?;
            g.set_max_num_chars(chars);
            Ok(g)
        };
        Ok(SnippetSet {
            title: [
                gen(f.title_es, TITLE_SNIPPET_CHARS)?,
                gen(f.title_en, TITLE_SNIPPET_CHARS)?,
            ],
            body: [
                gen(f.body_es, BODY_SNIPPET_CHARS)?,
                gen(f.body_en, BODY_SNIPPET_CHARS)?,
            ],
        })
    }

    fn make(&self, record: &Value) -> (Snippet, Snippet) {
        let (title, body) = doc::texts(record);
        (
            best_snippet(&self.title, &title, TITLE_SNIPPET_CHARS),
            best_snippet(&self.body, &body, BODY_SNIPPET_CHARS),
        )
    }
}

/// Both languages' snippet of `text`: their highlights merged when they chose the same
/// passage, otherwise the passage with more highlights; the text's beginning when
/// nothing matched (so a hit always shows something).
fn best_snippet(gens: &[SnippetGenerator; 2], text: &str, max_chars: usize) -> Snippet {
    let [a, b] = [gens[0].snippet(text), gens[1].snippet(text)];
    let to_ranges =
        |s: &tantivy::snippet::Snippet| -> Vec<std::ops::Range<usize>> { s.highlighted().to_vec() };
    let (fragment, ranges) = if a.fragment() == b.fragment() {
        let mut r = to_ranges(&a);
        r.extend(to_ranges(&b));
        (a.fragment().to_string(), r)
    } else if b.highlighted().len() > a.highlighted().len() {
        (b.fragment().to_string(), to_ranges(&b))
    } else {
        (a.fragment().to_string(), to_ranges(&a))
    };
    if fragment.is_empty() || ranges.is_empty() {
        let mut end = text.len().min(max_chars);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        return Snippet {
            fragment: text[..end].to_string(),
            highlights: Vec::new(),
        };
    }
    Snippet {
        highlights: merge_ranges(ranges, &fragment),
        fragment,
    }
}

fn merge_ranges(mut r: Vec<std::ops::Range<usize>>, text: &str) -> Vec<Highlight> {
    r.retain(|x| x.start < x.end && x.end <= text.len());
    r.sort_by_key(|x| (x.start, x.end));
    let mut out: Vec<Highlight> = Vec::new();
    for x in r {
        if !(text.is_char_boundary(x.start) && text.is_char_boundary(x.end)) {
            continue;
        }
        match out.last_mut() {
            Some(last) if x.start <= last.end => last.end = last.end.max(x.end),
            _ => out.push(Highlight {
                start: x.start,
                end: x.end,
            }),
        }
    }
    out
}
