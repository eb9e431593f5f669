//! Cheap screens for rejoining addresses that sellers split with whitespace.
//!
//! Every number in the text ("2023", "15€") looks like the start of a split
//! address, and each would otherwise cost a base58 decode per join attempt.
//! So the scanner tracks which address families the fragments gathered so far
//! could still belong to, and stops joining as soon as none is left. Only
//! the surviving candidates reach [`super::interpretations`].

use super::base58;
use super::bech32::{NOT_BECH32, VALUES};
use super::coins;

/// `0x` + hex (Ethereum).
const HEX: u8 = 1;
/// Bech32 segwit with a known HRP.
const SEGWIT: u8 = 2;
/// CashAddr, bare or after a `bitcoincash:`-style prefix.
const CASH: u8 = 4;
/// Base58check (one or two version bytes).
const BASE58: u8 = 8;
/// Monero (base58 blocks, 95 or 106 characters).
const MONERO: u8 = 16;

/// First characters our base58check versions produce.
const BASE58_LEADS: &[u8] = b"123789ADLMQTXmnty";
/// First characters of Monero mainnet, testnet and stagenet addresses.
const MONERO_LEADS: &[u8] = b"4589AB7";

/// The families a split address could belong to, given its fragments so far.
#[derive(Clone, Copy, Debug)]
pub struct Families(u8);

fn all_bech32(s: &[u8]) -> bool {
    s.iter().all(|&b| VALUES[b as usize] != NOT_BECH32)
}

impl Families {
    /// Families the first fragment can start. `prefixed` means a
    /// `bitcoincash:`-style prefix precedes it.
    pub fn of_first(first: &[u8], prefixed: bool) -> Families {
        let Some(&lead) = first.first() else {
            return Families(0);
        };
        let mut set = 0;
        if prefixed && all_bech32(first) {
            set |= CASH;
        }
        if first.starts_with(b"0x") && first[2..].iter().all(u8::is_ascii_hexdigit) {
            set |= HEX;
        }
        if coins::has_segwit_prefix(first) {
            set |= SEGWIT;
        }
        if matches!(lead, b'q' | b'p' | b'Q' | b'P') && all_bech32(first) {
            set |= CASH;
        }
        if base58::is_base58(first) {
            if BASE58_LEADS.contains(&lead) {
                set |= BASE58;
            }
            if MONERO_LEADS.contains(&lead) {
                set |= MONERO;
            }
        }
        Families(set)
    }

    /// Narrows the set after appending `fragment`; `joined_len` is the length
    /// of all fragments so far. Returns false when nothing is left.
    pub fn narrow(&mut self, fragment: &[u8], joined_len: usize) -> bool {
        let mut set = self.0;
        if set & HEX != 0 && (joined_len > 42 || !fragment.iter().all(u8::is_ascii_hexdigit)) {
            set &= !HEX;
        }
        if set & (SEGWIT | CASH) != 0 && !all_bech32(fragment) {
            set &= !(SEGWIT | CASH);
        }
        if set & SEGWIT != 0 && joined_len > 90 {
            set &= !SEGWIT;
        }
        if set & (BASE58 | MONERO) != 0 && !base58::is_base58(fragment) {
            set &= !(BASE58 | MONERO);
        }
        if set & BASE58 != 0 && joined_len > *coins::BASE58_LEN.end() {
            set &= !BASE58;
        }
        self.0 = set;
        set != 0
    }

    /// Final screen before decoding a joined candidate. A base58 body is
    /// random, with about 14 capitals and 15 small letters in 33 characters,
    /// while joined prose has hardly any capitals; requiring two of each loses
    /// about one genuine address in five million.
    pub fn worth_decoding(&self, joined: &[u8]) -> bool {
        if self.0 & (HEX | SEGWIT | CASH) != 0 {
            return true;
        }
        let body = joined.get(1..).unwrap_or_default();
        let upper = body.iter().filter(|b| b.is_ascii_uppercase()).count();
        let lower = body.iter().filter(|b| b.is_ascii_lowercase()).count();
        upper >= 2 && lower >= 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_words_stop_early() {
        assert_eq!(Families::of_first(b"2023", false).0, 0);
        let mut f = Families::of_first(b"15", false);
        assert!(f.narrow(b"days", 6));
        assert!(!f.narrow(b"hello", 11));
    }

    #[test]
    fn lead_tables_match_the_encoders() {
        for row in coins::VERSIONS {
            for fill in [0u8, 0xff] {
                let mut payload = row.prefix.to_vec();
                payload.extend_from_slice(&[fill; 20]);
                let text = base58::encode_check(&payload);
                assert!(BASE58_LEADS.contains(&text.as_bytes()[0]), "{text}");
            }
        }
        for (tag, _, kind) in super::super::monero::TAGS {
            for fill in [0u8, 0xff] {
                let payment_id = [fill; 8];
                let id = (kind == "integrated").then_some(&payment_id);
                let text =
                    super::super::monero::encode_address(tag as u8, &[fill; 32], &[fill; 32], id);
                assert!(MONERO_LEADS.contains(&text.as_bytes()[0]), "{text}");
            }
        }
    }

    #[test]
    fn real_fragments_survive() {
        let mut f = Families::of_first(b"bc1qar0srrr7xfkvy5l643lydnw9re59gtz", false);
        assert!(f.narrow(b"zwf5mdq", 42));
        let mut f = Families::of_first(b"1BvBMSEYstWet", false);
        assert!(f.narrow(b"qTFn5Au4m4GFg7xJaNVN2", 34));
        assert!(f.worth_decoding(b"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"));
        let mut f = Families::of_first(b"qpm2qsznhks23z7629mm", true);
        assert!(f.narrow(b"s6s4cwef74vcwvy22gdx6a", 42));
    }
}
