//! Undoes the character-level tricks vendors use so that scrapers miss their wallets and
//! handles, while keeping every character's original position.
//!
//! What changes: zero-width characters, soft hyphens, word joiners and BOMs are dropped;
//! no-break and other Unicode spaces become a plain space; full-width ASCII (`１２３`,
//! `ｂｃ１ｑ`) becomes ASCII. Nothing else is touched: accents stay, because the Peru
//! lexicon and investigators read them. Splits with ordinary spaces and line breaks, and
//! `[.]`-style obfuscation, are the business of each extractor, which knows its own syntax.

use super::offsets::{MappedText, OffsetMap};

/// What a character becomes after de-obfuscation.
enum Fate {
    Keep,
    Drop,
    Replace(char),
}

fn fate(c: char) -> Fate {
    match c {
        '\u{00AD}'
        | '\u{034F}'
        | '\u{061C}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FE00}'..='\u{FE0F}' => Fate::Drop,
        '\u{00A0}'
        | '\u{1680}'
        | '\u{2000}'..='\u{200A}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}' => Fate::Replace(' '),
        '\u{2028}' | '\u{2029}' => Fate::Replace('\n'),
        '\u{FF01}'..='\u{FF5E}' => {
            char::from_u32(c as u32 - 0xFEE0).map_or(Fate::Keep, Fate::Replace)
        }
        _ => Fate::Keep,
    }
}

/// UTF-8 lead bytes of every character [`fate`] changes: a byte scan over this table
/// finds the (rare) texts that need rewriting without decoding the others.
const SUSPECT_LEAD: [bool; 256] = {
    let mut t = [false; 256];
    t[0xC2] = true; // U+00A0, U+00AD
    t[0xCD] = true; // U+034F
    t[0xD8] = true; // U+061C
    t[0xE1] = true; // U+115F, U+1160, U+1680, U+17B4, U+17B5, U+180E
    t[0xE2] = true; // U+2000..U+206F
    t[0xE3] = true; // U+3000
    t[0xEF] = true; // U+FE00..U+FEFF, U+FF01..U+FF5E
    t
};

fn needs_rewrite(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        SUSPECT_LEAD[c as usize]
            && text
                .get(i..)
                .and_then(|rest| rest.chars().next())
                .is_some_and(|ch| !matches!(fate(ch), Fate::Keep))
    })
}

/// De-obfuscates `text`. Returns the text unchanged (and an identity map) when there is
/// nothing to undo, the common case, found with one byte scan.
pub fn normalize(text: &str) -> (std::borrow::Cow<'_, str>, OffsetMap) {
    if !needs_rewrite(text) {
        return (std::borrow::Cow::Borrowed(text), OffsetMap::Identity);
    }
    let mut out = MappedText::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        match fate(c) {
            Fate::Keep => out.push(c, i, end),
            Fate::Drop => {}
            Fate::Replace(r) => out.push(r, i, end),
        }
    }
    let (s, map) = out.finish();
    (std::borrow::Cow::Owned(s), map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_untouched() {
        let (t, m) = normalize("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq");
        assert!(matches!(t, std::borrow::Cow::Borrowed(_)));
        assert!(matches!(m, OffsetMap::Identity));
    }

    #[test]
    fn zero_width_and_full_width_are_undone_with_offsets_kept() {
        let raw = "tel ９８７\u{200B}654 321";
        let (t, m) = normalize(raw);
        assert_eq!(t, "tel 987654 321");
        let start = t.find('9').unwrap_or(0);
        let (s, e) = m.source_span(start, t.len());
        assert_eq!(&raw[s..e], "９８７\u{200B}654 321");
    }

    #[test]
    fn accents_stay() {
        let (t, _) = normalize("envío a Perú\u{00A0}hoy");
        assert_eq!(t, "envío a Perú hoy");
    }
}
