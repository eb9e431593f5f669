//! The parts of an X.509 certificate a timestamp check needs: who it names, its key,
//! its validity window, its extended key usage and key identifier.
//!
//! Chain building and revocation are deliberately out of scope (see the crate docs):
//! the certificate is used as the carrier of the TSA's public key, and its SHA-256
//! fingerprint is reported so a person can compare it with the one the TSA publishes.

use chrono::{DateTime, NaiveDate, Utc};
use const_oid::ObjectIdentifier;

use crate::der::{self, Reader};
use crate::oids;
use crate::TimestampError;

/// A certificate out of the token's `certificates` set, borrowed from the token DER.
pub(crate) struct Certificate<'a> {
    /// The whole certificate encoding (what fingerprints and ESS cert IDs hash).
    pub raw: &'a [u8],
    /// DER of the issuer Name (compared byte for byte with the SignerInfo's sid).
    pub issuer_raw: &'a [u8],
    pub serial: &'a [u8],
    pub subject_raw: &'a [u8],
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub key_algorithm: ObjectIdentifier,
    /// The AlgorithmIdentifier parameters (the named curve for EC keys).
    pub key_parameters: Option<ObjectIdentifier>,
    pub public_key: &'a [u8],
    pub subject_key_id: Option<&'a [u8]>,
    /// `None`: no extendedKeyUsage extension; `Some((critical, purposes))` otherwise.
    pub extended_key_usage: Option<(bool, Vec<ObjectIdentifier>)>,
}

impl<'a> Certificate<'a> {
    pub fn parse(raw: &'a [u8]) -> Result<Self, TimestampError> {
        let cert = der::single(raw, der::SEQUENCE, "Certificate")?;
        let mut c = Reader::new(cert.content, "Certificate");
        let mut tbs = c.nested(der::SEQUENCE, "TBSCertificate")?;
        let _ = tbs.optional(der::ctx_cons(0))?; // version
        let serial = tbs.read(der::INTEGER, "serialNumber")?.content;
        tbs.read(der::SEQUENCE, "signature")?;
        let issuer_raw = tbs.read(der::SEQUENCE, "issuer")?.raw;
        let mut validity = tbs.nested(der::SEQUENCE, "Certificate.validity")?;
        let not_before = read_time(&mut validity, "notBefore")?;
        let not_after = read_time(&mut validity, "notAfter")?;
        validity.finish()?;
        let subject_raw = tbs.read(der::SEQUENCE, "subject")?.raw;
        let mut spki = tbs.nested(der::SEQUENCE, "SubjectPublicKeyInfo")?;
        let mut alg = spki.nested(der::SEQUENCE, "SubjectPublicKeyInfo.algorithm")?;
        let key_algorithm = der::oid(alg.read(der::OID, "algorithm")?.content, "key algorithm")?;
        let key_parameters = match alg.optional(der::OID)? {
            Some(t) => Some(der::oid(t.content, "key parameters")?),
            None => None,
        };
        let public_key = der::bit_string_bytes(
            spki.read(der::BIT_STRING, "subjectPublicKey")?.content,
            "subjectPublicKey",
        )?;
        let _ = tbs.optional(der::ctx_prim(1))?; // issuerUniqueID
        let _ = tbs.optional(der::ctx_prim(2))?; // subjectUniqueID
        let mut subject_key_id = None;
        let mut extended_key_usage = None;
        if let Some(exts) = tbs.optional(der::ctx_cons(3))? {
            let mut outer = Reader::new(exts.content, "Certificate.extensions");
            let mut list = outer.nested(der::SEQUENCE, "Certificate.extensions")?;
            while !list.is_empty() {
                let mut ext = list.nested(der::SEQUENCE, "Extension")?;
                let id = der::oid(ext.read(der::OID, "extnID")?.content, "extnID")?;
                let critical = match ext.optional(der::BOOLEAN)? {
                    Some(b) => b.content != [0],
                    None => false,
                };
                let value = ext.read(der::OCTET_STRING, "extnValue")?.content;
                if id == oids::SUBJECT_KEY_ID {
                    subject_key_id = Some(
                        der::single(value, der::OCTET_STRING, "subjectKeyIdentifier")?.content,
                    );
                } else if id == oids::EXT_KEY_USAGE {
                    let seq = der::single(value, der::SEQUENCE, "extendedKeyUsage")?;
                    let mut r = Reader::new(seq.content, "extendedKeyUsage");
                    let mut purposes = Vec::new();
                    while !r.is_empty() {
                        purposes.push(der::oid(
                            r.read(der::OID, "KeyPurposeId")?.content,
                            "KeyPurposeId",
                        )?);
                    }
                    extended_key_usage = Some((critical, purposes));
                }
            }
        }
        Ok(Certificate {
            raw: cert.raw,
            issuer_raw,
            serial,
            subject_raw,
            not_before,
            not_after,
            key_algorithm,
            key_parameters,
            public_key,
            subject_key_id,
            extended_key_usage,
        })
    }
}

fn read_time(r: &mut Reader<'_>, field: &str) -> Result<DateTime<Utc>, TimestampError> {
    let t = r.read_any()?;
    match t.tag {
        der::UTC_TIME => parse_utc_time(t.content, field),
        der::GENERALIZED_TIME => parse_generalized_time(t.content, field),
        other => Err(der::malformed(
            "Certificate.validity",
            format!("{field}: tag 0x{other:02x} is not a time"),
        )),
    }
}

fn digits(s: &[u8], what: &str) -> Result<u32, TimestampError> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return Err(der::malformed(what, "time with non-digits"));
    }
    Ok(s.iter()
        .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0')))
}

fn build_time(
    year: i32,
    rest: &[u8],
    nanos: u32,
    what: &str,
) -> Result<DateTime<Utc>, TimestampError> {
    let field = |i: usize| digits(rest.get(i..i + 2).unwrap_or_default(), what);
    let date = NaiveDate::from_ymd_opt(year, field(0)?, field(2)?)
        .ok_or_else(|| der::malformed(what, "impossible date"))?;
    let time = date
        .and_hms_nano_opt(field(4)?, field(6)?, field(8)?, nanos)
        .ok_or_else(|| der::malformed(what, "impossible time of day"))?;
    Ok(time.and_utc())
}

/// UTCTime as DER requires it: `YYMMDDHHMMSSZ`, years 50..99 meaning 19xx (RFC 5280).
fn parse_utc_time(s: &[u8], what: &str) -> Result<DateTime<Utc>, TimestampError> {
    if s.len() != 13 || s.last() != Some(&b'Z') {
        return Err(der::malformed(what, "UTCTime not in YYMMDDHHMMSSZ form"));
    }
    let yy = digits(&s[..2], what)? as i32;
    let year = if yy >= 50 { 1900 + yy } else { 2000 + yy };
    build_time(year, &s[2..12], 0, what)
}

/// GeneralizedTime as DER requires it: `YYYYMMDDHHMMSS[.f+]Z` (RFC 3161 §2.4.2 allows the
/// fraction, without trailing zeros).
pub(crate) fn parse_generalized_time(
    s: &[u8],
    what: &str,
) -> Result<DateTime<Utc>, TimestampError> {
    let body = s
        .strip_suffix(b"Z")
        .ok_or_else(|| der::malformed(what, "GeneralizedTime must end in Z (UTC)"))?;
    if body.len() < 14 {
        return Err(der::malformed(what, "GeneralizedTime too short"));
    }
    let (main, fraction) = body.split_at(14);
    let nanos = match fraction {
        [] => 0,
        [b'.', f @ ..] if !f.is_empty() && f.len() <= 9 && f.last() != Some(&b'0') => {
            digits(f, what)? * 10u32.pow(9 - f.len() as u32)
        }
        _ => {
            return Err(der::malformed(
                what,
                "bad fraction of a second in GeneralizedTime",
            ))
        }
    };
    let year = digits(&main[..4], what)? as i32;
    build_time(year, &main[4..], nanos, what)
}

/// RFC 4514 rendering of a Name (most specific RDN first, like
/// `openssl x509 -nameopt RFC2253`), e.g. `CN=Example TSA,O=Example,C=PE`.
pub(crate) fn format_name(name_der: &[u8]) -> Result<String, TimestampError> {
    let seq = der::single(name_der, der::SEQUENCE, "Name")?;
    let mut rdns = Reader::new(seq.content, "Name");
    let mut parts = Vec::new();
    while !rdns.is_empty() {
        let mut set = rdns.nested(der::SET, "RelativeDistinguishedName")?;
        let mut atvs = Vec::new();
        while !set.is_empty() {
            let mut atv = set.nested(der::SEQUENCE, "AttributeTypeAndValue")?;
            let ty = der::oid(atv.read(der::OID, "type")?.content, "attribute type")?;
            let value = atv.read_any()?;
            let key = oids::attribute_short_name(&ty)
                .map(str::to_owned)
                .unwrap_or_else(|| ty.to_string());
            let text = match decode_string(value.tag, value.content) {
                Some(s) => escape_rfc4514(&s),
                None => format!("#{}", crate::hex(value.raw)),
            };
            atvs.push(format!("{key}={text}"));
        }
        parts.push(atvs.join("+"));
    }
    parts.reverse();
    Ok(parts.join(","))
}

fn decode_string(tag: u8, content: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, PrintableString, IA5String, NumericString, VisibleString
        0x0c | 0x13 | 0x16 | 0x12 | 0x1a => std::str::from_utf8(content).ok().map(str::to_owned),
        // TeletexString: in practice Latin-1.
        0x14 => Some(content.iter().map(|&b| char::from(b)).collect()),
        // BMPString: UTF-16BE.
        0x1e if content.len() % 2 == 0 => {
            let units: Vec<u16> = content
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        // UniversalString: UTF-32BE.
        0x1c if content.len() % 4 == 0 => content
            .chunks_exact(4)
            .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        _ => None,
    }
}

fn escape_rfc4514(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let last = s.chars().count().saturating_sub(1);
    for (i, ch) in s.chars().enumerate() {
        let special = matches!(ch, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (ch == '#' || ch == ' '))
            || (i == last && ch == ' ');
        if special {
            out.push('\\');
        }
        if ch == '\0' {
            out.push_str("\\00");
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_time_with_fraction() {
        let t = parse_generalized_time(b"20260310120000.5Z", "t").expect("valid");
        assert_eq!(t.to_rfc3339(), "2026-03-10T12:00:00.500+00:00");
        assert!(parse_generalized_time(b"20260310120000.50Z", "t").is_err());
        assert!(parse_generalized_time(b"20260310120000", "t").is_err());
        assert!(parse_generalized_time(b"20261310120000Z", "t").is_err());
    }

    #[test]
    fn utc_time_century() {
        let t = parse_utc_time(b"491231235959Z", "t").expect("valid");
        assert_eq!(t.to_rfc3339(), "2049-12-31T23:59:59+00:00");
        let t = parse_utc_time(b"500101000000Z", "t").expect("valid");
        assert_eq!(t.to_rfc3339(), "1950-01-01T00:00:00+00:00");
    }

    #[test]
    fn escapes_like_rfc4514() {
        assert_eq!(escape_rfc4514("a,b"), "a\\,b");
        assert_eq!(escape_rfc4514(" x "), "\\ x\\ ");
        assert_eq!(escape_rfc4514("#1"), "\\#1");
    }
}
