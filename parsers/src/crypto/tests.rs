//! Hand-written snippets in English and Spanish: the situations investigators
//! meet in seized pages, including the hard negatives that must stay silent.

use super::{find_addresses, interpretations, AddressMatch, Coin, Network};

const BTC_P2PKH: &str = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
const BTC_BECH32: &str = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
const ETH_EIP55: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const XMR: &str = "47ewoP19TN7JEEnFKUJHAYhGxkeTRH82sf36giEp9AcNfDBfkAtRLX7A6rZz18bbNHPNV7ex6WYbMN3aKisFRJZ8Ebsmgef";
const BCH_CASH: &str = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a";
const SHARED_P2PKH: &str = "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu";
const SHARED_P2SH: &str = "3CDJNfdWX8m2NwuGUV3nhXHXEeLygMXoAj";

fn only(text: &str) -> AddressMatch {
    let mut found = find_addresses(text);
    assert_eq!(found.len(), 1, "in {text:?}: {found:?}");
    found.remove(0)
}

fn silent(text: &str) {
    let found = find_addresses(text);
    assert!(found.is_empty(), "in {text:?}: {found:?}");
}

#[test]
fn spanish_listing_with_several_coins() {
    let text = format!(
        "Pago por adelantado. Envía BTC a {BTC_P2PKH}, o si prefieres Monero:\n{XMR}\n\
         También aceptamos ETH ({ETH_EIP55}) y BCH → {BCH_CASH}. ¡Gracias!"
    );
    let found = find_addresses(&text);
    let got: Vec<(Coin, &str)> = found.iter().map(|m| (m.coin, m.value.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (Coin::Btc, BTC_P2PKH),
            (Coin::Xmr, XMR),
            (Coin::Eth, ETH_EIP55),
            (Coin::Bch, BCH_CASH)
        ]
    );
    for m in &found {
        assert_eq!(&text[m.start..m.end], m.value);
        assert_eq!(m.network, Network::Mainnet);
    }
}

#[test]
fn split_addresses_are_rejoined() {
    let cases = [
        "send to bc1qar0srrr7xfkvy5l643lydnw9re59gtz zwf5mdq now",
        "wallet: 1BvBMSEYstWet qTFn5Au4m4GFg7xJaNVN2.",
        "dirección 1BvBMSEYstWetqTFn5Au4\nm4GFg7xJaNVN2 (bitcoin)",
        "dirección 1BvBMSEYstWetqTFn5Au4\r\nm4GFg7xJaNVN2",
        "pay 1BvB MSEY stWe tqTFn5Au4m4GFg7xJaNVN2 today",
        "ETH: 0x5aAeb6053F3E94C9b9A09f33\t669435E7Ef1BeAed",
        "BCH bitcoincash:qpm2qsznhks23z7629mm s6s4cwef74vcwvy22gdx6a",
    ];
    let expected = [
        BTC_BECH32, BTC_P2PKH, BTC_P2PKH, BTC_P2PKH, BTC_P2PKH, ETH_EIP55, BCH_CASH,
    ];
    for (text, want) in cases.iter().zip(expected) {
        let m = only(text);
        assert_eq!(m.value, want, "{text:?}");
        let raw: String = text[m.start..m.end].split_whitespace().collect();
        assert_eq!(raw, want, "span of {text:?}");
    }
    let m = only(&format!("XMR:\n{}\n{}\nfin", &XMR[..50], &XMR[50..]));
    assert_eq!((m.coin, m.value.as_str()), (Coin::Xmr, XMR));
}

#[test]
fn splits_that_must_not_be_joined() {
    // No checksum: any word could complete lower-case hex.
    silent("0x5aaeb6053f3e94c9b9a09f33669435e7 ef1beaed");
    // Two separators are a layout gap, not an obfuscation.
    silent("1BvBMSEYstWet  qTFn5Au4m4GFg7xJaNVN2");
    // A fragment glued to a word stays glued.
    silent("1BvBMSEYstWet qTFn5Au4m4GFg7xJaNVN2abc");
}

#[test]
fn hard_negatives_stay_silent() {
    let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    silent(&format!("sha256: {sha}"));
    silent(&format!("hash 0x{sha}"));
    silent("Huella PGP: 3AA5 C343 7156 7BD2 D8A3  8B2F 2C1A 4E9B 0F5D 1234");
    silent("fingerprint 3AA5C34371567BD2D8A38B2F2C1A4E9B0F5D1234");
    silent(
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe and 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed0",
    );
    silent(
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd1 0XD1220A0CF47C7B9BE7A2E6BA89F429762E7B9ADB",
    );
    silent("txid=abc0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    silent("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3");
    silent("ruido 5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsy");
    silent("123456789123456789123456789123456 98765432198765432198765432198765");
    silent("http://zqktlwiuavvvqqt4ybvgvi7tyo4hjl5xgfuvpdf6otjiycgwqbym2qad.onion/shop?id=9f8e7d6c5b4a39281706&page=2");
    silent("Número de pedido 123456789012345678901234567890 y teléfono +34 912 345 678");
    silent(
        "Hello! 12345678901234567890123456789012345678901234567890123456789012345678901234567890",
    );
}

#[test]
fn word_boundaries() {
    silent(&format!("x{BTC_P2PKH}"));
    silent(&format!("{BTC_P2PKH}x"));
    silent(&format!("addr_{BTC_P2PKH}"));
    silent(&format!("ñ{BTC_P2PKH}"));
    silent(&format!("{BTC_P2PKH}é"));
    for text in [
        format!("https://blockchair.com/bitcoin/address/{BTC_P2PKH}"),
        format!("bitcoin:{BTC_P2PKH}?amount=0.1"),
        format!("?addr={BTC_P2PKH}&x=1"),
        format!("“{BTC_P2PKH}”"),
        format!("\u{a0}{BTC_P2PKH}\u{a0}"),
        format!("({BTC_P2PKH})."),
    ] {
        assert_eq!(only(&text).value, BTC_P2PKH, "{text:?}");
    }
}

#[test]
fn context_picks_among_shared_encodings() {
    let m = only(&format!("Bitcoin Cash: {SHARED_P2PKH}"));
    assert_eq!(
        (m.coin, m.also_valid_as.clone()),
        (Coin::Bch, vec![(Coin::Btc, Network::Mainnet)])
    );
    assert_eq!(only(&format!("pago en LTC: {SHARED_P2SH}")).coin, Coin::Ltc);
    assert_eq!(
        only(&format!("sólo litecoins -> {SHARED_P2SH}")).coin,
        Coin::Ltc
    );
    assert_eq!(only(&format!("{SHARED_P2SH} (BCH)")).coin, Coin::Bch);
    let m = only(&format!("envía a {SHARED_P2SH}"));
    assert_eq!(m.coin, Coin::Btc);
    assert_eq!(
        m.also_valid_as,
        vec![(Coin::Bch, Network::Mainnet), (Coin::Ltc, Network::Mainnet)]
    );
    // Nearest name wins, before or after.
    let m = only(&format!("Aceptamos bitcoin y litecoin. LTC: {SHARED_P2SH}"));
    assert_eq!(m.coin, Coin::Ltc);
    let testnet = "2N3WBNpL3ZVj5PwQhSTPYZdrR7QXiKttChN";
    let m = only(&format!("dogecoin testnet faucet {testnet}"));
    assert_eq!((m.coin, m.network), (Coin::Doge, Network::Testnet));
}

#[test]
fn cashaddr_prefix_forms() {
    let bare = &BCH_CASH["bitcoincash:".len()..];
    assert_eq!(only(&format!("BCH {bare}")).value, bare);
    let upper = BCH_CASH.to_ascii_uppercase();
    assert_eq!(only(&format!("BCH {upper}")).value, BCH_CASH);
    // A mixed-case prefix is just a word; the bare payload is still valid.
    let m = only(&format!("Bitcoincash:{bare}"));
    assert_eq!((m.value.as_str(), m.start), (bare, "Bitcoincash:".len()));
    // A foreign prefix does not validate the payload.
    silent("pref:pr6m7j9njldwwzlg9v7v53unlr4jkmx6ey65nvtks5");
}

#[test]
fn segwit_rules() {
    assert_eq!(
        only(&format!("BTC {}", BTC_BECH32.to_ascii_uppercase())).value,
        BTC_BECH32
    );
    let p2tr = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0";
    assert_eq!(only(p2tr).kind, "p2tr");
    // Witness v1 with a bech32 (not bech32m) checksum: invalid since BIP-350.
    silent("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd");
    assert!(interpretations("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdQ").is_empty());
}

#[test]
fn network_and_ticker_names() {
    let names: Vec<&str> = Coin::ALL.iter().map(|c| c.ticker()).collect();
    assert_eq!(
        names,
        ["BTC", "LTC", "DOGE", "DASH", "ZEC", "BCH", "ETH", "TRX", "XMR"]
    );
    assert_eq!(Network::Testnet.as_str(), "testnet");
}
