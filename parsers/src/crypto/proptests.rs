//! Property tests: random payloads encoded as every supported address type,
//! planted in random prose. Each must be found exactly once with the right
//! coin, network, value and span; a one-character change must silence it;
//! a split by one whitespace character must be rejoined.

use proptest::prelude::*;

use super::{
    base58, bech32, cashaddr, coins, eth, find_addresses, interpretations, monero, Coin, Network,
};

/// Prose without coin names, with numbers and capitals to exercise the joiner.
const WORDS: &[&str] = &[
    "el",
    "pedido",
    "llega",
    "en",
    "tres",
    "días",
    "the",
    "order",
    "ships",
    "today",
    "Madrid",
    "precio",
    "2023",
    "15€",
    "envío",
    "gratis",
    "contact",
    "vendor",
    "escrow",
    "calidad",
    "McDonald",
    "iPhone",
    "x2",
    "garantía",
    "(24h)",
    "—",
    "ok.",
    "pago:",
    "10%",
    "Tor",
];

const BECH32_UPPER: &[u8; 32] = b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
const CASHADDR_SIZES: [usize; 8] = [20, 24, 28, 32, 40, 48, 56, 64];

#[derive(Debug, Clone)]
struct Planted {
    /// Coin name written before the address, as sellers do.
    label: &'static str,
    written: String,
    value: String,
    coin: Coin,
    network: Network,
    /// Symbols a mutation may substitute (`None`: flip a letter's case).
    alphabet: Option<&'static [u8]>,
    /// Mutations and splits happen at or after this index (after the HRP or prefix).
    body_from: usize,
    checksummed: bool,
}

fn label(coin: Coin) -> &'static str {
    match coin {
        Coin::Btc => "Bitcoin",
        Coin::Ltc => "Litecoin",
        Coin::Doge => "Dogecoin",
        Coin::Bch => "Bitcoin Cash",
        Coin::Eth => "Ethereum",
        Coin::Xmr => "Monero",
        other => other.ticker(),
    }
}

fn plant(family: u8, a: [u8; 32], b: [u8; 32], pick: u64) -> Planted {
    let idx = |n: usize, shift: u32| ((pick >> shift) % n as u64) as usize;
    let mut both = a.to_vec();
    both.extend_from_slice(&b);
    match family {
        0 => {
            let row = &coins::VERSIONS[idx(coins::VERSIONS.len(), 0)];
            let mut payload = row.prefix.to_vec();
            payload.extend_from_slice(&a[..20]);
            let text = base58::encode_check(&payload);
            planted(
                row.coin,
                row.network,
                text.clone(),
                text,
                Some(base58::ALPHABET),
                0,
            )
        }
        1 => {
            let (hrp, coin, network) = coins::SEGWIT_HRPS[idx(6, 0)];
            let version = idx(17, 8) as u8;
            let len = if version == 0 {
                [20, 32][idx(2, 16)]
            } else {
                2 + idx(39, 16)
            };
            let text = bech32::encode_segwit(hrp, version, &both[..len]).unwrap_or_default();
            let upper = idx(4, 24) == 0;
            let (written, alphabet) = if upper {
                (text.to_ascii_uppercase(), BECH32_UPPER)
            } else {
                (text.clone(), bech32::CHARSET)
            };
            planted(coin, network, written, text, Some(alphabet), hrp.len() + 1)
        }
        2 => {
            let (prefix, network) = cashaddr::PREFIXES[idx(3, 0)];
            let size = CASHADDR_SIZES[idx(8, 8)];
            let full =
                cashaddr::encode(prefix, idx(2, 16) as u8, &both[..size]).unwrap_or_default();
            let with_prefix = idx(2, 20) == 0;
            let lower = if with_prefix {
                full.clone()
            } else {
                full[prefix.len() + 1..].to_string()
            };
            let body_from = if with_prefix { prefix.len() + 1 } else { 0 };
            let (written, alphabet) = if idx(4, 24) == 0 {
                (lower.to_ascii_uppercase(), BECH32_UPPER)
            } else {
                (lower.clone(), bech32::CHARSET)
            };
            planted(
                Coin::Bch,
                network,
                written,
                lower,
                Some(alphabet),
                body_from,
            )
        }
        3 => {
            let mut raw = [0u8; 20];
            raw.copy_from_slice(&a[..20]);
            let text = eth::to_checksum_address(&raw);
            let mut p = planted(
                Coin::Eth,
                Network::Mainnet,
                text.clone(),
                text.clone(),
                None,
                2,
            );
            p.checksummed = eth::classify(&text) == Some(eth::Casing::Checksummed);
            p
        }
        _ => {
            let (tag, network, kind) = monero::TAGS[idx(9, 0)];
            let mut id = [0u8; 8];
            id.copy_from_slice(&b[..8]);
            let payment = (kind == "integrated").then_some(&id);
            let text = monero::encode_address(tag as u8, &a, &b, payment);
            planted(
                Coin::Xmr,
                network,
                text.clone(),
                text,
                Some(base58::ALPHABET),
                0,
            )
        }
    }
}

fn planted(
    coin: Coin,
    network: Network,
    written: String,
    value: String,
    alphabet: Option<&'static [u8]>,
    body_from: usize,
) -> Planted {
    Planted {
        label: label(coin),
        written,
        value,
        coin,
        network,
        alphabet,
        body_from,
        checksummed: true,
    }
}

fn prose(words: &[usize]) -> String {
    words
        .iter()
        .map(|&i| WORDS[i])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Builds "<before> <Label>: <address> <after>" and returns it with the
/// address's byte offset.
fn embed(p: &Planted, address: &str, before: &[usize], after: &[usize]) -> (String, usize) {
    let head = format!("{} {}: ", prose(before), p.label);
    let text = format!("{head}{address} {}", prose(after));
    (text, head.len())
}

/// Mirrors the scanner's rule for what may start a split address.
fn fragment_like(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_digit()) || s.bytes().skip(1).any(|b| b.is_ascii_uppercase())
}

fn planted_strategy() -> impl Strategy<Value = Planted> {
    (0u8..5, any::<[u8; 32]>(), any::<[u8; 32]>(), any::<u64>())
        .prop_map(|(f, a, b, pick)| plant(f, a, b, pick))
}

fn words() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..WORDS.len(), 0..25)
}

/// Noise pieces: base58-looking runs, hex, separators and non-ASCII glue.
fn noise() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[1-9A-HJ-NP-Za-km-z]{1,40}",
        "0x[0-9a-fA-F]{0,50}",
        "[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{1,45}",
        "(bc1|tb1|ltc1|bitcoincash:|BCH |LTC )",
        "[ \n\t:/=.,ñé“”€\u{a0}]{1,3}",
        prop::sample::select(WORDS).prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn any_text_yields_only_sound_matches(head in noise(), p in planted_strategy(), tail in noise(), sep in 0usize..3) {
        let glue = [" ", "\n", "“"][sep];
        let text = format!("{head}{glue}{}{glue}{tail}", p.written);
        let found = find_addresses(&text);
        let mut last_end = 0;
        for m in &found {
            prop_assert!(last_end <= m.start && m.start < m.end && m.end <= text.len());
            last_end = m.end;
            let raw: String = text[m.start..m.end].split_ascii_whitespace().collect();
            prop_assert!(raw.eq_ignore_ascii_case(&m.value), "{:?} vs {:?}", raw, m.value);
            let readings = interpretations(&m.value);
            prop_assert!(readings.iter().any(|r| (r.coin, r.network, r.kind) == (m.coin, m.network, m.kind)));
        }
        // The planted address is found whatever surrounds it (the noise may
        // name another coin, so the pair may sit in `also_valid_as`).
        let hit = found.iter().find(|m| m.value == p.value);
        prop_assert!(hit.is_some_and(|m| (m.coin, m.network) == (p.coin, p.network)
            || m.also_valid_as.contains(&(p.coin, p.network))), "{:?} in {:?}", p.value, found);
    }


    #[test]
    fn planted_address_is_found_once(p in planted_strategy(), before in words(), after in words()) {
        let (text, at) = embed(&p, &p.written, &before, &after);
        let found = find_addresses(&text);
        prop_assert_eq!(found.len(), 1, "{:?}", found);
        let m = &found[0];
        prop_assert_eq!((m.coin, m.network), (p.coin, p.network));
        prop_assert_eq!(&m.value, &p.value);
        prop_assert_eq!((m.start, m.end), (at, at + p.written.len()));
    }

    #[test]
    fn one_changed_character_is_rejected(p in planted_strategy(), pos in any::<usize>(), sym in any::<usize>(), before in words()) {
        prop_assume!(p.checksummed);
        let mut bytes = p.written.clone().into_bytes();
        let at = p.body_from + pos % (bytes.len() - p.body_from);
        match p.alphabet {
            Some(alphabet) => {
                let mut replacement = alphabet[sym % alphabet.len()];
                if replacement == bytes[at] {
                    replacement = alphabet[(sym + 1) % alphabet.len()];
                }
                bytes[at] = replacement;
            }
            None => {
                let letters: Vec<usize> = (2..bytes.len()).filter(|&i| bytes[i].is_ascii_alphabetic()).collect();
                let i = letters[sym % letters.len()];
                bytes[i] ^= 0x20;
            }
        }
        let mutated = String::from_utf8(bytes).unwrap_or_default();
        if p.alphabet.is_none() && eth::classify(&mutated) != Some(eth::Casing::Checksummed) && eth::classify(&mutated).is_some() {
            return Ok(()); // flipping left a single-case string, which has no checksum
        }
        let (text, _) = embed(&p, &mutated, &before, &[]);
        let found = find_addresses(&text);
        prop_assert!(found.is_empty(), "{} -> {:?}", mutated, found);
    }

    #[test]
    fn split_address_is_rejoined(p in planted_strategy(), pos in any::<usize>(), sep in 0usize..4, after in words()) {
        prop_assume!(p.checksummed);
        let lo = (p.body_from + 1).max(1);
        let at = lo + pos % (p.written.len() - lo);
        // A fragment without a digit or inner capital (e.g. "Lx") is not joined,
    // by design; a prefix (`bitcoincash:`) makes any payload fragment eligible.
    if !(fragment_like(&p.written[..at]) || p.written.contains(':')) {
        return Ok(());
    }
        let separator = [" ", "\n", "\t", "\r\n"][sep];
        let split = format!("{}{separator}{}", &p.written[..at], &p.written[at..]);
        let (text, start) = embed(&p, &split, &[], &after);
        let found = find_addresses(&text);
        prop_assert_eq!(found.len(), 1, "{} -> {:?}", split, found);
        let m = &found[0];
        prop_assert_eq!((m.coin, m.network), (p.coin, p.network));
        prop_assert_eq!(&m.value, &p.value);
        prop_assert_eq!((m.start, m.end), (start, start + split.len()));
    }
}
