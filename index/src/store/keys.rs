//! Key layouts. Components are joined with NUL, which cannot occur in URLs, handles or
//! site names, so a site's records form one contiguous, prefix-scannable range.

use super::records::IdentifierKind;
use crate::time::Timestamp;

const SEP: u8 = 0;

fn join(parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            key.push(SEP);
        }
        key.extend_from_slice(p);
    }
    key
}

pub fn site_prefix(site: &str) -> Vec<u8> {
    let mut k = site.as_bytes().to_vec();
    k.push(SEP);
    k
}

pub fn listing(site: &str, url: &str) -> Vec<u8> {
    join(&[site.as_bytes(), url.as_bytes()])
}

/// Handles are compared without case: markets do, and investigators type them either way.
pub fn vendor(site: &str, handle: &str) -> Vec<u8> {
    join(&[site.as_bytes(), handle.to_lowercase().as_bytes()])
}

/// One listing naming a vendor: the vendor's key, then the listing URL.
pub fn vendor_listing(site: &str, handle: &str, url: &str) -> Vec<u8> {
    let mut k = vendor_listings_prefix(site, handle);
    k.extend_from_slice(url.as_bytes());
    k
}

pub fn vendor_listings_prefix(site: &str, handle: &str) -> Vec<u8> {
    let mut k = vendor(site, handle);
    k.push(SEP);
    k
}

pub fn post(site: &str, url: &str, id: &str) -> Vec<u8> {
    join(&[site.as_bytes(), url.as_bytes(), id.as_bytes()])
}

pub fn page(site: &str, url: &str) -> Vec<u8> {
    join(&[site.as_bytes(), url.as_bytes()])
}

pub fn history_prefix(site: &str, url: &str) -> Vec<u8> {
    let mut k = join(&[site.as_bytes(), url.as_bytes()]);
    k.push(SEP);
    k
}

/// Time first (big-endian, so byte order is time order), then a sequence number that
/// keeps two events of the same second apart.
pub fn history(site: &str, url: &str, at: Timestamp, seq: u64) -> Vec<u8> {
    let mut k = history_prefix(site, url);
    k.extend_from_slice(&at.0.to_be_bytes());
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub fn identifier_prefix(kind: IdentifierKind, value: &str) -> Vec<u8> {
    let mut k = join(&[kind.as_str().as_bytes(), value.as_bytes()]);
    k.push(SEP);
    k
}

/// Identifier key: kind, value, then the record's own key, so one value's records are a
/// prefix range and re-applying a page rewrites the same keys.
pub fn identifier(kind: IdentifierKind, value: &str, record_key: &[u8]) -> Vec<u8> {
    let mut k = identifier_prefix(kind, value);
    k.extend_from_slice(record_key);
    k
}

pub fn parse_identifier_key(key: &[u8]) -> Option<(IdentifierKind, String)> {
    let mut parts = key.splitn(3, |b| *b == SEP);
    let kind = match parts.next()? {
        b"address" => IdentifierKind::Address,
        b"contact" => IdentifierKind::Contact,
        b"pgp" => IdentifierKind::PgpFingerprint,
        _ => return None,
    };
    let value = String::from_utf8(parts.next()?.to_vec()).ok()?;
    Some((kind, value))
}

/// A key as text for error messages.
pub fn printable(key: &[u8]) -> String {
    String::from_utf8_lossy(key).replace('\0', " / ")
}
