//! Identifiers written as long hexadecimal strings: Session IDs, Tox IDs
//! and Jami IDs.
//!
//! Market text is full of hex (SHA-256 digests, PGP fingerprints, 40-hex
//! commit or key IDs), so each shape is pinned down exactly:
//!
//! * Session: `05` + 64 hex, 66 in all — distinctive enough to report
//!   without context;
//! * Tox: 76 hex whose last two bytes are the XOR of the first 36 taken in
//!   pairs — a checksum, so also reported without context;
//! * Jami: 40 hex, the same length as a SHA-1 or a PGP fingerprint, so only
//!   after a "jami" context word or as a `jami:` URI.
//!
//! The hex string must be a whole word: glued to more hex or to letters it
//! is part of something else.

use super::context;
use super::keywords::Ctx;
use super::platforms::Platform;
use super::text;
use super::{ContactKind, Sink};

/// Length of a Session ID in hex digits.
const SESSION_LEN: usize = 66;
/// Length of a Tox ID in hex digits.
const TOX_LEN: usize = 76;
/// Length of a Jami ID in hex digits.
const JAMI_LEN: usize = 40;

fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// Whether a 76-hex Tox ID carries a valid checksum: the XOR of its first
/// 36 bytes, two at a time, equals its last two bytes.
fn tox_checksum_ok(hex: &[u8]) -> bool {
    if hex.len() != TOX_LEN {
        return false;
    }
    let byte = |k: usize| (hex_val(hex[2 * k]) << 4) | hex_val(hex[2 * k + 1]);
    let mut sum = [0u8; 2];
    for k in 0..36 {
        sum[k % 2] ^= byte(k);
    }
    sum == [byte(36), byte(37)]
}

/// Examines the word `[ws, we)`, which holds at least one digit and one
/// other character, for a hex identifier.
pub(super) fn on_word(text: &str, ws: usize, we: usize, sink: &mut Sink) {
    let bytes = text.as_bytes();
    let w = &bytes[ws..we];
    if !matches!(w.len(), SESSION_LEN | TOX_LEN | JAMI_LEN) || !w.iter().all(u8::is_ascii_hexdigit)
    {
        return;
    }
    match w.len() {
        SESSION_LEN if w.starts_with(b"05") => {
            sink.push(
                ContactKind::Contact(Platform::Session),
                text::lower(w),
                ws,
                we,
            );
        }
        TOX_LEN if tox_checksum_ok(w) => {
            sink.push(ContactKind::Contact(Platform::Tox), text::upper(w), ws, we);
        }
        JAMI_LEN => {
            let uri = text::has_before(bytes, ws, b"jami:") && !text::glued_before(bytes, ws - 5);
            let start = if uri { ws - 5 } else { ws };
            let ctx = context::near_context(bytes, start, we, true);
            if uri || ctx == Some(Ctx::On(Platform::Jami)) {
                sink.push(
                    ContactKind::Contact(Platform::Jami),
                    text::lower(w),
                    start,
                    we,
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a Tox ID with a correct checksum from 36 bytes.
    fn make_tox(body: &[u8; 36]) -> String {
        let mut sum = [0u8; 2];
        for (k, b) in body.iter().enumerate() {
            sum[k % 2] ^= b;
        }
        body.iter()
            .chain(sum.iter())
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    #[test]
    fn tox_checksum() {
        let id = make_tox(&[0x5a; 36]);
        assert_eq!(id.len(), TOX_LEN);
        assert!(tox_checksum_ok(id.as_bytes()));
        let mut bad = id.into_bytes();
        bad[75] = if bad[75] == b'0' { b'1' } else { b'0' };
        assert!(!tox_checksum_ok(&bad));
    }

    #[test]
    fn session_needs_exact_length_and_prefix() {
        let id = format!("05{}", "ab12".repeat(16));
        let mut sink = Sink::default();
        on_word(&id, 0, id.len(), &mut sink);
        assert_eq!(sink.0.len(), 1);
        let other = format!("06{}", "ab12".repeat(16));
        on_word(&other, 0, other.len(), &mut sink);
        assert_eq!(sink.0.len(), 1);
    }
}
