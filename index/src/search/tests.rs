#![allow(clippy::unwrap_used, clippy::expect_used)]

use centinela_parsers::records::{Listing, PageType, ParsedPage, PeruScore, Post, Price, Vendor};

use super::*;
use crate::store::fixtures::{capture, page};
use crate::store::{open_db, IdentifierKind, Observation, RecordRef};

const ADDR: &str = "185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk";
const FPR: &str = "0123456789ABCDEF0123456789ABCDEF01234567";
const ANDINO: &str = "mercado-andino";
const SILK: &str = "silk-lane";
const FORO: &str = "foro-dread";
const L1: &str = "http://andino.onion/producto/1.html";
const L2: &str = "http://andino.onion/producto/2.html";
const L3: &str = "http://silk.onion/item/77";
const V1: &str = "http://andino.onion/vendedor/condorblanco";
const T1: &str = "http://foro.onion/thread/9";

fn peru(score: f64) -> PeruScore {
    PeruScore {
        score,
        targets_peru: score >= 0.5,
        signals: vec![],
    }
}

fn price(amount: f64, currency: &str) -> Option<Price> {
    Some(Price {
        amount: Some(amount),
        currency: Some(currency.into()),
        shown: format!("{amount} {currency}"),
    })
}

fn cocaina_lima(amount: f64) -> Listing {
    Listing {
        url: L1.into(),
        title: "Cocaína — envío a Lima".into(),
        price: price(amount, "PEN"),
        vendor: Some("CondorBlanco".into()),
        ships_from: Some("Perú".into()),
        ships_to: vec!["Perú".into()],
        category: Some("Cocaína".into()),
        description: Some(format!(
            "Cocaína pura de alta calidad. Envíos discretos por Olva a todo el Perú. Pago en BTC: {ADDR}"
        )),
        addresses: vec![ADDR.into()],
        contacts: vec!["telegram:@pepe_lima".into()],
        peru: peru(0.9),
    }
}

/// The pages of the fixture, in the order a crawl would meet them: (site, page, time).
fn pages() -> Vec<(&'static str, ParsedPage, i64)> {
    let mut out = Vec::new();

    let mut p = page(L1, PageType::Listing);
    p.listings.push(cocaina_lima(1250.0));
    out.push((ANDINO, p, 1_000));

    let mut p = page(L2, PageType::Listing);
    p.listings.push(Listing {
        url: L2.into(),
        title: "Marihuana cripy 10g".into(),
        price: price(40.0, "USD"),
        vendor: Some("CondorBlanco".into()),
        ships_from: Some("Chile".into()),
        ships_to: vec!["Chile".into(), "Argentina".into()],
        category: Some("Cannabis".into()),
        description: Some("Fast shipping worldwide, stealth packaging.".into()),
        peru: peru(0.1),
        ..Default::default()
    });
    out.push((ANDINO, p, 2_000));

    let mut p = page(V1, PageType::Vendor);
    p.vendors.push(Vendor {
        url: V1.into(),
        handle: "CondorBlanco".into(),
        pgp_fingerprints: vec![FPR.into()],
        contacts: vec!["telegram:@pepe_lima".into(), "phone:+51987654321".into()],
        addresses: vec![ADDR.into()],
        listings_count: 2,
        peru: peru(0.8),
    });
    out.push((ANDINO, p, 2_500));

    let mut p = page(L3, PageType::Listing);
    p.listings.push(Listing {
        url: L3.into(),
        title: "Pure Colombian cocaine, ships from Colombia".into(),
        price: price(900.0, "EUR"),
        vendor: Some("Kondor_Lima".into()),
        ships_from: Some("Colombia".into()),
        ships_to: vec!["Peru".into(), "Chile".into()],
        category: Some("Cocaine".into()),
        description: Some("Stealth shipping to Peru and Chile. Escrow only.".into()),
        peru: peru(0.6),
        ..Default::default()
    });
    out.push((SILK, p, 3_000));

    let mut p = page(T1, PageType::ForumThread);
    p.posts.push(Post {
        url: T1.into(),
        thread_title: Some("¿Alguien probó a CondorBlanco?".into()),
        author: Some("pepe".into()),
        posted_at: Some("2026-11-01T10:00:00Z".into()),
        body: format!("Le pagué a {ADDR} y llegó en 3 días a Miraflores."),
        addresses: vec![ADDR.into()],
        contacts: vec![],
        peru: peru(0.7),
    });
    out.push((FORO, p, 4_000));
    out
}

fn store_with(pages: &[(&str, ParsedPage, i64)]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("db")).unwrap();
    let store = Store::open(&db).unwrap();
    for (i, (site, p, at)) in pages.iter().enumerate() {
        store
            .apply_page(&Observation {
                site,
                at: Timestamp(*at),
                capture: &capture(&format!("sha{i}"), *at),
                page: p,
            })
            .unwrap();
    }
    (dir, store)
}

fn small_options() -> IndexOptions {
    IndexOptions {
        writer_threads: 1,
        writer_memory_bytes: 20_000_000,
        search_threads: 1,
        rates: Rates::builtin(),
    }
}

fn rebuilt(store: &Store) -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open_with(&dir.path().join("index"), small_options()).unwrap();
    index.rebuild_from(store).unwrap();
    (dir, index)
}

fn fixture() -> (tempfile::TempDir, Store, tempfile::TempDir, SearchIndex) {
    let (d1, store) = store_with(&pages());
    let (d2, index) = rebuilt(&store);
    (d1, store, d2, index)
}

fn search(index: &SearchIndex, q: &str) -> SearchResults {
    index.search(&SearchRequest::new(q)).unwrap()
}

/// The document id of the (only) post at `url`.
fn post_id_of(site: &str, url: &str) -> String {
    let (_d, store) = store_with(&pages());
    let p = store.posts(Some(site)).unwrap();
    let p = p.iter().find(|p| p.post.url == url).unwrap();
    post_id(site, url, &crate::store::post_id(&p.post))
}

fn ids(r: &SearchResults) -> Vec<String> {
    let mut v: Vec<String> = r.hits.iter().map(|h| h.id.clone()).collect();
    v.sort();
    v
}

fn titles(r: &SearchResults) -> Vec<String> {
    r.hits
        .iter()
        .map(|h| {
            let rec = &h.record;
            rec["title"]
                .as_str()
                .or(rec["handle"].as_str())
                .or(rec["thread_title"].as_str())
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[test]
fn accents_and_spanish_words_find_the_listing() {
    let (_d, _s, _i, index) = fixture();
    let r = search(&index, "cocaina envio lima");
    assert_eq!(titles(&r)[0], "Cocaína — envío a Lima");
    assert_eq!(r.hits[0].record_type, RecordType::Listing);
    assert_eq!(r.hits[0].id, listing_id(ANDINO, L1));
    // The contract's record shape.
    let rec = &r.hits[0].record;
    for key in [
        "type",
        "site",
        "url",
        "title",
        "price",
        "vendor",
        "ships_from",
        "ships_to",
        "category",
        "description",
        "addresses",
        "contacts",
        "peru",
        "first_seen",
        "last_seen",
        "capture_sha256",
    ] {
        assert!(rec.get(key).is_some(), "listing record lacks {key}: {rec}");
    }
    assert_eq!(rec["type"], "listing");
    assert_eq!(rec["price"]["amount"], 1250.0);
    assert_eq!(rec["price"]["currency"], "PEN");
    assert_eq!(rec["peru"]["targets_peru"], true);
    assert_eq!(rec["first_seen"], "1970-01-01T00:16:40Z");
    // With accents, and upper case, the same.
    assert_eq!(ids(&search(&index, "COCAÍNA ENVÍO LIMA")), ids(&r));
}

#[test]
fn stemming_in_both_languages() {
    let (_d, _s, _i, index) = fixture();
    // English: `shipping` and `ships` share a stem.
    let r = search(&index, "ships");
    assert!(ids(&r).contains(&listing_id(ANDINO, L2)), "{:?}", ids(&r));
    let r = search(&index, "shipping colombia");
    assert!(ids(&r).contains(&listing_id(SILK, L3)), "{:?}", ids(&r));
    // Spanish: `envíos` finds the title's `envío`, and `envio` the description's `Envíos`.
    let r = search(&index, "envíos lima");
    assert_eq!(ids(&r), [listing_id(ANDINO, L1)]);
    let r = search(&index, "title:envios");
    assert_eq!(ids(&r), [listing_id(ANDINO, L1)]);
    // Titles weigh more: `cocaine` is in L3's title and only stems into L1's.
    let r = search(&index, "cocaine");
    assert_eq!(r.hits[0].id, listing_id(SILK, L3));
}

#[test]
fn vendor_field_in_spanish_and_english() {
    let (_d, _s, _i, index) = fixture();
    let r = search(&index, "vendedor:condorblanco");
    let got = ids(&r);
    assert!(got.contains(&listing_id(ANDINO, L1)));
    assert!(got.contains(&listing_id(ANDINO, L2)));
    assert!(got.contains(&vendor_id(ANDINO, "CondorBlanco")));
    assert!(!got.contains(&listing_id(SILK, L3)));
    assert_eq!(ids(&search(&index, "vendor:CONDORBLANCO")), got);
    // Other aliases, combined with text.
    let r = search(&index, "envia_a:peru colombia");
    assert_eq!(ids(&r), [listing_id(SILK, L3)]);
    let r = search(&index, "ships_to:Perú");
    assert_eq!(ids(&r), [listing_id(ANDINO, L1), listing_id(SILK, L3)]);
    let r = search(&index, "sitio:silk-lane");
    assert_eq!(
        ids(&r),
        [listing_id(SILK, L3), vendor_id(SILK, "Kondor_Lima")]
    );
    let r = search(&index, "tipo:vendedor");
    assert_eq!(
        ids(&r),
        [
            vendor_id(ANDINO, "CondorBlanco"),
            vendor_id(SILK, "Kondor_Lima")
        ]
    );
    let r = search(&index, "categoria:cocaina");
    assert_eq!(ids(&r), [listing_id(ANDINO, L1)]);
    let r = search(&index, "moneda:btc");
    assert_eq!(
        r.total,
        3,
        "the address is BTC by its format: {:?}",
        ids(&r)
    );
    let r = search(&index, "envia_desde:colombia");
    assert_eq!(ids(&r), [listing_id(SILK, L3)]);
}

#[test]
fn an_address_finds_every_record_carrying_it() {
    let (_d, store, _i, index) = fixture();
    let post_ref = store
        .records_with(IdentifierKind::Address, ADDR)
        .unwrap()
        .into_iter()
        .find_map(|r| match r {
            RecordRef::Post { site, url, id } => Some(post_id(&site, &url, &id)),
            _ => None,
        })
        .expect("the store links the post to the address");
    let expected = {
        let mut v = vec![
            listing_id(ANDINO, L1),
            vendor_id(ANDINO, "CondorBlanco"),
            post_ref,
        ];
        v.sort();
        v
    };
    assert_eq!(ids(&search(&index, ADDR)), expected);
    assert_eq!(ids(&search(&index, &format!("direccion:{ADDR}"))), expected);
    assert_eq!(
        ids(&search(&index, &format!("address:\"{ADDR}\""))),
        expected
    );
    // The vendor's record carries it only in its addresses list, not in any text field
    // a word query would reach; the exact field does.
    let r = search(&index, &format!("{ADDR} tipo:vendor"));
    assert_eq!(ids(&r), [vendor_id(ANDINO, "CondorBlanco")]);
}

#[test]
fn contacts_and_fingerprints_are_exact_identifiers() {
    let (_d, _s, _i, index) = fixture();
    let both = {
        let mut v = vec![listing_id(ANDINO, L1), vendor_id(ANDINO, "CondorBlanco")];
        v.sort();
        v
    };
    assert_eq!(ids(&search(&index, "@pepe_lima")), both);
    assert_eq!(ids(&search(&index, "contacto:@pepe_lima")), both);
    assert_eq!(ids(&search(&index, "telegram:@pepe_lima")), both);
    assert_eq!(
        ids(&search(&index, "contact:\"telegram:@pepe_lima\"")),
        both
    );
    for phone in ["+51987654321", "987654321", "phone:+51987654321"] {
        assert_eq!(
            ids(&search(&index, phone)),
            [vendor_id(ANDINO, "CondorBlanco")],
            "{phone}"
        );
    }
    assert_eq!(
        ids(&search(&index, &FPR.to_lowercase())),
        [vendor_id(ANDINO, "CondorBlanco")]
    );
    assert_eq!(
        ids(&search(&index, &format!("pgp:{FPR}"))),
        [vendor_id(ANDINO, "CondorBlanco")]
    );
    assert_eq!(
        ids(&search(&index, "onion:andino")),
        [
            listing_id(ANDINO, L1),
            listing_id(ANDINO, L2),
            vendor_id(ANDINO, "CondorBlanco")
        ]
    );
}

#[test]
fn urls_find_their_record() {
    let (_d, _s, _i, index) = fixture();
    assert_eq!(ids(&search(&index, L1)), [listing_id(ANDINO, L1)]);
    assert_eq!(
        ids(&search(&index, &format!("url:\"{L1}\""))),
        [listing_id(ANDINO, L1)]
    );
}

#[test]
fn upsert_replaces_and_the_new_price_is_what_search_returns() {
    let (_d, store, _i, mut index) = fixture();
    let before = index.num_docs();
    let mut l = store.listing(ANDINO, L1).unwrap().unwrap();
    index.upsert(&Doc::listing(&l)).unwrap();
    index.upsert(&Doc::listing(&l)).unwrap();
    index.commit().unwrap();
    assert_eq!(
        index.num_docs(),
        before,
        "upserting twice keeps one document"
    );
    l.listing.price = price(1400.0, "PEN");
    index.upsert(&Doc::listing(&l)).unwrap();
    index.commit().unwrap();
    let r = search(&index, "cocaina envio lima");
    assert_eq!(r.total, 1);
    assert_eq!(r.hits[0].record["price"]["amount"], 1400.0);
    assert_eq!(index.num_docs(), before);
    // The price filter sees the new USD price (1400 PEN ≈ 378 USD), not the old (≈ 337).
    let req = SearchRequest {
        min_price_usd: Some(350.0),
        max_price_usd: Some(500.0),
        ..SearchRequest::new("cocaina")
    };
    assert_eq!(ids(&index.search(&req).unwrap()), [listing_id(ANDINO, L1)]);
}

#[test]
fn filters_narrow_without_reordering() {
    let (_d, _s, _i, index) = fixture();
    let run = |req: SearchRequest| ids(&index.search(&req).unwrap());
    let all = SearchRequest::default;
    assert_eq!(search(&index, "").total, 6, "3 listings, 2 vendors, 1 post");
    assert_eq!(
        run(SearchRequest {
            site: Some("Silk-Lane".into()),
            ..all()
        }),
        [listing_id(SILK, L3), vendor_id(SILK, "Kondor_Lima")]
    );
    assert_eq!(
        run(SearchRequest {
            record_type: Some(RecordType::Post),
            ..all()
        })
        .len(),
        1
    );
    // Peru: L1 (0.9), L3 (0.6), the vendor (0.8), the post (0.7); not L2 (0.1).
    let peru = run(SearchRequest {
        peru: true,
        ..all()
    });
    assert_eq!(peru.len(), 4, "{peru:?}");
    assert!(!peru.contains(&listing_id(ANDINO, L2)));
    // last_seen: L1 1000, L2 2000 (and CondorBlanco 2500), L3 3000 (Kondor_Lima 3000).
    assert_eq!(
        run(SearchRequest {
            since: Some(Timestamp(2_000)),
            until: Some(Timestamp(2_999)),
            ..all()
        }),
        [listing_id(ANDINO, L2), vendor_id(ANDINO, "CondorBlanco")]
    );
    // USD prices: L1 1250 PEN ≈ 337.5, L2 40 USD, L3 900 EUR ≈ 972.
    assert_eq!(
        run(SearchRequest {
            min_price_usd: Some(100.0),
            max_price_usd: Some(500.0),
            ..all()
        }),
        [listing_id(ANDINO, L1)]
    );
    assert_eq!(
        run(SearchRequest {
            max_price_usd: Some(1000.0),
            record_type: Some(RecordType::Listing),
            ..all()
        })
        .len(),
        3
    );
    // Combined: site + Peru + price range, with text.
    assert_eq!(
        run(SearchRequest {
            site: Some(ANDINO.into()),
            peru: true,
            min_price_usd: Some(10.0),
            max_price_usd: Some(400.0),
            ..SearchRequest::new("cocaina")
        }),
        [listing_id(ANDINO, L1)]
    );
    // The query language's own price range is in USD too.
    assert_eq!(
        ids(&search(&index, "precio:[100 TO 500]")),
        [listing_id(ANDINO, L1)]
    );
    // A filter does not change the order of what it keeps.
    let plain = index.search(&SearchRequest::new("cocaine")).unwrap();
    let filtered = index
        .search(&SearchRequest {
            record_type: Some(RecordType::Listing),
            ..SearchRequest::new("cocaine")
        })
        .unwrap();
    let order = |r: &SearchResults| r.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
    assert_eq!(order(&plain), order(&filtered));
    assert_eq!(plain.hits[0].score, filtered.hits[0].score);
}

#[test]
fn sorting_by_recency_and_paging() {
    let (_d, _s, _i, index) = fixture();
    let req = SearchRequest {
        sort: Sort::Recency,
        record_type: Some(RecordType::Listing),
        ..SearchRequest::default()
    };
    let r = index.search(&req).unwrap();
    let order: Vec<&str> = r
        .hits
        .iter()
        .map(|h| h.record["url"].as_str().unwrap())
        .collect();
    assert_eq!(order, [L3, L2, L1]);
    assert!(r.hits.iter().all(|h| h.score.is_none()));
    let page2 = index
        .search(&SearchRequest {
            limit: 1,
            offset: 1,
            ..req.clone()
        })
        .unwrap();
    assert_eq!(page2.total, 3);
    assert_eq!(page2.hits.len(), 1);
    assert_eq!(page2.hits[0].record["url"], L2);
    let none = index.search(&SearchRequest { limit: 0, ..req }).unwrap();
    assert_eq!((none.total, none.hits.len()), (3, 0));
}

#[test]
fn snippets_mark_the_matched_words() {
    let (_d, _s, _i, index) = fixture();
    let r = search(&index, "cocaina envio lima");
    let hit = &r.hits[0];
    let title = hit.title.as_ref().unwrap();
    assert_eq!(title.fragment, "Cocaína — envío a Lima");
    assert_eq!(title.highlighted(), ["Cocaína", "envío", "Lima"]);
    let body = hit.body.as_ref().unwrap();
    assert!(body.highlighted().contains(&"Envíos"), "{body:?}");
    assert!(body.highlighted().contains(&"Cocaína"), "{body:?}");
    for h in &body.highlights {
        assert!(body.fragment.is_char_boundary(h.start) && body.fragment.is_char_boundary(h.end));
    }
    // English stems mark too.
    let r = search(&index, "shipping stealth");
    let marked = r.hits[0].body.as_ref().unwrap().highlighted();
    let marked: Vec<String> = marked.iter().map(|m| m.to_lowercase()).collect();
    assert!(marked.contains(&"shipping".to_string()), "{marked:?}");
    assert!(marked.contains(&"stealth".to_string()), "{marked:?}");
    // A hit found only through a field shows its title unmarked.
    let r = search(&index, "vendedor:kondor_lima tipo:vendor");
    let t = r.hits[0].title.as_ref().unwrap();
    assert_eq!(
        (t.fragment.as_str(), t.highlights.len()),
        ("Kondor_Lima", 0)
    );
    // No snippets when not asked for.
    let r = index
        .search(&SearchRequest {
            snippets: false,
            ..SearchRequest::new("lima")
        })
        .unwrap();
    assert!(r.hits.iter().all(|h| h.title.is_none() && h.body.is_none()));
}

#[test]
fn segments_split_a_snippet_for_display() {
    let s = Snippet {
        fragment: "Cocaína — envío a Lima".into(),
        highlights: vec![
            Highlight { start: 0, end: 8 },
            Highlight { start: 22, end: 26 },
        ],
    };
    assert_eq!(
        s.segments(),
        [("Cocaína", true), (" — envío a ", false), ("Lima", true)]
    );
}

#[test]
fn syntax_errors_report_a_column() {
    let (_d, _s, _i, index) = fixture();
    match index.search(&SearchRequest::new("cocaina AND (lima")) {
        Err(SearchError::Syntax { column, message }) => {
            assert!((13..=18).contains(&column), "column {column}: {message}");
        }
        other => panic!("{other:?}"),
    }
    match index.search(&SearchRequest::new("color:rojo")) {
        Err(e @ SearchError::UnknownField { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("`color`") && m.contains("vendor (vendedor"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        index.search(&SearchRequest::new("precio:[barato TO caro]")),
        Err(SearchError::Query(_))
    ));
    // Exclusions work alone and inside a conjunction (Tantivy's own parser would match
    // nothing for `cocaina AND NOT colombia`).
    // Lima is in L1, L3 and Kondor_Lima (the handle), and CondorBlanco (@pepe_lima).
    assert_eq!(
        ids(&search(&index, "-lima")),
        [listing_id(ANDINO, L2), post_id_of(FORO, T1)]
    );
    assert_eq!(
        ids(&search(&index, "cocaina AND NOT colombia")),
        [listing_id(ANDINO, L1)]
    );
    assert_eq!(
        ids(&search(&index, "cocaina -colombia")),
        [listing_id(ANDINO, L1)]
    );
}

#[test]
fn facets_count_hits() {
    let (_d, _s, _i, index) = fixture();
    let r = index
        .search(&SearchRequest {
            facets: true,
            ..SearchRequest::default()
        })
        .unwrap();
    let get = |facet: &str, value: &str| {
        r.facets
            .iter()
            .find(|f| f.facet == facet && f.value == value)
            .map(|f| f.count)
    };
    assert_eq!(get("type", "listing"), Some(3));
    assert_eq!(get("type", "vendor"), Some(2));
    assert_eq!(get("site", ANDINO), Some(3));
    assert_eq!(get("coin", "BTC"), Some(3));
    assert_eq!(
        get("ships_to", "peru"),
        Some(2),
        "Perú and Peru are one value"
    );
    assert_eq!(get("category", "cannabis"), Some(1));
}

#[test]
fn fuzzy_vendor_lookup() {
    let (_d, _s, _i, index) = fixture();
    let first = |name: &str| index.find_vendors(name, 5).unwrap();
    let m = first("C0nd0r_Blanco");
    assert_eq!((m[0].handle.as_str(), m[0].distance), ("CondorBlanco", 0));
    assert_eq!(m[0].site, ANDINO);
    let m = first("condorblnco");
    assert_eq!((m[0].handle.as_str(), m[0].distance), ("CondorBlanco", 1));
    let m = first("Kondor Lima");
    assert_eq!((m[0].handle.as_str(), m[0].distance), ("Kondor_Lima", 0));
    assert_eq!(m[0].site, SILK);
    // A transposition is one edit.
    assert_eq!(first("cnodorblanco")[0].distance, 1);
    // Too far, or too short to guess at.
    assert!(first("condor").is_empty());
    assert!(first("xyz").is_empty());
}

#[test]
fn rebuild_gives_the_same_results_as_incremental_indexing() {
    let mut all = pages();
    // The same listing page again, later, with a new price; and the thread again.
    let mut again = page(L1, PageType::Listing);
    again.listings.push(cocaina_lima(1400.0));
    all.push((ANDINO, again, 5_000));
    let thread = all[4].1.clone();
    all.push((FORO, thread, 6_000));

    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("db")).unwrap();
    let store = Store::open(&db).unwrap();
    let idir = tempfile::tempdir().unwrap();
    let mut incremental = SearchIndex::open_with(idir.path(), small_options()).unwrap();
    for (i, (site, p, at)) in all.iter().enumerate() {
        let cap = capture(&format!("sha{i}"), *at);
        let obs = Observation {
            site,
            at: Timestamp(*at),
            capture: &cap,
            page: p,
        };
        store.apply_page(&obs).unwrap();
        for (_, record) in store.records_for(store.take_changed()).unwrap() {
            incremental.upsert_record(&record).unwrap();
        }
        if i == 2 {
            incremental.commit().unwrap();
        }
    }
    incremental.commit().unwrap();
    let (_d2, full) = rebuilt(&store);
    assert_eq!(incremental.num_docs(), full.num_docs());

    for q in [
        "",
        "cocaina envio lima",
        "vendedor:condorblanco",
        ADDR,
        "@pepe_lima",
        "shipping",
        "miraflores",
        "tipo:post",
    ] {
        for sort in [Sort::Relevance, Sort::Recency] {
            let req = SearchRequest {
                sort,
                facets: true,
                ..SearchRequest::new(q)
            };
            let a = incremental.search(&req).unwrap();
            let b = full.search(&req).unwrap();
            let key = |r: &SearchResults| {
                let mut v: Vec<(String, String)> = r
                    .hits
                    .iter()
                    .map(|h| (h.id.clone(), h.record.to_string()))
                    .collect();
                if sort == Sort::Relevance {
                    // Scores may differ while deleted documents await a merge.
                    v.sort();
                }
                v
            };
            assert_eq!(key(&a), key(&b), "query {q:?} {sort:?}");
            assert_eq!(a.total, b.total);
            assert_eq!(a.facets, b.facets, "query {q:?}");
        }
    }
    let post = search(&full, "miraflores");
    assert_eq!(post.hits[0].record["first_seen"], "1970-01-01T01:06:40Z");
    assert_eq!(post.hits[0].record["last_seen"], "1970-01-01T01:40:00Z");
    assert_eq!(post.hits[0].record["capture_sha256"], "sha4");
}

#[test]
fn post_ids_agree_with_the_store() {
    let (_d, store, _i, _index) = fixture();
    let stored = store.posts(None).unwrap();
    let refs = store.records_with(IdentifierKind::Address, ADDR).unwrap();
    let store_id = refs
        .iter()
        .find_map(|r| match r {
            RecordRef::Post { id, .. } => Some(id.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(crate::store::post_id(&stored[0].post), store_id);
}

#[test]
fn a_damaged_index_is_reported_so_it_can_be_rebuilt() {
    let (_d, store, idir, index) = fixture();
    let path = index.path().to_path_buf();
    drop(index);
    std::fs::write(path.join("meta.json"), b"{ not json").unwrap();
    match SearchIndex::open(&path) {
        Err(e @ SearchError::Corrupt { .. }) => {
            assert!(e.to_string().contains("rebuild"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let mut fresh = SearchIndex::recreate(&path, small_options()).unwrap();
    assert_eq!(fresh.num_docs(), 0);
    fresh.rebuild_from(&store).unwrap();
    assert_eq!(fresh.num_docs(), 6);
    drop(idir);
}

#[test]
fn reopening_keeps_the_documents() {
    let (_d, _s, _i, index) = fixture();
    let path = index.path().to_path_buf();
    let n = index.num_docs();
    drop(index);
    let again = SearchIndex::open(&path).unwrap();
    assert_eq!(again.num_docs(), n);
    assert_eq!(search(&again, "cocaina envio lima").total, 1);
    assert_eq!(
        again.get(&listing_id(ANDINO, L1)).unwrap().unwrap()["url"],
        L1
    );
}

#[test]
fn the_index_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<SearchIndex>();
}

/// A vendor on another market signing with CondorBlanco's PGP key.
fn nevado_with_condors_key() -> (&'static str, ParsedPage, i64) {
    let url = "http://silk.onion/vendor/nevado";
    let mut p = page(url, PageType::Vendor);
    p.vendors.push(Vendor {
        url: url.into(),
        handle: "NevadoBlanco".into(),
        pgp_fingerprints: vec![FPR.into()],
        contacts: vec!["session:05abc".into()],
        addresses: vec![],
        listings_count: 0,
        peru: peru(0.2),
    });
    (SILK, p, 7_000)
}

#[test]
fn vendor_profile_links_personas_sharing_a_key_wallet_or_contact() {
    let mut all = pages();
    all.push(nevado_with_condors_key());
    let (_d, store) = store_with(&all);
    let (_d2, index) = rebuilt(&store);

    let p = index.vendor_profile("c0nd0r-blanco").unwrap().unwrap();
    assert_eq!(p.appearances.len(), 1);
    assert_eq!(p.appearances[0]["handle"], "CondorBlanco");
    assert_eq!(p.appearances[0]["site"], ANDINO);
    let linked: Vec<(&str, &str, Vec<&str>)> = p
        .linked
        .iter()
        .map(|l| {
            (
                l.site.as_str(),
                l.handle.as_str(),
                l.via.iter().map(|v| v.kind.as_str()).collect(),
            )
        })
        .collect();
    // The shared key comes first; the forum author who paid the same wallet after.
    assert_eq!(
        linked,
        vec![
            (SILK, "NevadoBlanco", vec!["pgp"]),
            (FORO, "pepe", vec!["address"]),
        ]
    );
    let nevado = &p.linked[0];
    assert_eq!(nevado.via[0].value, FPR);
    assert_eq!(nevado.listings_count, Some(0));
    assert_eq!(nevado.first_seen.as_deref(), Some("1970-01-01T01:56:40Z"));
    // A forum author has no vendor record: times come from the linking post.
    assert_eq!(p.linked[1].listings_count, None);
    assert_eq!(p.linked[1].records, 1);

    // The other way round: NevadoBlanco leads back to CondorBlanco.
    let back = index.vendor_profile("nevadoblanco").unwrap().unwrap();
    assert_eq!(back.linked[0].handle, "CondorBlanco");
    assert_eq!(back.linked[0].listings_count, Some(2));

    assert!(index.vendor_profile("zz").unwrap().is_none());
    assert!(index
        .vendor_profile("totally-unknown-vendor")
        .unwrap()
        .is_none());
}

fn all_results(index: &SearchIndex) -> Vec<(String, String)> {
    let r = index
        .search(&SearchRequest {
            limit: 1_000,
            snippets: false,
            ..SearchRequest::new("")
        })
        .unwrap();
    let mut v: Vec<(String, String)> = r
        .hits
        .iter()
        .map(|h| (h.id.clone(), h.record.to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn the_indexer_rebuilds_a_missing_index_and_catches_up_after_a_crash() {
    let all = pages();
    let (first, rest) = all.split_at(3);
    let (_d, store) = store_with(first);
    let idir = tempfile::tempdir().unwrap();
    let path = idir.path().join("index");

    // No index yet beside a store with records: rebuilt.
    let (mut indexer, opened) = Indexer::open(
        store.clone(),
        &path,
        small_options(),
        CommitPolicy::default(),
    )
    .unwrap();
    assert!(
        matches!(opened, Opened::Rebuilt { records: 3, .. }),
        "{opened:?}"
    );
    assert!(store.unindexed_keys().unwrap().is_empty());

    // More pages are kept and indexed, but the process dies before the index commits.
    for (i, (site, p, at)) in rest.iter().enumerate() {
        store
            .apply_page(&Observation {
                site,
                at: Timestamp(*at),
                capture: &capture(&format!("late{i}"), *at),
                page: p,
            })
            .unwrap();
    }
    assert_eq!(indexer.index_changes().unwrap(), 3);
    drop(indexer);

    let (indexer, opened) = Indexer::open(
        store.clone(),
        &path,
        small_options(),
        CommitPolicy::default(),
    )
    .unwrap();
    assert_eq!(opened, Opened::Ready { caught_up: 3 });
    assert!(store.unindexed_keys().unwrap().is_empty());
    let (_d2, full) = rebuilt(&store);
    assert_eq!(all_results(indexer.index()), all_results(&full));
    assert_eq!(search(indexer.index(), "vendedor:kondor_lima").total, 2);

    // A re-crawl that only sees the page again moves last_seen, in the index too.
    let mut indexer = indexer;
    store.touch_page(ANDINO, L1, Timestamp(9_000)).unwrap();
    assert_eq!(indexer.index_changes().unwrap(), 1);
    assert!(indexer.commit_due_in().is_some());
    indexer.commit().unwrap();
    assert_eq!(indexer.commit_due_in(), None);
    let rec = indexer
        .index()
        .get(&listing_id(ANDINO, L1))
        .unwrap()
        .unwrap();
    assert_eq!(rec["last_seen"], Timestamp(9_000).rfc3339());
    indexer.close().unwrap();

    // A damaged index is rebuilt, not fatal.
    std::fs::write(path.join("meta.json"), b"{ not json").unwrap();
    let (indexer, opened) = Indexer::open(
        store.clone(),
        &path,
        small_options(),
        CommitPolicy::default(),
    )
    .unwrap();
    match opened {
        Opened::Rebuilt { records, why } => {
            assert_eq!(records, 6);
            assert!(why.contains("could not be used"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(all_results(indexer.index()).len(), 6);
}

#[test]
fn the_commit_policy_commits_when_enough_is_pending() {
    let (_d, store) = store_with(&[]);
    let idir = tempfile::tempdir().unwrap();
    let policy = CommitPolicy {
        every: std::time::Duration::from_secs(3600),
        max_pending: 2,
    };
    let (mut indexer, opened) =
        Indexer::open(store.clone(), idir.path(), small_options(), policy).unwrap();
    assert_eq!(opened, Opened::Ready { caught_up: 0 });
    let all = pages();
    let (site, p, at) = &all[0];
    store
        .apply_page(&Observation {
            site,
            at: Timestamp(*at),
            capture: &capture("a", *at),
            page: p,
        })
        .unwrap();
    // One listing and its vendor: two records, the policy's limit.
    assert_eq!(indexer.index_changes().unwrap(), 2);
    assert!(indexer.commit_if_due().unwrap());
    assert_eq!(search(indexer.index(), "cocaina envio lima").total, 1);
    assert!(!indexer.commit_if_due().unwrap());
}
