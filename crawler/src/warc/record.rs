//! Building WARC records and their gzip members.
//!
//! Everything that ends up in a header line passes through [`header_name`] /
//! [`header_value`]: the values come from servers we do not trust, and one stray CR/LF would
//! let a page forge header lines of the evidence around it.

use std::borrow::Cow;

use data_encoding::{BASE32, HEXLOWER};
use sha2::{Digest, Sha256};

use super::gzip::Deflater;
use super::uri;

/// Which tools the files claim to conform to (WARC 1.1, section 6.3 warcinfo fields).
const CONFORMS_TO: &str =
    "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/";

/// A fresh `<urn:uuid:…>` (UUID version 4, RFC 9562) for WARC-Record-ID.
pub(super) fn new_record_id() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = HEXLOWER.encode(&b);
    let part = |r: std::ops::Range<usize>| h.get(r).unwrap_or("");
    Ok(format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    ))
}

/// `sha256:` + RFC 4648 base32 *with* padding, upper case.
///
/// The padding is not cosmetic: warcio compares the string literally when its length equals
/// its own padded base32 form (56 characters for SHA-256), and otherwise decodes a shorter
/// value as base64 — so unpadded base32 (52 characters) would fail its check.
pub(super) fn warc_digest(hash: &[u8]) -> String {
    format!("sha256:{}", BASE32.encode(hash))
}

/// Makes a header name safe: an RFC 9110 token, never empty. Anything else in a name could
/// start a continuation line or end the header block in a reader.
pub(super) fn header_name(name: &str) -> Option<Cow<'_, str>> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let is_tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.chars().all(is_tchar) {
        Some(Cow::Borrowed(name))
    } else {
        Some(Cow::Owned(
            name.chars()
                .map(|c| if is_tchar(c) { c } else { '_' })
                .collect(),
        ))
    }
}

/// Makes a header value safe to put on one line: CR, LF and NUL become spaces.
pub(super) fn header_value(value: &str) -> Cow<'_, str> {
    if value.contains(['\r', '\n', '\0']) {
        Cow::Owned(value.replace(['\r', '\n', '\0'], " "))
    } else {
        Cow::Borrowed(value)
    }
}

/// The header block of a WARC record, in the order given.
pub(super) struct WarcHead {
    buf: Vec<u8>,
}

impl WarcHead {
    pub(super) fn new(warc_type: &str) -> WarcHead {
        let mut buf = Vec::with_capacity(768);
        buf.extend_from_slice(b"WARC/1.1\r\n");
        let mut head = WarcHead { buf };
        head.field("WARC-Type", warc_type);
        head
    }

    pub(super) fn field(&mut self, name: &str, value: &str) -> &mut WarcHead {
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b": ");
        self.buf.extend_from_slice(header_value(value).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
        self
    }

    fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(b"\r\n");
        self.buf
    }
}

/// Compresses one record — head, block parts, and the closing CRLFCRLF — as one gzip member
/// appended to `out`. One member per record is what lets a reader seek straight to a capture.
pub(super) fn append_member(
    out: &mut Vec<u8>,
    deflater: &mut Deflater,
    head: WarcHead,
    block: &[&[u8]],
) -> std::io::Result<()> {
    let head = head.finish();
    let mut parts = Vec::with_capacity(block.len() + 2);
    parts.push(head.as_slice());
    parts.extend_from_slice(block);
    parts.push(b"\r\n\r\n");
    deflater.member(out, &parts)
}

/// The `warcinfo` record's block (`application/warc-fields`).
pub(super) fn warcinfo_block(software: &str) -> Vec<u8> {
    let software = if software.starts_with("centinela/") {
        Cow::Borrowed(software)
    } else {
        Cow::Owned(format!("centinela/{software}"))
    };
    format!(
        "software: {}\r\nformat: WARC File Format 1.1\r\nconformsTo: {CONFORMS_TO}\r\n",
        header_value(&software)
    )
    .into_bytes()
}

/// `Host` first (from the exchange's headers when it has one, else from the URI), then the
/// other request headers as sent.
pub(super) fn request_head(method: &str, uri: &str, headers: &[(String, String)]) -> Vec<u8> {
    let (uri_host, target) = uri::request_parts(uri);
    let method = header_name(method).unwrap_or(Cow::Borrowed("GET"));
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(format!("{method} {target} HTTP/1.1\r\n").as_bytes());
    let given_host = headers
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.as_str());
    if let Some(host) = given_host.or(uri_host) {
        push_header(&mut out, "Host", host);
    }
    for (name, value) in headers {
        if name.trim().eq_ignore_ascii_case("host") {
            continue;
        }
        if let Some(name) = header_name(name) {
            push_header(&mut out, &name, value);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The status line and headers of a response whose body is stored decoded.
///
/// The stored message must be self-consistent for replay: no `Content-Encoding` or
/// `Transfer-Encoding` for bytes that are no longer encoded, and a `Content-Length` equal to
/// what is stored. What was on the wire is kept in `X-Centinela-Original-*` headers, so the
/// evidence still says how the server sent it.
pub(super) fn response_head(
    status: u16,
    reason: &str,
    headers: &[(String, String)],
    body_len: usize,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(format!("HTTP/1.1 {status:03} {}\r\n", header_value(reason)).as_bytes());
    let mut content_encoding = Vec::new();
    let mut transfer_encoding = Vec::new();
    let mut content_length = Vec::new();
    for (name, value) in headers {
        let Some(name) = header_name(name) else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-encoding") {
            content_encoding.push(value.trim());
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding.push(value.trim());
        } else if name.eq_ignore_ascii_case("content-length") {
            content_length.push(value.trim());
        } else {
            push_header(&mut out, &name, value);
        }
    }
    let body_len = body_len.to_string();
    if !content_encoding.is_empty() {
        push_header(
            &mut out,
            "X-Centinela-Original-Content-Encoding",
            &content_encoding.join(", "),
        );
    }
    if !transfer_encoding.is_empty() {
        push_header(
            &mut out,
            "X-Centinela-Original-Transfer-Encoding",
            &transfer_encoding.join(", "),
        );
    }
    if content_length.iter().any(|v| *v != body_len) {
        push_header(
            &mut out,
            "X-Centinela-Original-Content-Length",
            &content_length.join(", "),
        );
    }
    push_header(&mut out, "Content-Length", &body_len);
    out.extend_from_slice(b"\r\n");
    out
}

fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(header_value(value).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// SHA-256 over several slices, as if they were one.
pub(super) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn record_ids_are_v4_uuids() {
        let a = new_record_id().unwrap();
        let b = new_record_id().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), "<urn:uuid:>".len() + 36);
        let uuid = &a["<urn:uuid:".len()..a.len() - 1];
        assert_eq!(&uuid[14..15], "4");
        assert!("89ab".contains(&uuid[19..20]));
    }

    #[test]
    fn digest_is_padded_base32() {
        // Python: base64.b32encode(hashlib.sha256(b"").digest())
        assert_eq!(
            warc_digest(&sha256(&[])),
            "sha256:4OYMIQUY7QOBJGX36TEJS35ZEQT24QPEMSNZGTFESWMRW6CSXBKQ===="
        );
    }

    #[test]
    fn hostile_headers_are_neutralised() {
        let head = response_head(
            200,
            "OK\r\nX-Injected: 1",
            &h(&[
                ("Set-Cookie", "a=b\r\n\r\n<html>fake body"),
                (" Bad Name:\r\n", "v"),
                ("", "nameless"),
                ("Content-Encoding", "gzip"),
                ("Content-Encoding", "br"),
                ("Transfer-Encoding", "chunked"),
                ("Content-Length", "40"),
            ]),
            100,
        );
        let text = String::from_utf8(head).unwrap();
        assert_eq!(
            text,
            "HTTP/1.1 200 OK  X-Injected: 1\r\n\
             Set-Cookie: a=b    <html>fake body\r\n\
             Bad_Name_: v\r\n\
             X-Centinela-Original-Content-Encoding: gzip, br\r\n\
             X-Centinela-Original-Transfer-Encoding: chunked\r\n\
             X-Centinela-Original-Content-Length: 40\r\n\
             Content-Length: 100\r\n\r\n"
        );
    }

    #[test]
    fn matching_content_length_is_not_flagged() {
        let text =
            String::from_utf8(response_head(404, "", &h(&[("content-length", "7")]), 7)).unwrap();
        assert_eq!(text, "HTTP/1.1 404 \r\nContent-Length: 7\r\n\r\n");
    }

    #[test]
    fn request_head_has_host_first() {
        let text = String::from_utf8(request_head(
            "GET",
            "http://example.com:8080/a?b=c#frag",
            &h(&[("User-Agent", "centinela"), ("host", "example.com:8080")]),
        ))
        .unwrap();
        assert_eq!(
            text,
            "GET /a?b=c HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: centinela\r\n\r\n"
        );
        let text = String::from_utf8(request_head("GET", "https://example.org", &[])).unwrap();
        assert_eq!(text, "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n");
    }

    #[test]
    fn warcinfo_names_centinela_once() {
        for given in ["0.3.1", "centinela/0.3.1"] {
            let block = String::from_utf8(warcinfo_block(given)).unwrap();
            assert!(
                block.starts_with("software: centinela/0.3.1\r\n"),
                "{block}"
            );
        }
    }
}
