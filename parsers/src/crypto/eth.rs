//! Ethereum-style `0x` + 40 hex addresses and the EIP-55 case checksum.
//!
//! EIP-55 hides a checksum in the capitalisation of the hex letters, so only
//! mixed-case strings can be checked. All-lower and all-upper strings are
//! legal but unprotected: they are accepted as written, and the scanner never
//! glues such a string together from fragments, since nothing could tell a
//! correct join from a wrong one.

use sha3::{Digest, Keccak256};

/// Length of `0x` plus 40 hex digits.
pub const ADDRESS_LEN: usize = 42;

/// How the hex digits of an accepted address are cased.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Casing {
    /// Mixed case that satisfies EIP-55.
    Checksummed,
    /// No upper-case letters (also the label for digits-only strings).
    Lower,
    /// No lower-case letters.
    Upper,
}

impl Casing {
    /// The `kind` label used in [`super::Interpretation`].
    pub fn kind(self) -> &'static str {
        match self {
            Casing::Checksummed => "eip55",
            Casing::Lower => "hex-lowercase",
            Casing::Upper => "hex-uppercase",
        }
    }
}

/// Keccak-256 of the lower-case hex text, the source of EIP-55's case bits.
fn case_hash(hex: &[u8]) -> [u8; 32] {
    let lower: Vec<u8> = hex.iter().map(u8::to_ascii_lowercase).collect();
    Keccak256::digest(&lower).into()
}

/// True when hex letter `i` must be upper case under EIP-55.
fn wants_upper(hash: &[u8; 32], i: usize) -> bool {
    let nibble = if i & 1 == 0 {
        hash[i / 2] >> 4
    } else {
        hash[i / 2] & 0x0f
    };
    nibble >= 8
}

/// Classifies an exact `0x…` string; `None` if it is not a valid address.
/// The prefix must be a lower-case `0x`, as EIP-55 and every wallet write it.
pub fn classify(s: &str) -> Option<Casing> {
    let bytes = s.as_bytes();
    if bytes.len() != ADDRESS_LEN || !bytes.starts_with(b"0x") {
        return None;
    }
    let hex = &bytes[2..];
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let has_lower = hex.iter().any(u8::is_ascii_lowercase);
    let has_upper = hex.iter().any(u8::is_ascii_uppercase);
    match (has_lower, has_upper) {
        (_, false) => Some(Casing::Lower),
        (false, true) => Some(Casing::Upper),
        (true, true) => {
            let hash = case_hash(hex);
            let ok = hex.iter().enumerate().all(|(i, &c)| {
                !c.is_ascii_alphabetic() || c.is_ascii_uppercase() == wants_upper(&hash, i)
            });
            ok.then_some(Casing::Checksummed)
        }
    }
}

/// Writes 20 bytes as an EIP-55 checksummed address.
pub fn to_checksum_address(bytes: &[u8; 20]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let lower: Vec<u8> = bytes
        .iter()
        .flat_map(|&b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
        .collect();
    let hash = case_hash(&lower);
    let mut out = String::with_capacity(ADDRESS_LEN);
    out.push_str("0x");
    for (i, &c) in lower.iter().enumerate() {
        let c = if c.is_ascii_alphabetic() && wants_upper(&hash, i) {
            c.to_ascii_uppercase()
        } else {
            c
        };
        out.push(char::from(c));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip55_examples() {
        let good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        assert_eq!(classify(good), Some(Casing::Checksummed));
        assert_eq!(classify("0x5aAeb6053F3E94C9b9A09f33669435E7ef1BeAed"), None);
        assert_eq!(classify(&good.to_ascii_lowercase()), Some(Casing::Lower));
        assert_eq!(classify("0XD1220A0CF47C7B9BE7A2E6BA89F429762E7B9ADB"), None);
        let raw = [
            0x5a, 0xae, 0xb6, 0x05, 0x3f, 0x3e, 0x94, 0xc9, 0xb9, 0xa0, 0x9f, 0x33, 0x66, 0x94,
            0x35, 0xe7, 0xef, 0x1b, 0xea, 0xed,
        ];
        assert_eq!(to_checksum_address(&raw), good);
    }
}
