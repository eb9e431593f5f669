//! The cross-site facts the sample sites encode (samples/README.md), checked on the
//! parsed records so a change to a page cannot silently break an investigator's story.

#![allow(clippy::unwrap_used)] // test helpers: a missing sample file is a test failure

use centinela_parsers::records::{PageType, ParsedPage};
use centinela_parsers::templates::{self, golden::page_url};
use centinela_parsers::Extractor;
use std::path::Path;

const MA: &str = "fmy3lmrog4mkokadnrmidlpzz72tg5xgmlly2ruvlrgv25jsnqbwbkqd.onion";
const SL: &str = "e5aumhzweooxjgaagvgdsiajzvvxnx5jvr254q3jfwxchqam2crca4id.onion";
const FS: &str = "rdjuvsng6v42zbjop343uf76rln2tlllxeyhdpbypa3wyhy4i5ju37ad.onion";

fn page(template: &str, host: &str, site: &str, rel: &str) -> ParsedPage {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples");
    let html = std::fs::read(Path::new(dir).join(site).join(rel)).unwrap();
    let all = templates::builtin();
    let t = templates::by_name(all, template).unwrap();
    t.parse(
        &page_url(host, rel),
        &html,
        &Extractor::with_default_lexicon(),
    )
}

/// The shared test key's fingerprint (`parsers/tests/data/test-key.fpr` once this crate
/// lives in `parsers/`).
fn test_key_fingerprint() -> String {
    let fpr = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test-key.fpr");
    std::fs::read_to_string(fpr).unwrap().trim().to_string()
}

#[test]
fn market_vendor_and_forum_user_share_the_test_key() {
    let fpr = test_key_fingerprint();
    let market = page(
        "mercado-andino",
        MA,
        "mercado-andino",
        "vendedor/condorblanco.html",
    );
    let forum = page("forum", FS, "foro-sur", "usuario/kondor-lima-u48.html");
    assert_eq!(market.vendors[0].handle, "CondorBlanco");
    assert_eq!(forum.vendors[0].handle, "Kondor_Lima");
    assert_eq!(
        market.vendors[0].pgp_fingerprints,
        std::slice::from_ref(&fpr)
    );
    assert_eq!(forum.vendors[0].pgp_fingerprints, [fpr]);
}

#[test]
fn silk_lane_vendor_shares_a_btc_address_with_a_mercado_listing() {
    let vendor = page("silk-lane", SL, "silk-lane", "vendor/harborking.html");
    let listing = page(
        "mercado-andino",
        MA,
        "mercado-andino",
        "producto/pasta-basica-callao.html",
    );
    let shared: Vec<&String> = vendor.vendors[0]
        .addresses
        .iter()
        .filter(|a| listing.listings[0].addresses.contains(a))
        .collect();
    assert_eq!(shared, ["185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk"]);
    assert_eq!(listing.listings[0].vendor.as_deref(), Some("PuertoCallao"));
}

#[test]
fn the_lima_listing_is_titled_exactly() {
    let p = page(
        "mercado-andino",
        MA,
        "mercado-andino",
        "producto/cocaina-lima.html",
    );
    assert_eq!(p.page_type, PageType::Listing);
    assert_eq!(p.listings[0].title, "Cocaína — envío a Lima");
    let price = p.listings[0].price.as_ref().unwrap();
    assert_eq!(
        (
            price.shown.as_str(),
            price.amount,
            price.currency.as_deref()
        ),
        ("S/ 1.250,00", Some(1250.0), Some("PEN"))
    );
}

#[test]
fn hostile_page_yields_no_script_links_and_no_remote_hosts() {
    let p = page("silk-lane", SL, "silk-lane", "listing/1005.html");
    let json = serde_json::to_string(&p).unwrap();
    assert!(!json.contains("203.0.113.9"), "{json}");
    assert!(!json.to_lowercase().contains("javascript"), "{json}");
    assert!(
        p.links
            .iter()
            .all(|l| l.starts_with(&format!("http://{SL}/"))),
        "{:?}",
        p.links
    );
    // The address inside <script> is not visible text.
    assert!(p.entities.iter().all(|e| e.kind() != "crypto_address"));
    assert_eq!(p.listings[0].title, "LSD 150ug x 10 tabs");
}

#[test]
fn templates_recognise_their_own_content_pages_and_no_others() {
    let all = templates::builtin();
    let cases = [
        (
            "mercado-andino",
            "mercado-andino",
            &[
                "index.html",
                "producto/cocaina-lima.html",
                "vendedor/quimicaandina.html",
                "login.html",
            ][..],
        ),
        (
            "silk-lane",
            "silk-lane",
            &[
                "index.html",
                "listing/1003.html",
                "vendor/northernlights.html",
                "login.html",
            ][..],
        ),
        (
            "foro-sur",
            "forum",
            &[
                "index.html",
                "foro/mercados-f2.html",
                "tema/olva-o-shalom-t22.html",
            ][..],
        ),
        (
            "dread-board",
            "dread",
            &[
                "index.html",
                "post/b71e0f55.html",
                "u/HarborKing.html",
                "queue.html",
            ][..],
        ),
    ];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples");
    for (site, name, pages) in cases {
        for rel in pages {
            let html = std::fs::read(Path::new(dir).join(site).join(rel)).unwrap();
            let found = templates::detect(all, &html).map(|t| t.name.as_str());
            assert_eq!(found, Some(name), "{site}/{rel}");
        }
    }
    assert!(templates::detect(all, b"<html><body><p>hola</p></body></html>").is_none());
}
