//! Reduces an HTML page to the text a reader sees, remembering where each character was.
//!
//! This is deliberately a small tokenizer rather than a DOM build: extraction only needs
//! the visible characters in document order, and a tokenizer can map each of them to its
//! byte offset in the page, which evidence needs and a DOM would lose. Scripts, styles,
//! templates, SVG, comments (IE conditional comments included) and the `<head>` (except
//! `<title>`) are dropped; `<noscript>` stays, because Tor users browse without scripts.
//! Block elements become line breaks, table cells tabs; runs of white space collapse to
//! one space except inside `<pre>` and `<textarea>`, where PGP key blocks live.

use super::entities;
use super::offsets::{MappedText, OffsetMap};
use std::borrow::Cow;

/// Elements whose content is never shown as text.
const HIDDEN_CONTENT: &[&str] = &[
    "script", "style", "template", "svg", "math", "iframe", "noembed", "noframes", "object",
];

/// Elements that start a new line in a browser's rendering (also used by the DOM's text).
pub(crate) const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "textarea",
    "tfoot",
    "thead",
    "title",
    "tr",
    "ul",
    "button",
    "label",
    "input",
];

/// Elements whose white space is kept as written.
const PREFORMATTED: &[&str] = &["pre", "textarea", "listing", "plaintext", "xmp"];

/// The visible text of `html` and the map from its bytes back to `html`'s bytes.
pub fn visible_text(html: &str) -> (String, OffsetMap) {
    let b = html.as_bytes();
    let mut out = MappedText::with_capacity(html.len() / 2);
    let mut i = 0;
    let mut pre_depth = 0u32;
    let mut in_head = false;
    let mut in_title = false;
    while i < b.len() {
        match b[i] {
            b'<' => match read_tag(html, i) {
                Markup::Skip(end) => i = end,
                Markup::Text => {
                    if !in_head || in_title {
                        out.push('<', i, i + 1);
                    }
                    i += 1;
                }
                Markup::Tag(tag) => {
                    let name = tag.name.as_str();
                    i = tag.end;
                    if !tag.closing && HIDDEN_CONTENT.contains(&name) && !tag.self_closing {
                        i = skip_past_close(html, i, name);
                        continue;
                    }
                    match name {
                        "head" => in_head = !tag.closing,
                        "body" => in_head = false,
                        "title" => in_title = !tag.closing,
                        _ => {}
                    }
                    if PREFORMATTED.contains(&name) {
                        pre_depth = if tag.closing {
                            pre_depth.saturating_sub(1)
                        } else {
                            pre_depth + 1
                        };
                    }
                    if name == "td" || name == "th" {
                        if !tag.closing {
                            separator(&mut out, '\t', tag.start, tag.end);
                        }
                    } else if BLOCK.contains(&name) {
                        separator(&mut out, '\n', tag.start, tag.end);
                    }
                }
            },
            _ if in_head && !in_title => {
                i = memchr::memchr(b'<', &b[i..]).map_or(b.len(), |p| i + p);
            }
            b'&' => match entities::decode(&html[i..]) {
                Some((c, used)) => {
                    push_text_char(&mut out, c, i, i + used, pre_depth > 0);
                    i += used;
                }
                None => {
                    out.push('&', i, i + 1);
                    i += 1;
                }
            },
            _ => {
                let next = memchr::memchr2(b'<', b'&', &b[i..]).map_or(b.len(), |p| i + p);
                for (off, c) in html[i..next].char_indices() {
                    let at = i + off;
                    push_text_char(&mut out, c, at, at + c.len_utf8(), pre_depth > 0);
                }
                i = next;
            }
        }
    }
    while matches!(out.last_char(), Some(' ' | '\n' | '\t')) {
        out.pop();
    }
    out.finish()
}

fn push_text_char(out: &mut MappedText, c: char, start: usize, end: usize, pre: bool) {
    if pre {
        if c != '\r' {
            out.push(c, start, end);
        }
    } else if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c') {
        if !matches!(out.last_char(), None | Some(' ' | '\n' | '\t')) {
            out.push(' ', start, end);
        }
    } else {
        out.push(c, start, end);
    }
}

/// Ends the current line (or cell) unless it is already ended.
fn separator(out: &mut MappedText, sep: char, start: usize, end: usize) {
    trim_trailing_space(out);
    match out.last_char() {
        None | Some('\n') => {}
        Some('\t') if sep == '\t' => {}
        Some('\t') => {
            out.pop();
            out.push(sep, start, end);
        }
        _ => out.push(sep, start, end),
    }
}

fn trim_trailing_space(out: &mut MappedText) {
    while out.last_char() == Some(' ') {
        out.pop();
    }
}

struct Tag {
    name: String,
    closing: bool,
    self_closing: bool,
    start: usize,
    end: usize,
}

enum Markup {
    /// A comment, doctype or processing instruction, skipped up to this offset.
    Skip(usize),
    /// A `<` that does not open markup: it is text.
    Text,
    Tag(Tag),
}

fn read_tag(html: &str, start: usize) -> Markup {
    let b = html.as_bytes();
    let rest = &b[start..];
    if rest.starts_with(b"<!--") {
        return Markup::Skip(
            memchr::memmem::find(&rest[4..], b"-->").map_or(b.len(), |p| start + 4 + p + 3),
        );
    }
    if matches!(rest.get(1), Some(b'!' | b'?')) {
        return Markup::Skip(memchr::memchr(b'>', rest).map_or(b.len(), |p| start + p + 1));
    }
    let closing = rest.get(1) == Some(&b'/');
    let name_start = start + 1 + usize::from(closing);
    let mut j = name_start;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-' || b[j] == b':') {
        j += 1;
    }
    if j == name_start || !b[name_start].is_ascii_alphabetic() {
        return Markup::Text;
    }
    let name = html[name_start..j].to_ascii_lowercase();
    let mut quote: Option<u8> = None;
    let mut k = j;
    while k < b.len() {
        match (quote, b[k]) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') if b[k - 1] == b'=' || b[k - 1].is_ascii_whitespace() => {
                quote = Some(b[k])
            }
            (None, b'>') => break,
            _ => {}
        }
        k += 1;
    }
    let end = (k + 1).min(b.len());
    Markup::Tag(Tag {
        self_closing: k > 0 && b.get(k - 1) == Some(&b'/'),
        name,
        closing,
        start,
        end,
    })
}

/// Skips the content of a raw-text element such as `<script>` up to its closing tag.
fn skip_past_close(html: &str, from: usize, name: &str) -> usize {
    let b = html.as_bytes();
    let mut at = from;
    while let Some(p) = memchr::memmem::find(&b[at..], b"</") {
        let s = at + p + 2;
        let matches = b.len() >= s + name.len()
            && b[s..s + name.len()].eq_ignore_ascii_case(name.as_bytes())
            && !b
                .get(s + name.len())
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if matches {
            return memchr::memchr(b'>', &b[s..]).map_or(b.len(), |q| s + q + 1);
        }
        at = s;
    }
    b.len()
}

/// Decodes a page's bytes to text. UTF-8 wins whenever the bytes are valid UTF-8, because
/// saved pages often carry a `<meta charset>` that lies; otherwise the BOM, then the meta
/// tag, then windows-1252 (what browsers assume for legacy Western pages) decide.
pub fn decode_bytes(bytes: &[u8]) -> (Cow<'_, str>, OffsetMap, &'static encoding_rs::Encoding) {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        if enc == encoding_rs::UTF_8 {
            if let Ok(s) = std::str::from_utf8(&bytes[bom_len..]) {
                let map = OffsetMap::Mapped {
                    ranges: (0..s.len())
                        .map(|i| ((i + bom_len) as u32, (i + bom_len + 1) as u32))
                        .collect(),
                };
                return (Cow::Borrowed(s), map, enc);
            }
        }
        return decode_with(enc, bytes, bom_len);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (Cow::Borrowed(s), OffsetMap::Identity, encoding_rs::UTF_8);
    }
    let declared = meta_charset(bytes).filter(|e| *e != encoding_rs::UTF_8);
    decode_with(declared.unwrap_or(encoding_rs::WINDOWS_1252), bytes, 0)
}

/// Decodes with `enc`, feeding one byte at a time so each output character knows exactly
/// which input bytes produced it.
fn decode_with(
    enc: &'static encoding_rs::Encoding,
    bytes: &[u8],
    skip: usize,
) -> (Cow<'static, str>, OffsetMap, &'static encoding_rs::Encoding) {
    let mut decoder = enc.new_decoder_without_bom_handling();
    let mut out = MappedText::with_capacity(bytes.len());
    let mut buf = String::with_capacity(16);
    let mut pending_start = skip;
    for i in skip..bytes.len() {
        buf.clear();
        let last = i + 1 == bytes.len();
        let _ = decoder.decode_to_string(&bytes[i..i + 1], &mut buf, last);
        if !buf.is_empty() {
            for c in buf.chars() {
                out.push(c, pending_start, i + 1);
            }
            pending_start = i + 1;
        }
    }
    let (s, map) = out.finish();
    (Cow::Owned(s), map, enc)
}

/// The encoding named by a `<meta charset>` or `http-equiv` tag in the first 2 KiB.
fn meta_charset(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(2048)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let at = memchr::memmem::find(&lower, b"charset=")? + 8;
    let label: Vec<u8> = lower[at..]
        .iter()
        .skip_while(|c| matches!(c, b'"' | b'\''))
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.'))
        .copied()
        .collect();
    encoding_rs::Encoding::for_label(&label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(html: &str) -> String {
        visible_text(html).0
    }

    #[test]
    fn scripts_styles_head_and_comments_are_not_text() {
        let html = "<html><head><title>Tienda</title><style>p{}</style><script>var a='<b>x</b>';</script></head>\
                    <body><!-- hidden --><p>Envío a <b>Lima</b></p><!--[if IE]>old<![endif]--><noscript>sin js</noscript></body></html>";
        assert_eq!(text(html), "Tienda\nEnvío a Lima\nsin js");
    }

    #[test]
    fn entities_decode_and_offsets_point_into_the_html() {
        let html = "<p>caf&eacute; &amp; m&aacute;s</p>";
        let (t, map) = visible_text(html);
        assert_eq!(t, "café & más");
        let e = t.find('é').unwrap_or(0);
        let (s, end) = map.source_span(e, e + 'é'.len_utf8());
        assert_eq!(&html[s..end], "&eacute;");
    }

    #[test]
    fn inline_tags_join_and_blocks_break() {
        assert_eq!(text("bc1q<span>abc</span>def<br>next"), "bc1qabcdef\nnext");
        assert_eq!(
            text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"),
            "a\tb\nc"
        );
    }

    #[test]
    fn preformatted_keeps_lines() {
        let html = "<pre>-----BEGIN\n  abc\r\n-----END</pre>";
        assert_eq!(text(html), "-----BEGIN\n  abc\n-----END");
        assert_eq!(text("<p>a \n\n  b</p>"), "a b");
    }

    #[test]
    fn stray_angle_brackets_and_unclosed_markup_are_survived() {
        assert_eq!(text("precio < 5 > 3"), "precio < 5 > 3");
        assert_eq!(text("<p>a<script>never closed"), "a");
        assert_eq!(text("<p title='a>b'>x</p>"), "x");
    }

    #[test]
    fn legacy_charsets_and_lying_meta() {
        let latin1 = b"<meta charset=\"iso-8859-1\"><p>Env\xedo a Per\xfa</p>";
        let (s, map, _) = decode_bytes(latin1);
        assert!(s.contains("Envío a Perú"));
        let i = s.find('í').unwrap_or(0);
        assert_eq!(map.source_span(i, i + 2), (33, 34));
        let lying = "<meta charset=\"windows-1251\"><p>Привет</p>".as_bytes();
        assert!(decode_bytes(lying).0.contains("Привет"));
        let undeclared = b"<p>Se\xf1or</p>";
        assert!(decode_bytes(undeclared).0.contains("Señor"));
    }
}
