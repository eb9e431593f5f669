//! Finds cryptocurrency addresses in text and validates them by checksum.
//!
//! Investigators search seized pages for payment addresses; a false hit sends
//! them after an innocent string, a miss loses a lead. So every reported
//! address has passed its coin's full checksum (base58check, bech32/bech32m,
//! CashAddr, EIP-55 where the case carries one, Monero's Keccak), and the
//! scanner looks at the text once, validating only tokens that could be
//! addresses by length and prefix.
//!
//! This module is self-contained (only `super::`/`self::` paths) so it can be
//! moved into another crate as a folder.
//!
//! Value normalisation in [`AddressMatch::value`]: whitespace inserted to
//! defeat scrapers is removed; bech32 and CashAddr are lower-cased (their case
//! carries no information); base58, Monero and Ethereum keep their case.
//! CashAddr keeps the `bitcoincash:`/`bchtest:`/`bchreg:` prefix exactly when
//! the text had it (lower-cased), so the value is always the string as the
//! seller wrote it; the network says which prefix a bare payload belongs to.

pub mod base58;
pub mod bech32;
pub mod cashaddr;
mod coins;
mod context;
pub mod eth;
pub mod monero;
mod prefilter;
#[cfg(test)]
mod proptests;
mod scan;
mod split;
#[cfg(test)]
mod tests;

/// A coin whose addresses we recognise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Coin {
    /// Bitcoin.
    Btc,
    /// Litecoin.
    Ltc,
    /// Dogecoin.
    Doge,
    /// Dash.
    Dash,
    /// Zcash (transparent addresses only).
    Zec,
    /// Bitcoin Cash.
    Bch,
    /// Ethereum and EVM chains (same address format).
    Eth,
    /// Tron.
    Trx,
    /// Monero.
    Xmr,
}

impl Coin {
    /// Every coin, in declaration order.
    pub const ALL: [Coin; 9] = [
        Coin::Btc,
        Coin::Ltc,
        Coin::Doge,
        Coin::Dash,
        Coin::Zec,
        Coin::Bch,
        Coin::Eth,
        Coin::Trx,
        Coin::Xmr,
    ];

    /// Exchange ticker, as investigators write it in reports.
    pub fn ticker(self) -> &'static str {
        match self {
            Coin::Btc => "BTC",
            Coin::Ltc => "LTC",
            Coin::Doge => "DOGE",
            Coin::Dash => "DASH",
            Coin::Zec => "ZEC",
            Coin::Bch => "BCH",
            Coin::Eth => "ETH",
            Coin::Trx => "TRX",
            Coin::Xmr => "XMR",
        }
    }
}

/// Main network or a test network. Regtest, signet, testnet4 and Monero
/// stagenet are all `Testnet`: none of them moves real value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Network {
    /// Real funds.
    Mainnet,
    /// Any test chain.
    Testnet,
}

impl Network {
    /// Lower-case name for reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Mainnet => "mainnet",
            Network::Testnet => "testnet",
        }
    }
}

/// One valid reading of a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Interpretation {
    /// Coin.
    pub coin: Coin,
    /// Network.
    pub network: Network,
    /// `p2pkh`, `p2sh`, `p2wpkh`, `p2wsh`, `p2tr`, `segwit-vN`, `eip55`,
    /// `hex-lowercase`, `hex-uppercase`, `account`, `cashaddr-p2pkh`,
    /// `cashaddr-p2sh`, `standard`, `subaddress` or `integrated`.
    pub kind: &'static str,
}

/// An address found in text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressMatch {
    /// Coin chosen for it (from context when several coins share the string).
    pub coin: Coin,
    /// Network of that reading.
    pub network: Network,
    /// Kind of that reading (see [`Interpretation::kind`]).
    pub kind: &'static str,
    /// The address as it should be searched for (see the module docs).
    pub value: String,
    /// Byte offset where the raw span starts in the text.
    pub start: usize,
    /// Byte offset just past the raw span (inserted whitespace included).
    pub end: usize,
    /// Other (coin, network) pairs the same string is valid for.
    pub also_valid_as: Vec<(Coin, Network)>,
}

/// Shortest string any reading accepts (a segwit address with a 2-byte program).
const MIN_CANDIDATE: usize = 14;
/// Longest: `bitcoincash:` plus the 112-character payload of a 64-byte hash.
const MAX_CANDIDATE: usize = 124;

/// Every valid reading of one exact, already-clean string (several when coins
/// share version bytes). Empty when the string is not an address.
pub fn interpretations(candidate: &str) -> Vec<Interpretation> {
    let mut out = Vec::new();
    let bytes = candidate.as_bytes();
    if !(MIN_CANDIDATE..=MAX_CANDIDATE).contains(&bytes.len()) {
        return out;
    }
    if bytes.starts_with(b"0x") {
        if let Some(casing) = eth::classify(candidate) {
            out.push(Interpretation {
                coin: Coin::Eth,
                network: Network::Mainnet,
                kind: casing.kind(),
            });
        }
        return out;
    }
    coins::segwit_interpretations(candidate, &mut out);
    coins::base58_interpretations(candidate, &mut out);
    if bytes.len() == monero::STANDARD_LEN || bytes.len() == monero::INTEGRATED_LEN {
        if let Some((network, kind)) = monero::classify(candidate) {
            out.push(Interpretation {
                coin: Coin::Xmr,
                network,
                kind,
            });
        }
    }
    if could_be_cashaddr(bytes) {
        if let Some(addr) = cashaddr::decode_address(candidate) {
            out.push(Interpretation {
                coin: Coin::Bch,
                network: addr.network,
                kind: addr.kind(),
            });
        }
    }
    out
}

/// Cheap screen before the CashAddr checksum: the payload of a type-0/1
/// address starts with `q` or `p` and is 42..=112 characters long.
fn could_be_cashaddr(bytes: &[u8]) -> bool {
    let payload = match bytes.iter().position(|&b| b == b':') {
        Some(colon) => &bytes[colon + 1..],
        None => bytes,
    };
    (42..=112).contains(&payload.len()) && matches!(payload[0], b'q' | b'p' | b'Q' | b'P')
}

/// Finds every checksum-valid address in `text`, in order of appearance.
pub fn find_addresses(text: &str) -> Vec<AddressMatch> {
    scan::scan(text)
}
