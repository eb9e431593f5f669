//! HTML character references: the numeric forms and the named ones that occur on market
//! and forum pages (Latin-1, typography, currency). An unknown name is left as written,
//! which is what browsers do for names they do not know.

/// Decodes the reference starting at `s[0] == '&'`. Returns the character(s) and the
/// number of bytes consumed, or `None` when `s` does not start a reference.
pub fn decode(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    if b.len() < 3 || b[0] != b'&' {
        return None;
    }
    if b[1] == b'#' {
        let (digits_start, radix) = if matches!(b.get(2), Some(b'x') | Some(b'X')) {
            (3, 16)
        } else {
            (2, 10)
        };
        let mut end = digits_start;
        while end < b.len() && end - digits_start < 8 && (b[end] as char).is_digit(radix) {
            end += 1;
        }
        if end == digits_start {
            return None;
        }
        let n = u32::from_str_radix(&s[digits_start..end], radix).ok()?;
        let consumed = if b.get(end) == Some(&b';') {
            end + 1
        } else {
            end
        };
        let c = match n {
            0 => '\u{FFFD}',
            0x80..=0x9F => windows_1252_c1(n),
            _ => char::from_u32(n).unwrap_or('\u{FFFD}'),
        };
        return Some((c, consumed));
    }
    let mut end = 1;
    while end < b.len() && end < 12 && b[end].is_ascii_alphanumeric() {
        end += 1;
    }
    let name = &s[1..end];
    if b.get(end) == Some(&b';') {
        return named(name).map(|c| (c, end + 1));
    }
    // Browsers accept a few legacy names without ';' even when letters follow ("&nbspLima",
    // "AT&amp T"); accept the same so the text reads as a person saw it.
    LEGACY_NO_SEMICOLON
        .iter()
        .find(|legacy| name.starts_with(**legacy))
        .and_then(|legacy| named(legacy).map(|c| (c, 1 + legacy.len())))
}

const LEGACY_NO_SEMICOLON: &[&str] = &[
    "amp", "lt", "gt", "quot", "nbsp", "copy", "reg", "aacute", "eacute", "iacute", "oacute",
    "uacute", "ntilde", "Ntilde", "Aacute", "Eacute", "Iacute", "Oacute", "Uacute", "uuml",
    "iexcl", "iquest",
];

fn windows_1252_c1(n: u32) -> char {
    const TABLE: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    TABLE[(n - 0x80) as usize]
}

fn named(name: &str) -> Option<char> {
    let c = match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{A0}',
        "shy" => '\u{AD}',
        "zwnj" => '\u{200C}',
        "zwj" => '\u{200D}',
        "lrm" => '\u{200E}',
        "rlm" => '\u{200F}',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "thinsp" => '\u{2009}',
        "iexcl" => '¡',
        "iquest" => '¿',
        "cent" => '¢',
        "pound" => '£',
        "curren" => '¤',
        "yen" => '¥',
        "euro" => '€',
        "sect" => '§',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "plusmn" => '±',
        "micro" => 'µ',
        "para" => '¶',
        "middot" => '·',
        "laquo" => '«',
        "raquo" => '»',
        "ordf" => 'ª',
        "ordm" => 'º',
        "times" => '×',
        "divide" => '÷',
        "frac12" => '½',
        "frac14" => '¼',
        "frac34" => '¾',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "ldquo" => '“',
        "rdquo" => '”',
        "bdquo" => '„',
        "bull" => '•',
        "dagger" => '†',
        "larr" => '←',
        "rarr" => '→',
        "uarr" => '↑',
        "darr" => '↓',
        "harr" => '↔',
        "check" => '✓',
        "star" => '☆',
        "hearts" => '♥',
        "Aacute" => 'Á',
        "Eacute" => 'É',
        "Iacute" => 'Í',
        "Oacute" => 'Ó',
        "Uacute" => 'Ú',
        "aacute" => 'á',
        "eacute" => 'é',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "Agrave" => 'À',
        "Egrave" => 'È',
        "agrave" => 'à',
        "egrave" => 'è',
        "igrave" => 'ì',
        "ograve" => 'ò',
        "ugrave" => 'ù',
        "Acirc" => 'Â',
        "acirc" => 'â',
        "ecirc" => 'ê',
        "icirc" => 'î',
        "ocirc" => 'ô',
        "ucirc" => 'û',
        "Atilde" => 'Ã',
        "atilde" => 'ã',
        "otilde" => 'õ',
        "Ntilde" => 'Ñ',
        "ntilde" => 'ñ',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "auml" => 'ä',
        "euml" => 'ë',
        "iuml" => 'ï',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "yuml" => 'ÿ',
        "szlig" => 'ß',
        "Ccedil" => 'Ç',
        "ccedil" => 'ç',
        "Aring" => 'Å',
        "aring" => 'å',
        "AElig" => 'Æ',
        "aelig" => 'æ',
        "Oslash" => 'Ø',
        "oslash" => 'ø',
        "Scaron" => 'Š',
        "scaron" => 'š',
        "OElig" => 'Œ',
        "oelig" => 'œ',
        _ => return None,
    };
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_named_and_legacy_forms() {
        assert_eq!(decode("&#64;x"), Some(('@', 5)));
        assert_eq!(decode("&#x40;"), Some(('@', 6)));
        assert_eq!(decode("&#150;"), Some(('–', 6)));
        assert_eq!(decode("&iacute;a"), Some(('í', 8)));
        assert_eq!(decode("&nbspLima"), Some(('\u{A0}', 5)));
        assert_eq!(decode("&amp T"), Some(('&', 4)));
        assert_eq!(decode("&bogus;"), None);
        assert_eq!(decode("&copyright"), Some(('©', 5)));
    }
}
