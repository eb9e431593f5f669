//! Case and accent folding with an offset map, so lexicon matches report raw offsets.

use crate::text::OffsetMap;

/// Lower-cases `c` and strips the diacritics of Latin letters: `Í` → `i`, `ñ` → `n`.
pub fn fold_char(c: char) -> char {
    let lower = if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        c.to_lowercase().next().unwrap_or(c)
    };
    match lower {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'è' | 'é' | 'ê' | 'ë' | 'ē' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ō' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

/// Folds a whole phrase (used on the lexicon side).
pub fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// Folds `text` for matching. ASCII text needs no copy: the matcher is case-insensitive
/// for ASCII, so only non-ASCII text is rewritten (with a map back to `text`).
pub fn fold_for_matching(text: &str) -> Option<(String, OffsetMap)> {
    if text.is_ascii() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut ranges = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let f = fold_char(c);
        let before = out.len();
        out.push(f);
        let range = (i as u32, (i + c.len_utf8()) as u32);
        ranges.extend(std::iter::repeat_n(range, out.len() - before));
    }
    Some((out, OffsetMap::Mapped { ranges }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_spanish_accents_and_case() {
        assert_eq!(fold("ENVÍO a Perú, Señor"), "envio a peru, senor");
        let (f, map) = fold_for_matching("Envío").unwrap();
        assert_eq!(f, "envio");
        assert_eq!(map.source_span(3, 4), (3, 5));
        assert!(fold_for_matching("ascii only").is_none());
    }
}
