//! RFC 3161 trusted timestamps for evidence bundles.
//!
//! A bundle's Ed25519 signature proves *who* exported it, but the exporting unit's own
//! clock says *when*. A timestamp token from an independent Time-Stamping Authority (TSA)
//! binds the manifest's SHA-256 to a time the unit cannot back-date, which is what a
//! defence lawyer will ask about. This crate does the three steps that need no network:
//!
//! - [`request`] builds the DER `TimeStampReq` to POST to a TSA
//!   (`Content-Type: application/timestamp-query`).
//! - [`parse_response`] reads the DER `TimeStampResp` (`application/timestamp-reply`),
//!   turns a refusal into an error naming the PKIStatus and failure info, and returns the
//!   [`Token`]: the raw token (a CMS `ContentInfo`, to be stored in the bundle, e.g. as
//!   `manifest.tsr`) and its decoded `TSTInfo`.
//! - [`verify`] checks a stored token against the digest it should cover, on our own:
//!   the imprint, the CMS signed attributes (content type and message digest of the
//!   TSTInfo), the ESS signing-certificate binding, the signer certificate's
//!   `timeStamping` purpose and validity at `genTime`, and the signature (RSA PKCS#1 v1.5
//!   or ECDSA P-256/P-384, with SHA-256/384/512).
//!
//! What [`verify`] does **not** do is decide whether the TSA is one to trust: it does not
//! build or validate a certificate chain to a trust anchor, nor check revocation. It
//! reports the signer certificate's subject and SHA-256 fingerprint ([`Verified::signer`])
//! so an investigator or a court expert can compare them with what the TSA publishes, and
//! exposes the certificate DER for an external chain check (`openssl ts -verify -CAfile`
//! does one; this crate's tests use it as the cross-check).
//!
//! The HTTP exchange with a TSA is left to the caller, so that the project's transport
//! rules (see `crawler::transport`) stay in one place. With the `testing` feature,
//! `testing` provides a throw-away OpenSSL TSA and a loopback-only HTTP front for it.
//! The nonce is the caller's too (draw it from the OS RNG, e.g. `getrandom`), so this
//! crate needs no randomness.
//!
//! ```no_run
//! # fn post_to_tsa(_: &[u8]) -> Vec<u8> { unimplemented!() }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let (manifest_sha256, nonce) = ([0u8; 32], 1u64);
//! // Exporting: timestamp the manifest's SHA-256 and keep the token beside it.
//! let reply = post_to_tsa(&centinela_timestamp::request(&manifest_sha256, nonce));
//! let token = centinela_timestamp::parse_response(&reply)?;
//! centinela_timestamp::verify(&token.der, &manifest_sha256, Some(nonce))?;
//! std::fs::write("bundle/manifest.tsr", &token.der)?;
//!
//! // Verifying a bundle later: no nonce to compare any more, only the digest.
//! let stored = std::fs::read("bundle/manifest.tsr")?;
//! let checked = centinela_timestamp::verify(&stored, &manifest_sha256, None)?;
//! println!(
//!     "timestamped {} by {} (SHA-256 {})",
//!     checked.tst_info.gen_time_rfc3339(),
//!     checked.signer.subject,
//!     checked.signer.sha256_fingerprint
//! );
//! # Ok(()) }
//! ```

mod cert;
mod der;
mod oids;
#[cfg(feature = "testing")]
pub mod testing;

use chrono::{DateTime, SecondsFormat, Utc};
use const_oid::ObjectIdentifier;
use serde::Serialize;
use sha2::Digest;

use crate::cert::Certificate;
use crate::der::Reader;

/// Why a timestamp could not be obtained, read or trusted. Each variant names the check
/// that failed, so a verification report can say what exactly is wrong with a token.
#[derive(Debug, thiserror::Error)]
pub enum TimestampError {
    /// The bytes are not the DER structure they should be (or were cut short).
    #[error("malformed timestamp data: {0}")]
    Malformed(String),
    /// The TSA answered, but with a status other than granted / grantedWithMods.
    #[error("the TSA did not grant the timestamp: status {status}{}{}",
        fmt_failure_info(.failure_info), fmt_status_text(.status_text))]
    NotGranted {
        status: PkiStatus,
        /// Names of the PKIFailureInfo bits set (`badAlg`, `badRequest`, ...).
        failure_info: Vec<String>,
        /// The PKIFreeText strings, as sent.
        status_text: Vec<String>,
    },
    /// Status granted, but no token in the response.
    #[error("the TSA granted the request but its response holds no timestamp token")]
    MissingToken,
    /// An algorithm this crate does not verify (e.g. RSA-PSS, SHA-1 signatures).
    #[error("unsupported {what}: {oid}")]
    Unsupported { what: &'static str, oid: String },
    /// The token's content (or its content-type attribute) is not a TSTInfo.
    #[error("the token's {what} is {found}, not id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4)")]
    NotTstInfo { what: &'static str, found: String },
    /// A signed attribute RFC 3161 / RFC 5652 requires is absent or duplicated.
    #[error("the signer's signed attributes: {0}")]
    SignedAttributes(String),
    /// The message-digest attribute does not match the encapsulated TSTInfo: the TSTInfo
    /// was altered after signing.
    #[error("the message-digest signed attribute does not match the {algorithm} of the encapsulated TSTInfo (the TSTInfo was altered)")]
    MessageDigestMismatch { algorithm: &'static str },
    /// No certificate in the token matches the SignerInfo's identifier.
    #[error(
        "the token holds no certificate matching its signer (was the request sent with certReq?)"
    )]
    SignerCertificateMissing,
    /// The signer certificate is unfit to sign timestamps or does not match the token.
    #[error("the signer certificate: {0}")]
    SignerCertificate(String),
    /// The signature over the signed attributes does not verify with the signer's key.
    #[error("the TSA's signature ({algorithm}) does not verify: the token was altered or signed with another key")]
    BadSignature { algorithm: String },
    /// The token timestamps a digest made with another hash than SHA-256.
    #[error("the token's message imprint uses {found}, not SHA-256")]
    ImprintAlgorithm { found: String },
    /// The token timestamps other data than the caller's.
    #[error("the token timestamps SHA-256 {found}, not the expected {expected}")]
    ImprintMismatch { expected: String, found: String },
    /// The token does not answer our request (replay of another response).
    #[error("the token's nonce is {}, not the expected {expected:#x}",
        .found.as_deref().map_or_else(|| "absent".to_owned(), |n| format!("0x{n}")))]
    NonceMismatch {
        expected: u64,
        /// Lower-case hex of the token's nonce, if it has one.
        found: Option<String>,
    },
}

fn fmt_failure_info(info: &[String]) -> String {
    if info.is_empty() {
        String::new()
    } else {
        format!("; failure info: {}", info.join(", "))
    }
}

fn fmt_status_text(text: &[String]) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("; text: {:?}", text.join(" "))
    }
}

/// RFC 3161 PKIStatus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PkiStatus {
    Granted,
    GrantedWithMods,
    Rejection,
    Waiting,
    RevocationWarning,
    RevocationNotification,
    /// A value RFC 3161 does not define.
    Other(u64),
}

impl PkiStatus {
    fn from_code(code: u64) -> Self {
        match code {
            0 => Self::Granted,
            1 => Self::GrantedWithMods,
            2 => Self::Rejection,
            3 => Self::Waiting,
            4 => Self::RevocationWarning,
            5 => Self::RevocationNotification,
            n => Self::Other(n),
        }
    }

    /// The integer on the wire.
    pub fn code(self) -> u64 {
        match self {
            Self::Granted => 0,
            Self::GrantedWithMods => 1,
            Self::Rejection => 2,
            Self::Waiting => 3,
            Self::RevocationWarning => 4,
            Self::RevocationNotification => 5,
            Self::Other(n) => n,
        }
    }
}

impl std::fmt::Display for PkiStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::Granted => "granted",
            Self::GrantedWithMods => "grantedWithMods",
            Self::Rejection => "rejection",
            Self::Waiting => "waiting",
            Self::RevocationWarning => "revocationWarning",
            Self::RevocationNotification => "revocationNotification",
            Self::Other(_) => "unknown",
        };
        write!(f, "{name} ({})", self.code())
    }
}

/// What was timestamped: a hash algorithm and the digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageImprint {
    /// Dotted OID of the hash algorithm (`2.16.840.1.101.3.4.2.1` for SHA-256).
    pub algorithm: String,
    /// `SHA-256` etc., when the algorithm is one we know.
    pub algorithm_name: Option<&'static str>,
    #[serde(serialize_with = "serialize_hex")]
    pub digest: Vec<u8>,
}

/// The TSA's claimed accuracy of `gen_time` (RFC 3161 `Accuracy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Accuracy {
    pub seconds: u64,
    pub millis: u64,
    pub micros: u64,
}

/// The decoded `TSTInfo`: what the TSA asserts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TstInfo {
    pub version: u64,
    /// Dotted OID of the TSA policy under which the token was issued.
    pub policy: String,
    pub imprint: MessageImprint,
    /// Serial number, lower-case hex without leading zeros (unique per TSA).
    pub serial: String,
    /// The time the TSA asserts (UTC; serialises as RFC 3339).
    pub gen_time: DateTime<Utc>,
    pub accuracy: Option<Accuracy>,
    pub ordering: bool,
    /// The nonce echoed from the request, lower-case hex without leading zeros.
    pub nonce: Option<String>,
    /// The TSA's name, if it put one in (a directory name renders as an RFC 4514 DN,
    /// other GeneralName forms as `DNS:`, `URI:`, `email:`).
    pub tsa_name: Option<String>,
    /// The TSTInfo DER exactly as signed (the CMS eContent).
    #[serde(skip)]
    pub der: Vec<u8>,
}

impl TstInfo {
    /// `gen_time` as RFC 3339 with `Z` and only the fraction digits the TSA gave.
    pub fn gen_time_rfc3339(&self) -> String {
        self.gen_time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    /// The nonce as a `u64`, when it has one that fits (ours always do).
    pub fn nonce_u64(&self) -> Option<u64> {
        let hex = self.nonce.as_deref()?;
        u64::from_str_radix(hex, 16).ok()
    }
}

/// A timestamp token: the raw DER to keep, plus the decoded TSTInfo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Token {
    /// The `TimeStampToken` (a CMS `ContentInfo` with SignedData), byte for byte as the
    /// TSA sent it: this is what goes into the bundle and what [`verify`] takes.
    #[serde(skip)]
    pub der: Vec<u8>,
    pub tst_info: TstInfo,
}

impl Token {
    /// Decodes a stored token without checking it (use [`verify`] for that).
    pub fn from_der(der: &[u8]) -> Result<Self, TimestampError> {
        let signed = SignedData::parse(der)?;
        let tst_info = parse_tst_info(signed.tst_info)?;
        Ok(Token {
            der: signed.raw.to_vec(),
            tst_info,
        })
    }
}

/// The certificate that signed a token, as a person would compare it with the TSA's
/// published one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignerCertificate {
    /// RFC 4514 subject, most specific first (`CN=...,O=...,C=..`).
    pub subject: String,
    pub issuer: String,
    /// Certificate serial number, lower-case hex.
    pub serial: String,
    /// SHA-256 of the certificate DER, upper-case hex pairs joined by `:` (the way
    /// `openssl x509 -fingerprint -sha256` and most TSAs' web pages print it).
    pub sha256_fingerprint: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// The certificate DER, for a chain check against a trust anchor.
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// The result of a successful [`verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub tst_info: TstInfo,
    pub signer: SignerCertificate,
    /// E.g. `RSA PKCS#1 v1.5 with SHA-256` or `ECDSA P-256 with SHA-256`.
    pub signature_algorithm: String,
}

/// Builds a DER `TimeStampReq` (RFC 3161 §2.4.1) for a SHA-256 digest: version 1, the
/// imprint, our `nonce` (so a replayed old response is detected) and `certReq` TRUE (so
/// the token carries the TSA certificate and can be verified offline later).
pub fn request(digest_sha256: &[u8; 32], nonce: u64) -> Vec<u8> {
    let mut body = der::tlv(der::INTEGER, &[1]);
    body.extend(message_imprint_der(digest_sha256));
    body.extend(der::encode_u64(nonce));
    body.extend(der::tlv(der::BOOLEAN, &[0xff]));
    der::tlv(der::SEQUENCE, &body)
}

fn message_imprint_der(digest: &[u8; 32]) -> Vec<u8> {
    let mut alg = der::tlv(der::OID, oids::SHA256.as_bytes());
    alg.extend(der::tlv(der::NULL, &[]));
    let mut imprint = der::tlv(der::SEQUENCE, &alg);
    imprint.extend(der::tlv(der::OCTET_STRING, digest));
    der::tlv(der::SEQUENCE, &imprint)
}

/// Reads a DER `TimeStampResp` (RFC 3161 §2.4.2). A status other than granted or
/// grantedWithMods becomes [`TimestampError::NotGranted`] with the TSA's reasons. The
/// token is decoded but not verified: call [`verify`] before relying on it.
pub fn parse_response(der: &[u8]) -> Result<Token, TimestampError> {
    let resp = der::single(der, der::SEQUENCE, "TimeStampResp")?;
    let mut r = Reader::new(resp.content, "TimeStampResp");
    let mut status_info = r.nested(der::SEQUENCE, "PKIStatusInfo")?;
    let status = PkiStatus::from_code(der::integer_u64(
        status_info.read(der::INTEGER, "status")?.content,
        "PKIStatus",
    )?);
    let mut status_text = Vec::new();
    if let Some(text) = status_info.optional(der::SEQUENCE)? {
        let mut t = Reader::new(text.content, "PKIFreeText");
        while !t.is_empty() {
            let s = t.read(0x0c, "UTF8String")?;
            status_text.push(String::from_utf8_lossy(s.content).into_owned());
        }
    }
    let failure_info = match status_info.optional(der::BIT_STRING)? {
        Some(bits) => failure_info_names(bits.content),
        None => Vec::new(),
    };
    status_info.finish()?;
    if !matches!(status, PkiStatus::Granted | PkiStatus::GrantedWithMods) {
        return Err(TimestampError::NotGranted {
            status,
            failure_info,
            status_text,
        });
    }
    if r.is_empty() {
        return Err(TimestampError::MissingToken);
    }
    let token = r.read(der::SEQUENCE, "timeStampToken")?;
    r.finish()?;
    Token::from_der(token.raw)
}

/// Names of the PKIFailureInfo bits set (bit 0 is the most significant bit of the first
/// byte after the unused-bits count).
fn failure_info_names(content: &[u8]) -> Vec<String> {
    let Some((_unused, bytes)) = content.split_first() else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for (i, byte) in bytes.iter().enumerate() {
        for bit in 0..8 {
            if byte & (0x80 >> bit) != 0 {
                let n = i * 8 + bit;
                names.push(match n {
                    0 => "badAlg".to_owned(),
                    2 => "badRequest".to_owned(),
                    5 => "badDataFormat".to_owned(),
                    14 => "timeNotAvailable".to_owned(),
                    15 => "unacceptedPolicy".to_owned(),
                    16 => "unacceptedExtension".to_owned(),
                    17 => "addInfoNotAvailable".to_owned(),
                    25 => "systemFailure".to_owned(),
                    n => format!("bit {n}"),
                });
            }
        }
    }
    names
}

/// Checks a stored token (the DER of [`Token::der`]) on our own, without OpenSSL:
///
/// 1. it is CMS SignedData over an `id-ct-TSTInfo`, with one signer;
/// 2. the signed attributes hold content-type = id-ct-TSTInfo and message-digest = the
///    signer's digest (SHA-256/384/512) of the encapsulated TSTInfo bytes;
/// 3. the signer certificate is in the token, is bound by the ESS signingCertificate(V2)
///    attribute, has the (critical) `timeStamping` extended key usage, and was valid at
///    `genTime`;
/// 4. the signature over the DER of the signed attributes (re-tagged as SET OF) verifies
///    with that certificate's key (RSA PKCS#1 v1.5, ECDSA P-256 or P-384);
/// 5. the TSTInfo's imprint is SHA-256 of `expected_digest`, and, if given, its nonce is
///    `expected_nonce`.
///
/// Integrity (1–4) is checked before meaning (5), so a tampered TSTInfo is reported as
/// tampering rather than as a mismatch. Whether the certificate chains to a TSA one
/// trusts is *not* checked: compare [`SignerCertificate::sha256_fingerprint`] with the
/// TSA's, or run a chain check on [`SignerCertificate::der`].
pub fn verify(
    token_der: &[u8],
    expected_digest: &[u8; 32],
    expected_nonce: Option<u64>,
) -> Result<Verified, TimestampError> {
    let signed = SignedData::parse(token_der)?;
    if signed.content_type != oids::CT_TST_INFO {
        return Err(TimestampError::NotTstInfo {
            what: "encapsulated content type",
            found: signed.content_type.to_string(),
        });
    }
    let signer = &signed.signer;
    let digest_alg = HashAlg::from_oid(&signer.digest_algorithm, "signer digest algorithm")?;

    // 2. Signed attributes.
    let attrs = SignedAttributes::parse(signer.signed_attrs)?;
    let content_type = attrs.single_value(&oids::ATTR_CONTENT_TYPE, "content-type")?;
    let content_type = der::oid(
        der::single(content_type, der::OID, "content-type attribute")?.content,
        "content-type attribute",
    )?;
    if content_type != oids::CT_TST_INFO {
        return Err(TimestampError::NotTstInfo {
            what: "content-type signed attribute",
            found: content_type.to_string(),
        });
    }
    let message_digest = attrs.single_value(&oids::ATTR_MESSAGE_DIGEST, "message-digest")?;
    let message_digest = der::single(
        message_digest,
        der::OCTET_STRING,
        "message-digest attribute",
    )?
    .content;
    if digest_alg.digest(signed.tst_info) != message_digest {
        return Err(TimestampError::MessageDigestMismatch {
            algorithm: digest_alg.name(),
        });
    }

    // 3. The signer certificate.
    let cert = signed
        .certificates
        .iter()
        .filter_map(|raw| Certificate::parse(raw).ok())
        .find(|c| signer.sid.matches(c))
        .ok_or(TimestampError::SignerCertificateMissing)?;
    check_ess_binding(&attrs, cert.raw)?;
    match &cert.extended_key_usage {
        Some((true, purposes)) if purposes.as_slice() == [oids::KP_TIME_STAMPING] => {}
        Some((true, _)) => {
            return Err(TimestampError::SignerCertificate(
                "its extendedKeyUsage is not solely timeStamping (RFC 3161 §2.3)".into(),
            ))
        }
        Some((false, _)) => {
            return Err(TimestampError::SignerCertificate(
                "its extendedKeyUsage is not marked critical (RFC 3161 §2.3)".into(),
            ))
        }
        None => {
            return Err(TimestampError::SignerCertificate(
                "it has no extendedKeyUsage timeStamping (RFC 3161 §2.3)".into(),
            ))
        }
    }

    // 4. The signature.
    let mut to_sign = signer.signed_attrs.raw.to_vec();
    if let Some(tag) = to_sign.first_mut() {
        *tag = der::SET; // RFC 5652 §5.4: signed as an explicit SET OF, not as [0].
    }
    let signature_algorithm = verify_signature(signer, &cert, digest_alg, &to_sign)?;

    // 5. What the token says.
    let tst_info = parse_tst_info(signed.tst_info)?;
    if tst_info.gen_time < cert.not_before || tst_info.gen_time > cert.not_after {
        return Err(TimestampError::SignerCertificate(format!(
            "genTime {} is outside its validity ({} to {})",
            tst_info.gen_time_rfc3339(),
            cert.not_before.to_rfc3339_opts(SecondsFormat::Secs, true),
            cert.not_after.to_rfc3339_opts(SecondsFormat::Secs, true),
        )));
    }
    if tst_info.imprint.algorithm != oids::SHA256.to_string() {
        return Err(TimestampError::ImprintAlgorithm {
            found: tst_info
                .imprint
                .algorithm_name
                .map_or_else(|| tst_info.imprint.algorithm.clone(), str::to_owned),
        });
    }
    if tst_info.imprint.digest != expected_digest {
        return Err(TimestampError::ImprintMismatch {
            expected: hex(expected_digest),
            found: hex(&tst_info.imprint.digest),
        });
    }
    if let Some(expected) = expected_nonce {
        if tst_info.nonce_u64() != Some(expected) {
            return Err(TimestampError::NonceMismatch {
                expected,
                found: tst_info.nonce.clone(),
            });
        }
    }

    let fingerprint = sha2::Sha256::digest(cert.raw)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let signer = SignerCertificate {
        subject: cert::format_name(cert.subject_raw)?,
        issuer: cert::format_name(cert.issuer_raw)?,
        serial: hex_integer(der::unsigned_integer(cert.serial, "certificate serial")?),
        sha256_fingerprint: fingerprint,
        not_before: cert.not_before,
        not_after: cert.not_after,
        der: cert.raw.to_vec(),
    };
    Ok(Verified {
        tst_info,
        signer,
        signature_algorithm,
    })
}

/// RFC 3161 §2.4.1 / RFC 5035: the signed attributes must name the signing certificate
/// by hash, so that a token cannot be re-attributed to another certificate with the same
/// key. Every ESSCertID form present must match; at least one must be present.
fn check_ess_binding(attrs: &SignedAttributes<'_>, cert_der: &[u8]) -> Result<(), TimestampError> {
    let mut checked = false;
    if let Some(v2) = attrs.optional_single_value(&oids::ATTR_SIGNING_CERTIFICATE_V2)? {
        let mut certs = first_cert_ids(v2, "SigningCertificateV2")?;
        let mut id = certs.nested(der::SEQUENCE, "ESSCertIDv2")?;
        let alg = match id.optional(der::SEQUENCE)? {
            Some(alg) => {
                let mut a = Reader::new(alg.content, "ESSCertIDv2.hashAlgorithm");
                let oid = der::oid(a.read(der::OID, "algorithm")?.content, "ESS hash")?;
                HashAlg::from_oid(&oid, "ESSCertIDv2 hash algorithm")?
            }
            None => HashAlg::Sha256,
        };
        let hash = id.read(der::OCTET_STRING, "certHash")?.content;
        if alg.digest(cert_der) != hash {
            return Err(TimestampError::SignerCertificate(
                "its hash does not match the signingCertificateV2 attribute".into(),
            ));
        }
        checked = true;
    }
    if let Some(v1) = attrs.optional_single_value(&oids::ATTR_SIGNING_CERTIFICATE)? {
        let mut certs = first_cert_ids(v1, "SigningCertificate")?;
        let mut id = certs.nested(der::SEQUENCE, "ESSCertID")?;
        let hash = id.read(der::OCTET_STRING, "certHash")?.content;
        // SHA-1 here only identifies a certificate the signature already covers; it
        // is what RFC 2634 fixes for version 1 and what OpenSSL writes by default.
        if sha1::Sha1::digest(cert_der).as_slice() != hash {
            return Err(TimestampError::SignerCertificate(
                "its hash does not match the signingCertificate attribute".into(),
            ));
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(TimestampError::SignedAttributes(
            "no signingCertificate or signingCertificateV2 attribute (RFC 3161 §2.4.2)".into(),
        ))
    }
}

/// The `certs` SEQUENCE OF ESSCertID(v2) inside a SigningCertificate(V2) value.
fn first_cert_ids<'a>(value: &'a [u8], what: &'static str) -> Result<Reader<'a>, TimestampError> {
    let outer = der::single(value, der::SEQUENCE, what)?;
    let mut r = Reader::new(outer.content, what);
    r.nested(der::SEQUENCE, what)
}

fn verify_signature(
    signer: &SignerInfo<'_>,
    cert: &Certificate<'_>,
    digest_alg: HashAlg,
    signed_bytes: &[u8],
) -> Result<String, TimestampError> {
    let sig_oid = signer.signature_algorithm;
    let (family, hash) = match sig_oid {
        oids::RSA_ENCRYPTION => (KeyFamily::Rsa, digest_alg),
        oids::SHA256_WITH_RSA => (KeyFamily::Rsa, HashAlg::Sha256),
        oids::SHA384_WITH_RSA => (KeyFamily::Rsa, HashAlg::Sha384),
        oids::SHA512_WITH_RSA => (KeyFamily::Rsa, HashAlg::Sha512),
        oids::EC_PUBLIC_KEY => (KeyFamily::Ec, digest_alg),
        oids::ECDSA_WITH_SHA256 => (KeyFamily::Ec, HashAlg::Sha256),
        oids::ECDSA_WITH_SHA384 => (KeyFamily::Ec, HashAlg::Sha384),
        oids::ECDSA_WITH_SHA512 => (KeyFamily::Ec, HashAlg::Sha512),
        other => {
            return Err(TimestampError::Unsupported {
                what: "signature algorithm",
                oid: other.to_string(),
            })
        }
    };
    if hash == HashAlg::Sha1 {
        return Err(TimestampError::Unsupported {
            what: "signature hash (SHA-1 is no longer collision resistant)",
            oid: oids::SHA1.to_string(),
        });
    }
    let hashed = hash.digest(signed_bytes);
    let signature = signer.signature;
    match (family, cert.key_algorithm) {
        (KeyFamily::Rsa, oids::RSA_ENCRYPTION) => {
            use rsa::pkcs1::DecodeRsaPublicKey;
            let algorithm = format!("RSA PKCS#1 v1.5 with {}", hash.name());
            let key = rsa::RsaPublicKey::from_pkcs1_der(cert.public_key).map_err(|e| {
                TimestampError::SignerCertificate(format!("unusable RSA public key: {e}"))
            })?;
            let scheme = match hash {
                HashAlg::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                HashAlg::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                _ => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            };
            key.verify(scheme, &hashed, signature)
                .map_err(|_| TimestampError::BadSignature {
                    algorithm: algorithm.clone(),
                })?;
            Ok(algorithm)
        }
        (KeyFamily::Ec, oids::EC_PUBLIC_KEY) => {
            use p256::ecdsa::signature::hazmat::PrehashVerifier;
            let curve = cert.key_parameters.ok_or_else(|| {
                TimestampError::SignerCertificate("EC key without a named curve".into())
            })?;
            let bad_key = |e: p256::ecdsa::Error| {
                TimestampError::SignerCertificate(format!("unusable EC public key: {e}"))
            };
            let (algorithm, ok) = match curve {
                oids::SECP256R1 => {
                    let algorithm = format!("ECDSA P-256 with {}", hash.name());
                    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(cert.public_key)
                        .map_err(bad_key)?;
                    let ok = p256::ecdsa::Signature::from_der(signature)
                        .and_then(|sig| key.verify_prehash(&hashed, &sig))
                        .is_ok();
                    (algorithm, ok)
                }
                oids::SECP384R1 => {
                    let algorithm = format!("ECDSA P-384 with {}", hash.name());
                    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(cert.public_key)
                        .map_err(bad_key)?;
                    let ok = p384::ecdsa::Signature::from_der(signature)
                        .and_then(|sig| key.verify_prehash(&hashed, &sig))
                        .is_ok();
                    (algorithm, ok)
                }
                other => {
                    return Err(TimestampError::Unsupported {
                        what: "elliptic curve",
                        oid: other.to_string(),
                    })
                }
            };
            if ok {
                Ok(algorithm)
            } else {
                Err(TimestampError::BadSignature { algorithm })
            }
        }
        (_, key) => Err(TimestampError::SignerCertificate(format!(
            "its key ({key}) does not fit the signature algorithm {sig_oid}"
        ))),
    }
}

#[derive(Clone, Copy)]
enum KeyFamily {
    Rsa,
    Ec,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    fn from_oid(oid: &ObjectIdentifier, what: &'static str) -> Result<Self, TimestampError> {
        match *oid {
            oids::SHA1 => Ok(Self::Sha1),
            oids::SHA256 => Ok(Self::Sha256),
            oids::SHA384 => Ok(Self::Sha384),
            oids::SHA512 => Ok(Self::Sha512),
            other => Err(TimestampError::Unsupported {
                what,
                oid: other.to_string(),
            }),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// The pieces of a TimeStampToken's SignedData, borrowed from the token DER.
struct SignedData<'a> {
    /// The whole ContentInfo.
    raw: &'a [u8],
    content_type: ObjectIdentifier,
    /// The eContent octets: the TSTInfo DER as hashed by the signer.
    tst_info: &'a [u8],
    certificates: Vec<&'a [u8]>,
    signer: SignerInfo<'a>,
}

struct SignerInfo<'a> {
    sid: SignerId<'a>,
    digest_algorithm: ObjectIdentifier,
    /// The `[0] IMPLICIT` signed attributes, tag included.
    signed_attrs: der::Tlv<'a>,
    signature_algorithm: ObjectIdentifier,
    signature: &'a [u8],
}

enum SignerId<'a> {
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    SubjectKeyId(&'a [u8]),
}

impl SignerId<'_> {
    fn matches(&self, cert: &Certificate<'_>) -> bool {
        match self {
            SignerId::IssuerSerial { issuer, serial } => {
                *issuer == cert.issuer_raw && *serial == cert.serial
            }
            SignerId::SubjectKeyId(id) => cert.subject_key_id == Some(*id),
        }
    }
}

impl<'a> SignedData<'a> {
    fn parse(der: &'a [u8]) -> Result<Self, TimestampError> {
        let ci = der::single(der, der::SEQUENCE, "TimeStampToken")?;
        let mut r = Reader::new(ci.content, "ContentInfo");
        let content_type = der::oid(r.read(der::OID, "contentType")?.content, "contentType")?;
        if content_type != oids::SIGNED_DATA {
            return Err(der::malformed(
                "ContentInfo",
                format!("content type {content_type} is not signedData"),
            ));
        }
        let mut explicit = r.nested(der::ctx_cons(0), "ContentInfo.content")?;
        r.finish()?;
        let mut sd = explicit.nested(der::SEQUENCE, "SignedData")?;
        explicit.finish()?;
        sd.read(der::INTEGER, "version")?;
        sd.read(der::SET, "digestAlgorithms")?;
        let mut encap = sd.nested(der::SEQUENCE, "EncapsulatedContentInfo")?;
        let econtent_type = der::oid(
            encap.read(der::OID, "eContentType")?.content,
            "eContentType",
        )?;
        let mut econtent = encap.nested(der::ctx_cons(0), "eContent")?;
        let tst_info = econtent.read(der::OCTET_STRING, "eContent")?.content;
        econtent.finish()?;
        encap.finish()?;
        let mut certificates = Vec::new();
        if let Some(certs) = sd.optional(der::ctx_cons(0))? {
            let mut c = Reader::new(certs.content, "SignedData.certificates");
            while !c.is_empty() {
                let choice = c.read_any()?;
                // Only plain X.509 certificates; attribute and other certificate
                // forms cannot sign a timestamp.
                if choice.tag == der::SEQUENCE {
                    certificates.push(choice.raw);
                }
            }
        }
        let _ = sd.optional(der::ctx_cons(1))?; // crls
        let mut infos = sd.nested(der::SET, "SignerInfos")?;
        sd.finish()?;
        let info = infos.nested(der::SEQUENCE, "SignerInfo")?;
        if !infos.is_empty() {
            return Err(der::malformed(
                "SignerInfos",
                "more than one signer (RFC 3161 allows only the TSA)",
            ));
        }
        let signer = SignerInfo::parse(info)?;
        Ok(SignedData {
            raw: ci.raw,
            content_type: econtent_type,
            tst_info,
            certificates,
            signer,
        })
    }
}

impl<'a> SignerInfo<'a> {
    fn parse(mut r: Reader<'a>) -> Result<Self, TimestampError> {
        r.read(der::INTEGER, "version")?;
        let sid = match r.peek_tag() {
            Some(der::SEQUENCE) => {
                let mut ias = r.nested(der::SEQUENCE, "IssuerAndSerialNumber")?;
                let issuer = ias.read(der::SEQUENCE, "issuer")?.raw;
                let serial = ias.read(der::INTEGER, "serialNumber")?.content;
                ias.finish()?;
                SignerId::IssuerSerial { issuer, serial }
            }
            _ => SignerId::SubjectKeyId(r.read(der::ctx_prim(0), "sid")?.content),
        };
        let digest_algorithm = algorithm_oid(&mut r, "digestAlgorithm")?;
        let signed_attrs = r.optional(der::ctx_cons(0))?.ok_or_else(|| {
            TimestampError::SignedAttributes("absent (RFC 3161 tokens must sign attributes)".into())
        })?;
        let signature_algorithm = algorithm_oid(&mut r, "signatureAlgorithm")?;
        let signature = r.read(der::OCTET_STRING, "signature")?.content;
        let _ = r.optional(der::ctx_cons(1))?; // unsignedAttrs
        r.finish()?;
        Ok(SignerInfo {
            sid,
            digest_algorithm,
            signed_attrs,
            signature_algorithm,
            signature,
        })
    }
}

/// The OID of an AlgorithmIdentifier (parameters are NULL or absent for everything we
/// support, so they are not inspected).
fn algorithm_oid(
    r: &mut Reader<'_>,
    what: &'static str,
) -> Result<ObjectIdentifier, TimestampError> {
    let mut alg = r.nested(der::SEQUENCE, what)?;
    der::oid(alg.read(der::OID, what)?.content, what)
}

struct SignedAttributes<'a> {
    /// (type, values) — values is the content of the SET OF AttributeValue.
    attrs: Vec<(ObjectIdentifier, &'a [u8])>,
}

impl<'a> SignedAttributes<'a> {
    fn parse(tlv: der::Tlv<'a>) -> Result<Self, TimestampError> {
        let mut r = Reader::new(tlv.content, "signedAttrs");
        let mut attrs = Vec::new();
        while !r.is_empty() {
            let mut attr = r.nested(der::SEQUENCE, "Attribute")?;
            let ty = der::oid(attr.read(der::OID, "attrType")?.content, "attrType")?;
            let values = attr.read(der::SET, "attrValues")?.content;
            attr.finish()?;
            if attrs.iter().any(|(t, _)| *t == ty) {
                return Err(TimestampError::SignedAttributes(format!(
                    "attribute {ty} appears twice"
                )));
            }
            attrs.push((ty, values));
        }
        Ok(SignedAttributes { attrs })
    }

    /// The one value of attribute `oid`, if present (RFC 5652 §11: exactly one value).
    fn optional_single_value(
        &self,
        oid: &ObjectIdentifier,
    ) -> Result<Option<&'a [u8]>, TimestampError> {
        let Some((_, values)) = self.attrs.iter().find(|(t, _)| t == oid) else {
            return Ok(None);
        };
        let mut r = Reader::new(values, "attrValues");
        let value = r.read_any()?;
        if !r.is_empty() {
            return Err(TimestampError::SignedAttributes(format!(
                "attribute {oid} has more than one value"
            )));
        }
        Ok(Some(value.raw))
    }

    fn single_value(
        &self,
        oid: &ObjectIdentifier,
        name: &'static str,
    ) -> Result<&'a [u8], TimestampError> {
        self.optional_single_value(oid)?
            .ok_or_else(|| TimestampError::SignedAttributes(format!("no {name} attribute")))
    }
}

fn parse_tst_info(der_bytes: &[u8]) -> Result<TstInfo, TimestampError> {
    let seq = der::single(der_bytes, der::SEQUENCE, "TSTInfo")?;
    let mut r = Reader::new(seq.content, "TSTInfo");
    let version = der::integer_u64(r.read(der::INTEGER, "version")?.content, "TSTInfo.version")?;
    let policy = der::oid(r.read(der::OID, "policy")?.content, "TSTInfo.policy")?;
    let mut imprint = r.nested(der::SEQUENCE, "TSTInfo.messageImprint")?;
    let algorithm = algorithm_oid(&mut imprint, "messageImprint.hashAlgorithm")?;
    let digest = imprint.read(der::OCTET_STRING, "hashedMessage")?.content;
    imprint.finish()?;
    let serial = hex_integer(der::unsigned_integer(
        r.read(der::INTEGER, "serialNumber")?.content,
        "TSTInfo.serialNumber",
    )?);
    let gen_time = cert::parse_generalized_time(
        r.read(der::GENERALIZED_TIME, "genTime")?.content,
        "TSTInfo.genTime",
    )?;
    let accuracy = match r.optional(der::SEQUENCE)? {
        Some(acc) => {
            let mut a = Reader::new(acc.content, "TSTInfo.accuracy");
            let mut field = |tag| -> Result<u64, TimestampError> {
                Ok(match a.optional(tag)? {
                    Some(t) => der::integer_u64(t.content, "TSTInfo.accuracy")?,
                    None => 0,
                })
            };
            let accuracy = Accuracy {
                seconds: field(der::INTEGER)?,
                millis: field(der::ctx_prim(0))?,
                micros: field(der::ctx_prim(1))?,
            };
            a.finish()?;
            Some(accuracy)
        }
        None => None,
    };
    let ordering = match r.optional(der::BOOLEAN)? {
        Some(b) => b.content != [0],
        None => false,
    };
    let nonce = match r.optional(der::INTEGER)? {
        Some(n) => Some(hex_integer(der::unsigned_integer(
            n.content,
            "TSTInfo.nonce",
        )?)),
        None => None,
    };
    let tsa_name = match r.optional(der::ctx_cons(0))? {
        Some(tsa) => Some(format_general_name(tsa.content)?),
        None => None,
    };
    let _ = r.optional(der::ctx_cons(1))?; // extensions
    r.finish()?;
    Ok(TstInfo {
        version,
        policy: policy.to_string(),
        imprint: MessageImprint {
            algorithm: algorithm.to_string(),
            algorithm_name: oids::hash_name(&algorithm),
            digest: digest.to_vec(),
        },
        serial,
        gen_time,
        accuracy,
        ordering,
        nonce,
        tsa_name,
        der: der_bytes.to_vec(),
    })
}

fn format_general_name(content: &[u8]) -> Result<String, TimestampError> {
    let mut r = Reader::new(content, "TSTInfo.tsa");
    let name = r.read_any()?;
    r.finish()?;
    let text = || String::from_utf8_lossy(name.content).into_owned();
    Ok(match name.tag {
        t if t == der::ctx_cons(4) => cert::format_name(name.content)?,
        t if t == der::ctx_prim(1) => format!("email:{}", text()),
        t if t == der::ctx_prim(2) => format!("DNS:{}", text()),
        t if t == der::ctx_prim(6) => format!("URI:{}", text()),
        _ => format!("#{}", hex(name.raw)),
    })
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex of an unsigned big-endian integer, without leading zeros.
fn hex_integer(magnitude: &[u8]) -> String {
    let s = hex(magnitude);
    let trimmed = s.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

fn serialize_hex<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_matches_hand_encoding() {
        let digest = [0xabu8; 32];
        let req = request(&digest, 0x80);
        let mut expected = vec![
            0x30, 0x3d, 0x02, 0x01, 0x01, 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09,
        ];
        expected.extend([
            0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
        ]);
        expected.extend([0x04, 0x20]);
        expected.extend(digest);
        expected.extend([0x02, 0x02, 0x00, 0x80, 0x01, 0x01, 0xff]);
        assert_eq!(req, expected);
    }

    fn response(status: u8, text: Option<&str>, fail_bits: Option<&[u8]>) -> Vec<u8> {
        let mut info = der::tlv(der::INTEGER, &[status]);
        if let Some(t) = text {
            info.extend(der::tlv(der::SEQUENCE, &der::tlv(0x0c, t.as_bytes())));
        }
        if let Some(bits) = fail_bits {
            info.extend(der::tlv(der::BIT_STRING, bits));
        }
        der::tlv(der::SEQUENCE, &der::tlv(der::SEQUENCE, &info))
    }

    #[test]
    fn refusals_name_status_failure_and_text() {
        // badAlg (bit 0) + systemFailure (bit 25): 4 bytes, 6 unused bits.
        let der = response(2, Some("nope"), Some(&[6, 0x80, 0, 0, 0x40]));
        let err = parse_response(&der).expect_err("rejection");
        match &err {
            TimestampError::NotGranted {
                status,
                failure_info,
                status_text,
            } => {
                assert_eq!(*status, PkiStatus::Rejection);
                assert_eq!(failure_info, &["badAlg", "systemFailure"]);
                assert_eq!(status_text, &["nope"]);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            "the TSA did not grant the timestamp: status rejection (2); failure info: badAlg, systemFailure; text: \"nope\""
        );
        let err = parse_response(&response(3, None, None)).expect_err("waiting");
        assert_eq!(
            err.to_string(),
            "the TSA did not grant the timestamp: status waiting (3)"
        );
    }

    #[test]
    fn granted_without_token_is_an_error() {
        assert!(matches!(
            parse_response(&response(0, None, None)),
            Err(TimestampError::MissingToken)
        ));
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bad in [
            &b""[..],
            b"\x30",
            b"\x30\x03\x02\x01",
            b"hello world",
            &[0x30, 0x00],
        ] {
            assert!(parse_response(bad).is_err());
            assert!(verify(bad, &[0; 32], None).is_err());
            assert!(Token::from_der(bad).is_err());
        }
    }
}
