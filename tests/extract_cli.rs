//! An investigator pastes a vendor's listing text, or a saved page, into
//! `centinela extract --json` and gets exactly the identifiers it contains, at the byte
//! offsets where they are written, and nothing that is not really there.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

fn extract(args: &[&str], input: &[u8]) -> (i32, Vec<Value>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_centinela"))
        .args([
            "--config",
            "/nonexistent/centinela.toml",
            "extract",
            "--json",
        ])
        .args(args)
        .env_remove("CENTINELA_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        out.status.code().unwrap_or(-1),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `(kind-specific label, value, raw text at start..end)` for each line.
fn summary(input: &[u8], lines: &[Value]) -> Vec<(String, String, String)> {
    lines
        .iter()
        .map(|v| {
            let label = match v["kind"].as_str().unwrap() {
                "crypto_address" => format!(
                    "{}/{}",
                    v["coin"].as_str().unwrap(),
                    v["network"].as_str().unwrap()
                ),
                "contact" => format!("contact/{}", v["platform"].as_str().unwrap()),
                "peru_signal" => format!("peru/{}", v["signal"].as_str().unwrap()),
                other => other.to_string(),
            };
            let value = v
                .get("value")
                .or(v.get("fingerprint"))
                .unwrap()
                .as_str()
                .unwrap()
                .to_string();
            let (s, e) = (
                v["start"].as_u64().unwrap() as usize,
                v["end"].as_u64().unwrap() as usize,
            );
            (
                label,
                value,
                String::from_utf8_lossy(&input[s..e]).into_owned(),
            )
        })
        .collect()
}

fn row(label: &str, value: &str, raw: &str) -> (String, String, String) {
    (label.to_string(), value.to_string(), raw.to_string())
}

const PGP: &str = include_str!("../parsers/tests/data/test-key.asc");
const FPR: &str = include_str!("../parsers/tests/data/test-key.fpr");

#[test]
fn every_kind_in_one_vendor_text_with_exact_lines() {
    let text = format!(
        "Vendo pasta básica, envío a todo el Perú.\n\
         Pago BTC: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq o ETH 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n\
         LTC: 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy\n\
         Espejo: 2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid[.]onion (viejo: dreadditevelidot.onion)\n\
         escríbeme al tele @pepe_lima, wasap 987 654 321\n\
         Session ID: 0512345678901234567890123456789012345678901234567890123456789012ab\n\
         correo: ventas [arroba] protonmail [punto] com\n\
         BTC partido: 1BvBMSEYstWet\u{200b}qTFn5Au4m4GFg7xJaNVN2\n\
         {PGP}"
    );
    let (code, lines, stderr) = extract(&[], text.as_bytes());
    assert_eq!(code, 0, "{stderr}");
    let got = summary(text.as_bytes(), &lines);
    let expected = vec![
        row("peru/peru_slang", "pasta básica", "pasta básica"),
        row(
            "peru/ships_to_peru",
            "envío a todo el Perú",
            "envío a todo el Perú",
        ),
        row(
            "BTC/mainnet",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        ),
        row(
            "ETH/mainnet",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        ),
        row(
            "LTC/mainnet",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        ),
        row(
            "onion",
            "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
            "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid[.]onion",
        ),
        row(
            "onion_v2",
            "dreadditevelidot.onion",
            "dreadditevelidot.onion",
        ),
        row("contact/telegram", "@pepe_lima", "@pepe_lima"),
        row("contact/whatsapp", "+51987654321", "987 654 321"),
        row("phone", "+51987654321", "987 654 321"),
        row(
            "contact/session",
            "0512345678901234567890123456789012345678901234567890123456789012ab",
            "0512345678901234567890123456789012345678901234567890123456789012ab",
        ),
        row(
            "email",
            "ventas@protonmail.com",
            "ventas [arroba] protonmail [punto] com",
        ),
        row(
            "BTC/mainnet",
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "1BvBMSEYstWet\u{200b}qTFn5Au4m4GFg7xJaNVN2",
        ),
        row("pgp_key", FPR.trim(), PGP.trim_end()),
    ];
    assert_eq!(got, expected);
}

#[test]
fn hard_negatives_report_nothing() {
    let text = "SHA-256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n\
                tx 0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n\
                Fingerprint: CAA4 C776 D9AA 8FC7 8F76 C02E 8630 AF8F 5D8A 978A\n\
                id 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae (39 hex) and 0x12345\n\
                typo 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3 and bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr\n\
                noise 3FZbgi29cpjq2GjdwV8eyHuJJnkLtktZc6x 5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ\n\
                Order #918273645 on 2024-03-11, total $1,250.00, see https://example.com/item/bc1q?id=12\n\
                follow @mercado_news for updates";
    let (code, lines, stderr) = extract(&["--text"], text.as_bytes());
    assert_eq!(code, 0, "{stderr}");
    assert!(lines.is_empty(), "{lines:#?}");
}

#[test]
fn html_input_reports_offsets_into_the_page() {
    let page = "<html><head><title>Tienda</title><script>var w='1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2';</script></head>\
                <body><p>Wallet: bc1qar0srrr7xfkvy5l643<span>lydnw9re59gtzzwf5mdq</span></p>\
                <p>Contacto: t.me/pepe_lima &amp; envi&oacute; a Lima</p></body></html>";
    let (code, lines, stderr) = extract(&["--html"], page.as_bytes());
    assert_eq!(code, 0, "{stderr}");
    let got = summary(page.as_bytes(), &lines);
    assert_eq!(
        got,
        vec![
            row(
                "BTC/mainnet",
                "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                "bc1qar0srrr7xfkvy5l643<span>lydnw9re59gtzzwf5mdq"
            ),
            row("contact/telegram", "@pepe_lima", "t.me/pepe_lima"),
            row("peru/ships_to_peru", "envió a Lima", "envi&oacute; a Lima"),
        ],
        "the address in <script> is not visible text and is not reported"
    );
}

struct Vector {
    start: usize,
    address: String,
    coin: String,
    network: String,
    valid: bool,
    explained: bool,
}

#[test]
fn every_crypto_vector_is_handled_as_its_valid_field_says() {
    let dir = std::env::var("CENTINELA_TESTDATA")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata").to_string());
    let dir = std::path::Path::new(&dir).join("crypto-vectors");
    if !dir.exists() {
        assert!(
            std::env::var("CENTINELA_REQUIRE_TESTDATA").is_err(),
            "CENTINELA_REQUIRE_TESTDATA is set but {} is missing",
            dir.display()
        );
        eprintln!("skipped: {} not found", dir.display());
        return;
    }
    // Every entry on its own line after its coin's ticker, as sellers write them ("LTC:
    // <address>"): the ticker settles strings valid for several coins (shared version
    // bytes). A reported span's start tells which entry it is.
    let mut input = String::new();
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") || path.ends_with("disagreements.json") {
            continue;
        }
        let list: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for e in list.as_array().unwrap() {
            let (Some(address), Some(valid)) = (e["address"].as_str(), e["valid"].as_bool()) else {
                continue;
            };
            let coin = e["coin"].as_str().unwrap();
            input.push_str(coin);
            input.push_str(": ");
            entries.push(Vector {
                start: input.len(),
                address: address.to_string(),
                coin: coin.to_string(),
                network: e["network"].as_str().unwrap().to_string(),
                valid,
                explained: e.get("valid_as_other_coin").is_some() || e.get("note").is_some(),
            });
            input.push_str(address);
            input.push('\n');
        }
    }
    let (code, lines, stderr) = extract(&["--text"], input.as_bytes());
    assert_eq!(code, 0, "{stderr}");
    let mut problems = Vec::new();
    for v in &entries {
        let mine: Vec<&Value> = lines
            .iter()
            .filter(|l| l["start"].as_u64() == Some(v.start as u64))
            .collect();
        let same = |l: &&Value| l["coin"] == v.coin.as_str() && l["network"] == v.network.as_str();
        if v.valid {
            let spans_whole = mine
                .iter()
                .any(|l| same(l) && l["end"].as_u64() == Some((v.start + v.address.len()) as u64));
            if !spans_whole {
                problems.push(format!(
                    "valid {} {} {} missed: {mine:?}",
                    v.coin, v.network, v.address
                ));
            }
        } else if mine.iter().any(same) {
            problems.push(format!(
                "invalid {} {} {} reported",
                v.coin, v.network, v.address
            ));
        } else if !v.explained && !mine.is_empty() {
            problems.push(format!(
                "invalid {} reported as another coin with no note: {mine:?}",
                v.address
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    let valid = entries.iter().filter(|v| v.valid).count();
    eprintln!(
        "{valid} valid found, {} invalid not reported",
        entries.len() - valid
    );
}
