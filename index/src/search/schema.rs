//! The index schema and its analyzers.
//!
//! Investigators write in Spanish and English, with or without accents, so every piece of
//! free text is indexed twice: once stemmed for Spanish (`envíos` = `envío`), once for
//! English (`shipping` = `ships`), both lower-cased and accent-folded (`cocaína` =
//! `cocaina`). Identifiers (wallets, handles, fingerprints, onion names, sites, countries)
//! are indexed whole in keyword fields, folded but never split or stemmed, because a
//! wallet that matches "almost" is a different wallet.

use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
    STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    TextAnalyzer, TokenizerManager,
};

use super::stem::MemoStemmer;

/// Analyzer of the Spanish-stemmed copy of the text.
pub const ANALYZER_ES: &str = "centinela_es";
/// Analyzer of the English-stemmed copy of the text.
pub const ANALYZER_EN: &str = "centinela_en";
/// Analyzer of keyword fields: the whole value as one token, lower-cased and folded.
pub const ANALYZER_KW: &str = "centinela_kw";

/// Longest token kept by the text analyzers. Monero addresses are 95–106 characters and
/// must stay searchable as words of a description; longer runs are base64 noise.
const MAX_TOKEN_LEN: usize = 128;

/// Every field, by role. Field names are part of the on-disk index: renaming one makes
/// old indexes fail to open (the caller then rebuilds from the store).
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// The stable document id (`listing\0site\0url`...): the delete term of an upsert.
    pub id: Field,
    pub record_type: Field,
    pub site: Field,
    pub url: Field,
    pub vendor: Field,
    pub handle_norm: Field,
    pub ships_from: Field,
    pub ships_to: Field,
    pub category: Field,
    pub coin: Field,
    pub address: Field,
    pub contact: Field,
    pub pgp: Field,
    pub onion: Field,
    pub title_es: Field,
    pub title_en: Field,
    pub body_es: Field,
    pub body_en: Field,
    pub price: Field,
    pub price_usd: Field,
    pub first_seen: Field,
    pub last_seen: Field,
    pub peru: Field,
    pub facet_site: Field,
    pub facet_type: Field,
    pub facet_coin: Field,
    pub facet_category: Field,
    pub facet_ships_to: Field,
    /// The `search --json` record, as JSON text.
    pub record: Field,
}

/// The facet fields, with the name a caller asks for them by.
pub const FACETS: [&str; 5] = ["site", "type", "coin", "category", "ships_to"];

impl Fields {
    pub fn facet(&self, name: &str) -> Option<Field> {
        match name {
            "site" => Some(self.facet_site),
            "type" => Some(self.facet_type),
            "coin" => Some(self.facet_coin),
            "category" => Some(self.facet_category),
            "ships_to" => Some(self.facet_ships_to),
            _ => None,
        }
    }
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |analyzer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    // Keyword fields need no positions: each value is one token.
    let keyword = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER_KW)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fast_f64 = NumericOptions::default().set_fast();
    let fast_i64 = NumericOptions::default().set_fast();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        record_type: b.add_text_field("type", keyword.clone()),
        site: b.add_text_field("site", keyword.clone()),
        url: b.add_text_field("url", keyword.clone()),
        vendor: b.add_text_field("vendor", keyword.clone()),
        handle_norm: b.add_text_field("handle_norm", STRING),
        ships_from: b.add_text_field("ships_from", keyword.clone()),
        ships_to: b.add_text_field("ships_to", keyword.clone()),
        category: b.add_text_field("category", keyword.clone()),
        coin: b.add_text_field("coin", keyword.clone()),
        address: b.add_text_field("address", keyword.clone()),
        contact: b.add_text_field("contact", keyword.clone()),
        pgp: b.add_text_field("pgp", keyword.clone()),
        onion: b.add_text_field("onion", keyword),
        title_es: b.add_text_field("title_es", text(ANALYZER_ES)),
        title_en: b.add_text_field("title_en", text(ANALYZER_EN)),
        body_es: b.add_text_field("body_es", text(ANALYZER_ES)),
        body_en: b.add_text_field("body_en", text(ANALYZER_EN)),
        price: b.add_f64_field("price", fast_f64.clone()),
        price_usd: b.add_f64_field("price_usd", fast_f64.clone()),
        first_seen: b.add_i64_field("first_seen", fast_i64.clone()),
        last_seen: b.add_i64_field("last_seen", fast_i64),
        peru: b.add_f64_field("peru", fast_f64),
        facet_site: b.add_facet_field("facet_site", FacetOptions::default()),
        facet_type: b.add_facet_field("facet_type", FacetOptions::default()),
        facet_coin: b.add_facet_field("facet_coin", FacetOptions::default()),
        facet_category: b.add_facet_field("facet_category", FacetOptions::default()),
        facet_ships_to: b.add_facet_field("facet_ships_to", FacetOptions::default()),
        record: b.add_text_field("record", STORED),
    };
    (b.build(), fields)
}

/// Registers the analyzers the schema names. Tantivy does not persist analyzers, so this
/// runs on every open; changing one changes what old indexes mean (rebuild then).
pub fn register_analyzers(manager: &TokenizerManager) {
    let text = |language: Language| {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
            .filter(LowerCaser)
            // Fold before stemming, so `envíos` and `envios` reach the stemmer as the
            // same word and always get the same stem.
            .filter(AsciiFoldingFilter)
            .filter(MemoStemmer::new(language))
            .build()
    };
    manager.register(ANALYZER_ES, text(Language::Spanish));
    manager.register(ANALYZER_EN, text(Language::English));
    manager.register(
        ANALYZER_KW,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
}
