//! Runs the shared upstream test vectors (see the folder's README.md) against
//! the extractor. Every mismatch is collected and listed before failing, so one
//! run shows the whole picture.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use centinela_parsers::crypto::{
    base58, bech32, cashaddr, find_addresses, interpretations, Coin, Network,
};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    let base = std::env::var("CENTINELA_TESTDATA").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata").to_string()
    });
    PathBuf::from(base).join("crypto-vectors")
}

fn coin_from(ticker: &str) -> Option<Coin> {
    Coin::ALL.into_iter().find(|c| c.ticker() == ticker)
}

fn network_from(name: &str) -> Option<Network> {
    [Network::Mainnet, Network::Testnet]
        .into_iter()
        .find(|n| n.as_str() == name)
}

/// How a seller would name the coin next to the address.
fn coin_name(coin: Coin) -> &'static str {
    match coin {
        Coin::Btc => "Bitcoin",
        Coin::Ltc => "Litecoin",
        Coin::Doge => "Dogecoin",
        Coin::Dash => "Dash",
        Coin::Zec => "Zcash",
        Coin::Bch => "Bitcoin Cash",
        Coin::Eth => "Ethereum",
        Coin::Trx => "Tron",
        Coin::Xmr => "Monero",
    }
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn load(path: &PathBuf) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str::<Vec<Value>>(&text).unwrap()
}

#[derive(Default)]
struct Tally {
    checks: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, group: &'static str, ok: bool, what: impl FnOnce() -> String) {
        *self.checks.entry(group).or_default() += 1;
        if !ok {
            self.failures.push(format!("[{group}] {}", what()));
        }
    }
}

fn check_address_entry(file: &str, e: &Value, t: &mut Tally) {
    let address = e["address"].as_str().unwrap();
    let coin = coin_from(e["coin"].as_str().unwrap()).unwrap();
    let network = network_from(e["network"].as_str().unwrap()).unwrap();
    let valid = e["valid"].as_bool().unwrap();
    let found = interpretations(address);
    let has = |c: Coin, n: Network| found.iter().any(|i| i.coin == c && i.network == n);
    let sentence = format!("{} address: {address}", coin_name(coin));
    let matches = find_addresses(&sentence);
    if valid {
        t.check("valid: interpretations", has(coin, network), || {
            format!("{file}: {address} expected {coin:?}/{network:?}, got {found:?}")
        });
        let ok = matches.len() == 1 && {
            let m = &matches[0];
            let same_value = if coin == Coin::Eth || !m.value.is_ascii() {
                m.value == address
            } else if m.kind.starts_with("cashaddr")
                || m.kind.starts_with("segwit")
                || m.kind.starts_with("p2w")
                || m.kind == "p2tr"
            {
                m.value.eq_ignore_ascii_case(address)
            } else {
                m.value == address
            };
            m.coin == coin
                && m.network == network
                && same_value
                && m.start + address.len() == sentence.len()
                && m.end == sentence.len()
        };
        t.check("valid: find_addresses", ok, || {
            format!("{file}: {sentence:?} expected one {coin:?}/{network:?}, got {matches:?}")
        });
    } else {
        t.check("invalid: interpretations", !has(coin, network), || {
            format!("{file}: {address} must not be {coin:?}/{network:?}, got {found:?}")
        });
        let reported = matches
            .iter()
            .any(|m| m.coin == coin && m.network == network);
        t.check("invalid: find_addresses", !reported, || {
            format!("{file}: {sentence:?} must not report {coin:?}/{network:?}, got {matches:?}")
        });
        // What is reported at all must be one of the documented other readings.
        for m in &matches {
            let other = e["valid_as_other_coin"].as_array().is_some_and(|list| {
                list.iter().any(|v| {
                    let s = v.as_str().unwrap_or_default();
                    s.starts_with(&format!("{}/{}/", m.coin.ticker(), m.network.as_str()))
                })
            });
            let other_network = m.coin == coin && m.network != network;
            t.check(
                "invalid: only documented other readings",
                other || other_network,
                || format!("{file}: {address} reported as {:?}/{:?}", m.coin, m.network),
            );
        }
    }
}

fn check_disagreement(e: &Value, t: &mut Tally) {
    let address = e["address"].as_str().unwrap();
    let found = interpretations(address);
    match &e["reference_says"] {
        Value::String(s) if s == "invalid" => {
            let coin = coin_from(e["coin"].as_str().unwrap()).unwrap();
            t.check(
                "disagreements",
                found.iter().all(|i| i.coin != coin),
                || format!("{address} should be invalid, got {found:?}"),
            );
        }
        Value::Array(list) => {
            for r in list {
                let coin = coin_from(r["coin"].as_str().unwrap()).unwrap();
                let network = network_from(r["network"].as_str().unwrap()).unwrap();
                let ok = found.iter().any(|i| i.coin == coin && i.network == network);
                t.check("disagreements", ok, || {
                    format!("{address} should be {coin:?}/{network:?}, got {found:?}")
                });
            }
        }
        other => t.check("disagreements", false, || {
            format!("unknown reference_says {other}")
        }),
    }
}

fn check_codecs(dir: &std::path::Path, t: &mut Tally) {
    for e in load(&dir.join("bech32_checksum_strings.json")) {
        let s = e["string"].as_str().unwrap();
        let variant = match e["encoding"].as_str().unwrap() {
            "bech32" => bech32::Variant::Bech32,
            _ => bech32::Variant::Bech32m,
        };
        let valid = e["valid"].as_bool().unwrap();
        t.check(
            "bech32 checksum strings",
            bech32::verify(s, variant) == valid,
            || format!("{s:?} {variant:?} expected {valid}"),
        );
    }
    for e in load(&dir.join("base58_codec.json")) {
        let (hex, text) = (e["hex"].as_str().unwrap(), e["base58"].as_str().unwrap());
        let bytes = hex_decode(hex);
        t.check("base58 codec", base58::encode(&bytes) == text, || {
            format!("encode {hex}")
        });
        t.check("base58 codec", base58::decode(text) == Some(bytes), || {
            format!("decode {text}")
        });
        if !e["is_address"].as_bool().unwrap() {
            let m = find_addresses(&format!("Bitcoin address: {text}"));
            t.check("base58 codec: not reported", m.is_empty(), || {
                format!("{text} reported as {m:?}")
            });
        }
    }
    for e in load(&dir.join("cashaddr_codec.json")) {
        let s = e["string"].as_str().unwrap();
        let valid = e["checksum_valid"].as_bool().unwrap();
        t.check(
            "cashaddr codec",
            cashaddr::verify_checksum(s) == valid,
            || format!("{s} expected {valid}"),
        );
        let m = find_addresses(&format!("Bitcoin Cash address: {s}"));
        if e["is_address"].as_bool().unwrap() {
            let ok = m.len() == 1 && m[0].coin == Coin::Bch && m[0].value.eq_ignore_ascii_case(s);
            t.check("cashaddr codec: reported", ok, || format!("{s} got {m:?}"));
        } else {
            t.check("cashaddr codec: not reported", m.is_empty(), || {
                format!("{s} reported as {m:?}")
            });
        }
    }
}

#[test]
fn shared_vectors() {
    let dir = vectors_dir();
    if !dir.is_dir() {
        let required = std::env::var("CENTINELA_REQUIRE_TESTDATA").is_ok_and(|v| v == "1");
        assert!(!required, "test vectors missing at {}", dir.display());
        eprintln!("skipping: test vectors not found at {}", dir.display());
        return;
    }
    let mut tally = Tally::default();
    let mut entries = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect::<Vec<_>>();
    entries.sort();
    let codec_files = [
        "bech32_checksum_strings.json",
        "base58_codec.json",
        "cashaddr_codec.json",
    ];
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
    {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if codec_files.contains(&name.as_str()) {
            continue;
        }
        for e in load(path) {
            if name == "disagreements.json" {
                check_disagreement(&e, &mut tally);
            } else {
                check_address_entry(&name, &e, &mut tally);
            }
        }
    }
    check_codecs(&dir, &mut tally);
    let total: usize = tally.checks.values().sum();
    println!(
        "crypto vectors: {total} checks, {} failed",
        tally.failures.len()
    );
    for (group, n) in &tally.checks {
        println!("  {group}: {n}");
    }
    for f in &tally.failures {
        println!("FAIL {f}");
    }
    assert!(
        tally.failures.is_empty(),
        "{} vector mismatches (listed above)",
        tally.failures.len()
    );
}
