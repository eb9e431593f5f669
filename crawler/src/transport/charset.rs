//! Which character encoding a page is in: byte-order mark, then the `Content-Type` header,
//! then a `<meta>` tag in the first 1024 bytes, then sniffing (valid UTF-8, else
//! windows-1252) — the order of the HTML standard, with encoding_rs's label table.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// Where the encoding came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CharsetSource {
    /// A byte-order mark at the start of the body.
    Bom,
    /// The `charset` parameter of `Content-Type`.
    Header,
    /// `<meta charset>` or `<meta http-equiv="Content-Type">`.
    Meta,
    /// Nothing declared: UTF-8 if the body is valid UTF-8, else windows-1252.
    Sniffed,
}

/// A page's encoding and how it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Charset {
    /// The WHATWG name (`UTF-8`, `windows-1252`, `Shift_JIS`, …).
    pub label: &'static str,
    pub source: CharsetSource,
    encoding: &'static Encoding,
}

impl Charset {
    fn new(encoding: &'static Encoding, source: CharsetSource) -> Charset {
        Charset {
            label: encoding.name(),
            source,
            encoding,
        }
    }

    /// The encoding, to decode the body with.
    pub fn encoding(&self) -> &'static Encoding {
        self.encoding
    }
}

/// Detect the encoding of `body` served with `content_type`.
pub fn detect(content_type: Option<&str>, body: &[u8]) -> Charset {
    if let Some((encoding, _)) = Encoding::for_bom(body) {
        return Charset::new(encoding, CharsetSource::Bom);
    }
    if let Some(encoding) = content_type.and_then(charset_param).and_then(for_label) {
        return Charset::new(encoding, CharsetSource::Header);
    }
    let head = &body[..body.len().min(1024)];
    if let Some(encoding) = meta_charset(head) {
        // A meta tag cannot declare UTF-16 (the bytes read so far were ASCII-compatible).
        let encoding = if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
            UTF_8
        } else if encoding == encoding_rs::X_USER_DEFINED {
            WINDOWS_1252
        } else {
            encoding
        };
        return Charset::new(encoding, CharsetSource::Meta);
    }
    let valid_utf8 = match std::str::from_utf8(body) {
        Ok(_) => true,
        // A body cut by a size limit may end inside a character.
        Err(e) => e.error_len().is_none(),
    };
    Charset::new(
        if valid_utf8 { UTF_8 } else { WINDOWS_1252 },
        CharsetSource::Sniffed,
    )
}

fn for_label(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label(
        label
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .as_bytes(),
    )
}

/// The `charset=` parameter of a `Content-Type` value.
fn charset_param(value: &str) -> Option<&str> {
    value.split(';').skip(1).find_map(|param| {
        let (name, val) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then_some(val.trim())
    })
}

/// The encoding declared by a `<meta>` tag in `head` (a simplified prescan).
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos + 5;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let rest = &tag[c + 7..];
            let rest = skip_ws(rest);
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = skip_ws(rest);
                let value: Vec<u8> = rest
                    .iter()
                    .copied()
                    .skip_while(|&b| b == b'"' || b == b'\'')
                    .take_while(|&b| {
                        !matches!(b, b'"' | b'\'' | b';' | b'/' | b'>') && !b.is_ascii_whitespace()
                    })
                    .collect();
                if let Some(encoding) = Encoding::for_label(&value) {
                    return Some(encoding);
                }
            }
        }
        from = end;
    }
    None
}

fn skip_ws(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &s[n..]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_wins_over_meta() {
        let c = detect(
            Some("text/html; charset=ISO-8859-1"),
            b"<meta charset=utf-8>",
        );
        assert_eq!(c.label, "windows-1252");
        assert_eq!(c.source, CharsetSource::Header);
    }

    #[test]
    fn meta_forms() {
        let c = detect(
            Some("text/html"),
            b"<html><head><META CHARSET=\"Shift_JIS\">",
        );
        assert_eq!((c.label, c.source), ("Shift_JIS", CharsetSource::Meta));
        let c = detect(
            None,
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\">",
        );
        assert_eq!((c.label, c.source), ("KOI8-R", CharsetSource::Meta));
        let c = detect(None, b"<meta charset='utf-16'>");
        assert_eq!(c.label, "UTF-8");
    }

    #[test]
    fn bom_and_sniffing() {
        let c = detect(Some("text/html; charset=latin1"), b"\xEF\xBB\xBFhola");
        assert_eq!((c.label, c.source), ("UTF-8", CharsetSource::Bom));
        let c = detect(None, "Perú, envío".as_bytes());
        assert_eq!((c.label, c.source), ("UTF-8", CharsetSource::Sniffed));
        let c = detect(None, b"Per\xfa");
        assert_eq!(
            (c.label, c.source),
            ("windows-1252", CharsetSource::Sniffed)
        );
        // Cut inside a two-byte character: still UTF-8.
        let c = detect(None, &"envío".as_bytes()[..4]);
        assert_eq!(c.label, "UTF-8");
    }
}
