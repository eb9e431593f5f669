//! Bitcoin-style base58 and base58check.
//!
//! Written by hand instead of pulling a crate because the scanner needs two
//! things crates rarely expose: a shared byte→digit table (the Monero codec and
//! the scanner's alphabet test reuse it) and a decoder that refuses oversized
//! input before doing quadratic work on it.

use sha2::{Digest, Sha256};

/// The 58 symbols, in value order. `0`, `O`, `I` and `l` are left out so that
/// hand-copied addresses cannot confuse them, which is also why prose words
/// containing them can be rejected without decoding.
pub const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Marks bytes that are not base58 symbols in [`DIGITS`].
pub(super) const NOT_BASE58: u8 = 0xff;

/// Byte → digit value, or [`NOT_BASE58`]. A table keeps the alphabet test to
/// one load per byte, which matters because every candidate is screened first.
pub(super) static DIGITS: [u8; 256] = build_digits();

const fn build_digits() -> [u8; 256] {
    let mut table = [NOT_BASE58; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
}

/// Input longer than this is refused: nothing we validate is longer, and the
/// schoolbook conversion below is quadratic in the input length.
const MAX_DECODE_CHARS: usize = 4096;

/// True when every byte of `s` is a base58 symbol.
pub fn is_base58(s: &[u8]) -> bool {
    s.iter().all(|&b| DIGITS[b as usize] != NOT_BASE58)
}

/// Decodes base58 text into bytes; each leading `1` stands for one zero byte.
/// Returns `None` for foreign characters or oversized input.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    let input = s.as_bytes();
    if input.len() > MAX_DECODE_CHARS {
        return None;
    }
    let zeros = input.iter().take_while(|&&b| b == b'1').count();
    // log(58)/log(256) ≈ 0.733, so this many bytes always suffice.
    let mut num: Vec<u8> = vec![0; input.len() * 733 / 1000 + 1];
    let mut used = 0usize;
    for &ch in &input[zeros..] {
        let digit = DIGITS[ch as usize];
        if digit == NOT_BASE58 {
            return None;
        }
        let mut carry = u32::from(digit);
        let mut k = 0;
        // `num` holds the value little-endian; only its `used` low bytes are non-zero.
        for byte in num.iter_mut() {
            if carry == 0 && k >= used {
                break;
            }
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
            k += 1;
        }
        used = used.max(k);
    }
    let mut out = vec![0u8; zeros];
    out.extend(num[..used].iter().rev());
    Some(out)
}

/// Encodes bytes as base58; each leading zero byte becomes one `1`.
pub fn encode(bytes: &[u8]) -> String {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    // log(256)/log(58) ≈ 1.366.
    let mut digits: Vec<u8> = vec![0; bytes.len() * 138 / 100 + 1];
    let mut used = 0usize;
    for &byte in &bytes[zeros..] {
        let mut carry = u32::from(byte);
        let mut k = 0;
        for digit in digits.iter_mut() {
            if carry == 0 && k >= used {
                break;
            }
            carry += u32::from(*digit) << 8;
            *digit = (carry % 58) as u8;
            carry /= 58;
            k += 1;
        }
        used = used.max(k);
    }
    let mut out = String::with_capacity(zeros + used);
    out.push_str(&"1".repeat(zeros));
    out.extend(
        digits[..used]
            .iter()
            .rev()
            .map(|&d| char::from(ALPHABET[d as usize])),
    );
    out
}

/// First four bytes of SHA-256(SHA-256(payload)): the base58check checksum.
pub(super) fn checksum(payload: &[u8]) -> [u8; 4] {
    let twice = Sha256::digest(Sha256::digest(payload));
    [twice[0], twice[1], twice[2], twice[3]]
}

/// Decodes base58check text and returns the payload (version bytes included,
/// checksum removed) only when the checksum matches.
pub fn decode_check(s: &str) -> Option<Vec<u8>> {
    let mut raw = decode(s)?;
    if raw.len() < 5 {
        return None;
    }
    let split = raw.len() - 4;
    if checksum(&raw[..split]) != raw[split..] {
        return None;
    }
    raw.truncate(split);
    Some(raw)
}

/// Encodes `payload` (version bytes included) with its base58check checksum.
pub fn encode_check(payload: &[u8]) -> String {
    let mut raw = Vec::with_capacity(payload.len() + 4);
    raw.extend_from_slice(payload);
    raw.extend_from_slice(&checksum(payload));
    encode(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_leading_zeros() {
        let data = [0u8, 0, 1, 2, 255, 0, 7];
        let text = encode(&data);
        assert!(text.starts_with("11"));
        assert_eq!(decode(&text), Some(data.to_vec()));
    }

    #[test]
    fn rejects_foreign_characters() {
        assert_eq!(decode("0OIl"), None);
        assert_eq!(decode("abc!"), None);
    }

    #[test]
    fn checksum_detects_change() {
        let text = encode_check(&[0u8; 21]);
        assert_eq!(text, "1111111111111111111114oLvT2");
        assert!(decode_check(&text).is_some());
        assert!(decode_check("1111111111111111111114oLvT3").is_none());
    }
}
