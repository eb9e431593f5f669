//! Monero addresses: block-wise base58, varint network tag, Keccak checksum.
//!
//! Monero's base58 is not Bitcoin's: it encodes 8-byte blocks into 11
//! characters independently, so a value cannot be decoded as one big number,
//! and a short last block uses a fixed character count from a table. Reusing
//! the Bitcoin decoder would silently accept or reject the wrong strings.

use sha3::{Digest, Keccak256};

use super::base58::{ALPHABET, DIGITS, NOT_BASE58};
use super::Network;

/// Characters used for a final block of `n` bytes (index `n`).
const ENCODED_SIZES: [usize; 9] = [0, 2, 3, 5, 6, 7, 9, 10, 11];
const FULL_BLOCK: usize = 8;
const FULL_ENCODED: usize = 11;

/// Length of a standard address or subaddress.
pub const STANDARD_LEN: usize = 95;
/// Length of an integrated address (standard plus an 8-byte payment ID).
pub const INTEGRATED_LEN: usize = 106;

/// Network tags: (tag, network, kind). Stagenet is reported as testnet, since
/// for an investigator both mean "not real money".
pub const TAGS: [(u64, Network, &str); 9] = [
    (18, Network::Mainnet, "standard"),
    (42, Network::Mainnet, "subaddress"),
    (19, Network::Mainnet, "integrated"),
    (53, Network::Testnet, "standard"),
    (63, Network::Testnet, "subaddress"),
    (54, Network::Testnet, "integrated"),
    (24, Network::Testnet, "standard"),
    (36, Network::Testnet, "subaddress"),
    (25, Network::Testnet, "integrated"),
];

/// Decodes Monero base58; `None` on foreign characters, an impossible final
/// block length, or a block whose value overflows its byte count.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    let input = s.as_bytes();
    let tail_chars = input.len() % FULL_ENCODED;
    let tail_bytes = ENCODED_SIZES.iter().position(|&n| n == tail_chars)?;
    let mut out = Vec::with_capacity(input.len() / FULL_ENCODED * FULL_BLOCK + tail_bytes);
    for block in input.chunks(FULL_ENCODED) {
        let size = if block.len() == FULL_ENCODED {
            FULL_BLOCK
        } else {
            tail_bytes
        };
        let mut value: u128 = 0;
        for &ch in block {
            let digit = DIGITS[ch as usize];
            if digit == NOT_BASE58 {
                return None;
            }
            value = value * 58 + u128::from(digit);
        }
        if value >> (8 * size) != 0 {
            return None;
        }
        out.extend_from_slice(&value.to_be_bytes()[16 - size..]);
    }
    Some(out)
}

/// Encodes bytes with Monero base58.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(FULL_BLOCK) * FULL_ENCODED);
    for block in bytes.chunks(FULL_BLOCK) {
        let mut value = block.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b));
        let width = ENCODED_SIZES[block.len()];
        let mut chars = [ALPHABET[0]; FULL_ENCODED];
        for slot in chars[..width].iter_mut().rev() {
            *slot = ALPHABET[(value % 58) as usize];
            value /= 58;
        }
        out.extend(chars[..width].iter().map(|&c| char::from(c)));
    }
    out
}

/// Reads an unsigned LEB128 varint; returns (value, bytes used).
fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn checksum(body: &[u8]) -> [u8; 4] {
    let hash = Keccak256::digest(body);
    [hash[0], hash[1], hash[2], hash[3]]
}

/// Validates an exact Monero address string; returns (network, kind).
///
/// The two public keys are not checked to be Ed25519 points: every invalid
/// upstream vector already fails on length, tag or checksum, and a random
/// string passing the 32-bit checksum is as unlikely as for the other coins.
pub fn classify(s: &str) -> Option<(Network, &'static str)> {
    let len = s.len();
    if len != STANDARD_LEN && len != INTEGRATED_LEN {
        return None;
    }
    let raw = decode(s)?;
    let (tag, tag_len) = read_varint(&raw)?;
    let (network, kind) = TAGS
        .iter()
        .find(|(t, _, _)| *t == tag)
        .map(|&(_, n, k)| (n, k))?;
    let extra = if kind == "integrated" { 8 } else { 0 };
    if raw.len() != tag_len + 64 + extra + 4 {
        return None;
    }
    let (body, check) = raw.split_at(raw.len() - 4);
    if checksum(body) != check {
        return None;
    }
    Some((network, kind))
}

/// Builds an address from a network tag (< 128), two keys and an optional
/// payment ID. Test helper, but public so callers can render fixtures.
pub fn encode_address(
    tag: u8,
    spend: &[u8; 32],
    view: &[u8; 32],
    payment_id: Option<&[u8; 8]>,
) -> String {
    let mut body = Vec::with_capacity(1 + 64 + 8 + 4);
    body.push(tag & 0x7f);
    body.extend_from_slice(spend);
    body.extend_from_slice(view);
    if let Some(id) = payment_id {
        body.extend_from_slice(id);
    }
    let check = checksum(&body);
    body.extend_from_slice(&check);
    encode(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_codec_round_trip() {
        for len in 0..30usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(decode(&encode(&data)), Some(data));
        }
    }

    #[test]
    fn known_mainnet_address() {
        let addr = "47ewoP19TN7JEEnFKUJHAYhGxkeTRH82sf36giEp9AcNfDBfkAtRLX7A6rZz18bbNHPNV7ex6WYbMN3aKisFRJZ8Ebsmgef";
        assert_eq!(classify(addr), Some((Network::Mainnet, "standard")));
        let altered = addr.replacen("JEEn", "JCEn", 1);
        assert_eq!(classify(&altered), None);
    }
}
