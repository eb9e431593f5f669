//! An investigator searches what the demo crawled from the sample markets: Spanish typed
//! without accents, a wallet or phone number, a vendor's handle misspelled — and an
//! operator who lost the index rebuilds it from the store and gets the same answers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use centinela_index::store::{IdentifierKind, RecordRef, Store};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_centinela");
const WALLET: &str = "185fZzpT3Yu18VRsyPZ5hQD7AnLZjGfpNk";
const PHONE: &str = "+51987654321";
const SHARED_KEY: &str = "CAA4C776D9AA8FC78F76C02E8630AF8F5D8A978A";

/// A finished demo: its folder and configuration.
struct Demo {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: PathBuf,
}

impl Demo {
    fn new() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("demo");
        let out = Command::new(BIN)
            .arg("demo")
            .arg("--dir")
            .arg(&root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "demo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Demo {
            config: root.join("centinela.toml"),
            root,
            _dir: dir,
        }
    }

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `search QUERY --json [extra]`: the records, in order.
    fn search(&self, query: &str, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["search", query, "--json"];
        args.extend_from_slice(extra);
        let (code, out, err) = self.run(&args);
        assert_eq!(code, 0, "search {query:?} failed: {err}");
        out.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .collect()
    }

    fn store(&self) -> Store {
        let db = centinela_index::store::open_db(&self.data().join("db")).unwrap();
        Store::open(&db).unwrap()
    }
}

/// (type, site, url or handle) of a search record.
fn key(r: &Value) -> (String, String, String) {
    let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
    let which = if s("type") == "vendor" {
        s("handle")
    } else {
        s("url")
    };
    (s("type"), s("site"), which)
}

fn key_of(r: &RecordRef) -> (String, String, String) {
    match r {
        RecordRef::Listing { site, url } => ("listing".into(), site.clone(), url.clone()),
        RecordRef::Vendor { site, handle } => ("vendor".into(), site.clone(), handle.clone()),
        RecordRef::Post { site, url, .. } => ("post".into(), site.clone(), url.clone()),
    }
}

#[test]
fn cocaina_envio_lima_typed_without_accents_finds_the_lima_listing() {
    let demo = Demo::new();
    let hits = demo.search("cocaina envio lima", &[]);
    assert_eq!(hits[0]["type"], "listing");
    assert_eq!(hits[0]["title"], "Cocaína — envío a Lima");
    assert_eq!(hits[0]["site"], "mercado-andino");
    // The record carries what DESIGN.md promises other tools.
    for field in [
        "url",
        "price",
        "vendor",
        "ships_to",
        "addresses",
        "contacts",
        "peru",
        "first_seen",
        "last_seen",
        "capture_sha256",
    ] {
        assert!(hits[0].get(field).is_some(), "no {field} in {}", hits[0]);
    }
    // The matched words come back marked, as they were written.
    let marked: Vec<String> = hits[0]["snippets"]["title"]["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let text = hits[0]["title"].as_str().unwrap();
            text[h["start"].as_u64().unwrap() as usize..h["end"].as_u64().unwrap() as usize]
                .to_string()
        })
        .collect();
    assert_eq!(marked, ["Cocaína", "envío", "Lima"]);

    // The table an investigator reads, and the CSV a supervisor opens.
    let (code, table, _) = demo.run(&["search", "cocaina envio lima"]);
    assert_eq!(code, 0);
    assert!(table.contains("Cocaína — envío a Lima"), "{table}");
    assert!(table.contains("S/ 1.250,00"), "{table}");
    let (code, csv, _) = demo.run(&["search", "cocaina envio lima", "--csv"]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("type,site,url,title,vendor,price_amount"));
    assert_eq!(rows.len(), 1 + hits.len());
    assert!(rows[1].contains(",Cocaína — envío a Lima,CondorBlanco,1250,PEN,"));
}

#[test]
fn a_wallet_or_phone_number_finds_every_record_carrying_it() {
    let demo = Demo::new();
    let store = demo.store();
    for (value, kind) in [
        (WALLET, IdentifierKind::Address),
        (PHONE, IdentifierKind::Contact),
    ] {
        let found: BTreeSet<_> = demo
            .search(value, &["--limit", "1000"])
            .iter()
            .map(key)
            .collect();
        let normalized = if kind == IdentifierKind::Contact {
            format!("phone:{value}")
        } else {
            value.to_string()
        };
        let mut truth: BTreeSet<_> = store
            .records_with(kind, &normalized)
            .unwrap()
            .iter()
            .map(key_of)
            .collect();
        if kind == IdentifierKind::Contact {
            truth.extend(
                store
                    .records_with(kind, &format!("whatsapp:{value}"))
                    .unwrap()
                    .iter()
                    .map(key_of),
            );
        }
        assert!(truth.len() >= 3, "{value}: {truth:?}");
        assert_eq!(found, truth, "search {value}");
        let types: BTreeSet<&str> = found.iter().map(|(t, _, _)| t.as_str()).collect();
        assert!(types.contains("listing"), "{value}: {types:?}");
        if kind == IdentifierKind::Contact {
            // Quoted in a Dread OPSEC thread: the post is found too.
            assert!(types.contains("post"), "{value}: {types:?}");
        }
    }
    // Investigators dial Peruvian numbers without +51.
    let national: BTreeSet<_> = demo.search("987654321", &[]).iter().map(key).collect();
    let full: BTreeSet<_> = demo.search(PHONE, &[]).iter().map(key).collect();
    assert_eq!(national, full);
}

#[test]
fn the_vendor_profile_links_the_market_vendor_to_the_forum_persona_with_the_same_key() {
    let demo = Demo::new();
    // Leetspeak, a separator and a typo (blanko).
    let (code, out, err) = demo.run(&["vendor", "C0nd0r-Blanko", "--json"]);
    assert_eq!(code, 0, "{err}");
    let profile: Value = serde_json::from_str(out.trim()).unwrap();
    let appearances = profile["appearances"].as_array().unwrap();
    assert_eq!(appearances.len(), 1, "{profile}");
    assert_eq!(appearances[0]["handle"], "CondorBlanco");
    assert_eq!(appearances[0]["site"], "mercado-andino");
    let linked = &profile["linked"][0];
    assert_eq!(linked["handle"], "Kondor_Lima", "{profile}");
    assert_eq!(linked["site"], "foro-sur");
    assert_eq!(linked["via"][0]["kind"], "pgp");
    assert_eq!(linked["via"][0]["value"], SHARED_KEY);
    assert!(linked["first_seen"].is_string());

    // And in the table, both ways round.
    let (code, table, _) = demo.run(&["vendor", "kondor lima"]);
    assert_eq!(code, 0);
    assert!(table.contains("CondorBlanco"), "{table}");
    assert!(table.contains(&format!("PGP key {SHARED_KEY}")), "{table}");

    // The wallet shared across two markets links HarborKing and PuertoCallao.
    let (_, out, _) = demo.run(&["vendor", "harborking", "--json"]);
    let profile: Value = serde_json::from_str(out.trim()).unwrap();
    let linked: Vec<&str> = profile["linked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["handle"].as_str().unwrap())
        .collect();
    assert!(linked.contains(&"PuertoCallao"), "{profile}");

    let (code, _, err) = demo.run(&["vendor", "nobody-like-this"]);
    assert_eq!(code, 1);
    assert!(err.contains("no vendor handle like"), "{err}");
}

#[test]
fn filters_narrow_the_results_and_a_mistyped_query_is_explained() {
    let demo = Demo::new();
    let all = demo.search("", &["--type", "listing", "--limit", "1000"]);
    let peru = demo.search("", &["--type", "anuncio", "--peru", "--limit", "1000"]);
    assert!(!peru.is_empty() && peru.len() < all.len());
    for r in &peru {
        assert_eq!(r["type"], "listing");
        assert!(r["peru"]["score"].as_f64().unwrap() >= 0.5, "{r}");
    }
    let cheap = demo.search("cocaina", &["--max-price", "100"]);
    let titles: Vec<&str> = cheap.iter().filter_map(|r| r["title"].as_str()).collect();
    // S/ 1.250 is about 340 US dollars.
    assert!(!titles.contains(&"Cocaína — envío a Lima"), "{titles:?}");
    let vendors = demo.search("vendedor:condorblanco", &["--type", "listing"]);
    assert!(!vendors.is_empty());
    assert!(vendors.iter().all(|r| r["vendor"] == "CondorBlanco"));
    let site = demo.search("", &["--site", "silk-lane", "--limit", "1000"]);
    assert!(!site.is_empty() && site.iter().all(|r| r["site"] == "silk-lane"));
    assert!(demo.search("", &["--since", "2099-01-01"]).is_empty());
    let recent = demo.search("", &["--sort", "recent", "--limit", "1000"]);
    let seen: Vec<&str> = recent
        .iter()
        .map(|r| r["last_seen"].as_str().unwrap())
        .collect();
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "{seen:?}");

    let (code, _, err) = demo.run(&["search", "cocaina AND (lima"]);
    assert_eq!(code, 2);
    assert!(err.contains("column 18"), "{err}");
    assert!(err.contains("                 ^"), "{err}");
    let (code, _, err) = demo.run(&["search", "precioo:30"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown field `precioo`") && err.contains("envia_a"),
        "{err}"
    );
    let (code, _, err) = demo.run(&["search", "x", "--since", "ayer"]);
    assert_eq!(code, 2);
    assert!(err.contains("--since \"ayer\""), "{err}");
}

/// Every record a set of questions returns, in a form that ignores scores (they move
/// while replaced documents wait to be merged away) and the order of ties.
fn answers(demo: &Demo) -> Vec<(String, BTreeSet<String>)> {
    let questions: [(&str, &[&str]); 7] = [
        ("", &["--limit", "1000"]),
        ("cocaina envio lima", &[]),
        (WALLET, &[]),
        ("vendedor:condorblanco", &["--sort", "recent"]),
        ("envia_a:peru", &["--type", "listing", "--limit", "100"]),
        ("shipping", &["--limit", "100"]),
        ("miraflores OR callao", &["--peru", "--limit", "100"]),
    ];
    questions
        .iter()
        .map(|(q, extra)| {
            let records: BTreeSet<String> = demo
                .search(q, extra)
                .into_iter()
                .map(|mut r| {
                    r.as_object_mut().unwrap().remove("score");
                    r.to_string()
                })
                .collect();
            (q.to_string(), records)
        })
        .collect()
}

fn remove(path: &Path) {
    std::fs::remove_dir_all(path).unwrap();
}

#[test]
fn a_deleted_or_damaged_index_is_rebuilt_from_the_store_with_the_same_answers() {
    let demo = Demo::new();
    let before = answers(&demo);
    assert!(before.iter().all(|(_, r)| !r.is_empty()), "{before:?}");

    let index = demo.data().join("index");
    remove(&index);
    let (code, _, err) = demo.run(&["search", "cocaina"]);
    assert_eq!(code, 1);
    assert!(err.contains("centinela index rebuild"), "{err}");

    let (code, out, err) = demo.run(&["index", "rebuild"]);
    assert_eq!(code, 0, "{err}");
    let (listings, vendors, posts) = {
        let store = demo.store();
        (
            store.listings(None).unwrap().len(),
            store.vendors(None).unwrap().len(),
            store.posts(None).unwrap().len(),
        )
    };
    assert!(
        out.contains(&format!("rebuilt: {} records", listings + vendors + posts)),
        "{out}"
    );
    assert_eq!(answers(&demo), before);

    // Damaged: searching says what to do; rebuilding mends it.
    std::fs::write(index.join("meta.json"), b"{ not json").unwrap();
    let (code, _, err) = demo.run(&["search", "cocaina"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot be used") && err.contains("index rebuild"),
        "{err}"
    );
    let (code, _, err) = demo.run(&["index", "rebuild"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(answers(&demo), before);
}
