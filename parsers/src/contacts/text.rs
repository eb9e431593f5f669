//! Byte-level helpers shared by the extractors.
//!
//! Everything the extractors look for (digits, `@`, separators, handles) is
//! ASCII, so they work on bytes rather than `char`s. Non-ASCII characters
//! still matter at the edges: an accented letter glued to a number makes it
//! part of a word (`Nº987654321`, `niño123`), while `»` or `→` separate a
//! label from its value. The helpers below step over whole UTF-8 sequences
//! to tell these apart, and never split a character, so every offset they
//! return is a valid `str` boundary.

/// How many bytes before a value a context word may stand ("near").
pub(super) const BACK_WINDOW: usize = 48;
/// How many bytes after a value a context word may stand ("987654321 (wsp)").
pub(super) const FWD_WINDOW: usize = 24;

/// ASCII letters, digits and `_`: the bytes of a word or a handle.
#[inline]
pub(super) fn is_ascii_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether a UTF-8 lead byte starts a character we treat as a letter.
///
/// Lead 0xC2 covers U+0080–U+00BF (Latin-1 punctuation: `«`, `»`, `¿`, `¡`,
/// `º`, `°`), 0xE2 covers U+2000–U+2FFF (dashes, arrows, bullets) and 4-byte
/// sequences are mostly emoji: none of these glue two tokens together.
/// Everything else (accented Latin, Cyrillic, CJK…) counts as a letter.
#[inline]
fn is_letter_lead(b: u8) -> bool {
    (0xC3..0xF0).contains(&b) && b != 0xE2
}

/// Length of the UTF-8 sequence led by `b` (1 for ASCII or a stray byte).
#[inline]
fn seq_len(b: u8) -> usize {
    match b {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// Index of the lead byte of the character that ends at `i` (exclusive).
#[inline]
fn lead_before(bytes: &[u8], i: usize) -> usize {
    let mut j = i - 1;
    while j > 0 && i - j < 4 && (0x80..0xC0).contains(&bytes[j]) {
        j -= 1;
    }
    j
}

/// End of the word (ASCII word bytes and non-ASCII letters) starting at `i`.
pub(super) fn word_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(&b) = bytes.get(i) {
        if is_ascii_word(b) {
            i += 1;
        } else if is_letter_lead(b) {
            i = (i + seq_len(b)).min(bytes.len());
        } else {
            break;
        }
    }
    i
}

/// Start of the word that ends at `i` (exclusive).
pub(super) fn word_start(bytes: &[u8], mut i: usize) -> usize {
    while i > 0 {
        let b = bytes[i - 1];
        if is_ascii_word(b) {
            i -= 1;
            continue;
        }
        if b < 0x80 {
            break;
        }
        let j = lead_before(bytes, i);
        if is_letter_lead(bytes[j]) {
            i = j;
        } else {
            break;
        }
    }
    i
}

/// Whether a word character ends right at `i`, gluing itself to what
/// starts there.
#[inline]
pub(super) fn glued_before(bytes: &[u8], i: usize) -> bool {
    if i == 0 {
        return false;
    }
    let b = bytes[i - 1];
    if b < 0x80 {
        is_ascii_word(b)
    } else {
        is_letter_lead(bytes[lead_before(bytes, i)])
    }
}

/// Whether a word character starts right at `i`.
#[inline]
pub(super) fn glued_after(bytes: &[u8], i: usize) -> bool {
    bytes
        .get(i)
        .is_some_and(|&b| is_ascii_word(b) || is_letter_lead(b))
}

/// A separator that may stand between a label and its value ("Telegram:
/// @x", "wsp → 987…", "Wickr/Telegram - x"). Returns its byte length and
/// whether it is a *strong* label (`:`, `=`, `>`, `→`, `»`), after which a
/// bare word is more likely a handle than prose. Newlines never separate a
/// label from its value: vendors put one contact per line.
pub(super) fn sep_at(bytes: &[u8], i: usize) -> Option<(usize, bool)> {
    let b = *bytes.get(i)?;
    match b {
        b' ' | b'\t' | b'-' | b'(' | b')' | b'[' | b']' | b'|' | b'/' | b',' | b'*' | b'"'
        | b'\'' => Some((1, false)),
        b':' | b'=' | b'>' => Some((1, true)),
        0xC2 if bytes.get(i + 1) == Some(&0xBB) => Some((2, true)),
        0xE2 => match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(0x86), Some(0x92)) => Some((3, true)),
            (Some(0x80), Some(0x93 | 0x94)) => Some((3, false)),
            _ => None,
        },
        _ => None,
    }
}

/// The separator (see [`sep_at`]) that ends at `i`, if any.
pub(super) fn sep_before(bytes: &[u8], i: usize) -> Option<(usize, bool)> {
    if i == 0 {
        return None;
    }
    let j = lead_before(bytes, i);
    match sep_at(bytes, j) {
        Some((len, strong)) if j + len == i => Some((len, strong)),
        _ => None,
    }
}

/// End of the run of bytes from `i` that satisfy `f`, at most `max` long.
#[inline]
pub(super) fn run_end(bytes: &[u8], mut i: usize, max: usize, f: impl Fn(u8) -> bool) -> usize {
    let stop = i.saturating_add(max).min(bytes.len());
    while i < stop && f(bytes[i]) {
        i += 1;
    }
    i
}

/// Start of the run of bytes ending at `i` that satisfy `f`, at most `max`.
#[inline]
pub(super) fn run_start(bytes: &[u8], mut i: usize, max: usize, f: impl Fn(u8) -> bool) -> usize {
    let stop = i.saturating_sub(max);
    while i > stop && f(bytes[i - 1]) {
        i -= 1;
    }
    i
}

/// Case-insensitive test that `pat` (ASCII, lower-case) occurs at `i`.
#[inline]
pub(super) fn has_at(bytes: &[u8], i: usize, pat: &[u8]) -> bool {
    bytes
        .get(i..i.saturating_add(pat.len()))
        .is_some_and(|s| s.eq_ignore_ascii_case(pat))
}

/// Case-insensitive test that `pat` (ASCII) ends exactly at `i`.
#[inline]
pub(super) fn has_before(bytes: &[u8], i: usize, pat: &[u8]) -> bool {
    i >= pat.len() && bytes[i - pat.len()..i].eq_ignore_ascii_case(pat)
}

/// Lower-cased copy of an ASCII slice. Callers only pass bytes they have
/// checked to be ASCII, so the result is exact.
pub(super) fn lower(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| char::from(b.to_ascii_lowercase()))
        .collect()
}

/// Upper-cased copy of an ASCII slice.
pub(super) fn upper(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| char::from(b.to_ascii_uppercase()))
        .collect()
}

/// Verbatim copy of an ASCII slice.
pub(super) fn ascii(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_step_over_accents_but_not_punctuation() {
        let s = "«teléfono» niño";
        let b = s.as_bytes();
        let start = s.find('t').unwrap_or(0);
        let end = word_end(b, start);
        assert_eq!(&s[start..end], "teléfono");
        assert_eq!(word_start(b, end), start);
        assert!(!glued_before(b, start));
        assert!(!glued_after(b, end));
        assert!(glued_before(b, s.len()));
    }

    #[test]
    fn separators_and_their_strength() {
        let s = "tg → x » y – z";
        let b = s.as_bytes();
        assert_eq!(sep_at(b, 3), Some((3, true)));
        assert_eq!(sep_before(b, 6), Some((3, true)));
        assert_eq!(sep_at(b, 9), Some((2, true)));
        assert_eq!(sep_at(b, 14), Some((3, false)));
        assert_eq!(sep_at(b, 0), None);
        assert_eq!(sep_at(b"\n", 0), None);
    }

    #[test]
    fn case_insensitive_probes() {
        assert!(has_at(b"HTTPS://t.me", 0, b"https://"));
        assert!(has_before(b"xx WWW.", 7, b"www."));
        assert!(!has_before(b"w.", 2, b"www."));
        assert_eq!(lower(b"AbC"), "abc");
        assert_eq!(upper(b"AbC"), "ABC");
    }
}
