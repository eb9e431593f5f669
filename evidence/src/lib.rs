//! Evidence a prosecutor can put before a court: a bundle holding the WARC records of
//! every capture behind a set of records (copied byte for byte out of the rolling WARC
//! files), the records as JSON, a human summary, and a manifest with every file's
//! SHA-256 — signed with the unit's Ed25519 key — plus a hash-chained custody log of
//! who exported and verified what.
//!
//! - [`keys`]: the signing key (created once, optionally sealed with a passphrase).
//! - [`bundle`]: writing a bundle ([`bundle::export`]).
//! - [`verify`]: checking one, item by item ([`verify::verify`]).
//! - [`custody`]: the append-only, hash-chained log in the store's database.
//! - [`timestamp`]: an RFC 3161 token over the manifest (`manifest.tsr`), from a TSA.
//!
//! A bundle is a folder, or the same folder in a `.zip` file ([`bundle::zip_bundle`],
//! checked by [`verify::verify_path`]).

pub mod bundle;
pub mod custody;
pub mod keys;
pub mod manifest;
mod summary;
pub mod timestamp;
pub mod verify;

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(bytes))
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("the signing key {path}: {reason}")]
    Key {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("capture {record_id} in {file}: {reason}")]
    Capture {
        record_id: String,
        file: String,
        reason: String,
    },
    #[error("{0}")]
    Bundle(String),
    #[error("the custody log: {0}")]
    Custody(String),
    #[error(transparent)]
    Db(#[from] sled::Error),
    /// The TSA's reply or token does not hold (refused, malformed, not over this
    /// manifest, not answering our nonce, bad signature).
    #[error("the timestamp: {0}")]
    Timestamp(#[from] centinela_timestamp::TimestampError),
    #[error("the zip file {path}: {reason}")]
    Zip {
        path: std::path::PathBuf,
        reason: String,
    },
}

pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> EvidenceError + '_ {
    move |source| EvidenceError::Io {
        path: path.to_path_buf(),
        source,
    }
}
