//! Bitcoin Cash CashAddr: `prefix:payload` with a 40-bit BCH checksum.
//!
//! The prefix is part of the checksum input even when people leave it out
//! (wallets often display the bare payload). A bare payload therefore carries
//! its network invisibly, and the only way to recover it is to try each known
//! prefix; exactly one will match for a genuine address.

use super::bech32::{convert_bits, CHARSET, NOT_BECH32, VALUES};
use super::Network;

/// Known Bitcoin Cash prefixes and the network each one denotes.
pub const PREFIXES: [(&str, Network); 3] = [
    ("bitcoincash", Network::Mainnet),
    ("bchtest", Network::Testnet),
    ("bchreg", Network::Testnet),
];

/// Hash lengths the version byte's low three bits select, per the spec.
const HASH_SIZES: [usize; 8] = [20, 24, 28, 32, 40, 48, 56, 64];

/// Number of checksum symbols at the end of the payload.
const CHECKSUM_LEN: usize = 8;

fn polymod(symbols: impl Iterator<Item = u8>) -> u64 {
    const GEN: [u64; 5] = [
        0x98_f2bc_8e61,
        0x79_b76d_99e2,
        0xf3_3e5f_b3c4,
        0xae_2eab_e2a8,
        0x1e_4f43_e470,
    ];
    let mut c = 1u64;
    for d in symbols {
        let top = c >> 35;
        c = ((c & 0x07_ffff_ffff) << 5) ^ u64::from(d);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                c ^= g;
            }
        }
    }
    c ^ 1
}

/// The prefix contributes the low five bits of each character, then a zero.
fn prefix_symbols(prefix: &[u8]) -> impl Iterator<Item = u8> + '_ {
    prefix
        .iter()
        .map(|b| b.to_ascii_lowercase() & 0x1f)
        .chain(std::iter::once(0))
}

/// True when one case is used throughout (CashAddr, like bech32, forbids mixing).
fn single_case(parts: &[&[u8]]) -> bool {
    let lower = parts.iter().any(|p| p.iter().any(u8::is_ascii_lowercase));
    let upper = parts.iter().any(|p| p.iter().any(u8::is_ascii_uppercase));
    !(lower && upper)
}

/// Returns the 5-bit payload (checksum removed) when `payload` is valid under
/// `prefix`. Case must be consistent across prefix and payload.
pub fn decode_with_prefix(prefix: &str, payload: &str) -> Option<Vec<u8>> {
    let (p, d) = (prefix.as_bytes(), payload.as_bytes());
    if p.is_empty() || d.len() < CHECKSUM_LEN || !single_case(&[p, d]) {
        return None;
    }
    let mut values = Vec::with_capacity(d.len());
    for &b in d {
        let v = VALUES[b as usize];
        if v == NOT_BECH32 {
            return None;
        }
        values.push(v);
    }
    if polymod(prefix_symbols(p).chain(values.iter().copied())) != 0 {
        return None;
    }
    values.truncate(values.len() - CHECKSUM_LEN);
    Some(values)
}

/// Checks only the checksum of a `prefix:payload` string, for any prefix.
pub fn verify_checksum(s: &str) -> bool {
    s.rsplit_once(':')
        .is_some_and(|(prefix, payload)| decode_with_prefix(prefix, payload).is_some())
}

/// A decoded Bitcoin Cash address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CashAddress {
    /// Network implied by the prefix that validated.
    pub network: Network,
    /// Version type: 0 is P2PKH, 1 is P2SH.
    pub kind_type: u8,
    /// Key or script hash.
    pub hash: Vec<u8>,
}

impl CashAddress {
    /// The `kind` label used in [`super::Interpretation`].
    pub fn kind(&self) -> &'static str {
        if self.kind_type == 0 {
            "cashaddr-p2pkh"
        } else {
            "cashaddr-p2sh"
        }
    }
}

/// Interprets a 5-bit payload as a version byte plus hash. Only types 0 and 1
/// are addresses; other types and size mismatches are checksum-valid strings
/// that no wallet would accept.
fn parse_payload(values: &[u8], network: Network) -> Option<CashAddress> {
    let bytes = convert_bits(values, 5, 8, false)?;
    let (&version, hash) = bytes.split_first()?;
    if version & 0x80 != 0 {
        return None;
    }
    let kind_type = (version >> 3) & 0x0f;
    if kind_type > 1 || HASH_SIZES[usize::from(version & 7)] != hash.len() {
        return None;
    }
    Some(CashAddress {
        network,
        kind_type,
        hash: hash.to_vec(),
    })
}

/// Decodes a Bitcoin Cash address written with a known prefix or without one.
pub fn decode_address(s: &str) -> Option<CashAddress> {
    if let Some((prefix, payload)) = s.split_once(':') {
        let network = PREFIXES
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(prefix))
            .map(|&(_, n)| n)?;
        let values = decode_with_prefix(prefix, payload)?;
        return parse_payload(&values, network);
    }
    PREFIXES.iter().find_map(|&(prefix, network)| {
        let prefix = if s.bytes().any(|b| b.is_ascii_uppercase()) {
            prefix.to_ascii_uppercase()
        } else {
            prefix.to_string()
        };
        parse_payload(&decode_with_prefix(&prefix, s)?, network)
    })
}

/// Encodes `prefix:payload` for version type `kind_type` (0 or 1); `None`
/// when the hash length is not one of the sizes the version byte can express.
pub fn encode(prefix: &str, kind_type: u8, hash: &[u8]) -> Option<String> {
    let size_code = HASH_SIZES.iter().position(|&n| n == hash.len())?;
    let mut bytes = vec![(kind_type << 3) | size_code as u8];
    bytes.extend_from_slice(hash);
    let mut values = convert_bits(&bytes, 8, 5, true)?;
    let residue = polymod(
        prefix_symbols(prefix.as_bytes())
            .chain(values.iter().copied())
            .chain([0u8; CHECKSUM_LEN]),
    );
    values
        .extend((0..CHECKSUM_LEN).map(|i| ((residue >> (5 * (CHECKSUM_LEN - 1 - i))) & 31) as u8));
    let mut out = String::with_capacity(prefix.len() + 1 + values.len());
    out.push_str(prefix);
    out.push(':');
    out.extend(values.iter().map(|&v| char::from(CHARSET[usize::from(v)])));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_vectors() {
        assert!(verify_checksum("prefix:x64nx6hz"));
        assert!(verify_checksum("p:gpf8m4h7"));
        let a = decode_address("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a");
        assert_eq!(
            a.map(|a| (a.network, a.kind_type)),
            Some((Network::Mainnet, 0))
        );
        let bare = decode_address("qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a");
        assert_eq!(bare.map(|a| a.network), Some(Network::Mainnet));
        let upper = decode_address("BITCOINCASH:QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A");
        assert!(upper.is_some());
    }

    #[test]
    fn encode_round_trip_all_sizes() {
        for size in HASH_SIZES {
            let hash: Vec<u8> = (0..size as u8).collect();
            for (prefix, network) in PREFIXES {
                let text = encode(prefix, 1, &hash).expect("encodable");
                let got = decode_address(&text).expect("decodable");
                assert_eq!(
                    (got.network, got.kind_type, got.hash),
                    (network, 1, hash.clone())
                );
                let bare = text.split_once(':').map(|(_, b)| b).unwrap_or_default();
                assert_eq!(decode_address(bare).map(|a| a.network), Some(network));
            }
        }
    }

    #[test]
    fn mixed_case_is_rejected() {
        assert!(decode_address("bitcoincash:qZy9dedpwm53cqgcr2e3z9qy788cca6y0ce8mfkezh").is_none());
    }
}
