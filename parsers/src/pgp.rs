//! Armored OpenPGP public key blocks, reduced to the fingerprints of the keys they carry.
//!
//! A vendor's PGP key is the most durable identity on a market: handles change, keys
//! rarely do. Blocks on saved pages are often damaged by the page itself (lines joined by
//! HTML white-space collapsing, headers run into the body, `<br>` line breaks), so the
//! armor is read leniently here: the base64 body is recovered from whatever survives,
//! and the packets are then parsed strictly by rPGP, so only a real key yields a
//! fingerprint.

use memchr::memmem;
use pgp::composed::PublicOrSecret;
use pgp::types::KeyDetails;

const BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
const END: &str = "-----END PGP PUBLIC KEY BLOCK-----";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgpKeyMatch {
    /// Upper-case hex fingerprint of a primary key (40 characters for v4 keys).
    pub fingerprint: String,
    /// The whole armored block, from `-----BEGIN` to the end of `-----END…-----`.
    pub start: usize,
    pub end: usize,
}

/// Every public key in every armored block of `text`; a block holding several keys (a
/// keyring export) yields one match per primary key, all with the block's span.
pub fn find_pgp_keys(text: &str) -> Vec<PgpKeyMatch> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(p) = memmem::find(&text.as_bytes()[from..], BEGIN.as_bytes()) {
        let start = from + p;
        let body_start = start + BEGIN.len();
        let Some(q) = memmem::find(&text.as_bytes()[body_start..], END.as_bytes()) else {
            break;
        };
        let end = body_start + q + END.len();
        for fingerprint in fingerprints(&text[body_start..body_start + q]) {
            found.push(PgpKeyMatch {
                fingerprint,
                start,
                end,
            });
        }
        from = end;
    }
    found
}

/// The fingerprints of the primary public keys in an armor body (the text between the
/// BEGIN and END lines). Unparseable data yields none.
pub fn fingerprints(armor_body: &str) -> Vec<String> {
    let Some(bytes) = base64_decode(payload(armor_body)) else {
        return Vec::new();
    };
    let Ok((keys, _)) = PublicOrSecret::from_reader_many(std::io::Cursor::new(bytes)) else {
        return Vec::new();
    };
    keys.filter_map(Result::ok)
        .filter_map(|k| match k {
            PublicOrSecret::Public(key) => Some(format!("{:X}", key.fingerprint())),
            PublicOrSecret::Secret(_) => None,
        })
        .collect()
}

/// The base64 part of an armor body: after the headers, before the `=CRC` line.
fn payload(body: &str) -> String {
    let lines: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = String::with_capacity(body.len());
    if lines.len() >= 3 {
        // Line structure survived. Headers ("Version: GnuPG v1.4.12") come first; the
        // blank line after them is often lost on web pages, so they are recognised by
        // their shape: base64 lines never contain ": ".
        for l in lines.iter().skip_while(|l| is_header(l)) {
            if l.starts_with('=') && l.len() <= 6 {
                break;
            }
            out.push_str(l);
        }
        return out;
    }
    // Damaged: everything on one line. Headers are `Key: value` pairs whose values are
    // short words; the body starts at the first long run of base64 characters.
    let tokens: Vec<&str> = body.split_whitespace().collect();
    let first = tokens
        .iter()
        .position(|t| t.len() >= 24 && t.bytes().all(is_base64))
        .unwrap_or(tokens.len());
    for t in &tokens[first..] {
        if t.starts_with('=') && t.len() <= 6 {
            break;
        }
        out.push_str(t);
    }
    out
}

/// An armor header line: `Name: value`, the name letters, digits and dashes.
fn is_header(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(name, _)| {
        !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
    })
}

fn is_base64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')
}

/// Standard base64, ignoring anything outside the alphabet (HTML leftovers).
fn base64_decode(s: String) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ed25519 v4 key generated for these tests (`gpg --quick-gen-key`, user id
    /// "Test Vendor <vendor@example.invalid>").
    pub const KEY: &str = include_str!("../tests/data/test-key.asc");
    pub const FINGERPRINT: &str = include_str!("../tests/data/test-key.fpr");

    #[test]
    fn well_formed_block() {
        let text = format!("Mi llave:\n{KEY}\nGracias");
        let found = find_pgp_keys(&text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].fingerprint, FINGERPRINT.trim());
        assert_eq!(found[0].start, 10);
        assert!(text[..found[0].end].ends_with(END));
    }

    #[test]
    fn block_flattened_by_html_white_space() {
        let flat = KEY.split_whitespace().collect::<Vec<_>>().join(" ");
        let found = find_pgp_keys(&flat);
        assert_eq!(found.len(), 1, "{flat}");
        assert_eq!(found[0].fingerprint, FINGERPRINT.trim());
    }

    #[test]
    fn garbage_between_markers_is_not_a_key() {
        let text = format!("{BEGIN}\n\nnot a key at all just words in the armor\n{END}");
        assert!(find_pgp_keys(&text).is_empty());
        // One character changed inside the public-key packet (the first body line): the
        // original fingerprint must not be reported for what is now another key.
        let at = KEY.find("mDMEaw").unwrap_or(0) + 30;
        let mut damaged = KEY.to_string();
        let swap = if &KEY[at..at + 1] == "A" { "B" } else { "A" };
        damaged.replace_range(at..at + 1, swap);
        assert!(find_pgp_keys(&damaged)
            .iter()
            .all(|m| m.fingerprint != FINGERPRINT.trim()));
    }

    #[test]
    fn headers_without_the_blank_line_after_them() {
        // Web pages drop the empty line between the armor headers and the body.
        let squeezed: String = KEY
            .lines()
            .filter(|l| !l.is_empty())
            .flat_map(|l| [l, "\n"])
            .collect();
        let with_header = squeezed.replacen(
            "-----\n",
            "-----\nVersion: GnuPG v1.4.12 (MingW32)\nComment: https://example.invalid/key\n",
            1,
        );
        let found = find_pgp_keys(&with_header);
        assert_eq!(found.len(), 1, "{with_header}");
        assert_eq!(found[0].fingerprint, FINGERPRINT.trim());
    }

    #[test]
    fn keyring_block_yields_every_primary_key() {
        let ring = include_str!("../tests/data/test-keyring.asc");
        let found: Vec<String> = find_pgp_keys(ring)
            .into_iter()
            .map(|m| m.fingerprint)
            .collect();
        assert_eq!(
            found,
            vec![
                FINGERPRINT.trim().to_string(),
                include_str!("../tests/data/test-key-rsa.fpr")
                    .trim()
                    .to_string()
            ]
        );
    }
}
