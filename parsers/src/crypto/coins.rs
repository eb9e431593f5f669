//! Which coin, network and kind each version prefix or segwit HRP denotes.
//!
//! Several coins reuse Bitcoin's version bytes (Bitcoin Cash copied all of
//! them; Litecoin kept `3…` P2SH and the testnet bytes; Dogecoin shares the
//! testnet P2SH byte and uses Bitcoin's byte on regtest). The tables below list
//! every reading, Bitcoin first, and leave the choice between them to the
//! context step: the bytes alone cannot decide.

use super::base58;
use super::bech32;
use super::{Coin, Interpretation, Network};

/// One base58check version prefix.
pub struct Version {
    /// Version bytes (two for Zcash transparent addresses).
    pub prefix: &'static [u8],
    /// Coin using it.
    pub coin: Coin,
    /// Network using it.
    pub network: Network,
    /// `p2pkh`, `p2sh` or `account`.
    pub kind: &'static str,
}

const fn v(prefix: &'static [u8], coin: Coin, network: Network, kind: &'static str) -> Version {
    Version {
        prefix,
        coin,
        network,
        kind,
    }
}

use Coin::{Bch, Btc, Dash, Doge, Ltc, Trx, Zec};
use Network::{Mainnet, Testnet};

/// Every base58check prefix we accept. Bitcoin rows come first so that, when
/// context names no coin, the first reading is Bitcoin's.
pub const VERSIONS: &[Version] = &[
    v(&[0x00], Btc, Mainnet, "p2pkh"),
    v(&[0x05], Btc, Mainnet, "p2sh"),
    v(&[0x6f], Btc, Testnet, "p2pkh"),
    v(&[0xc4], Btc, Testnet, "p2sh"),
    v(&[0x00], Bch, Mainnet, "p2pkh"),
    v(&[0x05], Bch, Mainnet, "p2sh"),
    v(&[0x6f], Bch, Testnet, "p2pkh"),
    v(&[0xc4], Bch, Testnet, "p2sh"),
    v(&[0x30], Ltc, Mainnet, "p2pkh"),
    v(&[0x32], Ltc, Mainnet, "p2sh"),
    v(&[0x05], Ltc, Mainnet, "p2sh"),
    v(&[0x6f], Ltc, Testnet, "p2pkh"),
    v(&[0x3a], Ltc, Testnet, "p2sh"),
    v(&[0xc4], Ltc, Testnet, "p2sh"),
    v(&[0x1e], Doge, Mainnet, "p2pkh"),
    v(&[0x16], Doge, Mainnet, "p2sh"),
    v(&[0x71], Doge, Testnet, "p2pkh"),
    v(&[0xc4], Doge, Testnet, "p2sh"),
    // Dogecoin Core's regtest reuses Bitcoin's testnet P2PKH byte.
    v(&[0x6f], Doge, Testnet, "p2pkh"),
    v(&[0x4c], Dash, Mainnet, "p2pkh"),
    v(&[0x10], Dash, Mainnet, "p2sh"),
    v(&[0x8c], Dash, Testnet, "p2pkh"),
    v(&[0x13], Dash, Testnet, "p2sh"),
    v(&[0x1c, 0xb8], Zec, Mainnet, "p2pkh"),
    v(&[0x1c, 0xbd], Zec, Mainnet, "p2sh"),
    v(&[0x1d, 0x25], Zec, Testnet, "p2pkh"),
    v(&[0x1c, 0xba], Zec, Testnet, "p2sh"),
    v(&[0x41], Trx, Mainnet, "account"),
];

/// Segwit human-readable parts (lower case) and what they denote.
pub const SEGWIT_HRPS: [(&str, Coin, Network); 6] = [
    ("bc", Btc, Mainnet),
    ("tb", Btc, Testnet),
    ("bcrt", Btc, Testnet),
    ("ltc", Ltc, Mainnet),
    ("tltc", Ltc, Testnet),
    ("rltc", Ltc, Testnet),
];

/// Text lengths worth decoding. 25 bytes (one version byte) take at most 34
/// characters and 26 bytes (Zcash) at most 36; fewer than 25 would need a hash
/// starting with about ten zero bytes, which no real key or script produces.
pub const BASE58_LEN: std::ops::RangeInclusive<usize> = 25..=36;

/// Appends every base58check reading of `s`.
pub fn base58_interpretations(s: &str, out: &mut Vec<Interpretation>) {
    if !BASE58_LEN.contains(&s.len()) || !base58::is_base58(s.as_bytes()) {
        return;
    }
    let Some(payload) = base58::decode_check(s) else {
        return;
    };
    for row in VERSIONS {
        if payload.len() == row.prefix.len() + 20 && payload.starts_with(row.prefix) {
            out.push(Interpretation {
                coin: row.coin,
                network: row.network,
                kind: row.kind,
            });
        }
    }
}

/// Label for a witness version and program length.
fn segwit_kind(version: u8, len: usize) -> &'static str {
    const FUTURE: [&str; 17] = [
        "segwit-v0",
        "segwit-v1",
        "segwit-v2",
        "segwit-v3",
        "segwit-v4",
        "segwit-v5",
        "segwit-v6",
        "segwit-v7",
        "segwit-v8",
        "segwit-v9",
        "segwit-v10",
        "segwit-v11",
        "segwit-v12",
        "segwit-v13",
        "segwit-v14",
        "segwit-v15",
        "segwit-v16",
    ];
    match (version, len) {
        (0, 20) => "p2wpkh",
        (0, 32) => "p2wsh",
        (1, 32) => "p2tr",
        (v, _) => FUTURE[usize::from(v.min(16))],
    }
}

/// True when `s` begins with a known segwit HRP and separator, in either case.
/// Cheap enough to run on every candidate before any checksum work.
pub fn has_segwit_prefix(s: &[u8]) -> bool {
    SEGWIT_HRPS.iter().any(|(hrp, _, _)| {
        s.len() > hrp.len()
            && s[hrp.len()] == b'1'
            && s[..hrp.len()].eq_ignore_ascii_case(hrp.as_bytes())
    })
}

/// Appends the segwit reading of `s`, if any.
pub fn segwit_interpretations(s: &str, out: &mut Vec<Interpretation>) {
    if !has_segwit_prefix(s.as_bytes()) {
        return;
    }
    let Some(seg) = bech32::decode_segwit(s) else {
        return;
    };
    if let Some(&(_, coin, network)) = SEGWIT_HRPS.iter().find(|(h, _, _)| *h == seg.hrp) {
        out.push(Interpretation {
            coin,
            network,
            kind: segwit_kind(seg.version, seg.program.len()),
        });
    }
}
