//! Onion service names: v3 names are checked (version byte and SHA3 checksum, per
//! rend-spec-v3), v2 names are reported as such because old mirrors and vendor PGP notes
//! still carry them and investigators link on them.
//!
//! Vendors write `[.]onion`, `(dot)onion` or ` punto onion` so that link scrapers miss
//! their mirrors; each of those separators is accepted and the value is the clean name.

use aho_corasick::AhoCorasick;
use sha3::{Digest, Sha3_256};
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnionVersion {
    V2,
    V3,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnionMatch {
    pub version: OnionVersion,
    /// Lower-case `<name>.onion`, without subdomains.
    pub value: String,
    pub start: usize,
    pub end: usize,
}

/// Separators vendors put before `onion`, longest first, all lower case.
const SEPARATORS: &[&str] = &[
    " [punto] ",
    " (punto) ",
    " [dot] ",
    " (dot) ",
    "[punto]",
    "(punto)",
    " punto ",
    "[dot]",
    "(dot)",
    "{dot}",
    " dot ",
    " [.] ",
    " (.) ",
    "[.]",
    "(.)",
    "{.}",
    " . ",
    ".",
];

fn finder() -> &'static AhoCorasick {
    static FINDER: OnceLock<AhoCorasick> = OnceLock::new();
    FINDER.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["onion"])
            .unwrap_or_else(|e| panic!("static onion pattern must build: {e}"))
    })
}

/// Every onion name in `text`, byte offsets into `text`.
pub fn find_onions(text: &str) -> Vec<OnionMatch> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    for m in finder().find_iter(text) {
        if b.get(m.end()).is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let Some(sep_len) = separator_before(b, m.start()) else {
            continue;
        };
        let name_end = m.start() - sep_len;
        let mut name_start = name_end;
        while name_start > 0 && is_base32(b[name_start - 1]) && name_end - name_start <= 56 {
            name_start -= 1;
        }
        if name_start > 0 && b[name_start - 1].is_ascii_alphanumeric() {
            continue;
        }
        let name = text[name_start..name_end].to_ascii_lowercase();
        let version = match name.len() {
            56 if valid_v3(&name) => OnionVersion::V3,
            16 => OnionVersion::V2,
            _ => continue,
        };
        found.push(OnionMatch {
            version,
            value: format!("{name}.onion"),
            start: name_start,
            end: m.end(),
        });
    }
    found
}

fn separator_before(b: &[u8], at: usize) -> Option<usize> {
    SEPARATORS.iter().map(|s| s.as_bytes()).find_map(|sep| {
        let start = at.checked_sub(sep.len())?;
        b[start..at].eq_ignore_ascii_case(sep).then_some(sep.len())
    })
}

fn is_base32(c: u8) -> bool {
    c.is_ascii_alphabetic() || (b'2'..=b'7').contains(&c)
}

/// RFC 4648 base32 (lower case, no padding) to bytes; `None` on a foreign character.
fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'a'..=b'z' => c - b'a',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// A v3 name is base32(pubkey ‖ checksum ‖ version) with version 3 and
/// checksum = SHA3-256(".onion checksum" ‖ pubkey ‖ version)[..2].
pub fn valid_v3(name: &str) -> bool {
    let Some(bytes) = base32_decode(name) else {
        return false;
    };
    if bytes.len() != 35 || bytes[34] != 3 {
        return false;
    }
    let mut h = Sha3_256::new();
    h.update(b".onion checksum");
    h.update(&bytes[..32]);
    h.update([3u8]);
    let digest = h.finalize();
    digest[..2] == bytes[32..34]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Tor Project's own onion service (a published, valid v3 name).
    pub const TORPROJECT: &str = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid";

    #[test]
    fn finds_v3_with_obfuscated_separators() {
        for (text, start) in [
            (format!("mirror: {TORPROJECT}.onion/login"), 8),
            (format!("espejo {TORPROJECT}[.]onion"), 7),
            (format!("({TORPROJECT} (dot) ONION)"), 1),
            (format!("{TORPROJECT} punto onion"), 0),
        ] {
            let found = find_onions(&text);
            assert_eq!(found.len(), 1, "{text}");
            assert_eq!(found[0].value, format!("{TORPROJECT}.onion"));
            assert_eq!(found[0].version, OnionVersion::V3);
            assert_eq!(found[0].start, start);
            assert_eq!(
                &text[found[0].end - 5..found[0].end].to_lowercase(),
                "onion"
            );
        }
    }

    #[test]
    fn rejects_bad_checksums_wrong_lengths_and_glued_names() {
        let mut broken = TORPROJECT.to_string();
        broken.replace_range(10..11, "q");
        assert!(find_onions(&format!("{broken}.onion")).is_empty());
        assert!(find_onions(&format!("x{TORPROJECT}.onion")).is_empty());
        assert!(find_onions(&format!("{TORPROJECT}.onions")).is_empty());
        assert!(find_onions("abcdefghij.onion and the onion router").is_empty());
    }

    #[test]
    fn v2_names_are_their_own_kind() {
        let found = find_onions("old: http://DreadDitevelidot.onion/");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].version, OnionVersion::V2);
        assert_eq!(found[0].value, "dreadditevelidot.onion");
        assert_eq!((found[0].start, found[0].end), (12, 34));
    }
}
