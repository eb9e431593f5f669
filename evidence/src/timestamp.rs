//! A trusted (RFC 3161) timestamp on a bundle: `manifest.tsr`, a TSA's token over the
//! SHA-256 of `manifest.json`.
//!
//! The Ed25519 signature says *who* exported a bundle; `exported_at` in the manifest is
//! only the unit's own clock. A token from an independent Time-Stamping Authority proves
//! the manifest — and through its hashes every file and capture — existed at the TSA's
//! time, which the unit cannot back-date. The token covers the manifest's exact bytes, so
//! it cannot be listed inside the manifest: it sits beside it, like `manifest.sig`.
//!
//! The HTTP exchange is not done here (sockets are opened only in
//! `centinela_crawler::transport`, see `transport::tsa`): [`Query::new`] makes the request,
//! the caller posts it, [`Query::accept`] checks the reply and writes the token.

use std::path::Path;

use centinela_timestamp::Verified;
use data_encoding::HEXLOWER;
use ed25519_dalek::{Signer as _, SigningKey};
use sha2::{Digest, Sha256};

use crate::manifest::{MANIFEST, TIMESTAMP, TIMESTAMP_SIGNATURE};
use crate::{io, EvidenceError};

/// A timestamp request for one manifest, with the nonce that ties the reply to it.
#[derive(Clone, Debug)]
pub struct Query {
    /// SHA-256 of `manifest.json`.
    pub digest: [u8; 32],
    /// Random, from the OS: a replayed old reply would carry another nonce.
    pub nonce: u64,
    /// The DER `TimeStampReq` to POST (`application/timestamp-query`).
    pub der: Vec<u8>,
}

/// What the TSA asserted, as the export reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamped {
    /// The TSA's time, RFC 3339 UTC.
    pub gen_time: String,
    /// The TSA certificate's subject (RFC 4514).
    pub tsa_subject: String,
    /// SHA-256 of the TSA certificate, `AB:CD:…` (as `openssl x509 -fingerprint` prints).
    pub tsa_fingerprint: String,
}

impl From<&Verified> for Stamped {
    fn from(v: &Verified) -> Self {
        Stamped {
            gen_time: v.tst_info.gen_time_rfc3339(),
            tsa_subject: v.signer.subject.clone(),
            tsa_fingerprint: v.signer.sha256_fingerprint.clone(),
        }
    }
}

impl Query {
    /// The request for the bundle in `dir` (its `manifest.json` must be final: any later
    /// change to it would void the token).
    pub fn new(dir: &Path) -> Result<Query, EvidenceError> {
        let path = dir.join(MANIFEST);
        let manifest = std::fs::read(&path).map_err(io(&path))?;
        let digest: [u8; 32] = Sha256::digest(&manifest).into();
        let nonce = getrandom::u64().map_err(|e| {
            EvidenceError::Bundle(format!("no randomness from the system for the nonce: {e}"))
        })?;
        Ok(Query {
            digest,
            nonce,
            der: centinela_timestamp::request(&digest, nonce),
        })
    }

    /// Reads the TSA's `reply` (a DER `TimeStampResp`), checks the token against the
    /// manifest's digest and this request's nonce, and only then writes it to
    /// `dir/manifest.tsr`, byte for byte as the TSA sent it, with the unit's signature
    /// over it (`manifest.tsr.sig`, by the key that signed the manifest).
    pub fn accept(
        &self,
        dir: &Path,
        reply: &[u8],
        key: &SigningKey,
    ) -> Result<Stamped, EvidenceError> {
        let token = centinela_timestamp::parse_response(reply)?;
        let verified = centinela_timestamp::verify(&token.der, &self.digest, Some(self.nonce))?;
        crate::bundle::write_file(&dir.join(TIMESTAMP), &token.der)?;
        let signature = key.sign(&token.der);
        crate::bundle::write_file(
            &dir.join(TIMESTAMP_SIGNATURE),
            format!("{}\n", HEXLOWER.encode(&signature.to_bytes())).as_bytes(),
        )?;
        Ok(Stamped::from(&verified))
    }
}

/// Checks `token` (the bytes of `manifest.tsr`) against `manifest` (the bytes of
/// `manifest.json`).
pub fn check(token: &[u8], manifest: &[u8]) -> Result<Stamped, EvidenceError> {
    let digest: [u8; 32] = Sha256::digest(manifest).into();
    let verified = centinela_timestamp::verify(token, &digest, None)?;
    Ok(Stamped::from(&verified))
}
