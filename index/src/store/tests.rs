#![allow(clippy::unwrap_used, clippy::expect_used)]

use centinela_parsers::records::{Listing, PageType, ParsedPage, Post, Price, Vendor};

use super::fixtures::{capture, page};
use super::*;
use crate::time::Timestamp;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(&dir.path().join("db")).unwrap();
    (dir, Store::open(&db).unwrap())
}

fn listing(url: &str, amount: f64, vendor: &str) -> Listing {
    Listing {
        url: url.into(),
        title: "Cocaína — envío a Lima".into(),
        price: Some(Price {
            amount: Some(amount),
            currency: Some("PEN".into()),
            shown: format!("S/ {amount}"),
        }),
        vendor: Some(vendor.into()),
        ships_from: Some("Perú".into()),
        ships_to: vec!["Perú".into()],
        addresses: vec!["185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk".into()],
        ..Default::default()
    }
}

fn apply(store: &Store, site: &str, p: &ParsedPage, sha: &str, at: i64) -> Applied {
    store
        .apply_page(&Observation {
            site,
            at: Timestamp(at),
            capture: &capture(sha, at),
            page: p,
        })
        .unwrap()
}

fn kinds(store: &Store, site: &str, url: &str) -> Vec<String> {
    store
        .history(site, url)
        .unwrap()
        .iter()
        .map(|e| {
            serde_json::to_value(&e.change).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

const L: &str = "http://m.onion/producto/1.html";

#[test]
fn applying_the_same_page_twice_changes_only_last_seen() {
    let (_d, s) = store();
    let mut p = page(L, PageType::Listing);
    p.listings.push(listing(L, 1250.0, "CondorBlanco"));
    assert_eq!(
        apply(&s, "m", &p, "a", 10),
        Applied {
            listings_new: 1,
            listings_changed: 0,
            vendors_new: 1,
            posts_new: 0
        }
    );
    let before = s.snapshot().unwrap();
    assert_eq!(apply(&s, "m", &p, "a", 20), Applied::default());
    assert_eq!(s.snapshot().unwrap(), before);
    let l = s.listing("m", L).unwrap().unwrap();
    assert_eq!((l.first_seen, l.last_seen), (Timestamp(10), Timestamp(20)));
    assert_eq!(kinds(&s, "m", L), ["listing_first_seen"]);
}

#[test]
fn a_price_change_on_the_listing_page_is_history() {
    let (_d, s) = store();
    let mut p = page(L, PageType::Listing);
    p.listings.push(listing(L, 1250.0, "CondorBlanco"));
    apply(&s, "m", &p, "a", 10);
    p.listings[0] = listing(L, 1400.0, "CondorBlanco");
    assert_eq!(apply(&s, "m", &p, "b", 20).listings_changed, 1);
    assert_eq!(kinds(&s, "m", L), ["listing_first_seen", "price_changed"]);
    let e = s.history("m", L).unwrap().pop().unwrap();
    assert_eq!(
        e.capture_sha256.as_deref(),
        Some("b"),
        "the event points at the capture that showed it"
    );
    match e.change {
        Change::PriceChanged { old, new } => {
            assert_eq!(old.unwrap().amount, Some(1250.0));
            assert_eq!(new.unwrap().amount, Some(1400.0));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_card_never_overrides_the_listing_page_nor_reads_as_a_change() {
    let (_d, s) = store();
    let mut own = page(L, PageType::Listing);
    own.listings.push(listing(L, 1250.0, "CondorBlanco"));
    let mut list = page("http://m.onion/categoria/x.html", PageType::ListingIndex);
    let mut card = listing(L, 1200.0, "CondorBlanco");
    card.description = None;
    list.listings.push(card);
    // Either order ends the same.
    apply(&s, "m", &list, "c", 10);
    apply(&s, "m", &own, "a", 11);
    let (_d2, s2) = store();
    apply(&s2, "m", &own, "a", 10);
    apply(&s2, "m", &list, "c", 11);
    assert_eq!(
        s.snapshot().unwrap()["listings"],
        s2.snapshot().unwrap()["listings"]
    );
    assert_eq!(
        s.listing("m", L)
            .unwrap()
            .unwrap()
            .listing
            .price
            .unwrap()
            .amount,
        Some(1250.0)
    );
    assert_eq!(kinds(&s, "m", L), ["listing_first_seen"]);
}

#[test]
fn listings_disappear_by_404_or_a_complete_pass_and_only_their_page_brings_them_back() {
    let (_d, s) = store();
    let mut own = page(L, PageType::Listing);
    own.listings.push(listing(L, 1250.0, "CondorBlanco"));
    let other = "http://m.onion/producto/2.html";
    let mut own2 = page(other, PageType::Listing);
    own2.listings.push(listing(other, 90.0, "PuertoCallao"));
    apply(&s, "m", &own, "a", 10);
    apply(&s, "m", &own2, "b", 10);
    assert!(s.listing_gone("m", L, Timestamp(20), None).unwrap());
    assert!(
        !s.listing_gone("m", L, Timestamp(21), None).unwrap(),
        "news once"
    );
    // A later pass sees only listing 2's page: nothing else is marked.
    apply(&s, "m", &own2, "b", 30);
    assert_eq!(s.finish_pass("m", Timestamp(25), Timestamp(31)).unwrap(), 0);
    // A pass that sees neither: listing 2 disappears.
    assert_eq!(s.finish_pass("m", Timestamp(40), Timestamp(41)).unwrap(), 1);
    // Its card on a list page does not bring it back; its own page does.
    let mut list = page("http://m.onion/", PageType::ListingIndex);
    list.listings.push(listing(other, 90.0, "PuertoCallao"));
    apply(&s, "m", &list, "c", 50);
    assert!(matches!(
        s.listing("m", other).unwrap().unwrap().availability,
        Availability::Disappeared { .. }
    ));
    apply(&s, "m", &own2, "b", 60);
    assert_eq!(
        s.listing("m", other).unwrap().unwrap().availability,
        Availability::Active
    );
    assert_eq!(
        kinds(&s, "m", other),
        [
            "listing_first_seen",
            "listing_disappeared",
            "listing_reappeared"
        ]
    );
}

#[test]
fn identifiers_link_records_across_sites() {
    let (_d, s) = store();
    let mut market = page("http://m.onion/vendedor/condor.html", PageType::Vendor);
    market.vendors.push(Vendor {
        url: "http://m.onion/vendedor/condor.html".into(),
        handle: "CondorBlanco".into(),
        pgp_fingerprints: vec!["CAA4C776D9AA8FC78F76C02E8630AF8F5D8A978A".into()],
        contacts: vec!["telegram:@condor_pe".into()],
        ..Default::default()
    });
    let mut forum = page("http://f.onion/usuario/kondor.html", PageType::UserProfile);
    forum.vendors.push(Vendor {
        url: "http://f.onion/usuario/kondor.html".into(),
        handle: "Kondor_Lima".into(),
        pgp_fingerprints: vec!["caa4 c776 d9aa 8fc7 8f76 c02e 8630 af8f 5d8a 978a".into()],
        ..Default::default()
    });
    forum.posts.push(Post {
        url: "http://f.onion/tema/1.html".into(),
        author: Some("Kondor_Lima".into()),
        body: "Escríbanme por Telegram: @Condor_PE".into(),
        contacts: vec!["telegram:@Condor_PE".into()],
        ..Default::default()
    });
    apply(&s, "mercado", &market, "a", 1);
    apply(&s, "foro", &forum, "b", 2);
    let by_key = s
        .records_with(
            IdentifierKind::PgpFingerprint,
            "CAA4C776D9AA8FC78F76C02E8630AF8F5D8A978A",
        )
        .unwrap();
    assert_eq!(
        by_key,
        [
            RecordRef::Vendor {
                site: "foro".into(),
                handle: "Kondor_Lima".into()
            },
            RecordRef::Vendor {
                site: "mercado".into(),
                handle: "CondorBlanco".into()
            },
        ]
    );
    let by_contact = s
        .records_with(IdentifierKind::Contact, "telegram:@condor_pe")
        .unwrap();
    assert_eq!(
        by_contact.len(),
        2,
        "handles match without case: {by_contact:?}"
    );
    let shared = s.shared_identifiers().unwrap();
    assert_eq!(shared.len(), 2, "{shared:?}");
    // Vendors are one record per (site, handle), whatever the case.
    assert!(s.vendor("mercado", "condorblanco").unwrap().is_some());
}
