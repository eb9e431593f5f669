//! Just enough DER to read and write the handful of RFC 3161 / CMS / X.509 structures
//! this crate needs.
//!
//! Why hand-written rather than `cms` + `x509-cert`: verification needs the *exact bytes*
//! the TSA hashed and signed (the eContent octets, the signed attributes, the signer
//! certificate), and a tiny reader that hands out borrowed slices of the input gives
//! them directly, with no re-encoding that could hide or "repair" a tampered token.
//! Only definite-length, single-byte-tag DER is accepted: anything else is reported as
//! malformed instead of being guessed at.

use crate::TimestampError;

pub(crate) const BOOLEAN: u8 = 0x01;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const OID: u8 = 0x06;
pub(crate) const UTC_TIME: u8 = 0x17;
pub(crate) const GENERALIZED_TIME: u8 = 0x18;
pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const SET: u8 = 0x31;

/// `[n]` context-specific, constructed (EXPLICIT tags and constructed IMPLICIT ones).
pub(crate) const fn ctx_cons(n: u8) -> u8 {
    0xa0 | n
}

/// `[n]` context-specific, primitive (IMPLICIT tags on primitive types).
pub(crate) const fn ctx_prim(n: u8) -> u8 {
    0x80 | n
}

/// One tag-length-value: `raw` is the whole encoding, `content` the value bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub raw: &'a [u8],
}

/// A cursor over a run of TLVs (the content of a SEQUENCE, SET, or a whole document).
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    /// Where we are, for error messages ("TSTInfo", "SignerInfo.signedAttrs", ...).
    what: &'static str,
}

pub(crate) fn malformed(what: &str, reason: impl std::fmt::Display) -> TimestampError {
    TimestampError::Malformed(format!("{what}: {reason}"))
}

fn tag_name(tag: u8) -> String {
    match tag {
        BOOLEAN => "BOOLEAN".into(),
        INTEGER => "INTEGER".into(),
        BIT_STRING => "BIT STRING".into(),
        OCTET_STRING => "OCTET STRING".into(),
        NULL => "NULL".into(),
        OID => "OBJECT IDENTIFIER".into(),
        UTC_TIME => "UTCTime".into(),
        GENERALIZED_TIME => "GeneralizedTime".into(),
        SEQUENCE => "SEQUENCE".into(),
        SET => "SET".into(),
        t if t & 0xc0 == 0x80 => format!("[{}]", t & 0x1f),
        t => format!("tag 0x{t:02x}"),
    }
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8], what: &'static str) -> Self {
        Reader { data, what }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// The next TLV, whatever its tag.
    pub fn read_any(&mut self) -> Result<Tlv<'a>, TimestampError> {
        let what = self.what;
        let (&tag, rest) = self
            .data
            .split_first()
            .ok_or_else(|| malformed(what, "ends too early"))?;
        if tag & 0x1f == 0x1f {
            return Err(malformed(what, "multi-byte tags are not used here"));
        }
        let (&first, rest) = rest
            .split_first()
            .ok_or_else(|| malformed(what, "truncated length"))?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else if first == 0x80 {
            return Err(malformed(
                what,
                "indefinite length (BER) where DER is required",
            ));
        } else {
            let n = usize::from(first & 0x7f);
            if n > 4 || rest.len() < n {
                return Err(malformed(what, "bad length"));
            }
            let (len_bytes, rest) = rest.split_at(n);
            if len_bytes.first() == Some(&0) {
                return Err(malformed(what, "non-minimal length (not DER)"));
            }
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return Err(malformed(what, "non-minimal length (not DER)"));
            }
            (len, rest)
        };
        if rest.len() < len {
            return Err(malformed(
                what,
                format!("{} claims {len} bytes, {} left", tag_name(tag), rest.len()),
            ));
        }
        let header = self.data.len() - rest.len();
        let raw = &self.data[..header + len];
        let content = &rest[..len];
        self.data = &rest[len..];
        Ok(Tlv { tag, content, raw })
    }

    /// The next TLV, which must carry `tag`.
    pub fn read(&mut self, tag: u8, field: &str) -> Result<Tlv<'a>, TimestampError> {
        let what = self.what;
        match self.peek_tag() {
            Some(t) if t == tag => self.read_any(),
            Some(t) => Err(malformed(
                what,
                format!("{field}: expected {}, found {}", tag_name(tag), tag_name(t)),
            )),
            None => Err(malformed(
                what,
                format!("{field}: missing (expected {})", tag_name(tag)),
            )),
        }
    }

    /// The next TLV if it carries `tag` (an OPTIONAL or DEFAULT field).
    pub fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, TimestampError> {
        if self.peek_tag() == Some(tag) {
            self.read_any().map(Some)
        } else {
            Ok(None)
        }
    }

    /// A nested reader over the content of the next TLV, which must carry `tag`.
    pub fn nested(&mut self, tag: u8, what: &'static str) -> Result<Reader<'a>, TimestampError> {
        let tlv = self.read(tag, what)?;
        Ok(Reader::new(tlv.content, what))
    }

    /// Trailing bytes after the last expected field mean someone else's structure.
    pub fn finish(&self) -> Result<(), TimestampError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(malformed(
                self.what,
                format!("{} unexpected trailing bytes", self.data.len()),
            ))
        }
    }
}

/// A whole document that must be exactly one TLV with `tag`.
pub(crate) fn single<'a>(
    data: &'a [u8],
    tag: u8,
    what: &'static str,
) -> Result<Tlv<'a>, TimestampError> {
    let mut r = Reader::new(data, what);
    let tlv = r.read(tag, what)?;
    r.finish()?;
    Ok(tlv)
}

/// The magnitude bytes of a non-negative INTEGER, without the sign-padding zero.
pub(crate) fn unsigned_integer<'a>(
    content: &'a [u8],
    what: &str,
) -> Result<&'a [u8], TimestampError> {
    match content {
        [] => Err(malformed(what, "empty INTEGER")),
        [b, ..] if b & 0x80 != 0 => Err(malformed(what, "negative INTEGER")),
        [0] => Ok(content),
        [0, rest @ ..] => Ok(rest),
        _ => Ok(content),
    }
}

pub(crate) fn integer_u64(content: &[u8], what: &str) -> Result<u64, TimestampError> {
    let magnitude = unsigned_integer(content, what)?;
    if magnitude.len() > 8 {
        return Err(malformed(what, "INTEGER too large"));
    }
    Ok(magnitude
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

pub(crate) fn oid(
    content: &[u8],
    what: &str,
) -> Result<const_oid::ObjectIdentifier, TimestampError> {
    const_oid::ObjectIdentifier::from_bytes(content)
        .map_err(|e| malformed(what, format!("bad OBJECT IDENTIFIER: {e}")))
}

/// The bytes of a BIT STRING with no unused bits (keys and signatures always are).
pub(crate) fn bit_string_bytes<'a>(
    content: &'a [u8],
    what: &str,
) -> Result<&'a [u8], TimestampError> {
    match content.split_first() {
        Some((0, rest)) => Ok(rest),
        Some(_) => Err(malformed(what, "BIT STRING with unused bits")),
        None => Err(malformed(what, "empty BIT STRING")),
    }
}

/// Encodes one TLV (DER, definite length).
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        // `len < 0x80` fits in a byte.
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = &bytes[skip..];
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// A non-negative INTEGER in minimal two's-complement form.
pub(crate) fn encode_u64(value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    let mut content = Vec::with_capacity(9);
    if bytes[skip] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(&bytes[skip..]);
    tlv(INTEGER, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_encode_minimally_and_round_trip() {
        assert_eq!(encode_u64(0), [2, 1, 0]);
        assert_eq!(encode_u64(0x7f), [2, 1, 0x7f]);
        assert_eq!(encode_u64(0x80), [2, 2, 0, 0x80]);
        assert_eq!(encode_u64(u64::MAX).len(), 11);
        for v in [0, 1, 0x7f, 0x80, 0xffff, 0x0123_4567_89ab_cdef, u64::MAX] {
            let enc = encode_u64(v);
            let t = single(&enc, INTEGER, "test").expect("one INTEGER");
            assert_eq!(integer_u64(t.content, "test").expect("fits"), v);
        }
    }

    #[test]
    fn long_lengths_round_trip() {
        for n in [0usize, 127, 128, 255, 256, 70_000] {
            let enc = tlv(OCTET_STRING, &vec![7u8; n]);
            let t = single(&enc, OCTET_STRING, "test").expect("one OCTET STRING");
            assert_eq!(t.content.len(), n);
            assert_eq!(t.raw, &enc[..]);
        }
    }

    #[test]
    fn rejects_ber_and_truncation() {
        assert!(single(&[0x30, 0x80, 0, 0], SEQUENCE, "t").is_err());
        assert!(single(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5], OCTET_STRING, "t").is_err());
        assert!(single(&[0x04, 0x05, 1, 2], OCTET_STRING, "t").is_err());
        assert!(single(&[0x04, 0x01, 1, 9], OCTET_STRING, "t").is_err());
        assert!(integer_u64(&[0xff], "t").is_err());
    }
}
